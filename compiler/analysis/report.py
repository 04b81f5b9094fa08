"""The compile report (report.json): per-layer fixed-point types, error against float on
the calibration data, saturation counts, and activation approximations."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from xdsl.dialects.builtin import FloatAttr, ModuleOp, StringAttr
from xdsl.ir import Operation
from xdsl.traits import ConstantLike

from nncc import __version__
from nncc.compiler.analysis.complexity import coded_weights, weight_type
from nncc.compiler.analysis.fidelity import compare, report_number
from nncc.dialects import dataflow, fixed, pot_quant
from nncc.dialects.encodings import is_sparse
from nncc.dialects.interfaces import ElementKernel, MacLayer, PopcountLayer, Requantizing, layer_label
from nncc.compiler.analysis.fmap_report import fmap_section
from nncc.compiler.analysis.stream_report import stream_section
from nncc.dialects.dataflow import SCHEDULE_ATTR
from nncc.dialects.emit import emission_options
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.fixed.quantization import LAYER_ATTR
from nncc.passes.fixed_lower_activations import ERROR_ATTR
from nncc.runtime.fixed_interpreter import run_fixed
from nncc.runtime.interpreter import run_float


def _abs_errors(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|fixed - float| where the float reference is finite (Log/Sqrt of negative numbers are
    NaN and Log(0) is infinite in float; fixed point defines them, see unary_functions)."""
    finite = np.isfinite(want)
    return np.abs(got - want)[finite]



def type_text(t) -> str:
    """`q<W,I>` for a fixed type."""
    return f"q<{t.width.data},{t.int_bits.data}>"


def _name(op: Operation) -> str | None:
    layer = op.attributes.get(LAYER_ATTR)
    return layer.data if isinstance(layer, StringAttr) else None


def _layer_types(entry: dict, layer: MacLayer) -> None:
    """The weight and accumulator types of a MAC layer (its arithmetic if shift-add, its
    encoding and fraction of zero weights if sparse)."""
    weights = weight_type(layer)
    if isinstance(weights, fixed.FixedType):
        entry["weight_type"] = type_text(weights)
    entry["accumulator_type"] = type_text(fixed.fixed_of(layer.accumulator_type()))
    coded = coded_weights(layer)
    if coded is not None and coded.multiplierless:
        entry["arithmetic"] = "shift-add" + (" (shared sub-expressions)" if coded.shared else "")
    if isinstance(layer, PopcountLayer):
        entry["arithmetic"] = "xnor-popcount"
    if is_sparse(layer.weight_encoding()):
        weights = np.asarray(layer.mac_terms().weights)
        entry["weight_encoding"] = str(layer.weight_encoding())
        entry["sparsity"] = round(float(np.mean(weights == 0)), 4) if weights.size else 0.0


class FloatTrace:
    """Float output of every named `nn` layer (the last op carrying each name) and the model
    outputs, recorded from one float run: pass ``observe`` to the run (e.g. `calibrate`'s),
    then ``finish`` with its inputs and outputs."""

    def __init__(self):
        self.values: dict[str, np.ndarray] = {}
        self.outputs: dict | None = None

    def observe(self, op: Operation, value: np.ndarray) -> None:
        """Interpreter hook: keep the value of a named, non-constant op."""
        desc = getattr(op.location, "desc", None)
        if isinstance(desc, StringAttr) and not op.has_trait(ConstantLike):
            self.values[desc.data] = value

    def finish(self, inputs: Mapping[str, np.ndarray], outputs: dict) -> FloatTrace:
        """Record the run's ``outputs``; graph inputs count as the layers of their name."""
        for name, x in inputs.items():
            self.values.setdefault(name, np.asarray(x, np.float64))
        self.outputs = outputs
        return self


def float_trace(module: ModuleOp, inputs: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict]:
    """Float output of every named `nn` layer (the last op carrying each name), and the
    model outputs."""
    trace = FloatTrace()
    trace.finish(inputs, run_float(module, inputs, observe=trace.observe))
    return trace.values, trace.outputs


