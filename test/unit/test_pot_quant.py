"""pot_quant: canonical signed digits, the power-of-two / signed-digit quantizer, log-aware
pruning, the shift-and-add rewrite (bit-exact against the fixed-point interpreter, and the
term plans the back ends build from it), the emitted code (no multiplications) and the
`nncc compile` options and config keys.

The quantizer is checked against brute force over an independently enumerated codebook:
relative to the power-of-two scale, the values of at most ``terms`` signed digits
``+-2^e`` with distinct ``e`` in [min_exponent, 0] (plus 0 with a zero code). Without a zero
code every digit is used (a digit has no code for "absent"), so nearest rounding picks among
the values of exactly ``terms`` digits.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import f32
from xdsl.utils.exceptions import PassFailedException

import nncc
from nncc.compiler.api import import_model, parse_mlir
from nncc.compiler.analysis.calibrate import calibrate, record_input_moments
from nncc.compiler.config import CompileOptions
from nncc.compiler.context import make_context
from nncc.compiler.flow import layer_name
from nncc.compiler.pipelines import build_nn_pot_quant, build_nn_to_emit, run_passes
from nncc.dialects import fixed, nn
from nncc.dialects.emit import NAME_ATTR
from nncc.dialects.dense import from_dense
from nncc.dialects.pot_quant import (
    COMPENSATION_ATTR,
    ERROR_ATTR,
    MOMENT_ATTR,
    SHIFT_LAYERS,
    SPARSITY_ATTR,
    ShiftConvOp,
    ShiftDenseOp,
    WeightsOp,
    csd,
    digit_value,
    pattern,
    term_plan,
)
from nncc.passes.pot_quant_prune import PotQuantPrunePass
from nncc.passes.pot_quant_quantize import PotQuantQuantizePass, quantize_layer, quantize_relative, quantize_weights
from nncc.runtime.fixed_interpreter import FIXED_IMPLS, run_fixed

FIXTURES = Path(__file__).parent.parent / "fixtures"
MLP = FIXTURES / "mlp.onnx"
CNN = FIXTURES / "cnn.onnx"
BIN = Path(sys.executable).parent
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16)}

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


# ---------------------------------------------------------------------------------------
# canonical signed digits


def test_csd_reconstructs_and_is_non_adjacent():
    rng = np.random.default_rng(1)
    values = np.concatenate([np.arange(-1100, 1100), rng.integers(-(2**40), 2**40, 3000),
                             [2**62 - 1, -(2**62), 2**61 + 1, -3, 3, 5, 7, 11]]).astype(np.int64)
    signs, shifts = csd(values)
    assert signs.shape == shifts.shape == values.shape + (signs.shape[-1],)
    assert np.array_equal(digit_value(signs, shifts), values)
    assert set(np.unique(signs)) <= {-1, 0, 1}
    assert np.all(shifts[signs == 0] == 0), "unused slots have shift 0"
    for s, p in zip(signs, shifts):
        used = np.sort(p[s != 0])
        assert np.all(np.diff(used) >= 2), f"adjacent non-zero digits at {used}"
    # non-adjacent form is unique and minimal: never more digits than the binary ones
    counts = np.sum(signs != 0, axis=-1)
    popcounts = np.array([bin(abs(int(v))).count("1") for v in values])
    assert np.all(counts <= popcounts)
    assert counts[values == 2**62 - 1][0] == 2  # 2^62 - 2^0


def test_csd_shapes_and_zero():
    signs, shifts = csd(np.zeros((2, 3), np.int64))
    assert signs.shape == (2, 3, 1) and not signs.any() and not shifts.any()
    raw = np.array([[[7, -6], [0, 85]]])
    signs, shifts = csd(raw)
    assert signs.shape == (1, 2, 2, 4)  # 85 = 2^0 + 2^2 + 2^4 + 2^6 needs four slots
    assert np.array_equal(digit_value(signs, shifts), raw)


def test_pattern_splits_weight_into_sign_shift_and_normalized_digits():
    rng = np.random.default_rng(2)
    for raw in rng.integers(-5000, 5000, 300):
        signs, shifts = csd(np.array([raw]))
        sign, shift, p = pattern(signs[0], shifts[0])
        if raw == 0:
            assert (sign, shift, p) == (0, 0, ())
            continue
        assert sign in (1, -1) and p[0][1] == 0 and p[-1][0] == 1
        assert sign * (sum(s << q for s, q in p) << shift) == raw


# ---------------------------------------------------------------------------------------
# the quantizer


def _scheme(**options):
    return PotQuantQuantizePass(**options).scheme({})


@functools.cache
def _book(low: int, terms: int, zero_code: bool) -> np.ndarray:
    """Relative codebook values, enumerated independently of the pass (see the module doc)."""
    values = {0.0} if zero_code else set()
    for n in range(1, terms + 1) if zero_code else (terms,):
        for exps in itertools.combinations(range(low, 1), n):
            for signs in itertools.product((1, -1), repeat=n):
                values.add(math.fsum(s * 2.0**e for s, e in zip(signs, exps)))
    return np.array(sorted(values))


def _any_digits_book(low: int, terms: int) -> set[float]:
    """Every value of at most ``terms`` distinct signed digits (the widest reading)."""
    return set(_book(low, terms, True)) | {v for n in range(1, terms + 1) for v in _book(low, n, False)}


def _weights(rng, shape, spread=6.0):
    """Random weights over a wide dynamic range, with a few exact zeros and tiny values."""
    w = rng.standard_normal(shape) * 2.0 ** rng.uniform(-spread, 0, shape)
    flat = w.reshape(-1)
    flat[rng.choice(flat.size, max(1, flat.size // 10), replace=False)] = 0.0
    flat[rng.choice(flat.size, max(1, flat.size // 10), replace=False)] *= 1e-4
    return w * 2.0 ** rng.integers(-4, 4)


def _groups(w, per_channel):
    return w.reshape(w.shape[0], -1) if per_channel else w.reshape(1, -1)


SCHEMES = [
    dict(bits=b, terms=t, zero_code=z, rounding=r, per_channel=c)
    for b, t in ((3, 1), (4, 1), (5, 1), (3, 2), (4, 2), (4, 3), (5, 2))
    for z in (True, False)
    for r in ("nearest", "log")
    for c in (False, True)
]


@pytest.mark.parametrize("options", SCHEMES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_every_quantized_value_is_in_the_codebook(options):
    rng = np.random.default_rng(SCHEMES.index(options))
    scheme = _scheme(**options)
    for shape in ((6, 10), (3, 2, 3, 3)):
        w = _weights(rng, shape)
        signs, exps, scales = quantize_weights(w, scheme)
        assert signs.shape == exps.shape == shape + (scheme.terms,)
        assert scales.shape == ((shape[0],) if scheme.per_channel else (1,))
        scale = scales.reshape((-1,) + (1,) * len(shape))
        nonzero = signs != 0
        assert set(np.unique(signs)) <= {-1, 0, 1}
        assert np.all(exps[~nonzero] == 0), "absent digits have exponent 0"
        rel = np.where(nonzero, exps - scale, 0)
        assert rel.min() >= scheme.min_exponent and rel.max() <= 0
        count = nonzero.sum(axis=-1)
        assert count.max() <= scheme.terms
        if not scheme.zero_code:
            assert count.min() >= 1
        for s, e in zip(signs.reshape(-1, scheme.terms), exps.reshape(-1, scheme.terms)):
            used = e[s != 0]
            assert len(set(used.tolist())) == len(used), "a weight repeats an exponent"
        q = np.sum(signs * np.ldexp(1.0, exps), axis=-1)
        book = _any_digits_book(scheme.min_exponent, scheme.terms)
        relative = (q / 2.0**scale.reshape(scale.shape[:1] + (1,) * (len(shape) - 1))).reshape(-1)
        outside = [v for v in relative if v not in book]
        assert not outside
        if not scheme.zero_code:
            assert np.all(q != 0)
        coded = WeightsOp(signs, exps, scales, scheme.bits, scheme.min_exponent, scheme.zero_code, f32)
        coded.verify()
        assert np.array_equal(coded.values(), q)


@pytest.mark.parametrize("terms", [1, 2, 3])
@pytest.mark.parametrize("zero_code", [True, False])
@pytest.mark.parametrize("per_channel", [False, True])
def test_nearest_rounding_is_optimal(terms, zero_code, per_channel):
    scheme = _scheme(bits=4, terms=terms, zero_code=zero_code, per_channel=per_channel)
    book = _book(scheme.min_exponent, terms, zero_code)
    for seed in range(4):
        rng = np.random.default_rng(100 + seed)
        w = _weights(rng, (5, 12), spread=4.0 + 2 * seed)
        signs, exps, scales = quantize_weights(w, scheme)
        q = np.sum(signs * np.ldexp(1.0, exps), axis=-1)
        for row, qrow, s in zip(_groups(w, per_channel), _groups(q, per_channel), scales):
            # every weight is a nearest codebook value at the chosen scale
            best = np.min(np.abs(row[:, None] - book[None, :] * 2.0**s), axis=1)
            assert np.all(np.abs(row - qrow) <= best * (1 + 1e-12))
            # and the chosen scale is the better of the two candidates
            errors = {}
            top = math.ceil(math.log2(np.max(np.abs(row))))
            for cand in (top - 1, top):
                nearest = np.min(np.abs(row[:, None] - book[None, :] * 2.0**cand), axis=1)
                errors[cand] = float(np.sum(nearest**2))
            assert s in errors
            assert errors[s] <= min(errors.values()) * (1 + 1e-12)


def test_log_rounding_worked_example():
    """Worked example of 4-bit log quantization: b = 4, s = 0.8, w~ = [1, -0.36, 0.0625, 0.005]."""
    relative = np.array([1.0, -0.36, 0.0625, 0.005])
    signs, exps = quantize_relative(relative, _scheme(rounding="log"))
    assert signs[:, 0].tolist() == [1, -1, 1, 0]
    assert exps[:, 0].tolist() == [0, -1, -4, 0]
    q = 0.8 * np.sum(signs * np.ldexp(1.0, exps), axis=-1)
    assert np.allclose(q, [0.8, -0.4, 0.05, 0.0], rtol=0, atol=1e-15)
    # linear-nearest rounding sends -0.36 to -0.25 instead
    signs, exps = quantize_relative(relative, _scheme(rounding="nearest"))
    assert np.sum(signs * np.ldexp(1.0, exps), axis=-1).tolist() == [1.0, -0.25, 0.0625, 0.0]
    # the weights themselves (the pass's scales are powers of two: 2^0 here)
    w = np.array([[0.8, -0.288, 0.05, 0.004]])
    for rounding in ("log", "nearest"):
        signs, exps, scales = quantize_weights(w, _scheme(rounding=rounding))
        assert scales.tolist() == [0]
        assert np.sum(signs * np.ldexp(1.0, exps), axis=-1).tolist() == [[1.0, -0.25, 0.0625, 0.0]]


@pytest.mark.parametrize("k", [0, -1, -2, -3, -4, -5])
def test_decision_boundaries(k):
    """log: between 2^(k-1) and 2^k at 2^(k-1/2); nearest: at 1.5 * 2^(k-1)."""
    eps = 1e-9

    def one(values, rounding):
        signs, exps = quantize_relative(np.array(values), _scheme(rounding=rounding))
        return np.sum(signs * np.ldexp(1.0, exps), axis=-1).tolist()

    low, high = 2.0 ** (k - 1), 2.0**k
    log_mid, lin_mid = 2.0 ** (k - 0.5), 1.5 * low
    assert one([log_mid * (1 - eps), log_mid * (1 + eps), -log_mid * (1 + eps)], "log") == [low, high, -high]
    assert one([lin_mid * (1 - eps), lin_mid * (1 + eps), -lin_mid * (1 - eps)], "nearest") == [low, high, -low]
    assert one([lin_mid], "nearest") == [low]  # a tie goes to the smaller magnitude


@pytest.mark.parametrize("rounding", ["nearest", "log"])
@pytest.mark.parametrize("terms", [1, 2, 3])
@pytest.mark.parametrize("per_channel", [False, True])
def test_without_zero_code_no_weight_is_zero(rounding, terms, per_channel):
    rng = np.random.default_rng(7)
    w = _weights(rng, (4, 9), spread=12.0)
    w[0, :4] = 0.0
    w[1] = 0.0  # a whole channel of zeros
    w[2, :3] = [1e-9, -1e-9, 2.0**-40]
    scheme = _scheme(bits=4, terms=terms, zero_code=False, rounding=rounding, per_channel=per_channel)
    signs, exps, scales = quantize_weights(w, scheme)
    assert np.all(np.any(signs != 0, axis=-1))
    q = np.sum(signs * np.ldexp(1.0, exps), axis=-1)
    assert np.all(q != 0)
    assert np.all(np.sign(q[2, :2]) == [1, -1])
    WeightsOp(signs, exps, scales, 4, scheme.min_exponent, False, f32).verify()


def test_per_channel_scales_follow_each_output_channel():
    rng = np.random.default_rng(11)
    base = rng.standard_normal((1, 3, 3, 3))
    w = np.concatenate([base * 2.0 ** (-3 * c) for c in range(4)])  # conv weights, 4 output channels
    for rounding in ("nearest", "log"):
        for terms in (1, 2):
            chan = _scheme(per_channel=True, rounding=rounding, terms=terms)
            signs, exps, scales = quantize_weights(w, chan)
            assert scales.shape == (4,)
            assert np.diff(scales).tolist() == [-3, -3, -3]
            tensor = _scheme(rounding=rounding, terms=terms)
            for c in range(4):
                s1, e1, sc1 = quantize_weights(w[c:c + 1], tensor)
                assert sc1.tolist() == [scales[c]]
                assert np.array_equal(signs[c:c + 1], s1) and np.array_equal(exps[c:c + 1], e1)
            # the same digits relative to each channel's scale
            rel = np.where(signs != 0, exps - scales.reshape(-1, 1, 1, 1, 1), 0)
            assert all(np.array_equal(rel[0], rel[c]) for c in range(4))
    # per tensor, the small channels lose their weights to the zero code
    signs, _, scales = quantize_weights(w, _scheme())
    assert scales.shape == (1,) and not signs[3].any()


def _dense_module(arrays: dict[str, np.ndarray], options: dict[str, dict] | None = None):
    """A module with one nn.dense per weight array (loc = its name), as float32 constants."""
    options = options or {}
    k = next(iter(arrays.values())).shape[1]
    lines, results, types = [], [], []
    for i, (name, w) in enumerate(arrays.items()):
        m, kk = w.shape
        assert kk == k
        values = str(w.astype(np.float32).astype(np.float64).tolist())
        attrs = f" {{pot_quant.options = {options[name]}}}" if name in options else ""
        lines.append(f"  %w{i} = nn.constant dense<{values}> : tensor<{m}x{k}xf32>")
        lines.append(f"  %y{i} = nn.dense %x, %w{i}{attrs} : (tensor<1x{k}xf32>, tensor<{m}x{k}xf32>) -> tensor<1x{m}xf32> loc(\"{name}\")")
        results.append(f"%y{i}")
        types.append(f"tensor<1x{m}xf32>")
    text = (f"func.func @main(%x: tensor<1x{k}xf32>) -> ({', '.join(types)}) {{\n" + "\n".join(lines)
            + f"\n  func.return {', '.join(results)} : {', '.join(types)}\n}}\n")
    return parse_mlir(text)


def _coded(module) -> dict[str, WeightsOp]:
    out = {}
    for op in module.walk():
        if isinstance(op, nn.DenseOp) and isinstance(op.weight.owner, WeightsOp):
            out[layer_name(op)] = op.weight.owner
    return out


@pytest.mark.parametrize("options", [dict(), dict(rounding="log"), dict(terms=2, per_channel=True), dict(bits=3, zero_code=False)])
def test_error_attribute_is_the_recomputed_error(options):
    rng = np.random.default_rng(3)
    arrays = {"a": rng.standard_normal((5, 7)), "b": rng.standard_normal((3, 7)) * 0.01, "c": np.zeros((2, 7))}
    module = _dense_module(arrays)
    PotQuantQuantizePass(**options).apply(make_context(), module)
    coded = _coded(module)
    assert set(coded) == set(arrays)
    for name, w in arrays.items():
        w = w.astype(np.float32).astype(np.float64)
        diff = coded[name].values() - w
        rms = math.sqrt(np.mean(diff**2))
        norm = math.sqrt(np.mean(w**2))
        error = {k: v.value.data for k, v in coded[name].attributes[ERROR_ATTR].data.items()}
        assert error == pytest.approx({"max": np.max(np.abs(diff)), "rms": rms, "relative_rms": rms / norm if norm else 0.0},
                                      rel=1e-12, abs=0)
        if name == "c" and options.get("zero_code", True):
            assert error == {"max": 0.0, "rms": 0.0, "relative_rms": 0.0}


def test_layer_overrides_and_their_errors():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((4, 6))
    module = _dense_module({"keep": w, "two": w, "plain": w},
                           {"keep": "{enabled = 0 : i64}", "two": "{bits = 5 : i64, terms = 2 : i64}"})
    PotQuantQuantizePass(bits=3).apply(make_context(), module)
    coded = _coded(module)
    assert set(coded) == {"two", "plain"}
    assert (coded["two"].bits.value.data, coded["two"].terms) == (5, 2)
    assert (coded["plain"].bits.value.data, coded["plain"].terms) == (3, 1)
    bad = _dense_module({"fc": w}, {"fc": "{bits = 9 : i64}"})
    with pytest.raises(PassFailedException, match=r"pot-quant-quantize: bits must be in \[2, 8\], got 9 \(layer .*fc"):
        PotQuantQuantizePass().apply(make_context(), bad)


@pytest.mark.parametrize("options, message", [
    (dict(bits=1), r"bits must be in \[2, 8\], got 1"),
    (dict(terms=0), r"terms must be in \[1, 4\], got 0"),
    (dict(rounding="foo"), r"rounding must be one of nearest, log, got 'foo'"),
    (dict(min_exponent=-7), r"min_exponent -7 does not fit a 4-bit code"),
    (dict(bits=2, terms=2), r"2 distinct digits need at least 2 exponents"),
    (dict(zero_threshold=-1.0), r"zero_threshold must be >= 0"),
])
def test_quantize_option_errors(options, message):
    with pytest.raises(ValueError, match="pot-quant-quantize: " + message):
        PotQuantQuantizePass(**options)


# ---------------------------------------------------------------------------------------
# log-aware pruning


def _pruned(arrays, prune, **quantize):
    module = _dense_module(arrays)
    PotQuantQuantizePass(**quantize).apply(make_context(), module)
    before = {name: (op.digits(), op.values()) for name, op in _coded(module).items()}
    PotQuantPrunePass(**prune).apply(make_context(), module)
    return before, _coded(module)


@pytest.mark.parametrize("shape, fraction", [((5, 10), 0.14), ((10, 10), 0.07), ((7, 9), 1 / 3), ((7, 9), 0.5),
                                             ((3, 4), 0.9), ((5, 10), 0.3), ((1, 3), 0.01), ((6, 6), 0.999)])
@pytest.mark.parametrize("terms", [1, 2])
def test_prune_fraction_is_reached_exactly(shape, fraction, terms):
    rng = np.random.default_rng(5)
    w = rng.uniform(0.25, 1.0, shape) * rng.choice([-1, 1], shape)  # no zeros before pruning
    w[0, 0] = w[-1, -1] = 0.5  # a tie of magnitudes
    before, after = _pruned({"fc": w}, {"fraction": fraction}, terms=terms)
    (_, q0), op = before["fc"], after["fc"]
    q1 = op.values()
    n = q0.size
    target = math.ceil(Fraction(repr(fraction)) * n)
    assert not np.any(q0 == 0)
    pruned = q1 == 0
    assert pruned.sum() == target
    assert op.attributes[SPARSITY_ATTR].value.data == target / n
    assert np.array_equal(q1[~pruned], q0[~pruned]), "kept weights are unchanged"
    if pruned.any() and (~pruned).any():
        assert np.abs(q0[pruned]).max() <= np.abs(q0[~pruned]).min(), "the smallest magnitudes go first"
    signs, exps = op.digits()
    assert not signs[pruned].any() and not exps[pruned].any()
    op.verify()


def test_prune_fraction_ties_in_element_order():
    w = np.array([[0.5, -0.25, 0.25, 1.0, -0.25]])
    _, after = _pruned({"fc": w}, {"fraction": 0.4})
    assert after["fc"].values().tolist() == [[0.5, 0.0, 0.0, 1.0, -0.25]]


@pytest.mark.parametrize("below", [0, -1, -2, -3, -4, -5, -6])
@pytest.mark.parametrize("terms, per_channel", [(1, False), (2, True)])
def test_prune_below_zeroes_exactly_the_small_exponents(below, terms, per_channel):
    rng = np.random.default_rng(6)
    w = rng.standard_normal((6, 8)) * 2.0 ** rng.uniform(-7, 0, (6, 8))
    before, after = _pruned({"fc": w}, {"below": below}, terms=terms, per_channel=per_channel)
    (signs, exps), q0 = before["fc"]
    op = after["fc"]
    scales = np.asarray(from_dense(op.scale_exponents)).reshape(-1, 1)
    lead = np.max(np.where(signs != 0, exps, -1000), axis=-1) - scales  # leading exponent, relative
    expected = (q0 == 0) | (lead < below)
    q1 = op.values()
    assert np.array_equal(q1 == 0, expected)
    assert np.array_equal(q1[~expected], q0[~expected])
    assert op.attributes[SPARSITY_ATTR].value.data == expected.mean()
    if below == -4:
        assert 0 < expected.sum() < expected.size, "the test data must have something to prune and keep"


def test_prune_below_then_fraction():
    # below = -4 drops 2^-6 and -2^-5, the fraction (4 of 8) then 2^-4 and 0.125
    w = np.array([[1.0, 2.0**-6, -2.0**-5, 0.5, -0.25, 0.125, 2.0**-4, -0.5]])
    _, after = _pruned({"fc": w}, {"below": -4, "fraction": 0.5})
    assert after["fc"].values().tolist() == [[1.0, 0.0, 0.0, 0.5, -0.25, 0.0, 0.0, -0.5]]


def test_prune_needs_a_zero_code():
    with pytest.raises(PassFailedException, match=r"pot-quant-prune: the weights have no zero code"):
        _pruned({"fc": np.ones((2, 3))}, {"fraction": 0.5}, zero_code=False)


@pytest.mark.parametrize("options, message", [(dict(fraction=1.0), "fraction must be in"), (dict(fraction=-0.1), "fraction must be in"),
                                              (dict(below=1), "below is a relative exponent <= 0")])
def test_prune_option_errors(options, message):
    with pytest.raises(ValueError, match="pot-quant-prune: " + message):
        PotQuantPrunePass(**options)


# ---------------------------------------------------------------------------------------
# rounding-error compensation (input moments, GPTQ-style rounding)


CONV_CASES = [  # in_channels, out_channels, group, kernel, strides, pads, dilations, spatial
    (3, 4, 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), (7, 6)),
    (4, 6, 2, (3, 2), (2, 1), (0, 1, 2, 0), (1, 2), (9, 8)),
    (4, 4, 4, (3, 3), (1, 2), (1, 1, 1, 1), (2, 1), (8, 8)),
    (2, 3, 1, (5,), (2,), (2, 1), (1,), (11,)),
]


def _conv_module(c, m, group, kernel, strides, pads, dil, spatial, seed=0):
    from nncc.dialects.nn.shapes import conv_shape
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((m, c // group) + kernel)
    ints = lambda v: ", ".join(map(str, v))  # noqa: E731
    x_t = "x".join(map(str, (1, c) + spatial))
    w_t = "x".join(map(str, w.shape))
    out = conv_shape((1, c) + spatial, w.shape, strides, pads, dil, group)
    y_t = "x".join(map(str, out))
    text = (f"func.func @main(%x: tensor<{x_t}xf32>) -> tensor<{y_t}xf32> {{\n"
            f"  %w = nn.constant dense<{w.astype(np.float32).astype(np.float64).tolist()}> : tensor<{w_t}xf32>\n"
            f"  %y = nn.conv %x, %w {{dilations = array<i64: {ints(dil)}>, group = {group} : i64, "
            f"pads = array<i64: {ints(pads)}>, strides = array<i64: {ints(strides)}>}} : "
            f"(tensor<{x_t}xf32>, tensor<{w_t}xf32>) -> tensor<{y_t}xf32> loc(\"conv\")\n"
            f"  func.return %y : tensor<{y_t}xf32>\n}}\n")
    return parse_mlir(text), w.astype(np.float32).astype(np.float64)


def test_dense_input_moment_is_the_mean_outer_product():
    rng = np.random.default_rng(5)
    arrays = {"a": rng.standard_normal((4, 6)), "b": rng.standard_normal((3, 6))}
    module = _dense_module(arrays)
    x = rng.standard_normal((150, 6))  # not a multiple of the chunk size
    assert record_input_moments(module, {"arg0": x}, chunk=64) == 2
    for op in module.walk():
        if isinstance(op, nn.DenseOp):
            h = from_dense(op.attributes[MOMENT_ATTR])
            assert h.shape == (1, 6, 6)
            np.testing.assert_allclose(h[0], x.T @ x / len(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"c{c[0]}m{c[1]}g{c[2]}k{'x'.join(map(str, c[3]))}")
def test_conv_input_moment_matches_the_convolution(case):
    """r^T H_g r = E[(r * x)^2] for any weight row r of group g: the patches are in weight order,
    strides, pads, dilations and groups included (checked against the float interpreter)."""
    module, w = _conv_module(*case)
    c, m, group = case[:3]
    x = np.random.default_rng(9).standard_normal((20, c) + case[-1])
    record_input_moments(module, {"arg0": x}, chunk=7)
    conv = next(op for op in module.walk() if isinstance(op, nn.ConvOp))
    h = from_dense(conv.attributes[MOMENT_ATTR])
    k = (c // group) * int(np.prod(case[3]))
    assert h.shape == (group, k, k)
    rng = np.random.default_rng(2)
    probe = rng.standard_normal(w.shape)
    from nncc.runtime.interpreter import conv_sum
    y = conv_sum(x, probe, case[4], case[5], case[6], group, tuple(conv.output.type.get_shape())[2:])
    rows = probe.reshape(m, -1)
    per_group = m // group
    for channel in range(m):
        g = channel // per_group
        want = float(np.mean(y[:, channel] ** 2))
        assert rows[channel] @ h[g] @ rows[channel] == pytest.approx(want, rel=1e-9)


def _digits(signs, exps):
    return np.sum(signs * np.ldexp(1.0, exps), axis=-1)


def _output_error(w, q, x):
    return float(np.mean((x @ (q - w).T) ** 2))


@pytest.mark.parametrize("terms", [1, 2])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("rounding", ["nearest", "log"])
def test_compensation_lowers_the_output_error(terms, per_channel, rounding):
    """On correlated inputs, compensated rounding moves the layer's output less than rounding
    each weight on its own, with codes from the same codebook and the same scales."""
    rng = np.random.default_rng(11)
    mix = rng.standard_normal((24, 24)) * 0.3 + np.eye(24)
    x = rng.standard_normal((2000, 24)) @ mix
    w = rng.standard_normal((12, 24)) * 0.5
    scheme = _scheme(terms=terms, per_channel=per_channel, rounding=rounding)
    h = (x.T @ x / len(x))[None]
    s0, e0, sc0 = quantize_weights(w, scheme)
    s1, e1, sc1, compensated = quantize_layer(w, scheme, h)
    assert compensated and np.array_equal(sc0, sc1)
    q0, q1 = _digits(s0, e0), _digits(s1, e1)
    book = set(np.round(_book(scheme.min_exponent, terms, True), 12))
    scales = np.ldexp(1.0, sc1 if per_channel else np.full(len(w), sc1[0]))
    assert set(np.round((q1 / scales[:, None]).ravel(), 12)) <= book
    assert _output_error(w, q1, x) < 0.7 * _output_error(w, q0, x)


def test_identity_moment_rounds_like_plain_rounding():
    """Uncorrelated inputs (H = I): nothing to carry, the codes are those of plain rounding;
    dead inputs (zero rows of H) are rounded on their own too."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((6, 10))
    for h in (np.eye(10), np.diag([1.0] * 5 + [0.0] * 5)):
        s0, e0, _ = quantize_weights(w, _scheme(terms=2))
        s1, e1, _, compensated = quantize_layer(w, _scheme(terms=2), h[None])
        assert compensated
        assert np.array_equal(_digits(s0, e0), _digits(s1, e1))


