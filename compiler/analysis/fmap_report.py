"""The `fmap_compression` section of report.json: for every feature map `nn-compress-fmap`
compressed, the buffer bits before and after, and what the coefficients cost with sparse
coding and how far the decoded map is from the uncompressed one, on the calibration data."""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Operation

from nncc.compiler.analysis.fidelity import report_number
from nncc.compiler.analysis.stream_report import plain_dict
from nncc.dialects import dataflow, fixed
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.interfaces import layer_label
from nncc.dialects.nn.attrs import CODEC_ATTR


def _codec(op: Operation) -> dict | None:
    attr = op.attributes.get(CODEC_ATTR)
    return plain_dict(attr) if isinstance(attr, DictionaryAttr) else None


def _per_sample(value) -> int:
    return int(np.prod(value.type.get_shape()[1:]))


def fmap_section(design: ModuleOp, every: dict) -> list[dict]:
    """One entry per compressed map, from the fixed design and its traced raw values
    (``every``: op result -> raw values, `report.fixed_trace`).

    ``blocks``: the B x B blocks of all channels; ``buffer_bits_before``: the map's bits per
    sample at its fixed-point type;
    ``buffer_bits_after``: the coefficient buffer the hardware holds (every kept coefficient
    of every block at ``bits``); ``sparse_coded_bits_mean`` / ``_max``: the same coefficients
    coded per block as a bitmap of the kept positions plus the non-zero values (what a buffer
    memory with that code would hold, the worst sample and the mean); ``decoded_max_abs_error``
    / ``_mean``: |decoded map - map| in real units; ``codec_macs``: the encoder's and the
    decoder's multiply-accumulates per sample (B^2 per kept coefficient each)."""
    traced = {}
    for op in design.walk():
        if op.results and op.results[0] in every:
            traced[layer_label(op)] = op.results[0]  # the last traced op of each layer: its output
    entries, seen = [], set()
    for op in design.walk():
        codec = _codec(op)
        if codec is None or codec["role"] != "encode" or codec["edge"] in seen:
            continue  # (a PE and the layer in its body both carry the attribute)
        edge = codec["edge"]
        seen.add(edge)
        layer = op.parent_op() if isinstance(op.parent_op(), dataflow.PeOp) else op
        source, stored, decoded = layer.operands[0], traced[layer_label(op)], traced[f"{edge}/dct_reorder"]
        entries.append(_entry(codec, source, stored, decoded, every))
    return entries


def _entry(codec: dict, source, stored, decoded, every: dict) -> dict:
    bits, count = fixed.fixed_of(stored).width.data, codec["coefficients"]
    before = _per_sample(source) * fixed.fixed_of(source).width.data
    after = _per_sample(stored) * bits
    coefficients = every[stored]
    samples = coefficients.shape[0]
    per_block = coefficients.reshape(samples, -1, count, *coefficients.shape[2:])
    nonzero = np.count_nonzero(per_block, axis=2)
    blocks = nonzero.size // samples
    coded = blocks * count + nonzero.reshape(samples, -1).sum(axis=1) * bits
    error = np.abs(fm.to_float(every[decoded], fixed.fixed_of(decoded).frac)
                   - fm.to_float(every[source], fixed.fixed_of(source).frac))
    return {
        "edge": codec["edge"], "shape": list(source.type.get_shape()[1:]), "table": codec["table"],
        "block": codec["block"], "quality": codec["quality"], "keep": codec["keep"], "coefficients_per_block": count,
        "bits_per_coefficient": bits, "blocks": int(blocks),
        "buffer_bits_before": before, "buffer_bits_after": after, "ratio": report_number(before / after),
        "zero_coefficients": report_number(1 - np.count_nonzero(per_block) / per_block.size),
        "sparse_coded_bits_mean": report_number(coded.mean()), "sparse_coded_bits_max": int(coded.max()),
        "sparse_coded_ratio": report_number(before / coded.mean()),
        "codec_macs": int(2 * per_block.size // samples * codec["block"] ** 2),
        "decoded_max_abs_error": report_number(error.max(initial=0.0)),
        "decoded_mean_abs_error": report_number(error.mean() if error.size else 0.0),
    }
