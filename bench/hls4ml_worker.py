#!/usr/bin/env python
"""hls4ml side of bench_hls4ml.py: ONNX -> hls4ml 1.3 C-simulation, timed stage by stage.

Runs with the python of a SEPARATE venv that has hls4ml==1.3.0, qonnx, onnx==1.22.0 and
onnxruntime (see bench/README.md); it imports nothing from nncc, torch or tensorflow.

    python hls4ml_worker.py --model m.onnx --inputs x.npy --outputs y.npy --report r.json \
        --project-dir DIR [--softmax legacy] [--precision 'fixed<16,6>'] [--repeats 3]

Writes its report (JSON) to --report, never to stdout (hls4ml prints a lot there). Every
stage is timed; an exception stops the run and is recorded with the stage it happened in.

Flow (hls4ml's documented ONNX recipe): qonnx `cleanup_model`, channels-last conversion
(`ConvertToChannelsLastAndClean`) when the graph has 4-D layers, `GemmToMatMul`, cleanup
again; `config_from_onnx_model(granularity='name', backend='Vitis', default_precision=...)`,
Latency strategy, reuse 1; `convert_from_onnx_model(io_type='io_parallel', backend='Vitis')`;
`write()`; `_compile()` (the g++ build of `compile()` without writing the project twice).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse
import json
import os
import sys
import traceback

LAYOUT_OPS = {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization", "Resize"}


def _cleaned_model(args, report: dict, stage):
    """The ONNX file as a cleaned qonnx model (channels-last, Gemm as MatMul where needed)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.util.cleanup import cleanup_model

    times = report["times_s"]
    s = stage("qonnx_cleanup")
    model = ModelWrapper(args.model)
    model = cleanup_model(model)
    ops = {n.op_type for n in model.graph.node}
    transforms = ["cleanup_model"]
    if ops & LAYOUT_OPS:
        model = model.transform(ConvertToChannelsLastAndClean())
        transforms.append("ConvertToChannelsLastAndClean")
    if "Gemm" in ops:
        model = model.transform(GemmToMatMul())
        transforms.append("GemmToMatMul")
    model = cleanup_model(model)
    transforms.append("cleanup_model")
    times["qonnx_cleanup"] = time.perf_counter() - s
    report["qonnx_transforms"] = transforms
    report["cleaned_ops"] = sorted({n.op_type for n in model.graph.node})
    return model


def _predict(hls_model, args, report: dict, stage) -> None:
    """Time C-simulation on the inputs (median of --repeats calls); save the outputs."""
    import numpy as np

    s = stage("predict")
    x = np.load(args.inputs)
    hls_model.predict(np.ascontiguousarray(x[:8]))  # warm-up
    runs = []
    y = None
    for _ in range(max(1, args.repeats)):
        s = time.perf_counter()
        y = hls_model.predict(np.ascontiguousarray(x))
        runs.append(time.perf_counter() - s)
    y = np.asarray(y, dtype=np.float64).reshape(len(x), -1)
    np.save(args.outputs, y)
    runs_sorted = sorted(runs)
    median = runs_sorted[len(runs) // 2]
    report["predict_s"] = runs
    report["predict_median_s"] = median
    report["samples"] = int(len(x))
    report["throughput_samples_per_s"] = len(x) / median


def _arguments() -> argparse.ArgumentParser:
    """The worker's command line (set by bench_hls4ml.py)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--outputs", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--project-dir", required=True)
    ap.add_argument("--precision", default="fixed<16,6>")
    ap.add_argument("--softmax", default=None, help="Softmax 'Implementation' override, e.g. legacy")
    ap.add_argument("--repeats", type=int, default=3)
    return ap


def main() -> None:
    args = _arguments().parse_args()

    report: dict = {"ok": False, "stage": "start", "times_s": {}, "settings": {
        "backend": "Vitis", "io_type": "io_parallel", "strategy": "Latency", "reuse_factor": 1,
        "default_precision": args.precision, "softmax_implementation": args.softmax or "default"}}
    times = report["times_s"]

    def stage(name):
        report["stage"] = name
        return time.perf_counter()

    try:
        s = stage("import")
        import numpy as np
        import onnx
        import hls4ml
        import qonnx

        times["import_modules"] = time.perf_counter() - s
        report["versions"] = {"hls4ml": hls4ml.__version__, "qonnx": getattr(qonnx, "__version__", None),
                              "onnx": onnx.__version__, "numpy": np.__version__}
        try:
            from importlib.metadata import version

            report["versions"]["qonnx"] = version("qonnx")
        except Exception:
            pass

        model = _cleaned_model(args, report, stage)

        s = stage("config")
        config = hls4ml.utils.config_from_onnx_model(
            model.model, granularity="name", backend="Vitis", default_precision=args.precision
        )
        config["Model"]["Strategy"] = "Latency"
        config["Model"]["ReuseFactor"] = 1
        if args.softmax:
            hit = [name for name, layer in config.get("LayerName", {}).items() if "Implementation" in layer
                   and name.lower().startswith("softmax")]
            if not hit:
                raise RuntimeError("no Softmax layer in the hls4ml config to set Implementation on")
            for name in hit:
                config["LayerName"][name]["Implementation"] = args.softmax
        times["config"] = time.perf_counter() - s

        s = stage("convert")
        hls_model = hls4ml.converters.convert_from_onnx_model(
            model.model, output_dir=args.project_dir, project_name="myproject",
            io_type="io_parallel", backend="Vitis", hls_config=config,
        )
        times["convert"] = time.perf_counter() - s

        s = stage("write")
        hls_model.write()
        times["write"] = time.perf_counter() - s

        s = stage("compile")
        hls_model._compile()  # compile() = write() + _compile(); write() was timed above
        times["compile_gxx"] = time.perf_counter() - s
        times["time_to_csim"] = sum(times[k] for k in ("qonnx_cleanup", "config", "convert", "write", "compile_gxx"))
        times["time_to_csim_incl_imports"] = times["time_to_csim"] + times["import_modules"]

        _predict(hls_model, args, report, stage)
        report["ok"] = True
        report["stage"] = "done"
    except BaseException as err:  # noqa: BLE001 - everything is reported, nothing re-raised
        report["error"] = f"{type(err).__name__}: {err}".strip()[:2000]
        report["traceback"] = traceback.format_exc()[-4000:]
    report["worker_wall_s"] = time.perf_counter() - _T0
    with open(args.report + ".tmp", "w") as f:
        json.dump(report, f)
    os.replace(args.report + ".tmp", args.report)
    sys.exit(0 if report["ok"] else 2)


if __name__ == "__main__":
    main()
