"""Emission speed: seconds and peak memory of `dataflow-plan` + emission per back end.

The model is mlp_1m (784 -> 1024 -> 256 -> 10, ReLU, 1,068,810 parameters; the builder of
bench/estimate_designs.py), compiled once with `nncc.compile(..., target="hls-cpp")` at the
given reuse factor (default 1). Then, per back end, a fresh Python process parses
design.mlir, runs `dataflow-plan` (again: planning is part of what is measured) and emits
the project; it reports the seconds of plan + emission and the process's peak resident memory
(the high-water mark, so it includes the parsed module) and how much plan + emission raised
it; also the CPU seconds (the machine may be shared). Prints one JSON object.

    .venv/bin/python bench/bench_emit.py [--reuse-factor R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYERS = (("fc1", 784, 1024), ("fc2", 1024, 256), ("fc3", 256, 10))
SEED = 20251206


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(design_mlir: str, backend: str) -> dict:
    """In this process: parse, plan (if unplanned), emit; the time and memory of the last two."""
    from nncc.compiler.api import parse_mlir
    from nncc.compiler.context import make_context
    from nncc.passes import get_all_passes

    module = parse_mlir(Path(design_mlir).read_text(), design_mlir)
    before = _peak_mb()
    start, cpu = time.perf_counter(), time.process_time()
    passes = get_all_passes()
    if "dataflow-plan" in passes:  # (re)plan: the plan is part of what is measured
        passes["dataflow-plan"]()().apply(make_context(), module)
    plan_seconds = time.perf_counter() - start
    if backend == "verilog":
        from nncc.backends.verilog.emitter import emit_project
    else:
        from nncc.backends.hls_cpp.emitter import emit_project
    files = emit_project(module)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "plan_seconds": round(plan_seconds, 3),
        "peak_rss_gb": round(_peak_mb() / 1024.0, 3), "rss_increase_gb": round((_peak_mb() - before) / 1024.0, 3),
        "bytes": sum(len(t) for t in files.values()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reuse-factor", type=int, default=1)
    ap.add_argument("--keep", help="compile into this folder (kept) instead of a temporary one")
    ap.add_argument("--child", nargs=2, metavar=("DESIGN_MLIR", "BACKEND"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child)))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    import nncc
    from estimate_designs import dense_model

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp) / "design"
        model = dense_model(Path(tmp) / "mlp_1m.onnx", LAYERS, SEED)
        start = time.perf_counter()
        nncc.compile(model, folder, reuse_factor=args.reuse_factor, target="hls-cpp")
        compiled = time.perf_counter() - start
        result = {"model": "mlp_1m", "reuse_factor": args.reuse_factor, "compile_seconds": round(compiled, 1)}
        for backend in ("verilog", "hls-cpp"):
            proc = subprocess.run([sys.executable, __file__, "--child", str(folder / "design.mlir"), backend],
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                result[backend] = {"error": proc.stderr.strip().splitlines()[-1]}
            else:
                result[backend] = json.loads(proc.stdout)
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
