"""`hls-prepare-for-emission`: make a fixed-point module ready for the HLS C++ emitter.

Checks that every op in `@main` is emittable (fixed-point level, activations lowered),
gives every value a unique, legal C++ identifier (`emit.name`), records the emission
options on the module (`emit.options`: top-function name, part, clock, I/O style) and
the parallelism of every layer (`emit.unroll`; fully parallel at this stage). After it,
the emitter only reads the IR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, UnitAttr
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import dataflow, fixed, nn, pot_quant
from nncc.dialects.emit import (  # noqa: F401 - C_ABI_NAMES, CPP_RESERVED, IDENTIFIER re-exported for callers
    C_ABI_NAMES,
    CPP_RESERVED,
    DEFAULT_CLOCK_NS,
    DEFAULT_PART,
    DEFAULT_TOP,
    IDENTIFIER,
    NAME_ATTR,
    OPTIONS_ATTR,
    UNROLL_ATTR,
    EmitOptionsAttr,
    IoStyle,
    clock_problem,
    part_problem,
    top_problem,
)
from nncc.dialects.interfaces import ElementKernel, MacLayer, Reduction, Stateful, layer_label
from nncc.dialects.recurrent.delta import DeltaAccumulateOp

EMITTABLE = (
    fixed.ConstantOp, fixed.QuantizeOp, fixed.DequantizeOp, fixed.CastOp, fixed.DenseOp, fixed.ConvOp,
    fixed.MatMulOp, fixed.AddOp, fixed.SubOp, fixed.MulOp, fixed.SumPoolOp, fixed.ReduceSumOp,
    fixed.ReduceMaxOp, fixed.ClampOp, fixed.DeadZoneOp, fixed.LeakyReluOp, fixed.LutOp, fixed.PwlOp, fixed.PolyOp,
    nn.ReluOp, nn.ReshapeOp, nn.FlattenOp, nn.TransposeOp, nn.ConcatOp, nn.MaxPoolOp,
    nn.GlobalMaxPoolOp, nn.PadOp, nn.GatherOp, func.ReturnOp, dataflow.PeOp, DeltaAccumulateOp,
)
"""Ops the HLS C++ emitter has a construct for (the `nn` ones on fixed-point tensors only); it
also prints any other `MacLayer` (gathered dot products from its `mac_terms()`), any
`Reduction` (from its groups and combiner) and any `ElementKernel` (by its function's kind:
`binary_complex.threshold`)."""


def _not_emittable(ops) -> list[str]:
    return [
        f"{o.name} '{layer_label(o)}'"
        for o in ops
        if not isinstance(o, (*EMITTABLE, MacLayer, Reduction, Stateful, ElementKernel))
        or (o.name.startswith("nn.") and not isinstance(o.results[0].type.element_type, fixed.FixedType))
    ]


def _name_ops(ops, index: int) -> int:
    """Name every op of a block (and of the PEs and recurrent steps in it); the next index."""
    for inner in ops:
        if not inner.results or pot_quant.folded_weight(inner):
            continue
        prefix = "w" if isinstance(inner, fixed.ConstantOp) else "l"
        name = legal_identifier(layer_label(inner), prefix, index)
        index += 1
        inner.attributes[NAME_ATTR] = StringAttr(name)
        if not isinstance(inner, fixed.ConstantOp):
            inner.attributes[UNROLL_ATTR] = UnitAttr()
        if isinstance(inner, Stateful):
            index = _name_ops(inner.step_region().block.ops, index)
        if isinstance(inner, dataflow.PeOp):  # the wrapped layer shares the PE's name
            for body_op in inner.body.block.ops:
                if pot_quant.folded_weight(body_op):  # held by the term plan: nothing to name
                    continue
                if isinstance(body_op, fixed.ConstantOp):
                    body_op.attributes[NAME_ATTR] = StringAttr(legal_identifier(layer_label(body_op), "w", index))
                    index += 1
                elif not isinstance(body_op, dataflow.YieldOp):
                    body_op.attributes[NAME_ATTR] = StringAttr(name)
                    if inner.reuse_factor.value.data == 1:
                        body_op.attributes[UNROLL_ATTR] = UnitAttr()
    return index


def legal_identifier(text: str, prefix: str, index: int) -> str:
    """`<prefix><index>_<sanitized text>`: always a valid, non-reserved C++/Verilog name."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:32]
    return f"{prefix}{index}_{stem}" if stem else f"{prefix}{index}"


@dataclass(frozen=True)
class HlsPrepareForEmissionPass(ModulePass):
    """Legalize names and record emission options for the HLS C++ back end.

    Options: `top` (name of the top function, a C identifier), `part` (FPGA part for
    build.tcl), `clock_ns` (target clock period in ns), `io` (`parallel` or `stream`).
    """

    name = "hls-prepare-for-emission"

    top: str = DEFAULT_TOP
    """Name of the top function (a C identifier, not a C++ keyword or a name of the C ABI)."""
    part: str = DEFAULT_PART
    """FPGA part of the build scripts."""
    clock_ns: float = DEFAULT_CLOCK_NS
    """Target clock period in ns."""
    io: str = "parallel"
    """I/O style: `parallel` (whole tensors per handshake) or `stream` (pixel streams)."""

    def __post_init__(self):
        problems = [top_problem(self.top), part_problem(self.part), clock_problem(self.clock_ns)]
        if self.io not in tuple(style.value for style in IoStyle):
            problems.append(f"io must be parallel or stream, got {self.io!r}")
        if problems := [p for p in problems if p]:
            raise ValueError("hls-prepare-for-emission: " + "; ".join(problems))

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        mains = [f for f in op.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise PassFailedException("hls-prepare-for-emission: the module needs exactly one func.func @main")
        block = mains[0].body.blocks[0]
        bad = _not_emittable(block.ops)
        for layer in [o for o in block.ops if isinstance(o, Stateful)]:
            bad += _not_emittable(o for o in layer.step_region().block.ops if o is not layer.step_region().block.last_op)
        if bad:
            raise PassFailedException(
                "hls-prepare-for-emission: not emittable (quantize with convert-nn-to-fixed and lower "
                "activations with fixed-lower-activations first): " + ", ".join(bad)
            )
        _name_ops(block.ops, 0)
        op.attributes[OPTIONS_ATTR] = EmitOptionsAttr(self.top, self.part, self.clock_ns, IoStyle(self.io))
