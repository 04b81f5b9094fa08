"""The fine-tuning hook (`nncc.compiler.masks`): masks out, train, masks in.

A user's training loop (here plain numpy: Adam on the cross-entropy of the digits MLP
64-32-32-10, minibatches of 64, seeded) prunes gradually with the knapsack over the multiplier
lanes at RF 4: at 50 %, 65 % and 75 % of the dense multipliers removed, `pruning_masks` gives
the masks of the current weights (saliencies on 256 calibration samples) and 30 epochs retrain
with the masks held (weights multiplied by them after every step). `apply_masks` writes the
zeros into the ONNX model and `nncc compile --sparse-threshold 0.01` turns them into absent
multipliers. Measured: 208 of 832 multipliers (the budget, 25 %), fixed-point test accuracy
0.9667 against 0.9648 for the float model (post-training knapsack without the hook: 0.9463,
test_sparse_knapsack.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import nncc
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.masks import apply_masks, complementary_masks, pruning_masks
from nncc.dialects import dataflow

from helpers import digits_data

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

FIXTURES = Path(__file__).parent.parent / "fixtures"


class NumpyMlp:
    """The digits MLP's Gemm layers as numpy arrays, trained with masks held."""

    def __init__(self, model: onnx.ModelProto):
        self.model = model
        self.gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
        values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
        self.w = [values[n.input[1]] for n in self.gemms]
        self.b = [values[n.input[2]] for n in self.gemms]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        hs = [np.asarray(x, np.float64)]
        for i, (w, b) in enumerate(zip(self.w, self.b)):
            z = hs[-1] @ w.T + b
            hs.append(np.maximum(z, 0) if i < len(self.w) - 1 else z)
        return hs

    def train(self, x: np.ndarray, y: np.ndarray, masks: list[np.ndarray], epochs: int, lr: float = 1e-3) -> None:
        params = self.w + self.b
        m1, m2 = [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
        rng, step = np.random.default_rng(0), 0
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(order), 64):
                idx = order[start:start + 64]
                hs = self.forward(x[idx])
                p = np.exp(hs[-1] - hs[-1].max(axis=1, keepdims=True))
                g = p / p.sum(axis=1, keepdims=True)
                g[np.arange(len(idx)), y[idx]] -= 1
                g /= len(idx)
                grads_w, grads_b = [None] * len(self.w), [None] * len(self.w)
                for i in reversed(range(len(self.w))):
                    grads_w[i], grads_b[i] = g.T @ hs[i], g.sum(axis=0)
                    if i:
                        g = (g @ self.w[i]) * (hs[i] > 0)
                step += 1
                for j, (param, grad) in enumerate(zip(params, grads_w + grads_b)):
                    m1[j] = 0.9 * m1[j] + 0.1 * grad
                    m2[j] = 0.999 * m2[j] + 0.001 * grad * grad
                    param -= lr * (m1[j] / (1 - 0.9 ** step)) / (np.sqrt(m2[j] / (1 - 0.999 ** step)) + 1e-8)
                for w, mask in zip(self.w, masks):
                    w *= mask

    def save(self, path: Path) -> Path:
        tensors = {t.name: t for t in self.model.graph.initializer}
        for node, w, b in zip(self.gemms, self.w, self.b):
            for name, value in ((node.input[1], w), (node.input[2], b)):
                tensors[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))
        onnx.save(self.model, path)
        return path


