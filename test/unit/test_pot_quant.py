"""pot_quant: the power-of-two / signed-digit quantizer, log-aware pruning, rounding-error
compensation and the `nncc compile` options (the shift-and-add layers are tested in
test_pot_shift.py).

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
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import f32
from xdsl.utils.exceptions import PassFailedException

import nncc
from nncc.compiler.api import parse_mlir
from nncc.compiler.analysis.calibrate import record_input_moments
from nncc.compiler.context import make_context
from nncc.compiler.flow import layer_name
from nncc.dialects import nn
from nncc.dialects.dense import from_dense
from nncc.dialects.pot_quant import COMPENSATION_ATTR, ERROR_ATTR, MOMENT_ATTR, SPARSITY_ATTR, WeightsOp
from nncc.passes.pot_quant_prune import PotQuantPrunePass
from nncc.passes.pot_quant_quantize import PotQuantQuantizePass, quantize_layer, quantize_relative, quantize_weights

FIXTURES = Path(__file__).parent.parent / "fixtures"
MLP = FIXTURES / "mlp.onnx"
CNN = FIXTURES / "cnn.onnx"
BIN = Path(sys.executable).parent
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16)}

needs_gxx = pytest.mark.requires("g++")

from pot_quant_support import _book, _coded, _dense_module, _scheme  # noqa: E402


# ---------------------------------------------------------------------------------------
# the quantizer


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
    from nncc.dialects.nn.semantics import conv_sum
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
