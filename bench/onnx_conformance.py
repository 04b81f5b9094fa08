#!/usr/bin/env python
"""Conformance of the ONNX import + float interpreter against ONNX's own backend tests.

Usage::

    python bench/onnx_conformance.py [--kind node|folders|all] [--filter SUBSTRING] [--cases]

Runs, in this process, the operator test cases that ship in the onnx wheel
(``onnx.backend.test.case.node.collect_testcases``) and the model folders
``onnx/backend/test/data/{pytorch-converted,pytorch-operator,simple}`` (each a ``model.onnx``
plus ``test_data_set_*/input_*.pb`` / ``output_*.pb``), and prints ONE JSON document:
totals and per operator, each case classified as

- ``passed``: imported, and every output of the float interpreter matches the reference
  values within the case's own ``rtol``/``atol`` (the ones onnx's backend test runner uses);
- ``refused``: nncc refused the model with an `NnccError` (the reason is its first line);
- ``mismatched``: imported, but an output differs (shape or values);
- ``crashed``: any other exception, or the case ran over its time limit.

nncc imports networks whose graph inputs are batches of samples and whose weights are
compile-time constants; ONNX's operator tests feed weights, indices, shapes, ... as graph
inputs. So every graph input after the first is bound to its test value as an initializer
(a model whose first input is not a float tensor is refused by the importer as usual).
If nncc refuses that, the case is tried once more with every float input that has the
first input's leading size (rank >= 2) left a run-time batch; the second outcome counts.
The leading axis of the run-time inputs is the batch axis (any fixed size is accepted).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from nncc.compiler.api import import_model
from nncc.compiler.diagnostics import NnccError
from nncc.runtime.interpreter import run_float

FOLDERS = ("pytorch-converted", "pytorch-operator", "simple")
"""The model folders of the onnx wheel's backend test data that are run."""

CASE_SECONDS = 60
"""Time limit of one case (import and all its data sets); past it the case is "crashed"."""

STATUSES = ("passed", "refused", "mismatched", "crashed")


@dataclass
class Case:
    """One backend test: a model and its data sets [(inputs, expected outputs), ...]."""

    name: str
    kind: str
    model: onnx.ModelProto
    data_sets: list[tuple[list, list]]
    rtol: float
    atol: float
    operator: str = ""
    load_error: str = ""  # the test's files could not be read (the case counts as crashed)


@dataclass
class Result:
    """The outcome of one case."""

    name: str
    kind: str
    operator: str
    status: str
    reason: str = ""
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# collecting cases


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _operator_names() -> list[tuple[str, str]]:
    """(snake_case, OpType) of every default-domain ONNX operator, longest first."""
    names = {s.name for s in onnx.defs.get_all_schemas_with_history() if s.domain in ("", "ai.onnx")}
    return sorted(((_snake(n), n) for n in names), key=lambda p: -len(p[0]))


def case_operator(name: str, model: onnx.ModelProto, snake_names: list[tuple[str, str]]) -> str:
    """The ONNX operator a test case is about: its single node's op type, else the operator
    whose snake-case name the test name starts with (``test_reduce_sum_..._expanded``)."""
    ops = {n.op_type for n in model.graph.node}
    if len(ops) == 1:
        return next(iter(ops))
    stem = re.sub(r"^test_", "", name)
    for snake, op in snake_names:
        if stem == snake or stem.startswith(snake + "_"):
            return op
    return "(graph)"


def node_cases() -> list[Case]:
    """The operator test cases of ``onnx.backend.test.case.node`` (generated in memory)."""
    from onnx.backend.test.case.node import collect_testcases

    with np.errstate(all="ignore"), contextlib.redirect_stdout(sys.stderr):
        cases = collect_testcases(None)
    return [Case(c.name, "node", c.model, list(c.data_sets or []), c.rtol, c.atol) for c in cases]


def _read_tensors(folder: Path, prefix: str) -> list:
    paths = sorted(folder.glob(f"{prefix}_*.pb"), key=lambda p: int(p.stem.split("_")[-1]))
    return [numpy_helper.to_array(onnx.TensorProto.FromString(p.read_bytes())) for p in paths]


