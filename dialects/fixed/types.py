"""Types and attributes of the `fixed` dialect, and the exact type rules of its ops."""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, ParametrizedAttribute, SpacedOpaqueSyntaxAttribute, TypeAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.dialects.builtin import IntAttr
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

MAX_WIDTH = 64


@irdl_attr_definition
class FixedType(ParametrizedAttribute, TypeAttribute):
    """Signed two's-complement fixed point `!fixed.q<W, I>`: W bits, I integer bits
    (sign included), F = W - I fractional bits; raw integer q stands for q * 2^-F.
    Matches `ap_fixed<W, I>`."""

    name = "fixed.q"
    width: IntAttr
    int_bits: IntAttr

    def __init__(self, width: int, int_bits: int):
        super().__init__(IntAttr(width), IntAttr(int_bits))

    @property
    def frac(self) -> int:
        """Fractional bits F = W - I."""
        return self.width.data - self.int_bits.data

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            start = parser.pos
            width = parser.parse_integer(allow_negative=False, allow_boolean=False)
            parser.parse_punctuation(",")
            int_bits = parser.parse_integer(allow_boolean=False)
            if problem := check_fixed(width, int_bits):
                parser.raise_error(problem, start, parser.pos)
        return (IntAttr(width), IntAttr(int_bits))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.width.data}, {self.int_bits.data}>")

    def verify(self) -> None:
        if problem := check_fixed(self.width.data, self.int_bits.data):
            raise VerifyException(problem)


def check_fixed(width: int, int_bits: int) -> str | None:
    """Why `q<width, int_bits>` is not a valid type, or None."""
    if not 1 <= width <= MAX_WIDTH:
        return f"fixed width must be in [1, {MAX_WIDTH}], got {width}"
    if not -MAX_WIDTH <= int_bits <= 2 * MAX_WIDTH:
        return f"fixed integer bits must be in [-{MAX_WIDTH}, {2 * MAX_WIDTH}], got {int_bits}"
    return None


class Rounding(StrEnum):
    """Quantization mode of a narrowing conversion (ap_fixed AP_TRN / AP_RND)."""

    TRN = "trn"
    RND = "rnd"


class Overflow(StrEnum):
    """Overflow mode of a narrowing conversion (ap_fixed AP_WRAP / AP_SAT)."""

    WRAP = "wrap"
    SAT = "sat"


@irdl_attr_definition
class RoundingAttr(EnumAttribute[Rounding], SpacedOpaqueSyntaxAttribute):
    """`#fixed<rounding rnd>`: round half up; `trn`: toward minus infinity."""

    name = "fixed.rounding"


@irdl_attr_definition
class OverflowAttr(EnumAttribute[Overflow], SpacedOpaqueSyntaxAttribute):
    """`#fixed<overflow sat>`: saturate; `wrap`: two's complement wrap-around."""

    name = "fixed.overflow"


# ---------------------------------------------------------------------------------------
# exact result-type rules (used by verifiers, the quantization pass and emitters' checks)


def ceil_log2(n: int) -> int:
    """ceil(log2(n)) for n >= 1."""
    return max(0, math.ceil(math.log2(n))) if n > 1 else 0


def sum_type(a: FixedType, b: FixedType) -> FixedType:
    """Exact type of a + b or a - b (ap_fixed's + result type)."""
    frac = max(a.frac, b.frac)
    ints = max(a.int_bits.data, b.int_bits.data) + 1
    return FixedType(ints + frac, ints)


def product_type(a: FixedType, b: FixedType) -> FixedType:
    """Exact type of a * b (ap_fixed's * result type)."""
    return FixedType(a.width.data + b.width.data, a.int_bits.data + b.int_bits.data)


def accumulator_type(x: FixedType, w: FixedType, terms: int, bias: FixedType | None) -> FixedType:
    """Type of sum_k x_k * w_k (+ bias) over ``terms`` products that can never overflow.

    With P = I_x + I_w (products' integer bits), every product is at most 2^(P-2) in
    magnitude, so without a bias the sum fits in I = P + ceil(log2(terms)) integer bits
    (W_acc = W_x + W_w + ceil(log2(fan_in))). With a bias below 2^(I_b-1) and
    M = max(P, I_b), it fits in I = M + ceil(log2(terms + 1)). F = max(F_x + F_w, F_b),
    so the sum is exact.
    """
    ints_p = x.int_bits.data + w.int_bits.data
    frac = x.frac + w.frac
    if bias is None:
        ints = ints_p + ceil_log2(terms)
    else:
        ints = max(ints_p, bias.int_bits.data) + ceil_log2(terms + 1)
        frac = max(frac, bias.frac)
    return FixedType(ints + frac, ints)


def window_sum_type(x: FixedType, terms: int) -> FixedType:
    """Exact type of a sum of ``terms`` values of type x."""
    ints = x.int_bits.data + ceil_log2(terms)
    return FixedType(ints + x.frac, ints)
