"""`nncc compile`: ONNX -> calibrated `nn` IR -> fixed point -> HLS C++ project.

Output folder (written atomically, byte-identical for identical input):

    model.mlir      the float `nn` IR with calibrated ranges and config annotations
    design.mlir     the final fixed-point IR the project was emitted from
    report.json     per-layer types, errors, saturation counts, approximations
    hls_cpp/        the Vitis HLS project: <top>.cpp/.h, tb.cpp, tb_data/, build.tcl,
                    nncc_ap_fixed.h, nncc_support.h

The lowering after calibration is the named pipeline `nn-to-emit` (`compiler/pipelines.py`);
`nncc-opt model.mlir -p "<pipeline>"` (the string `--print-pipeline` shows) rebuilds
design.mlir.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation
from xdsl.utils.exceptions import PassFailedException

from nncc.compiler.api import import_model, model_inputs, module_text, read_inputs, resolve_pipeline
from nncc.compiler.analysis.delta import delta_layers, delta_report
from nncc.compiler.analysis.calibrate import calibrate, check_finite_constants, record_input_moments
from nncc.compiler.config import APPROX_KEYS, PRECISION_KEYS, PRODUCT_REUSE_KEYS, RECURRENT_KEYS, CompileOptions
from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError, one_line
from nncc.compiler.analysis.fidelity import StageRecorder, reference_outputs
from nncc.compiler.pipelines import (build_dataflow_to_emit, build_fixed_to_dataflow, build_nn_compress, build_nn_pot_quant,
                                     build_nn_sparse, build_nn_to_emit, build_nn_to_fixed, pipeline_spec, run_passes)
from nncc.dialects.interfaces import FloatSemantics, MacLayer, RecurrentProducts, Windowed
from nncc.dialects import nn
from nncc.dialects.dataflow import PRODUCT_REUSE_ATTR, REUSE_ATTR, SIMD_ATTR
from nncc.dialects.emit import emission_options
from nncc.dialects.fixed.quantization import APPROX_ATTR, PRECISION_ATTR
from nncc.passes.pot_quant_quantize import OPTIONS_ATTR as POT_OPTIONS_ATTR
from nncc.runtime import progress
from nncc.runtime.inputs import InputError, check_inputs
from nncc.runtime.interpreter import InterpreterError, run_float

TARGETS = ("hls-cpp", "verilog", "all")
FLOAT_FILE = "float.mlir"
"""The imported model before any weight technique (written when a technique changed it):
what `Design.run(x, "float")` runs."""
TB_SAMPLES = 64


def layer_name(op: Operation) -> str | None:
    """The ONNX node name an op carries as its location, if any."""
    desc = getattr(op.location, "desc", None)
    return desc.data if isinstance(desc, StringAttr) else None


def _is_type(op: Operation, name: str) -> bool:
    """Whether the config's op type ``name`` (with or without the dialect) names ``op``."""
    return name in (op.name, op.name.split(".", 1)[1])


