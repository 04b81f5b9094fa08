"""`pot-quant-quantize`: power-of-two / signed-digit quantization of dense and conv weights.

Runs on the nn level (after `nn-cleanup`, so batch norms are already folded). Every
`nn.dense` / `nn.conv` weight that is an `nn.constant` becomes a `pot_quant.weights` whose
values are sums of at most ``terms`` signed powers of two (terms = 1: power of two):

* scale: a power of two ``2^s`` per tensor, or per output channel with ``per_channel``;
  s is the candidate (``ceil(log2 max|w|)`` or one below it) with the smaller squared error.
* codebook, relative to the scale: ``{sum of <= terms digits +-2^e, e in [min_exponent, 0],
  distinct e}``, plus 0 with ``zero_code``. A ``bits``-bit digit code is a sign bit and a
  (bits-1)-bit exponent field with one code kept for zero, so by default
  ``min_exponent = -(2^(bits-1) - 2)`` (bits = 4: exponents 0 ... -6), one lower without a
  zero code.
* rounding: ``nearest`` takes the nearest codebook value (ties to the smaller magnitude);
  ``log`` rounds in the log domain, digit by digit on the residual (ALGORITHMS.md §4.1:
  e = round(log2|r|), the decision boundary between 2^k and 2^(k+1) at 2^(k+1/2)); a
  residual below ``2^(min_exponent - 1)`` (``zero_threshold`` when given) ends the weight.
  Without a zero code every digit is used (there is no code for an absent digit): a power of
  two takes the exponent nearest in the log domain, and several digits take the nearest
  codebook value (digit-by-digit rounding could flip the sign of a small weight).

The error against the float weights (rms, max, relative rms) is recorded on every
`pot_quant.weights` (`pot_quant.error`). A layer whose op carries a `pot_quant.options`
dictionary uses those values instead of the pass options (keys: bits, terms, min_exponent,
per_channel, zero_code, enabled = 0 to leave the layer alone).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, f64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import nn
from nncc.dialects.dense import from_dense
from nncc.dialects.pot_quant import ERROR_ATTR, WeightsOp

OPTIONS_ATTR = "pot_quant.options"
"""Per-layer override of the `pot-quant-quantize` options (a dictionary, from the config)."""

ROUNDINGS = ("nearest", "log")


@dataclass(frozen=True)
class Scheme:
    """One layer's quantization scheme."""

    bits: int
    terms: int
    min_exponent: int
    per_channel: bool
    zero_code: bool
    rounding: str
    zero_threshold: float

    def codebook(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sorted relative values and, per value, its digits ``(signs, exponents)`` [n, terms]
        (the representation with the fewest digits)."""
        exps = range(self.min_exponent, 1)
        best: dict[float, tuple[int, tuple, tuple]] = {}
        if self.zero_code:
            best[0.0] = (0, (0,) * self.terms, (0,) * self.terms)
        for n in range(1, self.terms + 1) if self.zero_code else (self.terms,):
            for chosen in itertools.combinations(exps, n):
                for signs in itertools.product((1, -1), repeat=n):
                    value = float(sum(s * 2.0**e for s, e in zip(signs, chosen)))
                    if value not in best or best[value][0] > n:
                        pad = self.terms - n
                        best[value] = (n, tuple(signs) + (0,) * pad, tuple(chosen) + (0,) * pad)
        values = np.array(sorted(best), np.float64)
        signs = np.array([best[v][1] for v in values], np.int64).reshape(len(values), self.terms)
        digits = np.array([best[v][2] for v in values], np.int64).reshape(len(values), self.terms)
        return values, signs, digits


def _nearest(values: np.ndarray, book: np.ndarray) -> np.ndarray:
    """Index of the nearest codebook entry (ties to the smaller magnitude)."""
    hi = np.clip(np.searchsorted(book, values), 1, len(book) - 1)
    lo = hi - 1
    d_lo, d_hi = values - book[lo], book[hi] - values
    pick_hi = (d_hi < d_lo) | ((d_hi == d_lo) & (np.abs(book[hi]) < np.abs(book[lo])))
    return np.where(pick_hi, hi, lo)


def quantize_relative(w: np.ndarray, scheme: Scheme) -> tuple[np.ndarray, np.ndarray]:
    """Digits ``(signs, relative exponents)`` [..., terms] of weights already divided by the scale."""
    if scheme.rounding == "nearest" or (not scheme.zero_code and scheme.terms > 1):
        book, signs, exps = scheme.codebook()
        idx = _nearest(w.reshape(-1), book)
        return signs[idx].reshape(w.shape + (scheme.terms,)), exps[idx].reshape(w.shape + (scheme.terms,))
    signs = np.zeros(w.shape + (scheme.terms,), np.int64)
    exps = np.zeros(w.shape + (scheme.terms,), np.int64)
    residual = w.astype(np.float64).copy()
    used = np.zeros(w.shape + (scheme.terms,), bool)
    candidates = np.arange(scheme.min_exponent, 1)
    for t in range(scheme.terms):
        mag = np.abs(residual)
        log_mag = np.log2(np.where(mag > 0, mag, 2.0 ** (scheme.min_exponent - 1)))
        if scheme.zero_code:
            alive = mag >= scheme.zero_threshold
            e = np.clip(np.rint(log_mag), scheme.min_exponent, 0)
            # an exponent already used by this weight cannot repeat: that digit stays empty
            for prev in range(t):
                alive &= ~(used[..., prev] & (exps[..., prev] == e))
        else:
            # no zero code: every digit is used, at the unused exponent nearest in the log domain
            alive = np.ones(mag.shape, bool)
            dist = np.abs(log_mag[..., None] - candidates)
            for prev in range(t):
                dist = np.where(exps[..., prev, None] == candidates, np.inf, dist)
            e = candidates[np.argmin(dist, axis=-1)]
        s = np.where(residual < 0, -1, 1)
        signs[..., t] = np.where(alive, s, 0)
        exps[..., t] = np.where(alive, e, 0)
        used[..., t] = alive
        residual = residual - np.where(alive, s * np.ldexp(1.0, e.astype(np.int64)), 0.0)
    return signs, exps


def quantize_weights(w: np.ndarray, scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(signs, absolute exponents, scale exponents)`` of a weight tensor (axis 0 = output channels)."""
    groups = w.reshape(w.shape[0], -1) if scheme.per_channel else w.reshape(1, -1)
    signs = np.zeros(groups.shape + (scheme.terms,), np.int64)
    exps = np.zeros(groups.shape + (scheme.terms,), np.int64)
    scales = np.zeros(groups.shape[0], np.int64)
    for g, row in enumerate(groups):
        peak = float(np.max(np.abs(row))) if row.size else 0.0
        top = math.ceil(math.log2(peak)) if peak > 0 else 0
        best = None
        for s in (top - 1, top):
            sg, ex = quantize_relative(row / 2.0**s, scheme)
            q = np.sum(sg * np.ldexp(1.0, ex + s), axis=-1)
            err = float(np.sum((q - row) ** 2))
            if best is None or err < best[0]:
                best = (err, s, sg, ex)
        _, s, sg, ex = best
        signs[g], exps[g], scales[g] = sg, np.where(sg != 0, ex + s, 0), s
    shape = w.shape + (scheme.terms,)
    return signs.reshape(shape), exps.reshape(shape), scales


@dataclass(frozen=True)
class PotQuantQuantizePass(ModulePass):
    """Quantize dense/conv weights to power-of-two or k-term signed-digit codes.

    Options: `bits` (digit code width, >= 2), `terms` (signed digits per weight, 1 = PoT),
    `min_exponent` (lowest exponent relative to the scale; default from `bits`),
    `per_channel` (one power-of-two scale per output channel), `zero_code` (keep a code for
    0), `rounding` (`nearest` or `log`), `zero_threshold` (log rounding: residuals below it,
    relative to the scale, become 0; default 2^(min_exponent - 1)).
    """

    name = "pot-quant-quantize"

    bits: int = 4
    terms: int = 1
    min_exponent: int | None = None
    per_channel: bool = False
    zero_code: bool = True
    rounding: str = "nearest"
    zero_threshold: float | None = None

    def __post_init__(self):
        self.scheme({})

    def scheme(self, override: dict) -> Scheme:
        """The scheme for one layer: the pass options updated by ``override``; raises
        ValueError with the bad value."""
        bits = int(override.get("bits", self.bits))
        terms = int(override.get("terms", self.terms))
        zero_code = bool(override.get("zero_code", self.zero_code))
        per_channel = bool(override.get("per_channel", self.per_channel))
        if bits < 2 or bits > 8:
            raise ValueError(f"pot-quant-quantize: bits must be in [2, 8], got {bits}")
        if terms < 1 or terms > 4:
            raise ValueError(f"pot-quant-quantize: terms must be in [1, 4], got {terms}")
        levels = (1 << (bits - 1)) - (1 if zero_code else 0)
        default_low = -(levels - 1)
        low = override.get("min_exponent", self.min_exponent)
        low = default_low if low is None else int(low)
        if low > 0 or low < default_low:
            raise ValueError(
                f"pot-quant-quantize: min_exponent {low} does not fit a {bits}-bit code "
                f"(range [{default_low}, 0]{' with a zero code' if zero_code else ''})")
        if terms > 1 - low:
            raise ValueError(f"pot-quant-quantize: {terms} distinct digits need at least {terms} exponents, "
                             f"min_exponent {low} gives {1 - low}")
        rounding = str(override.get("rounding", self.rounding))
        if rounding not in ROUNDINGS:
            raise ValueError(f"pot-quant-quantize: rounding must be one of {', '.join(ROUNDINGS)}, got {rounding!r}")
        threshold = override.get("zero_threshold", self.zero_threshold)
        threshold = 2.0 ** (low - 1) if threshold is None else float(threshold)
        if threshold < 0:
            raise ValueError(f"pot-quant-quantize: zero_threshold must be >= 0, got {threshold}")
        return Scheme(bits, terms, low, per_channel, zero_code, rounding, threshold)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for layer in [o for o in op.walk() if isinstance(o, (nn.DenseOp, nn.ConvOp))]:
            override = _override(layer)
            if not override.get("enabled", 1):
                continue
            try:
                scheme = self.scheme(override)
            except ValueError as err:
                raise PassFailedException(f"{err} (layer {_layer_name(layer)})") from None
            const = layer.weight.owner
            if not isinstance(const, nn.ConstantOp):
                continue  # already coded, or a run-time weight
            w = np.asarray(from_dense(const.value), np.float64)
            signs, exps, scales = quantize_weights(w, scheme)
            if np.any(np.abs(exps) > 127):
                raise PassFailedException(
                    f"pot-quant-quantize: weights of {_layer_name(layer)} need exponents beyond +-127")
            coded = WeightsOp(signs, exps, scales, scheme.bits, scheme.min_exponent, scheme.zero_code,
                              const.output.type.element_type)
            q = coded.values()
            diff = q - w
            norm = float(np.sqrt(np.mean(w**2))) if w.size else 0.0
            rms = float(np.sqrt(np.mean(diff**2))) if w.size else 0.0
            coded.attributes[ERROR_ATTR] = DictionaryAttr({
                "max": FloatAttr(float(np.max(np.abs(diff))) if w.size else 0.0, f64),
                "relative_rms": FloatAttr(rms / norm if norm else 0.0, f64),
                "rms": FloatAttr(rms, f64),
            })
            coded.location = const.location
            const.parent_block().insert_op_before(coded, const)
            # the constant may be shared: only this layer reads the coded copy
            layer.operands[1] = coded.output
            if not const.output.uses:
                const.detach()
                const.erase()


def _override(layer: Operation) -> dict:
    attr = layer.attributes.get(OPTIONS_ATTR)
    if not isinstance(attr, DictionaryAttr):
        return {}
    out = {}
    for key, value in attr.data.items():
        if isinstance(value, IntegerAttr):
            out[key] = value.value.data
        elif isinstance(value, FloatAttr):
            out[key] = value.value.data
        elif hasattr(value, "data"):
            out[key] = value.data
    return out


def _layer_name(layer: Operation) -> str:
    loc = str(layer.location) if layer.location is not None else ""
    return loc if loc and loc != "loc(unknown)" else layer.name
