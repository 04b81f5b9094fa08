#!/usr/bin/env python
"""Benchmark: the analytic resource estimate (`nncc report DIR`) against Yosys
(`nncc report DIR --synth`, `synth_xilinx -family xc7`, hierarchy kept) per layer and in total.

    nice -n 10 python bench/bench_estimate.py > estimate.json
    #   --designs mlp8_uniform8,mlp8_pot4,...   (default: every design of estimate_designs.py)
    #   --tolerance 0.2   --synth-timeout 900

Prints ONE JSON document on stdout (progress on stderr). The designs (bench/estimate_designs.py)
are small models made with onnx.helper: the 8-8-4 MLP of test_pot_synth.py with uniform 8-bit
weights, PoT (`--pot 4`), two digits (`--pot 4 --pot-terms 2`, also with shared patterns) and
PoT at RF 4; a 32-32-10 MLP with uniform 8-bit weights (many products shared between outputs);
the 16-16-8 MLP of test_synth_reuse.py (16-bit weights) at RF 1 and RF 4; a 2x6x6 conv 3x3 -> 4
channels + Relu (sliding-window engine) with multipliers at RF 1 and 2 and with PoT weights; the
8-8-4 MLP with a Sigmoid head as a 256- and a 1024-entry table (`--activation lut`), PWL and
Taylor polynomial.

Per design and layer: estimate, measured and estimate / measured of LUT / FF / DSP / BRAM,
whether DSP (and BRAM) are exact and LUT / FF within --tolerance (measured 0: estimate 0), the
estimate's wall time (from the parsed design.mlir), and the Yosys time (results are cached by
content under $NNCC_CACHE_DIR/synth, else ~/.cache/nncc/synth; `cached` says so).
``all_within`` is true when every design's totals are; ``layers_within`` also asks it of every
layer. The designs were also the fit data of the estimate's coefficients (bench/fit_estimate.py).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from estimate_designs import DESIGNS, build_model  # noqa: E402

import nncc  # noqa: E402
from nncc.compiler.diagnostics import NnccError  # noqa: E402
from nncc.compiler.analysis.estimate import estimate_module, module_layers  # noqa: E402
from nncc.compiler.analysis.synthesis import COMPARED, compare, group_by_layer  # noqa: E402
from nncc.runtime import synth  # noqa: E402


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def within(cells: dict, tolerance: float) -> bool:
    """DSP and BRAM exact; LUT and FF within +-tolerance (a measured 0 needs an estimated 0)."""
    for k in COMPARED:
        est, meas = cells[k]["estimate"], cells[k]["measured"]
        if k in ("DSP", "BRAM"):
            if est != meas:
                return False
        elif meas == 0:
            if est != 0:
                return False
        elif abs(est / meas - 1.0) > tolerance:
            return False
    return True


def run_design(name: str, work: Path, models: dict, args) -> dict:
    """Compile one design, estimate it (timed, from the reloaded folder) and synthesize it;
    per layer and in total: estimate, measured, ratio and whether it is within tolerance."""
    kind, options = DESIGNS[name]
    if kind not in models:
        models[kind] = build_model(kind, work)
    design = nncc.compile(models[kind], work / name, **{"io": "parallel", **options})
    start = time.perf_counter()
    reloaded = nncc.load(design.folder)  # as `nncc report` does: parse design.mlir, then estimate
    estimate = estimate_module(reloaded.design)
    estimate_s = time.perf_counter() - start
    files = [design.folder / "verilog" / f"{design.top}.v", design.folder / "verilog" / "nncc_lib.v"]
    result = synth.synthesize(files, design.top, timeout=args.synth_timeout)
    _, layers = group_by_layer(result, design.top, module_layers(reloaded.design))
    measured = {"layers": layers, "total": {k: result["total"].get(k, 0) for k in COMPARED}}
    table = compare(estimate, measured)
    entry = {
        "options": options, "model": kind, "estimate_s": round(estimate_s, 3),
        "yosys_s": result["seconds"], "cached": result["cached"],
        "layers": {layer: {**cells, "within": within(cells, args.tolerance)} for layer, cells in table["layers"].items()},
        "total": {**table["total"], "within": within(table["total"], args.tolerance)},
    }
    entry["layers_within"] = all(cells["within"] for cells in entry["layers"].values())
    total = entry["total"]
    log(f"{name}: estimate {estimate_s:.2f} s, Yosys {result['seconds']} s{' (cached)' if result['cached'] else ''}; "
        + ", ".join(f"{k} {total[k]['estimate']}/{total[k]['measured']}" for k in COMPARED)
        + f"; within {total['within']}")
    return entry


def main() -> None:
    """Run every design named in --designs and print the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--tolerance", type=float, default=0.2, help="LUT / FF relative tolerance (default 0.2)")
    parser.add_argument("--synth-timeout", type=float, default=900.0, help="seconds per Yosys run")
    args = parser.parse_args()
    names = args.designs.split(",")
    unknown = [n for n in names if n not in DESIGNS]
    if unknown:
        parser.error(f"unknown designs {unknown} (known: {', '.join(DESIGNS)})")
    started = time.perf_counter()
    designs = {}
    with tempfile.TemporaryDirectory(prefix="nncc-estimate-") as work:
        models: dict = {}
        for name in names:
            try:
                designs[name] = run_design(name, Path(work), models, args)
            except (synth.SynthError, NnccError) as err:
                designs[name] = {"error": str(err)}
                log(f"{name}: {err}")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False)
    print(json.dumps({
        "tolerance": {"LUT": args.tolerance, "FF": args.tolerance, "DSP": "exact", "BRAM": "exact"},
        "all_within": all(d.get("total", {}).get("within", False) for d in designs.values()),
        "layers_within": all(d.get("layers_within", False) for d in designs.values()),
        "designs": designs,
        "machine": {"python": platform.python_version(), "yosys": synth.yosys_version(),
                    "git_head": head.stdout.strip() or None, "script_s": round(time.perf_counter() - started, 1)},
    }, indent=1))


if __name__ == "__main__":
    main()
