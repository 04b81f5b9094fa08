"""Helpers shared by the `nn` op definitions (shape access, verifier messages)."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, Float64Type, FloatAttr, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.dense import i64_array


def int_array(values: Sequence[int]) -> DenseArrayBase:
    """Build an `array<i64: ...>` property from Python ints."""
    return i64_array(values)


def shape_of(value: SSAValue) -> tuple[int, ...]:
    """Static shape of a ranked tensor value."""
    typ = value.type
    assert isinstance(typ, TensorType)
    return tuple(typ.get_shape())


def check_shape(op: Operation, fn, *args) -> tuple[int, ...]:
    """Run a shape rule and turn its ValueError into a VerifyException naming the op."""
    try:
        return fn(*args)
    except ValueError as err:
        raise VerifyException(f"{op.name}: {err}") from None


def expect_result(op: Operation, result: SSAValue, expected: tuple[int, ...]) -> None:
    got = shape_of(result)
    if got != tuple(expected):
        raise VerifyException(f"{op.name}: result shape {got} does not match expected {tuple(expected)}")


def expect_same_element(op: Operation) -> None:
    elements = {o.type.element_type for o in op.operands if isinstance(o.type, TensorType)}
    elements |= {r.type.element_type for r in op.results if isinstance(r.type, TensorType)}
    if len(elements) > 1:
        raise VerifyException(
            f"{op.name}: operand and result element types differ: "
            f"{sorted(str(e) for e in elements)}"
        )


FLOAT_PROP = FloatAttr.constr(Float64Type())


def sorted_props(props: dict) -> dict:
    """Properties in name order, so built and parsed ops print identically."""
    return dict(sorted(props.items()))
