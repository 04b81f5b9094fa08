"""`pot-quant-quantize`: power-of-two / signed-digit quantization of dense and conv weights.

Runs on the nn level (after `nn-cleanup`, so batch norms are already folded). Every weight
of an `AffineWeights` layer (`nn.dense`, `nn.conv`) that is an `nn.constant` becomes a
`pot_quant.weights` whose values are sums of at most ``terms`` signed powers of two
(terms = 1: power of two):

* scale: a power of two ``2^s`` per tensor, or per output channel with ``per_channel``;
  s is the candidate (``ceil(log2 max|w|)`` or one below it) with the smaller squared error.
* codebook, relative to the scale: ``{sum of <= terms digits +-2^e, e in [min_exponent, 0],
  distinct e}``, plus 0 with ``zero_code``. A ``bits``-bit digit code is a sign bit and a
  (bits-1)-bit exponent field with one code kept for zero, so by default
  ``min_exponent = -(2^(bits-1) - 2)`` (bits = 4: exponents 0 ... -6), one lower without a
  zero code.
* rounding: ``nearest`` takes the nearest codebook value (ties to the smaller magnitude);
  ``log`` rounds in the log domain, digit by digit on the residual (
  e = round(log2|r|), the decision boundary between 2^k and 2^(k+1) at 2^(k+1/2)); a
  residual below ``2^(min_exponent - 1)`` (``zero_threshold`` when given) ends the weight.
  Without a zero code every digit is used (there is no code for an absent digit): a power of
  two takes the exponent nearest in the log domain, and several digits take the nearest
  codebook value (digit-by-digit rounding could flip the sign of a small weight).
* compensation: a layer carrying `pot_quant.input_moment` (the second moment H = E[x x^T] of
  its inputs on the calibration data, recorded by `nncc.compiler.analysis.calibrate`) has its weight
  columns rounded in order, each column's error carried into the columns not rounded yet
  through the inverse of H (GPTQ, Frantar et al. 2023), so that the layer's output on
  the calibration data moves as little as possible; the rounding rule above picks each code.
  The attribute is consumed (removed) by the pass; `compensate=false` ignores it.

The error against the float weights (rms, max, relative rms) is recorded on every
`pot_quant.weights` (`pot_quant.error`, with the relative output error when the moment is
known) with the compensation used (`pot_quant.compensation`). A layer whose op carries a
`pot_quant.options` dictionary uses those values instead of the pass options (keys: bits,
terms, min_exponent, per_channel, zero_code, compensate, enabled = 0 to leave the layer
alone).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, DictionaryAttr, FloatAttr, IntegerAttr, ModuleOp, StringAttr, f64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import nn
from nncc.dialects.dense import from_dense
from nncc.dialects.interfaces import AffineWeights
from nncc.dialects.pot_quant import COMPENSATION_ATTR, ERROR_ATTR, MOMENT_ATTR, WeightsOp

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

    @functools.lru_cache(maxsize=64)
    def codebook(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sorted relative values and, per value, its digits ``(signs, exponents)`` [n, terms]
        (the representation with the fewest digits). Cached: callers must not modify them."""
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


