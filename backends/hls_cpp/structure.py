"""The HLS C++ steps of pools, reductions and data movement, printed through the `Reduction`
and `IndexMap` interfaces from the `dataflow-plan` index tables (`_plan_table`)."""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation

from nncc.backends.hls_cpp.emitter import StepView, _Emitter, _plan_table, _shape, _size
from nncc.dialects.interfaces import IndexMap, Reduction, Windowed


def _window_pool(em: _Emitter, op: Operation, is_max: bool) -> None:
    """Sum/max pools: one row of the plan's table per (channel, window), its valid source
    elements (padding cells are `NO_OPERAND`, -1); a max of +-1 values as an OR of bits
    (`Reduction.bit_or`)."""
    name, type_name = em.result(op)
    table = _plan_table(op)
    em.steps.append(
        StepView(
            "window_reduce", name, type_name, _size(op.results[0]), em.unroll(op),
            src=(em.src(op.input),), src_types=(em.type_names[op.input],),
            rows=table.shape[0], inner=table.shape[1],
            table=em.table(f"{name}_window", table), is_max=is_max, is_or=op.bit_or(),
        )
    )


def _group_reduce(em: _Emitter, op: Operation, is_max: bool) -> None:
    """Reductions: one row of the plan's table per output, the elements it reduces."""
    name, type_name = em.result(op)
    table = _plan_table(op)
    em.steps.append(
        StepView(
            "group_reduce", name, type_name, _size(op.results[0]), em.unroll(op),
            src=(em.src(op.input),), src_types=(em.type_names[op.input],),
            rows=table.shape[0], inner=table.shape[1], table=em.table(f"{name}_groups", table), is_max=is_max,
            is_or=op.bit_or(),
        )
    )


def _copy(em: _Emitter, op: Operation) -> None:
    name, type_name = em.result(op)
    em.steps.append(StepView("copy", name, type_name, _size(op.results[0]), em.unroll(op), src=(em.src(op.operands[0]),)))


def _gather_step(em: _Emitter, op: Operation, table: np.ndarray, value: int = 0) -> None:
    """Transpose, pad, gather: the source element of every output element from the plan's
    table (pad cells, -1, take ``value``)."""
    name, type_name = em.result(op)
    em.steps.append(
        StepView("gather", name, type_name, _size(op.results[0]), em.unroll(op), src=(em.src(op.operands[0]),),
                 table=em.table(f"{name}_index", table), value=value)
    )


def _kwta(em: _Emitter, op: Reduction) -> None:
    """k-winners-take-all: per output its group (itself first); the element stays when fewer
    than `winners()` of the others are larger."""
    name, type_name = em.result(op)
    table = _plan_table(op)
    em.steps.append(
        StepView(
            "kwta", name, type_name, _size(op.results[0]), em.unroll(op),
            src=(em.src(op.operands[0]),), src_types=(em.type_names[op.operands[0]],),
            rows=table.shape[0], inner=table.shape[1], table=em.table(f"{name}_groups", table), value=op.winners(),
        )
    )


def reduction(em: _Emitter, op: Reduction) -> None:
    """Any `Reduction`: a window engine's table (with padding cells) for `Windowed` ops, one
    group per output otherwise, combined by the op's `combiner()` (a k-winners-take-all
    selection keeps or zeroes each group's first element)."""
    if op.combiner() == "kwta":
        _kwta(em, op)
        return
    is_max = op.combiner() == "max"
    if isinstance(op, Windowed):
        _window_pool(em, op, is_max)
    else:
        _group_reduce(em, op, is_max)


def data_movement(em: _Emitter, op: IndexMap) -> None:
    """Any `IndexMap`: a concat of several operands, a plain copy when the plan's table is the
    identity (reshape, flatten), else a gather whose padding cells take `fill_value()`."""
    if len(op.operands) > 1:
        _concat(em, op)
        return
    table = _plan_table(op)
    if np.array_equal(table.reshape(-1), np.arange(_size(op.results[0]))):
        _copy(em, op)
    else:
        _gather_step(em, op, table, int(op.fill_value()))


def _concat(em: _Emitter, op: IndexMap) -> None:
    """Several operands joined along `axis` (nn.concat): contiguous chunks of each."""
    name, type_name = em.result(op)
    axis = op.axis.value.data
    y = _shape(op.output)
    inner = int(np.prod(y[axis + 1:]))
    outer = int(np.prod(y[:axis]))
    parts, offset = [], 0
    for v in op.inputs:
        chunk = _shape(v)[axis] * inner
        parts.append((em.src(v), chunk, offset))
        offset += chunk
    em.steps.append(
        StepView("concat", name, type_name, _size(op.output), em.unroll(op), rows=outer, cols=offset, parts=tuple(parts))
    )
