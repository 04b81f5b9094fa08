#!/usr/bin/env python
"""Benchmark: ONNX import (`import_onnx`) and float reference run (`run_float`).

Usage::

    python bench/bench_import.py [--quick] [--no-resnet-run] [--repeats N]

Prints ONE JSON document on stdout; progress goes to stderr. Models are generated with
``onnx.helper`` + numpy (fixed seeds, float32 He-scaled weights) into a temporary
directory that is removed at exit.

1. ``mlp_1m``   784->1024->256->10 MLP (Gemm transB=1 + Relu, Softmax), dynamic batch.
                import_onnx + run_float(batch 1000): in a fresh process (wall time incl.
                Python start-up and module imports) and in-process warm.
                Target: <= 3 s (judged on the fresh-process wall time).
2. ``resnet18`` ResNet-18-shaped model, input [1,3,224,224]. import_onnx wall time and
                peak RSS in a fresh process. Targets: <= 20 s, <= 2 GiB.
                Optionally run_float on batch 2 vs onnxruntime.
3. ``scaling``  import time / peak RSS vs parameter count for ResNets scaled by width
                and MLPs of 0.1M..16M parameters, with fitted log-log exponents.
                Skipped by ``--quick``.

Every measurement runs in a fresh child process (this file, ``--worker``); the peak
RSS is the child's ``VmHWM`` and, independently, ``ru_maxrss`` from ``os.wait4``.
"""

from __future__ import annotations

import time

_T_SCRIPT_START = time.monotonic()  # system-wide clock on Linux: comparable with the parent's

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile

# Nothing heavy is imported at module level: the worker measures its own imports.

HERE = os.path.abspath(__file__)
OPSET = 17
IR_VERSION = 8

MLP_TARGET_S = 3.0
RESNET_TARGET_S = 20.0
RESNET_TARGET_RSS_GIB = 2.0


