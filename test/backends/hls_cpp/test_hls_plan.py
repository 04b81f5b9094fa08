"""The HLS C++ back end prints the dataflow plan, and its C-simulation fast path is exact.

A two-layer MLP (8 -> 12 -> 6, ReLU) is compiled at reuse factor 4 (and the cnn fixture at 2). The top function's
PIPELINE II must be the schedule's II (`dataflow.schedule`, > 1 here), and every PE's step
must state the PE's reuse factor and latency and carry ALLOCATION limit = its multipliers
(N * K / R). The C-simulation's block fast path (`nncc_run_batch`, blocks of kLanes samples,
the dense kernel of nncc_csim.h) must equal both the per-sample top function
(-DNNCC_REFERENCE_TOP) and the fixed-point interpreter on a batch that is not a whole
number of blocks.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.compiler.api import parse_mlir
from nncc.dialects import dataflow
from nncc.runtime import csim

LAYERS = [("fc1", 8, 12), ("fc2", 12, 6)]


def _dense_model(path: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "estimate_designs", Path(__file__).parents[3] / "bench" / "estimate_designs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dense_model(path, LAYERS, seed=7)


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hls_plan")
    return nncc.compile(_dense_model(folder / "mlp.onnx"), folder / "design", target="hls-cpp", reuse_factor=4)


def test_pipeline_ii_and_pe_pragmas_follow_the_schedule(design):
    module = parse_mlir((design.folder / "design.mlir").read_text())
    ii = module.attributes[dataflow.SCHEDULE_ATTR].data["ii"].value.data
    pes = [op for op in module.walk() if isinstance(op, dataflow.PeOp)]
    assert ii > 1 and ii == max(pe.latency.value.data for pe in pes)
    cpp = (design.folder / "hls_cpp" / "nncc_top.cpp").read_text()
    top = cpp[cpp.index("void nncc_top("):cpp.index("#ifndef __SYNTHESIS__", cpp.index("void nncc_top("))]
    assert re.findall(r"HLS PIPELINE II=(\d+)", top) == [str(ii)]
    stated = re.findall(r"processing element: reuse factor (\d+), latency (\d+) cycles", top)
    limits = [int(v) for v in re.findall(r"HLS ALLOCATION operation instances=mul limit=(\d+)", top)]
    assert stated == [(str(pe.reuse_factor.value.data), str(pe.latency.value.data)) for pe in pes]
    assert limits == [pe.multipliers.value.data for pe in pes if pe.reuse_factor.value.data > 1]
    for pe, limit in zip(pes, limits):
        outputs = int(np.prod(pe.output.type.get_shape()))
        terms = int(np.prod(pe.layer().weight.type.get_shape()[1:]))
        assert limit * pe.reuse_factor.value.data == outputs * terms


def test_block_fast_path_equals_top_function_and_fixed_interpreter(design):
    x = np.random.default_rng(3).standard_normal((37, 8)).astype(np.float32) * 2
    fixed = np.asarray(design.predict(x, engine="fixed"), np.float64).reshape(len(x), -1)
    fast = csim.load(design.folder / "hls_cpp").run([x])[0]
    reference = csim.load(design.folder / "hls_cpp", extra_flags=["-DNNCC_REFERENCE_TOP"]).run([x])[0]
    assert np.array_equal(fast, reference)
    assert np.array_equal(fast, fixed)
    assert "nncc::dense_lanes" in (design.folder / "hls_cpp" / "nncc_top.cpp").read_text()


def test_conv_block_kernel_equals_top_function_and_fixed_interpreter(tmp_path):
    """The cnn fixture (convs, max pool, dense): its conv layers run the block kernel too."""
    model = Path(__file__).parents[2] / "fixtures" / "cnn.onnx"
    design = nncc.compile(model, tmp_path / "design", target="hls-cpp", reuse_factor=2)
    x = np.random.default_rng(5).standard_normal((13, 1, 16, 16)).astype(np.float32)
    fixed = np.asarray(design.predict(x, engine="fixed"), np.float64).reshape(len(x), -1)
    fast = csim.load(design.folder / "hls_cpp").run([x])[0]
    reference = csim.load(design.folder / "hls_cpp", extra_flags=["-DNNCC_REFERENCE_TOP"]).run([x])[0]
    assert np.array_equal(fast, reference) and np.array_equal(fast, fixed)
    assert "per output pixel and group" in (design.folder / "hls_cpp" / "nncc_top.cpp").read_text()
