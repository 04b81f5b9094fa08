"""ONNX -> `nn` dialect importer.

Order of work, so that bad input fails fast and completely:

1. decode the file safely (``onnx_load``), check the opset range, upgrade a model older
   than opset 11 with the ONNX version converter;
2. list *every* node whose operator nncc cannot import (name and op type) and stop;
3. run the ONNX checker and shape inference;
4. resolve input shapes: the leading dimension is the batch (symbolic or any fixed size);
   the IR is built per sample, with batch 1 (the interpreter and engines run any batch).
   A `Shape` of a run-time tensor folds to its per-sample shape, and a Reshape to a
   constant shape whose leading entry is the model's fixed batch size is rewritten to 1;
5. walk the nodes in topological order: nodes whose inputs are all compile-time
   constants (shape sub-graphs, weight transposes, ...) are evaluated with numpy and
   never reach the IR; every other node is built by its importer function in
   ``onnx_ops.IMPORTERS`` (one function per ONNX op).

Quantization carried by the model: on constants (weights), QuantizeLinear,
DequantizeLinear and the QONNX Quant/BipolarQuant/Trunc ops (domains
``qonnx.custom_op.general``, ``finn.custom_op.general``, ``onnx.brevitas``) fold like any other node, and a
power-of-two grid of the result becomes the `fixed.grid` attribute of its `nn.constant`.
On run-time tensors a QuantizeLinear -> DequantizeLinear pair (per tensor) or a QONNX
Quant becomes `nn.fake_quant` (`nn.fake_quant_axis` with one scale per channel), a
BipolarQuant `nn.sign`; integer tensors never reach the IR. Multi-node patterns become one op:
k-winners-take-all (`nn.kwta`) and the bipolar sign torch users write with a straight-through
estimator (`torch.where(x >= 0, 1., -1.)` and its variants, `nn.sign`; `patterns.py`).

ONNX node names become the IR ops' locations (``loc("name")``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    ModuleOp,
    NameLoc,
    NoneAttr,
    StringAttr,
    TensorType,
    f32,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from nncc.compiler.onnx import batch_axis as onnx_batch_axis
from nncc.compiler.onnx import fold as onnx_fold
from nncc.compiler.onnx import ops as onnx_ops
from nncc.compiler.diagnostics import NnccError, ProblemList
from nncc.compiler.onnx.limits import too_many_elements
from nncc.compiler.onnx.fold import QONNX_DOMAINS, QONNX_OPS, Grid, op_key
from nncc.compiler.onnx.load import check_and_infer, load_model, upgrade_opset
from nncc.compiler.onnx.ops_structure import TOPK_PATTERN
from nncc.compiler.onnx.patterns import Bipolar, Kwta, find_bipolar, find_kwta
from nncc.dialects.dense import to_dense
from nncc.dialects.nn import ConstantOp, KwtaOp, SignOp
from nncc.dialects.fixed.quantization import GRID_ATTR, grid_attr

NAME_ATTR = "nncc.name"
"""Argument/result attribute that keeps the ONNX graph input/output name."""

_FLOAT_INPUTS = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}


class ImportProblem(Exception):
    """Raised by an importer function for a node it cannot translate."""


def ssa_name_hint(name: str) -> str | None:
    """An SSA name hint derived from an ONNX tensor name, or None if nothing usable remains."""
    hint = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_")
    if not hint:
        return None
    if hint[0].isdigit():
        hint = "v" + hint
    return hint


@dataclass
class NodeContext:
    """What an importer function sees of one ONNX node."""

    node: onnx.NodeProto
    label: str
    opset: int
    builder: "_GraphBuilder"
    attrs: dict = field(default_factory=dict)
    out_grids: dict = field(default_factory=dict)
    out_batch_axes: dict = field(default_factory=dict)

    # -- inputs -------------------------------------------------------------------
    def has_input(self, i: int) -> bool:
        """True if input ``i`` exists and is not the empty name of an omitted optional."""
        return i < len(self.node.input) and self.node.input[i] != ""

    def const(self, i: int) -> np.ndarray | None:
        """Compile-time value of input ``i``, or None if it is computed at run time."""
        if not self.has_input(i):
            return None
        return self.builder.consts.get(self.node.input[i])

    def require_const(self, i: int, what: str) -> np.ndarray:
        """Compile-time value of input ``i``; a problem if it is computed at run time."""
        value = self.const(i)
        if value is None:
            self.fail(f"{what} (input {i}) must be a compile-time constant")
        return value

    def value(self, i: int) -> SSAValue:
        """IR value of input ``i`` (constants are materialized as `nn.constant`)."""
        return self.builder.value(self.node.input[i])

    def shape(self, i: int) -> tuple[int, ...]:
        """Static shape of input ``i`` (constant or run-time)."""
        name = self.node.input[i]
        if name in self.builder.consts:
            return tuple(self.builder.consts[name].shape)
        return tuple(self.builder.value(name).type.get_shape())

    def batch_axis(self, i: int) -> int:
        """Where the batch axis of run-time input ``i`` is in its ONNX layout (0 unless a
        sequence-first tensor; the IR value keeps it first, see `batch_axis`)."""
        return self.builder.batch_axes.get(self.node.input[i], 0) if self.has_input(i) else 0

    def onnx_shape(self, i: int) -> tuple[int, ...]:
        """Per-sample shape of input ``i`` in its ONNX layout (the batch axis where ONNX has it)."""
        return onnx_batch_axis.onnx_shape(self.shape(i), self.batch_axis(i))

    def is_runtime(self, i: int) -> bool:
        """True if input ``i`` is a run-time tensor (depends on a graph input)."""
        return self.has_input(i) and self.node.input[i] not in self.builder.consts

    def grid(self, i: int) -> Grid | None:
        """The power-of-two quantization grid of constant input ``i``, if it has one."""
        return self.builder.grids.get(self.node.input[i]) if self.has_input(i) else None

    def record_grid(self, i: int, grid: Grid | None) -> None:
        """Declare that folded output ``i`` lies on ``grid`` (None: no known grid)."""
        if grid is not None:
            self.out_grids[i] = grid

    def consumers(self, i: int) -> list[onnx.NodeProto]:
        """The nodes that read output ``i``."""
        return self.builder.consumers.get(self.node.output[i], [])

    @property
    def batch(self) -> int:
        """The model's fixed batch size (1 when the batch axis is symbolic). The IR is built
        per sample (batch 1); importers rewrite shapes that bake this size in."""
        return self.builder.batch

    def is_graph_output(self, i: int) -> bool:
        """True if output ``i`` is a graph output."""
        return self.node.output[i] in self.builder.graph_outputs

    # -- attributes ---------------------------------------------------------------
    def attr(self, name: str, default=None):
        """Attribute value (ints, floats, strings decoded, tensors as numpy). With a number as
        ``default`` the attribute must be a number too (a list, tensor or string is a node
        problem, not an internal error in the converters that call int() or bool() on it)."""
        value = self.attrs.get(name, default)
        if isinstance(default, (int, float)) and not isinstance(value, (int, float, np.integer, np.floating)):
            self.fail(f"attribute '{name}' must be a number, got {type(value).__name__} {str(value)[:40]}")
        return value

    # -- building -----------------------------------------------------------------
    def emit(self, op: Operation) -> Operation:
        """Append ``op`` to the function, located at this node."""
        op.location = NameLoc(StringAttr(self.label), NoneAttr())
        self.builder.block.add_op(op)
        return op

    def constant(self, array: np.ndarray, grid: Grid | None = None) -> SSAValue:
        """A new f32 `nn.constant` located at this node (with `fixed.grid` if given)."""
        op = ConstantOp(to_dense(np.asarray(array, np.float32)))
        if grid is not None:
            op.attributes[GRID_ATTR] = grid_attr(grid.bits, grid.frac, grid.signed)
        return self.emit(op).output

    def fail(self, message: str):
        """Abort this node with a problem message."""
        raise ImportProblem(message)


def _attributes(node: onnx.NodeProto) -> dict:
    out = {}
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, onnx.TensorProto):
            try:
                value = numpy_helper.to_array(value)
            except (ValueError, TypeError) as err:
                raise ImportProblem(f"attribute '{a.name}': cannot decode tensor: {err}") from None
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = [v.decode("utf-8", "replace") for v in value]
        out[a.name] = value
    return out


class _GraphBuilder:
    def __init__(self, block: Block, graph: onnx.GraphProto | None = None):
        self.block = block
        self.consts: dict[str, np.ndarray] = {}
        self.values: dict[str, SSAValue] = {}
        self.materialized: dict[str, SSAValue] = {}
        self.grids: dict[str, Grid] = {}
        self.quantized: dict[str, dict] = {}  # QuantizeLinear outputs inside Q -> DQ pairs
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        self.graph_outputs: set[str] = set()
        self.batch = 1  # the graph inputs' fixed batch size; the IR itself is per sample
        self.batch_derived: set[str] = set()  # constants computed from the batch size (Shape)
        self.batch_positions: dict[str, int] = {}  # where a Shape output holds the batch size
        self.batch_axes: dict[str, int] = {}  # run-time tensors whose ONNX batch axis is not 0
        if graph is not None:
            for node in graph.node:
                for name in node.input:
                    if name:
                        self.consumers.setdefault(name, []).append(node)
            self.graph_outputs = {out.name for out in graph.output}

    def value(self, name: str) -> SSAValue:
        if name in self.values:
            return self.values[name]
        if name in self.materialized:
            return self.materialized[name]
        if name in self.consts:
            arr = np.asarray(self.consts[name])
            if arr.dtype.kind not in "fiub":
                raise ImportProblem(f"constant '{name}' of type {arr.dtype} cannot be used as a tensor")
            const = ConstantOp(to_dense(arr.astype(np.float32)))
            const.location = NameLoc(StringAttr(name), NoneAttr())
            if (grid := self.grids.get(name)) is not None:
                const.attributes[GRID_ATTR] = grid_attr(grid.bits, grid.frac, grid.signed)
            if (hint := ssa_name_hint(name)) is not None:
                const.output.name_hint = hint
            self.block.add_op(const)
            self.materialized[name] = const.output
            return const.output
        raise KeyError(name)


BATCH_SHAPE_INPUTS = {("Reshape", 1), ("Expand", 1)}
"""(op type, input) where a constant computed from the batch size is a target shape whose
per-sample form (batch 1) is right; anywhere else such a value is refused."""


def _check_batch_derived(ctx: NodeContext) -> None:
    """Refuse a node that reads a batch-dependent constant as data or as a parameter: the
    IR is per sample, so the batch size is not known to it."""
    for i, name in enumerate(ctx.node.input):
        if name in ctx.builder.batch_derived and (ctx.node.op_type, i) not in BATCH_SHAPE_INPUTS:
            ctx.fail(
                f"input {i} ('{name}') is computed from the batch size (a Shape of a run-time "
                "tensor); the IR is per sample, so only a Reshape or Expand target may depend on it"
            )


def _node_label(node: onnx.NodeProto, index: int) -> str:
    return node.name if node.name else f"{node.op_type}_{index}"


def _describe(node: onnx.NodeProto, index: int) -> str:
    return f"node '{_node_label(node, index)}' ({node.op_type})"


def _topological(graph: onnx.GraphProto) -> list[int]:
    produced_by = {}
    for i, node in enumerate(graph.node):
        for out in node.output:
            if out:
                produced_by[out] = i
    order, state = [], {}
    for start in range(len(graph.node)):
        stack = [(start, False)]
        while stack:
            i, done = stack.pop()
            if done:
                state[i] = 2
                order.append(i)
                continue
            if state.get(i):
                if state[i] == 1:
                    continue
                continue
            state[i] = 1
            stack.append((i, True))
            for inp in graph.node[i].input:
                j = produced_by.get(inp)
                if j is not None and not state.get(j):
                    stack.append((j, False))
    return order


def _domain_problem(node: onnx.NodeProto) -> str:
    message = f"unsupported operator domain '{node.domain}'"
    if node.op_type in QONNX_OPS and node.domain not in QONNX_DOMAINS:
        message += f" (QONNX {node.op_type} is imported from the domains {', '.join(QONNX_DOMAINS)})"
    elif node.domain in QONNX_DOMAINS:
        message += f" (only {', '.join(QONNX_OPS)} are imported from it)"
    return message


def _declare_qonnx_domains(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with an opset import for every QONNX domain its nodes use (older
    exports omit it, which the ONNX checker would refuse); a copy if one was added."""
    declared = {entry.domain for entry in model.opset_import}
    missing = sorted({n.domain for n in model.graph.node if n.domain in QONNX_DOMAINS} - declared)
    if not missing:
        return model
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for domain in missing:
        model.opset_import.append(onnx.helper.make_opsetid(domain, 1))
    return model


