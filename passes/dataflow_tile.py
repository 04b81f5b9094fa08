"""`dataflow-tile`: choose every multiply-accumulate layer's reuse factor, wrap it in a
`dataflow.pe`, and record the design's schedule.

Multiply-accumulate layers are the ops that implement `MacLayer`
(`nncc.dialects.interfaces`): `fixed.dense`, `fixed.conv` and any plugin layer; with the
signed-digit weight encoding (`pot_quant.uses_shift_add`) their PE "multipliers" are
shift-add units: a digit-controlled shifter per term, no multiplier; for an XNOR layer
(`PopcountLayer`, binary weights and activations) they are XNOR gates feeding a popcount. A layer
that is also `Windowed` can become a sliding-window engine.

A layer with N outputs of K terms each gets reuse factor R (N / R outputs per cycle on
N * K / R multipliers, R cycles per sample). R comes from, in order: the layer's
`dataflow.reuse_factor` attribute (config file), the pass's `target_ii` (the largest R
not above it), or the global `reuse_factor`. R must divide N; a request that does not is
rounded up to the next divisor of N (the IR records what was chosen).

Schedule (`dataflow.schedule` on the module): a value is valid `t` cycles after its
input was accepted, t = 0 for graph inputs, t = max(operands) for combinational ops and
max(operands) + the PE's latency (R, or a window engine's latency, see
`dataflow.WindowGeometry`); the output register adds one cycle. latency = t(output) + 1,
ii = the largest PE latency (1 without PEs).

A recurrent layer (`Stateful`) gets the static form: the multiply-accumulate layers of its
step are wrapped the same way, the step's own latency (from its inputs to the registered next
state) is its cell latency C, and the layer takes T x C cycles per sequence and a new
sequence every T x C cycles (its latency and ii in `dataflow.schedule` on the op). In the delta
form (`recurrent.delta_accumulate` engines, `nncc.dialects.recurrent.delta`) the engine of a
product with reuse factor R gets rows / R PEs (`dataflow.delta_engine`), a step's length
depends on the changes, and the schedule records the bound where every column changed
(``data_dependent`` = 1); the static form is required.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Block, Operation, Region
from xdsl.passes import ModulePass
from xdsl.traits import ConstantLike
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import dataflow
from nncc.dialects.dataflow import REUSE_ATTR, SCHEDULE_ATTR
from nncc.dialects.interfaces import MacLayer, PopcountLayer, Stateful, Windowed
from nncc.dialects.pot_quant import uses_shift_add
from nncc.dialects.recurrent.delta import DeltaAccumulateOp, is_delta_step, set_engine, worst_cycles


def legal_reuse(outputs: int, requested: int) -> int:
    """The smallest divisor of ``outputs`` that is >= ``requested`` (capped at outputs)."""
    requested = max(1, min(requested, outputs))
    for r in range(requested, outputs + 1):
        if outputs % r == 0:
            return r
    return outputs


def largest_reuse_within(outputs: int, limit: int) -> int:
    """The largest divisor of ``outputs`` that is <= ``limit`` (at least 1)."""
    best = 1
    for r in range(1, min(limit, outputs) + 1):
        if outputs % r == 0:
            best = r
    return best


def schedule(function: func.FuncOp) -> tuple[int, int]:
    """(latency, ii) of a tiled function, per the module docstring."""
    return block_schedule(function.body.blocks[0])


def block_schedule(block: Block) -> tuple[int, int]:
    """(latency, ii) of a tiled block (a function's, or a recurrent layer's step, whose
    terminator gives the next state): a `dataflow.pe` delays its result by its latency, a
    `Stateful` layer by its recorded latency (`dataflow.schedule` on the op)."""
    ready = {arg: 0 for arg in block.args}
    ii = 1
    out = 0
    for op in block.ops:
        if op is block.last_op and not op.results:
            out = max((ready.get(v, 0) for v in op.operands), default=0)
            continue
        start = max((ready.get(v, 0) for v in op.operands), default=0)
        delay, busy = _timing(op)
        ii = max(ii, busy)
        for r in op.results:
            ready[r] = start + delay
    return out + 1, ii


def _timing(op: Operation) -> tuple[int, int]:
    """(delay, cycles busy per sample) of one op (0, 1 for a combinational op)."""
    if isinstance(op, dataflow.PeOp):
        return op.latency.value.data, op.latency.value.data  # a PE takes a new sample once done
    if isinstance(op, DeltaAccumulateOp):
        worst = worst_cycles(op)
        return worst, worst
    if isinstance(op, Stateful) and isinstance(op.attributes.get(SCHEDULE_ATTR), DictionaryAttr):
        timing = op.attributes[SCHEDULE_ATTR].data
        return timing["latency"].value.data, timing["ii"].value.data
    return 0, 1


RECURRENT_FORMS = ("static", "non_static")
"""`dataflow-tile`'s `recurrent_form` choices (hls4ml's two forms of a recurrent layer)."""


def schedule_stateful(layer: Stateful, form: str = "static") -> None:
    """Record a recurrent layer's schedule. The cell takes ``cell_latency`` cycles from
    (x_t, state) to the registered next state, so latency = T x cell_latency. Static form
    (one cell engine reused over the T steps, the state in registers): ii = latency.
    Non-static form (``non_static`` = 1: T cell engines in a pipeline, one per time step, each
    handing its sequence and state to the next every cell_latency cycles): ii = cell_latency,
    T sequences in flight."""
    cell, _ = block_schedule(layer.step_region().block)
    steps = layer.time_steps()
    pipelined = form == "non_static"
    delta = is_delta_step(layer.step_region().block)
    if pipelined and delta:
        raise PassFailedException("dataflow-tile: a delta-form recurrent layer has steps of data-dependent length; "
                                  "only the static form (recurrent_form = static) is supported for it")
    layer.attributes[SCHEDULE_ATTR] = DictionaryAttr({
        "cell_latency": IntegerAttr(cell, i64), "ii": IntegerAttr(cell if pipelined else steps * cell, i64),
        "latency": IntegerAttr(steps * cell, i64), "steps": IntegerAttr(steps, i64),
        "non_static": IntegerAttr(int(pipelined), i64), "data_dependent": IntegerAttr(int(delta), i64)})


@dataclass(frozen=True)
class DataflowTilePass(ModulePass):
    """Wrap multiply-accumulate layers in `dataflow.pe` with a chosen reuse factor.

    Options: `reuse_factor` (global request, default 1 = fully parallel), `target_ii`
    (if > 0: every layer gets the largest reuse factor that keeps its cycles per sample
    at or below it, i.e. the fewest multipliers for that initiation interval),
    `conv_window` (default true: convolutions become sliding-window engines with a line
    buffer, one output pixel at a time, their reuse factor dividing the output channels;
    false: a convolution is a plain PE over its whole output tensor), `weight_memory`
    (`logic`, default: the weights are constants selected by the phase; `bram`: every
    multiplier PE with reuse factor > 1 that is not a window engine reads each phase's
    weights from a block-RAM ROM word, `dataflow.weight_memory`; a layer's own
    `dataflow.weight_memory` attribute, from the configuration, wins), `recurrent_form`
    (`static`, default: a recurrent layer is one cell engine reused over its T steps, a new
    sequence every T x cell cycles; `non_static`: T cell engines in a pipeline, a new sequence
    every cell latency), `simd` (XNOR window engines, `binary_complex.xnor_conv`: the input
    bits each output counts per cycle, FINN's SIMD next to the reuse factor's PE = output
    channels / R; 0, default: all K; otherwise the largest divisor of K not above it; a
    layer's own `dataflow.simd` request, from the configuration, wins; the engine then takes
    R x K / SIMD cycles per output pixel, `dataflow.SIMD_ATTR`).
    """

    name = "dataflow-tile"

    reuse_factor: int = 1
    target_ii: int = 0
    conv_window: bool = True
    weight_memory: str = "logic"
    recurrent_form: str = "static"
    simd: int = 0

    def __post_init__(self):
        if self.recurrent_form not in RECURRENT_FORMS:
            raise ValueError(f"dataflow-tile: recurrent_form must be one of {', '.join(RECURRENT_FORMS)}, "
                             f"got {self.recurrent_form!r}")
        if self.weight_memory not in dataflow.WEIGHT_MEMORIES:
            raise ValueError(f"dataflow-tile: weight_memory must be one of {', '.join(dataflow.WEIGHT_MEMORIES)}, "
                             f"got {self.weight_memory!r}")
        if self.reuse_factor < 1:
            raise ValueError(f"dataflow-tile: reuse_factor must be >= 1, got {self.reuse_factor}")
        if self.target_ii < 0:
            raise ValueError(f"dataflow-tile: target_ii must be >= 0, got {self.target_ii}")
        if self.simd < 0:
            raise ValueError(f"dataflow-tile: simd must be >= 0 (0: all input bits per cycle), got {self.simd}")

    def choose_simd(self, op: Operation, bits: int) -> int:
        """The SIMD of an XNOR window engine: the largest divisor of its ``bits`` (K) that is
        not above the layer's request or the pass's (0: K)."""
        override = op.attributes.get(dataflow.SIMD_ATTR)
        requested = override.value.data if isinstance(override, IntegerAttr) else self.simd
        if requested <= 0 or requested >= bits:
            return bits
        return max(d for d in range(1, requested + 1) if bits % d == 0)

    def choose(self, op: Operation, outputs: int) -> int:
        """The reuse factor of one layer."""
        override = op.attributes.get(REUSE_ATTR)
        if isinstance(override, IntegerAttr):
            return legal_reuse(outputs, override.value.data)
        if self.target_ii:
            return largest_reuse_within(outputs, self.target_ii)
        return legal_reuse(outputs, self.reuse_factor)

    def choose_window(self, op: Operation, geo: dataflow.WindowGeometry) -> int:
        """The reuse factor of a sliding-window convolution (a divisor of its output channels)."""
        channels = geo.out_channels
        override = op.attributes.get(REUSE_ATTR)
        if isinstance(override, IntegerAttr):
            return legal_reuse(channels, override.value.data)
        if self.target_ii:
            best = 1
            for r in range(1, channels + 1):
                if channels % r == 0 and geo.latency(r) <= self.target_ii:
                    best = r
            return best
        return legal_reuse(channels, self.reuse_factor)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for function in [f for f in op.ops if isinstance(f, func.FuncOp)]:
            block = function.body.blocks[0]
            for layer in [o for o in block.ops if isinstance(o, MacLayer)]:
                self.wrap(block, layer)
            for layer in [o for o in block.ops if isinstance(o, Stateful)]:
                body = layer.step_region().block
                for inner in [o for o in body.ops if isinstance(o, MacLayer)]:
                    self.wrap(body, inner, step=True)
                for inner in [o for o in body.ops if isinstance(o, DeltaAccumulateOp)]:
                    rows = inner.weight.type.get_shape()[0]
                    set_engine(inner, rows // self.choose(inner, rows))
                schedule_stateful(layer, self.recurrent_form)
            latency, ii = schedule(function)
            timing = {"ii": IntegerAttr(ii, i64), "latency": IntegerAttr(latency, i64)}
            if any(dataflow.data_dependent(o) for o in block.ops):
                timing["data_dependent"] = IntegerAttr(1, i64)  # latency and ii are bounds
            op.attributes[SCHEDULE_ATTR] = DictionaryAttr(timing)

    def plan(self, layer: MacLayer) -> tuple[int, int, int, bool]:
        """(reuse factor, multipliers, latency, window engine?) of one layer."""
        outputs, terms = layer.outputs(), layer.fan_in()
        if self.conv_window and isinstance(layer, Windowed):
            geo = layer.window_geometry()
            rf = self.choose_window(layer, geo)
            simd = self.choose_simd(layer, terms) if isinstance(layer, PopcountLayer) else terms
            folds = terms // simd  # an XNOR engine's output group takes F phases of SIMD bits each
            return rf * folds, geo.out_channels * simd // rf, geo.latency(rf * folds), True
        rf = self.choose(layer, outputs)
        return rf, outputs * terms // rf, rf, False

    def wrap(self, block: Block, layer: MacLayer, step: bool = False) -> None:
        """Move ``layer`` (and the constants only it reads) into a new `dataflow.pe` (``step``:
        a recurrent cell's product, whose weights stay in logic)."""
        rf, units, latency, window = self.plan(layer)
        operands = list(layer.operands)
        runtime = layer.activation()
        if any(v is not runtime and not (isinstance(v.owner, Operation) and v.owner.has_trait(ConstantLike))
               for v in operands):
            raise PassFailedException(f"dataflow-tile: {layer.name} must have exactly one run-time operand")
        body = Block(arg_types=[runtime.type])
        result = layer.results[0]
        pe = dataflow.PeOp([runtime], result.type, Region(body), rf, units, latency, window)
        pe.location = layer.location
        for key, value in layer.attributes.items():
            pe.attributes[key] = value
        pe.attributes.pop(dataflow.SIMD_ATTR, None)
        if window and isinstance(layer, PopcountLayer) and self.choose_simd(layer, layer.fan_in()) < layer.fan_in():
            pe.attributes[dataflow.SIMD_ATTR] = IntegerAttr(self.choose_simd(layer, layer.fan_in()), i64)
        memory = pe.attributes.pop(dataflow.MEMORY_ATTR, StringAttr(self.weight_memory))
        if (memory.data == "bram" and rf > 1 and not window and not step and not uses_shift_add(layer)
                and not isinstance(layer, PopcountLayer)):  # (an XNOR PE's weight bits stay in logic)
            pe.attributes[dataflow.MEMORY_ATTR] = StringAttr("bram")
        block.insert_op_before(pe, layer)
        result.replace_all_uses_with(pe.output)
        layer.detach()
        for index, value in enumerate(operands):
            owner = value.owner
            if value is runtime:
                layer.operands[index] = body.args[0]
            elif len(list(value.uses)) == 1:  # only this layer reads the constant: move it
                owner.detach()
                body.add_op(owner)
            else:
                clone = owner.clone()
                body.add_op(clone)
                layer.operands[index] = clone.results[0]
        body.add_op(layer)
        body.add_op(dataflow.YieldOp(result))
