"""The one input check every engine runs (float and fixed interpreters, C-sim, RTL sim,
the Python API and calibration), so a bad batch gets the same one-line message everywhere.

A batch is a mapping from graph input name to a batch-first array (or one array for a
single-input model). It must name exactly the model's inputs, every array must be numeric
with the model's per-sample shape, all inputs must share one non-zero batch size, and, for
every fixed-point engine and for calibration, every value must be finite: fixed-point
hardware has no NaN or infinity, so a non-finite value is refused rather than silently
turned into a saturated number. The float engine keeps IEEE semantics (NaN propagates, as in
onnxruntime).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


class InputError(ValueError):
    """A batch that does not fit the design (names, shape, dtype, batch size, NaN/Inf)."""


def check_inputs(
    inputs,
    names: Sequence[str],
    shapes: Sequence[Sequence[int]],
    *,
    what: str = "",
    finite: bool = True,
) -> dict[str, np.ndarray]:
    """Validate a batch against the inputs ``names`` with per-sample ``shapes`` (batch axis
    first, its size ignored) and return it as float32 arrays keyed by input name.

    ``what`` prefixes the messages (e.g. "--calibration"). ``finite`` refuses NaN and
    infinity (every fixed-point engine and calibration); the float engine passes False and
    follows IEEE arithmetic as onnxruntime does. Raises `InputError`.
    """
    prefix = f"{what}: " if what else ""
    if isinstance(inputs, np.ndarray) or not isinstance(inputs, Mapping):
        if len(names) != 1:
            raise InputError(f"{prefix}the model has inputs {list(names)}; pass a mapping from input name to array")
        inputs = {names[0]: inputs}
    missing = [n for n in names if n not in inputs]
    extra = [str(k) for k in inputs if k not in names]
    if missing or extra:
        raise InputError(f"{prefix}inputs {sorted(map(str, inputs))} do not match the model's inputs {list(names)}")
    checked: dict[str, np.ndarray] = {}
    batch = None
    for name, shape in zip(names, shapes):
        x = np.asarray(inputs[name])
        if x.dtype.kind not in "fiub":
            raise InputError(f"{prefix}input '{name}' has non-numeric dtype {x.dtype}")
        expected = tuple(int(d) for d in shape)
        if x.ndim != len(expected) or tuple(x.shape[1:]) != expected[1:]:
            raise InputError(
                f"{prefix}input '{name}' has shape {list(x.shape)}; expected [batch, {', '.join(map(str, expected[1:]))}]"
            )
        if x.shape[0] == 0:
            raise InputError(f"{prefix}input '{name}' is an empty batch")
        if batch is None:
            batch = x.shape[0]
        elif x.shape[0] != batch:
            raise InputError(f"{prefix}inputs have different batch sizes ({batch} and {x.shape[0]})")
        x = x.astype(np.float32)
        bad = ~np.isfinite(x) if finite else None
        if bad is not None and bad.any():
            first = int(np.argmax(bad.reshape(len(x), -1).any(axis=1)))
            raise InputError(
                f"{prefix}input '{name}' has {int(bad.sum())} NaN/Inf value(s) (first in sample {first}); "
                "fixed-point hardware has no NaN or infinity: remove or replace them"
            )
        checked[name] = x
    return checked
