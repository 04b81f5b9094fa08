"""Power-of-two / signed-digit weights after quantization: rounding-error compensation,
pot-quant-replace-mul-with-shift on the fixtures, the emitted code (no multiplications) and the
command line and config file."""

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


from pot_quant_support import (  # noqa: F401
    _scheme,
    _book,
    _dense_module,
    _coded,
)

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
