"""The xDSL context with every dialect an nncc module may contain."""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func


def nncc_dialect_factories() -> dict:
    """Lazy dialect factories by name (used by the context, nncc-opt and the xDSL universe)."""

    def _nn():
        from nncc.dialects.nn import NN

        return NN

    def _fixed():
        from nncc.dialects.fixed import FIXED

        return FIXED

    def _dataflow():
        from nncc.dialects.dataflow import DATAFLOW

        return DATAFLOW

    def _pot_quant():
        from nncc.dialects.pot_quant import POT_QUANT

        return POT_QUANT

    def _encoding():
        from nncc.dialects.encodings import ENCODING

        return ENCODING

    def _binary_complex():
        from nncc.dialects.binary_complex import BINARY_COMPLEX

        return BINARY_COMPLEX

    def _emit():
        from nncc.dialects.emit import EMIT

        return EMIT

    def _recurrent():
        from nncc.dialects.recurrent import RECURRENT

        return RECURRENT

    return {"nn": _nn, "fixed": _fixed, "dataflow": _dataflow, "pot_quant": _pot_quant, "encoding": _encoding,
            "emit": _emit, "recurrent": _recurrent, "binary_complex": _binary_complex}


def make_context() -> Context:
    """A fresh context with builtin, func and all nncc dialects loaded lazily."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    for name, factory in nncc_dialect_factories().items():
        ctx.register_dialect(name, factory)
    return ctx
