"""A layer kind nncc has never heard of works everywhere through the layer interfaces.

`toy.scaled_dense` (test/plugins/nncc_toy_layer.py, a plain module) implements only
`FloatSemantics`, `FixedSemantics` and `MacLayer`. Modules written as IR text (no ONNX)
run in the float and fixed-point interpreters, `dataflow-tile` wraps the layer in a
processing element with the right schedule, the complexity metrics count its MACs, and the
HLS C++ and Verilog back ends print it from its `mac_terms()` (C-simulation and Verilator
equal to the fixed-point interpreter bit for bit), with no nncc table edited.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.parser import Parser

from nncc.backends.hls_cpp.emitter import emit_project
from nncc.backends.verilog.emitter import emit_project as emit_verilog
from nncc.compiler.analysis.complexity import stage_metrics
from nncc.compiler.pipelines import build_dataflow_to_emit
from nncc.compiler.rtl import run_rtl
from nncc.compiler.context import make_context
from nncc.dialects import dataflow
from nncc.dialects.dataflow import SCHEDULE_ATTR
from nncc.dialects.fixed import FixedType, accumulator_type
from nncc.dialects.fixed import semantics as fm
from nncc.passes.dataflow_tile import DataflowTilePass
from nncc.passes.hls_prepare_for_emission import HlsPrepareForEmissionPass
from nncc.runtime import csim
from nncc.runtime.fixed_interpreter import run_fixed
from nncc.runtime.interpreter import run_float

sys.path.insert(0, str(Path(__file__).parent.parent / "plugins"))
from nncc_toy_layer import TOY, ScaledDenseOp  # noqa: E402

SHIFT = 3
RNG = np.random.default_rng(11)
W_RAW = RNG.choice([-7, -5, -3, -1, 1, 2, 4, 6], size=(4, 6))  # no zero: every term is a MAC
W_TYPE = FixedType(8, 4)  # 4 fractional bits
X_TYPE = FixedType(16, 6)
ACC = accumulator_type(X_TYPE, W_TYPE, 6, None)
OUT = FixedType(ACC.width.data + SHIFT, ACC.int_bits.data + SHIFT)


def _dense(values, element: str) -> str:
    rows = ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in values)
    return f"dense<[{rows}]> : tensor<{values.shape[0]}x{values.shape[1]}x{element}>"


def _parse(text: str):
    ctx = make_context()
    ctx.load_dialect(TOY)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return module


FLOAT_IR = f"""builtin.module {{
  func.func @main(%x: tensor<1x6xf32>) -> tensor<1x4xf32> {{
    %w = nn.constant {_dense(W_RAW / 16.0, "f32")}
    %y = toy.scaled_dense %x, %w {{shift = {SHIFT} : i64}} : (tensor<1x6xf32>, tensor<4x6xf32>) -> tensor<1x4xf32>
    func.return %y : tensor<1x4xf32>
  }}
}}"""


def fixed_ir(w_raw: np.ndarray, shift: int) -> str:
    """quantize -> toy.scaled_dense (raw weights ``w_raw`` of W_TYPE, M x K) -> relu -> dequantize."""
    m, k = w_raw.shape
    acc = accumulator_type(X_TYPE, W_TYPE, k, None)
    q_x, q_w, q_y = (f"!fixed.q<{t.width.data}, {t.int_bits.data}>" for t in
                     (X_TYPE, W_TYPE, FixedType(acc.width.data + shift, acc.int_bits.data + shift)))
    return f"""builtin.module {{
  func.func @main(%x: tensor<1x{k}xf32>) -> tensor<1x{m}xf32> {{
    %q = fixed.quantize %x {{overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>}} : tensor<1x{k}xf32> -> tensor<1x{k}x{q_x}>
    %w = fixed.constant {_dense(w_raw, "i8")} -> tensor<{m}x{k}x{q_w}>
    %acc = toy.scaled_dense %q, %w {{shift = {shift} : i64}} : (tensor<1x{k}x{q_x}>, tensor<{m}x{k}x{q_w}>) -> tensor<1x{m}x{q_y}>
    %r = nn.relu %acc : tensor<1x{m}x{q_y}>
    %y = fixed.dequantize %r : tensor<1x{m}x{q_y}> -> tensor<1x{m}xf32>
    func.return %y : tensor<1x{m}xf32>
  }}
}}"""


FIXED_IR = fixed_ir(W_RAW, SHIFT)


@pytest.fixture
def x():
    return RNG.uniform(-4, 4, (64, 6)).astype(np.float32)


def expected_fixed(x: np.ndarray, w_raw: np.ndarray = W_RAW, shift: int = SHIFT) -> np.ndarray:
    raw = fm.quantize(x, X_TYPE.width.data, X_TYPE.frac, "rnd", "sat")
    return np.maximum((raw @ w_raw.T) << shift, 0) * 2.0 ** -(X_TYPE.frac + W_TYPE.frac)


def test_float_interpreter_runs_the_toy_layer(x):
    y = run_float(_parse(FLOAT_IR), {"arg0": x})["out0"]
    want = (x.astype(np.float64) @ (W_RAW / 16.0).T) * 2.0**SHIFT
    assert np.allclose(y, want.astype(np.float32), rtol=1e-6, atol=1e-5)


def test_fixed_interpreter_is_exact(x):
    module = _parse(FIXED_IR)
    y = run_fixed(module, {"arg0": x})["out0"]
    assert np.array_equal(y, expected_fixed(x))
    layer = next(op for op in module.walk() if isinstance(op, ScaledDenseOp))
    terms = layer.mac_terms()  # the scaled raw weights, one row per output
    raw = fm.quantize(x, X_TYPE.width.data, X_TYPE.frac, "rnd", "sat")
    assert np.array_equal((raw[:, terms.index] * terms.weights[terms.channel]).sum(-1), (raw @ W_RAW.T) << SHIFT)


@pytest.mark.parametrize("reuse", [1, 2, 4])
def test_dataflow_tile_wraps_the_toy_layer(x, reuse):
    module = _parse(FIXED_IR)
    DataflowTilePass(reuse_factor=reuse).apply(make_context(), module)
    module.verify()
    pes = [op for op in module.walk() if isinstance(op, dataflow.PeOp)]
    assert len(pes) == 1 and isinstance(pes[0].layer(), ScaledDenseOp)
    pe = pes[0]
    assert (pe.reuse_factor.value.data, pe.latency.value.data) == (reuse, reuse)
    assert pe.multipliers.value.data == 4 * 6 // reuse
    schedule = {k: v.value.data for k, v in module.attributes[SCHEDULE_ATTR].data.items()}
    assert schedule == {"latency": reuse + 1, "ii": reuse}
    assert np.array_equal(run_fixed(module, {"arg0": x})["out0"], expected_fixed(x))


def test_complexity_counts_the_toy_layer():
    fixed_metrics = stage_metrics(_parse(FIXED_IR), 16)
    (layer,) = fixed_metrics["layers"]
    assert layer["multiplications"] == 24 and layer["fan_in"] == 6 and layer["kind"] == "dense"
    assert (layer["x_bits"], layer["w_bits"], layer["acc_bits"]) == (16, 8, OUT.width.data)
    float_metrics = stage_metrics(_parse(FLOAT_IR), 32)
    (layer,) = float_metrics["layers"]
    assert layer["rmps"] == 24 and layer["nabs"] is None


def test_no_onnx_is_needed():
    import subprocess

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import test_toy_layer as t; "
            "t.test_complexity_counts_the_toy_layer(); print('onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def planned(reuse: int, text: str = FIXED_IR):
    """The fixed-point toy module tiled at ``reuse``, prepared and planned for the back ends
    (reuse 0: not tiled, only prepared)."""
    module = _parse(text)
    if reuse == 0:
        HlsPrepareForEmissionPass().apply(make_context(), module)
        return module
    DataflowTilePass(reuse_factor=reuse).apply(make_context(), module)
    for p in build_dataflow_to_emit():
        p.apply(make_context(), module)
    module.verify()
    return module


def extreme_inputs(w_raw: np.ndarray = W_RAW, samples: int = 64) -> np.ndarray:
    """Random samples, and the input type's extremes (saturating beyond them): all at the
    top or the bottom, alternating, zero, and each output's largest and smallest sum."""
    m, k = w_raw.shape
    lo, hi = -(2.0 ** (X_TYPE.int_bits.data - 1)), 2.0 ** (X_TYPE.int_bits.data - 1) - 2.0**-X_TYPE.frac
    x = RNG.uniform(lo, hi, (samples, k))
    x[:6] = [[hi] * k, [lo] * k, np.resize([hi, lo], k), np.resize([lo, hi], k), np.resize([100.0, -100.0], k), [0.0] * k]
    for j in range(m):
        x[6 + 2 * j] = np.where(w_raw[j] > 0, hi, lo)
        x[7 + 2 * j] = np.where(w_raw[j] > 0, -1e9, 1e9)
    return x.astype(np.float32)


