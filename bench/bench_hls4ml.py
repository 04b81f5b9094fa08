#!/usr/bin/env python
"""Benchmark: nncc vs hls4ml 1.3.0, side by side, from the same ONNX files.

Usage::

    python bench/bench_hls4ml.py [--hls4ml-python .hls4ml-venv/bin/python] [--models jet_mlp,cnn_small]

Prints ONE JSON document on stdout; progress goes to stderr. The models are built with
PyTorch (He-uniform weights, fixed seeds) and exported once with
``torch.onnx.export(..., dynamo=False, opset_version=13)`` into a temporary directory; both
tools read the same file.

Models:
  jet_mlp    16->64->32->32->5 + Softmax                              4,389 params
  cnn_small  1x16x16: conv3x3(8)+relu+maxpool2+conv3x3(16)+relu+flatten+dense10 (valid pads)
  mlp_784    784->512->512->10, ReLU                                   669,706 params
  mlp_1m     784->1024->256->10, ReLU                                1,068,810 params

For each model and tool, in a FRESH child process each (run one after the other, never
concurrently, so g++ has both cores):
  1. time from the ONNX file to a runnable bit-accurate C-simulation
     - nncc:   nncc.compile(model, dir) (16-bit, N(0,1) calibration) + the first
               predict(engine="csim") on one sample, which builds the library with g++
               (NNCC_CACHE_DIR is a fresh empty folder, so nothing is reused);
     - hls4ml: qonnx cleanup (+ channels-last, Gemm->MatMul) + config + convert + write +
               g++ compile (Vitis backend, io_parallel, fixed<16,6>, Latency);
     module imports are reported apart and excluded from the headline time (a ratio that
     includes them is given too); for both tools they include the ONNX libraries the tool
     uses (hls4ml's worker imports onnx, qonnx and hls4ml; nncc's imports nncc, its ONNX
     front end, which loads onnx, and onnxruntime, its float oracle);
  2. C-sim throughput (samples/s) on a batch of N(0,1) inputs (default 1000), steady state:
     after a warm-up call, median of --repeats timed calls;
  3. argmax agreement of the C-sim outputs with onnxruntime float32 on that batch;
  4. mean/max |error| against onnxruntime.
nncc's compile time is broken down by phase (module imports, ONNX import, calibration,
each pass, emission, report, testbench data, writing, g++ build, library load) by
wrapping its module-level functions (no compiler source is changed). For jet_mlp hls4ml
also runs with the "legacy" softmax (its default softmax is known to give constant outputs).

Targets: time to C-sim <= 1/5 of hls4ml's on every model; throughput >= 10x hls4ml's on
mlp_784 and mlp_1m, >= 2x on jet_mlp and cnn_small, and >= 5,000 samples/s on mlp_1m. Judged against
hls4ml's default configuration.

hls4ml runs with the python of a separate venv (``--hls4ml-python``; it needs onnx==1.22,
see bench/README.md) through bench/hls4ml_worker.py. Without that venv the hls4ml parts are
reported as {"skipped": reason}.
"""

from __future__ import annotations

import time

_T_SCRIPT = time.perf_counter()

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER_HLS4ML = os.path.join(HERE, "hls4ml_worker.py")
DEFAULT_HLS4ML_PYTHON = os.path.join(os.path.dirname(HERE), ".hls4ml-venv", "bin", "python")  # in the checkout
from hls4ml_models import MODELS, OPSET, build_models  # noqa: E402 (a sibling module of this script)

THROUGHPUT_TARGET = {"jet_mlp": 2.0, "cnn_small": 2.0, "mlp_784": 10.0, "mlp_1m": 10.0}
TIME_TARGET = 0.2
ABSOLUTE_THROUGHPUT_TARGET = {"mlp_1m": 5000.0}
"""C-sim samples/s nncc must reach on its own (besides the ratio to hls4ml)."""


