"""I/O style `stream` on the small CNN (test/fixtures/cnn.onnx): prints one JSON object.

Compiles the model in stream mode (Verilog), simulates --samples back-to-back inputs in
Verilator and reports: bit-exactness against the fixed-point interpreter (samples equal),
the stream model's latency and II against the measured ones, stall cycles, and every FIFO's
depth, width and bits; with --shrink also, for every FIFO sized above one beat, the
simulation with one beat less (stall cycles or a timeout).

Usage: python bench/bench_stream.py [--samples 1000] [--reuse-factor 1] [--shrink] [--keep DIR]
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
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--reuse-factor", type=int, default=1)
    parser.add_argument("--shrink", action="store_true")
    parser.add_argument("--keep")
    args = parser.parse_args()
    import nncc

    work = Path(args.keep or tempfile.mkdtemp(prefix="nncc_bench_stream_"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    design = nncc.compile(ROOT / "test" / "fixtures" / "cnn.onnx", work / "design", io="stream",
                          reuse_factor=args.reuse_factor, target="verilog")
    compile_s = time.perf_counter() - start
    x = np.random.default_rng(0).standard_normal((args.samples, 1, 16, 16)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    rtl = design.run_rtl(x)["output"]
    stats, schedule = design.rtl_stats, design.report["schedule"]
    result = {
        "model": "cnn.onnx", "io": "stream", "reuse_factor": args.reuse_factor, "compile_s": round(compile_s, 2),
        "samples": args.samples, "samples_equal": int(np.all(fixed == rtl, axis=1).sum()),
        "predicted": {"latency": schedule["latency_cycles"], "ii": schedule["ii_cycles"]},
        "measured": {"latency": stats["latency"], "ii": stats["ii"], "stalls": stats["stalls"], "cycles": stats["cycles"]},
        "fifos": [{k: f[k] for k in ("name", "depth", "width_bits", "bits")} for f in design.report["stream"]["fifos"]],
    }
    if args.shrink:
        result["one_beat_less"] = shrink_runs(design, x[:50], work)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
