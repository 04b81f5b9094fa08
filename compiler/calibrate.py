"""Calibration: record the value range of every layer on sample inputs, in the IR.

The ranges become `fixed.range = array<f64: min, max>` attributes on the ops (and on
`@main`'s arguments), which `convert-nn-to-fixed` reads to choose integer bits. Running
this is the only step of quantization that needs data; passes stay pure.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, DictionaryAttr, ModuleOp, f64
from xdsl.ir import Operation

from nncc.dialects import nn
from nncc.dialects.pot_quant import WeightsOp
from nncc.dialects.fixed.quantization import RANGE_ATTR
from nncc.runtime.interpreter import io_names, main_function, run_float


def _range_attr(lo: float, hi: float) -> DenseArrayBase:
    return DenseArrayBase.from_list(f64, [float(lo), float(hi)])


def calibrate(module: ModuleOp, inputs: Mapping[str, np.ndarray]) -> dict[Operation, tuple[float, float]]:
    """Run the float interpreter on ``inputs`` and annotate every layer with its range.

    Returns the ranges by op as well (graph inputs are annotated on the arguments).
    """
    ranges: dict[Operation, tuple[float, float]] = {}

    def observe(op: Operation, value: np.ndarray) -> None:
        if not isinstance(op, (nn.ConstantOp, WeightsOp)) and value.size:
            ranges[op] = (float(value.min()), float(value.max()))

    run_float(module, inputs, observe=observe)
    for op, (lo, hi) in ranges.items():
        op.attributes[RANGE_ATTR] = _range_attr(lo, hi)
    function = main_function(module)
    names, _ = io_names(function)
    old = function.arg_attrs.data if function.arg_attrs else [DictionaryAttr({})] * len(names)
    new = []
    for name, attrs in zip(names, old):
        x = np.asarray(inputs[name])
        entries = dict(attrs.data)
        entries[RANGE_ATTR] = _range_attr(x.min(), x.max())
        new.append(DictionaryAttr(entries))
    function.arg_attrs = ArrayAttr(new)
    return ranges