def log(msg: str) -> None:
    print(f"[bench_hls4ml {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# =======================================================================================
# nncc worker (fresh child process of this script, --worker-nncc)


def _instrument_nncc(phases: dict) -> None:
    """Wrap nncc's compile and C-sim phases so that their times add up in ``phases``."""
    from nncc.backends.hls_cpp import emitter
    from nncc.compiler import design as design_mod
    from nncc.compiler import flow
    from nncc.compiler.analysis import report as report_mod
    from nncc.runtime import csim

    def timed(name, fn):
        def wrapper(*a, **k):
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - s

        return wrapper

    def timed_passes(passes, module, ctx):
        for p in passes:
            s = time.perf_counter()
            p.apply(ctx, module)
            module.verify()
            key = f"pass:{p.name}"
            phases[key] = phases.get(key, 0.0) + time.perf_counter() - s

    flow.import_model = timed("onnx_import", flow.import_model)
    flow.annotate_config = timed("annotate_config", flow.annotate_config)
    flow.calibration_inputs = timed("calibration_inputs", flow.calibration_inputs)
    flow.calibrate = timed("calibration_float_run", flow.calibrate)
    flow.run_passes = timed_passes
    flow.module_text = timed("print_ir", flow.module_text)
    flow.testbench_data = timed("testbench_data_fixed_run", flow.testbench_data)
    emitter.emit_project = timed("emit_hls_cpp", emitter.emit_project)
    report_mod.build_report = timed("report_float_and_fixed_runs", report_mod.build_report)
    design_mod.write_folder = timed("write_folder", design_mod.write_folder)
    design_mod.Design.__init__ = timed("load_design_parse_mlir", design_mod.Design.__init__)
    csim.build = timed("gxx_build", csim.build)
    csim.CsimDesign.__init__ = timed("dlopen", csim.CsimDesign.__init__)


def _predict_and_check(d, x, args, report: dict) -> None:
    """Time C-sim prediction on ``x`` (saved to --outputs) and compare it with the fixed interpreter."""
    import numpy as np

    report["stage"] = "csim_predict"
    d.predict(x[:8], engine="csim")  # warm-up
    runs = []
    y = None
    for _ in range(max(1, args.repeats)):
        s = time.perf_counter()
        y = d.predict(x, engine="csim")
        runs.append(time.perf_counter() - s)
    y = np.asarray(y, np.float64).reshape(len(x), -1)
    np.save(args.outputs, y)
    report["predict_s"] = runs
    report["predict_median_s"] = statistics.median(runs)
    report["samples"] = int(len(x))
    report["throughput_samples_per_s"] = len(x) / report["predict_median_s"]

    if args.check_fixed > 0:
        report["stage"] = "fixed_check"
        k = min(args.check_fixed, len(x))
        s = time.perf_counter()
        yf = np.asarray(d.predict(x[:k], engine="fixed"), np.float64).reshape(k, -1)
        report["fixed_interpreter_s"] = time.perf_counter() - s
        report["csim_vs_fixed_interpreter"] = {
            "samples": int(k),
            "bit_exact": bool(np.array_equal(yf, y[:k])),
            "max_abs_diff": float(np.abs(yf - y[:k]).max()),
        }


def nncc_worker(args) -> None:
    """Compile with nncc, build the C-sim, time everything; report JSON to --report."""
    t0 = time.perf_counter()
    report: dict = {"ok": False, "stage": "import", "times_s": {}, "phases_s": {}}
    times, phases = report["times_s"], report["phases_s"]
    try:
        import numpy as np
        import nncc
        import nncc.compiler.onnx.importer  # noqa: F401 - loads onnx, as hls4ml's worker does
        import onnxruntime  # noqa: F401 - nncc's float oracle for the report

        times["import_modules"] = time.perf_counter() - t0
        report["nncc_version"] = nncc.__version__
        _instrument_nncc(phases)

        x = np.load(args.inputs)
        out_dir = os.path.join(args.work, "nncc_design")

        report["stage"] = "compile"
        s = time.perf_counter()
        d = nncc.compile(args.model, out_dir, io="parallel")  # next to hls4ml's io_parallel
        times["compile"] = time.perf_counter() - s

        report["stage"] = "csim_build"
        s = time.perf_counter()
        d.predict(x[:1], engine="csim")  # first use: g++ build into the empty cache + dlopen
        times["first_csim_predict"] = time.perf_counter() - s
        times["time_to_csim"] = times["compile"] + times["first_csim_predict"]
        times["time_to_csim_incl_imports"] = times["time_to_csim"] + times["import_modules"]
        compile_known = sum(v for k, v in phases.items() if k not in ("gxx_build", "dlopen"))
        phases["compile_other"] = times["compile"] - compile_known
        phases["first_predict_other"] = times["first_csim_predict"] - phases.get("gxx_build", 0.0) - phases.get("dlopen", 0.0)
        report["cache_dir_fresh"] = os.environ.get("NNCC_CACHE_DIR")

        _predict_and_check(d, x, args, report)
        outs = d.report.get("outputs", {})
        report["compile_report_outputs"] = outs
        report["ok"] = True
        report["stage"] = "done"
    except BaseException as err:  # noqa: BLE001 - reported to the parent
        import traceback

        report["error"] = f"{type(err).__name__}: {err}".strip()[:2000]
        report["traceback"] = traceback.format_exc()[-4000:]
    report["worker_wall_s"] = time.perf_counter() - t0
    with open(args.report + ".tmp", "w") as f:
        json.dump(report, f)
    os.replace(args.report + ".tmp", args.report)
    sys.exit(0 if report["ok"] else 2)


# =======================================================================================
# parent: models, reference, children




def run_child(cmd, report_path: str, log_path: str, timeout: float, env=None) -> dict:
    s = time.perf_counter()
    with open(log_path, "w") as err:
        try:
            proc = subprocess.run(cmd, stdout=err, stderr=subprocess.STDOUT, timeout=timeout, env=env)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
    wall = time.perf_counter() - s
    if os.path.exists(report_path):
        with open(report_path) as f:
            rep = json.load(f)
    else:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-3000:]
        rep = {"ok": False, "error": "timed out" if code is None else f"child exited with {code} and no report",
               "log_tail": tail}
    if not rep.get("ok"):
        with open(log_path, errors="replace") as f:
            rep.setdefault("log_tail", f.read()[-3000:])
    rep["child_wall_s"] = wall
    rep["exit_code"] = code
    return rep


