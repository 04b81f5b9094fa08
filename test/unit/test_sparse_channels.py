"""Channel removal across residual adds and concats (`sparse-remove-channels`, channel groups of
`nncc.dialects.nn.channels`) and channel pruning that ranks tied layers together
(`sparse-prune` kind ``channels``).

The model (onnx.helper, seeded weights): Conv 1->4 3x3 pad 1 on 6x6 -> Relu = r1;
r1 -> Conv 4->4 -> Relu -> Conv 4->4 -> Add(., r1) -> Relu -> Flatten -> Gemm 144->3; the
"concat" variant joins Concat(Relu(Conv 4->4), r1) on channels instead of the add.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

import nncc
from helpers import onnx_model, ops_of, random_init
from nncc.compiler.api import import_model, run_float_model
from nncc.compiler.context import make_context
from nncc.compiler.pipelines import run_passes
from nncc.passes.sparse_prune import SparsePrunePass
from nncc.passes.sparse_remove_channels import SparseRemoveChannelsPass


def residual_model(variant: str = "add", zero: dict | None = None, seed: int = 41, shortcut_out: bool = False) -> onnx.ModelProto:
    """The model of the module docstring; ``zero``: initializer name -> output channels whose
    weight rows and biases are set to zero; ``shortcut_out``: r1 is a second graph output."""
    rng = np.random.default_rng(seed)

    def conv(x, w, b, y):
        return helper.make_node("Conv", [x, w, b], [y], name=y, pads=[1, 1, 1, 1])

    nodes = [conv("input", "W1", "B1", "c1"), helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             conv("r1", "W2", "B2", "c2"), helper.make_node("Relu", ["c2"], ["r2"], name="relu2")]
    if variant == "add":
        nodes += [conv("r2", "W3", "B3", "c3"), helper.make_node("Add", ["c3", "r1"], ["s"], name="add"),
                  helper.make_node("Relu", ["s"], ["j"], name="relu3")]
        features = 4 * 36
    else:
        nodes += [helper.make_node("Concat", ["r2", "r1"], ["j"], name="cat", axis=1)]
        features = 8 * 36
    nodes += [helper.make_node("Flatten", ["j"], ["f"], name="flatten"),
              helper.make_node("Gemm", ["f", "W4", "B4"], ["output"], name="fc", transB=1)]
    inits = {"W1": random_init(rng, "W1", 4, 1, 3, 3), "B1": random_init(rng, "B1", 4, scale=0.1),
             "W2": random_init(rng, "W2", 4, 4, 3, 3), "B2": random_init(rng, "B2", 4, scale=0.1),
             "W3": random_init(rng, "W3", 4, 4, 3, 3), "B3": random_init(rng, "B3", 4, scale=0.1),
             "W4": random_init(rng, "W4", 3, features, scale=0.3), "B4": random_init(rng, "B4", 3, scale=0.1)}
    if variant != "add":
        del inits["W3"], inits["B3"]
    for layer, channels in (zero or {}).items():
        for name in (f"W{layer}", f"B{layer}"):
            values = numpy_helper.to_array(inits[name]).copy()
            values[list(channels)] = 0.0
            inits[name] = numpy_helper.from_array(values, name)
    outputs = [("output", [1, 3])] + ([("r1", [1, 4, 6, 6])] if shortcut_out else [])
    return onnx_model(nodes, [("input", [1, 1, 6, 6])], outputs, list(inits.values()))


def removed(model: onnx.ModelProto, passes) -> tuple[object, dict[str, tuple]]:
    """The imported module after ``passes``, and each conv / dense weight's shape by op order."""
    module = import_model(model)
    run_passes(passes, module, make_context())
    shapes = {f"{op.name}{i}": tuple(op.weight.type.get_shape())
              for name in ("nn.conv", "nn.dense") for i, op in enumerate(ops_of(module, name))}
    return module, shapes


def inputs(count: int = 64, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 1, 6, 6)).astype(np.float32)


def onnxruntime(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {"input": x[i:i + 1]})[0] for i in range(len(x))])