def test_unusable_moment_falls_back_and_bad_shapes_fail():
    w = np.random.default_rng(0).standard_normal((4, 3))
    *_, compensated = quantize_layer(w, _scheme(), np.zeros((1, 3, 3)))
    assert not compensated
    with pytest.raises(ValueError, match=r"input moment \[1, 4, 4\] does not match weights \[4, 3\]"):
        quantize_layer(w, _scheme(), np.eye(4)[None])


def test_pass_consumes_the_moment_and_records_compensation():
    rng = np.random.default_rng(6)
    arrays = {"a": rng.standard_normal((5, 8)), "b": rng.standard_normal((3, 8))}
    x = rng.standard_normal((300, 8)) @ (np.eye(8) + 0.5)
    for compensate, expect in ((True, "gptq"), (False, "none")):
        module = _dense_module(arrays, {"b": "{compensate = 0 : i64}"})
        record_input_moments(module, {"arg0": x})
        PotQuantQuantizePass(compensate=compensate).apply(make_context(), module)
        assert all(MOMENT_ATTR not in op.attributes for op in module.walk())
        coded = _coded(module)
        h = x.T @ x / len(x)
        for name, w in arrays.items():
            op = coded[name]
            assert op.attributes[COMPENSATION_ATTR].data == (expect if name == "a" else "none")
            w = w.astype(np.float32).astype(np.float64)
            d = op.values() - w
            want = math.sqrt(np.sum((d @ h) * d) / np.sum((w @ h) * w))
            assert op.attributes[ERROR_ATTR].data["output_relative_rms"].value.data == pytest.approx(want, rel=1e-9)


