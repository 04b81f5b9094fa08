"""The generic step of a multiply-accumulate layer (`steps/mac.j2`): any `MacLayer` the HLS
C++ back end has no dedicated construct for (a plugin's layer, say) is printed from its
`mac_terms()` as gathered dot products, in raw integer arithmetic.

Output element ``o`` of a sample is ``bias[c] + sum_k weights[c, k] * x[index[o, k]]`` with
``c = channel[o]`` and ``index == -1`` reading zero (`MacTerms`); the four tables are
`static const` arrays of the design. The products carry the activation's fraction plus the
weights' (the fraction of the layer's weight operand, `weight_operand`; the accumulator's
when the weights are not an operand), and the accumulator (`accumulator_type()`) may have
more fraction bits: the weights table holds the raw weights shifted left by the difference,
so the sum needs no alignment. The sum wraps modulo 2^64 (unsigned C++ arithmetic) and then
to the accumulator's width, which is exact whenever the accumulator holds the result.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from xdsl.ir import Operation

from nncc.backends.hls_cpp.emitter import EmissionError, StepView, _Emitter, _pe_fields, _size
from nncc.dialects import dataflow
from nncc.dialects.fixed import FixedType
from nncc.dialects.interfaces import MacLayer
from nncc.dialects.nn.semantics import weight_operand
from nncc.dialects.sparse_plan import channel_clusters, output_clusters, packed_terms


def product_shift(op: MacLayer) -> int:
    """Fraction bits of the accumulator beyond those of a raw product (>= 0)."""
    acc, x = op.accumulator_type(), op.activation().type.element_type
    if not isinstance(acc, FixedType) or not isinstance(x, FixedType):
        raise EmissionError(f"{op.name}: a multiply-accumulate layer needs fixed-point activation and accumulator")
    weight = weight_operand(op)
    w = weight.type.element_type if weight is not None else None
    product_frac = x.frac + w.frac if isinstance(w, FixedType) else acc.frac
    if acc.frac < product_frac:
        raise EmissionError(f"{op.name}: accumulator fraction {acc.frac} is below the product fraction {product_frac}")
    return acc.frac - product_frac


def mac_step(em: _Emitter, op: MacLayer) -> None:
    """Declare the layer's result and append its gathered-dot-product step."""
    terms = op.mac_terms()
    weights = np.asarray(terms.weights)
    if weights.dtype.kind not in "iu":
        raise EmissionError(f"{op.name}: mac_terms() must give raw integer weights at the fixed-point level")
    n, k = terms.index.shape
    if n != _size(op.results[0]) or terms.channel.shape != (n,) or weights.shape[1] != k:
        raise EmissionError(f"{op.name}: mac_terms() index {terms.index.shape}, channel {terms.channel.shape} and "
                            f"weights {weights.shape} do not fit the {_size(op.results[0])} outputs")
    _append(em, op, terms.index, terms.channel, weights, terms.bias)


def sparse_mac_step(em: _Emitter, op: MacLayer) -> None:
    """A sparse layer (its PE has a `#dataflow.lane_plan`): the gathered dot products over the
    packed non-zero terms only, one row per output (-1 pads the shorter rows), under the
    PE's lane count as multiplier budget."""
    terms = op.mac_terms()
    raw = np.asarray(terms.weights)
    index, weights = _packed_tables(packed_terms(op, window=False), lambda o, ks: terms.index[o, ks],
                                    lambda o, ks: raw[terms.channel[o], ks])
    _append(em, op, index, np.arange(len(index)), weights, np.asarray(terms.bias)[terms.channel])


def _packed_tables(packed: list[np.ndarray], elements, weights) -> tuple[np.ndarray, np.ndarray]:
    """The tables of a sparse step: per output its packed non-zero terms' input elements,
    padded with -1 ([N, widest]; ``elements(o, terms)``), and their raw weights ([N, widest],
    zero pads; ``weights(o, terms)``)."""
    width = max(1, max((len(t) for t in packed), default=0))
    index = np.full((len(packed), width), -1, np.int64)
    values = np.zeros((len(packed), width), np.int64)
    for o, ks in enumerate(packed):
        index[o, :len(ks)] = elements(o, ks)
        values[o, :len(ks)] = weights(o, ks)
    return index, values