def annotate_config(module: ModuleOp, options: CompileOptions, earlier: list[str] = ()) -> None:
    """Put per-layer and per-op-type overrides on the float-level layer ops (`nn`,
    `recurrent`) as attributes. An op type is named with or without its dialect
    (``gemm``, ``nn.gemm``, ``recurrent.lstm``).

    ``earlier`` problems (from reading the config file) are reported together with the
    layer and op-type names that match nothing in the model."""
    layer_ops = [op for op in module.walk() if isinstance(op, FloatSemantics) and not isinstance(op, nn.ConstantOp)]
    layers = {layer_name(op) for op in module.walk() if layer_name(op)}
    unknown = sorted(set(options.layers) - layers)
    problems = list(earlier) + [f"config: layer '{name}' matches no layer of the model" for name in unknown]
    op_types = {op.name.split(".", 1)[1] for op in layer_ops}
    for name in sorted(options.op_types):
        if not any(_is_type(op, name) for op in layer_ops):
            problems.append(f"config: op type '{name}' matches no layer (the model has: {', '.join(sorted(op_types))})")
    overrides = {}
    for op in layer_ops:
        settings: dict = {}
        for key, table in options.op_types.items():
            if _is_type(op, key):
                settings.update(table)
        settings.update(options.layers.get(layer_name(op) or "", {}))
        products = sorted(set(settings) & set(PRODUCT_REUSE_KEYS))
        if products and not isinstance(op, RecurrentProducts):
            problems.append(f"config: {', '.join(products)} of layer '{layer_name(op)}' ({op.name}): only a recurrent "
                            "layer (LSTM, GRU) has input and recurrent products")
        cell = sorted(set(settings) & set(RECURRENT_KEYS))
        if cell and not isinstance(op, RecurrentProducts):
            problems.append(f"config: {', '.join(cell)} of layer '{layer_name(op)}' ({op.name}): only a recurrent "
                            "layer (LSTM, GRU) has a state and gates")
        if isinstance(op, RecurrentProducts) and options.integer_only:
            settings.setdefault("integer_only", True)
        if settings.get("integer_only"):
            settings.setdefault("mode", "pwl")  # integer piecewise-linear gates unless the layer says otherwise
        overrides[op] = settings
    if problems:
        raise NnccError(problems)
    for op, settings in overrides.items():
        products = {PRODUCT_REUSE_KEYS[k]: int(v) for k, v in settings.items() if k in PRODUCT_REUSE_KEYS}
        if products:
            op.attributes[PRODUCT_REUSE_ATTR] = DictionaryAttr({k: IntegerAttr(v, i64) for k, v in sorted(products.items())})
        precision = {k: v for k, v in settings.items() if k in PRECISION_KEYS}
        approx = {k: v for k, v in settings.items() if k in APPROX_KEYS}
        if "reuse_factor" in settings:
            op.attributes[REUSE_ATTR] = IntegerAttr(int(settings["reuse_factor"]), i64)
        if "simd" in settings:
            op.attributes[SIMD_ATTR] = IntegerAttr(int(settings["simd"]), i64)
        pot = {}
        if "pot_bits" in settings:
            pot["enabled"] = int(settings["pot_bits"] != 0)
            if settings["pot_bits"]:
                pot["bits"] = int(settings["pot_bits"])
        elif options.pot_bits == 0 and isinstance(op, MacLayer):
            pot["enabled"] = 0  # only the layers the config names are coded
        if "pot_terms" in settings:
            pot["terms"] = int(settings["pot_terms"])
        if pot:
            op.attributes[POT_OPTIONS_ATTR] = DictionaryAttr({k: IntegerAttr(v, i64) for k, v in sorted(pot.items())})
        for attr, entries in ((PRECISION_ATTR, precision), (APPROX_ATTR, approx)):
            if entries:
                op.attributes[attr] = DictionaryAttr(
                    {k: StringAttr(v) if isinstance(v, str) else IntegerAttr(int(v), i64) for k, v in sorted(entries.items())}
                )


def calibration_inputs(module: ModuleOp, path, samples: int) -> tuple[dict, str]:
    """Calibration batch from a file, or given as an array (one input) or a dict of arrays
    by input name (Python API), checked like every engine's input (shape, NaN/Inf); or
    N(0,1) samples with a warning."""
    from nncc.runtime.interpreter import main_function

    block = main_function(module).body.blocks[0]
    shapes = [tuple(arg.type.get_shape()) for arg in block.args]
    if path is not None:
        try:
            if isinstance(path, (np.ndarray, dict)):
                return check_inputs(path, model_inputs(module), shapes, what="calibration"), "arrays given to compile()"
            return check_inputs(read_inputs(path, module), model_inputs(module), shapes, what="--calibration"), Path(path).name
        except InputError as err:
            raise NnccError(str(err)) from None
    print(
        f"warning: no --calibration data; calibrating on {samples} N(0,1) samples (ranges may not match real inputs)",
        file=sys.stderr,
    )
    rng = np.random.default_rng(0)
    inputs = {
        name: rng.standard_normal((samples,) + shape[1:]).astype(np.float32)
        for name, shape in zip(model_inputs(module), shapes)
    }
    return inputs, f"N(0,1) x {samples}, seed 0"


