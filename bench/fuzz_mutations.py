"""Seed models and mutations for `fuzz_import.py`.

A mutation is a function ``(model, rng, folder) -> bytes``: it changes a copy of a valid
ONNX model (``onnx.ModelProto``) with the ``random.Random`` it is given and returns the
bytes of the file to write as ``folder/model.onnx``; it may also write side files
(external data) into ``folder``. Every mutation is deterministic for a given rng state.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.onnx.limits import MAX_NODES
from fuzz_seeds import deep_chain, huge_tensor_model, node_bomb_bytes

HOSTILE_NAMES = [
    '"; system("x"); //',
    "*/ $finish; /*",
    "`define X 1",
    '$display("pwn");',
    "a\nb\r\\c",
    "#include </etc/passwd>",
    "{{ 7*7 }}{% raw %}",
    "'); DROP TABLE t; --",
    "../../../etc/x",
    "\x00\x01\x7f",
    "名前 ü",
    "x" * 5000,
    " ",
    "0",
    "end",
    "module",
    "int",
]
"""Node, tensor and graph names that must never reach C++/Verilog as code."""

INTERESTING_INTS = [0, 1, -1, 2, -2, 3, 7, 255, 65535, 2**31 - 1, -(2**31), 2**40, 2**62, -(2**62)]
INTERESTING_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-30, 1e30, 3.4e38, float("nan"), float("inf"), float("-inf")]


# -- mutations ----------------------------------------------------------------------------------
def _ser(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def _nodes(model):
    return list(model.graph.node)


def _tensor_names(model) -> list[str]:
    g = model.graph
    names = {n for node in g.node for n in list(node.input) + list(node.output) if n}
    names.update(v.name for v in g.input)
    names.update(v.name for v in g.output)
    names.update(t.name for t in g.initializer)
    return sorted(names)


def _rename_tensor(model, old: str, new: str) -> None:
    g = model.graph
    for node in g.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for coll in (g.input, g.output, g.value_info, g.initializer):
        for item in coll:
            if item.name == old:
                item.name = new


def byte_flip(model, rng, folder) -> bytes:
    """Flip 1 to 8 random bytes (or bits) of the serialized model."""
    data = bytearray(_ser(model))
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] = rng.randrange(256) if rng.random() < 0.5 else data[i] ^ (1 << rng.randrange(8))
    return bytes(data)


def truncate(model, rng, folder) -> bytes:
    """Cut the serialized model at a random length (possibly 0 or 1 byte)."""
    data = _ser(model)
    return data[: rng.choice([0, 1, rng.randrange(len(data)), len(data) - 1])]


def _scalar_fields(msg, depth=0, out=None):
    """(message, field descriptor) for every set scalar field, recursively."""
    out = [] if out is None else out
    for fd, value in msg.ListFields():
        if fd.type == fd.TYPE_MESSAGE:
            for sub in (value if fd.is_repeated else [value]):
                if depth < 8:
                    _scalar_fields(sub, depth + 1, out)
        else:
            out.append((msg, fd))
    return out


def _random_value(fd, rng):
    if fd.type in (fd.TYPE_FLOAT, fd.TYPE_DOUBLE):
        return rng.choice(INTERESTING_FLOATS + [rng.uniform(-1e3, 1e3)])
    if fd.type == fd.TYPE_STRING:
        return rng.choice(HOSTILE_NAMES + ["", "Relu", "Conv", "x"])
    if fd.type == fd.TYPE_BYTES:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
    if fd.type == fd.TYPE_BOOL:
        return rng.random() < 0.5
    if fd.type == fd.TYPE_ENUM:
        return rng.choice([v.number for v in fd.enum_type.values])
    value = rng.choice(INTERESTING_INTS + [rng.randrange(-100, 100)])
    if fd.type in (fd.TYPE_UINT32, fd.TYPE_UINT64, fd.TYPE_FIXED32, fd.TYPE_FIXED64):
        value = abs(value)
    if fd.type in (fd.TYPE_INT32, fd.TYPE_SINT32, fd.TYPE_SFIXED32, fd.TYPE_UINT32, fd.TYPE_FIXED32):
        value = max(min(value, 2**31 - 1), -(2**31)) if fd.type not in (fd.TYPE_UINT32, fd.TYPE_FIXED32) else value % 2**32
    return value


def field_flip(model, rng, folder) -> bytes:
    """Set 1 to 3 random scalar protobuf fields (anywhere in the model) to boundary values."""
    for _ in range(rng.randint(1, 3)):
        msg, fd = rng.choice(_scalar_fields(model))
        value = _random_value(fd, rng)
        try:
            if fd.is_repeated:
                field = getattr(msg, fd.name)
                if len(field) and rng.random() < 0.7:
                    field[rng.randrange(len(field))] = value
                elif len(field) and rng.random() < 0.5:
                    del field[rng.randrange(len(field))]
                else:
                    field.append(value)
            else:
                setattr(msg, fd.name, value)
        except (ValueError, TypeError):
            pass
    return _ser(model)


def _all_shapes(model):
    g = model.graph
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.HasField("tensor_type") and v.type.tensor_type.HasField("shape"):
            yield v.type.tensor_type.shape


def random_dims(model, rng, folder) -> bytes:
    """Random, zero, negative, symbolic or huge dimensions on inputs/outputs/initializers."""
    choices = [0, -1, 1, 2, 3, 1000, 10**6, 2**31 - 1, 10**12, 2**62]
    shapes = list(_all_shapes(model))
    for _ in range(rng.randint(1, 3)):
        if shapes and rng.random() < 0.6:
            shape = rng.choice(shapes)
            if rng.random() < 0.2:
                shape.dim.add().dim_value = rng.choice(choices)
            elif len(shape.dim):
                d = shape.dim[rng.randrange(len(shape.dim))]
                if rng.random() < 0.2:
                    d.dim_param = rng.choice(["batch", "M", ""])
                else:
                    d.dim_value = rng.choice(choices)
        elif model.graph.initializer:
            t = rng.choice(list(model.graph.initializer))
            if t.dims:
                t.dims[rng.randrange(len(t.dims))] = rng.choice(choices)
            else:
                t.dims.append(rng.choice(choices))
    return _ser(model)


def _random_attribute(name: str, rng) -> onnx.AttributeProto:
    kind = rng.choice(["int", "float", "string", "ints", "floats", "tensor", "graph", "strings", "empty_ints"])
    if kind == "int":
        return helper.make_attribute(name, rng.choice(INTERESTING_INTS))
    if kind == "float":
        return helper.make_attribute(name, rng.choice(INTERESTING_FLOATS))
    if kind == "string":
        return helper.make_attribute(name, rng.choice(HOSTILE_NAMES[:4] + ["NOTSET", "SAME_UPPER", "VALID"]))
    if kind == "ints":
        return helper.make_attribute(name, [rng.choice(INTERESTING_INTS) for _ in range(rng.randint(1, 6))])
    if kind == "floats":
        return helper.make_attribute(name, [rng.choice(INTERESTING_FLOATS) for _ in range(rng.randint(1, 4))])
    if kind == "tensor":
        return helper.make_attribute(name, numpy_helper.from_array(np.array([rng.random()] * rng.randint(0, 3), np.float32)))
    if kind == "strings":
        return helper.make_attribute(name, [b"a", b"b"])
    if kind == "empty_ints":
        return helper.make_attribute(name, [], attr_type=onnx.AttributeProto.INTS)
    sub = helper.make_graph([], "sub", [], [])
    return helper.make_attribute(name, sub)


ATTRIBUTE_NAMES = ["axis", "axes", "perm", "transA", "transB", "alpha", "beta", "kernel_shape", "strides", "pads",
                   "dilations", "group", "auto_pad", "epsilon", "ceil_mode", "count_include_pad", "value", "to",
                   "allowzero", "min", "max", "mode", "keepdims", "storage_order"]


def wrong_attribute(model, rng, folder) -> bytes:
    """Replace, add or drop node attributes, with values of wrong types or out of range."""
    nodes = _nodes(model)
    for _ in range(rng.randint(1, 3)):
        node = rng.choice(nodes)
        if node.attribute and rng.random() < 0.6:
            i = rng.randrange(len(node.attribute))
            if rng.random() < 0.2:
                del node.attribute[i]
            else:
                name = node.attribute[i].name
                node.attribute[i].CopyFrom(_random_attribute(name, rng))
        else:
            names = [a.name for a in node.attribute]
            name = rng.choice(ATTRIBUTE_NAMES)
            if name not in names or rng.random() < 0.3:
                node.attribute.append(_random_attribute(name, rng))
    return _ser(model)


def graph_cycle(model, rng, folder) -> bytes:
    """Make a node read the output of itself or of a later node (a cycle)."""
    nodes = _nodes(model)
    i = rng.randrange(len(nodes))
    j = rng.randrange(i, len(nodes))
    if nodes[i].input and nodes[j].output:
        nodes[i].input[rng.randrange(len(nodes[i].input))] = nodes[j].output[0]
    else:
        nodes[i].input.append(nodes[j].output[0] if nodes[j].output else "x")
    if rng.random() < 0.3:  # reorder the nodes as well
        order = list(model.graph.node)
        rng.shuffle(order)
        del model.graph.node[:]
        model.graph.node.extend(order)
    return _ser(model)


def duplicate_names(model, rng, folder) -> bytes:
    """Two nodes with one output name, duplicated initializers, inputs or node names."""
    g, nodes = model.graph, _nodes(model)
    kind = rng.choice(["output", "initializer", "input", "node_name", "input_is_init"])
    if kind == "output" and len(nodes) > 1:
        a, b = rng.sample(nodes, 2)
        b.output[0] = a.output[0]
    elif kind == "initializer" and g.initializer:
        t = g.initializer.add()
        t.CopyFrom(rng.choice(list(g.initializer)))
        if rng.random() < 0.5 and t.dims:
            t.dims[0] += 1
    elif kind == "input":
        g.input.add().CopyFrom(g.input[0])
    elif kind == "input_is_init" and g.initializer:
        t = g.initializer.add()
        t.CopyFrom(numpy_helper.from_array(np.zeros([1, 1], np.float32), g.input[0].name))
    else:
        for n in nodes:
            n.name = nodes[0].name
    return _ser(model)


def empty_names(model, rng, folder) -> bytes:
    """Empty node, tensor, graph-input or graph-output names."""
    g = model.graph
    kind = rng.choice(["node", "tensor", "input", "output", "all_nodes"])
    if kind == "node":
        rng.choice(_nodes(model)).name = ""
    elif kind == "all_nodes":
        for n in g.node:
            n.name = ""
    elif kind == "tensor":
        _rename_tensor(model, rng.choice(_tensor_names(model)), "")
    elif kind == "input":
        g.input[0].name = ""
    else:
        g.output[0].name = ""
    return _ser(model)


def hostile_names(model, rng, folder) -> bytes:
    """Rename nodes, tensors, graph inputs/outputs and the graph to hostile strings."""
    g = model.graph
    for n in g.node:
        if rng.random() < 0.7:
            n.name = rng.choice(HOSTILE_NAMES)
    pool = list(HOSTILE_NAMES)
    rng.shuffle(pool)
    for old, new in zip(rng.sample(_tensor_names(model), min(len(pool), len(_tensor_names(model)))), pool):
        if rng.random() < 0.7:
            _rename_tensor(model, old, new + ("" if rng.random() < 0.5 else f"_{rng.randrange(99)}"))
    if rng.random() < 0.5:
        g.name = rng.choice(HOSTILE_NAMES)
    if rng.random() < 0.3:
        g.doc_string = rng.choice(HOSTILE_NAMES)
    return _ser(model)


def bad_weights(model, rng, folder) -> bytes:
    """NaN/Inf/huge/denormal weights, wrong dtypes or raw data of the wrong size."""
    g = model.graph
    floats = [t for t in g.initializer if t.data_type == TensorProto.FLOAT]
    if not floats:
        return _ser(model)
    t = rng.choice(floats)
    arr = numpy_helper.to_array(t).copy()
    kind = rng.choice(["nan", "inf", "huge", "denormal", "all_nan", "dtype", "raw_size", "float_data", "f16"])
    if kind in ("nan", "inf", "huge", "denormal") and arr.size:
        value = {"nan": np.nan, "inf": rng.choice([np.inf, -np.inf]), "huge": 3.0e38, "denormal": 1e-45}[kind]
        arr.reshape(-1)[rng.randrange(arr.size)] = value
    elif kind == "all_nan":
        arr[...] = np.nan
    elif kind == "f16":
        t.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), t.name))
        return _ser(model)
    if kind == "dtype":
        t.data_type = rng.choice([TensorProto.INT8, TensorProto.DOUBLE, TensorProto.STRING, TensorProto.BOOL,
                                  TensorProto.UNDEFINED, 99, TensorProto.COMPLEX64, TensorProto.BFLOAT16])
    elif kind == "raw_size":
        t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data) + 1)] + bytes(rng.choice([0, 1, 3, 4]))
    elif kind == "float_data":
        t.ClearField("raw_data")
        t.float_data.extend([1.0] * rng.choice([0, 1, arr.size + 1]))
    else:
        t.CopyFrom(numpy_helper.from_array(arr, t.name))
    return _ser(model)


def external_data(model, rng, folder: Path) -> bytes:
    """Move a weight to external data that is missing, outside the folder, too short or
    at an offset past the end (or, sometimes, valid)."""
    floats = [t for t in model.graph.initializer if t.raw_data]
    if not floats:
        return _ser(model)
    t = rng.choice(floats)
    raw = t.raw_data
    kind = rng.choice(["valid", "missing", "escape", "absolute", "offset", "length", "short", "dir", "bad_offset"])
    location = {"escape": "../" * rng.randint(1, 4) + "etc/passwd", "absolute": "/etc/passwd",
                "dir": "."}.get(kind, "weights.bin")
    entries = {"location": location}
    if kind not in ("missing", "escape", "absolute", "dir"):
        data = raw[: len(raw) // 2] if kind == "short" else raw
        (folder / "weights.bin").write_bytes(b"\0" * 16 + data)
        entries["offset"] = str(16)
    if kind == "offset":
        entries["offset"] = str(rng.choice([10**9, 2**63, len(raw) + 17]))
    elif kind == "length":
        entries["length"] = str(rng.choice([len(raw) * 4, 10**12, 1]))
    elif kind == "bad_offset":
        entries["offset"] = rng.choice(["-5", "abc", "", "1e3"])
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in entries.items():
        e = t.external_data.add()
        e.key, e.value = k, v
    return _ser(model)


def rewire(model, rng, folder) -> bytes:
    """Swap op types, drop or add node inputs/outputs, point inputs at unknown tensors."""
    nodes = _nodes(model)
    ops = ["Relu", "Conv", "Gemm", "MatMul", "Softmax", "Reshape", "Concat", "Add", "Flatten", "MaxPool",
           "Transpose", "Gather", "Shape", "Slice", "BatchNormalization", "Clip", "Pad", "Squeeze",
           "ConstantOfShape", "Expand", "Range", "Cast", "Where", "Div", "Unknown", "If", "Loop", "Dropout"]
    for _ in range(rng.randint(1, 3)):
        node = rng.choice(nodes)
        kind = rng.choice(["op", "drop_in", "add_in", "unknown_in", "drop_out", "add_out", "domain", "swap_in"])
        if kind == "op":
            node.op_type = rng.choice(ops)
        elif kind == "drop_in" and node.input:
            del node.input[rng.randrange(len(node.input))]
        elif kind == "add_in":
            node.input.append(rng.choice(_tensor_names(model) + [""]))
        elif kind == "unknown_in" and node.input:
            node.input[rng.randrange(len(node.input))] = "nowhere"
        elif kind == "drop_out" and node.output:
            del node.output[rng.randrange(len(node.output))]
        elif kind == "add_out":
            node.output.append(rng.choice(["extra", "", node.output[0] if node.output else "z"]))
        elif kind == "domain":
            node.domain = rng.choice(["com.microsoft", "qonnx.custom_op.general", "ai.onnx.ml", "x"])
        elif kind == "swap_in" and len(node.input) > 1:
            node.input[0], node.input[1] = node.input[1], node.input[0]
    return _ser(model)


def opset_and_meta(model, rng, folder) -> bytes:
    """Other opsets, IR versions, extra domains, functions and graph-level oddities."""
    kind = rng.choice(["opset", "ir", "no_opset", "dup_opset", "no_outputs", "no_inputs", "sparse", "output_is_input"])
    g = model.graph
    if kind == "opset":
        model.opset_import[0].version = rng.choice([1, 7, 10, 11, 12, 13, 18, 21, 22, 99, -1])
    elif kind == "ir":
        model.ir_version = rng.choice([0, 1, 3, 99, -1])
    elif kind == "no_opset":
        del model.opset_import[:]
    elif kind == "dup_opset":
        model.opset_import.add().CopyFrom(helper.make_opsetid("", rng.choice([11, 13, 17])))
    elif kind == "no_outputs":
        del g.output[:]
    elif kind == "no_inputs":
        del g.input[:]
    elif kind == "sparse":
        dense = numpy_helper.from_array(np.array([1.0], np.float32), "sv")
        g.sparse_initializer.add().CopyFrom(helper.make_sparse_tensor(dense, numpy_helper.from_array(np.array([0], np.int64), "si"), [3, 3]))
    else:
        g.output[0].CopyFrom(g.input[0])
    return _ser(model)


def deep_graph(model, rng, folder) -> bytes:
    """Replace the model with a chain of 1000 to 2000 elementwise nodes."""
    return _ser(deep_chain(rng.randint(1000, 2000), rng))


def resource_bomb(model, rng, folder) -> bytes:
    """Declare a huge tensor (ConstantOfShape, input or initializer dims) or a huge graph."""
    kind = rng.choice(["constant_of_shape", "input", "initializer", "nodes"])
    if kind == "constant_of_shape":
        return _ser(huge_tensor_model(rng.choice([10**4, 10**5, 10**6])))
    if kind == "nodes":
        return node_bomb_bytes(MAX_NODES + 1) if rng.random() < 0.5 else node_bomb_bytes(10**6, chain=False)
    if kind == "input":
        shape = next(iter(_all_shapes(model)))
        for d in shape.dim[1:]:
            d.dim_value = rng.choice([10**4, 10**6])
        return _ser(model)
    t = rng.choice(list(model.graph.initializer))
    t.dims[:] = [10**6, 10**6]
    return _ser(model)


def nudge_attributes(model, rng, folder) -> bytes:
    """Keep each chosen attribute's type but nudge its value (+-1, 0, negative, doubled)."""
    attrs = [a for n in model.graph.node for a in n.attribute if a.type in (a.INT, a.INTS, a.FLOAT)]
    for attr in rng.sample(attrs, min(len(attrs), rng.randint(1, 3))) if attrs else []:
        bump = rng.choice([lambda v: v + 1, lambda v: v - 1, lambda v: 0, lambda v: -v, lambda v: 2 * v + 1])
        if attr.type == attr.INT:
            attr.i = max(min(bump(attr.i), 2**40), -(2**40))
        elif attr.type == attr.FLOAT:
            attr.f = float(bump(attr.f))
        elif attr.ints:
            i = rng.randrange(len(attr.ints))
            attr.ints[i] = max(min(bump(attr.ints[i]), 2**40), -(2**40))
    return _ser(model)


