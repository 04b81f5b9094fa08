"""Weight clustering (`sparse_cluster`, the `sparse-cluster` pass) on the scikit-learn digits
MLP (64-32-32-10), post-training: at 8 clusters per neuron every layer gets
`#encoding.codebook<k = 8, neuron>`, each output's raw weights take at most 8 values, and the
test accuracy on the bit-exact fixed-point interpreter stays within 1 point of the float
model's (measured 95.9 % against 96.5 %, 540 test samples; calibration and the input moments
of the refit on the first 256 training samples).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.dialects import fixed
from nncc.dialects.dense import from_dense
from nncc.dialects.encodings import CodebookAttr, codebook_groups

from helpers import digits_data

pytest.importorskip("sklearn")

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_digits_mlp_at_8_clusters_per_neuron_keeps_accuracy(tmp_path):
    x_train, _, x_test, y_test = digits_data().load_split("flat")
    np.save(tmp_path / "cal.npy", x_train[:256])
    design = nncc.compile(FIXTURES / "digits_mlp.onnx", tmp_path / "design", calibration=tmp_path / "cal.npy",
                          target="hls-cpp", sparse_cluster=8)
    layers = [op for op in design.design.walk() if isinstance(op, (fixed.DenseOp, fixed.ConvOp))]
    assert len(layers) == 3 and all(op.encoding == CodebookAttr(8, "neuron") for op in layers)
    for op in layers:
        values = codebook_groups(np.asarray(from_dense(op.weight.owner.value)), "neuron")
        assert max(v.size for v in values) <= 8 and min(v.size for v in values) >= 2
    float_acc = np.mean(design.predict(x_test, engine="float").argmax(1) == y_test)
    fixed_acc = np.mean(design.predict(x_test, engine="fixed").argmax(1) == y_test)
    print(f"\ndigits_mlp k = 8 per neuron: accuracy float {float_acc:.4f}, fixed {fixed_acc:.4f}")
    assert fixed_acc >= float_acc - 0.01