def log(msg: str) -> None:
    print(f"[bench_import {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# =======================================================================================
# worker (runs in a fresh child process)


def _proc_status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def worker(args) -> None:
    """Child process: import modules, import_onnx, optionally run_float; JSON on stdout."""
    t0 = time.perf_counter()
    import numpy as np  # noqa: F401

    t_numpy = time.perf_counter()
    from nncc.compiler.onnx import importer as imp
    from nncc.compiler.onnx.importer import import_onnx
    from nncc.runtime.interpreter import run_float

    t_mods = time.perf_counter()
    rss_after_modules = _proc_status_kib("VmRSS")

    # Phase timers: wrap the importer's module-level helpers (no source change).
    phases: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - s

        return wrapper

    if args.phases:
        from xdsl.dialects.builtin import ModuleOp

        imp.load_model = timed("load_model", imp.load_model)
        imp.find_unsupported = timed("find_unsupported", imp.find_unsupported)
        imp.check_and_infer = timed("check_and_infer", imp.check_and_infer)
        ModuleOp.verify = timed("module_verify", ModuleOp.verify)

    out: dict = {
        "t_import_numpy_s": t_numpy - t0,
        "t_import_nncc_modules_s": t_mods - t_numpy,
        "rss_after_module_imports_kib": rss_after_modules,
    }
    s = time.perf_counter()
    module = import_onnx(args.model)
    out["t_import_onnx_s"] = time.perf_counter() - s
    if args.phases:
        out["import_phases_s"] = dict(phases)
        out["import_phases_s"]["build_ir_rest"] = out["t_import_onnx_s"] - sum(phases.values())
    out["ir_ops"] = sum(1 for _ in module.walk())
    out["rss_peak_after_import_kib"] = _proc_status_kib("VmHWM")

    if args.input:
        x = np.load(args.input)
        s = time.perf_counter()
        result = run_float(module, {args.input_name: x})
        out["t_run_float_s"] = time.perf_counter() - s
        if args.save_output:
            (name, y), = result.items()
            np.save(args.save_output, y)
            out["output_name"] = name
    out["t_child_total_s"] = time.perf_counter() - t0

    if args.warm_repeats:
        # in-process warm: modules imported, caches warmed by the call above
        imps, runs = [], []
        for _ in range(args.warm_repeats):
            s = time.perf_counter()
            module = import_onnx(args.model)
            imps.append(time.perf_counter() - s)
            if args.input:
                s = time.perf_counter()
                run_float(module, {args.input_name: x})
                runs.append(time.perf_counter() - s)
        out["warm_import_onnx_s"] = imps
        if runs:
            out["warm_run_float_s"] = runs
            out["warm_total_s"] = [a + b for a, b in zip(imps, runs)]
    out["rss_peak_kib"] = _proc_status_kib("VmHWM")
    out["t_script_start_monotonic"] = _T_SCRIPT_START
    out["t_worker_end_monotonic"] = time.monotonic()
    print(json.dumps(out), flush=True)


def run_worker(model: str, *, inp: str | None = None, input_name: str = "input", save_output: str | None = None,
               warm_repeats: int = 0, phases: bool = True) -> dict:
    """Start a fresh child; return its report plus parent-side wall time and ru_maxrss."""
    cmd = [sys.executable, HERE, "--worker", "--model", model, "--input-name", input_name,
           "--warm-repeats", str(warm_repeats)]
    if inp:
        cmd += ["--input", inp]
    if save_output:
        cmd += ["--save-output", save_output]
    if not phases:
        cmd += ["--no-phases"]
    s = time.perf_counter()
    spawn = time.monotonic()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        # communicate()/wait() reap the child with waitpid and lose its rusage: read
        # stdout ourselves and reap with wait4 to get this child's own ru_maxrss.
        stdout = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - s
        reaped = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}) on {model}:\n{stderr[-4000:]}")
    report = json.loads(stdout.strip().splitlines()[-1])
    report["wall_fresh_process_s"] = wall  # from fork/exec to exit: python start-up included
    report["ru_maxrss_kib"] = usage.ru_maxrss  # KiB on Linux
    # start-up: exec + interpreter + this script's stdlib imports; exit: teardown of the
    # interpreter (freeing the IR, module finalisers) -- both count in the fresh wall time
    report["python_startup_s"] = report["t_script_start_monotonic"] - spawn
    report["python_exit_s"] = reaped - report["t_worker_end_monotonic"]
    return report


# =======================================================================================
# model builders


def _he(rng, shape, fan_in):
    import numpy as np

    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)