def _choose_scales(groups: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Scale exponent of every row of ``groups``: ``ceil(log2 max|w|)`` or one below it,
    whichever rounds the row with the smaller squared error."""
    scales = np.zeros(groups.shape[0], np.int64)
    for g, row in enumerate(groups):
        peak = float(np.max(np.abs(row))) if row.size else 0.0
        top = math.ceil(math.log2(peak)) if peak > 0 else 0
        best = None
        for s in (top - 1, top):
            sg, ex = quantize_relative(row / 2.0**s, scheme)
            err = float(np.sum((np.sum(sg * np.ldexp(1.0, ex + s), axis=-1) - row) ** 2))
            if best is None or err < best[0]:
                best = (err, s)
        scales[g] = best[1]
    return scales


def _compensated(rows: np.ndarray, row_scale: np.ndarray, moment: np.ndarray, scheme: Scheme,
                 damping: float) -> tuple[np.ndarray, np.ndarray] | None:
    """GPTQ-style rounding of ``rows`` [M, K] whose inputs have the second moment ``moment``
    [K, K]: columns are rounded in order and each column's rounding error is carried into the
    columns not rounded yet, weighted by the upper Cholesky factor U of the inverse moment
    (``w[:, j+1:] -= (err_j / U_jj) * U[j, j+1:]``), which minimizes the error of the layer's
    output rather than of its weights. Inputs that are always zero keep plain rounding.
    Returns ``(signs, relative exponents)`` or None when the moment is not usable."""
    h = np.array(moment, np.float64)
    diag = np.diag(h).copy()
    dead = diag <= 0
    if np.all(dead) or not np.all(np.isfinite(h)):
        return None
    h[dead, :] = 0.0
    h[:, dead] = 0.0
    h[dead, dead] = 1.0
    h += damping * float(np.mean(diag[~dead])) * np.eye(len(h))
    try:
        upper = np.linalg.cholesky(np.linalg.inv(h)).T
    except np.linalg.LinAlgError:
        return None
    w = np.array(rows, np.float64)
    unit = np.ldexp(1.0, row_scale)
    signs = np.zeros(rows.shape + (scheme.terms,), np.int64)
    exps = np.zeros(rows.shape + (scheme.terms,), np.int64)
    for j in range(w.shape[1]):
        sg, ex = quantize_relative(w[:, j] / unit, scheme)
        signs[:, j], exps[:, j] = sg, ex
        q = np.sum(sg * np.ldexp(1.0, ex), axis=-1) * unit
        err = (w[:, j] - q) / upper[j, j]
        w[:, j + 1:] -= np.outer(err, upper[j, j + 1:])
    return signs, exps


def quantize_weights(w: np.ndarray, scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(signs, absolute exponents, scale exponents)`` of a weight tensor (axis 0 = output
    channels), every weight rounded on its own."""
    return quantize_layer(w, scheme)[:3]


def quantize_layer(w: np.ndarray, scheme: Scheme, moment: np.ndarray | None = None,
                   damping: float = 0.01) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``(signs, absolute exponents, scale exponents, compensated)`` of a weight tensor (axis 0 =
    output channels). With ``moment`` ([groups, K, K], see MOMENT_ATTR; rows of group g are the
    g-th block of output channels) rounding errors are compensated (`_compensated`);
    ``damping`` is added to the moment's diagonal as a fraction of its mean."""
    rows = w.reshape(w.shape[0], -1)
    per_row = rows if scheme.per_channel else rows.reshape(1, -1)
    scales = _choose_scales(per_row, scheme)
    row_scale = scales if scheme.per_channel else np.full(rows.shape[0], scales[0])
    compensated = None
    if moment is not None and rows.size:
        groups = moment.shape[0]
        if moment.shape[1:] != (rows.shape[1], rows.shape[1]) or rows.shape[0] % groups:
            raise ValueError(f"input moment {list(moment.shape)} does not match weights {list(w.shape)}")
        per_group = rows.shape[0] // groups
        parts = [_compensated(rows[g * per_group:(g + 1) * per_group], row_scale[g * per_group:(g + 1) * per_group],
                              moment[g], scheme, damping) for g in range(groups)]
        if all(p is not None for p in parts):
            compensated = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    if compensated is None:
        sg, ex = quantize_relative(rows / np.ldexp(1.0, row_scale)[:, None], scheme)
    else:
        sg, ex = compensated
    exps = np.where(sg != 0, ex + row_scale[:, None, None], 0)
    shape = w.shape + (scheme.terms,)
    return sg.reshape(shape), exps.reshape(shape), scales, compensated is not None


@dataclass(frozen=True)
class PotQuantQuantizePass(ModulePass):
    """Quantize dense/conv weights to power-of-two or k-term signed-digit codes.

    Options: `bits` (digit code width, >= 2), `terms` (signed digits per weight, 1 = PoT),
    `min_exponent` (lowest exponent relative to the scale; default from `bits`),
    `per_channel` (one power-of-two scale per output channel), `zero_code` (keep a code for
    0), `rounding` (`nearest` or `log`), `zero_threshold` (log rounding: residuals below it,
    relative to the scale, become 0; default 2^(min_exponent - 1)), `compensate` (use a
    layer's `pot_quant.input_moment` to compensate rounding errors, GPTQ-style; layers without
    one are rounded weight by weight), `damping` (added to the moment's diagonal, as a fraction
    of its mean).
    """

    name = "pot-quant-quantize"

    bits: int = 4
    terms: int = 1
    min_exponent: int | None = None
    per_channel: bool = False
    zero_code: bool = True
    rounding: str = "nearest"
    zero_threshold: float | None = None
    compensate: bool = True
    damping: float = 0.01

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
        for layer in [o for o in op.walk() if isinstance(o, AffineWeights)]:
            moment = layer.attributes.pop(MOMENT_ATTR, None)
            override = _override(layer)
            if not override.get("enabled", 1):
                continue
            try:
                scheme = self.scheme(override)
            except ValueError as err:
                raise PassFailedException(f"{err} (layer {_layer_name(layer)})") from None
            const = layer.weight_operand().owner
            if not isinstance(const, nn.ConstantOp):
                continue  # already coded, or a run-time weight
            w = np.asarray(from_dense(const.value), np.float64)
            h = np.asarray(from_dense(moment), np.float64) if isinstance(moment, DenseIntOrFPElementsAttr) else None
            for what, values in (("weights", w), ("input moments", h)):
                if values is not None and not np.isfinite(values).all():
                    raise PassFailedException(f"pot-quant-quantize: {what} of {_layer_name(layer)} have NaN or Inf values")
            try:
                signs, exps, scales, compensated = quantize_layer(
                    w, scheme, h if self.compensate and bool(override.get("compensate", 1)) else None, self.damping)
            except ValueError as err:
                raise PassFailedException(f"pot-quant-quantize: {err} (layer {_layer_name(layer)})") from None
            if np.any(np.abs(exps) > 127):
                raise PassFailedException(
                    f"pot-quant-quantize: weights of {_layer_name(layer)} need exponents beyond +-127")
            coded = WeightsOp(signs, exps, scales, scheme.bits, scheme.min_exponent, scheme.zero_code,
                              const.output.type.element_type)
            q = coded.values()
            diff = q - w
            norm = float(np.sqrt(np.mean(w**2))) if w.size else 0.0
            rms = float(np.sqrt(np.mean(diff**2))) if w.size else 0.0
            error = {
                "max": FloatAttr(float(np.max(np.abs(diff))) if w.size else 0.0, f64),
                "relative_rms": FloatAttr(rms / norm if norm else 0.0, f64),
                "rms": FloatAttr(rms, f64),
            }
            if h is not None:
                error["output_relative_rms"] = FloatAttr(_output_error(w, q, h), f64)
            coded.attributes[ERROR_ATTR] = DictionaryAttr(error)
            coded.attributes[COMPENSATION_ATTR] = StringAttr("gptq" if compensated else "none")
            coded.location = const.location
            const.parent_block().insert_op_before(coded, const)
            # the constant may be shared: only this layer reads the coded copy
            layer.replace_weight(coded.output)
            if not const.output.uses:
                const.detach()
                const.erase()


def _output_error(w: np.ndarray, q: np.ndarray, h: np.ndarray) -> float:
    """rms of the output error (q - w) x over rms of the output w x, for inputs x with the
    second moment ``h`` [groups, K, K]: sqrt(tr(D H D^T) / tr(W H W^T)) summed over groups."""
    rows_w = w.reshape(w.shape[0], -1)
    rows_d = (q - w).reshape(w.shape[0], -1)
    per_group = rows_w.shape[0] // h.shape[0]
    num = den = 0.0
    for g in range(h.shape[0]):
        part = slice(g * per_group, (g + 1) * per_group)
        num += float(np.sum((rows_d[part] @ h[g]) * rows_d[part]))
        den += float(np.sum((rows_w[part] @ h[g]) * rows_w[part]))
    return math.sqrt(max(num, 0.0) / den) if den > 0 else 0.0


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
