"""A binarized MLP the way torch BNNs are written: +-1 weights, then BatchNorm, then Sign.
`nn-fold-batchnorm` must not fold those batch norms into the binary layers (it would scale each
output channel's weights by its own factor, so the layers would need multipliers): the weights
stay +-1 (binary encoding: additions only, no DSP). Instead batch norm + sign becomes
`binary_complex.sign_threshold` (`binary-complex-fold-threshold`): after the first layer (real
input) a threshold on the 2^-32 grid; after the second, whose accumulator is an integer (+-1
weights on the first threshold's +-1), an integer threshold (no value of that accumulator
makes the batch norm exactly 0, so ONNX's ternary Sign is +-1 there). Their +-1 outputs put
the second and third layers on the XNOR PE. The design is bit-exact three ways."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from helpers import onnx_model
from onnx import helper, numpy_helper

import nncc
from nncc.compiler.api import import_model
from nncc.dialects import nn
from nncc.dialects.binary_complex import SignThresholdOp
from nncc.dialects.nn.canonicalize import constant_value

IN, HIDDEN, OUT = 12, 24, 5


def bnn_model(seed: int = 3):
    """x [N, 12] -> Gemm(+-1) -> BatchNorm -> Sign -> Gemm(+-1) -> BatchNorm -> Sign -> Gemm(+-1) -> y [N, 5]."""
    rng = np.random.default_rng(seed)
    inits, nodes, x = [], [], "x"
    for k, (n_in, n_out) in enumerate(((IN, HIDDEN), (HIDDEN, HIDDEN), (HIDDEN, OUT)), start=1):
        w = np.where(rng.standard_normal((n_out, n_in)) >= 0, 1.0, -1.0).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{k}"))
        nodes.append(helper.make_node("Gemm", [x, f"w{k}"], [f"g{k}"], name=f"fc{k}", transB=1))
        x = f"g{k}"
        if k < 3:
            for name, values in (("scale", rng.uniform(-1.5, 1.5, n_out)), ("bias", rng.standard_normal(n_out)),
                                 ("mean", rng.standard_normal(n_out) * 2), ("var", rng.uniform(0.5, 4, n_out))):
                inits.append(numpy_helper.from_array(values.astype(np.float32), f"{name}{k}"))
            nodes.append(helper.make_node("BatchNormalization", [x, f"scale{k}", f"bias{k}", f"mean{k}", f"var{k}"],
                                          [f"bn{k}"], name=f"bn{k}"))
            nodes.append(helper.make_node("Sign", [f"bn{k}"], [f"s{k}"], name=f"sign{k}"))
            x = f"s{k}"
    nodes.append(helper.make_node("Identity", [x], ["y"], name="out"))
    return onnx_model(nodes, [("x", ["N", IN])], [("y", ["N", OUT])], inits)


def test_batch_norms_before_signs_are_not_folded_into_binary_weights():
    module = import_model(bnn_model())
    dense = [op for op in module.walk() if isinstance(op, nn.DenseOp)]
    assert len(dense) == 3
    for layer in dense:
        assert np.isin(np.asarray(constant_value(layer.weight_operand())), (-1.0, 1.0)).all()
    assert not [op for op in module.walk() if isinstance(op, nn.BatchNormOp)]
    assert len([op for op in module.walk() if isinstance(op, SignThresholdOp)]) == 2


@pytest.mark.requires("verilator")
def test_bnn_keeps_binary_layers_and_is_bit_exact(tmp_path, private_cache):
    model = bnn_model()
    path = tmp_path / "bnn.onnx"
    path.write_bytes(model.SerializeToString())
    x = np.random.default_rng(5).standard_normal((1000, IN)).astype(np.float32)
    design = nncc.compile(path, tmp_path / "d", calibration=None)
    dense = [op for op in design.design.walk() if op.name == "fixed.dense"]
    assert len(dense) == 1 and all(str(op.encoding).startswith("#encoding.binary<") for op in dense)
    assert len([op for op in design.design.walk() if op.name == "binary_complex.xnor_dense"]) == 2
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(design.predict(x, engine="float"), ref, atol=1e-4)
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.array_equal(fixed, design.run_rtl(x)["y"])
    agree = np.mean(fixed.argmax(1) == ref.argmax(1))
    print(f"\nBNN: argmax agreement with onnxruntime {agree:.3f}")
    assert agree >= 0.95
