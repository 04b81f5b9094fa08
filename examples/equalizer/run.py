"""Compile the trained equalizer with nncc (one design per activation approximation) and
measure BER / Q-factor of the float model, the fixed-point interpreter and the HLS
C-simulation on the test set. Needs nncc and g++ (for the C-simulation), not torch.

    python run.py [--out DIR]      # prints one JSON document

The calibration data (for nncc's fixed-point ranges) are windows of a fresh simulation at
the training seed and launch power: training-like inputs, not the test set.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import channel
import dataset

HERE = Path(__file__).resolve().parent
MODES = ("lut", "pwl", "taylor")
CALIBRATION_SEED = 1  # train.py's training seed
CALIBRATION_SYMBOLS = 2048


def calibration_file(folder: Path, launch_power_dbm: float) -> Path:
    """Windows of a simulation at the training seed, saved as .npy for nncc.compile."""
    _, rx = channel.simulate(CALIBRATION_SYMBOLS, launch_power_dbm, CALIBRATION_SEED)
    path = folder / "calibration.npy"
    np.save(path, dataset.windows(rx))
    return path


def quality(tx: np.ndarray, estimate: np.ndarray) -> dict:
    """BER (hard decisions, Gray labels), bit errors, Q-factor from the BER, and the effective
    SNR 1 / mean |estimate - tx|^2 (unit-energy symbols), which also shows gains too small to
    move the BER."""
    estimate = dataset.to_complex(estimate) if np.ndim(estimate) == 2 else np.asarray(estimate)
    errors, bits = dataset.bit_errors(tx, estimate)
    ber = errors / bits
    snr = -10 * np.log10(np.mean(np.abs(estimate - tx) ** 2))
    return {"ber": ber, "bit_errors": errors, "q_factor_db": round(dataset.q_factor(ber), 3), "snr_db": round(float(snr), 3)}


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


def main() -> None:
    import nncc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the designs (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="nncc-equalizer-"))
    out.mkdir(parents=True, exist_ok=True)

    test = np.load(HERE / "testset.npz")
    x, tx, rx = test["x"], test["tx"].astype(complex), test["rx"].astype(complex)
    power = float(test["launch_power_dbm"])
    calibration = calibration_file(out, power)

    result = {
        "launch_power_dbm": power,
        "test_windows": int(len(x)),
        "bits": int(len(x) * 4),
        "no_equalization": quality(tx, rx),
        "modes": {},
    }
    for mode in MODES:
        start = time.time()
        design = nncc.compile(HERE / "equalizer.onnx", out / mode, calibration=calibration, mode=mode)
        y_float = design.predict(x, engine="float")
        y_fixed = design.predict(x, engine="fixed")
        y_csim = design.predict(x, engine="csim")
        result["modes"][mode] = {
            "float": quality(tx, y_float),
            "fixed": quality(tx, y_fixed),
            "csim": quality(tx, y_csim),
            "csim_equals_fixed": bool(np.array_equal(y_csim, y_fixed)),
            "fixed_vs_float_max_abs": float(np.abs(y_fixed - y_float).max()),
            "resource_estimate": resources(design),
            "seconds": round(time.time() - start, 1),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
