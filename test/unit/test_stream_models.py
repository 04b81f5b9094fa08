"""I/O style `stream` on the two models the streaming work is judged by: the small CNN
(test/fixtures/cnn.onnx: 1x16x16, conv-BN-ReLU-pool-conv-BN-ReLU-GAP-dense) and ResNet-8
(test/fixtures/resnet8.onnx: 3x32x32, three residual stages, two with a 1x1 projection).

For each, at reuse factor 1: the float interpreter equals onnxruntime, the fixed-point
interpreter equals the C simulation and Verilator bit for bit on 1,000 back-to-back inputs,
the measured latency and II are the stream model's and nothing stalls; then, for every FIFO
the model sized above one beat, the design with that one FIFO a beat shallower stalls,
raises its II or deadlocks (one Verilator build per FIFO). A FIFO of one beat has no beat to
take away (none stalls the design: see `test_stream.py`).

Marked `sweep` (minutes for the small CNN, over an hour for ResNet-8 on two cores): run with
`pytest -m sweep test/unit/test_stream_models.py`; the default suite checks the same
properties on the smallest models that show them (test_stream.py, test_stream_residual.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.dialects.dataflow_stream import FifoOp
from helpers import assert_bit_exact_on_schedule
from stream_support import assert_one_beat_less_stalls

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODELS = {"cnn": (1, 16, 16), "resnet8": (3, 32, 32)}
SAMPLES = 1000

pytestmark = [pytest.mark.sweep, pytest.mark.requires("verilator")]


@pytest.fixture(scope="module", params=sorted(MODELS))
def compiled(request, tmp_path_factory):
    name = request.param
    folder = tmp_path_factory.mktemp(f"stream_{name}")
    rng = np.random.default_rng(7)
    calibration = rng.standard_normal((256, *MODELS[name])).astype(np.float32)
    design = nncc.compile(FIXTURES / f"{name}.onnx", folder / "out", io="stream", calibration=calibration,
                          target="all")
    return name, design


def test_bit_exact_on_schedule(compiled):
    import onnxruntime as ort

    name, design = compiled
    x = np.random.default_rng(8).standard_normal((SAMPLES, *MODELS[name])).astype(np.float32)
    session = ort.InferenceSession(str(FIXTURES / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    oracle = np.concatenate([session.run(None, {session.get_inputs()[0].name: x[i:i + 1]})[0] for i in range(64)])
    assert np.allclose(design.predict(x[:64], engine="float"), oracle, atol=1e-4)
    assert_bit_exact_on_schedule(design, x, design.output_names[0])
    assert design.rtl_stats["stalls"] == 0


def test_one_beat_less_in_any_fifo_stalls(compiled, tmp_path):
    name, design = compiled
    fifos = [op for op in design.design.walk() if isinstance(op, FifoOp)]
    sized = [f for f in fifos if f.depth.value.data > 1]
    assert sized
    x = np.random.default_rng(9).standard_normal((12, *MODELS[name])).astype(np.float32)
    assert_one_beat_less_stalls(design, sized, x, tmp_path)