def test_compile_compensates_by_default_and_reports_it(tmp_path):
    rng = np.random.default_rng(0)
    calibration = tmp_path / "cal.npy"
    np.save(calibration, rng.standard_normal((200, 16)).astype(np.float32))
    reports = {}
    for comp in ("gptq", "none"):
        design = nncc.compile(MLP, tmp_path / comp, calibration=calibration, target="hls-cpp", pot_bits=4,
                              pot_compensation=comp)
        assert MOMENT_ATTR not in (design.folder / "model.mlir").read_text()
        reports[comp] = design.report["pot_quant"]
    for comp, entries in reports.items():
        assert entries and all(e["compensation"] == comp for e in entries), entries
    # compensation lowers every layer's output error on the calibration data (on N(0,1) data the
    # first layer's inputs are uncorrelated, so its codes may not change at all)
    for a, b in zip(reports["gptq"], reports["none"]):
        assert a["error"]["output_relative_rms"] <= b["error"]["output_relative_rms"] + 1e-12
    assert sum(e["error"]["output_relative_rms"] for e in reports["gptq"]) < \
        0.95 * sum(e["error"]["output_relative_rms"] for e in reports["none"])


# ---------------------------------------------------------------------------------------
# pot-quant-replace-mul-with-shift on the fixtures