def _append(em: _Emitter, op: MacLayer, index: np.ndarray, channel: np.ndarray, weights: np.ndarray, bias) -> None:
    shift = product_shift(op)
    n, k = index.shape
    name, type_name = em.result(op)
    x = op.activation()
    em.steps.append(
        StepView(
            "mac", name, type_name, n, em.unroll(op), src=(em.src(x),), src_types=(em.type_names[x],),
            acc_type=em.declare_type(f"t_{name}_acc", op.accumulator_type()),
            rows=n, inner=k,
            table=em.table(f"{name}_index", index),
            table2=em.table(f"{name}_channel", channel),
            weight=em.table(f"{name}_weights", weights.astype(np.int64) << np.int64(shift)),
            bias=em.table(f"{name}_bias", np.asarray(bias, np.int64)),
            **_pe_fields(em),
        )
    )


def _cluster_tables(clusters: list[list[np.ndarray]], elements, weight) -> tuple[np.ndarray, np.ndarray]:
    """The tables of a codebook step: per output and cluster its input elements, padded to
    the largest cluster with -1 ([N, lanes, M]; ``elements(o, members)`` maps term indices to
    input elements), and its raw weight ([N, lanes]; ``weight(o, first member)``)."""
    n = len(clusters)
    lanes = max(1, max((len(c) for c in clusters), default=0))
    width = max([1] + [len(m) for cl in clusters for m in cl])
    index = np.full((n, lanes, width), -1, np.int64)
    values = np.zeros((n, lanes), np.int64)
    for o, cl in enumerate(clusters):
        for c, members in enumerate(cl):
            index[o, c, :len(members)] = elements(o, members)
            values[o, c] = weight(o, members[0])
    return index, values


def codebook_mac_step(em: _Emitter, op: MacLayer) -> None:
    """A codebook layer (its PE has a `#dataflow.cluster_plan`): per output, the inputs of
    each cluster (terms sharing one raw weight) are added first and each sum is multiplied
    once by the cluster's weight (`steps/codebook.j2`). Tables: per (output, cluster) the
    weight and the M input elements (-1 pads), the bias per output."""
    terms = op.mac_terms()
    clusters = output_clusters(op)
    n = len(clusters)
    weights = np.asarray(terms.weights)
    index, values = _cluster_tables(clusters, lambda o, members: terms.index[o, members],
                                    lambda o, first: weights[terms.channel[o], first])
    lanes, width = index.shape[1:]
    name, type_name = em.result(op)
    x = op.activation()
    em.steps.append(
        StepView(
            "codebook", name, type_name, n, em.unroll(op), src=(em.src(x),), src_types=(em.type_names[x],),
            acc_type=em.declare_type(f"t_{name}_acc", op.accumulator_type()),
            rows=n, inner=lanes, cols=width,
            table=em.table(f"{name}_index", index),
            weight=em.table(f"{name}_values", values << np.int64(product_shift(op))),
            bias=em.table(f"{name}_bias", np.asarray(terms.bias, np.int64)[terms.channel]),
            **_pe_fields(em),
        )
    )


def window_lane_step(em: _Emitter, pe_op: Operation, parallel: StepView) -> StepView:
    """A sparse or clustered sliding-window engine in stream mode: the per-pixel step over
    the window array (channels x kh x kw in the weights' order, a grouped layer's block per
    output channel): per output channel its packed non-zero terms (``mac``) or its clusters
    (``codebook``), from the step the parallel form built (``parallel``)."""
    layer = pe_op.layer()
    geo = dataflow.window_geometry(layer)
    cells = (geo.channels // geo.group) * geo.kernel[0] * geo.kernel[1]
    n, per_group = geo.out_channels, geo.out_channels // geo.group
    base = np.array([(m // per_group) * cells for m in range(n)], np.int64)
    terms = layer.mac_terms()
    weights, bias = np.asarray(terms.weights, np.int64), np.asarray(terms.bias, np.int64)
    name = parallel.out
    if parallel.template == "codebook":
        index, values = _cluster_tables(channel_clusters(layer), lambda m, members: base[m] + members,
                                        lambda m, first: weights[m, first])
        return replace(parallel, size=n, rows=n, inner=index.shape[1], cols=index.shape[2], unroll=True,
                       table=em.table(f"{name}_win_index", index),
                       weight=em.table(f"{name}_win_values", values << np.int64(product_shift(layer))),
                       bias=em.table(f"{name}_win_bias", bias))
    index, packed_w = _packed_tables(packed_terms(layer, window=True), lambda m, ks: base[m] + ks,
                                     lambda m, ks: weights[m, ks])
    return replace(parallel, size=n, rows=n, inner=index.shape[1], unroll=True,
                   table=em.table(f"{name}_win_index", index), table2=em.table(f"{name}_win_channel", np.arange(n)),
                   weight=em.table(f"{name}_win_weights", packed_w << np.int64(product_shift(layer))),
                   bias=em.table(f"{name}_win_bias", bias))
