"""The `recurrent` dialect: recurrent layers (LSTM, GRU) with explicit gate weights.

See `ops.py` for the float-level ops, `cells.py` for their equations, `scan.py` for the
fixed-point level (one cell step applied over time), `to_fixed.py` for the lowering and
`delta.py` for the delta form (DeltaLSTM / DeltaGRU).
"""

from __future__ import annotations

from xdsl.ir import Dialect

from nncc.dialects.recurrent.delta import DeltaAccumulateOp
from nncc.dialects.recurrent.ops import RECURRENT_OPS, GruOp, LstmOp
from nncc.dialects.recurrent.scan import ScanOp, YieldOp

RECURRENT = Dialect("recurrent", list(RECURRENT_OPS) + [ScanOp, YieldOp, DeltaAccumulateOp], [])

__all__ = ["RECURRENT", "DeltaAccumulateOp", "GruOp", "LstmOp", "ScanOp", "YieldOp"]