@functools.cache
def _calibrated(model: str, terms: int):
    """The fixture with 4-bit PoT / two-digit weights, calibrated (as `nncc compile` does)."""
    options = CompileOptions(pot_bits=4, pot_terms=terms)
    module = import_model(FIXTURES / f"{model}.onnx")
    run_passes(build_nn_pot_quant(options), module, make_context())
    rng = np.random.default_rng(0)
    calibrate(module, {"input": rng.standard_normal((256,) + SHAPES[model]).astype(np.float32)})
    return module


@functools.cache
def _lowered(model: str, terms: int, share: bool | None):
    """The fixed-point design of the `nn-to-emit` pipeline; ``share=None``: without the
    pot-quant-replace-mul-with-shift step."""
    passes = build_nn_to_emit(CompileOptions(pot_bits=4, pot_terms=terms, shift_share=bool(share)))
    if share is None:
        kept = [p for p in passes if p.name != "pot-quant-replace-mul-with-shift"]
        assert len(kept) == len(passes) - 1, passes
        passes = kept
    design = _calibrated(model, terms).clone()
    run_passes(passes, design, make_context())
    return design


def _trace(design, x):
    """Outputs and the raw values of every top-level non-constant op."""
    seen = []

    def observe(op, value):
        if not isinstance(op, fixed.ConstantOp):
            seen.append((op.name, np.array(value)))

    return run_fixed(design, {"input": x}, observe=observe), seen


