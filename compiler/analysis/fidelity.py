"""Honest fidelity figures: every stage of a compile measured against the user's original model.

The reference is onnxruntime on the original ONNX file when onnxruntime is installed, else
nncc's float interpreter of the imported model (before any weight technique). Each stage of
the compile is run on the calibration data and compared with that reference:

    float             the imported model, float interpreter (nncc's import is exact: ~1e-6)
    pot_quantized     after power-of-two / signed-digit weight quantization (float weights)
    pruned            after pruning (log-aware, magnitude by structure, or the knapsack)
    fixed_point       after conversion to fixed point (exact activations)
    delta             after the delta form of recurrent layers (`--delta`: skipped small changes)
    hardware          the final design: activation tables, every cast; the generated C++ and
                      Verilog equal it bit for bit (`nncc verify` checks it)

so a user sees where accuracy goes. Per output: max and mean |error| and, for class-score
outputs (batch x classes, classes > 1), argmax agreement.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np


def report_number(x: float) -> float:
    """A float as report.json stores it: 6 significant digits."""
    return float(f"{float(x):.6g}")



def compare(got: Mapping[str, np.ndarray], want: Mapping[str, np.ndarray]) -> dict[str, dict]:
    """Per output: max / mean |got - want| and argmax agreement for class-score outputs."""
    result = {}
    for name, reference in want.items():
        ref = np.asarray(reference, np.float64)
        value = np.asarray(got[name], np.float64).reshape(ref.shape)
        diff = np.abs(value - ref)[np.isfinite(ref)]  # Log/Sqrt of negatives: NaN in float only
        item = {"max_abs_error": report_number(diff.max(initial=0.0)), "mean_abs_error": report_number(diff.mean() if diff.size else 0.0)}
        flat_ref = ref.reshape(len(ref), -1)
        if flat_ref.shape[1] > 1 and ref.ndim == 2:
            item["argmax_agreement"] = report_number(np.mean(np.argmax(value, 1) == np.argmax(ref, 1)))
        result[name] = item
    return result


def _onnxruntime_outputs(model: Path, inputs: Mapping[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    feeds = {i.name: i for i in session.get_inputs()}
    if set(feeds) != set(inputs):
        raise ValueError(f"onnxruntime sees inputs {sorted(feeds)}")
    batch = len(next(iter(inputs.values())))
    fixed = {d for i in feeds.values() for d in i.shape[:1] if isinstance(d, int)}
    step = min(fixed) if fixed else batch  # a model exported with a fixed batch runs in chunks
    chunks: list[list[np.ndarray]] = []
    for start in range(0, batch, step):
        feed = {}
        for name, x in inputs.items():
            part = x[start:start + step]
            if len(part) < step:  # pad the last chunk with copies of its last sample
                part = np.concatenate([part, np.repeat(part[-1:], step - len(part), axis=0)])
            feed[name] = np.ascontiguousarray(part, np.float32)
        chunks.append([y[: min(step, batch - start)] for y in session.run(names, feed)])
    return {n: np.concatenate([c[i] for c in chunks]) for i, n in enumerate(names)}


def reference_outputs(model: str | os.PathLike, float_module, inputs: Mapping[str, np.ndarray]) -> tuple[dict, str]:
    """(outputs of the original model on ``inputs``, what produced them)."""
    from nncc.runtime.interpreter import io_names, main_function, run_float

    names = io_names(main_function(float_module))[1]
    path = Path(model)
    why = "onnxruntime is not installed"
    if path.suffix == ".onnx" and path.is_file():
        try:
            import onnxruntime

            outputs = _onnxruntime_outputs(path, inputs, names)
            return outputs, f"onnxruntime {onnxruntime.__version__} on {path.name}"
        except ImportError:
            pass
        except Exception as err:  # noqa: BLE001 - any failure of the oracle falls back to nncc's float model
            why = f"onnxruntime could not run it: {str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__}"
    return run_float(float_module, inputs), f"nncc float interpreter of the imported model ({why})"


class StageRecorder:
    """Measures each stage of a compile against the reference outputs."""

    FLOAT_STAGES = {"pot-quant-quantize": "pot_quantized", "pot-quant-prune": "pruned", "sparse-prune": "pruned",
                    "sparse-knapsack": "pruned", "nn-compress-fmap": "compressed"}
    FIXED_STAGES = {"convert-nn-to-fixed": "fixed_point", "recurrent-delta": "delta"}

    def __init__(self, reference: Mapping[str, np.ndarray], source: str, inputs: Mapping[str, np.ndarray]):
        self.reference = reference
        self.source = source
        self.inputs = inputs
        self.stages: list[dict] = []

    def record(self, stage: str, outputs: Mapping[str, np.ndarray]) -> None:
        """Add one stage's outputs."""
        self.stages.append({"stage": stage, "outputs": compare(outputs, self.reference)})

    def after_pass(self, pass_name: str, module) -> None:
        """Pipeline hook: measure the module after the passes that change values."""
        if pass_name in self.FLOAT_STAGES:
            from nncc.runtime.interpreter import run_float

            self.record(self.FLOAT_STAGES[pass_name], run_float(module, self.inputs))
        elif pass_name in self.FIXED_STAGES:
            from nncc.runtime.fixed_interpreter import run_fixed

            self.record(self.FIXED_STAGES[pass_name], run_fixed(module, self.inputs))

    def section(self) -> dict:
        """The report.json `fidelity` section."""
        return {"reference": self.source, "samples": int(len(next(iter(self.inputs.values())))), "stages": self.stages}

    def warnings(self, threshold: float) -> list[str]:
        """One line per output whose final argmax agreement is below ``threshold``, naming the
        stage that lost the most."""
        if not self.stages:
            return []
        lines = []
        for name, final in self.stages[-1]["outputs"].items():
            agreement = final.get("argmax_agreement")
            if agreement is None or agreement >= threshold:
                continue
            previous, worst, drop = 1.0, self.stages[-1]["stage"], -1.0
            for stage in self.stages:
                value = stage["outputs"][name].get("argmax_agreement", previous)
                if previous - value > drop:
                    worst, drop = stage["stage"], previous - value
                previous = value
            lines.append(
                f"warning: output '{name}': argmax agreement with the original model is {agreement} on the "
                f"calibration data, below {threshold} (largest drop at stage '{worst}': -{report_number(drop)})"
            )
        return lines


def fidelity_lines(section: Mapping) -> list[str]:
    """Terminal lines of a report's `fidelity` section: one row per stage and output."""
    from nncc.compiler.diagnostics import one_line

    lines = [f"fidelity against {section['reference']}, {section['samples']} calibration samples:"]
    rows = [("stage", "output", "max |err|", "mean |err|", "argmax agreement")]
    for stage in section["stages"]:
        for name, item in stage["outputs"].items():
            rows.append((stage["stage"], repr(one_line(name)), f"{item['max_abs_error']:g}", f"{item['mean_abs_error']:g}",
                         f"{item['argmax_agreement']:g}" if "argmax_agreement" in item else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return lines
