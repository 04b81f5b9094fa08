"""The element-wise real functions of `nn.activation` and `fixed.activation`: one table,
shared by both dialects, the float and fixed-point interpreters and `fixed-lower-activations`.

Adding a function is adding one `UnaryFunction` entry to `FUNCTIONS`: its float64
definition (the float reference, which follows ONNX, NaN and infinities included), its
named constant parameters, and how the fixed-point level approximates it:

- ``table_range``: the input interval [a, b) a table or PWL spans (``None``: the edge of
  the input type, or 0 at the low end for a function with a floor of 0); inputs outside
  it clamp to the first/last entry;
- ``domain``: the inputs the op can receive at all (softmax's exponential sees only
  x <= 0 after the max subtraction, its reciprocal only sums >= 1); errors are measured there;
- ``floor``: fixed point only, inputs below it are taken as it (Log and Sqrt of negative
  numbers are evaluated at 0: Log gives the most negative output value, Sqrt gives 0);
- ``taylor``: Maclaurin coefficients for the `taylor` mode (others fall back to tables);
- ``fixed_range``: the output type is nncc's choice (sigmoid, tanh: q<W, 1>; softmax's
  parts: q<W, 2>), so the approximation error counts its saturation too; for the others
  the output type comes from calibration, and the error is measured against f saturated
  to that type (saturation beyond the calibrated range is reported per layer instead).

In fixed point, results that are infinite (Log(0), 1/0, 0^-p) saturate to the output
type's limits, and NaN never occurs (the floor removes it).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, element-wise in float64 (C library accuracy)."""
    return np.asarray(_erf(np.asarray(x, np.float64)), np.float64)


def _reciprocal(x):
    x = np.asarray(x, np.float64)
    return np.divide(1.0, x, out=np.where(np.signbit(x), -np.inf, np.inf), where=x != 0)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _pow(x, p):
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(x, p)


def _integer(p: float) -> bool:
    return float(p).is_integer()


@dataclass(frozen=True)
class UnaryFunction:
    """One real function y = f(x; params) (see the module docstring for the fields)."""

    evaluate: Callable
    """f(x float64 array, *params) -> float64 array."""
    params: tuple[str, ...] = ()
    table_range: tuple[float | None, float | None] = (None, None)
    domain: tuple[float | None, float | None] = (None, None)
    floor: Callable[..., float | None] = field(default=lambda *p: None)
    taylor: tuple[float, ...] | None = None
    fixed_range: bool = False


FUNCTIONS: dict[str, UnaryFunction] = {
    "sigmoid": UnaryFunction(
        lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)), table_range=(-8.0, 8.0), fixed_range=True,
        taylor=(1 / 2, 1 / 4, 0.0, -1 / 48, 0.0, 1 / 480, 0.0, -17 / 80640)),
    "tanh": UnaryFunction(
        np.tanh, table_range=(-4.0, 4.0), fixed_range=True, taylor=(0.0, 1.0, 0.0, -1 / 3, 0.0, 2 / 15, 0.0, -17 / 315)),
    "softmax_exp": UnaryFunction(np.exp, table_range=(-16.0, 0.0), domain=(None, 0.0), fixed_range=True),
    "softmax_reciprocal": UnaryFunction(_reciprocal, table_range=(0.0, None), domain=(1.0, None), fixed_range=True),
    "elu": UnaryFunction(lambda x, a: np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))), ("alpha",)),
    "selu": UnaryFunction(
        lambda x, a, g: g * np.where(x > 0, x, a * np.expm1(np.minimum(x, 0))), ("alpha", "gamma")),
    "softplus": UnaryFunction(_softplus),
    "softsign": UnaryFunction(lambda x: x / (1.0 + np.abs(x))),
    "mish": UnaryFunction(lambda x: x * np.tanh(_softplus(x))),
    "gelu": UnaryFunction(lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))),
    "gelu_tanh": UnaryFunction(
        lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))),
    "erf": UnaryFunction(erf),
    "exp": UnaryFunction(np.exp),
    "log": UnaryFunction(np.log, floor=lambda: 0.0),
    "sqrt": UnaryFunction(np.sqrt, floor=lambda: 0.0),
    "reciprocal": UnaryFunction(_reciprocal),
    "pow": UnaryFunction(_pow, ("exponent",), floor=lambda p: None if _integer(p) else 0.0),
}
"""Function name -> definition (`nn.activation` and `fixed.activation` accept these names)."""


def check(function: str, params) -> str | None:
    """None if ``function`` is known and ``params`` has its number of values, else a message."""
    entry = FUNCTIONS.get(function)
    if entry is None:
        return f"unknown function '{function}' (known: {', '.join(FUNCTIONS)})"
    if len(params) != len(entry.params):
        names = ", ".join(entry.params) or "none"
        return f"function '{function}' takes {len(entry.params)} parameters ({names}), got {len(params)}"
    return None


def evaluate(function: str, x, params=()) -> np.ndarray:
    """The float reference f(x; params) in float64 (ONNX semantics: NaN/inf where ONNX has them)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.asarray(FUNCTIONS[function].evaluate(np.asarray(x, np.float64), *params), np.float64)


def evaluate_fixed(function: str, x, params=()) -> np.ndarray:
    """f as the fixed-point level defines it: inputs below the function's floor are taken
    as the floor (so Log/Sqrt of negative numbers never give NaN)."""
    x = np.asarray(x, np.float64)
    low = FUNCTIONS[function].floor(*params)
    if low is not None:
        x = np.maximum(x, low)
    return evaluate(function, x, params)
