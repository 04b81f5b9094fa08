"""Structural pruning of complex filters (`sparse-prune` kind ``channels`` on
`binary_complex.complex_conv` / `complex_dense`, then `sparse-remove-channels`).

Checked: filters are ranked by the group norm |A_f|^2 + |B_f|^2 (a hand-made weight whose
real parts alone would rank them otherwise); pruning zeroes whole filters (A and B rows and
both bias entries); removing them shrinks both planes of the producer and the consumer's
input and leaves the float model's outputs those of the model with the filters zeroed, on
the binarized complex CNN (where the signs turn removed channels into +1 constants that the
consumers' biases take) and on a complex residual CNN (the branch and the shortcut lose the
same filters); in fixed point the pruned residual CNN equals, bit for bit, the unpruned ONNX
model with those filters zeroed, and the pruned binarized CNN is fixed == C-sim == RTL.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import nncc
from helpers import assert_bit_exact_on_schedule, ops_of
from nncc.compiler.api import import_model, parse_mlir, run_float_model
from nncc.compiler.context import make_context
from nncc.dialects.encodings import BinaryAttr
from nncc.dialects.interfaces import ComplexWeights
from nncc.dialects.nn.channels import constant_weights
from nncc.dialects.nn.semantics import constant_value
from nncc.passes.sparse_prune import SparsePrunePass

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

FIXTURES = Path(__file__).parent.parent / "fixtures"
BCNN, RESIDUAL = FIXTURES / "torch_bcnn.onnx", FIXTURES / "torch_complex_residual.onnx"
PRUNE = 'sparse-prune{fraction=0.5 kind="channels" compensate=false}'


def inputs(n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((n, 2, 8, 8)) * 2).astype(np.float32)


def layers(module) -> list:
    return [op for op in module.walk() if isinstance(op, ComplexWeights)]


def parts(layer) -> tuple[np.ndarray, np.ndarray]:
    return tuple(np.asarray(constant_value(v), np.float64) for v in layer.weight_parts())


def zero_filters(layer) -> np.ndarray:
    """The filters whose A and B rows are all zero."""
    a, b = parts(layer)
    return ~(a.reshape(len(a), -1).any(axis=1) | b.reshape(len(b), -1).any(axis=1))


def _literal(values: np.ndarray) -> str:
    return str(np.asarray(values, np.float64).tolist())


def test_filters_are_ranked_by_group_norm():
    """Four 1x1 complex filters: |A|^2 = 9, 1, 0.25, 4 and |B|^2 = 16, 1, 25, 0, so the group
    norms are 25, 2, 25.25, 4: filters 1 and 3 go (by |A| alone 2 and 1 would)."""
    a = np.array([3.0, 1.0, 0.5, 2.0]).reshape(4, 1, 1, 1)
    b = np.array([4.0, 1.0, 5.0, 0.0]).reshape(4, 1, 1, 1)
    w = np.ones((1, 4))
    module = parse_mlir(f"""
