"""The step of an XNOR-popcount layer (`PopcountLayer`, `steps/xnor.j2`): the input's sign
bits (1 when an element is >= 0) packed into 32-bit words, per output the XNOR with its
packed weight row, the popcount of the K valid bits (a mask per word drops the padding of
the last word), and ``2 * popcount - K``. The words are `nncc::word32` (an ``ap_uint<32>``
with the Xilinx headers, a ``uint32_t`` with nncc's own subset) and `nncc::popcount32`
counts their bits (`nncc_support.h`).
"""

from __future__ import annotations

import numpy as np

from nncc.backends.hls_cpp.emitter import EmissionError, StepView, _Emitter, _pe_fields
from nncc.dialects.interfaces import PopcountLayer

WORD = 32
"""Bits per packed word of the C++ (a C-simulation and HLS packing, not a hardware choice:
HLS builds the same XNOR gates and adder tree from any word width)."""


def pack_rows(bits: np.ndarray) -> np.ndarray:
    """[M, K] bits -> [M, ceil(K / WORD)] words (bit k of a row in bit k % WORD of word k // WORD)."""
    m, k = bits.shape
    words = -(-k // WORD)
    padded = np.zeros((m, words * WORD), np.int64)
    padded[:, :k] = bits
    weights = np.int64(1) << np.arange(WORD, dtype=np.int64)
    return (padded.reshape(m, words, WORD) * weights).sum(axis=-1)


def xnor_step(em: _Emitter, op: PopcountLayer) -> None:
    """Declare the layer's result and append its XNOR-popcount step."""
    bits = op.weight_bits()
    m, k = bits.shape
    if op.outputs() != m:
        raise EmissionError(f"{op.name}: the XNOR step needs one input row ({op.outputs()} outputs, {m} weight rows)")
    name, type_name = em.result(op)
    x = op.activation()
    words = pack_rows(bits)
    masks = pack_rows(np.ones((1, k), np.int64))[0]
    em.steps.append(
        StepView(
            "xnor", name, type_name, m, em.unroll(op), src=(em.src(x),), src_types=(em.type_names[x],),
            rows=1, cols=m, inner=words.shape[1], value=k,
            weight=em.table(f"{name}_words", words), table=em.table(f"{name}_masks", masks),
            **{**_pe_fields(em), "multiplier_limit": 0},
        )
    )
