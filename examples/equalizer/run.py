"""Compile the trained equalizer with nncc (one design per activation approximation) and
measure BER / Q-factor of the float model, the fixed-point interpreter and the HLS
C-simulation on the test set. Needs nncc and g++ (for the C-simulation), not torch.

    python run.py [--out DIR] [--windows N]     # prints one JSON document

The test set (testset.npz, written by train.py) holds 2^16 transmitted and received symbols
at the NN's optimum launch power; every symbol is equalized (N windows, default all:
262,144 bits). The references are no equalization (hard decisions on the received symbols)
and the least-squares linear equalizer over the same window, fitted on a fresh simulation at
the training seed. The calibration data (nncc's fixed-point ranges) are windows of a
2,048-symbol simulation at the training seed: training-like inputs, not the test set.

Each activation approximation is compiled at nncc's defaults (16-bit width, 10-bit tables,
16 PWL segments, order-5 Taylor polynomials) and, for `pwl` and `taylor`, once more with a
finer setting (`VARIANTS`), to show what closing the gap to `lut` costs.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np

import channel
import dataset

HERE = Path(__file__).resolve().parent
# (label, nncc.compile options): the defaults of each mode, then finer pwl / taylor settings.
VARIANTS = (
    ("lut", {"mode": "lut"}),
    ("pwl", {"mode": "pwl"}),
    ("taylor", {"mode": "taylor"}),
    ("pwl, 64 segments", {"mode": "pwl", "segments": 64}),
    ("taylor, order 7", {"mode": "taylor", "order": 7}),
)
TRAINING_SEED = 1  # train.py's training seed
CALIBRATION_SYMBOLS = 2048
LINEAR_SYMBOLS = 2**15


def quality(tx: np.ndarray, estimate: np.ndarray) -> dict:
    """BER (hard decisions, Gray labels), bit errors and the Q-factor from the BER."""
    estimate = dataset.to_complex(estimate) if np.ndim(estimate) == 2 else np.asarray(estimate)
    errors, bits = dataset.bit_errors(tx, estimate)
    ber = errors / bits
    return {"ber": ber, "bit_errors": errors, "q_factor_db": round(dataset.q_factor(ber), 3)}


def resources(design) -> dict:
    """The analytic LUT / FF / DSP / BRAM estimate of the design, or why there is none."""
    try:
        from nncc.compiler.analysis.synthesis import design_estimate

        total = design_estimate(design).get("total")
    except Exception as err:  # noqa: BLE001 - optional information
        return {"unavailable": f"{type(err).__name__}: {err}"}
    if not isinstance(total, dict):
        return {"unavailable": "no total in the estimate"}
    return {k: round(float(v), 1) for k, v in total.items() if isinstance(v, (int, float))}


def activation_errors(folder: Path) -> dict:
    """Largest |approximation - f| of the sigmoid and tanh ops in the design (nncc measures it
    over every input of the op's calibrated type and records it in design.mlir)."""
    text = (folder / "design.mlir").read_text()
    errors: dict[str, float] = {}
    for attrs in re.findall(r"fixed\.(?:lut|pwl|poly) %\S+ \{(.*)", text):
        function = re.search(r'function = "(\w+)"', attrs)
        error = re.search(r"fixed\.approx_error = ([0-9.e+-]+)", attrs)
        if function and error:
            errors[function.group(1)] = max(errors.get(function.group(1), 0.0), float(error.group(1)))
    return errors


def main() -> None:
    import nncc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the designs (default: a temporary one)")
    parser.add_argument("--windows", type=int, help="equalize only the first N test symbols (default: all)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="nncc-equalizer-"))
    out.mkdir(parents=True, exist_ok=True)

    test = np.load(HERE / "testset.npz")
    tx, rx = test["tx"].astype(complex), test["rx"].astype(complex)
    power = float(test["launch_power_dbm"])
    x = dataset.windows(rx)
    if args.windows:
        tx, rx, x = tx[:args.windows], rx[:args.windows], x[:args.windows]

    tx_fit, rx_fit = channel.simulate(LINEAR_SYMBOLS, power, TRAINING_SEED)
    linear = dataset.linear_equalizer(dataset.windows(rx_fit), dataset.targets(tx_fit))
    _, rx_cal = channel.simulate(CALIBRATION_SYMBOLS, power, TRAINING_SEED)
    calibration = out / "calibration.npy"
    np.save(calibration, dataset.windows(rx_cal))

    result = {
        "launch_power_dbm": power,
        "test_windows": int(len(x)),
        "bits": int(len(x) * 4),
        "no_equalization": quality(tx, rx),
        "linear_equalizer": quality(tx, linear(x)),
        "nn_float": None,
        "modes": {},
    }
    for label, options in VARIANTS:
        start = time.time()
        folder = out / re.sub(r"\W+", "_", label)
        design = nncc.compile(HERE / "equalizer.onnx", folder, calibration=calibration, **options)
        if result["nn_float"] is None:
            y_float = design.predict(x, engine="float")
            result["nn_float"] = quality(tx, y_float)
        y_fixed = design.predict(x, engine="fixed")
        y_csim = design.predict(x, engine="csim")
        result["modes"][label] = {
            "options": options,
            "fixed": quality(tx, y_fixed),
            "csim": quality(tx, y_csim),
            "csim_equals_fixed": bool(np.array_equal(y_csim, y_fixed)),
            "fixed_vs_float_max_abs": round(float(np.abs(y_fixed - y_float).max()), 4),
            "activation_max_error": activation_errors(folder),
            "resource_estimate": resources(design),
            "seconds": round(time.time() - start, 1),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
