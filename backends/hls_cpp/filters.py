"""Formatting filters of the HLS C++ templates (numbers never go through str() in a
template)."""

from __future__ import annotations

import base64

import numpy as np

_DTYPES = {"int8_t": "<i1", "int16_t": "<i2", "int32_t": "<i4", "int64_t": "<i8"}
PER_LINE = 24
BASE64_CHUNK = 4096


LOOKUP_SPAN = 1 << 17
"""Value spans up to this are spelled through a table of the span's literals (one str()
per distinct value instead of one per entry: 1M 16-bit weights in a fraction of the time)."""
INT64_MIN = -(2**63)


def _words(arr: np.ndarray) -> list[str]:
    if arr.size == 0:
        return []
    lo, hi = int(arr.min()), int(arr.max())
    if hi - lo < LOOKUP_SPAN and arr.size > hi - lo:
        spelled = np.array([str(v) for v in range(lo, hi + 1)], dtype=object)
        return spelled[arr - lo].tolist()
    words = list(map(str, arr.tolist()))
    if lo == INT64_MIN:
        words = [w if w != str(INT64_MIN) else "(-9223372036854775807LL - 1)" for w in words]
    return words


def c_int_list(values) -> str:
    """Comma-separated C integer literals, PER_LINE per line (int64 minimum spelled safely)."""
    words = _words(np.asarray(values, np.int64).reshape(-1))
    lines = [", ".join(words[i : i + PER_LINE]) for i in range(0, len(words), PER_LINE)]
    return ",\n".join(lines)


def c_base64_literal(values, ctype: str) -> str:
    """The values as little-endian bytes in base64, as adjacent C string literals."""
    data = np.asarray(values, np.int64).astype(_DTYPES[ctype]).tobytes()
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(f'"{text[i:i + BASE64_CHUNK]}"' for i in range(0, len(text), BASE64_CHUNK)) or '""'


FILTERS = {"c_int_list": c_int_list, "c_base64_literal": c_base64_literal}
