"""I/O style `stream` on a CNN (default the small CNN, test/fixtures/cnn.onnx; also
test/fixtures/resnet8.onnx): prints one JSON object.

Compiles the model in stream mode (HLS C++ and Verilog), runs --samples inputs through the
C simulation and back to back through Verilator and reports: bit-exactness against the
fixed-point interpreter (samples equal, C-sim and RTL), the stream model's latency and II
against the measured ones, stall cycles, and every FIFO's depth, width, bits and memory;
with --shrink also, for every FIFO sized above one beat, the simulation with one beat less
(stall cycles or a timeout; --shrink-samples inputs, one Verilator build per FIFO).

Usage: python bench/bench_stream.py [--model test/fixtures/cnn.onnx] [--samples 1000]
       [--reuse-factor 1] [--shrink] [--shrink-samples 50] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def shrink_runs(design, x, work: Path) -> list[dict]:
    """One simulation per FIFO of depth > 1 with that FIFO one beat shallower."""
    from xdsl.dialects.builtin import IntegerAttr, i64

    from nncc.backends.verilog.emitter import emit_project
    from nncc.compiler.diagnostics import NnccError
    from nncc.compiler.rtl import run_rtl
    from nncc.dialects.dataflow_stream import FifoOp
    from nncc.dialects.emit import emitted_name

    runs = []
    for i, fifo in enumerate(op for op in design.design.walk() if isinstance(op, FifoOp)):
        depth = fifo.depth.value.data
        if depth == 1:
            continue
        fifo.depth = IntegerAttr(depth - 1, i64)
        project = work / f"shrink{i}"
        project.mkdir()
        for name, text in emit_project(design.design).items():
            (project / name).write_text(text)
        try:
            _, stats = run_rtl(design.design, project, x)
            runs.append({"fifo": emitted_name(fifo), "depth": depth - 1, "stalls": stats["stalls"], "ii": stats["ii"],
                         "latency": stats["latency"]})
        except NnccError as err:
            runs.append({"fifo": emitted_name(fifo), "depth": depth - 1, "result": str(err).splitlines()[0]})
        fifo.depth = IntegerAttr(depth, i64)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "test" / "fixtures" / "cnn.onnx"))
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--shrink-samples", type=int, default=50)
    parser.add_argument("--reuse-factor", type=int, default=1)
    parser.add_argument("--shrink", action="store_true")
    parser.add_argument("--keep")
    args = parser.parse_args()
    import nncc

    work = Path(args.keep or tempfile.mkdtemp(prefix="nncc_bench_stream_"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    design = nncc.compile(args.model, work / "design", io="stream", reuse_factor=args.reuse_factor)
    compile_s = time.perf_counter() - start
    x = np.random.default_rng(0).standard_normal((args.samples, *design.input_shapes[0][1:])).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    csim = design.predict(x, engine="csim")
    start = time.perf_counter()
    rtl = design.run_rtl(x)["output"]
    rtl_s = time.perf_counter() - start
    stats, schedule = design.rtl_stats, design.report["schedule"]
    result = {
        "model": Path(args.model).name, "io": "stream", "reuse_factor": args.reuse_factor, "compile_s": round(compile_s, 2),
        "rtl_build_and_run_s": round(rtl_s, 1), "samples": args.samples,
        "csim_samples_equal": int(np.all(fixed == csim, axis=1).sum()),
        "samples_equal": int(np.all(fixed == rtl, axis=1).sum()),
        "predicted": {"latency": schedule["latency_cycles"], "ii": schedule["ii_cycles"]},
        "measured": {"latency": stats["latency"], "ii": stats["ii"], "stalls": stats["stalls"], "cycles": stats["cycles"]},
        "fifos": [{k: f[k] for k in ("name", "depth", "width_bits", "bits", "memory")} for f in design.report["stream"]["fifos"]],
    }
    if args.shrink:
        result["one_beat_less"] = shrink_runs(design, x[:args.shrink_samples], work)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