def accuracy(y, ref) -> dict:
    import numpy as np

    diff = np.abs(y - ref)
    return {
        "argmax_agreement_vs_onnxruntime": float(np.mean(np.argmax(y, 1) == np.argmax(ref, 1))),
        "mean_abs_error": float(diff.mean()),
        "max_abs_error": float(diff.max()),
    }


def summarize_nncc(rep: dict, y, ref) -> dict:
    if not rep.get("ok"):
        return {"ok": False, "stage": rep.get("stage"), "error": rep.get("error"), "log_tail": rep.get("log_tail", "")[-1500:]}
    t, ph = rep["times_s"], rep["phases_s"]
    out = {
        "ok": True,
        "time_to_csim_s": t["time_to_csim"],
        "time_to_csim_incl_imports_s": t["time_to_csim_incl_imports"],
        "throughput_samples_per_s": rep["throughput_samples_per_s"],
        **accuracy(y, ref),
        "predict_1000_median_s": rep["predict_median_s"],
        "predict_runs_s": rep["predict_s"],
        "times_s": t,
        "profile_s": dict(sorted(ph.items(), key=lambda kv: -kv[1])),
        "child_wall_s": rep["child_wall_s"],
    }
    if "csim_vs_fixed_interpreter" in rep:
        out["csim_vs_fixed_interpreter"] = rep["csim_vs_fixed_interpreter"]
    return out


