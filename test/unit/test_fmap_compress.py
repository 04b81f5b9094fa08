"""Inter-layer feature-map compression (`nn-compress-fmap`, `--fmap-compress`): the block DCT
and its tables, the compressed float model against onnxruntime running the same codec as ONNX
ops, the fixed-point design bit for bit in C simulation and Verilator, the report's buffer
bits, and the user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc
from nncc.compiler.api import import_model
from nncc.compiler.context import make_context
from nncc.passes.nn_compress_fmap import (JPEG_LUMINANCE, NnCompressFmapPass, codec_weights, dct_matrix,
                                          kept_coefficients, quantisation_table)
from nncc.runtime.interpreter import run_float

from helpers import assert_bit_exact_on_schedule

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


def tiny_cnn(path: Path, height: int = 8, width: int = 12, compressed: dict | None = None) -> Path:
    """x 1 x 1 x H x W -> conv 3x3 (2 channels) -> relu (node "/relu") -> conv 3x3 (3) -> global
    average pool -> flatten -> gemm (4). With ``compressed`` (block, keep, table, quality) the
    relu's map goes through the codec written as ONNX ops: Conv (encoder), Conv (decoder),
    DepthToSpace (CRD), Slice (the padding off): the float model `nn-compress-fmap` builds."""
    rng = np.random.default_rng(7)
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for n, a in (
        ("w1", rng.standard_normal((2, 1, 3, 3)) * 0.6), ("b1", rng.standard_normal(2) * 0.1),
        ("w2", rng.standard_normal((3, 2, 3, 3)) * 0.5), ("b2", rng.standard_normal(3) * 0.1),
        ("w3", rng.standard_normal((4, 3)) * 0.8), ("b3", rng.standard_normal(4) * 0.1))]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1], name="/conv1"),
             helper.make_node("Relu", ["c1"], ["r1"], name="/relu")]
    feature = "r1"
    if compressed is not None:
        block = compressed["block"]
        enc, dec = codec_weights(compressed["table"], compressed["quality"], compressed["keep"], block)
        pad = [0, 0, -height % block, -width % block]
        inits += [numpy_helper.from_array(np.tile(enc, (2, 1, 1))[:, None].astype(np.float32), "enc"),
                  numpy_helper.from_array(np.tile(dec, (2, 1))[:, :, None, None].astype(np.float32), "dec"),
                  numpy_helper.from_array(np.array([0, 0], np.int64), "starts"),
                  numpy_helper.from_array(np.array([height, width], np.int64), "ends"),
                  numpy_helper.from_array(np.array([2, 3], np.int64), "axes")]
        nodes += [helper.make_node("Conv", ["r1", "enc"], ["coef"], strides=[block, block], pads=pad, group=2),
                  helper.make_node("Conv", ["coef", "dec"], ["pix"], group=2),
                  helper.make_node("DepthToSpace", ["pix"], ["blocks"], blocksize=block, mode="CRD"),
                  helper.make_node("Slice", ["blocks", "starts", "ends", "axes"], ["decoded"])]
        feature = "decoded"
    nodes += [helper.make_node("Conv", [feature, "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], name="/conv2"),
              helper.make_node("GlobalAveragePool", ["c2"], ["g"], name="/gap"),
              helper.make_node("Flatten", ["g"], ["f"], name="/flatten"),
              helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1, name="/fc")]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, height, width])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def test_dct_is_orthonormal_and_the_codec_lossless_with_every_coefficient():
    for block in (2, 4, 8):
        c = dct_matrix(block)
        assert np.allclose(c @ c.T, np.eye(block), atol=1e-12)
        for table in ("jpeg", "flat"):
            enc, dec = codec_weights(table, 50, 2 * (block - 1), block)
            assert np.allclose(dec @ enc.reshape(len(enc), -1), np.eye(block * block), atol=1e-12)


def test_zigzag_order_and_jpeg_table():
    assert kept_coefficients(3)[:10] == [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2), (0, 3), (1, 2), (2, 1), (3, 0)]
    assert len(kept_coefficients(14)) == 64 and len(kept_coefficients(7)) == 36
    assert np.array_equal(quantisation_table("jpeg", 50) * 16, JPEG_LUMINANCE)  # quality 50: the table itself
    assert np.array_equal(quantisation_table("jpeg", 100), np.ones((8, 8)))  # every step clamped to 1
    assert np.array_equal(quantisation_table("jpeg", 50, 4) * 16, JPEG_LUMINANCE[::2, ::2])


@pytest.mark.parametrize("block,keep,table", [(8, 3, "jpeg"), (4, 3, "flat"), (2, 1, "jpeg")])
def test_compressed_float_model_matches_onnxruntime(tmp_path, block, keep, table):
    """The pass's float model == onnxruntime on the same codec written as ONNX ops (8x12 maps:
    the 8x8 blocks pad the width to 16, the 2x2 and 4x4 blocks divide it)."""
    plain = tiny_cnn(tmp_path / "plain.onnx")
    settings = {"block": block, "keep": keep, "table": table, "quality": 75}
    codec = tiny_cnn(tmp_path / "codec.onnx", compressed=settings)
    module = import_model(plain)
    NnCompressFmapPass(edge="/relu", **settings).apply(make_context(), module)
    module.verify()
    x = np.random.default_rng(1).standard_normal((64, 1, 8, 12)).astype(np.float32)
    ours = run_float(module, {"x": x})["y"]
    theirs = ort.InferenceSession(str(codec), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    uncompressed = run_float(import_model(plain), {"x": x})["y"]
    assert not np.allclose(ours, uncompressed, atol=1e-3)  # coefficients were dropped: the map changed


@pytest.mark.requires("verilator")
def test_compressed_design_is_bit_exact_and_reports_its_buffer(tmp_path):
    """fixed == C-sim == Verilator on 200 inputs at the predicted latency / II, and the report's
    buffer bits: 2 x 8 x 12 values at 16 bits before, 2 channels x 2 blocks x 10 coefficients
    at 6 bits after."""
    model = tiny_cnn(tmp_path / "plain.onnx")
    x = np.random.default_rng(2).standard_normal((200, 1, 8, 12)).astype(np.float32)
    design = nncc.compile(model, tmp_path / "out", calibration=x, fmap_compress=("/relu",), fmap_keep=3,
                          fmap_bits=6, reuse_factor=4)
    entry, = design.report["fmap_compression"]
    assert (entry["edge"], entry["blocks"], entry["coefficients_per_block"], entry["bits_per_coefficient"]) == \
        ("/relu", 4, 10, 6)
    assert (entry["buffer_bits_before"], entry["buffer_bits_after"]) == (2 * 8 * 12 * 16, 2 * 2 * 10 * 6)
    assert entry["ratio"] == pytest.approx(3072 / 240, rel=1e-5)
    assert 0 < entry["zero_coefficients"] < 1 and entry["sparse_coded_bits_max"] <= 4 * (10 + 10 * 6)
    assert entry["codec_macs"] == 2 * 2 * 2 * 10 * 64 and entry["decoded_max_abs_error"] > 0
    stages = [s["stage"] for s in design.report["fidelity"]["stages"]]
    assert stages == ["float", "compressed", "fixed_point", "hardware"]
    assert_bit_exact_on_schedule(design, x, "y", distinct=50)


def test_lossless_settings_keep_the_float_model(tmp_path):
    """Every coefficient kept: the compressed float stage agrees with the original on every
    sample (only float rounding differs)."""
    model = tiny_cnn(tmp_path / "plain.onnx")
    x = np.random.default_rng(3).standard_normal((100, 1, 8, 12)).astype(np.float32)
    files_design = nncc.compile(model, tmp_path / "out", calibration=x, fmap_compress=("/relu",), fmap_bits=16,
                                target="hls-cpp")
    compressed = files_design.report["fidelity"]["stages"][1]
    assert compressed["stage"] == "compressed"
    assert compressed["outputs"]["y"]["argmax_agreement"] == 1.0
    assert compressed["outputs"]["y"]["max_abs_error"] < 1e-5


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "nncc"), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args,message", [
    (("--fmap-compress", "/relu", "--io", "stream"), "fmap_compress needs io = parallel"),
    (("--fmap-compress", "/nope"), "nn-compress-fmap: no node named '/nope' (nodes: "),
    (("--fmap-compress", "/fc"), "nn-compress-fmap: '/fc' is not a feature map N x C x H x W (shape [1, 4])"),
    (("--fmap-compress", "/relu", "--fmap-keep", "20"), "--fmap-keep: fmap_keep must be an integer in [-1, 14], got 20"),
    (("--fmap-compress", "/relu", "--fmap-block", "4", "--fmap-keep", "9"), "needs keep in [0, 6] or -1 for all (got 9)"),
    (("--fmap-compress", 'a"b'), "a node name with a quote or backslash cannot be named in a pass pipeline"),
])
def test_bad_compression_options_are_user_errors(tmp_path, args, message):
    model = tiny_cnn(tmp_path / "plain.onnx")
    proc = _cli("compile", model, "-o", tmp_path / "out", "-q", *args)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "out").exists()


def test_config_file_section(tmp_path):
    """`[compress]` in a config file sets the same options; the report names them."""
    model = tiny_cnn(tmp_path / "plain.onnx")
    config = tmp_path / "c.toml"
    config.write_text('[compress]\nfmap_compress = ["/relu"]\nfmap_block = 4\nfmap_keep = 2\nfmap_table = "flat"\n')
    proc = _cli("compile", model, "-o", tmp_path / "out", "-q", "--config", config, "--target", "hls-cpp")
    assert proc.returncode == 0, proc.stderr
    entry, = json.loads((tmp_path / "out" / "report.json").read_text())["fmap_compression"]
    assert (entry["block"], entry["keep"], entry["table"], entry["coefficients_per_block"], entry["blocks"]) == \
        (4, 2, "flat", 6, 12)  # 2 channels x 2 x 3 blocks
    bad = tmp_path / "bad.toml"
    bad.write_text('[compress]\nfmap_compress = "/relu"\nfmap_block = 3\n')
    proc = _cli("compile", model, "-o", tmp_path / "out2", "-q", "--config", bad)
    assert proc.returncode == 1
    assert "fmap_compress must be a list of ONNX node names" in proc.stderr
    assert "fmap_block must be one of 2, 4, 8, got 3" in proc.stderr
