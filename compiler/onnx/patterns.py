"""Multi-node ONNX patterns imported as one op.

ONNX has no k-winners-take-all operator; a model exports it as the k-th largest value of
a line (``TopK`` then a ``Slice`` of its last value), a comparison with it and a select:

    kth  = Slice(TopK(x, k, axis).values, start k-1 (or -1), end k (or past the end), axis)
           (TopK with largest = 1 and sorted = 1, its indices unused)
    keep = GreaterOrEqual(x, kth)
    y    = Where(keep, x, zeros)      or   y = Mul(x, Cast(keep))

(zeros: any constant of zeros, torch's zeros_like included)

(torch's ``x * (x >= x.topk(k, dim).values[:, -1:])`` and its `torch.where` form, from
both exporters). `find_kwta` finds each such sub-graph; the importer emits one `nn.kwta`
for it at its last node and skips the others. A ``TopK`` anywhere else is reported as
unsupported.

The bipolar sign (sign(0) = +1) of binarized networks, as torch users write it for a
straight-through estimator (``torch.where(x >= 0, 1., -1.)``, ``torch.where(x < 0, -1., 1.)``,
``torch.sign(x) + (x == 0)``), exports as a comparison with 0 and a select (or Sign + Equal +
Cast + Add); `find_bipolar` finds each such sub-graph and the importer emits one `nn.sign`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

from nncc.compiler.onnx.load import DEFAULT_DOMAINS


@dataclass(frozen=True)
class Kwta:
    """One k-winners-take-all sub-graph: its input, k, the TopK axis and the Slice axis
    (both as written; the importer checks that they name the same axis), and the nodes
    it replaces (indices into the graph's node list, the last one's output is the result)."""

    input: str
    k: int
    axis: int
    slice_axis: int
    nodes: tuple[int, ...]


class _Constants:
    """The compile-time values the pattern needs (small constants: k, the Slice bounds, the
    zero of the select), decoded on demand from initializers and Constant nodes, through the
    shape glue of `_RESHAPES`; a tensor that cannot be decoded is no constant."""

    LIMIT = 64
    """Elements of the largest constant decoded (the pattern's are scalars or 1-D)."""

    def __init__(self, graph: onnx.GraphProto):
        self.initializers = {t.name: t for t in graph.initializer}
        self.producers = {node.output[0]: node for node in graph.node
                          if node.domain in DEFAULT_DOMAINS and len(node.output) == 1 and node.output[0]}
        self.values: dict[str, np.ndarray | None] = {}

    def get(self, name: str, depth: int = 0) -> np.ndarray | None:
        if name not in self.values:
            self.values[name] = None
            try:
                self.values[name] = self._decode(name, depth)
            except Exception:  # (a malformed tensor is not a constant of the pattern)
                self.values[name] = None
        return self.values[name]

    def is_zero(self, name: str) -> bool:
        """Whether ``name`` is a constant of zeros of any size: an initializer or Constant
        node whose values are all zero, or a ConstantOfShape of zero (torch's zeros_like)."""
        try:
            tensor = self.initializers.get(name)
            node = self.producers.get(name)
            if tensor is None and node is not None and node.op_type == "Constant":
                tensor = next((a.t for a in node.attribute if a.name == "value" and a.HasField("t")), None)
            if tensor is not None:
                return int(np.prod(tensor.dims)) <= 1 << 22 and not np.any(numpy_helper.to_array(tensor))
            if node is not None and node.op_type == "ConstantOfShape":
                value = next((a.t for a in node.attribute if a.name == "value" and a.HasField("t")), None)
                return value is None or not np.any(numpy_helper.to_array(value))
        except Exception:  # (a malformed tensor is not a zero)
            return False
        return False

    def _decode(self, name: str, depth: int) -> np.ndarray | None:
        tensor = self.initializers.get(name)
        if tensor is not None:
            return numpy_helper.to_array(tensor) if int(np.prod(tensor.dims)) <= self.LIMIT else None
        node = self.producers.get(name)
        if node is None or depth > 8:
            return None
        if node.op_type == "Constant":
            attr = next((a for a in node.attribute if a.name == "value" and a.HasField("t")), None)
            return numpy_helper.to_array(attr.t) if attr is not None and int(np.prod(attr.t.dims)) <= self.LIMIT else None
        if node.op_type in _RESHAPES and node.input and node.input[0]:
            args = [self.get(x, depth + 1) if x else None for x in node.input]
            if args[0] is None or any(a is None for a, x in zip(args, node.input) if x):
                return None
            return _RESHAPES[node.op_type](node, args)
        return None


def _unsqueeze(node: onnx.NodeProto, args: list) -> np.ndarray:
    axes = args[1] if len(args) > 1 else _attr(node, "axes", [])
    return np.expand_dims(args[0], tuple(int(a) for a in np.asarray(axes).reshape(-1)))


_RESHAPES = {
    "Reshape": lambda node, args: np.reshape(args[0], [int(d) for d in args[1]]),
    "Unsqueeze": _unsqueeze,
    "Squeeze": lambda node, args: np.squeeze(args[0]),
    "Identity": lambda node, args: args[0],
}
"""The shape glue exporters put around the constants of the pattern (k as a 1-D tensor, the
Slice bounds), evaluated on constants (`_Constants`)."""


def _attr(node: onnx.NodeProto, name: str, default):
    for attr in node.attribute:
        if attr.name == name:
            return onnx.helper.get_attribute_value(attr)
    return default


def _ints(consts: _Constants, node: onnx.NodeProto, i: int) -> list[int] | None:
    if i >= len(node.input) or not node.input[i]:
        return None
    value = consts.get(node.input[i])
    if value is None or np.asarray(value).dtype.kind not in "iu":
        return None
    return [int(v) for v in np.asarray(value).reshape(-1)]


class _Readers:
    """Which nodes read each value of a graph (node indices), and the graph's outputs."""

    def __init__(self, graph: onnx.GraphProto):
        self.graph = graph
        self.of: dict[str, list[int]] = {}
        for i, node in enumerate(graph.node):
            for name in node.input:
                if name:
                    self.of.setdefault(name, []).append(i)
        self.outputs = {o.name for o in graph.output}

    def only(self, name: str, op_type: str, one_output: bool = False) -> int | None:
        """The one reader of ``name`` when it is an ``op_type`` node (with one output, if
        ``one_output``) and ``name`` is internal, else None."""
        users = self.of.get(name, [])
        if len(users) != 1 or name in self.outputs:
            return None
        node = self.graph.node[users[0]]
        ok = node.op_type == op_type and node.domain in DEFAULT_DOMAINS and (not one_output or len(node.output) == 1)
        return users[0] if ok else None


def find_kwta(graph: onnx.GraphProto) -> list[Kwta]:
    """Every k-winners-take-all sub-graph of ``graph`` (see the module docstring)."""
    if not any(node.op_type == "TopK" for node in graph.node):
        return []
    consts, readers = _Constants(graph), _Readers(graph)
    starts = [t for t, node in enumerate(graph.node) if node.op_type == "TopK" and node.domain in DEFAULT_DOMAINS]
    return _matches(starts, lambda t: _match(graph, t, consts, readers))


def _matches(starts: list[int], match) -> list:
    """``match(i)`` for every start node ``i`` that gives a pattern; a malformed node (an
    exception while matching) is no pattern: the importer reports it."""
    found = []
    for i in starts:
        try:
            result = match(i)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError):
            result = None
        if result is not None:
            found.append(result)
    return found


