"""Conformance against ONNX's own backend tests (bench/onnx_conformance.py, in-process).

Every operator test case shipped in the onnx wheel and every model folder of its
pytorch-converted, pytorch-operator and simple test data is imported and run on the float
interpreter. Nothing may crash and nothing nncc accepts may disagree with the reference
outputs (within the case's own rtol/atol); every operator of the README's supported-ops
table must pass every case of it that nncc accepts and have at least one such case, unless
it is listed in ``NO_ACCEPTED_CASE`` with the reason.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from nncc.compiler.onnx.support import registry

ROOT = Path(__file__).resolve().parents[2]

NO_ACCEPTED_CASE = {
    "QuantizeLinear": "the onnx cases make the integer output a graph output or quantize rank-1 tensors",
    "DequantizeLinear": "the onnx cases feed integer graph inputs (nncc's graph inputs are float)",
    "qonnx.Quant": "not an ONNX operator: no onnx backend test (tested in test_import_quant.py)",
    "qonnx.BipolarQuant": "not an ONNX operator: no onnx backend test (tested in test_import_quant.py)",
    "qonnx.Trunc": "not an ONNX operator: no onnx backend test (tested in test_import_quant.py)",
    "Mean": "the onnx cases have rank-1 inputs (no batch axis; tested in test_import_elementwise.py)",
    "Sum": "the onnx cases have rank-1 inputs (no batch axis; tested in test_import_elementwise.py)",
    "Sign": "the onnx case has a rank-1 input (no batch axis; tested in test_import_binary.py)",
    "TopK": "imported only as k-winners-take-all, which the onnx cases are not (tested in test_kwta.py)",
    "Mish": "the onnx cases have rank-1 inputs (no batch axis; tested in test_import_elementwise.py)",
    "Pow": "the onnx cases have rank-1 inputs, run-time or vector exponents (tested in test_import_elementwise.py)",
    "Where": "the onnx cases feed the condition as a bool graph input (tested in test_import_elementwise.py)",
}
"""The only exclusions: table operators without any onnx test case that nncc accepts."""


def _load_runner():
    if "onnx_conformance" in sys.modules:
        return sys.modules["onnx_conformance"]
    spec = importlib.util.spec_from_file_location("onnx_conformance", ROOT / "bench" / "onnx_conformance.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["onnx_conformance"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run():
    runner = _load_runner()
    results = [runner.run_case(case) for case in runner.collect("all")]
    return results, runner.summarize(results)


def test_no_case_crashes_or_mismatches(run):
    results, summary = run
    assert summary["totals"]["cases"] > 2000
    bad = [f"{r.name} ({r.operator}): {r.status}: {r.reason}" for r in results if r.status in ("crashed", "mismatched")]
    assert bad == []
    assert summary["totals"]["crashed"] == summary["totals"]["mismatched"] == 0
    assert summary["totals"]["passed"] >= 170


def test_every_table_operator_passes_every_case_it_accepts(run):
    results, _ = run
    table = set(registry())
    accepted: dict[str, list] = {}
    for r in results:
        if r.operator in table and r.status != "refused":
            accepted.setdefault(r.operator, []).append(r)
    failing = [f"{r.name}: {r.status}" for rs in accepted.values() for r in rs if r.status != "passed"]
    assert failing == []
    without = sorted(op for op in table if op not in accepted)
    assert without == sorted(op for op in NO_ACCEPTED_CASE if op in table), (
        "table operators without an accepted onnx test case must be listed in NO_ACCEPTED_CASE"
    )


def test_refusals_are_one_line_reasons(run):
    results, _ = run
    refused = [r for r in results if r.status == "refused"]
    assert refused and all(r.reason and "\n" not in r.reason for r in refused)


def test_a_bad_case_is_classified_not_raised():
    runner = _load_runner()
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    import numpy as np

    x = np.array([[-1, 0, 1], [2, -3, 4]], np.float32)
    good = runner.Case("relu", "node", model, [([x], [np.maximum(x, 0)])], 1e-5, 0.0, "Relu")
    wrong = runner.Case("relu_wrong", "node", model, [([x], [x])], 1e-5, 0.0, "Relu")
    broken = runner.Case("relu_broken", "node", model, [([x], None)], 1e-5, 0.0, "Relu")
    refused = runner.Case("relu_refused", "node", onnx.ModelProto(), [([x], [x])], 1e-5, 0.0, "Relu")
    assert runner.run_case(good).status == "passed"
    assert (runner.run_case(wrong).status, runner.run_case(wrong).reason) == (
        "mismatched",
        "output 'y': max abs error 3 (rtol 1e-05, atol 0)",
    )
    assert runner.run_case(broken).status == "crashed"
    assert runner.run_case(refused).status == "refused"
    unreadable = runner.Case("relu_files", "simple", onnx.ModelProto(), [], 1e-3, 1e-7, "Relu", "DecodeError: bad")
    assert (runner.run_case(unreadable).status, runner.run_case(unreadable).reason) == (
        "crashed",
        "cannot read the test: DecodeError: bad",
    )


def test_a_broken_test_folder_is_one_crashed_case(tmp_path, monkeypatch):
    runner = _load_runner()
    folder = tmp_path / "test_broken"
    (folder / "test_data_set_0").mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"not a model")

    class Test:
        name, model_dir, rtol, atol = "test_broken", str(folder), 1e-3, 1e-7

    import onnx.backend.test.loader as loader

    monkeypatch.setattr(loader, "load_model_tests", lambda kind: [Test()])
    (case,) = runner.folder_cases(["simple"])
    result = runner.run_case(case)
    assert result.status == "crashed" and result.reason.startswith("cannot read the test: ")
