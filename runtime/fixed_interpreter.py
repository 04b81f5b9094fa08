"""Bit-exact reference interpreter of the fixed-point level.

Fixed tensors are int64 numpy arrays of raw values (``nncc.dialects.fixed.semantics``); graph
inputs are floats until `fixed.quantize`, outputs are floats after `fixed.dequantize`. Every
op is vectorized over the batch and says itself what it computes
(`FixedSemantics.evaluate_fixed`, `nncc.dialects.interfaces`): the walker keeps no table of
ops. Matrix products run in float64 (BLAS) when the accumulator type is at most 53 bits
wide, where every partial sum is an exactly representable integer, and in int64
otherwise (`nncc.dialects.fixed.semantics.exact_product`), so results are exact either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from nncc.dialects.fixed.semantics import EXACT_FLOAT_BITS  # noqa: F401 (re-exported)
from nncc.dialects.interfaces import FixedSemantics
from nncc.runtime.interpreter import InterpreterError, execute


def evaluate_fixed(op: Operation, args: Sequence[np.ndarray], batch: int) -> np.ndarray:
    """The raw result of one op (its `FixedSemantics`)."""
    if not isinstance(op, FixedSemantics):
        raise InterpreterError(f"no implementation for op {op.name} at this level")
    return op.evaluate_fixed(args, batch)


def run_fixed(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    observe: Callable[[Operation, np.ndarray], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run a fixed-point module bit-exactly; outputs are float64 (dequantized exactly).

    ``observe(op, value)`` sees raw int64 values for fixed results.
    """
    outputs = execute(module, inputs, evaluate_fixed, observe=observe)
    return {name: np.asarray(value, np.float64) for name, value in outputs.items()}
