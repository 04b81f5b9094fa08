"""The `recurrent` dialect: recurrent layers (LSTM, GRU) with explicit gate weights.

See `ops.py` for the float-level ops, `cells.py` for their equations.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from nncc.dialects.recurrent.ops import RECURRENT_OPS, GruOp, LstmOp

RECURRENT = Dialect("recurrent", list(RECURRENT_OPS), [])

__all__ = ["RECURRENT", "GruOp", "LstmOp"]