@pytest.mark.parametrize("terms", [1, 2])
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_replace_is_bit_exact_on_the_fixtures(model, terms):
    layers = sum(isinstance(op, (nn.DenseOp, nn.ConvOp)) for op in _calibrated(model, terms).walk())
    assert sum(isinstance(op, WeightsOp) for op in _calibrated(model, terms).walk()) == layers
    base = _lowered(model, terms, None)
    assert not any(isinstance(op, SHIFT_LAYERS) for op in base.walk())
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((48,) + SHAPES[model]) * 1.5).astype(np.float32)
    y0, trace0 = _trace(base, x)
    for share in (False, True):
        design = _lowered(model, terms, share)
        shifts = [op for op in design.walk() if isinstance(op, SHIFT_LAYERS)]
        assert len(shifts) == layers
        assert all((op.share is not None) == share for op in shifts)
        assert not any(isinstance(op, (fixed.DenseOp, fixed.ConvOp)) for op in design.walk())
        assert max(int(np.max(np.sum(op.digits()[0] != 0, axis=-1))) for op in shifts) <= terms
        y1, trace1 = _trace(design, x)
        assert [name for name, _ in trace1] == [name for name, _ in trace0]
        for (name, a), (_, b) in zip(trace0, trace1):
            assert np.array_equal(a, b), name
        for key in y0:
            assert np.array_equal(y0[key], y1[key])