def mlp_hidden_for(target_params: int) -> int:
    """Hidden width H of a 784->H->H/4->10 MLP with about ``target_params`` parameters."""
    best = None
    for h in range(16, 40000, 8):
        p = mlp_param_count([784, h, h // 4, 10])
        if best is None or abs(p - target_params) < abs(best[1] - target_params):
            best = (h, p)
        if p > target_params:
            break
    return best[0]


def mlp_param_count(dims) -> int:
    return sum(a * b + b for a, b in zip(dims[:-1], dims[1:]))


def build_mlp(path: str, dims, seed: int = 0) -> dict:
    """MLP of Gemm(transB=1)+Relu layers, Softmax on the last; input [N, dims[0]]."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    x = "input"
    n_layers = len(dims) - 1
    for i, (fin, fout) in enumerate(zip(dims[:-1], dims[1:])):
        w = _he(rng, (fout, fin), fin)  # transB=1: [out, in]
        b = (rng.standard_normal(fout) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"fc{i}.weight"), numpy_helper.from_array(b, f"fc{i}.bias")]
        y = f"fc{i}"
        nodes.append(helper.make_node("Gemm", [x, f"fc{i}.weight", f"fc{i}.bias"], [y], name=f"fc{i}", transB=1))
        x = y
        if i < n_layers - 1:
            nodes.append(helper.make_node("Relu", [x], [f"relu{i}"], name=f"relu{i}"))
            x = f"relu{i}"
    nodes.append(helper.make_node("Softmax", [x], ["output"], name="softmax", axis=1))
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", dims[0]])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", dims[-1]])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    params = sum(int(t.dims[0]) * (int(t.dims[1]) if len(t.dims) > 1 else 1) for t in inits)
    assert params == mlp_param_count(dims)
    return {"dims": list(dims), "params": params, "nodes": len(nodes), "file_bytes": os.path.getsize(path)}


def build_resnet(path: str, width: float = 1.0, num_classes: int = 1000, seed: int = 0) -> dict:
    """ResNet-18-shaped model (basic blocks [2,2,2,2]) with channels scaled by ``width``."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    counts = {"trainable": 0, "bn_running_stats": 0}

    def add_init(name, arr, kind="trainable"):
        inits.append(numpy_helper.from_array(arr, name))
        counts[kind] += arr.size
        return name

    def conv_bn(x, name, cin, cout, k, stride, relu):
        w = add_init(f"{name}.weight", _he(rng, (cout, cin, k, k), cin * k * k))
        p = k // 2
        nodes.append(helper.make_node("Conv", [x, w], [f"{name}.conv"], name=name, kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[p, p, p, p]))
        bn = f"{name}.bn"
        scale = add_init(f"{bn}.scale", rng.uniform(0.5, 1.0, cout).astype(np.float32))
        bias = add_init(f"{bn}.bias", (rng.standard_normal(cout) * 0.05).astype(np.float32))
        mean = add_init(f"{bn}.mean", (rng.standard_normal(cout) * 0.05).astype(np.float32), "bn_running_stats")
        var = add_init(f"{bn}.var", rng.uniform(0.8, 1.2, cout).astype(np.float32), "bn_running_stats")
        nodes.append(helper.make_node("BatchNormalization", [f"{name}.conv", scale, bias, mean, var], [bn],
                                      name=bn, epsilon=1e-5))
        if not relu:
            return bn
        nodes.append(helper.make_node("Relu", [bn], [f"{name}.relu"], name=f"{name}.relu"))
        return f"{name}.relu"

    ch = lambda c: max(1, int(round(c * width)))  # noqa: E731
    x = conv_bn("input", "stem", 3, ch(64), 7, 2, True)
    nodes.append(helper.make_node("MaxPool", [x], ["stem.pool"], name="stem.pool", kernel_shape=[3, 3],
                                  strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = "stem.pool", ch(64)
    for s, c in enumerate([64, 128, 256, 512]):
        cout = ch(c)
        for b in range(2):
            stride = 2 if (s > 0 and b == 0) else 1
            name = f"layer{s + 1}.{b}"
            y = conv_bn(x, f"{name}.conv1", cin, cout, 3, stride, True)
            y = conv_bn(y, f"{name}.conv2", cout, cout, 3, 1, False)
            short = x
            if stride != 1 or cin != cout:
                short = conv_bn(x, f"{name}.downsample", cin, cout, 1, stride, False)
            nodes.append(helper.make_node("Add", [y, short], [f"{name}.add"], name=f"{name}.add"))
            nodes.append(helper.make_node("Relu", [f"{name}.add"], [f"{name}.out"], name=f"{name}.relu"))
            x, cin = f"{name}.out", cout
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    fw = add_init("fc.weight", _he(rng, (num_classes, cin), cin))
    fb = add_init("fc.bias", (rng.standard_normal(num_classes) * 0.01).astype(np.float32))
    nodes.append(helper.make_node("Gemm", ["flat", fw, fb], ["output"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "resnet18",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, num_classes])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return {
        "width": width,
        "params": counts["trainable"],
        "bn_running_stats": counts["bn_running_stats"],
        "initializer_elements": counts["trainable"] + counts["bn_running_stats"],
        "nodes": len(nodes),
        "file_bytes": os.path.getsize(path),
    }


# =======================================================================================
# reference and helpers


def ort_compare(model_path: str, inp_path: str, out_path: str) -> dict:
    """Relative error max|diff|/max|ref| of the nncc output against onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return {"available": False}
    import numpy as np

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    x = np.load(inp_path)
    feeds_name = sess.get_inputs()[0].name
    if sess.get_inputs()[0].shape[0] == 1 and x.shape[0] != 1:
        ref = np.concatenate([sess.run(None, {feeds_name: x[i:i + 1]})[0] for i in range(x.shape[0])])
    else:
        ref = sess.run(None, {feeds_name: x})[0]
    got = np.load(out_path)
    diff = float(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
    scale = float(np.max(np.abs(ref)))
    return {"available": True, "onnxruntime": ort.__version__, "max_abs_diff": diff, "max_abs_ref": scale,
            "rel_error": diff / scale if scale else diff}


def loglog_slope(xs, ys) -> float | None:
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def machine_info() -> dict:
    import numpy as np
    import onnx

    info = {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "numpy": np.__version__,
        "onnx": onnx.__version__,
    }
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu_model"] = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None)
        with open("/proc/meminfo") as f:
            kib = int(next(ln for ln in f if ln.startswith("MemTotal")).split()[1])
            info["mem_total_gib"] = round(kib / 2**20, 2)
    except (OSError, StopIteration):
        pass
    from importlib import metadata

    for pkg in ("xdsl", "onnxruntime", "nncc"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = None
    return info


def _gib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 2**20, 4)


def _median(xs):
    return statistics.median(xs) if xs else None


# =======================================================================================
# benchmarks


def bench_mlp(tmp: str, repeats: int) -> dict:
    import numpy as np

    path = os.path.join(tmp, "mlp_1m.onnx")
    info = build_mlp(path, [784, 1024, 256, 10], seed=1)
    inp = os.path.join(tmp, "mlp_input.npy")
    np.save(inp, np.random.default_rng(123).standard_normal((1000, 784)).astype(np.float32))
    out = os.path.join(tmp, "mlp_output.npy")
    log(f"mlp_1m: {info['params']} params; {repeats} fresh-process runs")
    runs = []
    for r in range(repeats):
        runs.append(run_worker(path, inp=inp, save_output=out))
        log(f"  fresh run {r}: wall {runs[-1]['wall_fresh_process_s']:.2f}s "
            f"(import_onnx {runs[-1]['t_import_onnx_s']:.3f}s, run_float {runs[-1]['t_run_float_s']:.3f}s)")
    first = runs[0]
    log("  in-process warm: 5 more import_onnx + run_float calls in one process")
    warm_run = run_worker(path, inp=inp, warm_repeats=5)
    fresh_walls = [r["wall_fresh_process_s"] for r in runs]
    cold_in_child = [r["t_import_onnx_s"] + r["t_run_float_s"] for r in runs]
    warm = warm_run["warm_total_s"]
    res = {
        **info,
        "batch": 1000,
        "fresh_process": {
            "wall_s_median": _median(fresh_walls),
            "wall_s_runs": fresh_walls,
            "breakdown_first_run_s": {
                "python_startup": first["python_startup_s"],
                "import_numpy": first["t_import_numpy_s"],
                "import_nncc_modules": first["t_import_nncc_modules_s"],
                "import_onnx": first["t_import_onnx_s"],
                "import_onnx_phases": first.get("import_phases_s"),
                "run_float": first["t_run_float_s"],
                "python_exit": first["python_exit_s"],
            },
            "import_plus_run_first_call_in_child_s_median": _median(cold_in_child),
            "peak_rss_gib": _gib(first["ru_maxrss_kib"]),
        },
        "in_process_warm": {
            "import_onnx_s_median": _median(warm_run["warm_import_onnx_s"]),
            "run_float_s_median": _median(warm_run["warm_run_float_s"]),
            "total_s_median": _median(warm),
            "total_s_runs": warm,
        },
    }
    res["reference"] = ort_compare(path, inp, out)
    res["target_s"] = MLP_TARGET_S
    res["target_measured_on"] = "fresh_process.wall_s_median (python start-up + imports + import_onnx + run_float)"
    res["meets_target"] = bool(res["fresh_process"]["wall_s_median"] <= MLP_TARGET_S)
    return res


def bench_resnet(tmp: str, repeats: int, run_float_check: bool) -> dict:
    import numpy as np

    path = os.path.join(tmp, "resnet18.onnx")
    info = build_resnet(path, 1.0, seed=2)
    log(f"resnet18: {info['params']} params ({info['file_bytes'] / 2**20:.1f} MiB file); "
        f"{repeats} fresh-process imports")
    runs = []
    for r in range(repeats):
        runs.append(run_worker(path))
        log(f"  fresh run {r}: import_onnx {runs[-1]['t_import_onnx_s']:.2f}s, "
            f"peak RSS {runs[-1]['ru_maxrss_kib'] / 2**20:.3f} GiB")
    log("  in-process warm: a second import_onnx in one process")
    warm_run = run_worker(path, warm_repeats=1)
    imports = [r["t_import_onnx_s"] for r in runs]
    rss = max(r["ru_maxrss_kib"] for r in runs)
    res = {
        **info,
        "input_shape": [1, 3, 224, 224],
        "import_onnx_s_median": _median(imports),
        "import_onnx_s_runs": imports,
        "import_onnx_warm_second_call_s": warm_run["warm_import_onnx_s"][0],
        "import_phases_first_run_s": runs[0].get("import_phases_s"),
        "ir_ops": runs[0]["ir_ops"],
        "fresh_process_wall_s_median": _median([r["wall_fresh_process_s"] for r in runs]),
        "peak_rss_gib": _gib(rss),
        "peak_rss_vmhwm_after_first_import_gib": _gib(runs[0]["rss_peak_after_import_kib"]),
        "rss_after_module_imports_gib": _gib(runs[0]["rss_after_module_imports_kib"]),
    }
    if run_float_check:
        inp = os.path.join(tmp, "resnet_input.npy")
        out = os.path.join(tmp, "resnet_output.npy")
        np.save(inp, np.random.default_rng(456).standard_normal((2, 3, 224, 224)).astype(np.float32))
        log("resnet18: run_float on batch 2 (separate fresh process)")
        r = run_worker(path, inp=inp, save_output=out, phases=False)
        log(f"  run_float {r['t_run_float_s']:.2f}s, peak RSS {r['ru_maxrss_kib'] / 2**20:.3f} GiB")
        res["run_float_batch2"] = {
            "t_run_float_s": r["t_run_float_s"],
            "peak_rss_gib_import_plus_run": _gib(r["ru_maxrss_kib"]),
            "reference": ort_compare(path, inp, out),
        }
    res["target_s"] = RESNET_TARGET_S
    res["target_rss_gib"] = RESNET_TARGET_RSS_GIB
    res["target_measured_on"] = "import_onnx_s_median (in a fresh process) and peak_rss_gib (whole child process)"
    res["meets_target"] = bool(res["import_onnx_s_median"] <= RESNET_TARGET_S and res["peak_rss_gib"] <= RESNET_TARGET_RSS_GIB)
    return res


def _fit(points, key):
    xs = [p["params"] for p in points]
    ys = [p[key] for p in points]
    top = sorted(range(len(xs)), key=lambda i: xs[i])[len(xs) // 2 - (1 if len(xs) % 2 == 0 else 0):]
    return {"all_points": loglog_slope(xs, ys), "largest_points": loglog_slope([xs[i] for i in top], [ys[i] for i in top])}


def bench_scaling(tmp: str, widths, mlp_targets, repeats: int) -> dict:
    res = {}
    families = {"resnet_by_width": [("resnet", w) for w in widths], "mlp": [("mlp", t) for t in mlp_targets]}
    for fam, items in families.items():
        points = []
        for kind, arg in items:
            path = os.path.join(tmp, f"scale_{kind}_{arg}.onnx")
            if kind == "resnet":
                info = build_resnet(path, arg, seed=3)
                label = f"width {arg}"
            else:
                h = mlp_hidden_for(arg)
                info = build_mlp(path, [784, h, h // 4, 10], seed=3)
                label = f"target {arg:,} params"
            log(f"scaling {fam}: {label} -> {info['params']:,} params")
            rs = [run_worker(path, warm_repeats=1)] + [run_worker(path) for _ in range(repeats - 1)]
            r = rs[0]
            os.remove(path)
            point = {
                **({"width": arg} if kind == "resnet" else {"dims": info["dims"]}),
                "params": info["params"],
                "file_mib": round(info["file_bytes"] / 2**20, 2),
                # fastest of `repeats` fresh processes (first call in each: cold)
                "import_onnx_s": min(x["t_import_onnx_s"] for x in rs),
                "import_onnx_s_runs": [x["t_import_onnx_s"] for x in rs],
                "import_onnx_warm_s": r["warm_import_onnx_s"][0],
                "import_phases_first_run_s": r.get("import_phases_s"),
                # VmHWM right after the first import (the warm repeat is not counted)
                "peak_rss_gib": _gib(max(x["rss_peak_after_import_kib"] for x in rs)),
                "rss_after_module_imports_gib": _gib(r["rss_after_module_imports_kib"]),
            }
            point["rss_growth_gib"] = round(point["peak_rss_gib"] - point["rss_after_module_imports_gib"], 4)
            points.append(point)
            log(f"  import {point['import_onnx_s']:.2f}s (warm {point['import_onnx_warm_s']:.2f}s), "
                f"peak RSS {point['peak_rss_gib']:.3f} GiB")
        res[fam] = {
            "points": points,
            "loglog_slope_time_vs_params": _fit(points, "import_onnx_s"),
            "loglog_slope_warm_time_vs_params": _fit(points, "import_onnx_warm_s"),
            "loglog_slope_rss_growth_vs_params": _fit(points, "rss_growth_gib"),
        }
    res["note"] = ("slope 1.0 = linear in parameter count; 'largest_points' fits the upper half of the sweep, "
                   "where fixed per-call overheads matter least")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the scaling sweep")
    ap.add_argument("--no-resnet-run", action="store_true", help="skip run_float of ResNet-18 on batch 2")
    ap.add_argument("--repeats", type=int, default=3, help="fresh-process repetitions (default 3)")
    ap.add_argument("--widths", default="0.25,0.5,1.0,1.5", help="ResNet width multipliers for the sweep")
    ap.add_argument("--mlp-params", default="100000,1000000,4000000,16000000", help="MLP sizes for the sweep")
    # worker mode (internal)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--input-name", default="input", help=argparse.SUPPRESS)
    ap.add_argument("--save-output", help=argparse.SUPPRESS)
    ap.add_argument("--warm-repeats", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--no-phases", dest="phases", action="store_false", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return

    t_start = time.perf_counter()
    doc: dict = {"machine": machine_info()}
    with tempfile.TemporaryDirectory(prefix="nncc_bench_") as tmp:
        doc["mlp_1m"] = bench_mlp(tmp, args.repeats)
        doc["resnet18"] = bench_resnet(tmp, max(1, min(args.repeats, 2)), not args.no_resnet_run)
        if not args.quick:
            widths = [float(w) for w in args.widths.split(",") if w]
            sizes = [int(float(s)) for s in args.mlp_params.split(",") if s]
            doc["scaling"] = bench_scaling(tmp, widths, sizes, max(1, min(args.repeats, 2)))
        else:
            doc["scaling"] = {"skipped": "--quick"}
    doc["script_wall_s"] = round(time.perf_counter() - t_start, 2)
    log(f"done in {doc['script_wall_s']:.1f}s")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