def summarize_hls4ml(rep: dict, y, ref) -> dict:
    if not rep.get("ok"):
        return {"ok": False, "stage": rep.get("stage"), "error": rep.get("error"),
                "times_s": rep.get("times_s"), "log_tail": rep.get("log_tail", "")[-1500:]}
    t = rep["times_s"]
    return {
        "ok": True,
        "time_to_csim_s": t["time_to_csim"],
        "time_to_csim_incl_imports_s": t["time_to_csim_incl_imports"],
        "throughput_samples_per_s": rep["throughput_samples_per_s"],
        **accuracy(y, ref),
        "predict_1000_median_s": rep["predict_median_s"],
        "predict_runs_s": rep["predict_s"],
        "times_s": t,
        "settings": rep["settings"],
        "qonnx_transforms": rep.get("qonnx_transforms"),
        "child_wall_s": rep["child_wall_s"],
    }


def ratios(n: dict, h: dict) -> dict | None:
    if not (n.get("ok") and h.get("ok")):
        return None
    return {
        "time_to_csim_nncc_over_hls4ml": n["time_to_csim_s"] / h["time_to_csim_s"],
        "time_to_csim_incl_imports_nncc_over_hls4ml": n["time_to_csim_incl_imports_s"] / h["time_to_csim_incl_imports_s"],
        "throughput_nncc_over_hls4ml": n["throughput_samples_per_s"] / h["throughput_samples_per_s"],
    }


def probe_hls4ml(python: str | None) -> tuple[str | None, dict | None]:
    """(skip reason or None, versions)."""
    if not python:
        return "no --hls4ml-python given", None
    if not os.path.exists(python):
        return f"{python} does not exist (create the venv: see bench/README.md)", None
    code = ("import json, importlib.metadata as m; import hls4ml, qonnx, onnx; "
            "print(json.dumps({k: m.version(k) for k in ('hls4ml', 'qonnx', 'onnx', 'onnxruntime', 'numpy')}))")
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{python}: {err}", None
    if proc.returncode != 0:
        return f"{python} cannot import hls4ml/qonnx: {proc.stderr.strip().splitlines()[-1:]}", None
    return None, json.loads(proc.stdout.strip().splitlines()[-1])


