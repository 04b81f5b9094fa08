"""Python API of nncc (also what the CLI calls).

    from nncc.compiler.api import import_model, run_float_model
    module = import_model("model.onnx")           # nn-dialect IR, cleaned up
    outputs = run_float_model(module, x)          # {output_name: array}
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp
from xdsl.ir import Attribute
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError, VerifyException

from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.pipelines import parse_pipeline, run_passes
from nncc.runtime.interpreter import InterpreterError, io_names, main_function, run_float


def import_model(
    source,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    pipeline: str | None = "nn-cleanup",
) -> ModuleOp:
    """Import an ONNX model and run ``pipeline`` on it.

    ``pipeline`` is "nn-cleanup" (the default canonical form), None (the raw import)
    or any `-p` pass-pipeline string.
    """
    from nncc.compiler.onnx.importer import import_onnx  # onnx takes a second to import: only when needed

    module = import_onnx(source, input_shapes=input_shapes)
    if pipeline:
        run_passes(resolve_pipeline(pipeline), module, make_context())
    return module


def resolve_pipeline(spec: str):
    """Pass list of a `-p` pipeline string whose entries are pass or pipeline names
    (built-in or plugin), with options: `nn-cleanup`, `nn-to-fixed{width=8},dataflow-tile`."""
    return parse_pipeline(spec)


def parse_error_line(err: Exception) -> str:
    """One line for an xDSL parse error: 'LINE:COL: message' (xDSL prints the position, the
    source line with a caret, then the message, on separate lines)."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    message = lines[-1]
    position = re.search(r":(\d+:\d+)$", lines[0])
    return f"{position.group(1)}: {message}" if position and len(lines) > 1 else message


def parse_mlir(text: str, name: str = "<input>") -> ModuleOp:
    """Parse and verify nncc IR text."""
    try:
        module = Parser(make_context(), text, name).parse_module()
        module.verify()
    except ParseError as err:
        raise NnccError(f"{name}: cannot parse IR: {parse_error_line(err)}") from None
    except VerifyException as err:
        first = str(err).strip().splitlines()
        raise NnccError(f"{name}: IR does not verify: {first[0] if first else err}") from None
    return module


def load_module(path: str | os.PathLike, *, input_shapes=None) -> ModuleOp:
    """An `nn` module from an `.onnx` model (imported and cleaned up) or an `.mlir` file."""
    path = Path(path)
    if path.suffix == ".mlir":
        if not path.is_file():
            raise NnccError(f"{path}: no such file")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise NnccError(f"{path}: cannot read: {err}") from None
        return parse_mlir(text, str(path))
    return import_model(path, input_shapes=input_shapes)


class _Printer(Printer):
    """xDSL's printer, with large dense constants printed straight from their bytes (the
    same `dense<"0x...">` text; xDSL unpacks every value first, ~0.2 s per million)."""

    def print_attribute(self, attribute: Attribute) -> None:
        if isinstance(attribute, DenseIntOrFPElementsAttr) and len(attribute) > 100 and attribute.shape_is_complete:
            data = attribute.data.data
            size = len(data) // len(attribute)
            if data != data[:size] * len(attribute):  # a splat prints as its one value
                self.print_string(f'dense<"0x{data.hex().upper()}"> : ')
                self.print_attribute(attribute.get_type())
                return
        super().print_attribute(attribute)


def module_text(module: ModuleOp, *, locations: bool = True) -> str:
    """Printed IR (with `loc(...)` of ONNX node names unless ``locations`` is False)."""
    stream = io.StringIO()
    _Printer(stream=stream, print_debuginfo=locations).print_op(module)
    stream.write("\n")
    return stream.getvalue()


def model_inputs(module: ModuleOp) -> list[str]:
    """Graph input names of the module's @main."""
    return io_names(main_function(module))[0]


def read_inputs(path: str | os.PathLike, module: ModuleOp) -> dict[str, np.ndarray]:
    """Inputs from `.npy` (single-input models, batch first) or `.npz` (keyed by input name)."""
    path = Path(path)
    names = model_inputs(module)
    if not path.is_file():
        raise NnccError(f"{path}: no such file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as err:
        raise NnccError(f"{path}: not a readable .npy/.npz file ({err})") from None
    if isinstance(loaded, np.ndarray):
        if len(names) != 1:
            raise NnccError(f"{path}: the model has inputs {names}; give them in an .npz keyed by name")
        arrays = {names[0]: loaded}
    else:
        with loaded:
            arrays = {k: loaded[k] for k in loaded.files}
        missing = [n for n in names if n not in arrays]
        extra = [k for k in arrays if k not in names]
        if missing or extra:
            raise NnccError(f"{path}: keys {sorted(arrays)} do not match the model's inputs {names}")
    for name, arr in arrays.items():
        if arr.dtype.kind not in "fiub":
            raise NnccError(f"{path}: input '{name}' has non-numeric dtype {arr.dtype}")
        arrays[name] = arr.astype(np.float32)
    return arrays


def run_float_model(module: ModuleOp, inputs) -> dict[str, np.ndarray]:
    """Float reference run: ``inputs`` is an array (single-input model) or a name mapping."""
    if isinstance(inputs, np.ndarray):
        names = model_inputs(module)
        if len(names) != 1:
            raise NnccError(f"the model has inputs {names}; pass a mapping by name")
        inputs = {names[0]: inputs}
    try:
        return run_float(module, inputs)
    except InterpreterError as err:
        raise NnccError(str(err)) from None


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise NnccError(f"{path}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_outputs(path: str | os.PathLike, outputs: Mapping[str, np.ndarray]) -> None:
    """Save outputs: `.npy` for a single output, `.npz` keyed by output name."""
    path = Path(path)
    buffer = io.BytesIO()
    if path.suffix == ".npz":
        np.savez(buffer, **outputs)
    elif path.suffix == ".npy":
        if len(outputs) != 1:
            raise NnccError(f"{path}: the model has {len(outputs)} outputs; write an .npz instead")
        np.save(buffer, next(iter(outputs.values())))
    else:
        raise NnccError(f"{path}: output file must end in .npy or .npz")
    write_atomically(path, buffer.getvalue())
