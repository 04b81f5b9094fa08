"""Formatting filters of the HLS C++ templates (numbers never go through str() in a
template)."""

from __future__ import annotations

import base64

import numpy as np

_DTYPES = {"int8_t": "<i1", "int16_t": "<i2", "int32_t": "<i4", "int64_t": "<i8"}
PER_LINE = 24
BASE64_CHUNK = 4096


def c_int_list(values) -> str:
    """Comma-separated C integer literals, PER_LINE per line (int64 minimum spelled safely)."""
    arr = np.asarray(values, np.int64).reshape(-1)
    words = [str(v) if v != -(2**63) else "(-9223372036854775807LL - 1)" for v in arr.tolist()]
    lines = [", ".join(words[i : i + PER_LINE]) for i in range(0, len(words), PER_LINE)]
    return ",\n".join(lines)


def c_base64_literal(values, ctype: str) -> str:
    """The values as little-endian bytes in base64, as adjacent C string literals."""
    data = np.asarray(values, np.int64).astype(_DTYPES[ctype]).tobytes()
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(f'"{text[i:i + BASE64_CHUNK]}"' for i in range(0, len(text), BASE64_CHUNK)) or '""'


FILTERS = {"c_int_list": c_int_list, "c_base64_literal": c_base64_literal}
