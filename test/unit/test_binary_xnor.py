"""The XNOR-popcount datapath on the binary MLP (test/unit/binary_support.py `qonnx_binary_mlp`):
its second layer (+-1 weights on the sign's +-1 outputs) becomes `binary_complex.xnor_dense`
(`binary-complex-replace-dense-with-xnor` in `nn-to-fixed`), the fixed-point outputs stay
those of the shift-and-add lowering bit for bit, and fixed == C-sim == Verilator RTL on 1,000
inputs at reuse factor 1 and 2 with the measured latency / II the predicted ones."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from binary_support import binary_mlp_inputs, qonnx_binary_mlp
from helpers import assert_bit_exact_on_schedule, ops_of
import nncc
from nncc.compiler.config import CompileOptions
from nncc.compiler.pipelines import build_nn_to_emit, pipeline_spec
from nncc.dialects import dataflow

pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py

XNOR_PASS = "binary-complex-replace-dense-with-xnor"


def _compile(folder, reuse_factor: int = 1, xnor: bool = True) -> nncc.Design:
    onnx.save(qonnx_binary_mlp(), folder / "model.onnx")
    np.save(folder / "calibration.npy", binary_mlp_inputs(256))
    options = {"reuse_factor": reuse_factor}
    if not xnor:  # the nn-to-emit pipeline less the XNOR pass: the shift-and-add lowering
        passes = build_nn_to_emit(CompileOptions(reuse_factor=reuse_factor))
        options["pipeline"] = pipeline_spec([p for p in passes if p.name != XNOR_PASS])
    return nncc.compile(folder / "model.onnx", folder / "out", calibration=folder / "calibration.npy", **options)


def test_xnor_layer_keeps_the_fixed_point_outputs(tmp_path):
    """With and without the pass: the same fixed-point outputs on 1,000 inputs; only fc2
    (the layer whose input is the sign's +-1) becomes XNOR, fc1 (8-bit input) stays."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    xnor, shift_add = _compile(tmp_path / "a"), _compile(tmp_path / "b", xnor=False)
    (layer,) = ops_of(xnor.design, "binary_complex.xnor_dense")
    assert layer.fan_in() == 32 and layer.outputs() == 10
    assert len(ops_of(xnor.design, "fixed.dense")) == 1 and len(ops_of(shift_add.design, "fixed.dense")) == 2
    assert not ops_of(shift_add.design, "binary_complex.xnor_dense")
    x = binary_mlp_inputs(1000, seed=25)
    assert np.array_equal(xnor.run(x, "fixed")["y"], shift_add.run(x, "fixed")["y"])
    assert xnor.report["schedule"] == shift_add.report["schedule"]


@pytest.mark.requires("g++")
@pytest.mark.requires("verilator")
@pytest.mark.parametrize("reuse_factor", [1, 2])
def test_xnor_fixed_csim_rtl_and_schedule(tmp_path, reuse_factor):
    """fixed == C-sim == Verilator RTL bit for bit on 1,000 inputs; the XNOR PE folds its 10
    outputs over R cycles (10 / R per cycle) and the measured latency and II are the predicted
    ones."""
    design = _compile(tmp_path, reuse_factor)
    (layer,) = ops_of(design.design, "binary_complex.xnor_dense")
    pe = layer.parent_op()
    assert isinstance(pe, dataflow.PeOp) and pe.reuse_factor.value.data == reuse_factor
    plan = pe.attributes[dataflow.PLAN_ATTR]
    assert plan.slots.data == 10 // reuse_factor and not plan.chains.get_values()
    assert design.report["schedule"] == {"ii_cycles": reuse_factor, "latency_cycles": 1 + 2 * reuse_factor}
    verilog = (design.folder / "verilog" / f"{design.top}.v").read_text()
    assert "XNOR-popcount processing element" in verilog and " * " not in verilog.split("XNOR-popcount")[1].split("endmodule")[0]
    assert "nncc::popcount32" in (design.folder / "hls_cpp" / f"{design.top}.cpp").read_text()
    assert_bit_exact_on_schedule(design, binary_mlp_inputs(1000, seed=23), "y")
