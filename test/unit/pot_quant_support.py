"""Helpers shared by test_pot_quant.py and test_pot_quant_lowering.py (not a test module)."""

from __future__ import annotations

import functools
import itertools
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from nncc.compiler.api import parse_mlir
from nncc.compiler.flow import layer_name
from nncc.dialects import nn
from nncc.dialects.pot_quant import (
    WeightsOp,
)
from nncc.passes.pot_quant_quantize import PotQuantQuantizePass

FIXTURES = Path(__file__).parent.parent / "fixtures"
MLP = FIXTURES / "mlp.onnx"
CNN = FIXTURES / "cnn.onnx"
BIN = Path(sys.executable).parent
SHAPES = {"mlp": (16,), "cnn": (1, 16, 16)}

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")


def _scheme(**options):
    return PotQuantQuantizePass(**options).scheme({})


@functools.cache
def _book(low: int, terms: int, zero_code: bool) -> np.ndarray:
    """Relative codebook values, enumerated independently of the pass (see the module doc)."""
    values = {0.0} if zero_code else set()
    for n in range(1, terms + 1) if zero_code else (terms,):
        for exps in itertools.combinations(range(low, 1), n):
            for signs in itertools.product((1, -1), repeat=n):
                values.add(math.fsum(s * 2.0**e for s, e in zip(signs, exps)))
    return np.array(sorted(values))


def _dense_module(arrays: dict[str, np.ndarray], options: dict[str, dict] | None = None):
    """A module with one nn.dense per weight array (loc = its name), as float32 constants."""
    options = options or {}
    k = next(iter(arrays.values())).shape[1]
    lines, results, types = [], [], []
    for i, (name, w) in enumerate(arrays.items()):
        m, kk = w.shape
        assert kk == k
        values = str(w.astype(np.float32).astype(np.float64).tolist())
        attrs = f" {{pot_quant.options = {options[name]}}}" if name in options else ""
        lines.append(f"  %w{i} = nn.constant dense<{values}> : tensor<{m}x{k}xf32>")
        lines.append(f"  %y{i} = nn.dense %x, %w{i}{attrs} : (tensor<1x{k}xf32>, tensor<{m}x{k}xf32>) -> tensor<1x{m}xf32> loc(\"{name}\")")
        results.append(f"%y{i}")
        types.append(f"tensor<1x{m}xf32>")
    text = (f"func.func @main(%x: tensor<1x{k}xf32>) -> ({', '.join(types)}) {{\n" + "\n".join(lines)
            + f"\n  func.return {', '.join(results)} : {', '.join(types)}\n}}\n")
    return parse_mlir(text)


def _coded(module) -> dict[str, WeightsOp]:
    out = {}
    for op in module.walk():
        if isinstance(op, nn.DenseOp) and isinstance(op.weight.owner, WeightsOp):
            out[layer_name(op)] = op.weight.owner
    return out