def find_unsupported(graph: onnx.GraphProto, initializers: set[str]) -> list[str]:
    """Every node nncc cannot import, described as "node 'name' (OpType): reason"."""
    problems = []
    constant = set(initializers)
    absorbed = {i for found in (*find_kwta(graph), *find_bipolar(graph)) for i in found.nodes}
    for i in _topological(graph):
        node = graph.node[i]
        if i in absorbed:  # imported as one nn.kwta / nn.sign
            continue
        key = op_key(node)
        all_const = all((not x) or x in constant for x in node.input)
        foldable = onnx_fold.folder_for(key) is not None and (all_const or key in onnx_fold.SHAPE_ONLY)
        if key is None:
            problems.append(f"{_describe(node, i)}: {_domain_problem(node)}")
        elif key == "TopK":  # (its sub-graph, when it is a k-WTA, was absorbed above)
            problems.append(f"{_describe(node, i)}: {TOPK_PATTERN}")
        elif foldable:
            constant.update(x for x in node.output if x)
        elif onnx_ops.importer_for(key) is None:
            if onnx_fold.folder_for(key) is not None:
                problems.append(
                    f"{_describe(node, i)}: supported only on compile-time constants "
                    "(shape computations), but an input is computed at run time"
                )
            else:
                problems.append(f"{_describe(node, i)}: unsupported operator")
    return problems


