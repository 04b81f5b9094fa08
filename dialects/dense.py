"""numpy <-> builtin dense-elements conversions without Python lists.

Large constants are stored as raw little-endian bytes (printed as hex by xDSL), so
building and reading them costs one memory copy.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    TensorType,
    f32,
    i64,
)
from xdsl.ir import Attribute

_FLOAT_DTYPES = {Float16Type: "<f2", Float32Type: "<f4", Float64Type: "<f8"}
_INT_DTYPES = {8: "<i1", 16: "<i2", 32: "<i4", 64: "<i8"}


def numpy_dtype(element: Attribute) -> np.dtype:
    """The little-endian numpy dtype xDSL uses to store ``element``."""
    for cls, code in _FLOAT_DTYPES.items():
        if isinstance(element, cls):
            return np.dtype(code)
    if isinstance(element, IntegerType) and element.width.data in _INT_DTYPES:
        return np.dtype(_INT_DTYPES[element.width.data])
    raise ValueError(f"no numpy storage for element type {element}")


def to_dense(array: np.ndarray, element: Attribute = f32) -> DenseIntOrFPElementsAttr:
    """Wrap a numpy array (any layout) as a dense attribute of ``element`` type."""
    arr = np.asarray(array, dtype=numpy_dtype(element))
    if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        arr = arr.copy(order="C")
    if arr.dtype.kind == "f":
        arr = arr + arr.dtype.type(0)  # normalise -0.0 so equal values give equal attributes
    return DenseIntOrFPElementsAttr(TensorType(element, arr.shape), BytesAttr(arr.tobytes()))


def from_dense(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """Read-only numpy view of a dense attribute (a splat is broadcast to full shape)."""
    dtype = numpy_dtype(attr.get_element_type())
    shape = tuple(attr.get_shape())
    flat = np.frombuffer(attr.data.data, dtype)
    if flat.size == 1 and int(np.prod(shape)) != 1:
        return np.broadcast_to(flat.reshape(()), shape)
    return flat.reshape(shape)


def i64_array(values) -> DenseArrayBase:
    """`array<i64: ...>` from integers (a list or an array), as bytes in one copy
    (`DenseArrayBase.from_list` checks every element in Python: 100x slower on big tables)."""
    return DenseArrayBase(i64, BytesAttr(np.asarray(values, dtype="<i8").reshape(-1).tobytes()))
