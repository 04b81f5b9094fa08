"""`hls-prepare-for-emission`: make a fixed-point module ready for the HLS C++ emitter.

Checks that every op in `@main` is emittable (fixed-point level, activations lowered),
gives every value a unique, legal C++ identifier (`hls.name`), records the emission
options on the module (`hls.options`: top-function name, part, clock, I/O style) and
the parallelism of every layer (`hls.unroll`; fully parallel at this stage). After it,
the emitter only reads the IR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, ModuleOp, StringAttr, UnitAttr, f64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import dataflow, fixed, nn, pot_quant

NAME_ATTR = "hls.name"
OPTIONS_ATTR = "hls.options"
UNROLL_ATTR = "hls.unroll"

EMITTABLE = (
    fixed.ConstantOp, fixed.QuantizeOp, fixed.DequantizeOp, fixed.CastOp, fixed.DenseOp, fixed.ConvOp,
    fixed.MatMulOp, fixed.AddOp, fixed.SubOp, fixed.MulOp, fixed.SumPoolOp, fixed.ReduceSumOp,
    fixed.ReduceMaxOp, fixed.ClampOp, fixed.LeakyReluOp, fixed.LutOp, fixed.PwlOp, fixed.PolyOp,
    nn.ReluOp, nn.ReshapeOp, nn.FlattenOp, nn.TransposeOp, nn.ConcatOp, nn.MaxPoolOp,
    nn.GlobalMaxPoolOp, nn.PadOp, nn.GatherOp, func.ReturnOp, dataflow.PeOp,
)
"""Ops the HLS C++ emitter understands (on fixed-point tensors)."""

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
CPP_RESERVED = frozenset(
    "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class "
    "compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype "
    "default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline "
    "int long main mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public "
    "register reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch "
    "template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile "
    "wchar_t while xor xor_eq".split()
)
C_ABI_NAMES = frozenset(
    "nncc_num_inputs nncc_num_outputs nncc_input_size nncc_output_size nncc_run_batch nncc_num_layers "
    "nncc_layer_name nncc_layer_size nncc_trace_batch nncc_traced_sample decode_base64".split()
)
"""C++ keywords (and `main`), and the names of the generated C ABI: a top-function name
must be none of them."""


def legal_identifier(text: str, prefix: str, index: int) -> str:
    """`<prefix><index>_<sanitized text>`: always a valid, non-reserved C++/Verilog name."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:32]
    return f"{prefix}{index}_{stem}" if stem else f"{prefix}{index}"


def _layer_label(op: Operation) -> str:
    layer = op.attributes.get("nncc.layer")
    if isinstance(layer, StringAttr):
        return layer.data
    desc = getattr(op.location, "desc", None)
    return desc.data if isinstance(desc, StringAttr) else op.name.split(".")[-1]


@dataclass(frozen=True)
class HlsPrepareForEmissionPass(ModulePass):
    """Legalize names and record emission options for the HLS C++ back end.

    Options: `top` (name of the top function, a C identifier), `part` (FPGA part for
    build.tcl), `clock_ns` (target clock period in ns).
    """

    name = "hls-prepare-for-emission"

    top: str = "nncc_top"
    part: str = "xcu250-figd2104-2L-e"
    clock_ns: float = 5.0

    def __post_init__(self):
        if not IDENTIFIER.fullmatch(self.top) or self.top in CPP_RESERVED or self.top in C_ABI_NAMES:
            raise ValueError(f"hls-prepare-for-emission: top '{self.top}' is not a usable C identifier")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", self.part):
            raise ValueError(f"hls-prepare-for-emission: part '{self.part}' is not a part name")
        if not 0.5 <= self.clock_ns <= 100.0:
            raise ValueError(f"hls-prepare-for-emission: clock_ns must be in [0.5, 100], got {self.clock_ns}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        mains = [f for f in op.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise PassFailedException("hls-prepare-for-emission: the module needs exactly one func.func @main")
        block = mains[0].body.blocks[0]
        bad = [
            f"{o.name} '{_layer_label(o)}'"
            for o in block.ops
            if not isinstance(o, EMITTABLE)
            or (isinstance(o, (nn.ReluOp, nn.ReshapeOp, nn.FlattenOp, nn.TransposeOp, nn.ConcatOp, nn.MaxPoolOp, nn.GlobalMaxPoolOp, nn.PadOp, nn.GatherOp))
                and not isinstance(o.results[0].type.element_type, fixed.FixedType))
        ]
        if bad:
            raise PassFailedException(
                "hls-prepare-for-emission: not emittable (quantize with convert-nn-to-fixed and lower "
                "activations with fixed-lower-activations first): " + ", ".join(bad)
            )
        index = 0
        for inner in block.ops:
            if isinstance(inner, func.ReturnOp) or pot_quant.folded_weight(inner):
                continue
            prefix = "w" if isinstance(inner, fixed.ConstantOp) else "l"
            name = legal_identifier(_layer_label(inner), prefix, index)
            index += 1
            inner.attributes[NAME_ATTR] = StringAttr(name)
            if not isinstance(inner, fixed.ConstantOp):
                inner.attributes[UNROLL_ATTR] = UnitAttr()
            if isinstance(inner, dataflow.PeOp):  # the wrapped layer shares the PE's name
                for body_op in inner.body.block.ops:
                    if pot_quant.folded_weight(body_op):  # held by the term plan: nothing to name
                        continue
                    if isinstance(body_op, fixed.ConstantOp):
                        body_op.attributes[NAME_ATTR] = StringAttr(legal_identifier(_layer_label(body_op), "w", index))
                        index += 1
                    elif not isinstance(body_op, dataflow.YieldOp):
                        body_op.attributes[NAME_ATTR] = StringAttr(name)
                        if inner.reuse_factor.value.data == 1:
                            body_op.attributes[UNROLL_ATTR] = UnitAttr()
        op.attributes[OPTIONS_ATTR] = DictionaryAttr(
            {
                "clock_ns": FloatAttr(self.clock_ns, f64),
                "io": StringAttr("parallel"),
                "part": StringAttr(self.part),
                "top": StringAttr(self.top),
            }
        )