def compile_model(
    model: str | os.PathLike,
    options: CompileOptions,
    *,
    calibration: str | os.PathLike | np.ndarray | dict | None = None,
    pipeline: str | None = None,
    target: str = "all",
    input_shapes: Mapping | None = None,
    config_problems: list[str] = (),
    modules: dict | None = None,
) -> tuple[dict[str, bytes], str]:
    """Compile ``model`` in memory: (file path -> contents of the output folder, pipeline).

    ``modules``, if given, receives the modules behind the folder's `.mlir` files (by file
    name), so a caller that goes on using them need not parse them back."""
    if target not in TARGETS:
        raise NnccError(f"unknown target '{target}' (available: {', '.join(TARGETS)})")
    from nncc.compiler.analysis.report import FloatTrace, build_report

    with progress.status("importing the model"):
        float_module = import_model(model, input_shapes=input_shapes)
    annotate_config(float_module, options, config_problems)
    check_finite_constants(float_module)
    from nncc.compiler.analysis.complexity import stage_metrics

    stages = {"float": stage_metrics(float_module, 32)}
    # the `nn`-level techniques run before calibration, with or without a `pipeline` (which
    # replaces the lowering after calibration)
    pot_passes = [*build_nn_sparse(options), *build_nn_pot_quant(options), *build_nn_compress(options)]
    inputs, source = calibration_inputs(float_module, calibration, options.calibration_samples)
    with progress.status("measuring the original model on the calibration data"):
        reference, reference_source = reference_outputs(model, float_module, inputs)
        fidelity = StageRecorder(reference, reference_source, inputs)
        if pot_passes:  # else the calibration run below is this measurement
            fidelity.record("float", run_float(float_module, inputs))
    original = float_module.clone() if pot_passes else None
    floats = FloatTrace()

    def after(name: str, module: ModuleOp) -> None:
        _snapshot(stages, name, module, options.width)
        fidelity.after_pass(name, module)

    try:
        if pot_passes:
            record_input_moments(float_module, inputs)  # for compensation and the output errors
            _run_each(pot_passes, float_module, after)
        with progress.status(f"calibrating ranges on {len(next(iter(inputs.values())))} samples"):
            calibrate(float_module, inputs, trace=floats)  # the report's float values: one run
        if not pot_passes:
            fidelity.record("float", floats.outputs)
    except InterpreterError as err:
        raise NnccError(f"--calibration: {err}") from None
    passes, design, io_note = lower(float_module.clone(), options, after, pipeline)
    files, notes = emit_targets(design, target, inputs)
    if (emit_options := emission_options(design)) is not None:
        notes["io"] = {"style": emit_options.io.data, **({"note": io_note} if io_note else {})}
    with progress.status("measuring the design on the calibration data"):
        report = build_report(float_module, design, inputs, source, Path(model).name, target, pipeline_spec(passes),
                              reference, floats)
    fidelity.stages.append({"stage": "hardware", "outputs": report["outputs"]})
    report["fidelity"] = fidelity.section()
    report["fidelity"]["min_agreement"] = options.min_agreement
    report["fidelity"]["warnings"] = fidelity.warnings(options.min_agreement)
    for line in report["fidelity"]["warnings"]:
        print(line, file=sys.stderr)
    report.update(notes)
    report["complexity"] = {"stages": [{"stage": name, **data} for name, data in stages.items()]}
    if delta_layers(design):
        with progress.status("counting the delta-form layers' changes on the calibration data"):
            report["delta"] = delta_report(design, next(iter(inputs.values())))
    files["model.mlir"] = module_text(float_module).encode()
    if original is not None:
        files[FLOAT_FILE] = module_text(original).encode()
    if modules is not None:
        modules.update({"model.mlir": float_module, "design.mlir": design, FLOAT_FILE: original or float_module})
    files["design.mlir"] = module_text(design).encode()
    files["report.json"] = (json.dumps(report, indent=2, sort_keys=True) + "\n").encode()
    return files, pipeline_spec(passes)


def has_convolutions(module: ModuleOp) -> bool:
    """Whether the model has a convolution (a windowed multiply-accumulate layer)."""
    return any(isinstance(op, Windowed) and isinstance(op, MacLayer) for op in module.walk())


def lower(design: ModuleOp, options: CompileOptions, after=None, pipeline: str | None = None
          ) -> tuple[list, ModuleOp, str | None]:
    """Run `nn-to-emit` (or the ``pipeline`` string) on the calibrated ``design``: (passes
    run, the lowered module, a note).

    With io `auto` (the default) a model with convolutions gets the stream style when
    `dataflow-stream` can stream its front (the note says why not, else), any other model
    (and one with `fmap_compress`, which needs whole maps) the parallel style."""
    if pipeline or options.io != "auto":
        passes = resolve_pipeline(pipeline) if pipeline else build_nn_to_emit(options)
        _run_each(passes, design, after)
        return passes, design, None
    front = [*build_nn_to_fixed(options), *build_fixed_to_dataflow(options)]
    _run_each(front, design, after)
    note = None
    if has_convolutions(design) and not options.fmap_compress:
        trial, stream = design.clone(), build_dataflow_to_emit(replace(options, io="stream"))
        try:
            _run_each(stream, trial, after)
            return front + stream, trial, None
        except NnccError as err:
            note = f"io auto: parallel, the model's front cannot be streamed ({one_line(str(err))})"
            print(f"note: {note}", file=sys.stderr)
    parallel = build_dataflow_to_emit(replace(options, io="parallel"))
    _run_each(parallel, design, after)
    return front + parallel, design, note


