"""Shared by the recurrent-layer tests: the fixtures, onnxruntime on a fixed-batch model,
and small ONNX LSTM/GRU models built with `onnx.helper`."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from helpers import FIXTURES, onnx_model
from onnx import helper, numpy_helper

RNN_FIXTURES = [f"rnn_{m}_{e}" for m in ("lstm", "gru", "bilstm2", "bilstm_conv") for e in ("script", "dynamo")]
FIXTURE_BATCH = 2
FLOAT_TOLERANCE = 1e-5
VARIANT_BATCH = 4


def fixture_path(name: str) -> str:
    """The path of fixture ``name`` (without .onnx)."""
    return str(FIXTURES / f"{name}.onnx")


def sequences(count: int, steps: int, inputs: int = 4, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """``count`` float32 sequences [count, steps, inputs] from N(0, scale^2)."""
    return (np.random.default_rng(seed).standard_normal((count, steps, inputs)) * scale).astype(np.float32)


def run_ort(model, x: np.ndarray, batch: int | None = None) -> np.ndarray:
    """onnxruntime's output for every sample of ``x``, in chunks of the model's fixed batch
    (``batch``; None: all at once)."""
    source = model if isinstance(model, str) else model.SerializeToString()
    session = ort.InferenceSession(source, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    step = batch or len(x)
    return np.concatenate([session.run(None, {name: x[i : i + step]})[0] for i in range(0, len(x), step)])


def fixture_steps(name: str) -> int:
    """T of a fixture's input."""
    model = onnx.load(fixture_path(name))
    return model.graph.input[0].type.tensor_type.shape.dim[1].dim_value


def rnn_model(op: str, *, hidden=5, inputs=3, steps=6, direction="forward", layout=0, clip=None,
              linear_before_reset=None, initial=False, output="Y_h", peephole=False, seed=0,
              batch=VARIANT_BATCH) -> onnx.ModelProto:
    """x [batch, T, I] (batch first, fixed batch: the constant initial states repeat per sample) -> [Transpose to [T, N, I] for layout 0] -> LSTM/GRU -> one
    output made batch first: Y_h ([N, dirs*H]) or Y's last step ([N, dirs*H])."""
    rng = np.random.default_rng(seed)
    gates = 4 if op == "LSTM" else 3
    dirs = 2 if direction == "bidirectional" else 1
    arrays = {
        "W": rng.uniform(-0.6, 0.6, (dirs, gates * hidden, inputs)),
        "R": rng.uniform(-0.6, 0.6, (dirs, gates * hidden, hidden)),
        "B": rng.uniform(-0.3, 0.3, (dirs, 2 * gates * hidden)),
    }
    names = ["xs", "W", "R", "B", ""]
    def state():
        value = np.broadcast_to(rng.uniform(-0.5, 0.5, (dirs, 1, hidden)), (dirs, batch, hidden))
        return value.transpose(1, 0, 2) if layout else value

    if initial:
        arrays["h0"] = state()
        names.append("h0")
        if op == "LSTM":
            arrays["c0"] = state()
            names.append("c0")
    if peephole:
        names += [""] * (7 - len(names)) + ["P"]
        arrays["P"] = rng.uniform(-0.5, 0.5, (dirs, 3 * hidden))
    attrs = {"hidden_size": hidden, "direction": direction, "layout": layout}
    if clip is not None:
        attrs["clip"] = clip
    if linear_before_reset is not None:
        attrs["linear_before_reset"] = linear_before_reset
    nodes = [helper.make_node("Transpose", ["x"], ["xs"], perm=[1, 0, 2])] if layout == 0 else []
    if layout:
        names[0] = "x"
    outs = ["Y", "Y_h"] if output == "Y_h" else ["Y"]
    nodes.append(helper.make_node(op, names, outs, name="rnn", **attrs))
    nodes += _batch_first_output(output, layout, steps, dirs, hidden)
    inits = [numpy_helper.from_array(np.asarray(a, np.float32), k) for k, a in arrays.items()]
    return onnx_model(nodes, [("x", [batch, steps, inputs])], [("y", [batch, dirs * hidden])], inits, opset=20)


def _batch_first_output(output: str, layout: int, steps: int, dirs: int, hidden: int) -> list:
    shape = numpy_helper.from_array(np.asarray([0, dirs * hidden], np.int64), "flat")
    flat = helper.make_node("Constant", [], ["flat_shape"], value=shape)
    if output == "Y_h":
        if layout:
            return [flat, helper.make_node("Reshape", ["Y_h", "flat_shape"], ["y"])]
        return [helper.make_node("Transpose", ["Y_h"], ["hb"], perm=[1, 0, 2]), flat,
                helper.make_node("Reshape", ["hb", "flat_shape"], ["y"])]
    last = numpy_helper.from_array(np.asarray(steps - 1, np.int64), "last")
    pick = helper.make_node("Constant", [], ["last"], value=last)
    if layout:  # Y [N, T, dirs, H]
        return [pick, helper.make_node("Gather", ["Y", "last"], ["yl"], axis=1), flat,
                helper.make_node("Reshape", ["yl", "flat_shape"], ["y"])]
    return [pick, helper.make_node("Gather", ["Y", "last"], ["yl"], axis=0),  # [dirs, N, H]
            helper.make_node("Transpose", ["yl"], ["yb"], perm=[1, 0, 2]), flat,
            helper.make_node("Reshape", ["yb", "flat_shape"], ["y"])]


CALIBRATION = 256


def fixed_module(source, name="input", steps=10, inputs=4, options=None, prepare=None):
    """``source`` imported, calibrated on N(0, 1) sequences and lowered by nn-to-fixed
    (``prepare(module)`` runs on the float module first, e.g. to set precision overrides)."""
    from nncc.compiler.analysis.calibrate import calibrate
    from nncc.compiler.context import make_context
    from nncc.compiler.onnx.importer import import_onnx
    from nncc.compiler.pipelines import build_nn_to_fixed, run_passes

    module = import_onnx(source)
    if prepare is not None:
        prepare(module)
    calibrate(module, {name: sequences(CALIBRATION, steps, inputs, seed=11)})
    run_passes(build_nn_to_fixed(options or {}), module, make_context())
    return module
