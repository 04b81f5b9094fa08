"""The `encoding` dialect: how the weights of a multiply-accumulate layer are represented.

A MAC layer (`nncc.dialects.interfaces.MacLayer`) keeps one op kind per level (`fixed.dense`,
`fixed.conv`) whatever its weights look like; what changes is its weight encoding, an
attribute of this family held in the layer's optional `encoding` property (absent = two's
complement), and with it the hardware plan. Every encoding defines the raw integer weights
exactly, so the layer's result (the exact accumulator) never depends on it; the encoding
decides how the products are built. The layer's verifier asks the encoding whether its
weights obey it (`WeightEncodingAttr.verify_weights`).

Implemented:

* `#encoding.twos_complement`: plain two's-complement integers, one multiplier (or a
  constant-coefficient product) per term. The default.
* `#encoding.signed_digits<max_digits = T[, share]>`: every raw weight has at most T
  non-zero digits in canonical signed-digit form (`csd`, the non-adjacent form: the fewest
  non-zero digits of any signed-digit form), so ``x * w = sum_t +-(x << shift_t)`` and the
  layer is built from shifts and adds with no multiplier. T = 1 is power-of-two weights.
  The digits are not stored: they are `csd` of the raw weights, which stay the layer's
  weight operand. ``share`` is the hardware plan's choice to build every distinct digit
  pattern applied to one input value once per layer (common sub-expressions, see
  `nncc.dialects.pot_quant.term_plan`); it does not change the weights.

* `#encoding.sparse<mask>`, `<n = N, m = M>`, `<block = [BH, BW]>`, `<balanced = P>`:
  two's-complement weights whose zeros sit in a structure (anywhere / at most N per M
  consecutive weights of a row / whole BH x BW blocks / the same count per column in each
  of P interleaved row groups). Rows are the output channels, the reduction axis is the
  rest of the weight in its order. The zeros are still raw weights; `sparse-materialize`
  removes them from the hardware plan (`nncc.dialects.sparse_plan`).
* `#encoding.binary<shift = e>`: every raw weight is +-2^e (per tensor); each term adds or
  subtracts its input, and with +-1 activations a dot product is 2 * popcount(XNOR) - K.
* `#encoding.codebook<k = K, neuron | layer>`: every output's (or the layer's) raw weights
  take at most K distinct values (clustered weights); the values are the distinct raw
  weights, not stored. `sparse-materialize` adds the inputs of each cluster first and gives
  each cluster one multiplier (`nncc.dialects.sparse_plan.cluster_plan`).

Designed, not implemented (`docs/encodings.md` has the details). In each the weight operand
still holds the exact raw weights; the attribute stores only what the hardware needs beyond
them, and its `verify_weights` checks the promise:

* binary per channel (`shifts = [...]`): a magnitude 2^e_c per output channel.
* complex pair (the re/im channel layout): the real-equivalent weight of A + jB is
  [[A, -B], [B, A]]; A and B are stored once and a complex tap takes three real products
  (or, binary, two popcounts over 2K bits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import IntAttr, StringAttr
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException


def _keyword_int(parser: AttrParser, keyword: str) -> int:
    """Parse `keyword = <non-negative integer>` (the form every encoding parameter takes)."""
    parser.parse_keyword(keyword)
    parser.parse_punctuation("=")
    return parser.parse_integer(allow_negative=False, allow_boolean=False)


class WeightEncodingAttr(ParametrizedAttribute):
    """Base of the weight encodings."""

    def verify_weights(self, op_name: str, raw: np.ndarray | None) -> None:
        """Raise `VerifyException` (message starting with ``op_name``) unless the raw integer
        weights ``raw`` obey the encoding; ``raw`` is None when the weights are not constant."""


@irdl_attr_definition
class TwosComplementAttr(WeightEncodingAttr):
    """Plain two's-complement integer weights: `#encoding.twos_complement`."""

    name = "encoding.twos_complement"


TWOS_COMPLEMENT = TwosComplementAttr()


