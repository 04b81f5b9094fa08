"""The steps of XNOR-popcount layers (`PopcountLayer`). A dense one (`steps/xnor.j2`): the input's sign
bits (1 when an element is >= 0) packed into 32-bit words, per output the XNOR with its
packed weight row, the popcount of the K valid bits (a mask per word drops the padding of
the last word), and ``2 * popcount - K``. The words are `nncc::word32` (an ``ap_uint<32>``
with the Xilinx headers, a ``uint32_t`` with nncc's own subset) and `nncc::popcount32`
counts their bits (`nncc_support.h`).

A windowed one (`binary_complex.xnor_conv`, `steps/xnor_conv.j2`): per output position the
window's sign bits and valid bits (odd raw values; the zero padding is even) packed the same
way from an index table (-1: padding), per output channel ``2 * popcount(XNOR & valid) -
popcount(valid)``, scaled to the accumulator's fraction and the bias added. In stream mode
the same step runs on the line-buffer stage's window array (one position).
"""

from __future__ import annotations

import numpy as np

from nncc.backends.hls_cpp.emitter import EmissionError, StepView, _Emitter, _pe_fields
from nncc.dialects.fixed import FixedType
from nncc.dialects.interfaces import PopcountLayer, Windowed
from nncc.dialects.nn.windows import window_index_table

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
    if isinstance(op, Windowed):
        return xnor_window_step(em, op)
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


def window_table(op: Windowed) -> np.ndarray:
    """[P, C * kh * kw]: per output position the flat input element of each window tap in
    the weights' (c, kh, kw) order, -1 in the padding."""
    geo = op.window_geometry()
    x, y = tuple(op.input.type.get_shape()), tuple(op.output.type.get_shape())
    cells = window_index_table(x[2:], tuple(op.weight.type.get_shape()[2:]), op.strides.get_values(),
                               op.pads.get_values(), op.dilations.get_values(), y[2:])  # [P, kk]
    plane = int(np.prod(x[2:], dtype=np.int64))
    table = np.stack([np.where(cells >= 0, c * plane + cells, -1) for c in range(geo.channels)], axis=1)
    return table.reshape(cells.shape[0], -1)


def xnor_window_step(em: _Emitter, op: PopcountLayer) -> None:
    """Declare a windowed XNOR layer's result and append its `xnor_conv` step (module docstring)."""
    bits = op.weight_bits()
    m, k = bits.shape
    acc, x, w = op.accumulator_type(), op.activation().type.element_type, op.weight.type.element_type
    if not all(isinstance(t, FixedType) for t in (acc, x, w)) or acc.frac < x.frac + w.frac:
        raise EmissionError(f"{op.name}: an XNOR convolution needs fixed-point types with integer products")
    name, type_name = em.result(op)
    table = window_table(op)
    bias = np.asarray(op.mac_terms().bias, np.int64)
    em.steps.append(
        StepView(
            "xnor_conv", name, type_name, m * table.shape[0], em.unroll(op), src=(em.src(op.input),),
            src_types=(em.type_names[op.input],), rows=m, cols=table.shape[0], inner=-(-k // WORD), value=k,
            scale=1 << (acc.frac - x.frac - w.frac), weight=em.table(f"{name}_words", pack_rows(bits)),
            table=em.table(f"{name}_window", table), bias=em.table(f"{name}_bias", bias),
            **{**_pe_fields(em), "multiplier_limit": 0},
        )
    )
