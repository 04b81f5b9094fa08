"""The `binary_complex` dialect: binarized and complex-valued layers.

`binary.py`: the binarized layers at the fixed-point level (XNOR-popcount dense, the folded
batch-norm + sign threshold, the binarized complex dot product `complex_xnor_popcount`).
`xnor_conv.py`: the XNOR-popcount convolution (`xnor_conv`, zero padding counted out).
`sign.py`: the folded batch norm + sign at the float level (`sign_threshold`, which lowers
to `threshold`).
`complex.py`: the complex-valued layers at the float level (`complex_conv`,
`complex_dense`), which lower to real `fixed.conv` / `fixed.dense` layers (`lowering.py`).
"""

from __future__ import annotations

from xdsl.ir import Dialect

from nncc.dialects.binary_complex.binary import *  # noqa: F401,F403
from nncc.dialects.binary_complex.binary import ThresholdOp, XnorDenseOp
from nncc.dialects.binary_complex.xnor_conv import XnorConvOp, window_popcount  # noqa: F401
from nncc.dialects.binary_complex.sign import SignThresholdOp, threshold_values  # noqa: F401
from nncc.dialects.binary_complex.complex import (  # noqa: F401
    COMPLEX_OPS, ComplexConvOp, ComplexDenseOp, complex_parts, real_equivalent,
)

BINARY_COMPLEX = Dialect("binary_complex", [XnorDenseOp, XnorConvOp, ThresholdOp, SignThresholdOp, *COMPLEX_OPS], [])
