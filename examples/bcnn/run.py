"""Compile the example's BCNN, unpruned and 20x pruned, with nncc and measure both: accuracy of
the float model, the fixed-point interpreter, the HLS C-simulation and the Verilator RTL
simulation on the test bursts, frames/s at 200 MHz predicted (report.json) and measured
(Verilator's cycle counts), and LUT / FF / BRAM / DSP from Yosys. Needs nncc, g++, Verilator
and Yosys (the `dev` extra), not torch.

    python run.py [--out DIR] [--frames N] [--form where|sign] [--io stream|parallel] [--no-synth]

Prints one JSON document. `--form where` (the default) compiles the `*_where.onnx` exports
(activations as `torch.where(x >= 0, 1, -1)`, imported as a bipolar sign), `--form sign` the
`torch.sign` exports (ONNX Sign, ternary). The calibration
data (nncc's fixed-point ranges) are training-like bursts (train.py's training seed), not the
test set.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import dataset

HERE = Path(__file__).resolve().parent
TRAIN_SEED = 1  # train.py's training seed
CALIBRATION_BURSTS = 1024
CLOCK_MHZ = 200.0
MODELS = ("bcnn", "bcnn_pruned")


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return round(float((np.argmax(scores, 1) == labels).mean()), 4)


def measure(path: Path, folder: Path, x: np.ndarray, y: np.ndarray, calibration: Path, io: str,
            synth: bool) -> dict:
    """One model: compile, run four engines, optionally synthesize."""
    import nncc

    start = time.time()
    design = nncc.compile(path, folder, calibration=calibration, target="all", io=io, clock_ns=1e3 / CLOCK_MHZ)
    outputs = {engine: design.predict(x, engine=engine) for engine in ("float", "fixed", "csim")}
    outputs["rtl"] = design.run_rtl(x)["output"]
    schedule, stats = design.report["schedule"], design.rtl_stats
    predicted_fps = CLOCK_MHZ * 1e6 / schedule["ii_cycles"]
    # measured: the whole run of N back-to-back frames, as Verilator counted its cycles
    measured_fps = CLOCK_MHZ * 1e6 * (len(x) - 1) / (stats["cycles"] - 1 - stats["latency"])
    entry = {
        "model": path.name,
        "accuracy": {engine: accuracy(out, y) for engine, out in outputs.items()},
        "csim_equals_fixed": bool(np.array_equal(outputs["csim"], outputs["fixed"])),
        "rtl_equals_fixed": bool(np.array_equal(outputs["rtl"], outputs["fixed"])),
        "fixed_vs_float_argmax_agreement": round(float(
            (outputs["fixed"].argmax(1) == outputs["float"].argmax(1)).mean()), 4),
        "schedule": {"predicted": {"ii_cycles": schedule["ii_cycles"], "latency_cycles": schedule["latency_cycles"]},
                     "measured": {"ii_cycles": stats["ii"], "latency_cycles": stats["latency"],
                                  "cycles": stats["cycles"], "frames": len(x)}},
        "frames_per_second": {"clock_mhz": CLOCK_MHZ, "predicted": round(predicted_fps, 1),
                              "report_json": design.report.get("throughput", {}).get("samples_per_second"),
                              "measured": round(measured_fps, 1)},
    }
    from nncc.compiler.analysis.synthesis import design_estimate, synthesize_design
    from nncc.compiler.diagnostics import NnccError

    try:  # (io = stream designs have no analytic estimate yet)
        estimate = design_estimate(design)["total"]
        entry["nncc_estimate"] = {k: round(float(estimate.get(k, 0)), 1) for k in ("LUT", "FF", "BRAM", "DSP")}
    except NnccError:
        pass
    if synth:
        total = synthesize_design(design)["total"]
        entry["yosys"] = {k: total.get(k, 0) for k in ("LUT", "FF", "BRAM", "DSP", "CARRY")}
    entry["seconds"] = round(time.time() - start, 1)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the designs (default: a temporary one)")
    parser.add_argument("--frames", type=int, help="use only the first N test bursts (default: all 2,000)")
    parser.add_argument("--form", choices=("sign", "where"), default="where")
    parser.add_argument("--io", choices=("parallel", "stream"), default="stream")
    parser.add_argument("--no-synth", action="store_true")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="nncc-bcnn-"))
    out.mkdir(parents=True, exist_ok=True)

    test = np.load(HERE / "testset.npz")
    x, y = test["x"][:args.frames], test["y"][:args.frames]
    calibration = out / "calibration.npy"
    np.save(calibration, dataset.make(CALIBRATION_BURSTS, TRAIN_SEED)[0])

    suffix = "" if args.form == "sign" else "_where"
    result = {"frames": int(len(x)), "form": args.form, "io": args.io,
              "training": json.loads(str(test["float_accuracy"]))}
    for name in MODELS:
        result[name] = measure(HERE / f"{name}{suffix}.onnx", out / name, x, y, calibration, args.io,
                               not args.no_synth)
    full, pruned = result["bcnn"], result["bcnn_pruned"]
    result["pruning"] = {
        "parameter_reduction": round(result["training"]["parameter_reduction"], 2),
        "float_accuracy_loss_points": round(100 * (full["accuracy"]["float"] - pruned["accuracy"]["float"]), 2),
        "hardware_accuracy_loss_points": round(100 * (full["accuracy"]["rtl"] - pruned["accuracy"]["rtl"]), 2),
    }
    for source in ("nncc_estimate", "yosys"):
        if source in full:
            before = full[source]["LUT"] + full[source]["FF"]
            after = pruned[source]["LUT"] + pruned[source]["FF"]
            result["pruning"][f"lut_ff_reduction_{source}"] = round(before / max(after, 1), 2)
    result["targets"] = {
        "hardware_equals_fixed": all(r["csim_equals_fixed"] and r["rtl_equals_fixed"] for r in (full, pruned)),
        "hardware_within_1_point_of_float": all(
            abs(r["accuracy"]["rtl"] - r["accuracy"]["float"]) <= 0.01 for r in (full, pruned)),
        "fps_predicted_equals_measured": all(
            r["schedule"]["predicted"]["ii_cycles"] == r["schedule"]["measured"]["ii_cycles"] for r in (full, pruned)),
        "pruning_lut_ff_at_least_10x": result["pruning"].get("lut_ff_reduction_yosys", 0) >= 10,
        "pruning_loss_at_most_2_points": result["pruning"]["hardware_accuracy_loss_points"] <= 2,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
