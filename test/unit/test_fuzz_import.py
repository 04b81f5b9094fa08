"""The import/compile fuzzer (bench/fuzz_import.py) on a fixed-seed slice, and the resource
limits and loader checks that earlier fuzzing found missing."""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.compiler.onnx.limits import MAX_NODES, MAX_TENSOR_ELEMENTS

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzzer():
    return _load("fuzz_import")


def test_fuzz_slice_has_no_failures(fuzzer):
    """300 fixed-seed cases of every mutation but the slow deep graphs: no traceback, no
    internal error, no half-written output, no hostile name in emitted code."""
    summary = fuzzer.fuzz(300, seed=7, exclude=("deep_graph",))
    assert summary["failure_list"] == []
    assert summary["failures"] == 0
    assert summary["ok"] + summary["clean_error"] == 300
    assert summary["ok"] >= 30 and summary["clean_error"] >= 100  # both outcomes are exercised
    assert len(summary["per_mutation"]) == len(_load("fuzz_mutations").MUTATIONS) - 1


def test_fuzz_case_is_reproducible(fuzzer, tmp_path):
    seeds = fuzzer.seed_models()
    first = fuzzer.run_case(5, 42, seeds, tmp_path, 60.0)
    again = fuzzer.run_case(5, 42, seeds, tmp_path, 60.0)
    assert first == again
    assert list(tmp_path.iterdir()) == []  # the case folder is removed


def test_million_node_graph_fails_fast():
    data = _load("fuzz_seeds").node_bomb_bytes(10**6, chain=False)
    start = time.monotonic()
    with pytest.raises(NnccError, match=f"more than {MAX_NODES} nodes"):
        import_onnx(data)
    assert time.monotonic() - start < 30


def test_declared_huge_tensor_fails_fast():
    model = _load("fuzz_seeds").huge_tensor_model(10**6)
    with pytest.raises(NnccError) as err:
        import_onnx(model)
    assert "'big'" in str(err.value)
    assert f"1000000000000 elements, more than the limit of {MAX_TENSOR_ELEMENTS}" in str(err.value)


def _model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_huge_initializer_dims_are_refused_before_reading_data():
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 2], b"\0" * 16, raw=True)
    w.dims[:] = [10**6, 10**6]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 10**6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10**6])
    model = _model([helper.make_node("MatMul", ["x", "w"], ["y"])], [x], [y], [w])
    with pytest.raises(NnccError, match=r"initializer 'w': shape \[1000000, 1000000\] has 1000000000000 elements"):
        import_onnx(model)


def test_huge_graph_input_is_refused():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 100000, 100000])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 100000, 100000])
    with pytest.raises(NnccError, match="graph input 'x': shape .* 10000000000 elements"):
        import_onnx(_model([helper.make_node("Relu", ["x"], ["y"])], [x], [y]))


def test_range_fold_with_zero_delta_is_a_node_error():
    inits = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in (("a", 0), ("b", 4), ("d", 0))]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"], name="range"),
             helper.make_node("Add", ["x", "r"], ["y"], name="add")]
    with pytest.raises(NnccError, match=r"node 'range' \(Range\).*delta is 0|ONNX"):
        import_onnx(_model(nodes, [x], [y], inits))


