"""Complexity metrics of recurrent layers (`RecurrentProducts`): the matrix-vector products
and the element-wise state products of one time step, repeated over the T steps.

A float recurrent layer's products (the input matrix W, ``G·H x I``, and the recurrent matrix
R, ``G·H x H``, G = 4 gates for an LSTM, 3 for a GRU) become dense `LayerSpec` records with
``P = T`` positions, so RMpS = ``T·G·H·(I + H)`` with dense weights; at the fixed-point level
the step's own `fixed.dense` layers are counted by `complexity.layer_spec`, also with their
positions multiplied by T. The element-wise products of the state update (an LSTM's
``f⊙c, i⊙g, o⊙tanh(c)``: 3H per step; a GRU's reset product and ``z⊙(h − n)``: 2H) are one
more row per layer: RMpS = their count · T, BoP = count · T · ``b_a·b_b``, NLG = count · T ·
(``b_a·b_b`` AND gates + ``b_a − 1`` adders of ``b_b`` bits) and NABS = count · T ·
(``b_a`` shifts + ``b_a − 1`` adds: the array multiplier's partial products), at the fixed-point
level (None for float operands, like float weights). Activations are not counted (a table costs
no multiplication).
"""

from __future__ import annotations

from nncc.compiler.analysis.complexity import FULL_ADDER_GATES, LayerSpec, layer_metrics
from nncc.dialects.interfaces import RecurrentProducts, layer_label


def _state_row(layer: RecurrentProducts, activation_bits: int) -> dict:
    steps = layer.time_steps()
    count = bop = nlg = nabs = 0
    for elements, a_bits, b_bits in layer.state_products():
        a, b = a_bits or activation_bits, b_bits or activation_bits
        count += elements * steps
        bop += elements * steps * a * b
        nlg += elements * steps * (a * b + FULL_ADDER_GATES * (a - 1) * b)
        nabs += elements * steps * (2 * a - 1)
    integer = all(a is not None for _, a, _ in layer.state_products())
    return {"name": f"{layer_label(layer)} (state products)", "kind": "elementwise", "w_bits": None,
            "x_bits": activation_bits, "multiplierless": False, "shared": False, "rmps": float(count),
            "bop": float(bop), "nabs": float(nabs) if integer else None, "nlg": float(nlg) if integer else None,
            "multiplications": count,
            "additions": None, "shifts": None, "accumulation_adds": 0}


def recurrent_rows(module, activation_bits: int = 32) -> list[dict]:
    """One metrics row per float product of each recurrent layer (dense, P = T) and one for
    its element-wise state products."""
    rows = []
    for layer in [op for op in module.walk() if isinstance(op, RecurrentProducts)]:
        for role, weights in layer.step_products():
            spec = LayerSpec(name=f"{layer_label(layer)} ({role})", kind="dense", weights=weights,
                             positions=layer.time_steps(), groups=1, x_bits=activation_bits, w_bits=32, acc_bits=None,
                             bias=True, integer=False, multiplierless=False, shared=False)
            rows.append({"name": spec.name, "kind": "dense", "w_bits": 32, "x_bits": activation_bits,
                         "multiplierless": False, "shared": False, **layer_metrics(spec)})
        rows.append(_state_row(layer, activation_bits))
    return rows
