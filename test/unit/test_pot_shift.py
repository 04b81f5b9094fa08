"""Signed-digit weights and shift-and-add layers: canonical signed digits, the
`#encoding.signed_digits` weight encoding on `fixed.dense` / `fixed.conv`,
`pot-quant-replace-mul-with-shift` on the fixtures (bit-exact against the fixed-point
interpreter, and the term plans the back ends build from it), the emitted code (no
multiplications, C-simulation equal to the interpreter) and a config file that keeps one
layer's multipliers.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.utils.exceptions import VerifyException

import nncc
from nncc.compiler.api import import_model, parse_mlir, resolve_pipeline
from nncc.compiler.analysis.calibrate import calibrate
from nncc.compiler.config import CompileOptions
from nncc.compiler.context import make_context
from nncc.compiler.flow import layer_name
from nncc.dialects.emit import NAME_ATTR
from nncc.compiler.pipelines import build_nn_pot_quant, build_nn_to_emit
from nncc.compiler.pipelines import run_passes
from nncc.dialects import fixed, nn
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import TWOS_COMPLEMENT, SignedDigitsAttr, digit_counts
from nncc.dialects.pot_quant import WeightsOp, csd, digit_value, folded_weight, pattern, term_plan, uses_shift_add
from nncc.runtime.fixed_interpreter import run_fixed

FIXTURES = Path(__file__).parent.parent / "fixtures"
MLP = FIXTURES / "mlp.onnx"
CNN = FIXTURES / "cnn.onnx"
BIN = Path(sys.executable).parent
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16)}

needs_gxx = pytest.mark.requires("g++")


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
# the signed-digit encoding


def test_digit_counts_are_those_of_csd():
    """The popcount shortcut (|n| < 2^61) and the csd fallback (larger) agree with csd."""
    rng = np.random.default_rng(3)
    values = np.concatenate([np.arange(-70000, 70000), rng.integers(-(2**61) + 1, 2**61, 20000),
                             [2**61 - 1, -(2**61) + 1, 2**61, -(2**61), 2**62 - 1, -(2**63)]]).astype(np.int64)
    assert np.array_equal(digit_counts(values), np.count_nonzero(csd(values)[0], axis=-1))
    assert digit_counts(values[-4:]).tolist() == [1, 1, 2, 1]
    assert digit_counts(np.array([0, 1, -1, 3, 11, 85, -85])).tolist() == [0, 1, 1, 2, 3, 4, 4]


def test_signed_digit_encoding_checks_the_raw_weights():
    two = SignedDigitsAttr(2)
    two.verify_weights("fixed.dense", np.array([[96, -36, 6, 1], [96, 40, -12, 0]]))
    with pytest.raises(VerifyException, match="^fixed.conv: raw weight 11 has 3 non-zero signed digits, the encoding allows 2$"):
        two.verify_weights("fixed.conv", np.array([4, -3, 11]))
    with pytest.raises(VerifyException, match="^fixed.dense: signed-digit weights must be a constant$"):
        two.verify_weights("fixed.dense", None)
    with pytest.raises(VerifyException, match="max_digits must be >= 1"):
        SignedDigitsAttr(0)
    TWOS_COMPLEMENT.verify_weights("fixed.dense", None)  # anything goes, run-time weights too
    assert SignedDigitsAttr(1, True).shared and not SignedDigitsAttr(1).shared
    assert SignedDigitsAttr(2, True) != SignedDigitsAttr(2) != SignedDigitsAttr(1)


SHARED_WEIGHT = """
func.func @main(%x: tensor<1x2x!fixed.q<8, 3>>) -> (tensor<1x1x!fixed.q<18, 6>>, tensor<1x1x!fixed.q<17, 5>>, tensor<1x1x!fixed.q<17, 5>>) {
  %w = fixed.constant dense<[[4, -8]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 1>>
  %v = fixed.constant dense<[[2, 1]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 1>>
  %b = fixed.constant dense<[16]> : tensor<1xi16> -> tensor<1x!fixed.q<13, 1>>
  %p = fixed.dense %x, %w, %b {encoding = #encoding.signed_digits<max_digits = 1>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>, tensor<1x!fixed.q<13, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
  %q = fixed.dense %x, %w : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  %r = fixed.dense %x, %v {encoding = #encoding.signed_digits<max_digits = 1>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %p, %q, %r : tensor<1x1x!fixed.q<18, 6>>, tensor<1x1x!fixed.q<17, 5>>, tensor<1x1x!fixed.q<17, 5>>
}
"""


def test_shift_add_predicate_and_folded_weights():
    """A weight constant is folded into the term plans only when every reader is a
    shift-and-add layer reading it as its weight."""
    module = parse_mlir(SHARED_WEIGHT)
    ops = {op.results[0].name_hint: op for op in module.walk() if op.results and op.results[0].name_hint}
    assert [uses_shift_add(ops[n]) for n in "pqr"] == [True, False, True]
    assert ops["q"].weight_encoding() == TWOS_COMPLEMENT
    assert ops["p"].weight_encoding() == SignedDigitsAttr(1)
    assert [folded_weight(ops[n]) for n in "wvbpx" if n in ops] == [False, True, False, False]
    with pytest.raises(ValueError, match="pot_quant.term_plan: fixed.dense is not a shift-and-add layer"):
        term_plan(ops["q"])
    plan = term_plan(ops["p"])  # 4 = 2^2, -8 = -2^3 at the accumulator's fraction (+0), bias 16
    assert plan.terms == (((0, 1, 2), (1, -1, 3)),) and plan.bias.tolist() == [16]


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
    assert not any(uses_shift_add(op) for op in base.walk())
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((48,) + SHAPES[model]) * 1.5).astype(np.float32)
    y0, trace0 = _trace(base, x)
    for share in (False, True):
        design = _lowered(model, terms, share)
        shifts = [op for op in design.walk() if uses_shift_add(op)]
        assert len(shifts) == layers == sum(isinstance(op, (fixed.DenseOp, fixed.ConvOp)) for op in design.walk())
        assert all(op.weight_encoding() == SignedDigitsAttr(terms, share) for op in shifts)
        assert all(folded_weight(op.weight.owner) for op in shifts)
        assert max(int(np.max(digit_counts(_raw_weights(op)))) for op in shifts) <= terms
        y1, trace1 = _trace(design, x)
        assert [name for name, _ in trace1] == [name for name, _ in trace0]
        for (name, a), (_, b) in zip(trace0, trace1):
            assert np.array_equal(a, b), name
        for key in y0:
            assert np.array_equal(y0[key], y1[key])


def _raw_weights(op) -> np.ndarray:
    return np.asarray(from_dense(op.weight.owner.value), np.int64)


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
    plain = [op for op in _lowered(model, terms, False).walk() if uses_shift_add(op)]
    shared = [op for op in _lowered(model, terms, True).walk() if uses_shift_add(op)]
    savings = 0
    for a, b in zip(plain, shared, strict=True):
        assert np.array_equal(_raw_weights(a), _raw_weights(b))
        t = fixed.fixed_of(a.input)
        lo, hi = -(1 << (t.width.data - 1)), (1 << (t.width.data - 1)) - 1
        x = rng.integers(lo, hi + 1, (6,) + tuple(a.input.type.get_shape())[1:])
        x[0] = lo
        x[1] = hi
        args = [x, _raw_weights(a)] + ([np.asarray(from_dense(a.bias.owner.value), np.int64)] if a.bias is not None else [])
        expected = a.evaluate_fixed(args, len(x)).reshape(len(x), -1)
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
    """The code blocks `// <kind> -> <name>` up to the next step (top function, debug twin and
    the C-sim block path)."""
    pattern_ = re.compile(rf"^  // {kind} -> {re.escape(name)}\n(.*?)(?=^  // \w+ -> |^\}})", re.S | re.M)
    return pattern_.findall(cpp)


def _verilog_module(v: str, top: str, name: str) -> tuple[str, str]:
    """(header comment, module text) of ``<top>__<name>``."""
    m = re.search(rf"((?:^//[^\n]*\n)*)(^module {re.escape(top)}__{re.escape(name)} \(.*?^endmodule)", v, re.S | re.M)
    assert m, f"no module {top}__{name}"
    return m.group(1), m.group(2)


def _hls_names(design_text: str, shift_add: bool) -> list[str]:
    """The names of the dense/conv layers that are (or are not) shift-and-add layers."""
    design = parse_mlir(design_text)
    return [op.attributes[NAME_ATTR].data for op in design.walk()
            if isinstance(op, (fixed.DenseOp, fixed.ConvOp)) and uses_shift_add(op) == shift_add]



@pytest.fixture(scope="module")
def shift_designs(tmp_path_factory, private_cache):
    out = tmp_path_factory.mktemp("shift")
    return {name: nncc.compile(path, out / name, pot_bits=4, pot_terms=2, shift_share=True, calibration_samples=256,
                               io="parallel")  # (the C-sim block path is the whole-tensor style's)
            for name, path in (("mlp", MLP), ("cnn", CNN))}


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_emitted_shift_layers_have_no_multiplications(shift_designs, model):
    folder = shift_designs[model].folder
    design_text = (folder / "design.mlir").read_text()
    names = _hls_names(design_text, True)
    assert len(names) == {"mlp": 4, "cnn": 3}[model]
    assert not _hls_names(design_text, False)
    top = shift_designs[model].top
    cpp = (folder / "hls_cpp" / f"{top}.cpp").read_text()
    v = (folder / "verilog" / f"{top}.v").read_text()
    for name in names:
        blocks = _cpp_blocks(cpp, "shift", name)
        assert len(blocks) == 3, f"{name}: top function, debug twin and the C-sim block path"
        for block in blocks:  # (the block path's buffer pointers, `T* const`, are no products)
            assert "<<" in block and "*" not in re.sub(r"\*\s*const\b", "", block), block
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


def test_the_multiplication_checks_can_fail(tmp_path, private_cache):
    """The same checks find the multipliers of the uniform design."""
    design = nncc.compile(MLP, tmp_path / "uniform", calibration_samples=256)
    names = _hls_names((design.folder / "design.mlir").read_text(), False)
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




def test_config_layer_opts_out_of_pot(tmp_path, private_cache):
    config = tmp_path / "nncc.toml"
    config.write_text('[pot_quant]\npot_bits = 4\n\n[layers."/fc2/Gemm"]\npot_bits = 0\n')
    design = nncc.compile(MLP, tmp_path / "out", config=config, target="hls-cpp", calibration_samples=256)
    model = parse_mlir((design.folder / "model.mlir").read_text())
    coded = {layer_name(op): isinstance(op.weight.owner, WeightsOp) for op in model.walk() if isinstance(op, nn.DenseOp)}
    assert coded == {"/fc1/Gemm": True, "/fc2/Gemm": False, "/fc3/Gemm": True, "/fc4/Gemm": True}
    lowered = parse_mlir((design.folder / "design.mlir").read_text())
    kinds = {layer_name(op): uses_shift_add(op) for op in lowered.walk() if isinstance(op, (fixed.DenseOp, fixed.ConvOp))}
    assert kinds == {"/fc1/Gemm": True, "/fc2/Gemm": False, "/fc3/Gemm": True, "/fc4/Gemm": True}
    dense = next(op for op in lowered.walk() if isinstance(op, fixed.DenseOp) and not uses_shift_add(op))
    assert "pot_quant.code" not in dense.weight.owner.attributes
