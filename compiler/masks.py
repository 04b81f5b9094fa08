"""Pruning masks for a training loop: masks out, fine-tune, masks in.

nncc prunes after training (`nncc compile --sparse-prune ...`), refitting the kept weights on
the calibration data. A user with a training loop can do better by fine-tuning with the
pruned structure fixed, the step the hardware-aware pruning literature iterates:

    from nncc.compiler.masks import apply_masks, pruning_masks

    masks = pruning_masks("model.onnx", kind="knapsack", fraction=0.75, reuse_factor=4,
                          calibration=x_cal)           # {weight initializer: keep mask}
    ...  # train: after each step, weight *= mask (and the optimizer's moments with it)
    onnx.save(apply_masks(trained_onnx, masks), "pruned.onnx")
    nncc.compile("pruned.onnx", "out", reuse_factor=4, sparse_threshold=0.01)

`pruning_masks` runs the very passes `nncc compile` runs for the same options (magnitude
kinds, N:M, blocks, column-balanced, complementary, channels, or the knapsack over the
multiplier lanes at ``reuse_factor``), so the masks have the structure the hardware plan
exploits; each mask is in its initializer's own layout (a ``Gemm`` weight with ``transB=0``
or a ``MatMul`` weight is [in, out]). `apply_masks` writes exact zeros outside the masks; the
compiled design then gives them no multiplier (``sparse_threshold``: the layers with zeros
get a sparse encoding; ``sparse_structure`` names a structure other than ``mask``).

`complementary_masks` makes the masks complementary sparsity trains with from the start:
per group of K consecutive kernels, every column owned by one kernel, dealt at random in
equal shares (seeded).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import onnx
from onnx import numpy_helper

from nncc.compiler.api import import_model
from nncc.compiler.config import CompileOptions, checked_options
from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError
from nncc.dialects.dense import from_dense
from nncc.dialects.interfaces import FloatSemantics, MacLayer, layer_label
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects import nn


def complementary_masks(shape: tuple[int, ...], kernels: int, seed: int = 0) -> np.ndarray:
    """A boolean keep-mask of a weight of ``shape`` (output channels first): the rows in
    groups of ``kernels`` consecutive kernels, every column (the rest of the shape, in its
    order) kept by exactly one kernel of its group, ⌈columns / K⌉ or ⌊columns / K⌋ each, at
    random from ``seed``."""
    try:
        shape, kernels = tuple(int(d) for d in shape), int(kernels)
    except (TypeError, ValueError):
        raise NnccError(f"complementary masks: shape {shape!r} and kernels {kernels!r} must be integers") from None
    if any(d < 1 for d in shape):
        raise NnccError(f"complementary masks: shape {list(shape)} must have positive dimensions")
    if kernels < 2 or not shape or shape[0] % kernels:
        raise NnccError(f"complementary masks: {kernels} kernels per group must be >= 2 and divide the "
                        f"{shape[0] if shape else 0} output channels")
    rng = np.random.default_rng(seed)
    columns = int(np.prod(shape[1:]))
    mask = np.zeros((shape[0], columns), bool)
    for g in range(0, shape[0], kernels):
        owners = np.resize(np.arange(kernels), columns)
        rng.shuffle(owners)
        mask[g + owners, np.arange(columns)] = True
    return mask.reshape(shape)


def _onnx_layout(node: onnx.NodeProto) -> bool:
    """Whether the IR weight of ``node`` is the transpose of its ONNX initializer."""
    trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
    return (node.op_type == "Gemm" and not trans_b) or node.op_type == "MatMul"


def pruning_masks(model: str | os.PathLike, *, kind: str = "unstructured", fraction: float = 0.5,
                  reuse_factor: int = 1, calibration: np.ndarray | Mapping[str, np.ndarray] | None = None,
                  compensate: bool = True) -> dict[str, np.ndarray]:
    """The keep-mask of every constant weight nncc's pruning gives ``model`` (an ONNX file):
    ``kind`` and ``fraction`` as `sparse_prune_kind` / `sparse_prune` (for "knapsack", the
    multipliers removed at ``reuse_factor``), saliencies and refits on ``calibration`` (an
    array for the single input, or inputs by name; without it, weights by magnitude). Keys
    are the weight initializers' names, values boolean arrays of their shapes."""
    from nncc.compiler.analysis.calibrate import record_input_moments
    from nncc.compiler.pipelines import build_nn_sparse
    from nncc.passes.sparse_remove_channels import SparseRemoveChannelsPass

    options = checked_options(CompileOptions(), {"sparse_prune": fraction, "sparse_prune_kind": kind,
                                                  "reuse_factor": reuse_factor}, "pruning_masks")
    module = import_model(model)
    graph = onnx.load(os.fspath(model), load_external_data=False).graph
    names = [n.name for n in graph.node]
    nodes = {n.name: n for n in graph.node if n.name and names.count(n.name) == 1}
    initializers = {t.name: t for t in graph.initializer}
    layers = {}
    for layer in module.walk():
        weight = weight_operand(layer) if isinstance(layer, MacLayer) and isinstance(layer, FloatSemantics) else None
        if weight is None or not isinstance(weight.owner, nn.ConstantOp):
            continue
        node = nodes.get(layer_label(layer))
        if node is not None and len(node.input) > 1 and node.input[1] in initializers:
            layers[layer] = (node.input[1], _onnx_layout(node))
        elif (found := _by_value(np.asarray(from_dense(weight.owner.value)), initializers)) is not None:
            layers[layer] = found  # (a node without a unique name: its weight found by value)
    if calibration is not None:
        record_input_moments(module, _calibration(module, calibration))
    passes = [p for p in build_nn_sparse(options) if not isinstance(p, SparseRemoveChannelsPass)]
    if not compensate:
        passes = [replace(p, compensate=False) if hasattr(p, "compensate") else p for p in passes]
    ctx = make_context()
    for p in passes:
        p.apply(ctx, module)
    masks = {}
    for layer, (name, transposed) in layers.items():
        keep = np.asarray(from_dense(weight_operand(layer).owner.value)) != 0
        if transposed:
            keep = keep.T
        dims = tuple(initializers[name].dims)
        masks[name] = keep if keep.shape == dims else keep.reshape(dims)
    return masks


