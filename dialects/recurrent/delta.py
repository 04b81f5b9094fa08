"""The delta form of a recurrent layer (DeltaLSTM / DeltaGRU): `recurrent.delta_accumulate`
and the column-skipping engine's work lists.

In the delta form a step does not multiply the weights by x_t and h_{t-1} but by their
changes since the last value that was passed on: Δ = v - v̂, zeroed where |Δ| < Θ
(`fixed.dead_zone`), v̂ += Δ, and a delta memory M (one per product, initially the bias)
accumulates M += W Δ. Every product of the step then reads M instead of W v + b. With
Θ = 0, M is exactly W v + b at every step (it telescopes), so the layer is bit for bit the
dense one; with Θ > 0 small changes are skipped.

Hardware: the engine walks only the columns of W whose Δ is non-zero, one column per
``column_cycles`` cycles: the rows are interleaved over ``pes`` processing elements (row r on
PE r mod P), and each PE keeps, per column, the list of its non-zero weights with their row
(`column_lists`), all lists padded to the longest. Column-balanced weights (the same number of
non-zeros in every PE's part of every column: `#encoding.sparse<balanced = P>`) leave no
padding, so no PE idles. A step's engine takes 1 + column_cycles x (non-zero Δ count) cycles:
one to load M and the change mask, then the columns.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, TensorType, i64
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.fixed import fixed_of, raw_constant
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.interfaces import FixedSemantics

DELTA_ENGINE_ATTR = "dataflow.delta_engine"
"""On a `recurrent.delta_accumulate`: {pes = P, column_cycles = K}, chosen by `dataflow-tile`
(P = rows / R for the product's reuse factor R; K = the longest per-PE column list)."""


@irdl_op_definition
class DeltaAccumulateOp(IRDLOperation, FixedSemantics):
    """M + W Δ: the delta memory ``memory`` ([1, rows]) plus the weight ``weight`` ([rows,
    cols], a constant) times the thresholded change ``delta`` ([1, cols]), in the memory's type
    (two's complement wrap-around; the delta form keeps M = W v̂ + b within the range of the
    dense product it replaces, so nothing wraps). The product's fraction must be the memory's.

    Example: `%m2 = recurrent.delta_accumulate %m, %d, %w : (tensor<1x32x!fixed.q<38, 7>>,
    tensor<1x2x!fixed.q<17, 4>>, tensor<32x2x!fixed.q<16, 1>>) -> tensor<1x32x!fixed.q<38, 7>>`
    """

    name = "recurrent.delta_accumulate"
    memory = operand_def(TensorType)
    delta = operand_def(TensorType)
    weight = operand_def(TensorType)
    output = result_def(TensorType)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$memory `,` $delta `,` $weight attr-dict `:` functional-type(operands, results)"

    def __init__(self, memory: SSAValue, delta: SSAValue, weight: SSAValue):
        super().__init__(operands=[memory, delta, weight], result_types=[memory.type])

    def verify_(self) -> None:
        m, d, w = (tuple(v.type.get_shape()) for v in (self.memory, self.delta, self.weight))
        if len(w) != 2 or m != (1, w[0]) or d != (1, w[1]):
            raise VerifyException(f"recurrent.delta_accumulate: memory {m}, delta {d} and weight {w} "
                                  "must be [1, rows], [1, cols] and [rows, cols]")
        if self.output.type != self.memory.type:
            raise VerifyException("recurrent.delta_accumulate: the result type must be the memory's")
        if fixed_of(self.delta).frac + fixed_of(self.weight).frac != fixed_of(self.memory).frac:
            raise VerifyException("recurrent.delta_accumulate: the product's fraction (delta's + weight's) "
                                  "must be the memory's")

    def weight_raw(self) -> np.ndarray:
        """The weight's raw values [rows, cols] (its operand is a `fixed.constant`)."""
        raw = raw_constant(self.weight)
        if raw is None:
            raise VerifyException("recurrent.delta_accumulate: the weight must be a fixed.constant")
        return raw.reshape(self.weight.type.get_shape())

    def evaluate_fixed(self, args, batch):
        m, d, w = args
        w = np.asarray(w, np.int64).reshape(self.weight.type.get_shape())
        width = fixed_of(self.delta).width.data + fixed_of(self.weight).width.data + int(w.shape[1]).bit_length()
        total = np.asarray(m, np.int64) + fm.exact_product(np.matmul, width, np.asarray(d).reshape(len(m), -1), w.T)
        return fm.overflow(total, fixed_of(self.memory).width.data, "wrap")


def column_lists(weight: np.ndarray, pes: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The engine's work lists for ``pes`` PEs (rows r on PE r mod P): (K, values, rows), values
    and rows of shape [P, cols, K]: PE p's non-zero weights of column j and their local row
    (r div P), padded with zero weights (row 0) to the longest list K (at least 1)."""
    rows, cols = weight.shape
    if pes < 1 or rows % pes:
        raise ValueError(f"{pes} PEs do not divide {rows} rows")
    parts = [weight[p::pes] for p in range(pes)]
    longest = max(1, max(int(np.count_nonzero(part[:, j])) for part in parts for j in range(cols)))
    values = np.zeros((pes, cols, longest), np.int64)
    local = np.zeros((pes, cols, longest), np.int64)
    for p, part in enumerate(parts):
        for j in range(cols):
            nz = np.flatnonzero(part[:, j])
            values[p, j, : nz.size], local[p, j, : nz.size] = part[nz, j], nz
    return longest, values, local


def engine(op: Operation) -> tuple[int, int]:
    """(pes, column_cycles) of a tiled `recurrent.delta_accumulate` (`DELTA_ENGINE_ATTR`)."""
    plan = op.attributes.get(DELTA_ENGINE_ATTR)
    if not isinstance(plan, DictionaryAttr):
        raise VerifyException(f"{op.name} has no {DELTA_ENGINE_ATTR}: run dataflow-tile first")
    return plan.data["pes"].value.data, plan.data["column_cycles"].value.data


def set_engine(op: DeltaAccumulateOp, pes: int) -> None:
    """Record the engine of ``op`` with ``pes`` PEs (`DELTA_ENGINE_ATTR`)."""
    cycles, _, _ = column_lists(op.weight_raw(), pes)
    op.attributes[DELTA_ENGINE_ATTR] = DictionaryAttr({"pes": IntegerAttr(pes, i64),
                                                      "column_cycles": IntegerAttr(cycles, i64)})


def engine_cycles(op: Operation, changed: int) -> int:
    """Cycles of one step of the engine of ``op`` with ``changed`` non-zero Δ columns."""
    return 1 + engine(op)[1] * changed


def worst_cycles(op: DeltaAccumulateOp) -> int:
    """Cycles of a step where every column changed (the schedule's bound)."""
    return engine_cycles(op, op.delta.type.get_shape()[1])


def is_delta_step(block) -> bool:
    """Whether a recurrent step is in the delta form (has a `recurrent.delta_accumulate`)."""
    return any(isinstance(op, DeltaAccumulateOp) for op in block.ops)


def step_cycles(scan: Operation, x: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """Per sequence of a delta-form `recurrent.scan` (raw input ``x`` [N, T, I] and initial
    states): its cycles in the engine (per step 1 + the slowest engine's
    `engine_cycles`), and totals: ``changed`` (non-zero Δ columns fetched),
    ``columns`` (columns a dense engine fetches), ``macs`` (multiply-accumulates done: the
    non-zero weights of the changed columns) and ``dense_macs`` (every weight, every step)."""
    tally = dict(changed=0, columns=0, macs=0, dense_macs=0)
    per_step: dict[int, np.ndarray] = {}
    column_weights = {op: np.count_nonzero(op.weight_raw(), axis=0)  # non-zero weights per column
                      for op in scan.step_region().block.ops if isinstance(op, DeltaAccumulateOp)}

    def see_delta(t: int, op: Operation, args: list[np.ndarray]) -> None:
        if op not in column_weights:
            return
        fired = np.asarray(args[1]).reshape(len(x), -1) != 0
        changed = fired.sum(axis=1)
        per_step[t] = np.maximum(per_step.get(t, 0), engine_cycles(op, changed))
        tally["changed"] += int(changed.sum())
        tally["columns"] += fired.size
        tally["macs"] += int((fired @ column_weights[op]).sum())
        tally["dense_macs"] += int(column_weights[op].size * op.weight.type.get_shape()[0]) * len(x)

    scan.run_steps([x] + list(states), len(x), see_delta)
    return sum((1 + step for step in per_step.values()), np.zeros(len(x), np.int64)), tally