def _add_terms(plan) -> int:
    """Shifted operands summed: per output, plus the digits of every shared sub-expression."""
    return sum(len(row) for row in plan.terms) + sum(len(p) for _, p in plan.shared)


def _run_plan(plan, rows: np.ndarray) -> np.ndarray:
    """Evaluate a term plan on raw input rows (batch x plan.inputs) as the back ends do."""
    batch = rows.shape[0]
    pool = np.zeros((batch, plan.inputs + len(plan.shared)), np.int64)
    pool[:, :plan.inputs] = rows
    for s, (e, digits) in enumerate(plan.shared):
        pool[:, plan.inputs + s] = sum(sign * (rows[:, e] << shift) for sign, shift in digits)
    out = np.empty((batch, len(plan.terms)), np.int64)
    for o, row in enumerate(plan.terms):
        acc = np.full(batch, plan.bias[o], np.int64)
        for i, sign, shift in row:
            acc += sign * (pool[:, i] << shift)
        out[:, o] = acc
    return out


@pytest.mark.parametrize("terms", [1, 2])
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_term_plans_compute_the_layer_and_sharing_saves_terms(model, terms):
    rng = np.random.default_rng(10)
    plain = [op for op in _lowered(model, terms, False).walk() if isinstance(op, SHIFT_LAYERS)]
    shared = [op for op in _lowered(model, terms, True).walk() if isinstance(op, SHIFT_LAYERS)]
    savings = 0
    for a, b in zip(plain, shared, strict=True):
        assert np.array_equal(a.raw_weights(), b.raw_weights())
        t = fixed.fixed_of(a.input)
        lo, hi = -(1 << (t.width.data - 1)), (1 << (t.width.data - 1)) - 1
        x = rng.integers(lo, hi + 1, (6,) + tuple(a.input.type.get_shape())[1:])
        x[0] = lo
        x[1] = hi
        args = [x] + ([np.asarray(from_dense(a.bias.owner.value), np.int64)] if a.bias is not None else [])
        expected = FIXED_IMPLS[type(a)](a, args, len(x)).reshape(len(x), -1)
        plans = [term_plan(a), term_plan(b)]
        assert not plans[0].shared
        for plan in plans:
            assert np.array_equal(_run_plan(plan, x.reshape(len(x), -1)), expected)
        assert _add_terms(plans[1]) <= _add_terms(plans[0])
        savings += _add_terms(plans[0]) - _add_terms(plans[1])
    if terms == 2:
        assert savings > 0, "two-digit weights share patterns somewhere"
    else:
        assert savings == 0, "single digits have no patterns to share"


