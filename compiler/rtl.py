"""Glue between a compiled fixed-point design and its RTL simulation: quantize a batch
to the raw input words the Verilog expects, run the simulator, dequantize the outputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from nncc.compiler.diagnostics import NnccError
from nncc.dialects import fixed
from nncc.dialects.fixed import semantics as fm
from nncc.runtime import progress
from nncc.runtime.fixed_interpreter import evaluate_fixed
from nncc.runtime.interpreter import execute, main_function


def _io(design: ModuleOp) -> tuple[fixed.QuantizeOp, fixed.FixedType]:
    block = main_function(design).body.blocks[0]
    quant = [op for op in block.ops if isinstance(op, fixed.QuantizeOp)]
    ret = block.last_op
    if len(quant) != 1 or not isinstance(ret, func.ReturnOp) or len(ret.operands) != 1:
        raise NnccError("RTL simulation needs exactly one graph input and one output")
    out = ret.operands[0].owner
    value = out.input if isinstance(out, fixed.DequantizeOp) else ret.operands[0]
    return quant[0], fixed.fixed_of(value)


def quantize_inputs(design: ModuleOp, x: np.ndarray) -> tuple[np.ndarray, int]:
    """Raw input elements per sample (as `fixed.quantize` computes them) and their width."""
    quant, _ = _io(design)
    t = fixed.fixed_of(quant.output)
    raw = fm.quantize(np.asarray(x, np.float64).reshape(len(x), -1), t.width.data, t.frac,
                      quant.rounding.data.value, quant.overflow.data.value)
    return raw, t.width.data


def raw_outputs(design: ModuleOp, inputs) -> tuple[np.ndarray, int]:
    """The fixed interpreter's raw output elements per sample and their width."""
    _, t = _io(design)
    outputs = execute(design, inputs, evaluate_fixed)
    value = np.asarray(next(iter(outputs.values())), np.float64)
    raw = np.rint(value.reshape(len(value), -1) * 2.0**t.frac).astype(np.int64)
    return raw, t.width.data


def input_beats(design: ModuleOp) -> int:
    """Beats per sample at the Verilog top's input: a stream design takes one pixel per
    beat, any other design the whole input in one."""
    from nncc.dialects.dataflow_stream import STREAM_SCHEDULE_ATTR

    if STREAM_SCHEDULE_ATTR not in design.attributes:
        return 1
    quant, _ = _io(design)
    return int(np.prod(quant.output.type.get_shape()[2:], dtype=np.int64))


def run_rtl(design: ModuleOp, project: str | os.PathLike, x: np.ndarray, *, simulator: str = "verilator", stall: int = 0):
    """Simulate the Verilog in ``project`` on a batch: (dequantized outputs, stats)."""
    from nncc.dialects.emit import emission_options
    from nncc.runtime import rtlsim

    _, t_out = _io(design)
    raw_in, width_in = quantize_inputs(design, x)
    top = emission_options(design).top_name
    out_elements = int(np.prod(main_function(design).function_type.outputs.data[0].get_shape()))
    try:
        with progress.status(f"building the RTL simulation with {simulator}"):
            exe = rtlsim.build(Path(project), top, simulator=simulator)
        with progress.status(f"simulating {len(raw_in)} samples in RTL"):
            # no wall-clock limit: the testbench's own cycle limit ends a deadlocked design, and a
            # big batch of a big design may take many minutes
            raw, stats = rtlsim.run(exe, raw_in, width_in, out_elements, t_out.width.data, stall=stall,
                                    beats=input_beats(design), timeout=None)
    except rtlsim.RtlSimError as err:
        raise NnccError(f"RTL simulation failed: {err}") from None
    return fm.to_float(raw, t_out.frac), stats