def folder_cases(kinds: Iterable[str] = FOLDERS) -> list[Case]:
    """The model folders of the onnx wheel's backend test data."""
    from onnx.backend.test.loader import load_model_tests

    out = []
    for kind in kinds:
        for test in load_model_tests(kind=kind):
            folder = Path(test.model_dir)
            try:
                model = onnx.load(folder / "model.onnx")
                data = [
                    (_read_tensors(d, "input"), _read_tensors(d, "output"))
                    for d in sorted(folder.glob("test_data_set_*"))
                ]
            except Exception as err:  # noqa: BLE001 - a broken test folder is one crashed case
                broken = Case(test.name, kind, onnx.ModelProto(), [], test.rtol, test.atol)
                broken.load_error = _first_line(err)
                out.append(broken)
                continue
            out.append(Case(test.name, kind, model, data, test.rtol, test.atol))
    return out


# ---------------------------------------------------------------------------------------
# running one case


class _CaseTimeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: int):
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum, frame):
        raise _CaseTimeout(f"ran over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    initializers = {t.name for t in model.graph.initializer}
    return [v for v in model.graph.input if v.name not in initializers]


def as_array(value) -> np.ndarray | None:
    """A test value as a numpy array (TensorProto and numpy scalars included), or None
    for a sequence, map or optional."""
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, (np.ndarray, np.generic)):
        return np.asarray(value)
    return None


def batch_inputs(inputs: list[np.ndarray]) -> set[int]:
    """Indices of the inputs that can be run-time batches together with the first one:
    float tensors of rank >= 2 with the first input's leading size."""
    first = inputs[0]
    return {
        i
        for i, v in enumerate(inputs)
        if v.dtype.kind == "f" and v.ndim >= 2 and first.ndim >= 1 and v.shape[0] == first.shape[0]
    } | {0}


def bind_inputs(
    model: onnx.ModelProto, inputs: list, runtime: set[int] = frozenset({0})
) -> tuple[onnx.ModelProto, dict]:
    """The model with every graph input whose index is not in ``runtime`` turned into an
    initializer holding its test value, and the feeds {name: value} of the others."""
    graph_inputs = _graph_inputs(model)
    if len(inputs) != len(graph_inputs):
        raise NnccError(f"test data has {len(inputs)} inputs for {len(graph_inputs)} graph inputs")
    inputs = tensors(inputs)
    bound = onnx.ModelProto.FromString(model.SerializeToString())
    constant = {v.name: value for i, (v, value) in enumerate(zip(graph_inputs, inputs)) if i not in runtime}
    if constant and model.ir_version >= 4:  # before IR 4 every initializer is also a graph input
        del bound.graph.input[:]
        bound.graph.input.extend([v for v in model.graph.input if v.name not in constant])
    for name, value in constant.items():
        bound.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
    feeds = {v.name: value for i, (v, value) in enumerate(zip(graph_inputs, inputs)) if i in runtime}
    return bound, feeds


def tensors(values: list) -> list[np.ndarray]:
    """The test values as arrays; NnccError (a refusal) for a sequence, map or optional."""
    arrays = [as_array(v) for v in values]
    if any(v is None for v in arrays):
        raise NnccError("a test input is a sequence, map or optional, not a tensor")
    return arrays


def _compare(name: str, actual, expected, rtol: float, atol: float) -> str:
    """"" if ``actual`` matches ``expected``, else what differs."""
    expected = as_array(expected)
    if expected is None:
        return f"output '{name}': the expected value is not a tensor"
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        return f"output '{name}': shape {list(actual.shape)}, expected {list(expected.shape)}"
    if expected.dtype.kind not in "fiub":
        return f"output '{name}': expected values of type {expected.dtype} cannot be compared"
    if expected.dtype.kind == "f":  # nncc computes and returns float32
        expected = expected.astype(np.float32)
    want = expected.astype(np.float64)
    got = actual.astype(np.float64)
    if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
        return ""
    with np.errstate(all="ignore"):
        err = np.nanmax(np.abs(got - want)) if got.size else 0.0
    return f"output '{name}': max abs error {err:.3g} (rtol {rtol:g}, atol {atol:g})"


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"