# ---------------------------------------------------------------------------------------
# emitted code: shift layers have no multiplications


def _constant_folded(text: str) -> str:
    """Verilog with constant index/width products (``16*4``, ``3*16``) folded and ``@*``
    sensitivity lists removed: a ``*`` left over is a multiplication of signals."""
    text = re.sub(r"@\s*\(\s*\*\s*\)|@\*", "@", text)
    product = re.compile(r"\b(\d+)\s*\*\s*(\d+)\b")
    while product.search(text):
        text = product.sub(lambda m: str(int(m[1]) * int(m[2])), text)
    return text


def _cpp_blocks(cpp: str, kind: str, name: str) -> list[str]:
    """The code blocks `// <kind> -> <name>` up to the next step (top function and debug twin)."""
    pattern_ = re.compile(rf"^  // {kind} -> {re.escape(name)}\n(.*?)(?=^  // \w+ -> |^\}})", re.S | re.M)
    return pattern_.findall(cpp)


def _verilog_module(v: str, top: str, name: str) -> tuple[str, str]:
    """(header comment, module text) of ``<top>__<name>``."""
    m = re.search(rf"((?:^//[^\n]*\n)*)(^module {re.escape(top)}__{re.escape(name)} \(.*?^endmodule)", v, re.S | re.M)
    assert m, f"no module {top}__{name}"
    return m.group(1), m.group(2)


def _hls_names(design_text: str, types) -> list[str]:
    design = parse_mlir(design_text)
    return [op.attributes[NAME_ATTR].data for op in design.walk() if isinstance(op, types)]


