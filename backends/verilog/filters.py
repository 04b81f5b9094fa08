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


FILTERS = {"sv_literal": sv_literal, "sv_signed": sv_signed, "sv_concat": sv_concat}