def emit_targets(design: ModuleOp, target: str, inputs: Mapping[str, np.ndarray]) -> tuple[dict[str, bytes], dict[str, str]]:
    """The back ends' files for ``target`` (with their testbench data from ``inputs``) and the
    report notes (a Verilog back end that cannot handle the model under ``--target all``)."""
    from nncc.backends.hls_cpp.emitter import EmissionError, emit_project

    files: dict[str, bytes] = {}
    notes: dict[str, str] = {}
    if target in ("hls-cpp", "all"):
        try:
            with progress.status("emitting HLS C++"):
                project = emit_project(design)
        except EmissionError as err:
            raise NnccError(f"cannot emit HLS C++: {err}") from None
        for name, text in project.items():
            files[f"hls_cpp/{name}"] = text.encode()
        files.update(testbench_data(design, inputs))
    if target in ("verilog", "all"):
        from nncc.backends.verilog.emitter import VerilogEmissionError
        from nncc.backends.verilog.emitter import emit_project as emit_verilog

        try:
            with progress.status("emitting Verilog"):
                for name, text in emit_verilog(design).items():
                    files[f"verilog/{name}"] = text.encode()
            files.update(verilog_testbench_data(design, inputs))
        except VerilogEmissionError as err:
            if target == "verilog":
                raise NnccError(f"cannot emit Verilog: {err}") from None
            print(f"warning: no Verilog for this model: {err}", file=sys.stderr)
            notes["verilog"] = f"not emitted: {err}"
    return files, notes


STAGE_AFTER = {
    "pot-quant-quantize": "pot_quantized",
    "pot-quant-prune": "pruned",
    "sparse-prune": "pruned",
    "sparse-knapsack": "pruned",
    "nn-compress-fmap": "compressed",
    "convert-nn-to-fixed": "fixed_point",
    "pot-quant-replace-mul-with-shift": "shift_add",
}
"""The complexity report's stages: the metrics are taken after these passes."""


def _snapshot(stages: dict, pass_name: str, module: ModuleOp, activation_bits: int) -> None:
    from nncc.compiler.analysis.complexity import stage_metrics

    if pass_name in STAGE_AFTER:
        stages[STAGE_AFTER[pass_name]] = stage_metrics(module, activation_bits)


def _run_each(passes: list, module: ModuleOp, after=None) -> None:
    """Run ``passes`` in place; pass failures become one-line user errors.
    ``after(pass name, module)`` is called after each pass."""
    try:
        for p in passes:
            with progress.status(f"running pass {p.name}"):
                run_passes([p], module, make_context())
            if after is not None:
                after(p.name, module)
    except PassFailedException as err:  # a pass that cannot handle this model says why
        message = str(err).strip().splitlines()
        raise NnccError(message[0] if message else type(err).__name__) from None


def verilog_testbench_data(design: ModuleOp, inputs: Mapping[str, np.ndarray]) -> dict[str, bytes]:
    """verilog/tb_data/stimuli.hex and expected.hex: the first calibration samples in the
    testbench's format and the bit-exact outputs, for running tb.v by hand."""
    from nncc.compiler.rtl import input_beats, quantize_inputs, raw_outputs
    from nncc.runtime.rtlsim import pack_beats, pack_hex

    name = next(iter(inputs))
    count = min(TB_SAMPLES, len(inputs[name]))
    raw_in, width_in = quantize_inputs(design, inputs[name][:count])
    raw_out, width_out = raw_outputs(design, {name: inputs[name][:count]})
    return {
        "verilog/tb_data/stimuli.hex": ("\n".join(pack_beats(raw_in, width_in, input_beats(design))) + "\n").encode(),
        "verilog/tb_data/expected.hex": ("\n".join(pack_hex(raw_out, width_out)) + "\n").encode(),
    }


def testbench_data(design: ModuleOp, inputs: Mapping[str, np.ndarray]) -> dict[str, bytes]:
    """tb_data/inputs.txt and expected.txt: the first calibration samples and the
    bit-exact fixed-point outputs for them."""
    from nncc.runtime.fixed_interpreter import run_fixed

    names = list(inputs)
    count = min(TB_SAMPLES, len(inputs[names[0]]))
    batch = {n: np.asarray(inputs[n][:count]) for n in names}
    outputs = run_fixed(design, batch)
    lines = [str(count)]
    for s in range(count):
        for n in names:
            lines.extend(map(repr, batch[n][s].reshape(-1).astype(np.float64).tolist()))
    expected = []
    for s in range(count):
        for y in outputs.values():
            expected.extend(map(repr, np.asarray(y[s], np.float64).reshape(-1).tolist()))
    return {
        "hls_cpp/tb_data/inputs.txt": ("\n".join(lines) + "\n").encode(),
        "hls_cpp/tb_data/expected.txt": ("\n".join(expected) + "\n").encode(),
    }


def write_folder(out_dir: str | os.PathLike, files: Mapping[str, bytes]) -> None:
    """Write ``files`` as the folder ``out_dir``, all or nothing.

    An existing folder is replaced only if it is empty or an earlier nncc output (it has
    a report.json); the new contents are written to a temporary sibling first.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "report.json").is_file())):
        raise NnccError(f"{out}: exists and is not an nncc output folder; refusing to overwrite it")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise NnccError(f"{out}: parent folder {parent} does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp's 0700 would otherwise stay on the result
    try:
        for name, data in sorted(files.items()):
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / "x")
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
