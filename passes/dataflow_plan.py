"""`dataflow-plan`: write the hardware plan of a tiled, prepared module into the IR.

Every decision the back ends print is made here, once, and stored as typed `dataflow`
attributes (see `nncc.dialects.dataflow`):

- per op of `@main` yielding a run-time value, the cycle its result is valid
  (`dataflow.valid_at`): the input is valid at 0, combinational logic adds nothing, a PE adds
  its latency to the latest of its operands (the Verilog back end needs them equal);
- on `@main`, the handshake groups (`dataflow.handshakes`): producers (PEs, the input port)
  and consumers (PEs, the output register) linked through combinational logic;
- per `dataflow.pe`, its `PePlanAttr`: output element of every (phase, slot) (phase p,
  slot s computes output p * S + s), the product chains of multiplier slots (at most
  `SUM_CHUNK` products each) or the balanced adder tree of shift-and-add slots with every
  node as wide as its exact value range, and one register stage; window engines also get
  their controller timing (`WindowTimingAttr`, from `WindowGeometry`);
- the intermediate widths of element functions with a multiply-add stage (`fixed.pwl`,
  `fixed.poly`: `ElementFunction.multiply_add`) and the index tables of data
  movement, broadcast, pool and reduction ops.

Runs after `dataflow-tile` and `hls-prepare-for-emission` (it names stages by `emit.name`); the
decisions themselves are computed in `nncc.dialects.dataflow_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import dataflow, fixed
from nncc.dialects.dataflow import (
    HANDSHAKES_ATTR, INDEX_ATTR, PLAN_ATTR, SCHEDULE_ATTR, VALID_ATTR, WIDTHS_ATTR, WINDOW_ATTR,
)
from nncc.dialects.dataflow_plan import arith_widths, handshake_groups, index_table, pe_plan, window_timing
from nncc.dialects.emit import NAME_ATTR, OPTIONS_ATTR
from nncc.dialects.interfaces import ElementKernel, MacLayer, Stateful


class DataflowPlanError(PassFailedException):
    """The module cannot be planned (not tiled and prepared)."""


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _size(v: SSAValue) -> int:
    return int(np.prod(_shape(v), dtype=np.int64))


def _name(op: Operation) -> str:
    attr = op.attributes.get(NAME_ATTR)
    if not isinstance(attr, StringAttr):
        raise DataflowPlanError(f"dataflow-plan: {op.name} has no {NAME_ATTR}: run hls-prepare-for-emission first")
    return attr.data


# ---------------------------------------------------------------------------------------
# shift-and-add terms (shared with the back ends, which print them)




# ---------------------------------------------------------------------------------------
# the schedule


def plan_function(function: func.FuncOp) -> None:
    """Valid times, handshake groups and per-op plans of one tiled, prepared function."""
    time: dict[SSAValue, int] = {}
    sources: dict[SSAValue, frozenset[str]] = {}
    consumers: list[tuple[str, frozenset[str]]] = []
    for op in function.body.blocks[0].ops:
        if isinstance(op, fixed.ConstantOp):
            continue
        if isinstance(op, func.ReturnOp):
            for v in op.operands:
                consumers.append(("out", sources.get(v, frozenset())))
            continue
        if isinstance(op, fixed.QuantizeOp):
            time[op.output], sources[op.output] = 0, frozenset(["in"])
        elif isinstance(op, fixed.DequantizeOp):
            time[op.output], sources[op.output] = time.get(op.input, 0), sources.get(op.input, frozenset())
        else:
            vals = [v for v in op.operands if not isinstance(v.owner, fixed.ConstantOp)]
            feeding = frozenset().union(*(sources.get(v, frozenset()) for v in vals))
            start = max((time.get(v, 0) for v in vals), default=0)  # the Verilog back end needs them equal
            out = op.results[0]
            stage = _stage_latency(op)
            if stage is not None:
                time[out] = start + stage
                consumers.append((_name(op), feeding))
                sources[out] = frozenset([_name(op)])
            else:
                time[out], sources[out] = start, feeding
        op.attributes[VALID_ATTR] = IntegerAttr(time[op.results[0]], i64)
        _plan_op(op)
    function.attributes[HANDSHAKES_ATTR] = ArrayAttr(handshake_groups(consumers))


def _stage_latency(op: Operation) -> int | None:
    """The latency of a registered stage (a `dataflow.pe`, or a recurrent layer's static
    engine, from its `dataflow.schedule`); None for combinational logic."""
    if isinstance(op, dataflow.PeOp):
        return op.latency.value.data
    if isinstance(op, Stateful):
        timing = op.attributes.get(SCHEDULE_ATTR)
        if not isinstance(timing, DictionaryAttr):
            raise PassFailedException(f"dataflow-plan: {op.name} '{_name(op)}' has no {SCHEDULE_ATTR}: run dataflow-tile first")
        return timing.data["latency"].value.data
    return None


def _plan_step(layer: Stateful) -> None:
    """A recurrent layer's step: the per-op plans; every value of the step is valid at its
    cycle 0 (the engine holds the input slice and the state in registers for the whole step
    and takes the products' results when their PEs finish, `dataflow.schedule`)."""
    block = layer.step_region().block
    for op in block.ops:
        if op is block.last_op or isinstance(op, fixed.ConstantOp):
            continue
        op.attributes[VALID_ATTR] = IntegerAttr(0, i64)
        _plan_op(op)


def _plan_op(op: Operation) -> None:
    if isinstance(op, Stateful):
        _plan_step(op)
    elif isinstance(op, dataflow.PeOp):
        if not isinstance(op.layer(), MacLayer):
            return
        op.attributes[PLAN_ATTR] = pe_plan(op)
        if op.window is not None:
            op.attributes[WINDOW_ATTR] = window_timing(op)
    elif isinstance(op, ElementKernel) and (widths := arith_widths(op)) is not None:
        op.attributes[WIDTHS_ATTR] = DenseArrayBase.from_list(i64, list(widths))
    else:
        table = index_table(op)
        if table is not None:
            op.attributes[INDEX_ATTR] = table


@dataclass(frozen=True)
class DataflowPlanPass(ModulePass):
    """Write the hardware plan (valid times, handshake groups, PE slot maps, product chains,
    adder trees, window timing, intermediate widths, index tables) into a tiled, prepared
    module; the back ends print it."""

    name = "dataflow-plan"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if SCHEDULE_ATTR not in op.attributes or OPTIONS_ATTR not in op.attributes:
            raise DataflowPlanError("dataflow-plan: the module is not tiled and prepared: "
                                    "run dataflow-tile and hls-prepare-for-emission first")
        mains = [f for f in op.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise DataflowPlanError("dataflow-plan: the module needs exactly one func.func @main")
        plan_function(mains[0])
