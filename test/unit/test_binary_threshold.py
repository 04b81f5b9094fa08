"""Batch norm + sign -> `binary_complex.threshold` on torch BNNs (test/fixtures/make_bnn_fixtures.py):
a BNN MLP (bipolar ``torch.where`` sign) and a BNN CNN (ternary ``torch.sign``, max pool).

`binary-complex-fold-threshold` (in nn-cleanup) turns every batch norm + sign after a layer
with an integer accumulator into a threshold, the +-1 results make the next dense layers
`binary_complex.xnor_dense`, the float interpreter equals onnxruntime, fixed == C-sim ==
Verilator RTL bit for bit on 1,000 inputs with the predicted latency / II, the design's
argmax equals the float model's, and Yosys maps the binary layers to no DSP. The fold itself
is checked against float batch norm + sign for every accumulator value in range."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from helpers import assert_bit_exact_on_schedule, ops_of
import nncc
from nncc.compiler.api import import_model
from nncc.dialects.binary_complex import SignThresholdOp, ThresholdOp
from nncc.dialects.interfaces import Reduction

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = np.load(FIXTURES / "torch_bnn.npz")
# name: (thresholds at the nn level, xnor_dense layers)
EXPECTED = {"mlp": (2, 2), "cnn": (3, 2)}


def _compile(name: str, folder: Path) -> nncc.Design:
    np.save(folder / "calibration.npy", DATA[f"{name}_x"][:256])
    return nncc.compile(FIXTURES / f"torch_bnn_{name}.onnx", folder / "out", calibration=folder / "calibration.npy")


def _onnxruntime(name: str, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(FIXTURES / f"torch_bnn_{name}.onnx"), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_batch_norm_and_sign_become_thresholds(name):
    """No batch norm or sign is left: after the first layer (real input) thresholds on the
    2^-32 grid, after the others integer thresholds on the integer accumulator."""
    module = import_model(onnx.load(FIXTURES / f"torch_bnn_{name}.onnx"))
    thresholds = [op for op in module.walk() if isinstance(op, SignThresholdOp)]
    assert len(thresholds) == EXPECTED[name][0]
    assert [op.frac.value.data for op in thresholds] == [32] + [0] * (len(thresholds) - 1)
    assert not ops_of(module, "nn.batchnorm") and not ops_of(module, "nn.sign")


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_float_equals_onnxruntime_and_fixed_keeps_the_argmax(tmp_path, name):
    design = _compile(name, tmp_path)
    x = DATA[f"{name}_x"]
    ref = _onnxruntime(name, x)
    np.testing.assert_allclose(ref, DATA[f"{name}_y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(design.predict(x, engine="float"), ref, rtol=1e-5, atol=1e-5)
    fixed = design.predict(x, engine="fixed")
    agree = float(np.mean(fixed.argmax(1) == ref.argmax(1)))
    print(f"\n{name}: argmax agreement fixed vs float model {agree:.4f} on {len(x)} inputs, "
          f"max |fixed - float| {np.abs(fixed - ref).max():.3g}")
    assert agree == 1.0  # (inputs on the 2^-3 grid: the accumulators are exact)
    dense = ops_of(design.design, "binary_complex.xnor_dense")
    assert len(dense) == EXPECTED[name][1]
    assert len([op for op in design.design.walk() if isinstance(op, ThresholdOp)]) == EXPECTED[name][0]
    pools = [op for op in design.design.walk() if isinstance(op, Reduction)]
    assert len(pools) == (name == "cnn") and all(op.bit_or() for op in pools)  # the max pool on +-1: an OR


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_fixed_csim_rtl_bit_exact(tmp_path, name):
    """fixed == C-sim == Verilator RTL bit for bit on the 1,000 test inputs; measured
    latency and II are the predicted ones."""
    design = _compile(name, tmp_path)
    assert_bit_exact_on_schedule(design, DATA[f"{name}_x"], "output", distinct=10)
    if name == "cnn":  # the max pool is an OR of sign bits in both back ends
        verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
        if design.report["io"]["style"] == "stream":  # a line-buffer stage: an OR per channel of a beat
            assert verilog.count("(|{ ~lb[") == 8
        else:  # whole tensors: an OR per output element
            assert verilog.count("(|{ ~x0[") == 8 * 4 * 4
        assert "(the OR of their bits" in (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()


K, CHANNELS = 7, 6


def _bn_sign_model(gamma, beta, mean, var, bipolar: bool, bias=None, seed: int = 8) -> onnx.ModelProto:
    """x [N, 7] -> Sign (ternary: -1 / 0 / +1) -> Gemm(+-1 weights, bias) -> BatchNorm ->
    bipolar Where(>= 0) or ternary Sign -> y [N, 6]."""
    from onnx import helper, numpy_helper

    from helpers import onnx_model

    rng = np.random.default_rng(seed)
    f32 = lambda a, n: numpy_helper.from_array(np.asarray(a, np.float32), n)  # noqa: E731
    inits = [f32(np.where(rng.standard_normal((CHANNELS, K)) >= 0, 1, -1), "w"), f32(rng.uniform(-1, 1, CHANNELS) if bias is None else bias, "b"),
             f32(gamma, "g"), f32(beta, "beta"), f32(mean, "m"), f32(var, "v"), f32(0, "zero"), f32(1, "one"),
             f32(-1, "minus")]  # fmt: skip
    nodes = [helper.make_node("Sign", ["x"], ["s"], name="sign_in"),
             helper.make_node("Gemm", ["s", "w", "b"], ["acc"], name="fc", transB=1),
             helper.make_node("BatchNormalization", ["acc", "g", "beta", "m", "v"], ["z"], name="bn")]
    if bipolar:
        nodes += [helper.make_node("GreaterOrEqual", ["z", "zero"], ["ge"], name="ge"),
                  helper.make_node("Where", ["ge", "one", "minus"], ["y"], name="bipolar")]
    else:
        nodes.append(helper.make_node("Sign", ["z"], ["y"], name="sign"))
    return onnx_model(nodes, [("x", ["N", K])], [("y", ["N", CHANNELS])], inits)


def _every_accumulator() -> np.ndarray:
    """All 3^7 inputs in {-1, 0, 1}^7: every channel's accumulator takes every integer in
    [-K_c, K_c] (K_c = 7 with +-1 weights)."""
    grid = np.stack(np.meshgrid(*[np.array([-1.0, 0.0, 1.0])] * K, indexing="ij"), -1)
    return grid.reshape(-1, K).astype(np.float32)


@pytest.mark.parametrize("bipolar", [True, False], ids=["bipolar", "ternary"])
def test_fold_equals_batch_norm_and_sign_for_every_accumulator(bipolar):
    """Positive, negative and zero gamma (constant +1 / -1 channels): after the fold the
    float interpreter equals onnxruntime on every accumulator value of every channel."""
    rng = np.random.default_rng(9)
    gamma = [1.3, -0.7, 0.0, 0.0, 2.1, -1.9]
    beta = [0.2, -0.4, 0.4, -0.3, -1.1, 0.9]
    model = _bn_sign_model(gamma, beta, rng.uniform(-3, 3, CHANNELS), rng.uniform(0.5, 3, CHANNELS), bipolar)
    module = import_model(model)
    (threshold,) = [op for op in module.walk() if isinstance(op, SignThresholdOp)]
    assert list(threshold.directions.get_values()) == [1, -1, 1, 1, 1, -1]
    t = threshold.thresholds.get_values()
    assert t[2] <= -K and t[3] > K  # gamma = 0: always +1 (beta > 0), always -1 (beta < 0)
    x = _every_accumulator()
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert set(np.unique(ref)) == {-1.0, 1.0}
    from nncc.runtime.interpreter import run_float

    got = run_float(module, {"x": x})["y"]
    assert np.array_equal(got, ref)


def test_fold_margin_is_scale_free():
    """A channel whose batch norm maps one accumulator step to 1e-5 (gamma 1e-5: values within
    1e-5 of 0, yet thousands of float32 roundings away from it) folds and equals onnxruntime
    on every accumulator; a channel whose edge lies within float32 rounding of an
    accumulator value (mean 1 + 2^-20, beta 0: the value at 1 is 8 float32 steps below 0) does
    not fold."""
    ones, zeros = np.ones(CHANNELS), np.zeros(CHANNELS)
    mean = np.asarray([0.5, 1.5, -0.5, 2.5, -1.5, 0.5])
    model = _bn_sign_model(ones * 1e-5, zeros, mean, ones, bipolar=True, bias=zeros)
    module = import_model(model)
    assert [op for op in module.walk() if isinstance(op, SignThresholdOp)]
    x = _every_accumulator()
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    from nncc.runtime.interpreter import run_float

    assert np.array_equal(run_float(module, {"x": x})["y"], ref)
    edge = _bn_sign_model(ones, zeros, np.where(np.arange(CHANNELS) == 0, 1.0 + 2.0 ** -20, mean), ones, bipolar=True, bias=zeros)
    assert not [op for op in import_model(edge).walk() if isinstance(op, SignThresholdOp)]


def test_ternary_sign_with_an_exact_zero_is_kept():
    """No bias, mean 1, beta 0: the batch norm is exactly 0 at accumulator 1, where ONNX Sign gives 0;
    no +-1 threshold can, so the layer keeps its batch norm and ternary sign (and the float
    interpreter still equals onnxruntime, zeros included)."""
    ones = np.ones(CHANNELS)
    model = _bn_sign_model(ones, np.zeros(CHANNELS), ones, ones, bipolar=False, bias=np.zeros(CHANNELS))
    module = import_model(model)
    assert not [op for op in module.walk() if isinstance(op, SignThresholdOp)]
    x = _every_accumulator()
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert (ref == 0).any()
    from nncc.runtime.interpreter import run_float

    assert np.array_equal(run_float(module, {"x": x})["y"], ref)


def _stream_model() -> onnx.ModelProto:
    """x [N, 1, 8, 8] -> Sign (ternary) -> Conv (integer weights in [-2, 2], 4 filters 3x3,
    pad 1) -> BatchNorm (gamma of both signs) -> bipolar Where(>= 0) -> MaxPool 2 -> Conv 1x1
    (integer weights, 3 filters) -> y."""
    from onnx import helper, numpy_helper

    from helpers import onnx_model

    rng = np.random.default_rng(3)
    f32 = lambda a, n: numpy_helper.from_array(np.asarray(a, np.float32), n)  # noqa: E731
    c = 4
    inits = [f32(rng.integers(-2, 3, (c, 1, 3, 3)), "w"), f32(rng.uniform(0.5, 2, c) * np.array([1, -1, 1, -1]), "g"),
             f32(rng.uniform(-1, 1, c), "beta"), f32(rng.uniform(-2, 2, c), "m"), f32(rng.uniform(1, 4, c), "v"),
             f32(rng.integers(-2, 3, (3, c, 1, 1)), "w2"), f32(0, "zero"), f32(1, "one"), f32(-1, "minus")]  # fmt: skip
    nodes = [helper.make_node("Sign", ["x"], ["s"], name="sign_in"),
             helper.make_node("Conv", ["s", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "beta", "m", "v"], ["z"], name="bn"),
             helper.make_node("GreaterOrEqual", ["z", "zero"], ["ge"], name="ge"),
             helper.make_node("Where", ["ge", "one", "minus"], ["b"], name="bipolar"),
             helper.make_node("MaxPool", ["b"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p", "w2"], ["y"], name="conv2")]
    return onnx_model(nodes, [("x", ["N", 1, 8, 8])], [("y", ["N", 3, 4, 4])], inits)


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
def test_stream_threshold_and_or_pool_bit_exact(tmp_path):
    """io = stream: the threshold on each beat (a pixel's channels) and the max pool as an OR
    of the sign bits in its line-buffer stage (both back ends); float == onnxruntime, fixed == C-sim == RTL on 1,000 images with
    the predicted latency / II."""
    model = _stream_model()
    onnx.save(model, tmp_path / "m.onnx")
    x = np.random.default_rng(4).standard_normal((1000, 1, 8, 8)).astype(np.float32)
    x[np.abs(x) < 0.3] = 0  # (Sign(0) = 0 reaches the convolution)
    np.save(tmp_path / "cal.npy", x[:64])
    design = nncc.compile(tmp_path / "m.onnx", tmp_path / "out", calibration=tmp_path / "cal.npy", io="stream")
    assert len([op for op in design.design.walk() if isinstance(op, ThresholdOp)]) == 1
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.array_equal(design.run(x, "float")["y"], ref)
    assert np.array_equal(design.run(x, "fixed")["y"], ref)
    assert_bit_exact_on_schedule(design, x, "y", distinct=1)
    verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
    assert verilog.count("(|{ ~lb[") == 4  # the pool stage: per channel an OR of its window's 4 sign bits
    assert "nncc::raw(lb[" in (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()


@pytest.mark.requires("yosys")
def test_bnn_mlp_uses_no_dsp(tmp_path):
    """Yosys (synth_xilinx, xc7) on the BNN MLP: the first layer (+-1 weights on the 16-bit
    input: adders), the XNOR-popcount layers and the threshold comparators use no DSP."""
    from nncc.compiler.analysis.synthesis import synthesize_design

    result = synthesize_design(_compile("mlp", tmp_path))
    for row in result["layers"]:
        print(f"\n{row['layer']}: {row['LUT']} LUT, {row['DSP']} DSP")
        assert row["DSP"] == 0
    assert result["total"]["DSP"] == 0 and result["total"]["LUT"] > 0


def _bipolar_model(form: str) -> onnx.ModelProto:
    """x [N, 6] -> one bipolar-sign sub-graph of ``form`` (scale 0.5 for the Where forms)."""
    from onnx import helper, numpy_helper

    from helpers import onnx_model

    f32 = lambda a, n: numpy_helper.from_array(np.asarray(a, np.float32), n)  # noqa: E731
    inits = [f32(0, "zero"), f32(0.5, "half"), f32(-0.5, "minus")]
    node = helper.make_node
    nodes = {
        "ge_where": [node("GreaterOrEqual", ["x", "zero"], ["c"]), node("Where", ["c", "half", "minus"], ["y"])],
        "less_where": [node("Less", ["x", "zero"], ["c"]), node("Where", ["c", "minus", "half"], ["y"])],
        "sign_equal": [node("Sign", ["x"], ["s"]), node("Equal", ["x", "zero"], ["e"]),
                       node("Cast", ["e"], ["f"], to=onnx.TensorProto.FLOAT), node("Add", ["s", "f"], ["y"])],
    }[form]
    return onnx_model(nodes, [("x", ["N", 6])], [("y", ["N", 6])], inits)


@pytest.mark.parametrize("form", ["ge_where", "less_where", "sign_equal"])
def test_bipolar_sign_forms_import_as_one_sign(form):
    """torch.where(x >= 0, s, -s), torch.where(x < 0, -s, s) and sign(x) + (x == 0) import as
    one bipolar `nn.sign` (sign(0) = +1), equal to onnxruntime (zeros included)."""
    from nncc.dialects import nn
    from nncc.runtime.interpreter import run_float

    model = _bipolar_model(form)
    module = import_model(model)
    (sign,) = ops_of(module, "nn.sign")
    assert sign.scale.value.data == (1.0 if form == "sign_equal" else 0.5)
    assert not [op for op in module.walk() if isinstance(op, (nn.MulOp, nn.AddOp, nn.SubOp))]
    x = np.random.default_rng(6).standard_normal((500, 6)).astype(np.float32)
    x[::7, ::2] = 0.0
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.array_equal(run_float(module, {"x": x})["y"], ref)
