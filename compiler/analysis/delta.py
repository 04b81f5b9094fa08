"""The delta form's data-dependent numbers (DeltaLSTM / DeltaGRU, `recurrent-delta`): per
delta-form recurrent layer and per sequence, the cycles its engine takes, predicted from the
changes the fixed-point interpreter sees, with the temporal sparsity and the effective work.

A step of a delta-form layer takes 1 + max over its engines of (1 + K x changed columns)
cycles (`nncc.dialects.recurrent.delta`), a sequence the sum over its T steps. When that layer
is the slowest stage of the design, sequence i enters it when sequence i - 1 has left, so the
design accepts inputs ``cycles[i]`` apart and each output comes ``cycles[i]`` + (the rest of
the pipeline) after its input: `sample_times` gives those predictions for a measured
comparison.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from nncc.compiler.diagnostics import NnccError
from nncc.dialects import dataflow
from nncc.dialects.dataflow import SCHEDULE_ATTR
from nncc.dialects.fixed import raw_constant
from nncc.dialects.interfaces import Stateful, layer_label
from nncc.dialects.recurrent.delta import is_delta_step, step_cycles
from nncc.runtime.fixed_interpreter import run_fixed
from nncc.runtime.interpreter import io_names, main_function


def delta_layers(design: ModuleOp) -> list[Stateful]:
    """The delta-form recurrent layers of a tiled design, in order."""
    block = main_function(design).body.blocks[0]
    return [op for op in block.ops if isinstance(op, Stateful) and is_delta_step(op.step_region().block)]


def delta_profile(design: ModuleOp, x: np.ndarray) -> list[dict]:
    """Per delta-form layer, on the samples ``x`` (float, batch first): ``layer`` (its label,
    with " (reverse)" for a backward direction), ``cycles``
    (int64 per sample: the layer's engine cycles for that sequence), ``dense_cycles`` (the
    same engine fetching every column: the schedule's bound), ``temporal_sparsity`` (the
    fraction of Δ entries that were zero), ``effective_macs`` and ``dense_macs`` (per
    sequence, mean), ``speedup`` (dense_cycles / mean cycles)."""
    layers = delta_layers(design)
    if not layers:
        return []
    values: dict = {}
    wanted = {v for layer in layers for v in layer.operands}

    def observe(op, value):
        for result in op.results:
            if result in wanted:
                values[result] = value

    function = main_function(design)
    name = io_names(function)[0][0]
    run_fixed(design, {name: np.asarray(x)}, observe=observe)
    out = []
    for layer in layers:
        args = [values[v] if v in values else raw_constant(v) for v in layer.operands]
        cycles, tally = step_cycles(layer, np.asarray(args[0]), args[1:])
        timing = layer.attributes[SCHEDULE_ATTR].data
        bound = timing["latency"].value.data
        count = len(cycles)
        out.append(dict(
            layer=layer_label(layer) + (" (reverse)" if layer.reversed_time() else ""), cycles=cycles, dense_cycles=bound,
            temporal_sparsity=1.0 - tally["changed"] / max(tally["columns"], 1),
            effective_macs=tally["macs"] / count, dense_macs=tally["dense_macs"] / count,
            speedup=bound / float(np.mean(cycles)) if count else 1.0,
        ))
    return out


def sample_times(design: ModuleOp, x: np.ndarray) -> dict:
    """The predicted timing of a design whose one delta-form layer is its slowest stage:
    ``intervals`` (cycles between accepting sample i and sample i + 1: sample i's cycles in
    that layer), ``latencies`` (per sample, input to output: its cycles in the layer plus the
    fixed rest of the pipeline, the schedule's latency bound minus the layer's bound), and
    the layer's `delta_profile` entry as ``profile``."""
    profile = delta_profile(design, x)
    if len(profile) != 1:
        raise NnccError(f"sample_times needs exactly one delta-form recurrent layer, the design has {len(profile)}")
    layer = profile[0]
    bound = design.attributes[SCHEDULE_ATTR].data["latency"].value.data
    if not dataflow.data_dependent(design):
        raise NnccError("the design's schedule is not data-dependent")
    return dict(intervals=layer["cycles"][:-1], latencies=layer["cycles"] + (bound - layer["dense_cycles"]),
                profile=layer)


def delta_report(design: ModuleOp, x: np.ndarray) -> list[dict]:
    """`delta_profile` as JSON numbers (report.json's ``delta``): per layer the temporal
    sparsity, the effective and dense multiply-accumulates per sequence, the engine's cycles
    per sequence (mean, min, max, and the bound where every column changes) and the speed-up."""
    return [dict(layer=p["layer"], temporal_sparsity=round(p["temporal_sparsity"], 4),
                 effective_macs=round(p["effective_macs"], 1), dense_macs=round(p["dense_macs"], 1),
                 cycles_mean=round(float(np.mean(p["cycles"])), 2), cycles_min=int(np.min(p["cycles"])),
                 cycles_max=int(np.max(p["cycles"])), cycles_bound=int(p["dense_cycles"]),
                 speedup=round(p["speedup"], 3))
            for p in delta_profile(design, x)]
