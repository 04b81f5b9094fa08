"""The Python API for compiled designs.

    import nncc
    design = nncc.compile("model.onnx", "out/", calibration="x.npy")
    y = design.predict(x, engine="csim")        # or "fixed", "float"
    layers = design.trace(x)                    # per-layer float and fixed values
    design.report["outputs"]                    # errors, argmax agreement
    design = nncc.load("out/")                  # a folder written by `nncc compile`
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import StringAttr

from nncc.compiler.api import model_inputs, parse_mlir
from nncc.compiler.config import CompileOptions, read_config, with_overrides
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.flow import FLOAT_FILE, compile_model, write_folder
from nncc.dialects import fixed
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.emit import NAME_ATTR, emission_options
from nncc.dialects.interfaces import layer_label
from nncc.runtime import progress
from nncc.runtime.inputs import InputError, check_inputs
from nncc.runtime.interpreter import InterpreterError, io_names, main_function

ENGINES = ("float", "fixed", "csim", "rtl")


@dataclass(frozen=True)
class Mismatch:
    """Where C-simulation first departs from the fixed-point interpreter."""

    layer: str
    op: str
    differing: int
    total: int
    max_abs_diff: float


class Design:
    """A compiled design folder: run it on any engine, trace it, read its report."""

    def __init__(self, folder: str | os.PathLike, modules: dict | None = None):
        """Open ``folder``; ``modules`` (file name -> module) are the folder's `.mlir` files
        already in memory (`compile` passes the ones it just wrote), else they are parsed."""
        self.folder = Path(folder)
        for name in ("model.mlir", "design.mlir", "report.json"):
            if not (self.folder / name).is_file():
                raise NnccError(f"{self.folder}: not an nncc compile output (missing {name})")
        modules = modules or {}

        def module(name: str):
            if name in modules:
                return modules[name]
            return parse_mlir((self.folder / name).read_text(), str(self.folder / name))

        self.model = module("model.mlir")
        self.design = module("design.mlir")
        float_file = self.folder / FLOAT_FILE
        self.float_model = module(FLOAT_FILE) if float_file.is_file() else self.model
        self.report = json.loads((self.folder / "report.json").read_text())
        self.input_names = model_inputs(self.model)
        self.output_names = io_names(main_function(self.model))[1]
        block = main_function(self.model).body.blocks[0]
        self.input_shapes = [tuple(arg.type.get_shape()) for arg in block.args]
        self.output_shapes = [tuple(v.type.get_shape()) for v in block.last_op.operands]
        self._csim = None
        self.rtl_stats: dict = {}

    # -- inputs -------------------------------------------------------------------
    def check_inputs(self, x, engine: str = "fixed") -> dict[str, np.ndarray]:
        """The batch checked by the one input check every engine shares (NaN/Inf allowed
        only on the float engine)."""
        try:
            return check_inputs(x, self.input_names, self.input_shapes, finite=engine != "float")
        except InputError as err:
            raise NnccError(str(err)) from None

    @property
    def has_hls(self) -> bool:
        """True if the folder holds an HLS C++ project."""
        return (self.folder / "hls_cpp" / f"{self.top}.cpp").is_file()

    @property
    def has_verilog(self) -> bool:
        """True if the folder holds a Verilog project."""
        return (self.folder / "verilog" / f"{self.top}.v").is_file()

    @property
    def engines(self) -> tuple[str, ...]:
        """The engines this folder can run: float and fixed always, csim and rtl when their
        project was emitted."""
        return ("float", "fixed") + (("csim",) if self.has_hls else ()) + (("rtl",) if self.has_verilog else ())

    def csim(self):
        """The built C-simulation library (compiled on first use, cached)."""
        if self._csim is None:
            from nncc.runtime import csim

            if not self.has_hls:
                raise NnccError(f"{self.folder}: no HLS C++ project for C-simulation (it was compiled with "
                                f"--target {self.report.get('target', 'verilog')}; recompile with --target all or hls-cpp)")
            try:
                with progress.status("building the C-simulation library with g++"):
                    self._csim = csim.load(self.folder / "hls_cpp")
            except csim.CsimError as err:
                raise NnccError(str(err)) from None
        return self._csim

    # -- running ------------------------------------------------------------------
    def run(self, x, engine: str = "fixed") -> dict[str, np.ndarray]:
        """Outputs by name for a batch on ``engine`` (float, fixed, csim or rtl).

        "float" is the user's model as imported (before any weight technique such as
        power-of-two quantization); "fixed" the bit-exact fixed-point interpreter of the
        design; "csim" and "rtl" the generated C++ and Verilog, which equal "fixed" bit for bit."""
        if engine not in ENGINES:
            raise NnccError(f"unknown engine '{engine}' (available: {', '.join(ENGINES)})")
        inputs = self.check_inputs(x, engine)
        try:
            if engine == "float":
                from nncc.runtime.interpreter import run_float

                return run_float(self.float_model, inputs)
            if engine == "fixed":
                from nncc.runtime.fixed_interpreter import run_fixed

                with progress.status(f"fixed-point interpreter on {len(inputs[self.input_names[0]])} samples"):
                    return run_fixed(self.design, inputs)
            if engine == "csim":
                from nncc.runtime.csim import CsimError

                library = self.csim()
                batch = len(inputs[self.input_names[0]])
                step = max(256, -(-batch // 20))  # chunks, so that a long batch shows a bar
                parts = []
                try:
                    with progress.bar(f"C-simulation of {batch} samples", batch) as advance:
                        for start in range(0, batch, step):
                            parts.append(library.run([inputs[n][start:start + step] for n in self.input_names]))
                            advance(len(parts[-1][0]))
                except CsimError as err:
                    raise NnccError(f"C-simulation failed: {err}") from None
                outs = [np.concatenate(chunk) for chunk in zip(*parts)]
                return {n: y.reshape((len(y),) + s[1:]) for n, y, s in zip(self.output_names, outs, self.output_shapes)}
            return self.run_rtl(inputs)
        except InterpreterError as err:
            raise NnccError(str(err)) from None

    def run_rtl(self, x, *, simulator: str = "verilator", stall: int = 0) -> dict[str, np.ndarray]:
        """Simulate the Verilog (built once, cached); ``rtl_stats`` gets the measured
        latency and initiation interval in cycles."""
        from nncc.compiler.rtl import run_rtl

        if not self.has_verilog:
            raise NnccError(f"{self.folder}: no Verilog project (it was compiled with --target "
                            f"{self.report.get('target', 'hls-cpp')}; recompile with --target all or verilog)")
        inputs = self.check_inputs(x)
        y, self.rtl_stats = run_rtl(self.design, self.folder / "verilog", inputs[self.input_names[0]],
                                    simulator=simulator, stall=stall)
        return {self.output_names[0]: y.reshape((len(y),) + self.output_shapes[0][1:])}

    def predict(self, x, engine: str = "fixed"):
        """Like ``run``; a single-output model returns the array itself."""
        outputs = self.run(x, engine)
        return next(iter(outputs.values())) if len(outputs) == 1 else outputs

    def trace(self, x) -> dict[str, dict[str, np.ndarray]]:
        """Per-layer values: {layer name: {"float": ..., "fixed": ...}} (either may be absent)."""
        from nncc.compiler.analysis.report import fixed_trace, float_trace

        inputs = self.check_inputs(x)
        floats, _ = float_trace(self.model, inputs)
        named, _, _ = fixed_trace(self.design, inputs)
        layers: dict[str, dict[str, np.ndarray]] = {}
        for name, (op, raw) in named.items():
            layers.setdefault(name, {})["fixed"] = fm.to_float(raw, fixed.fixed_of(op.results[0]).frac)
        for name, value in floats.items():
            layers.setdefault(name, {})["float"] = value
        return layers

    def first_mismatch(self, x) -> Mismatch | None:
        """Compare C-simulation with the fixed interpreter layer by layer (design order)."""
        from nncc.compiler.analysis.report import fixed_trace

        inputs = self.check_inputs(x)
        traced = self.csim().trace([inputs[n] for n in self.input_names])
        _, every, _ = fixed_trace(self.design, inputs)
        for op in main_function(self.design).body.blocks[0].ops:
            name = op.attributes.get(NAME_ATTR)
            if not isinstance(name, StringAttr) or name.data not in traced or not op.results:
                continue
            want = fm.to_float(every[op.results[0]], fixed.fixed_of(op.results[0]).frac).reshape(len(traced[name.data]), -1)
            got = traced[name.data]
            bad = got != want
            if bad.any():
                return Mismatch(
                    layer_label(op),
                    op.name,
                    int(bad.sum()),
                    int(bad.size),
                    float(np.abs(got - want).max()),
                )
        return None

    @property
    def top(self) -> str:
        """Name of the HLS top function."""
        return emission_options(self.design).top_name


def compile(  # noqa: A001 - the public name users expect
    model: str | os.PathLike,
    output_dir: str | os.PathLike | None = None,
    *,
    calibration: str | os.PathLike | np.ndarray | dict | None = None,
    config: str | os.PathLike | None = None,
    pipeline: str | None = None,
    target: str = "all",
    input_shapes=None,
    **options,
) -> Design:
    """Compile an ONNX model into a design folder (a temporary one if not given).

    ``calibration``: a .npy / .npz file, an array (one input) or a dict of arrays by input
    name; None calibrates on N(0,1) samples (with a warning).

    Keyword options are those of `CompileOptions` (width, weight_width, rounding,
    overflow, margin_bits, mode, table_bits, segments, pot_slopes, order, reuse_factor,
    xnor_simd, target_ii, io, top, part, clock_ns, calibration_samples, pot_bits, pot_terms,
    pot_per_channel, pot_rounding, pot_compensation, pot_prune, shift_share, shift_all, the
    sparse_* and fmap_* options, ...: every field); they override the config file. ``io``
    defaults to `auto` (stream for a model with convolutions whose front can be streamed).
    """
    unknown = sorted(set(options) - set(CompileOptions.__dataclass_fields__) - {"layers", "op_types"})
    if unknown:
        raise NnccError(f"unknown compile options: {', '.join(unknown)}")
    opts, problems = read_config(config)
    opts = with_overrides(opts, **options)
    modules: dict = {}
    files, _ = compile_model(
        model, opts, calibration=calibration, pipeline=pipeline, target=target, input_shapes=input_shapes,
        config_problems=problems, modules=modules,
    )
    folder = Path(output_dir) if output_dir is not None else Path(tempfile.mkdtemp(prefix="nncc-")) / "design"
    write_folder(folder, files)
    return Design(folder, modules)


def load(folder: str | os.PathLike) -> Design:
    """Open a folder written by `nncc compile`."""
    return Design(folder)