def _check_bound(case: Case, runtime: set[int]) -> tuple[str, str]:
    for inputs, expected in case.data_sets:
        model, feeds = bind_inputs(case.model, list(inputs), runtime)  # bound values differ per data set
        outputs = run_float(import_model(model), feeds)
        names = [o.name for o in case.model.graph.output]
        if len(expected) != len(names):
            return "mismatched", f"{len(expected)} expected outputs for {len(names)} graph outputs"
        for out_name, want in zip(names, expected):
            if out_name not in outputs:
                return "mismatched", f"output '{out_name}' is missing"
            problem = _compare(out_name, outputs[out_name], want, case.rtol, case.atol)
            if problem:
                return "mismatched", problem
    return "passed", ""


def _check(case: Case) -> tuple[str, str]:
    """Run the case with only the first input at run time; if nncc refuses that, once more
    with every input that is a batch like the first at run time (``Add(x, y)`` with x and
    y of shape [3, 4, 5] is per sample only if y is a run-time batch too)."""
    if not case.data_sets:
        return "refused", "the test case has no data set"
    first_inputs = tensors(list(case.data_sets[0][0]))
    if not first_inputs:
        return "refused", "the model has no graph input"
    try:
        return _check_bound(case, {0})
    except NnccError:
        batches = batch_inputs(first_inputs)
        if batches == {0}:
            raise
        return _check_bound(case, batches)


def run_case(case: Case, seconds: int = CASE_SECONDS) -> Result:
    """Import and run one case; every exception is caught and classified."""
    result = Result(case.name, case.kind, case.operator, "crashed")
    if case.load_error:
        result.reason = f"cannot read the test: {case.load_error}"
        return result
    try:
        with _time_limit(seconds), np.errstate(all="ignore"):
            result.status, result.reason = _check(case)
    except NnccError as err:
        result.status, result.reason = "refused", err.problems[0]
    except _CaseTimeout as err:
        result.reason = f"timeout: {err}"
    except (Exception, RecursionError, MemoryError) as err:  # noqa: BLE001 - classify everything
        result.reason = _first_line(err)
    return result


# ---------------------------------------------------------------------------------------
# the run


def collect(kind: str = "all", name_filter: str = "") -> list[Case]:
    """The cases of ``kind`` ("node", "folders" or "all") whose name contains ``name_filter``."""
    cases = []
    if kind in ("node", "all"):
        cases += node_cases()
    if kind in ("folders", "all"):
        cases += folder_cases()
    snake_names = _operator_names()
    cases = [c for c in cases if name_filter in c.name]
    for c in cases:
        c.operator = case_operator(c.name, c.model, snake_names)
    return cases


def summarize(results: list[Result]) -> dict:
    """Totals (overall, per kind, per operator) and the refusal reasons."""

    def totals(rs):
        counts = Counter(r.status for r in rs)
        return {s: counts.get(s, 0) for s in STATUSES} | {"cases": len(rs)}

    per_op: dict[str, list[Result]] = {}
    for r in results:
        per_op.setdefault(r.operator, []).append(r)
    reasons = Counter(re.sub(r"'[^']*'", "'…'", r.reason) for r in results if r.status == "refused")
    return {
        "totals": totals(results),
        "per_kind": {k: totals([r for r in results if r.kind == k]) for k in sorted({r.kind for r in results})},
        "per_operator": {op: totals(rs) for op, rs in sorted(per_op.items())},
        "refusal_reasons": dict(reasons.most_common(40)),
        "problems": [
            {"case": r.name, "operator": r.operator, "status": r.status, "reason": r.reason}
            for r in results
            if r.status in ("mismatched", "crashed")
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the conformance suite and print its JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("node", "folders", "all"), default="all")
    parser.add_argument("--filter", default="", help="only cases whose name contains this")
    parser.add_argument("--cases", action="store_true", help="also list every case's result")
    args = parser.parse_args(argv)
    results = [run_case(c) for c in collect(args.kind, args.filter)]
    summary = summarize(results)
    if args.cases:
        summary["cases"] = [r.__dict__ for r in results]
    json.dump(summary, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
