"""Safe loading of ONNX files: decode, external data confined to the model's folder,
opset range (older models upgraded with the ONNX version converter), structural checks and
shape inference.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import onnx
from onnx import external_data_helper, version_converter

from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.limits import check_declared_shapes, check_graph_size

MIN_OPSET = 1
"""Oldest default-domain opset accepted (1 to 10 are upgraded to UPGRADE_TARGET)."""
MAX_OPSET = onnx.defs.onnx_opset_version()
"""Newest default-domain opset accepted: the newest the installed onnx defines."""
NATIVE_MIN_OPSET = 11
"""Oldest opset the importer functions read directly."""
UPGRADE_TARGET = 13
"""Opset that models older than NATIVE_MIN_OPSET are converted to."""
DEFAULT_DOMAINS = ("", "ai.onnx")


def _all_tensors(graph: onnx.GraphProto):
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("g"):
                yield from _all_tensors(attr.g)
            for g in attr.graphs:
                yield from _all_tensors(g)


def _check_external_data(model: onnx.ModelProto, base_dir: Path | None) -> bool:
    """Refuse external-data locations that leave the model's folder; True if any exist."""
    problems = []
    found = False
    root = base_dir.resolve() if base_dir is not None else None
    for tensor in _all_tensors(model.graph):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        found = True
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        if root is None:
            problems.append(
                f"tensor '{tensor.name}': external data '{location}' cannot be loaded from an "
                "in-memory model; load it from its file"
            )
            continue
        if not location or os.path.isabs(location) or location.startswith(("\\", "/")):
            problems.append(
                f"tensor '{tensor.name}': external data location '{location}' must be a "
                "relative path inside the model's folder"
            )
            continue
        target = (root / location).resolve()
        if target != root and root not in target.parents:
            problems.append(
                f"tensor '{tensor.name}': external data location '{location}' points outside "
                "the model's folder; refusing to read it"
            )
        elif not target.is_file():
            problems.append(f"tensor '{tensor.name}': external data file '{location}' does not exist")
        else:
            problem = _external_range_problem(info, target.stat().st_size)
            if problem:
                problems.append(f"tensor '{tensor.name}': external data '{location}': {problem}")
    if problems:
        raise NnccError(problems)
    return found


def _external_range_problem(info: dict[str, str], file_size: int) -> str | None:
    """Why the offset/length entries of one external tensor are unusable, or None."""
    values = {}
    for key in ("offset", "length"):
        text = info.get(key)
        if text is None:
            continue
        if not re.fullmatch(r"[0-9]+", text):
            return f"{key} '{text}' is not a non-negative integer"
        values[key] = int(text)
    offset = values.get("offset", 0)
    if offset > file_size:
        return f"offset {offset} is past the end of the file ({file_size} bytes)"
    if offset + values.get("length", 0) > file_size:
        return f"offset {offset} + length {values['length']} is past the end of the file ({file_size} bytes)"
    return None


def _check_strings(model: onnx.ModelProto) -> None:
    """Refuse string fields (names, op types, ...) that are not valid UTF-8: protobuf hands
    them over as bytes, which nothing downstream expects."""
    stack = [model]
    while stack:
        msg = stack.pop()
        for fd, value in msg.ListFields():
            if fd.type == fd.TYPE_MESSAGE:
                stack.extend(value if fd.is_repeated else [value])
            elif fd.type == fd.TYPE_STRING and any(isinstance(v, bytes) for v in (value if fd.is_repeated else [value])):
                raise NnccError(f"not a valid ONNX model: a {msg.DESCRIPTOR.name}.{fd.name} field is not valid UTF-8")


def _check_opsets(model: onnx.ModelProto) -> int:
    version = None
    for entry in model.opset_import:
        if entry.domain in DEFAULT_DOMAINS:
            version = entry.version
    if version is None:
        raise NnccError("model imports no default ONNX opset")
    if not MIN_OPSET <= version <= MAX_OPSET:
        raise NnccError(f"opset {version} is not supported (supported: {MIN_OPSET} to {MAX_OPSET})")
    return version


def upgrade_opset(model: onnx.ModelProto, version: int) -> tuple[onnx.ModelProto, int]:
    """``model`` converted to UPGRADE_TARGET if its opset ``version`` is older than
    NATIVE_MIN_OPSET (ONNX version converter); unchanged otherwise."""
    if version >= NATIVE_MIN_OPSET:
        return model, version
    try:
        upgraded = version_converter.convert_version(model, UPGRADE_TARGET)
    except Exception as err:  # the converter raises RuntimeError, ValueError, IndexError, ...
        text = str(err).strip()
        first = text.splitlines()[0] if text else type(err).__name__
        raise NnccError(
            f"cannot upgrade the model from opset {version} to opset {UPGRADE_TARGET} with the ONNX "
            f"version converter: {first}"
        ) from None
    if upgraded.ir_version < 4:
        # before IR version 4 every initializer must also be a graph input; the converter
        # adds initializers (Pad's pads, ...) without declaring them
        declared = {v.name for v in upgraded.graph.input}
        for tensor in upgraded.graph.initializer:
            if tensor.name not in declared:
                upgraded.graph.input.append(
                    onnx.helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims))
                )
    return upgraded, UPGRADE_TARGET


def load_model(
    source: str | os.PathLike | bytes | onnx.ModelProto, *, upgrade: bool = True
) -> tuple[onnx.ModelProto, int]:
    """Decode ``source`` without touching external data; return (model, default opset).

    A model older than opset NATIVE_MIN_OPSET comes back upgraded to UPGRADE_TARGET
    (unless ``upgrade`` is False: then call `upgrade_opset` yourself).
    Raises NnccError for unreadable, empty, truncated or non-ONNX input, for external
    data that would be read from outside the model's folder, and when the upgrade fails.
    """
    base_dir: Path | None = None
    if isinstance(source, onnx.ModelProto):
        model = source
    else:
        if isinstance(source, (bytes, bytearray)):
            data, label = bytes(source), "<bytes>"
        else:
            path = Path(source)
            label = str(path)
            if not path.is_file():
                raise NnccError(f"{label}: no such file")
            try:
                data = path.read_bytes()
            except OSError as err:
                raise NnccError(f"{label}: cannot read: {err.strerror}") from None
            base_dir = path.parent
        if not data:
            raise NnccError(f"{label}: file is empty, not an ONNX model")
        model = onnx.ModelProto()
        try:
            model.ParseFromString(data)
        except Exception as err:  # protobuf raises DecodeError or RuntimeWarning-like errors
            raise NnccError(f"{label}: not a valid ONNX model (cannot decode protobuf: {err})") from None
        if not model.HasField("graph") or not model.opset_import:
            raise NnccError(f"{label}: not a valid ONNX model (no graph or opset; truncated or not ONNX)")
    check_graph_size(model.graph)
    _check_strings(model)
    opset = _check_opsets(model)
    check_declared_shapes(model.graph)
    if _check_external_data(model, base_dir):
        external_data_helper.load_external_data_for_model(model, str(base_dir))
    return upgrade_opset(model, opset) if upgrade else (model, opset)


def check_and_infer(model: onnx.ModelProto) -> onnx.ModelProto:
    """Run the ONNX checker and strict shape inference; report failures as NnccError."""
    try:
        onnx.checker.check_model(model)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NnccError(f"model fails the ONNX checker: {first}") from None
    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise NnccError(f"ONNX shape inference failed: {first}") from None
    check_declared_shapes(inferred.graph)
    return inferred
