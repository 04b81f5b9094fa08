"""Plain helper functions shared by the unit tests (fixtures are in conftest.py).

Import them as `from helpers import ops_of`: test/unit/conftest.py puts this folder on
sys.path (pytest runs with --import-mode=importlib, which does not).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import onnx

import nncc

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def ops_of(module, name: str) -> list:
    """The ops named ``name`` in ``module`` (an IR module), in walk order."""
    return [op for op in module.walk() if op.name == name]


def differing_bits(a: np.ndarray, b: np.ndarray) -> int:
    """Number of bits in which two float64 arrays of the same shape differ."""
    x = np.ascontiguousarray(a, np.float64).view(np.uint64) ^ np.ascontiguousarray(b, np.float64).view(np.uint64)
    return int(np.unpackbits(x.view(np.uint8)).sum())


def compile_model(model: onnx.ModelProto, folder: Path, x: np.ndarray) -> nncc.Design:
    """Save ``model`` and calibration data ``x`` in ``folder``, compile into folder/out."""
    onnx.save(model, folder / "model.onnx")
    np.save(folder / "calibration.npy", x)
    return nncc.compile(folder / "model.onnx", folder / "out", calibration=folder / "calibration.npy")


@functools.cache
def digits_data() -> ModuleType:
    """test/fixtures/digits_data.py (the digits split of digits_mlp/digits_cnn), loaded by path."""
    spec = importlib.util.spec_from_file_location("digits_data", FIXTURES / "digits_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