@pytest.mark.parametrize(
    "entries, expected",
    [
        ({"offset": "abc"}, "offset 'abc' is not a non-negative integer"),
        ({"offset": "-5"}, "offset '-5' is not a non-negative integer"),
        ({"offset": "1000000"}, "offset 1000000 is past the end of the file (12 bytes)"),
        ({"offset": "4", "length": "64"}, "offset 4 + length 64 is past the end of the file (12 bytes)"),
    ],
)
def test_external_data_offsets_are_checked(tmp_path, entries, expected):
    (tmp_path / "w.bin").write_bytes(np.ones(3, np.float32).tobytes())
    w = helper.make_tensor("w", TensorProto.FLOAT, [3], [0.0] * 3)
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in {"location": "w.bin", **entries}.items():
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    path = tmp_path / "m.onnx"
    path.write_bytes(_model([helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [w]).SerializeToString())
    with pytest.raises(NnccError) as err:
        import_onnx(path)
    assert str(err.value) == f"tensor 'w': external data 'w.bin': {expected}"


def test_node_name_that_is_not_utf8_is_refused():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
    data = _model([helper.make_node("Relu", ["x"], ["y"], name="QQQQ")], [x], [y]).SerializeToString()
    with pytest.raises(NnccError, match="not a valid ONNX model: a NodeProto.name field is not valid UTF-8"):
        import_onnx(data.replace(b"QQQQ", b"\xff\xfe\xfd\xfc"))


def test_verdicts(fuzzer):
    assert fuzzer._verdict(0, "") is None
    assert fuzzer._verdict(1, "error: node 'a' (Relu): bad\n") is None
    internal = "internal error: KeyError: 'a' (please report it; NNCC_DEBUG=1 shows the traceback)"
    assert fuzzer._verdict(2, internal) == internal
    assert fuzzer._verdict(1, "Traceback (most recent call last):\nValueError: x") == "ValueError: x"
    assert fuzzer._verdict(None, "\nescaped main: ValueError: v") == "escaped main: ValueError: v"
    assert fuzzer._verdict(1, "") == "exit status 1 without an error message"
    assert fuzzer._verdict(3, "error: x") == "exit status 3"


def _fake_main(behaviour):
    def main(argv):
        out = Path(argv[argv.index("-o") + 1])
        if argv[0] == "import":
            if behaviour == "half-written":
                out.write_text("half")
                print("error: boom", file=sys.stderr)
                return 1
            if behaviour == "raises":
                raise ValueError("bug")
            return 0
        (out / "hls_cpp").mkdir(parents=True)
        (out / "hls_cpp" / "top.cpp").write_text('int x; // "; system("x"); //\n')
        return 0
    return main


@pytest.mark.parametrize(
    "behaviour, problem",
    [
        ("half-written", "left behind after a failed import: ['out.mlir']"),
        ("raises", "escaped main: ValueError: bug"),
        ("hostile", """hostile name '"; system("x"); //' verbatim in hls_cpp/top.cpp"""),
    ],
)
def test_failures_are_detected(fuzzer, tmp_path, monkeypatch, behaviour, problem):
    monkeypatch.setattr(fuzzer, "nncc_main", _fake_main(behaviour))
    record = fuzzer.run_case(1, 0, {"tiny_mlp": _load("fuzz_seeds").tiny_mlp().SerializeToString()}, tmp_path, 60.0,
                             exclude=tuple(m for m in _load("fuzz_mutations").MUTATIONS if m != "hostile_names"))
    assert record["outcome"] == "failure"
    assert record["problem"] == problem


def test_conv_bias_of_wrong_rank_is_a_node_error():
    inits = [numpy_helper.from_array(np.ones([2, 1, 3, 3], np.float32), "w"),
             numpy_helper.from_array(np.ones([2, 1], np.float32), "b")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, 2, 2])
    model = _model([helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv")], [x], [y], inits)
    with pytest.raises(NnccError) as err:
        import_onnx(model)
    assert str(err.value) == ("node 'conv' (Conv): bias B of shape [2, 1] must be 1-D with one value per "
                              "output channel (2)")


@pytest.mark.parametrize("value, pot_bits", [(np.inf, 0), (np.nan, 0), (np.inf, 4)])
def test_compile_of_non_finite_weight_names_the_layer(tmp_path, value, pot_bits):
    """Checked once, before calibration and any technique (the passes check it too, for IR
    given to nncc-opt: see the lit tests)."""
    from nncc.compiler.config import CompileOptions
    from nncc.compiler.flow import compile_model

    model = _load("fuzz_seeds").tiny_mlp()
    w = numpy_helper.to_array(model.graph.initializer[0]).copy()
    w[0, 0] = value
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(w, "w1"))
    (tmp_path / "m.onnx").write_bytes(model.SerializeToString())
    np.save(tmp_path / "x.npy", np.ones([4, 4], np.float32))
    with pytest.raises(NnccError) as err:
        compile_model(tmp_path / "m.onnx", CompileOptions(pot_bits=pot_bits), calibration=tmp_path / "x.npy")
    assert err.value.problems == ["layer 'fc1' (nn.dense): operand 1 has 1 NaN or Inf value(s); fixed point has "
                                  "neither: fix the model's constants"]