def _match(graph: onnx.GraphProto, t: int, consts: _Constants, readers: _Readers) -> Kwta | None:
    """The k-WTA sub-graph starting at TopK node ``t``, or None."""
    consumers, outputs, only = readers.of, readers.outputs, readers.only
    topk = graph.node[t]
    if len(topk.input) < 2 or len(topk.output) < 1:
        return None
    if int(_attr(topk, "largest", 1)) != 1 or int(_attr(topk, "sorted", 1)) != 1 or (
            len(topk.output) > 1 and topk.output[1] and (consumers.get(topk.output[1]) or topk.output[1] in outputs)):
        return None
    k = _ints(consts, topk, 1)
    s = only(topk.output[0], "Slice")
    if k is None or len(k) != 1 or k[0] < 1 or s is None:
        return None
    k = k[0]
    slice_node = graph.node[s]
    starts, ends = _ints(consts, slice_node, 1), _ints(consts, slice_node, 2)
    axes, steps = _ints(consts, slice_node, 3), _ints(consts, slice_node, 4)
    if starts is None or ends is None or len(starts) != 1 or axes is None or len(axes) != 1 or steps not in (None, [1]):
        return None
    start = starts[0] + k if starts[0] < 0 else starts[0]
    if start != k - 1 or ends[0] < k or len(slice_node.output) != 1:
        return None
    g = only(slice_node.output[0], "GreaterOrEqual")
    if g is None or list(graph.node[g].input) != [topk.input[0], slice_node.output[0]] or len(graph.node[g].output) != 1:
        return None
    ge = graph.node[g].output[0]
    users = consumers.get(ge, [])
    if len(users) != 1 or ge in outputs:
        return None
    last = graph.node[users[0]]
    nodes = (t, s, g, users[0])
    if last.op_type == "Where" and last.domain in DEFAULT_DOMAINS:
        if list(last.input[:2]) != [ge, topk.input[0]] or len(last.input) != 3 or not consts.is_zero(last.input[2]):
            return None
    elif last.op_type == "Cast" and last.domain in DEFAULT_DOMAINS and len(last.output) == 1:
        m = only(last.output[0], "Mul")
        if m is None or sorted(graph.node[m].input) != sorted([topk.input[0], last.output[0]]):
            return None
        nodes += (m,)
    else:
        return None
    if len(graph.node[nodes[-1]].output) != 1:
        return None
    return Kwta(topk.input[0], k, int(_attr(topk, "axis", -1)), axes[0], nodes)