func.func @main(%x: tensor<1x2x2x2xf32>) -> tensor<1x2xf32> {{
  %a = nn.constant dense<{_literal(a)}> : tensor<4x1x1x1xf32>
  %b = nn.constant dense<{_literal(b)}> : tensor<4x1x1x1xf32>
  %c = nn.constant dense<{_literal(np.arange(1.0, 9.0))}> : tensor<8xf32>
  %h = binary_complex.complex_conv %x, %a, %b, %c {{dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}} : (tensor<1x2x2x2xf32>, tensor<4x1x1x1xf32>, tensor<4x1x1x1xf32>, tensor<8xf32>) -> tensor<1x8x2x2xf32>
  %r = nn.relu %h : tensor<1x8x2x2xf32>
  %p = nn.global_avg_pool %r : tensor<1x8x2x2xf32> -> tensor<1x8x1x1xf32>
  %f = nn.flatten %p {{axis = 1 : i64}} : tensor<1x8x1x1xf32> -> tensor<1x8xf32>
  %wa = nn.constant dense<{_literal(w)}> : tensor<1x4xf32>
  %y = binary_complex.complex_dense %f, %wa, %wa : (tensor<1x8xf32>, tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}}""")
    SparsePrunePass(0.5, "channels", False).apply(make_context(), module)
    conv = layers(module)[0]
    assert zero_filters(conv).tolist() == [False, True, False, True]
    bias = np.asarray(constant_value(conv.bias_operand()), np.float64)
    assert bias.tolist() == [1, 0, 3, 0, 5, 0, 7, 0]


@pytest.mark.parametrize("model", [BCNN, RESIDUAL], ids=["bcnn", "residual"])
def test_removal_keeps_the_zeroed_models_outputs_and_shrinks_both_planes(model):
    original, zeroed = import_model(model), import_model(model, pipeline=f"nn-cleanup,{PRUNE}")
    pruned = import_model(model, pipeline=f"nn-cleanup,{PRUNE},sparse-remove-channels")
    x = inputs(500, 1)
    want = run_float_model(zeroed, {"input": x})["output"]
    assert np.abs(run_float_model(pruned, {"input": x})["output"] - want).max() <= 1e-4
    assert np.abs(run_float_model(original, {"input": x})["output"] - want).max() > 0.1  # (pruning changed it)
    for before, after in zip(layers(zeroed), layers(pruned)):
        gone = zero_filters(before)
        a, b = parts(after)
        assert a.shape == b.shape and a.shape[0] == (~gone).sum()
        assert after.results[0].type.get_shape()[after.channel_axis()] == 2 * a.shape[0]
        if before is not layers(zeroed)[-1]:  # (the output layer keeps its filters)
            assert gone.sum() == len(gone) // 2
            bias = np.asarray(constant_value(before.bias_operand()), np.float64)
            assert not bias[np.concatenate([gone, gone])].any()
    if model == BCNN:  # the kept weights stay +-1
        assert all(np.isin(constant_weights(op)[0], (-1.0, 1.0)).all() for op in layers(pruned))


def test_residual_block_loses_the_same_filters_in_branch_and_shortcut():
    zeroed = import_model(RESIDUAL, pipeline=f"nn-cleanup,{PRUNE}")
    conv1, conv2, conv3, _ = layers(zeroed)
    assert zero_filters(conv1).tolist() == zero_filters(conv2).tolist()
    assert zero_filters(conv1).sum() == 2
    pruned = import_model(RESIDUAL, pipeline=f"nn-cleanup,{PRUNE},sparse-remove-channels")
    (add,) = ops_of(pruned, "nn.add")
    assert add.results[0].type.get_shape()[1] == 4  # 2 complex channels [re; im]
    assert parts(layers(pruned)[2])[0].shape[:2] == (2, 2)


def _zeroed_onnx(path: Path, folder: Path) -> Path:
    """The residual fixture with the filters `sparse-prune` removes zeroed in its
    initializers (weights and biases of both real layers of each complex layer)."""
    zeroed = layers(import_model(RESIDUAL, pipeline=f"nn-cleanup,{PRUNE}"))
    proto = onnx.load(path)
    inits = {t.name: t for t in proto.graph.initializer}
    for name, layer in zip(("conv1", "conv2", "conv3"), zeroed):
        gone = zero_filters(layer)
        for part in ("re", "im"):
            for field in ("weight", "bias"):
                t = inits[f"{name}.{part}.{field}"]
                v = numpy_helper.to_array(t).copy()
                v[gone] = 0
                t.CopyFrom(numpy_helper.from_array(v, t.name))
    out = folder / "zeroed.onnx"
    onnx.save(proto, out)
    return out


@pytest.mark.requires("g++")
def test_pruned_residual_fixed_equals_the_zeroed_model(tmp_path):
    np.save(tmp_path / "cal.npy", inputs(256, 2))
    options = dict(calibration=tmp_path / "cal.npy", target="hls-cpp")
    pruned = nncc.compile(RESIDUAL, tmp_path / "p", sparse_prune=0.5, sparse_prune_kind="channels", **options)
    zeroed = nncc.compile(_zeroed_onnx(RESIDUAL, tmp_path), tmp_path / "z", **options)
    x = inputs(1000, 3)
    fixed = pruned.predict(x, engine="fixed")
    assert np.array_equal(fixed, zeroed.predict(x, engine="fixed"))
    assert np.array_equal(fixed, pruned.predict(x, engine="csim"))
    weights = [op.weight.type.get_shape() for op in ops_of(pruned.design, "fixed.conv")]
    assert [tuple(w[:2]) for w in weights] == [(4, 2), (4, 4), (4, 4)]  # 2 of 4 complex filters: 8 -> 4 planes


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
def test_pruned_bcnn_is_binary_and_bit_exact(tmp_path):
    np.save(tmp_path / "cal.npy", inputs(256, 0))
    design = nncc.compile(BCNN, tmp_path / "d", calibration=tmp_path / "cal.npy", sparse_prune=0.5,
                          sparse_prune_kind="channels")
    convs = ops_of(design.design, "fixed.conv")
    assert [tuple(op.weight.type.get_shape()[:2]) for op in convs] == [(4, 2), (4, 4)]
    assert all(op.encoding == BinaryAttr(0) for op in convs)
    assert len(ops_of(design.design, "binary_complex.xnor_dense")) == 1
    assert_bit_exact_on_schedule(design, inputs(1000, 5), "output", distinct=20)