def machine_info(hls4ml_versions) -> dict:
    import numpy as np
    import onnx
    import onnxruntime
    import torch

    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = round(int(f.readline().split()[1]) / 2**20, 1)
    except (OSError, ValueError, IndexError):
        pass
    gxx = subprocess.run([os.environ.get("CXX", "g++"), "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    import importlib.util

    spec = importlib.util.find_spec("nncc")  # located, not imported: the children import it
    where = os.path.dirname(spec.origin) if spec and spec.origin else None
    commit = dirty = None
    if where:
        try:
            git = ["git", "-C", where]
            top = subprocess.run(git + ["rev-parse", "--show-toplevel"], capture_output=True, text=True)
            if top.returncode == 0 and os.path.realpath(top.stdout.strip()) == os.path.realpath(where):
                commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
                dirty = bool(subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                                            capture_output=True, text=True).stdout.strip())
        except OSError:
            pass
    try:
        from importlib.metadata import version

        nncc_v = version("nncc")
    except Exception:
        nncc_v = None
    return {
        "cpus": os.cpu_count(), "cpu_model": cpu, "mem_gib": mem, "platform": platform.platform(),
        "python": platform.python_version(), "gxx": gxx[0] if gxx else None,
        "nncc": nncc_v, "nncc_location": where, "nncc_git_commit": commit, "nncc_tracked_files_modified": dirty,
        "numpy": np.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
        "hls4ml_venv": hls4ml_versions,
        "loadavg_at_start": _loadavg(),
    }


def _loadavg() -> list[float] | None:
    """1/5/15-minute load averages: g++ timings mean little on a busy shared machine."""
    try:
        return [float(v) for v in os.getloadavg()]
    except OSError:
        return None


def _arguments() -> argparse.ArgumentParser:
    """The command line (the worker mode's options are hidden)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hls4ml-python", default=DEFAULT_HLS4ML_PYTHON if os.path.exists(DEFAULT_HLS4ML_PYTHON) else None,
                    help=f"python of the hls4ml venv (default {DEFAULT_HLS4ML_PYTHON} if it exists); '' skips hls4ml")
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3, help="timed predict calls per tool (median taken)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check-fixed", type=int, default=64,
                    help="also compare nncc C-sim with its bit-exact fixed interpreter on this many samples (0: off)")
    ap.add_argument("--no-legacy-softmax", action="store_true", help="skip the extra hls4ml legacy-softmax run on jet_mlp")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per child process, seconds")
    ap.add_argument("--keep", default=None, help="keep models, projects and logs in this folder")
    # worker mode
    ap.add_argument("--worker-nncc", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    ap.add_argument("--outputs", help=argparse.SUPPRESS)
    ap.add_argument("--report", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    return ap


def _bench_nncc(name: str, info: dict, work: str, args) -> dict:
    """nncc on one model in a fresh process with an empty C-sim cache: its summary."""
    import numpy as np

    log(f"{name}: nncc (fresh process, empty C-sim cache)")
    cache = tempfile.mkdtemp(prefix="nncc-cache.", dir=work)
    env = dict(os.environ, NNCC_CACHE_DIR=cache)
    rep_path, y_path = os.path.join(work, "nncc_report.json"), os.path.join(work, "nncc_y.npy")
    rep = run_child([sys.executable, os.path.abspath(__file__), "--worker-nncc", "--model", info["path"],
                     "--inputs", info["inputs"], "--outputs", y_path, "--report", rep_path, "--work", work,
                     "--repeats", str(args.repeats), "--check-fixed", str(args.check_fixed)],
                    rep_path, os.path.join(work, "nncc.log"), args.timeout, env=env)
    y = np.load(y_path) if rep.get("ok") else None
    n = summarize_nncc(rep, y, info["ref"])
    if n["ok"]:
        log(f"{name}: nncc time_to_csim {n['time_to_csim_s']:.2f} s, {n['throughput_samples_per_s']:.0f} samples/s, "
            f"argmax agreement {n['argmax_agreement_vs_onnxruntime']:.3f}")
    else:
        log(f"{name}: nncc FAILED at {n['stage']}: {n['error']}")
    return n


def _bench_hls4ml(name: str, info: dict, work: str, args, skip, entry: dict) -> None:
    """hls4ml (and on jet_mlp its legacy softmax) on one model, each in a fresh process, into ``entry``."""
    import numpy as np

    ref = info["ref"]
    variants = [("hls4ml", None)]
    if name == "jet_mlp" and not args.no_legacy_softmax:
        variants.append(("hls4ml_legacy_softmax", "legacy"))
    for key, softmax in variants:
        if skip:
            entry[key] = {"skipped": skip}
            continue
        log(f"{name}: {key} (fresh process)")
        rep_path, y_path = os.path.join(work, f"{key}_report.json"), os.path.join(work, f"{key}_y.npy")
        cmd = [args.hls4ml_python, WORKER_HLS4ML, "--model", info["path"], "--inputs", info["inputs"],
               "--outputs", y_path, "--report", rep_path, "--project-dir", os.path.join(work, f"{key}_prj"),
               "--repeats", str(args.repeats)]
        if softmax:
            cmd += ["--softmax", softmax]
        rep = run_child(cmd, rep_path, os.path.join(work, f"{key}.log"), args.timeout)
        y = np.load(y_path) if rep.get("ok") else None
        entry[key] = summarize_hls4ml(rep, y, ref)
        h = entry[key]
        if h["ok"]:
            log(f"{name}: {key} time_to_csim {h['time_to_csim_s']:.2f} s, {h['throughput_samples_per_s']:.0f} samples/s, "
                f"argmax agreement {h['argmax_agreement_vs_onnxruntime']:.3f}")
        else:
            log(f"{name}: {key} FAILED at {h['stage']}: {h['error']}")


def _judge_absolute(name: str, got, targets: dict) -> None:
    """The absolute C-sim throughput target of ``name`` (if any), into ``targets``."""
    floor = ABSOLUTE_THROUGHPUT_TARGET.get(name)
    if floor is not None:
        targets["throughput_samples_per_s_at_least"] = floor
        targets["absolute_throughput_met"] = got is not None and got >= floor
        targets["met"] = targets["met"] and targets["absolute_throughput_met"]


def _judge(name: str, entry: dict, skip) -> None:
    """The ratios nncc / hls4ml of one model and whether they meet the targets, into ``entry``."""
    h = entry["hls4ml"]
    r = ratios(entry["nncc"], h) if not skip else None
    entry["ratios"] = r
    if "hls4ml_legacy_softmax" in entry and not skip:
        entry["ratios_vs_hls4ml_legacy_softmax"] = ratios(entry["nncc"], entry["hls4ml_legacy_softmax"])
    tgt = THROUGHPUT_TARGET[name]
    targets: dict = {"time_to_csim_at_most": TIME_TARGET, "throughput_at_least": tgt}
    if r:
        targets["time_to_csim_met"] = r["time_to_csim_nncc_over_hls4ml"] <= TIME_TARGET
        targets["throughput_met"] = r["throughput_nncc_over_hls4ml"] >= tgt
        targets["met"] = targets["time_to_csim_met"] and targets["throughput_met"]
        _judge_absolute(name, entry["nncc"].get("throughput_samples_per_s"), targets)
    else:
        targets["met"] = None
        targets["why_not_judged"] = "hls4ml skipped" if skip else "a tool failed on this model"
    entry["targets"] = targets


def main() -> None:
    ap = _arguments()
    args = ap.parse_args()
    if args.worker_nncc:
        nncc_worker(args)
        return

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in names if m not in MODELS]
    if bad:
        ap.error(f"unknown models {bad}; choose from {list(MODELS)}")

    skip, hls_versions = probe_hls4ml(args.hls4ml_python or None)
    if skip:
        log(f"hls4ml skipped: {skip}")
    else:
        log(f"hls4ml venv: {args.hls4ml_python} {hls_versions}")

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        folder = os.path.abspath(args.keep)
    else:
        folder = tempfile.mkdtemp(prefix="bench_hls4ml.")
    try:
        log(f"building {len(names)} models with torch into {folder}")
        models = build_models(names, folder, args.samples, args.seed)
        result: dict = {"machine": machine_info(hls_versions), "settings": {
            "samples": args.samples, "repeats": args.repeats, "seed": args.seed, "opset": OPSET,
            "nncc": "nncc.compile defaults (16-bit fixed point, N(0,1) calibration, 1000 samples); C-sim built by "
                    "Design.predict(engine='csim') into a fresh empty NNCC_CACHE_DIR",
            "hls4ml": "Vitis backend, io_parallel, fixed<16,6>, Latency, reuse 1; qonnx cleanup (+channels-last, "
                      "Gemm->MatMul); convert + write + g++ compile (build_lib.sh)",
            "time_to_csim": "from the ONNX file to a loaded C-sim library, module imports excluded "
                            "(time_to_csim_incl_imports_s includes them)",
            "throughput": f"median of {args.repeats} predict calls on {args.samples} N(0,1) samples, after a warm-up",
            "hls4ml_skipped": skip,
        }, "models": {}}

        for name in names:
            info = models[name]
            entry: dict = {"params": info["params"], "description": info["description"],
                           "input_shape": info["input_shape"], "onnx_bytes": info["onnx_bytes"],
                           "ort_vs_torch_max_abs": info["ort_vs_torch_max_abs"]}
            work = os.path.join(folder, name)
            os.makedirs(work, exist_ok=True)

            entry["nncc"] = _bench_nncc(name, info, work, args)
            _bench_hls4ml(name, info, work, args, skip, entry)
            _judge(name, entry, skip)
            result["models"][name] = entry

        judged = [m["targets"]["met"] for m in result["models"].values() if m["targets"]["met"] is not None]
        result["all_targets_met"] = all(judged) if judged else None
        result["machine"]["loadavg_at_end"] = _loadavg()
        result["script_wall_s"] = time.perf_counter() - _T_SCRIPT
        print(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