def _parse_input_shapes(graph: onnx.GraphProto, initializers: set[str], overrides: Mapping[str, Sequence[int]]):
    problems = ProblemList()
    inputs = [v for v in graph.input if v.name not in initializers]
    names = {v.name for v in inputs}
    for name in overrides:
        if name not in names:
            problems.add(f"--input-shape names '{name}', which is not a graph input (inputs: {sorted(names)})")
    shapes = {}
    for v in inputs:
        t = v.type.tensor_type
        if not v.type.HasField("tensor_type"):
            problems.add(f"graph input '{v.name}' is not a tensor")
            continue
        if t.elem_type not in _FLOAT_INPUTS:
            problems.add(
                f"graph input '{v.name}' has element type "
                f"{onnx.TensorProto.DataType.Name(t.elem_type)}; only float inputs are supported"
            )
            continue
        if v.name in overrides:
            shape = tuple(int(d) for d in overrides[v.name])
            shapes[v.name] = shape
            continue
        if not t.HasField("shape"):
            problems.add(f"graph input '{v.name}' has no shape; give one with --input-shape")
            continue
        dims, dynamic = [], False
        for axis, d in enumerate(t.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append(d.dim_value)
            elif axis == 0:
                dims.append(1)  # symbolic leading dimension: the batch
            else:
                label = d.dim_param or "?"
                problems.add(
                    f"graph input '{v.name}' has dynamic dimension '{label}' at axis {axis}; "
                    f"only the leading (batch) axis may be dynamic; fix it with --input-shape"
                )
                dynamic = True
        if not dynamic:
            shapes[v.name] = tuple(dims)
    for name, shape in shapes.items():
        if len(shape) < 2:
            problems.add(
                f"graph input '{name}' has shape {list(shape)}; a leading batch axis plus at least "
                "one feature axis is required"
            )
    batches = {shape[0] for shape in shapes.values() if len(shape) >= 2}
    if len(batches) > 1:
        sizes = ", ".join(f"'{name}': {shape[0]}" for name, shape in shapes.items())
        problems.add(f"graph inputs have different batch sizes ({sizes}); they must share one")
    problems.raise_if_any()
    return [(v.name, shapes[v.name]) for v in inputs]


def _build_nodes(graph: onnx.GraphProto, builder: "_GraphBuilder", opset: int, problems: ProblemList) -> None:
    """Fold or import every node in topological order; record a problem per failed node
    (and skip the nodes that depend on it)."""
    failed: set[str] = set()
    kwta = {found.nodes[-1]: found for found in (*find_kwta(graph), *find_bipolar(graph))}
    absorbed = {i for found in kwta.values() for i in found.nodes[:-1]}
    for i in _topological(graph):
        node = graph.node[i]
        if i in absorbed:
            continue
        if any(x in failed for x in node.input if x):
            failed.update(x for x in node.output if x)
            continue
        try:
            ctx = NodeContext(node, _node_label(node, i), opset, builder, _attributes(node))
            folded = None if i in kwta else onnx_fold.try_fold(ctx)
            if folded is not None:
                if onnx_fold.batch_dependent(ctx, builder.batch_derived):
                    builder.batch_derived.update(x for x in node.output if x)
                    if node.op_type == "Shape":
                        builder.batch_positions[node.output[0]] = ctx.batch_axis(0) - int(ctx.attr("start", 0) or 0)
                if op_key(node) in onnx_fold.GRID_PRESERVING:
                    ctx.record_grid(0, ctx.grid(0))
                for j, (name, value) in enumerate(zip(node.output, folded)):
                    if name:
                        builder.consts[name] = value
                        if j in ctx.out_grids:
                            builder.grids[name] = ctx.out_grids[j]
                continue
            if i in kwta:  # the last node of a k-WTA / bipolar sub-graph (its other nodes were skipped)
                results = [_import_pattern(ctx, kwta[i])]
            else:
                _check_batch_derived(ctx)
                if onnx_batch_axis.applies(ctx):
                    results = onnx_batch_axis.import_node(ctx)
                else:
                    onnx_batch_axis.refuse_moved(ctx)
                    results = onnx_ops.importer_for(op_key(node))(ctx)
        except ImportProblem as err:
            problems.add(f"{_describe(node, i)}: {err}")
            failed.update(x for x in node.output if x)
            continue
        except onnx_fold.FoldError as err:
            problems.add(f"{_describe(node, i)}: {err}")
            failed.update(x for x in node.output if x)
            continue
        for j, (name, value) in enumerate(zip(node.output, results)):
            if name and value is not None:
                builder.values[name] = value
                if ctx.out_batch_axes.get(j, 0):
                    builder.batch_axes[name] = ctx.out_batch_axes[j]
                owner = value.owner
                if isinstance(owner, Operation) and (hint := ssa_name_hint(name)) is not None:
                    value.name_hint = hint


def _import_pattern(ctx: NodeContext, found: Kwta | Bipolar) -> SSAValue:
    """One `nn.kwta` for a k-winners-take-all sub-graph (`patterns.find_kwta`), one bipolar
    `nn.sign` for a bipolar-sign sub-graph (`patterns.find_bipolar`)."""
    if isinstance(found, Bipolar):
        if found.input not in ctx.builder.values:
            ctx.fail(f"bipolar sign of '{found.input}': the input must be computed at run time")
        return ctx.emit(SignOp(ctx.builder.values[found.input], found.scale)).output
    if found.input not in ctx.builder.values:
        ctx.fail(f"k-winners-take-all of '{found.input}': the input must be computed at run time")
    if ctx.builder.batch_axes.get(found.input, 0):
        ctx.fail("k-winners-take-all on a sequence-first tensor is not supported")
    x = ctx.builder.values[found.input]
    rank = len(x.type.get_shape())
    axis, slice_axis = (a + rank if a < 0 else a for a in (found.axis, found.slice_axis))
    if axis != slice_axis or not 1 <= axis < rank:
        ctx.fail(f"k-winners-take-all: TopK axis {found.axis} and Slice axis {found.slice_axis} "
                 f"must name the same non-batch axis of a rank-{rank} tensor")
    if found.k > x.type.get_shape()[axis]:
        ctx.fail(f"TopK k = {found.k} exceeds the {x.type.get_shape()[axis]} elements of axis {axis}")
    return ctx.emit(KwtaOp(x, found.k, axis)).output


def _graph_outputs(graph: onnx.GraphProto, builder: "_GraphBuilder") -> tuple[list[SSAValue], list[str]]:
    """The IR values and names of the graph outputs; NnccError if one is missing, constant
    or has lost its (per-sample) batch axis."""
    problems = ProblemList()
    outputs, out_names = [], []
    for out in graph.output:
        if out.name in builder.values:
            outputs.append(builder.values[out.name])
            out_names.append(out.name)
        elif out.name in builder.consts:
            problems.add(f"graph output '{out.name}' is a constant; it does not depend on any input")
        else:
            problems.add(f"graph output '{out.name}' is not produced by any node")
    problems.raise_if_any()
    for v, out in zip(outputs, out_names):
        if out in builder.batch_axes:
            problems.add(f"graph output '{out}' has its batch axis at position {builder.batch_axes[out]} (a sequence-first "
                         "tensor); the outputs must be batch first")
        elif v.type.get_shape()[0] != 1:
            problems.add(f"graph output '{out}' has shape {list(v.type.get_shape())}; its batch axis was lost")
    problems.raise_if_any()
    return outputs, out_names


def import_onnx(
    source: str | os.PathLike | bytes | onnx.ModelProto,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
) -> ModuleOp:
    """Import an ONNX model into an `nn`-dialect module with one `func.func @main`.

    ``input_shapes`` fixes graph-input shapes (batch axis included, as 1) where the
    model leaves non-batch dimensions symbolic. Raises NnccError listing every
    problem found.
    """
    model, opset = load_model(source, upgrade=False)
    try:
        model, opset = upgrade_opset(model, opset)
    except NnccError:
        # an old model the version converter cannot upgrade: its unsupported nodes, if it
        # has any, say more than the converter's failure
        unsupported = find_unsupported(model.graph, {t.name for t in model.graph.initializer})
        if unsupported:
            raise NnccError(unsupported) from None
        raise
    graph = model.graph
    initializers = {t.name for t in graph.initializer}
    unsupported = find_unsupported(graph, initializers)
    if unsupported:
        raise NnccError(unsupported)
    model = check_and_infer(_declare_qonnx_domains(model))
    graph = model.graph
    inputs = _parse_input_shapes(graph, initializers, input_shapes or {})
    batch = inputs[0][1][0] if inputs else 1
    inputs = [(name, (1,) + tuple(shape[1:])) for name, shape in inputs]  # the IR is per sample

    arg_types = [TensorType(f32, shape) for _, shape in inputs]
    block = Block(arg_types=arg_types)
    builder = _GraphBuilder(block, graph)
    builder.batch = batch
    for (name, _), arg in zip(inputs, block.args):
        builder.values[name] = arg
        if (hint := ssa_name_hint(name)) is not None:
            arg.name_hint = hint
    problems = ProblemList()
    for init in graph.initializer:
        try:
            builder.consts[init.name] = numpy_helper.to_array(init)
        except (ValueError, TypeError) as err:
            problems.add(f"initializer '{init.name}': cannot decode tensor: {err}")
    problems.raise_if_any()

    _build_nodes(graph, builder, opset, problems)
    problems.raise_if_any()
    outputs, out_names = _graph_outputs(graph, builder)

    for op in block.ops:
        for result in op.results:
            if isinstance(result.type, TensorType) and (reason := too_many_elements(result.type.get_shape())):
                problems.add(f"tensor '{op.location.desc.data if isinstance(op.location, NameLoc) else op.name}': {reason}")
    problems.raise_if_any()
    block.add_op(func.ReturnOp(*outputs))
    function = func.FuncOp(
        "main",
        (arg_types, [v.type for v in outputs]),
        Region(block),
        arg_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr(n)}) for n, _ in inputs]),
        res_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr(n)}) for n in out_names]),
    )
    module = ModuleOp([function])
    try:
        module.verify()
    except VerifyException as err:
        message = str(err).strip().splitlines()
        raise NnccError(f"internal error: imported IR does not verify: {message[0] if message else err}") from None
    return module