@pytest.fixture(scope="module")
def csim_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("csim-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNCC_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def shift_designs(tmp_path_factory, csim_cache):
    out = tmp_path_factory.mktemp("shift")
    return {name: nncc.compile(path, out / name, pot_bits=4, pot_terms=2, shift_share=True, calibration_samples=256)
            for name, path in (("mlp", MLP), ("cnn", CNN))}


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_emitted_shift_layers_have_no_multiplications(shift_designs, model):
    folder = shift_designs[model].folder
    design_text = (folder / "design.mlir").read_text()
    names = _hls_names(design_text, SHIFT_LAYERS)
    assert len(names) == {"mlp": 4, "cnn": 3}[model]
    assert not _hls_names(design_text, (fixed.DenseOp, fixed.ConvOp))
    top = shift_designs[model].top
    cpp = (folder / "hls_cpp" / f"{top}.cpp").read_text()
    v = (folder / "verilog" / f"{top}.v").read_text()
    for name in names:
        blocks = _cpp_blocks(cpp, "shift", name)
        assert len(blocks) == 2, f"{name}: top function and debug twin"
        for block in blocks:
            assert "<<" in block and "*" not in block, block
        header, module = _verilog_module(v, top, name)
        assert "shift" in header.lower(), header
        assert "<<<" in module
        # not even in constant index or width expressions (`(* keep *)` attributes aside)
        assert "*" not in re.sub(r"\(\*[^()]*\*\)", "", module), name
    if model == "mlp":
        assert all("shift-and-add" in _verilog_module(v, top, n)[0] for n in names)


def _wrap(value: int, width: int) -> int:
    """Two's-complement truncation to `width` bits, as a Verilog assignment does."""
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


@pytest.mark.parametrize("terms,acc_width", [(1, 20), (2, 20), (5, 20), (33, 29), (300, 24), (64, 12)])
def test_adder_tree_equals_the_flat_sum(terms, acc_width):
    """The Verilog back end's balanced adder tree (RF 1 shift-and-add slots), evaluated with
    each node truncated to its declared width, equals the flat sum modulo the accumulator
    at the extremes of the inputs' range and on random inputs, including sums that wrap
    (acc_width 12); nodes are no wider than the accumulator and the depth is logarithmic."""
    from nncc.backends.verilog.sums import adder_tree, shared_pool

    rng = np.random.default_rng(terms)
    x_width = 8
    pool, ranges = shared_pool(((0, 3, ((1, 4), (-1, 1))),), x_width, acc_width)
    assert pool[0][3] == min(13, acc_width)  # 16 x - 2 x over 8-bit x: [-2302, 2288] needs 13 bits
    parts = [(f"p{rng.integers(6)}" if k % 7 else "q0", int(rng.choice([-1, 1])), int(rng.integers(0, 9))) for k in range(terms)]
    nodes, root = adder_tree(0, parts, ranges, x_width, acc_width)
    assert all(width <= acc_width for _, width, _ in nodes)
    depth = {}
    for name, _, node_parts in nodes:
        depth[name] = 1 + max(depth.get(operand, 0) for operand, _, _ in node_parts)
    assert depth[root] <= max(1, math.ceil(math.log2(terms)))
    lo, hi = -(1 << (x_width - 1)), (1 << (x_width - 1)) - 1
    for trial in range(50):
        p = {f"p{i}": int(v) for i, v in enumerate(rng.integers(lo, hi + 1, 6) if trial > 1 else [(lo, hi)[trial]] * 6)}
        values = dict(p, q0=_wrap((p["p3"] << 4) - (p["p3"] << 1), pool[0][3]))
        flat = sum(sign * (values[operand] << sh) for operand, sign, sh in parts)
        for name, width, node_parts in nodes:
            values[name] = _wrap(sum(sign * (values[operand] << sh) for operand, sign, sh in node_parts), width)
        assert _wrap(values[root], acc_width) == _wrap(flat, acc_width)
    assert adder_tree(0, [], ranges, x_width, acc_width) == ((), "")


def test_the_multiplication_checks_can_fail(tmp_path, csim_cache):
    """The same checks find the multipliers of the uniform design."""
    design = nncc.compile(MLP, tmp_path / "uniform", calibration_samples=256)
    names = _hls_names((design.folder / "design.mlir").read_text(), fixed.DenseOp)
    assert len(names) == 4
    cpp = (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    v = (design.folder / "verilog" / f"{design.top}.v").read_text()
    for name in names:
        blocks = [b for kind in ("dense", "mac", "matmul") for b in _cpp_blocks(cpp, kind, name)]
        assert blocks and all("*" in b for b in blocks), name
        assert "*" in _constant_folded(_verilog_module(v, design.top, name)[1]), name


@needs_gxx
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_shift_layers_csim_matches_the_interpreter(shift_designs, model):
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((32,) + SHAPES[model]) * 1.5).astype(np.float32)
    design = shift_designs[model]
    fixed_out, csim_out = design.run(x, "fixed"), design.run(x, "csim")
    for key in fixed_out:
        assert np.array_equal(fixed_out[key], csim_out[key])


# ---------------------------------------------------------------------------------------
# command line and config file


@pytest.mark.parametrize("args, key, value", [
    (["--pot", "1"], "pot_bits", "got 1"),
    (["--pot-prune", "1.5"], "pot_prune", "got 1.5"),
    (["--pot-rounding", "foo"], "pot_rounding", "got 'foo'"),
    (["--pot-compensation", "adaround"], "pot_compensation", "got 'adaround'"),
])
def test_cli_rejects_bad_pot_options(tmp_path, args, key, value):
    out = tmp_path / "out"
    proc = subprocess.run([str(BIN / "nncc"), "compile", str(MLP), "-o", str(out), *args],
                          check=False, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and key in lines[0] and lines[0].endswith(value), lines[0]
    assert not out.exists() and not list(tmp_path.iterdir())


def test_config_layer_opts_out_of_pot(tmp_path, csim_cache):
    config = tmp_path / "nncc.toml"
    config.write_text('[pot_quant]\npot_bits = 4\n\n[layers."/fc2/Gemm"]\npot_bits = 0\n')
    design = nncc.compile(MLP, tmp_path / "out", config=config, target="hls-cpp", calibration_samples=256)
    model = parse_mlir((design.folder / "model.mlir").read_text())
    coded = {layer_name(op): isinstance(op.weight.owner, WeightsOp) for op in model.walk() if isinstance(op, nn.DenseOp)}
    assert coded == {"/fc1/Gemm": True, "/fc2/Gemm": False, "/fc3/Gemm": True, "/fc4/Gemm": True}
    lowered = parse_mlir((design.folder / "design.mlir").read_text())
    kinds = {layer_name(op): type(op) for op in lowered.walk() if isinstance(op, (fixed.DenseOp, ShiftDenseOp, ShiftConvOp))}
    assert kinds == {"/fc1/Gemm": ShiftDenseOp, "/fc2/Gemm": fixed.DenseOp, "/fc3/Gemm": ShiftDenseOp,
                     "/fc4/Gemm": ShiftDenseOp}
    dense = next(op for op in lowered.walk() if isinstance(op, fixed.DenseOp))
    assert "pot_quant.code" not in dense.weight.owner.attributes
