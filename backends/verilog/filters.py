"""Formatting filters of the Verilog templates."""

from __future__ import annotations


def sv_literal(value: int, width: int) -> str:
    """A sized two's-complement literal: -3 at 8 bits -> 8'hfd."""
    return f"{width}'h{int(value) & ((1 << width) - 1):x}"


def sv_signed(value: int, width: int) -> str:
    """A sized literal reinterpreted as signed: $signed(8'hfd)."""
    return f"$signed({sv_literal(value, width)})"


def sv_concat(values, width: int) -> str:
    """A concatenation of sized literals with element 0 in the least significant bits."""
    return "{" + ", ".join(sv_literal(v, width) for v in reversed(list(values))) + "}"


def sv_element(vector: str, index, width: int, to: int | None = None) -> str:
    """Element ``index`` (``width`` bits) of a packed ``vector`` as a signed value, sign-extended
    explicitly to ``to`` bits when that is wider (Verilator -Wall flags implicit widening):
    x0, 3, 16, 22 -> $signed({{6{x0[3*16 + 15]}}, x0[3*16 +: 16]})."""
    part = f"{vector}[{index}*{width} +: {width}]"
    if to is None or to <= width:
        return f"$signed({part})"
    return f"$signed({{{{{to - width}{{{vector}[{index}*{width} + {width - 1}]}}}}, {part}}})"


FILTERS = {"sv_literal": sv_literal, "sv_signed": sv_signed, "sv_concat": sv_concat, "sv_element": sv_element}