def test_channel_zero_in_branch_and_shortcut_leaves_both():
    """Channel 1 is zero in conv1 (the shortcut) and conv3 (the branch): it leaves conv1,
    conv2's input, conv3, the add, the relu and the Gemm's 36 features of that channel;
    conv2's zero channel 2 leaves conv2 and conv3's input. The result does not change."""
    model = residual_model(zero={1: [1], 3: [1], 2: [2]})
    module, shapes = removed(model, [SparseRemoveChannelsPass()])
    assert shapes == {"nn.conv0": (3, 1, 3, 3), "nn.conv1": (3, 3, 3, 3), "nn.conv2": (3, 3, 3, 3), "nn.dense0": (3, 108)}
    assert tuple(ops_of(module, "nn.add")[0].results[0].type.get_shape()) == (1, 3, 6, 6)
    x = inputs()
    np.testing.assert_allclose(run_float_model(module, x)["output"], onnxruntime(model, x), rtol=1e-5, atol=1e-5)


def test_channel_zero_on_one_side_of_the_add_stays():
    """Channel 1 zero in conv1 only: the add still carries conv3's channel 1, so conv1 keeps it
    (the shortcut feeds the add); nothing of that group leaves."""
    model = residual_model(zero={1: [1]})
    _, shapes = removed(model, [SparseRemoveChannelsPass()])
    assert shapes == {"nn.conv0": (4, 1, 3, 3), "nn.conv1": (4, 4, 3, 3), "nn.conv2": (4, 4, 3, 3), "nn.dense0": (3, 144)}


def test_a_shortcut_that_is_also_an_output_keeps_its_group():
    """r1 is also a graph output: its channel 1 must stay, and with it the whole group (conv1,
    the add, conv3), however the uses are visited; conv2's own zero channel still leaves."""
    model = residual_model(zero={1: [1], 3: [1], 2: [2]}, shortcut_out=True)
    module, shapes = removed(model, [SparseRemoveChannelsPass()])
    assert shapes == {"nn.conv0": (4, 1, 3, 3), "nn.conv1": (3, 4, 3, 3), "nn.conv2": (4, 3, 3, 3), "nn.dense0": (3, 144)}
    x = inputs()
    got = run_float_model(module, x)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    for name in ("output", "r1"):
        want = np.concatenate([session.run([name], {"input": x[i:i + 1]})[0] for i in range(len(x))])
        np.testing.assert_allclose(got[name], want, rtol=1e-5, atol=1e-5)


def test_concat_on_channels_removes_each_operands_channels():
    """Concat(r2, r1): conv2's channel 2 is result channel 2, conv1's channel 1 result channel
    5; both leave, with their features of the Gemm (8 -> 6 channels, 288 -> 216)."""
    model = residual_model("concat", zero={1: [1], 2: [2]})
    module, shapes = removed(model, [SparseRemoveChannelsPass()])
    assert shapes == {"nn.conv0": (3, 1, 3, 3), "nn.conv1": (3, 3, 3, 3), "nn.dense0": (3, 216)}
    x = inputs()
    np.testing.assert_allclose(run_float_model(module, x)["output"], onnxruntime(model, x), rtol=1e-5, atol=1e-5)


def test_channel_pruning_ranks_the_tied_layers_together():
    """Half the channels: conv1 and conv3 (tied by the add) lose the same two channels, so they
    leave both, and conv2 (alone) loses two of its own."""
    model = residual_model()
    module, shapes = removed(model, [SparsePrunePass(0.5, "channels"), SparseRemoveChannelsPass()])
    assert shapes == {"nn.conv0": (2, 1, 3, 3), "nn.conv1": (2, 2, 3, 3), "nn.conv2": (2, 2, 3, 3), "nn.dense0": (3, 72)}


@pytest.mark.requires("g++")
def test_pruned_residual_model_is_bit_exact(tmp_path):
    """`nncc.compile(..., sparse_prune=0.5, sparse_prune_kind="channels")` on the residual model:
    the design's layers are half as wide and the C-simulation equals the fixed-point
    interpreter bit for bit."""
    path = Path(tmp_path) / "m.onnx"
    onnx.save(residual_model(), path)
    design = nncc.compile(path, tmp_path / "out", sparse_prune=0.5, sparse_prune_kind="channels")
    convs = ops_of(design.design, "fixed.conv")
    assert [tuple(c.weight.type.get_shape())[:2] for c in convs] == [(2, 1), (2, 2), (2, 2)]
    x = inputs(300, seed=9)
    assert np.array_equal(design.predict(x, engine="fixed"), design.predict(x, engine="csim"))