def test_gradual_knapsack_with_fine_tuning_keeps_accuracy(tmp_path):
    x_train, y_train, x_test, y_test = digits_data().load_split("flat")
    net = NumpyMlp(onnx.load(FIXTURES / "digits_mlp.onnx"))
    float_acc = np.mean(net.forward(x_test)[-1].argmax(1) == y_test)
    for fraction in (0.5, 0.65, 0.75):
        masks = pruning_masks(net.save(tmp_path / "current.onnx"), kind="knapsack", fraction=fraction, reuse_factor=4,
                              calibration=x_train[:256])
        held = [masks[node.input[1]] for node in net.gemms]
        assert all(m.shape == w.shape for m, w in zip(held, net.w))
        net.w = [w * m for w, m in zip(net.w, held)]
        net.train(x_train, y_train, held, epochs=30)
    pruned = apply_masks(net.save(tmp_path / "trained.onnx"), masks)
    onnx.save(pruned, tmp_path / "pruned.onnx")
    np.save(tmp_path / "cal.npy", x_train[:256])
    design = nncc.compile(tmp_path / "pruned.onnx", tmp_path / "design", calibration=tmp_path / "cal.npy",
                          reuse_factor=4, target="verilog", sparse_threshold=0.01)
    planned = sum(pe.multipliers.value.data for pe in design.design.walk() if isinstance(pe, dataflow.PeOp))
    fixed_acc = np.mean(design.predict(x_test, engine="fixed").argmax(1) == y_test)
    print(f"\n{planned} of 832 multipliers; accuracy float {float_acc:.4f}, fine-tuned fixed point {fixed_acc:.4f}")
    assert planned <= 832 // 4
    assert fixed_acc >= float_acc - 0.01


def test_masks_keep_the_layouts_and_refuse_strangers(tmp_path):
    masks = pruning_masks(FIXTURES / "digits_mlp.onnx", kind="2:4")
    assert {k: v.shape for k, v in masks.items()} == {"net.0.weight": (32, 64), "net.2.weight": (32, 32),
                                                      "net.4.weight": (10, 32)}
    assert all(m.reshape(m.shape[0], -1, 4).sum(axis=2).max() == 2 for m in masks.values())
    with pytest.raises(NnccError, match="no initializer named 'fc9.weight'"):
        apply_masks(FIXTURES / "digits_mlp.onnx", {"fc9.weight": np.ones((2, 2), bool)})
    with pytest.raises(NnccError, match="mask of 'net.0.weight' has shape"):
        apply_masks(FIXTURES / "digits_mlp.onnx", {"net.0.weight": np.ones((64, 32), bool)})
    with pytest.raises(NnccError, match="sparse_prune_kind must be"):
        pruning_masks(FIXTURES / "digits_mlp.onnx", kind="diagonal")


def test_complementary_masks_partition_every_group():
    mask = complementary_masks((8, 3, 2, 2), 4, seed=1)
    rows = mask.reshape(8, -1)
    assert (rows.reshape(2, 4, 12).sum(axis=1) == 1).all()  # each column owned by one kernel of its group
    assert set(rows.sum(axis=1)) == {3}
    assert not np.array_equal(mask, complementary_masks((8, 3, 2, 2), 4, seed=2))
    with pytest.raises(NnccError, match="divide the 6 output channels"):
        complementary_masks((6, 4), 4)


def test_bad_inputs_are_clear_errors(tmp_path):
    model = FIXTURES / "digits_mlp.onnx"
    with pytest.raises(NnccError, match="calibration: input 'x' has shape"):
        pruning_masks(model, kind="knapsack", fraction=0.5, calibration=np.zeros((8, 3)))
    with pytest.raises(NnccError, match="NaN"):
        pruning_masks(model, kind="knapsack", fraction=0.5, calibration=np.full((8, 64), np.nan))
    with pytest.raises(NnccError, match="complementary needs K >= 2"):
        pruning_masks(model, kind="complementary=1")
    with pytest.raises(NnccError, match="cannot load"):
        apply_masks(tmp_path / "missing.onnx", {})


def test_nodes_without_names_are_matched_by_their_weights(tmp_path):
    """A model whose nodes have no names (onnx.helper's default): the masks still come back,
    each weight found by value, in its initializer's layout."""
    model = onnx.load(FIXTURES / "digits_mlp.onnx")
    for node in model.graph.node:
        node.name = ""
    onnx.save(model, tmp_path / "nameless.onnx")
    masks = pruning_masks(tmp_path / "nameless.onnx", kind="2:4")
    assert {k: v.shape for k, v in masks.items()} == {"net.0.weight": (32, 64), "net.2.weight": (32, 32),
                                                      "net.4.weight": (10, 32)}