def csd(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Canonical signed-digit recoding of integers (non-adjacent form).

    Returns ``(signs, shifts)`` of shape ``raw.shape + (T,)`` with T the largest number of
    non-zero digits of any element (at least 1); digits are listed from the least
    significant, unused slots have sign 0 and shift 0, and ``sum(signs << shifts) == raw``.
    CSD has the fewest non-zero digits of any signed-digit form and no two adjacent ones.
    """
    n = np.asarray(raw, np.int64).copy()
    digits: list[tuple[np.ndarray, np.ndarray]] = []
    count = np.zeros(n.shape, np.int64)
    position = 0
    while np.any(n != 0):
        odd = (n & 1) == 1
        d = np.where(odd, 2 - (n & 3), 0)  # +1 if n % 4 == 1, -1 if n % 4 == 3
        n = (n - d) >> 1
        digits.append((d, np.full(n.shape, position)))
        count += d != 0
        position += 1
    width = max(1, int(count.max(initial=0)))
    signs = np.zeros(n.shape + (width,), np.int8)
    shifts = np.zeros(n.shape + (width,), np.int8)
    slot = np.zeros(n.shape, np.int64)
    for d, pos in digits:
        nz = d != 0
        if not np.any(nz):
            continue
        idx = np.nonzero(nz)
        signs[idx + (slot[idx],)] = d[idx]
        shifts[idx + (slot[idx],)] = pos[idx]
        slot[idx] += 1
    return signs, shifts


def digit_counts(raw: np.ndarray) -> np.ndarray:
    """The number of non-zero canonical signed digits of each integer (0 for zero).

    For ``|n| < 2^61`` this is the population count of ``|n| XOR 3|n|`` (the non-zero digits of
    the non-adjacent form sit where ``n`` and ``3n`` differ, shifted by one), without building
    the digits; larger values go through `csd`."""
    n = np.asarray(raw, np.int64)
    if n.size and (int(n.min()) <= -(1 << 61) or int(n.max()) >= 1 << 61):  # 3|n| would overflow
        return np.count_nonzero(csd(n)[0], axis=-1)
    a = np.abs(n).astype(np.uint64)
    x = a ^ (a * np.uint64(3))
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


@irdl_attr_definition
class SignedDigitsAttr(WeightEncodingAttr):
    """Weights of at most ``max_digits`` non-zero canonical signed digits, built from shifts
    and adds: `#encoding.signed_digits<max_digits = 2>`, `#encoding.signed_digits<max_digits = 1, share>`.

    ``share`` (stored as 0/1) asks the hardware plan to build each distinct digit pattern
    applied to one input value once per layer."""

    name = "encoding.signed_digits"
    max_digits: IntAttr
    share: IntAttr

    def __init__(self, max_digits: int, share: bool = False):
        super().__init__(IntAttr(max_digits), IntAttr(int(share)))

    @property
    def shared(self) -> bool:
        """Whether digit patterns are shared per input value (common sub-expressions)."""
        return bool(self.share.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            start = parser.pos
            digits = _keyword_int(parser, "max_digits")
            if digits < 1:
                parser.raise_error(f"encoding.signed_digits: max_digits must be >= 1, got {digits}", start, parser.pos)
            share = parser.parse_optional_punctuation(",") is not None
            if share:
                parser.parse_keyword("share")
        return (IntAttr(digits), IntAttr(int(share)))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<max_digits = {self.max_digits.data}{', share' if self.shared else ''}>")

    def verify(self) -> None:
        if self.max_digits.data < 1 or self.share.data not in (0, 1):
            raise VerifyException(
                f"encoding.signed_digits: max_digits must be >= 1 and share 0 or 1, got {self.max_digits.data}, "
                f"{self.share.data}")

    def verify_weights(self, op_name: str, raw: np.ndarray | None) -> None:
        if raw is None:
            raise VerifyException(f"{op_name}: signed-digit weights must be a constant")
        counts = digit_counts(raw).reshape(-1)
        allowed = self.max_digits.data
        if counts.size and counts.max() > allowed:
            worst = int(np.argmax(counts))
            raise VerifyException(
                f"{op_name}: raw weight {int(np.asarray(raw).reshape(-1)[worst])} has {int(counts[worst])} "
                f"non-zero signed digits, the encoding allows {allowed}")


SPARSE_KINDS = ("mask", "nm", "block", "balanced", "complementary")
"""The structures of `SparseAttr`: any zeros, N of M, whole blocks, column-balanced,
complementary kernels."""


def weight_rows(raw: np.ndarray) -> np.ndarray:
    """The raw weights as [output channels, reduction] (the rest of the shape, in its order)."""
    raw = np.asarray(raw, np.int64)
    return raw.reshape(raw.shape[0] if raw.ndim else 1, -1)


@irdl_attr_definition
class SparseAttr(WeightEncodingAttr):
    """Two's-complement weights whose zeros sit in a structure the hardware exploits:
    `#encoding.sparse<mask>` (anywhere), `#encoding.sparse<n = 2, m = 4>` (at most N non-zeros
    in every M consecutive weights of a row), `#encoding.sparse<block = [4, 8]>` (zeros in
    whole blocks of rows x reduction; the shape divides the weight's), `#encoding.sparse<balanced = 4>`
    (every column has the same number of non-zeros in each of the P row groups r mod P),
    `#encoding.sparse<complementary = 4>` (the rows form groups of K consecutive kernels with
    pairwise disjoint supports: a column has at most one non-zero per group, so the group's
    kernels pack into one dense kernel and a routing map, see `complementary_packing`).
    ``a``/``b`` hold (N, M), (BH, BW), (P, 0), (K, 0) or (0, 0)."""

    name = "encoding.sparse"
    kind: StringAttr
    a: IntAttr
    b: IntAttr

    def __init__(self, kind: str, a: int = 0, b: int = 0):
        super().__init__(StringAttr(kind), IntAttr(a), IntAttr(b))

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            start = parser.pos
            if parser.parse_optional_keyword("mask") is not None:
                return (StringAttr("mask"), IntAttr(0), IntAttr(0))
            if parser.parse_optional_keyword("block") is not None:
                parser.parse_punctuation("=")
                dims = parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)
                if len(dims) != 2 or min(dims) < 1:
                    parser.raise_error(f"encoding.sparse: block must be [rows, cols] >= 1, got {dims}", start, parser.pos)
                return (StringAttr("block"), IntAttr(dims[0]), IntAttr(dims[1]))
            if parser.parse_optional_keyword("balanced") is not None:
                parser.parse_punctuation("=")
                pes = parser.parse_integer(allow_negative=False, allow_boolean=False)
                if pes < 1:
                    parser.raise_error(f"encoding.sparse: balanced needs >= 1 row groups, got {pes}", start, parser.pos)
                return (StringAttr("balanced"), IntAttr(pes), IntAttr(0))
            if parser.parse_optional_keyword("complementary") is not None:
                parser.parse_punctuation("=")
                kernels = parser.parse_integer(allow_negative=False, allow_boolean=False)
                if kernels < 2:
                    parser.raise_error(f"encoding.sparse: complementary needs >= 2 kernels per group, got {kernels}",
                                       start, parser.pos)
                return (StringAttr("complementary"), IntAttr(kernels), IntAttr(0))
            n = _keyword_int(parser, "n")
            parser.parse_punctuation(",")
            m = _keyword_int(parser, "m")
            if not 1 <= n < m:
                parser.raise_error(f"encoding.sparse: n:m needs 1 <= n < m, got {n}:{m}", start, parser.pos)
        return (StringAttr("nm"), IntAttr(n), IntAttr(m))

    def print_parameters(self, printer: Printer) -> None:
        kind, a, b = self.kind.data, self.a.data, self.b.data
        text = {"mask": "mask", "nm": f"n = {a}, m = {b}", "block": f"block = [{a}, {b}]", "balanced": f"balanced = {a}",
                "complementary": f"complementary = {a}"}
        printer.print_string(f"<{text[kind]}>")

    def verify(self) -> None:
        kind, a, b = self.kind.data, self.a.data, self.b.data
        ok = {"mask": a == b == 0, "nm": 1 <= a < b, "block": a >= 1 and b >= 1, "balanced": a >= 1 and b == 0,
              "complementary": a >= 2 and b == 0}
        if not ok.get(kind, False):
            raise VerifyException(f"encoding.sparse: bad structure {kind} ({a}, {b}), kinds are {', '.join(SPARSE_KINDS)}")

    def verify_weights(self, op_name: str, raw: np.ndarray | None) -> None:
        if raw is None:
            raise VerifyException(f"{op_name}: sparse weights must be a constant")
        rows = weight_rows(raw)
        problem = sparse_violation(self, rows)
        if problem:
            raise VerifyException(f"{op_name}: {problem}")


def sparse_violation(enc: SparseAttr, rows: np.ndarray) -> str:
    """Why the weights ``rows`` [outputs, reduction] break ``enc``'s structure ("" if they obey)."""
    kind, a, b = enc.kind.data, enc.a.data, enc.b.data
    n_rows, k = rows.shape
    nz = rows != 0
    if kind == "nm":
        padded = np.zeros((n_rows, -(-k // b) * b), bool)
        padded[:, :k] = nz
        counts = padded.reshape(n_rows, -1, b).sum(axis=2)
        if counts.size and counts.max() > a:
            r, g = np.unravel_index(int(np.argmax(counts)), counts.shape)
            return f"row {r} has {int(counts[r, g])} non-zeros in weights {g * b}..{g * b + b - 1}, the encoding allows {a} of {b}"
    elif kind == "block":
        if n_rows % a or k % b:
            return f"block [{a}, {b}] does not tile the [{n_rows}, {k}] weights"
    elif kind == "balanced":
        if n_rows % a:
            return f"{a} row groups do not divide the {n_rows} rows"
        counts = nz.reshape(-1, a, k).sum(axis=0)  # [group, column]
        bad = np.nonzero((counts != counts[:1]).any(axis=0))[0]
        if bad.size:
            col = int(bad[0])
            return f"column {col} has {counts[:, col].tolist()} non-zeros in the {a} row groups, they must be equal"
    elif kind == "complementary":
        if n_rows % a:
            return f"groups of {a} kernels do not divide the {n_rows} rows"
        counts = nz.reshape(-1, a, k).sum(axis=1)  # [group, column]
        if counts.size and counts.max() > 1:
            g, col = np.unravel_index(int(np.argmax(counts)), counts.shape)
            rows_hit = [int(g * a + r) for r in np.nonzero(nz[g * a:(g + 1) * a, col])[0]]
            return f"rows {rows_hit} of kernel group {g} share column {col}; complementary kernels must be disjoint"
    return ""


def complementary_packing(rows: np.ndarray, kernels: int) -> tuple[np.ndarray, np.ndarray]:
    """Complementary kernels packed: per group of ``kernels`` consecutive rows the dense kernel
    (the sum of its rows, [groups, reduction]) and the routing map (which row of the group
    owns each column, -1 for a column none uses). ``rows`` must obey the structure."""
    n_rows, k = rows.shape
    grouped = np.asarray(rows).reshape(n_rows // kernels, kernels, k)
    nz = grouped != 0
    route = np.where(nz.any(axis=1), np.argmax(nz, axis=1), -1)
    return grouped.sum(axis=1), route


def is_sparse(encoding: Attribute) -> bool:
    """Whether a weight encoding promises structured zeros the hardware plan drops."""
    return isinstance(encoding, SparseAttr)



@irdl_attr_definition
class BinaryAttr(WeightEncodingAttr):
    """Binary weights of one magnitude: every raw weight is ``+2^shift`` or ``-2^shift``:
    `#encoding.binary<shift = 0>` (raw +-1). Its bit is the sign; a product adds or
    subtracts the input (no multiplier), and with +-1 activations a dot product of length K
    is ``2 * popcount(XNOR) - K`` (`binary_complex.xnor_dense`)."""

    name = "encoding.binary"
    shift: IntAttr

    def __init__(self, shift: int = 0):
        super().__init__(IntAttr(shift))

    @property
    def shared(self) -> bool:
        """Binary weights have one digit each: no digit pattern to share."""
        return False

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            start = parser.pos
            shift = _keyword_int(parser, "shift")
            if shift > 62:
                parser.raise_error(f"encoding.binary: shift must be in [0, 62], got {shift}", start, parser.pos)
        return (IntAttr(shift),)

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<shift = {self.shift.data}>")

    def verify(self) -> None:
        if not 0 <= self.shift.data <= 62:
            raise VerifyException(f"encoding.binary: shift must be in [0, 62], got {self.shift.data}")

    def verify_weights(self, op_name: str, raw: np.ndarray | None) -> None:
        if raw is None:
            raise VerifyException(f"{op_name}: binary weights must be a constant")
        flat = np.asarray(raw, np.int64).reshape(-1)
        bad = np.abs(flat) != (1 << self.shift.data)
        if np.any(bad):
            raise VerifyException(
                f"{op_name}: raw weight {int(flat[np.argmax(bad)])} is not +-{1 << self.shift.data}, "
                f"the binary encoding's magnitude")


CODEBOOK_SCOPES = ("neuron", "layer")
"""Where a codebook applies: one per output channel (row) or one for the whole layer."""


def codebook_groups(raw: np.ndarray, scope: str) -> list[np.ndarray]:
    """The distinct raw values of each codebook group of ``raw``: one array per row for
    ``neuron``, one for the layer."""
    rows = weight_rows(raw)
    return [np.unique(r) for r in rows] if scope == "neuron" else [np.unique(rows)]


@irdl_attr_definition
class CodebookAttr(WeightEncodingAttr):
    """Clustered weights: `#encoding.codebook<k = 8, neuron>` (every output's weights take at
    most k distinct raw values) or `#encoding.codebook<k = 8, layer>` (the whole layer's do).
    The values are not stored: a group's codebook is the sorted distinct raw weights of the
    group, and a weight's index is the position of its value. A codebook output sums the
    inputs of each cluster first and multiplies each cluster sum once (k products instead of
    K); a zero value needs no product."""

    name = "encoding.codebook"
    k: IntAttr
    scope: StringAttr

    def __init__(self, k: int, scope: str = "neuron"):
        super().__init__(IntAttr(k), StringAttr(scope))

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            start = parser.pos
            k = _keyword_int(parser, "k")
            if k < 1:
                parser.raise_error(f"encoding.codebook: k must be >= 1, got {k}", start, parser.pos)
            parser.parse_punctuation(",")
            where = parser.pos
            scope = parser.parse_identifier()
            if scope not in CODEBOOK_SCOPES:
                parser.raise_error(f"encoding.codebook: scope must be neuron or layer, got '{scope}'", where, parser.pos)
        return (IntAttr(k), StringAttr(scope))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<k = {self.k.data}, {self.scope.data}>")

    def verify(self) -> None:
        if self.k.data < 1 or self.scope.data not in CODEBOOK_SCOPES:
            raise VerifyException(f"encoding.codebook: k must be >= 1 and the scope neuron or layer, got "
                                  f"{self.k.data}, '{self.scope.data}'")

    def verify_weights(self, op_name: str, raw: np.ndarray | None) -> None:
        if raw is None:
            raise VerifyException(f"{op_name}: codebook weights must be a constant")
        for g, values in enumerate(codebook_groups(raw, self.scope.data)):
            if values.size > self.k.data:
                where = f"output {g}" if self.scope.data == "neuron" else "the layer"
                raise VerifyException(f"{op_name}: {where} has {values.size} distinct raw weights, the codebook "
                                      f"allows {self.k.data}")


def is_codebook(encoding: Attribute) -> bool:
    """Whether a weight encoding is a clustered codebook (cluster sums, then k products)."""
    return isinstance(encoding, CodebookAttr)


ENCODING = Dialect("encoding", [], [TwosComplementAttr, SignedDigitsAttr, SparseAttr, BinaryAttr, CodebookAttr])