def fixed_trace(design: ModuleOp, inputs: Mapping[str, np.ndarray]) -> tuple[dict[str, tuple[Operation, np.ndarray]], dict, dict]:
    """Raw values of every layer-output op of a fixed module, of every op, and the
    (dequantized) outputs."""
    named: dict[str, tuple[Operation, np.ndarray]] = {}
    every: dict = {}

    def observe(op, value):
        every[op.results[0]] = value
        if (name := _name(op)) is not None:
            named[name] = (op, value)

    outputs = run_fixed(design, inputs, observe=observe)
    return named, every, outputs


def saturation_count(op: Requantizing, every: dict, inputs: Mapping[str, np.ndarray]) -> int:
    """How many values a requantizing op (`Requantizing`: a cast, a quantizer) pushed past
    its result's range: from the traced raw input, or for a graph input from the float
    samples."""
    target = fixed.fixed_of(op.results[0])
    rounding, _ = op.conversion()
    x = op.operands[0]
    if isinstance(x.type.element_type, fixed.FixedType):
        source = every.get(x)
        if source is None:
            return 0
        shifted = fm.shift_round(source, fixed.fixed_of(x).frac - target.frac, rounding)
        return fm.count_overflows(shifted, target.width.data)
    block_args = list(op.parent_block().args)
    names = list(inputs)
    if x in block_args:
        samples = np.asarray(inputs[names[block_args.index(x)]], np.float64)
        scaled = np.floor(samples * 2.0**target.frac + (0.5 if rounding == "rnd" else 0.0))
        lo, hi = fm.limits(target.width.data)
        return int(np.count_nonzero((scaled < lo) | (scaled > hi)))
    return 0


def pot_quant_entries(float_module: ModuleOp) -> list[dict]:
    """The report's `pot_quant` section: one entry per coded weight tensor."""
    coded = []
    for op in float_module.walk():
        if not isinstance(op, pot_quant.WeightsOp):
            continue
        users = [u.operation for u in op.output.uses]
        entry = {"layer": layer_label(users[0]) if users else None, "bits": op.bits.value.data, "terms": op.terms,
                 "min_exponent": op.min_exponent.value.data, "zero_code": op.zero_code is not None,
                 "scales": "per channel" if op.scale_exponents.get_shape()[0] > 1 else "per tensor"}
        error = op.attributes.get(pot_quant.ERROR_ATTR)
        if error is not None:
            entry["error"] = {k: report_number(v.value.data) for k, v in error.data.items()}
        compensation = op.attributes.get(pot_quant.COMPENSATION_ATTR)
        if isinstance(compensation, StringAttr):
            entry["compensation"] = compensation.data
        sparsity = op.attributes.get(pot_quant.SPARSITY_ATTR)
        signs, _ = op.digits()
        entry["zero_weights"] = report_number(float(np.mean(~np.any(signs != 0, axis=-1))))
        if sparsity is not None:
            entry["pruned"] = True
        coded.append(entry)
    return coded


