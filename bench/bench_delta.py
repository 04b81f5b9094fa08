#!/usr/bin/env python
"""Benchmark: the delta form of a recurrent layer (DeltaLSTM, ``--delta``): temporal sparsity ->
speed-up, and what it costs in accuracy, measured in Verilator.

Usage::

    python bench/bench_delta.py [--thetas 0,0.05,0.1,0.2,0.3,0.5] [--samples 500] [--no-rtl]

Prints ONE JSON document on stdout; progress goes to stderr. The model is the LSTM fixture
(``test/fixtures/rnn_lstm_script.onnx``: 10 steps of 4 inputs, hidden size 12, a Linear head
to 3 outputs), compiled at reuse factor 1 with Θx = Θh = Θ for every Θ of the sweep. Two input
kinds: ``iid`` (N(0, 1) at every step: little to skip) and ``smooth`` (per input an AR(1)
process with correlation 0.95 between steps, unit variance: what sensor or speech features look
like). Per (kind, Θ): the temporal sparsity (fraction of Δ entries that were zero), the
predicted cycles per sequence of the layer (mean / min / max and the bound where every column
changes), the speed-up (bound / mean), the Verilator-measured intervals between sequences and
whether every one equals the prediction, and the output error against the dense (Θ = 0) design
(max and mean |Δy|) and against onnxruntime (argmax agreement). The analytic resource estimate
of the delta design is given next to the dense design's (a delta engine has one multiplier per
row instead of one per weight).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nncc
from nncc.compiler.analysis.delta import sample_times
from nncc.compiler.analysis.synthesis import design_estimate

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "test" / "fixtures" / "rnn_lstm_script.onnx"
STEPS, INPUTS = 10, 4


def inputs(kind: str, count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "iid":
        return rng.standard_normal((count, STEPS, INPUTS)).astype(np.float32)
    rho = 0.95
    x = np.empty((count, STEPS, INPUTS))
    x[:, 0] = rng.standard_normal((count, INPUTS))
    for t in range(1, STEPS):
        x[:, t] = rho * x[:, t - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((count, INPUTS))
    return x.astype(np.float32)


def reference(x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    name, batch = session.get_inputs()[0].name, session.get_inputs()[0].shape[0]
    return np.concatenate([session.run(None, {name: x[i:i + batch]})[0] for i in range(0, len(x), batch)])


def estimate(design) -> dict:
    total = design_estimate(design)["total"]
    return {k: round(float(total[k])) for k in ("LUT", "FF", "DSP") if k in total}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--thetas", default="0,0.05,0.1,0.2,0.3,0.5")
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--no-rtl", action="store_true", help="predictions only (no Verilator)")
    args = parser.parse_args(argv)
    thetas = [float(t) for t in args.thetas.split(",")]
    out = {"model": MODEL.name, "reuse_factor": 1, "samples": args.samples, "runs": []}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nncc-bench-delta-") as tmp:
        calibration = Path(tmp) / "calibration.npy"
        np.save(calibration, np.concatenate([inputs("iid", 500, 1), inputs("smooth", 500, 2)]))
        dense = nncc.compile(MODEL, Path(tmp) / "dense", calibration=calibration)
        out["dense_estimate"] = estimate(dense)
        data = {kind: inputs(kind, args.samples, 7) for kind in ("iid", "smooth")}
        base = {kind: dense.predict(x, engine="fixed") for kind, x in data.items()}
        ref = {kind: reference(x) for kind, x in data.items()}
        for theta in thetas:
            print(f"bench_delta: theta {theta}", file=sys.stderr)
            design = nncc.compile(MODEL, Path(tmp) / f"delta{theta}", calibration=calibration, delta=True,
                                  delta_x=theta, delta_h=theta)
            if theta == thetas[0]:
                out["delta_estimate"] = estimate(design)
            for kind, x in data.items():
                y = design.predict(x, engine="fixed")
                times = sample_times(design.design, design.check_inputs(x)[design.input_names[0]])
                profile = times["profile"]
                cycles = profile["cycles"]
                run = dict(inputs=kind, theta=theta, temporal_sparsity=round(profile["temporal_sparsity"], 4),
                           cycles_mean=round(float(cycles.mean()), 2), cycles_min=int(cycles.min()),
                           cycles_max=int(cycles.max()), cycles_bound=int(profile["dense_cycles"]),
                           speedup=round(profile["speedup"], 3),
                           effective_macs=round(profile["effective_macs"], 1), dense_macs=profile["dense_macs"],
                           max_abs_vs_dense=float(np.abs(y - base[kind]).max()),
                           mean_abs_vs_dense=round(float(np.abs(y - base[kind]).mean()), 6),
                           argmax_agreement_vs_onnxruntime=float(np.mean(y.argmax(1) == ref[kind].argmax(1))))
                if not args.no_rtl:
                    rtl = design.run_rtl(x)["output"]
                    stats = design.rtl_stats
                    intervals = np.diff(stats["in_cycles"])
                    run.update(rtl_equals_fixed=bool(np.array_equal(rtl, y)),
                               measured_interval_mean=round(float(intervals.mean()), 2),
                               measured_equals_predicted=bool(np.array_equal(intervals, times["intervals"])
                                                              and np.array_equal(stats["out_cycles"] - stats["in_cycles"],
                                                                                 times["latencies"])))
                out["runs"].append(run)
    out["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
