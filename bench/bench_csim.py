"""C-simulation throughput and HLS C++ emission cost on mlp_1m (784->1024->256->10, ReLU,
1,068,810 parameters); prints one JSON object.

Measured, each in a fresh child process so peak RSS is the stage's own:
  compile   `nncc.compile(..., target="hls-cpp")`: wall time and the process's peak RSS;
  emit      `emit_project` on the compiled design.mlir (parsed first, not timed): wall
            time, the growth of peak RSS during emission, and the tracemalloc peak;
  csim      g++ build time (empty cache), samples/s of `predict(engine="csim")` (median of
            --repeats runs over --samples samples; also per second of this process's CPU
            time, which a loaded machine distorts less) and bit-exactness against the fixed-point
            interpreter on --check samples.

Usage: python bench/bench_csim.py [--samples 4000] [--repeats 5] [--check 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYERS = [("fc1", 784, 1024), ("fc2", 1024, 256), ("fc3", 256, 10)]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def stage_compile(work: Path) -> dict:
    """Build the ONNX model and compile it to an HLS C++ design folder."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from estimate_designs import dense_model

    import nncc

    model = dense_model(work / "mlp_1m.onnx", LAYERS, seed=20251206)
    start = time.perf_counter()
    nncc.compile(model, work / "design", target="hls-cpp")
    return {"compile_s": time.perf_counter() - start, "compile_peak_rss_mb": _peak_rss_mb()}


def stage_emit(work: Path) -> dict:
    """Time `emit_project` alone on the compiled (prepared) design."""
    import tracemalloc

    from nncc.backends.hls_cpp.emitter import emit_project
    from nncc.compiler.api import parse_mlir

    module = parse_mlir((work / "design" / "design.mlir").read_text())
    before = _peak_rss_mb()
    start = time.perf_counter()
    files = emit_project(module)
    seconds = time.perf_counter() - start
    grown = _peak_rss_mb() - before
    tracemalloc.start()
    emit_project(module)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "emit_s": seconds,
        "emit_peak_rss_growth_mb": grown,
        "emit_tracemalloc_peak_mb": traced / 2**20,
        "emit_process_peak_rss_mb": _peak_rss_mb(),
        "emitted_bytes": sum(len(text) for text in files.values()),
    }


def stage_csim(work: Path, samples: int, repeats: int, check: int) -> dict:
    """Build the C-simulation (fresh cache), then measure its throughput and bit-exactness."""
    import numpy as np

    import nncc

    os.environ["NNCC_CACHE_DIR"] = str(work / "cache")
    design = nncc.load(work / "design")
    x = np.random.default_rng(0).standard_normal((samples, 784)).astype(np.float32)
    start = time.perf_counter()
    design.predict(x[:1], engine="csim")
    build_s = time.perf_counter() - start
    design.predict(x[:16], engine="csim")  # warm-up
    runs, cpu = [], []
    y = None
    for _ in range(max(1, repeats)):
        start, start_cpu = time.perf_counter(), time.process_time()
        y = design.predict(x, engine="csim")
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    y = np.asarray(y, np.float64).reshape(samples, -1)
    k = min(check, samples)
    ref = np.asarray(design.predict(x[:k], engine="fixed"), np.float64).reshape(k, -1)
    return {
        "csim_build_s": build_s,
        "csim_samples": samples,
        "csim_runs_s": runs,
        "csim_samples_per_s": samples / statistics.median(runs),
        "csim_samples_per_cpu_s": samples / statistics.median(cpu),
        "csim_bit_exact_samples": k,
        "csim_bit_exact": bool(np.array_equal(ref, y[:k])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--check", type=int, default=200)
    parser.add_argument("--keep", help="work folder to use and keep (default: a temporary one)")
    parser.add_argument("--stage", choices=("compile", "emit", "csim"), help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        work = Path(args.work)
        result = {
            "compile": lambda: stage_compile(work),
            "emit": lambda: stage_emit(work),
            "csim": lambda: stage_csim(work, args.samples, args.repeats, args.check),
        }[args.stage]()
        print(json.dumps(result))
        return
    work_root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nncc-bench-csim-"))
    work_root.mkdir(parents=True, exist_ok=True)
    report: dict = {"model": "mlp_1m", "layers": LAYERS, "params": sum(i * o + o for _, i, o in LAYERS)}
    for stage in ("compile", "emit", "csim"):
        cmd = [sys.executable, __file__, "--stage", stage, "--work", str(work_root), "--samples", str(args.samples),
               "--repeats", str(args.repeats), "--check", str(args.check)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            report[f"{stage}_error"] = proc.stderr[-3000:]
            break
        report.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    report["work"] = str(work_root)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
