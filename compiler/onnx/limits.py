"""Resource limits on imported models, so that a hostile or broken model fails fast with a
clear error instead of exhausting memory or time.

- ``MAX_NODES``: nodes in the graph, sub-graphs included (checked right after decoding,
  before the ONNX checker). Real networks have a few thousand.
- ``MAX_TENSOR_ELEMENTS``: elements of any one tensor for one sample: initializers (checked
  from their declared dims before their data is read), graph inputs, outputs and inferred
  intermediate shapes, tensors computed by constant folding (checked before they are
  allocated) and every value of the imported IR. 2^26 float32 values are 256 MiB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import onnx

from nncc.compiler.diagnostics import NnccError

MAX_NODES = 50_000
MAX_TENSOR_ELEMENTS = 2**26


def too_many_elements(shape: Iterable[int]) -> str | None:
    """Why a tensor of ``shape`` is refused (too large or a negative dimension), or None."""
    count = 1
    dims = [int(d) for d in shape]
    for d in dims:
        if d < 0:
            return f"shape {dims} has a negative dimension"
        count *= d
    if count > MAX_TENSOR_ELEMENTS:
        return f"shape {dims} has {count} elements, more than the limit of {MAX_TENSOR_ELEMENTS}"
    return None


def _graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for g in attr.graphs:
                yield from _graphs(g)


def check_graph_size(graph: onnx.GraphProto) -> None:
    """Refuse graphs with more than ``MAX_NODES`` nodes (sub-graphs included)."""
    count = 0
    for g in _graphs(graph):
        count += len(g.node)
        if count > MAX_NODES:
            raise NnccError(f"the model has more than {MAX_NODES} nodes; nncc refuses graphs this large")


def check_declared_shapes(graph: onnx.GraphProto) -> None:
    """Refuse initializers and graph inputs/outputs/value_info whose declared shape is too large."""
    problems = []
    for tensor in graph.initializer:
        if reason := too_many_elements(tensor.dims):
            problems.append(f"initializer '{tensor.name}': {reason}")
    for kind, values in (("graph input", graph.input), ("graph output", graph.output), ("tensor", graph.value_info)):
        for value in values:
            if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
                continue
            dims = [d.dim_value for d in value.type.tensor_type.shape.dim if d.HasField("dim_value")]
            if reason := too_many_elements(dims):
                problems.append(f"{kind} '{value.name}': {reason}")
    if problems:
        raise NnccError(problems)
