"""Inter-layer feature-map compression (`--fmap-compress`, a block-DCT encoder / decoder pair):
prints one JSON object.

For each case (a model, the node whose output map is compressed, the codec settings) the
model is compiled with and without compression (`--io parallel`, HLS C++ and Verilog) and
the bench reports: the compressed buffer's bits before / after and with sparse coding (the
report's `fmap_compression`), the argmax agreement of the design with the original float
model on --samples calibration inputs with and without compression, and for the digits CNN
the test-set accuracy; then bit-exactness of the compressed design: fixed-point interpreter
== C simulation on every sample and == Verilator on --rtl-samples back-to-back inputs, with
the measured latency and II against the predicted ones.

Cases: the small CNN (test/fixtures/cnn.onnx, random weights, N(0,1) inputs: feature maps of
noise, little spatial correlation for the DCT to use) on its max-pool output (8 x 8 x 8), and
the digits CNN (test/fixtures/digits_cnn.onnx, trained, scikit-learn digits images) on its
first ReLU's map (8 x 8 x 8).

Usage: python bench/bench_fmap_compress.py [--samples 1000] [--rtl-samples 200] [--no-rtl]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    {"model": "cnn.onnx", "edge": "/pool/MaxPool", "fmap_block": 4, "fmap_bits": 10, "fmap_keep": 6, "fmap_table": "flat"},
    {"model": "cnn.onnx", "edge": "/pool/MaxPool", "fmap_block": 8, "fmap_bits": 8, "fmap_keep": 14, "fmap_table": "flat"},
    {"model": "digits_cnn.onnx", "edge": "/net/net.1/Relu", "fmap_block": 8, "fmap_bits": 8, "fmap_keep": 14,
     "fmap_table": "flat"},
    {"model": "digits_cnn.onnx", "edge": "/net/net.1/Relu", "fmap_block": 8, "fmap_bits": 8, "fmap_keep": 7,
     "fmap_table": "jpeg"},
]


def _data(model: str, samples: int):
    """(calibration inputs, test inputs, test labels) of a case's model."""
    if model == "digits_cnn.onnx":
        sys.path.insert(0, str(ROOT / "test" / "fixtures"))
        from digits_data import load_split

        x_train, _, x_test, y_test = load_split("image")
        return x_train[:samples], x_test, y_test
    return np.random.default_rng(0).standard_normal((samples, 1, 16, 16)).astype(np.float32), None, None


def _agreement(report: dict) -> float:
    return next(iter(report["outputs"].values()))["argmax_agreement"]


def run_case(case: dict, samples: int, rtl_samples: int, work: Path) -> dict:
    import nncc

    model = ROOT / "test" / "fixtures" / case["model"]
    x, x_test, y_test = _data(case["model"], samples)
    settings = {k: v for k, v in case.items() if k.startswith("fmap_")}
    plain = nncc.compile(model, work / "plain", calibration=x, target="hls-cpp", io="parallel")
    start = time.perf_counter()
    design = nncc.compile(model, work / "compressed", calibration=x, io="parallel", fmap_compress=(case["edge"],),
                          **settings)
    compile_s = time.perf_counter() - start
    entry, = design.report["fmap_compression"]
    output = next(iter(design.report["outputs"]))
    result = {**case, "compile_seconds": round(compile_s, 2), "fmap_compression": entry,
              "argmax_agreement": {"uncompressed": _agreement(plain.report), "compressed": _agreement(design.report)}}
    if x_test is not None:
        result["test_accuracy"] = {
            name: float((d.run(x_test, "fixed")[output].argmax(1) == y_test).mean())
            for name, d in (("uncompressed", plain), ("compressed", design))}
    fixed = design.run(x, "fixed")[output]
    result["csim_equal"] = bool(np.array_equal(fixed, design.run(x, "csim")[output]))
    if rtl_samples:
        rtl = design.run(x[:rtl_samples], "rtl")[output]
        stats, schedule = design.rtl_stats, design.report["schedule"]
        result["rtl"] = {"samples": rtl_samples, "equal": bool(np.array_equal(fixed[:rtl_samples], rtl)),
                         "latency": {"predicted": schedule["latency_cycles"], "measured": int(stats["latency"])},
                         "ii": {"predicted": schedule["ii_cycles"], "measured": int(stats["ii"])}}
        result["schedule_uncompressed"] = plain.report["schedule"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rtl-samples", type=int, default=200)
    parser.add_argument("--no-rtl", action="store_true")
    args = parser.parse_args()
    results = []
    for i, case in enumerate(CASES):
        print(f"case {i + 1}/{len(CASES)}: {case['model']} {case['edge']}", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="nncc-fmap-") as tmp:
            results.append(run_case(case, args.samples, 0 if args.no_rtl else args.rtl_samples, Path(tmp)))
    print(json.dumps({"bench": "fmap_compress", "cases": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