@pytest.mark.requires("g++")
@pytest.mark.parametrize("reuse", [0, 1, 2])
def test_hls_csim_is_bit_exact(tmp_path, private_cache, reuse):
    module = planned(reuse)
    files = emit_project(module)
    cpp = files["nncc_top.cpp"]
    assert "toy" not in cpp and cpp.count("gathered dot products") == 3  # the top, its trace twin, the block path
    assert "nncc::decode_base64(" not in cpp  # the weights are only in the mac_terms() tables
    assert ("processing element: reuse factor" in cpp) == (reuse > 0)
    if reuse > 1:
        assert f"ALLOCATION operation instances=mul limit={4 * 6 // reuse}" in cpp
    else:
        assert "ALLOCATION" not in cpp
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    x = extreme_inputs()
    want = run_fixed(module, {"arg0": x})["out0"].reshape(len(x), -1)
    assert np.array_equal(want, expected_fixed(x))
    assert (want > 0).any() and (want == 0).any()
    for flags in ([], ["-DNNCC_REFERENCE_TOP"]):  # the C-simulation block path, and the top function
        (got,) = csim.load(tmp_path, extra_flags=flags).run([x])
        assert got.dtype == want.dtype and np.array_equal(got, want), flags


W_SMALL = np.array([[7, -7, 3, -1], [-6, 5, 2, 7], [1, -3, -7, 6]])
"""The RTL case: 4 inputs, 3 outputs (one Verilator build per reuse factor)."""
SHIFT_WIDE = 6
"""Scaled weights up to 7 * 2^6 = 448: wider than the 8-bit weight operand."""


@pytest.mark.requires("verilator")
@pytest.mark.parametrize("reuse", [1, 3])
def test_verilog_is_bit_exact(tmp_path, reuse):
    module = planned(reuse, fixed_ir(W_SMALL, SHIFT_WIDE))
    for name, text in emit_verilog(module).items():
        (tmp_path / name).write_text(text)
    x = extreme_inputs(W_SMALL)
    want = run_fixed(module, {"arg0": x})["out0"].reshape(len(x), -1)
    assert np.array_equal(want, expected_fixed(x, W_SMALL, SHIFT_WIDE))
    assert (want > 0).any() and (want == 0).any() and want.max() * 2.0 ** (X_TYPE.frac + W_TYPE.frac) > 2**25
    got, stats = run_rtl(module, tmp_path, x)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    schedule = {k: v.value.data for k, v in module.attributes[SCHEDULE_ATTR].data.items()}
    assert (stats["latency"], stats["ii"]) == (schedule["latency"], schedule["ii"]) == (reuse + 1, reuse)
    assert stats["cycles"] == 1 + (len(x) - 1) * reuse + reuse + 1