def build_report(
    float_module: ModuleOp,
    design: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    source: str,
    model_name: str,
    target: str,
    pipeline: str,
    reference: Mapping[str, np.ndarray] | None = None,
    floats: FloatTrace | None = None,
) -> dict:
    """The report dictionary written to report.json.

    Per layer, errors compare the fixed-point layer with the same layer of ``float_module``
    (the model the fixed-point design was converted from, after any weight technique);
    per output, errors compare the design with ``reference``, the user's original model
    (``float_module``'s outputs when not given). ``floats``: ``float_module``'s run on
    ``inputs`` if the caller has it already (else it is run here)."""
    if floats is not None and floats.outputs is not None:
        floats, float_out = floats.values, floats.outputs
    else:
        floats, float_out = float_trace(float_module, inputs)
    named, every, fixed_out = fixed_trace(design, inputs)
    layers = []
    for op in design.walk():
        name = _name(op)
        if name is None or named.get(name, (None,))[0] is not op:
            continue
        t = fixed.fixed_of(op.results[0])
        entry: dict = {"name": name, "op": op.name, "type": type_text(t)}
        _hardware(entry, op.operands[0].owner if op.operands else None, name)
        if isinstance(op, Requantizing):
            entry["rounding"], entry["overflow"] = op.conversion()
            entry["saturated"] = saturation_count(op, every, inputs) if entry["overflow"] == "sat" else 0
            if entry["overflow"] == "wrap":
                entry["wrapped"] = saturation_count(op, every, inputs)
        if isinstance(op, ElementKernel) and op.element_function().approximation:
            entry["approximation"] = op.attributes["fixed.approx"].data
            error = op.attributes.get(ERROR_ATTR)
            if isinstance(error, FloatAttr):
                entry["approximation_max_error"] = report_number(error.value.data)
        if name in floats:
            got = fm.to_float(named[name][1], t.frac)
            want = floats[name]
            if got.shape == want.shape:
                diff = _abs_errors(got, want)
                entry["max_abs_error"] = report_number(diff.max(initial=0.0))
                entry["mean_abs_error"] = report_number(diff.mean() if diff.size else 0.0)
        layers.append(entry)
    outputs = compare(fixed_out, float_out if reference is None else reference)
    coded = pot_quant_entries(float_module)
    schedule = design.attributes.get(SCHEDULE_ATTR)
    timing = {k: v.value.data for k, v in schedule.data.items()} if schedule is not None else {}
    return {
        "nncc_version": __version__,
        "schedule": {"latency_cycles": timing.get("latency"), "ii_cycles": timing.get("ii")},
        **_optional("throughput", throughput(design)),
        "model": model_name,
        "target": target,
        "pipeline": pipeline,
        "calibration": {"source": source, "samples": int(len(next(iter(inputs.values()))))},
        "layers": layers,
        "outputs": outputs,
        **_optional("pot_quant", coded), **_optional("stream", stream_section(design)),
        **_optional("fmap_compression", fmap_section(design, every)),
    }


def _hardware(entry: dict, producer, name: str) -> None:
    """A layer's PE facts (reuse factor, multipliers or XNOR / shift-add units, latency, the
    window engine) and weight types, from the PE that produced it (past the layer's own bias add
    and cast, as an XNOR layer has)."""
    while (isinstance(producer, ElementKernel) and not isinstance(producer, dataflow.PeOp)
           and layer_label(producer) == name):  # the layer's own bias add and cast (an XNOR layer's)
        producer = producer.operands[0].owner
    if isinstance(producer, dataflow.PeOp):
        entry["reuse_factor"] = producer.reuse_factor.value.data
        coded = coded_weights(producer.layer())
        if isinstance(producer.layer(), PopcountLayer):  # XNOR gates feeding popcounts
            entry["multipliers"] = 0
            entry["xnor_units"] = producer.multipliers.value.data
        elif coded is not None and coded.multiplierless:  # digit-controlled shift-add units
            entry["multipliers"] = 0
            entry["shift_add_units"] = producer.multipliers.value.data
        else:
            entry["multipliers"] = producer.multipliers.value.data
        entry["latency_cycles"] = producer.latency.value.data
        entry["ii_cycles"] = producer.latency.value.data
        if producer.window is not None:
            entry["engine"] = "sliding window (line buffer)"
        producer = producer.layer()
    if isinstance(producer, MacLayer):
        _layer_types(entry, producer)


def throughput(design: ModuleOp) -> dict | None:
    """At the design's target clock: ``clock_mhz``, ``samples_per_second`` (f / ii),
    ``latency_us`` (latency / f); with steps of data-dependent length (delta-form layers) the
    schedule's latency and ii are bounds, so these are the guaranteed worst case
    (``data_dependent``: true). None before `hls-prepare-for-emission` or `dataflow-tile`."""
    options, schedule = emission_options(design), design.attributes.get(SCHEDULE_ATTR)
    if options is None or schedule is None:
        return None
    ii, latency = schedule.data["ii"].value.data, schedule.data["latency"].value.data
    hertz = 1e9 / options.clock_ns.data
    out = {"clock_mhz": report_number(hertz / 1e6), "samples_per_second": report_number(hertz / ii),
           "latency_us": report_number(latency / hertz * 1e6)}
    if dataflow.data_dependent(design):
        out["data_dependent"] = True
    return out


def _optional(key: str, value) -> dict:
    """``{key: value}``, or nothing when there is no value."""
    return {key: value} if value else {}
