"""The steps of shift-and-add layers (`pot_quant.uses_shift_add`: power-of-two and binary
weights, `steps/shift.j2`) from their term plan (`pot_quant.term_plan`): every product is an
input (or a shared sub-expression) shifted left, added or subtracted. In stream mode the same
step runs on a line-buffer stage's window array: one row, the output channels of one pixel.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nncc.backends.hls_cpp.emitter import StepView, _Emitter
from nncc.dialects import pot_quant


def shift_step(em: _Emitter, op, base: StepView, window: bool) -> StepView:
    """``base`` with the tables of a shift-and-add layer's term plan; with ``window`` the
    plan of one output pixel over a window array (a stream line-buffer stage: one row, the
    output channels as columns, tables named ``<layer>_win_*``)."""
    plan = pot_quant.term_plan(op, window=window)
    name = f"{base.out}_win" if window else base.out
    ends, src, shift, neg = plan.ends, plan.sources, plan.shifts, (plan.signs < 0).astype(np.int64)
    s_src, s_end, s_shift, s_neg = [], [], [], []
    for element, digits in plan.shared:
        s_src.append(element)
        for sign, amount in digits:
            s_shift.append(amount)
            s_neg.append(int(sign < 0))
        s_end.append(len(s_shift))
    shared = {}
    if plan.shared:
        shared = dict(
            shared_src=em.table(f"{name}_shared_src", np.asarray(s_src)),
            shared_shift=em.table(f"{name}_shared_shift", np.asarray(s_shift)),
            shared_neg=em.table(f"{name}_shared_neg", np.asarray(s_neg)),
            shared_end=em.table(f"{name}_shared_end", np.asarray(s_end)),
            shared_count=len(plan.shared),
        )
    cols = plan.outputs
    return replace(
        base, template="shift", size=cols if window else base.size, rows=1 if window else base.size // cols,
        cols=cols, inner=plan.inputs, unroll=True if window else base.unroll,
        bias=em.table(f"{name}_init", np.asarray(plan.bias, np.int64)),
        terms_src=em.table(f"{name}_src", src if len(src) else np.zeros(1)),  # (a C array needs an element)
        terms_shift=em.table(f"{name}_shift", shift if len(shift) else np.zeros(1)),
        terms_neg=em.table(f"{name}_neg", neg if len(neg) else np.zeros(1)),
        terms_end=em.table(f"{name}_end", np.asarray(ends)),
        **shared,
    )
