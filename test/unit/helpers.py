"""Plain helper functions shared by the unit tests (fixtures are in conftest.py).

Import them as `from helpers import ops_of`: test/unit/conftest.py puts this folder on
sys.path (pytest runs with --import-mode=importlib, which does not).
"""

from __future__ import annotations

import functools
import importlib.util
import io
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from xdsl.printer import Printer

import nncc
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def ops_of(module, name: str) -> list:
    """The ops named ``name`` in ``module`` (an IR module), in walk order."""
    return [op for op in module.walk() if op.name == name]


def differing_bits(a: np.ndarray, b: np.ndarray) -> int:
    """Number of bits in which two float64 arrays of the same shape differ."""
    x = np.ascontiguousarray(a, np.float64).view(np.uint64) ^ np.ascontiguousarray(b, np.float64).view(np.uint64)
    return int(np.unpackbits(x.view(np.uint8)).sum())


def compile_model(model: onnx.ModelProto, folder: Path, x: np.ndarray) -> nncc.Design:
    """Save ``model`` and calibration data ``x`` in ``folder``, compile into folder/out."""
    onnx.save(model, folder / "model.onnx")
    np.save(folder / "calibration.npy", x)
    return nncc.compile(folder / "model.onnx", folder / "out", calibration=folder / "calibration.npy")


@functools.cache
def digits_data() -> ModuleType:
    """test/fixtures/digits_data.py (the digits split of digits_mlp/digits_cnn), loaded by path."""
    spec = importlib.util.spec_from_file_location("digits_data", FIXTURES / "digits_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# small ONNX models and the importer's errors


def vi(name: str, shape, elem=TensorProto.FLOAT) -> onnx.ValueInfoProto:
    """A value info; ``shape`` may be None (unknown) and contain "N" for the batch."""
    return helper.make_tensor_value_info(name, elem, shape)


def sweep_params(cases, sweep, ids=None) -> list:
    """pytest params of ``cases`` (names, or tuples with ``ids``), those in ``sweep`` marked
    `sweep`: run by `pytest -m sweep` / bench/bench_sweeps.py, not by the default suite (each
    RTL or synthesis sweep keeps its smallest cases in the suite)."""
    ids = list(ids) if ids is not None else [str(c) for c in cases]
    return [pytest.param(*(c if isinstance(c, tuple) else (c,)), id=i, marks=[pytest.mark.sweep] if i in sweep else [])
            for c, i in zip(cases, ids)]


def assert_bit_exact_on_schedule(design: nncc.Design, x: np.ndarray, output: str, distinct: int = 100) -> None:
    """fixed == C-sim == Verilator RTL bit for bit on ``x`` (at least ``distinct`` different
    values in ``output``), the measured latency and II are the predicted ones and the run
    took exactly 1 + (N - 1) II + latency cycles (no sample held up)."""
    fixed_y = design.run(x, "fixed")[output]
    assert np.unique(fixed_y).size > distinct
    assert np.array_equal(fixed_y, design.run(x, "csim")[output])
    assert np.array_equal(fixed_y, design.run(x, "rtl")[output])
    schedule, stats = design.report["schedule"], design.rtl_stats
    assert (stats["latency"], stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    assert stats["cycles"] == 1 + (len(x) - 1) * schedule["ii_cycles"] + schedule["latency_cycles"]


def random_init(rng: np.random.Generator, name: str, *shape: int, scale: float = 0.5) -> onnx.TensorProto:
    """An initializer of normal values times ``scale`` drawn from ``rng`` (seeded weights)."""
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def onnx_model(nodes, inputs, outputs, inits=(), opset=17, extra_opsets=(), ir_version=9) -> onnx.ModelProto:
    """A model of ``nodes``; ``inputs``/``outputs`` are (name, shape) pairs or value infos."""
    graph = helper.make_graph(
        list(nodes),
        "g",
        [v if isinstance(v, onnx.ValueInfoProto) else vi(*v) for v in inputs],
        [v if isinstance(v, onnx.ValueInfoProto) else vi(*v) for v in outputs],
        initializer=list(inits),
    )
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    return helper.make_model(graph, opset_imports=opsets, ir_version=ir_version)


def gemm_relu_model(opset=17) -> onnx.ModelProto:
    """x [N, 8] -> Gemm(W [16, 8], b) -> Relu -> y [N, 16]."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array((rng.standard_normal((16, 8)) * 0.5).astype(np.float32), "W"),
        numpy_helper.from_array((rng.standard_normal(16) * 0.1).astype(np.float32), "b"),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="fc", transB=1),
        helper.make_node("Relu", ["h"], ["y"], name="relu"),
    ]
    return onnx_model(nodes, [("x", ["N", 8])], [("y", ["N", 16])], inits, opset=opset)


def problems_of(source, **kwargs) -> list[str]:
    """The problems of the NnccError that importing ``source`` raises (one line each)."""
    with pytest.raises(NnccError) as info:
        import_onnx(source, **kwargs)
    problems = info.value.problems
    assert problems and all(isinstance(p, str) and p and "\n" not in p for p in problems)
    assert str(info.value) == "\n".join(problems)
    return problems


def one_problem(source, **kwargs) -> str:
    """The one problem importing ``source`` raises."""
    problems = problems_of(source, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def printed_with_locations(module) -> str:
    """``module`` printed with its locations (loc("node name"))."""
    stream = io.StringIO()
    Printer(stream=stream, print_debuginfo=True).print_op(module)
    return stream.getvalue()


def dense_mlp(path: Path, layers, seed: int, name: str, weights=None) -> Path:
    """A Gemm -> Relu -> ... -> Gemm network saved to ``path``: ``layers`` is ((name, inputs,
    outputs), ...), weights He-normal and biases U(-0.1, 0.1) from ``seed`` (``weights``
    replaces the weights of the layers it names); input "input", output "output", batch
    dimension "batch"."""
    rng = np.random.default_rng(seed)
    inits, nodes, current = [], [], "input"
    for index, (layer, n_in, n_out) in enumerate(layers):
        w = (rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(np.float32)
        if weights is not None and layer in weights:
            w = np.asarray(weights[layer], np.float32)
        b = rng.uniform(-0.1, 0.1, n_out).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"{layer}.weight"), numpy_helper.from_array(b, f"{layer}.bias")]
        out = "output" if index == len(layers) - 1 else f"{layer}_out"
        nodes.append(helper.make_node("Gemm", [current, f"{layer}.weight", f"{layer}.bias"], [out], name=layer, transB=1))
        current = out
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [current], [f"{layer}_relu"], name=f"{layer}_relu"))
            current = f"{layer}_relu"
    graph = helper.make_graph(nodes, name, [vi("input", ["batch", layers[0][1]])], [vi("output", ["batch", layers[-1][2]])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path
