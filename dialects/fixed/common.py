"""Helpers shared by the `fixed` op definitions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import base
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.dense import i64_array
from nncc.dialects.fixed.types import FixedType


def fixed_of(value: SSAValue | Attribute) -> FixedType:
    """The FixedType element of a fixed tensor value or type."""
    typ = value.type if isinstance(value, SSAValue) else value
    element = typ.element_type if isinstance(typ, TensorType) else typ
    if not isinstance(element, FixedType):
        raise VerifyException(f"expected a fixed-point tensor, got {typ}")
    return element


def shape_of(value: SSAValue) -> tuple[int, ...]:
    """Static shape of a tensor value."""
    return tuple(value.type.get_shape())


def int_array(values: Sequence[int]) -> DenseArrayBase:
    """`array<i64: ...>` from Python ints."""
    return i64_array(values)


def sorted_props(props: dict) -> dict:
    return dict(sorted((k, v) for k, v in props.items() if v is not None))


def expect_equal(op: Operation, what: str, got, expected) -> None:
    if got != expected:
        raise VerifyException(f"{op.name}: {what} is {got}, expected {expected}")


def expect_fixed(op: Operation, what: str, value: SSAValue) -> None:
    """``value`` (an operand or result of ``op``) is a fixed-point tensor."""
    if not isinstance(value.type.element_type, FixedType):
        raise VerifyException(f"{op.name}: {what} must be fixed point, got {value.type.element_type}")


def expect_raw_fits(op: Operation, raw: np.ndarray, typ: FixedType, what: str) -> None:
    lo, hi = -(1 << (typ.width.data - 1)), (1 << (typ.width.data - 1)) - 1
    if raw.size and (raw.min() < lo or raw.max() > hi):
        raise VerifyException(
            f"{op.name}: {what} raw values [{raw.min()}, {raw.max()}] do not fit {typ.width.data} bits"
        )


FIXED_TENSOR = base(TensorType)