# ---------------------------------------------------------------------------------------
# bipolar sign (sign(0) = +1), as torch users write it with a straight-through estimator


@dataclass(frozen=True)
class Bipolar:
    """One bipolar-sign sub-graph: ``scale if x >= 0 else -scale``. Its input, the scale and
    the nodes it replaces (indices into the graph's node list; the last one's output is the
    result). ONNX ``Sign`` alone is ternary (sign(0) = 0) and is not such a sub-graph."""

    input: str
    scale: float
    nodes: tuple[int, ...]


BIPOLAR_FORMS = ("Where(GreaterOrEqual(x, 0), s, -s), Where(Less(x, 0), -s, s) (s > 0), "
                 "Sign(x) + Cast(Equal(x, 0))")
"""The bipolar-sign forms `find_bipolar` recognises (torch: ``torch.where(x >= 0, 1., -1.)``,
``torch.where(x < 0, -1., 1.)``, ``torch.sign(x) + (x == 0)``)."""


def find_bipolar(graph: onnx.GraphProto) -> list[Bipolar]:
    """Every bipolar-sign sub-graph of ``graph`` (`BIPOLAR_FORMS`)."""
    if not any(node.op_type in ("GreaterOrEqual", "Less", "Equal") for node in graph.node):
        return []
    consts, readers = _Constants(graph), _Readers(graph)

    def user(name: str, op_type: str) -> int | None:
        return readers.only(name, op_type, one_output=True)

    starts = [i for i, node in enumerate(graph.node)
              if node.domain in DEFAULT_DOMAINS and len(node.input) == 2 and len(node.output) == 1]
    return _matches(starts, lambda i: _match_bipolar(graph, i, consts, user))


def _scalar(consts: _Constants, name: str) -> float | None:
    value = consts.get(name)
    if value is None or np.asarray(value).size != 1 or np.asarray(value).dtype.kind not in "fiu":
        return None
    return float(np.asarray(value).reshape(-1)[0])


def _match_bipolar(graph: onnx.GraphProto, i: int, consts: _Constants, user) -> Bipolar | None:
    """The bipolar sub-graph whose comparison is node ``i``, or None."""
    cmp = graph.node[i]
    x, zero = cmp.input
    if _scalar(consts, zero) != 0.0 or consts.get(x) is not None:
        return None
    if cmp.op_type in ("GreaterOrEqual", "Less"):
        w = user(cmp.output[0], "Where")
        if w is None or len(graph.node[w].input) != 3 or graph.node[w].input[0] != cmp.output[0]:
            return None
        a, b = (_scalar(consts, v) for v in graph.node[w].input[1:])
        if a is None or b is None or a != -b or a == 0:
            return None
        scale = a if cmp.op_type == "GreaterOrEqual" else b
        return Bipolar(x, scale, (i, w)) if scale > 0 else None
    if cmp.op_type != "Equal":
        return None
    c = user(cmp.output[0], "Cast")
    a = user(graph.node[c].output[0], "Add") if c is not None else None
    if a is None:
        return None
    other = [v for v in graph.node[a].input if v != graph.node[c].output[0]]
    s = next((k for k, n in enumerate(graph.node) if list(n.output) == other and n.op_type == "Sign"), None)
    if len(other) != 1 or s is None or list(graph.node[s].input) != [x] or user(other[0], "Add") != a:
        return None
    return Bipolar(x, 1.0, tuple(sorted((s, i, c))) + (a,))