def _by_value(weight: np.ndarray, initializers: dict) -> tuple[str, bool] | None:
    """The initializer holding ``weight`` (or its transpose, for a [in, out] weight), if one
    does: (name, transposed)."""
    for name, tensor in initializers.items():
        if int(np.prod(tensor.dims)) != weight.size:
            continue
        values = np.asarray(numpy_helper.to_array(tensor), np.float32)
        if values.shape == weight.shape and np.array_equal(values, weight.astype(np.float32)):
            return name, False
        if values.ndim == 2 and values.T.shape == weight.shape and np.array_equal(values.T, weight.astype(np.float32)):
            return name, True
    return None


def _calibration(module, calibration) -> dict[str, np.ndarray]:
    """The calibration inputs by name (an array for the single input), checked."""
    from nncc.compiler.api import model_inputs
    from nncc.runtime.interpreter import main_function
    from nncc.runtime.inputs import InputError, check_inputs

    names = model_inputs(module)
    shapes = [tuple(arg.type.get_shape()) for arg in main_function(module).body.blocks[0].args]
    try:
        return check_inputs(calibration, names, shapes, what="pruning_masks: calibration")
    except InputError as err:
        raise NnccError(str(err)) from None


def apply_masks(model: str | os.PathLike | onnx.ModelProto, masks: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """``model`` with every weight initializer named in ``masks`` set to zero outside its
    mask (a copy; the model's other tensors unchanged)."""
    if isinstance(model, onnx.ModelProto):
        proto = onnx.ModelProto.FromString(model.SerializeToString())
    else:
        try:
            proto = onnx.load(os.fspath(model))
        except Exception as err:  # (a missing file, or one that is not an ONNX model)
            raise NnccError(f"apply_masks: cannot load {os.fspath(model)!r}: {type(err).__name__}: {err}") from None
    by_name = {t.name: t for t in proto.graph.initializer}
    missing = sorted(set(masks) - set(by_name))
    if missing:
        raise NnccError(f"apply_masks: no initializer named {', '.join(repr(m) for m in missing)}")
    for name, mask in masks.items():
        tensor = by_name[name]
        values = numpy_helper.to_array(tensor)
        mask = np.asarray(mask, bool)
        if mask.shape != values.shape:
            raise NnccError(f"apply_masks: mask of '{name}' has shape {list(mask.shape)}, the weight {list(values.shape)}")
        tensor.CopyFrom(numpy_helper.from_array(np.where(mask, values, 0).astype(values.dtype), name))
    return proto
