"""Resource-aware pruning (`sparse_prune_kind="knapsack"`, the `sparse-knapsack` pass) on the
scikit-learn digits fixtures, post-training: with a budget of 25 % of the dense multipliers the
planned multipliers are within the budget and the test accuracy on the bit-exact fixed-point
interpreter stays within 2 points of the float model's.

digits_mlp (64-32-32-10) at RF 4: dense 32*64/4 + 32*32/4 + 10*32/5 = 832 multipliers, budget
208; measured 94.6 % against float 96.5 % (540 test samples). digits_cnn (conv 8x3x3, conv
16x8x3x3, dense 10) at RF 1: dense 72 + 1152 + 640 = 1864, budget 466; 97.6 % against 98.0 %.
Calibration (and the input moments that drive the saliencies and the compensation) on the
first 256 training samples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.dialects import dataflow

from helpers import digits_data

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

FIXTURES = Path(__file__).parent.parent / "fixtures"
CASES = {"digits_mlp": ("flat", 4, 832), "digits_cnn": ("image", 1, 1864)}


@pytest.mark.parametrize("model", list(CASES))
def test_knapsack_meets_the_budget_and_keeps_accuracy(model, tmp_path):
    layout, rf, dense = CASES[model]
    x_train, _, x_test, y_test = digits_data().load_split(layout)
    np.save(tmp_path / "cal.npy", x_train[:256])
    design = nncc.compile(FIXTURES / f"{model}.onnx", tmp_path / "design", calibration=tmp_path / "cal.npy",
                          reuse_factor=rf, target="verilog", sparse_prune=0.75, sparse_prune_kind="knapsack")
    pes = [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]
    planned = sum(pe.multipliers.value.data for pe in pes)
    assert planned <= dense // 4, planned
    float_acc = np.mean(design.predict(x_test, engine="float").argmax(1) == y_test)
    fixed_acc = np.mean(design.predict(x_test, engine="fixed").argmax(1) == y_test)
    print(f"\n{model} RF {rf}: {planned} of {dense} dense multipliers; accuracy float {float_acc:.4f}, fixed {fixed_acc:.4f}")
    assert fixed_acc >= float_acc - 0.02