def nudge_constants(model, rng, folder) -> bytes:
    """Change the values of integer constants (shapes, axes, pads, indices) a little."""
    ints = [t for t in model.graph.initializer if t.data_type in (TensorProto.INT64, TensorProto.INT32)]
    ints += [a.t for n in model.graph.node if n.op_type == "Constant" for a in n.attribute
             if a.HasField("t") and a.t.data_type in (TensorProto.INT64, TensorProto.INT32)]
    if not ints:
        return wrong_attribute(model, rng, folder)
    t = rng.choice(ints)
    arr = numpy_helper.to_array(t).copy()
    if arr.size and rng.random() < 0.8:
        flat = arr.reshape(-1)
        i = rng.randrange(arr.size)
        flat[i] = rng.choice([flat[i] + 1, flat[i] - 1, 0, -1, -flat[i], 2 * flat[i], 10**6])
    else:
        arr = np.append(arr.reshape(-1), rng.choice([0, 1, -1])).astype(arr.dtype)
    t.CopyFrom(numpy_helper.from_array(arr, t.name))
    return _ser(model)


MUTATIONS = {
    "byte_flip": (byte_flip, 8),
    "truncate": (truncate, 4),
    "field_flip": (field_flip, 12),
    "random_dims": (random_dims, 8),
    "wrong_attribute": (wrong_attribute, 10),
    "graph_cycle": (graph_cycle, 5),
    "duplicate_names": (duplicate_names, 5),
    "empty_names": (empty_names, 5),
    "hostile_names": (hostile_names, 10),
    "bad_weights": (bad_weights, 8),
    "external_data": (external_data, 8),
    "rewire": (rewire, 10),
    "nudge_attributes": (nudge_attributes, 10),
    "nudge_constants": (nudge_constants, 8),
    "opset_and_meta": (opset_and_meta, 5),
    "deep_graph": (deep_graph, 0.25),
    "resource_bomb": (resource_bomb, 1),
}
"""Name -> (mutation, relative weight)."""
