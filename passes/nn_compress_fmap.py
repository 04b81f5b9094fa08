"""`nn-compress-fmap`: a block-DCT encoder / decoder pair on one feature map.

Inter-layer feature-map compression (DCT + quantisation + sparse coding between layers): the
value an ONNX node produces, a feature map N x C x H x W, is replaced by

1. an encoder, `nn.conv` with one group per channel, B x B kernels at stride B (``block``,
   default 8; the map zero-padded at its bottom and right to multiples of B): each output
   channel is one kept 2-D DCT-II coefficient F(u, v) of one input channel's B x B block, divided by the
   quantisation step q(u, v) of the table. Its output is the coefficient buffer: its fixed-point
   width is ``bits`` (config precision `width`, the step calibrated like any layer's), so
   `round(F / (q s))` with the calibrated LSB s is what it holds;
2. a decoder, a 1 x 1 `nn.conv` with one group per channel: the B^2 pixels of every block as
   sums of the kept coefficients times q(u, v) times the DCT basis (the inverse transform);
3. an `nn.gather` putting each block's pixels back in place (and cutting the padding).

Every later user of the value reads the decoder's result. The coefficients kept are those
with u + v <= ``keep`` (a zonal mask, 0..2(B - 1); -1, the default, keeps all B^2), in
zig-zag order; ``table`` is `jpeg` (the JPEG luminance table scaled to ``quality`` 1..100 as
libjpeg does; for B < 8 its entries at (8u / B, 8v / B)) or `flat`, normalised so that the DC
step is 1. The encoder and decoder carry `nn.fmap_codec`
(``CODEC_ATTR``: edge, role, table, quality, keep, bits, coefficients), which the fixed-point
layers keep and the report reads.

Since both halves are ordinary layers, the fixed-point interpreter, the HLS C++ and the
Verilog compute the same integers. Run before calibration (`nncc compile --fmap-compress`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, NameLoc, NoneAttr, StringAttr, TensorType, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects.dense import to_dense
from nncc.dialects.fixed.quantization import PRECISION_ATTR
from nncc.dialects.nn import ConstantOp, ConvOp, GatherOp
from nncc.dialects.nn.attrs import CODEC_ATTR

BLOCKS = (2, 4, 8)
JPEG_LUMINANCE = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99],
], np.float64)
"""The JPEG luminance quantisation table (ITU-T T.81, Annex K), row u, column v."""
TABLES = ("jpeg", "flat")


class CompressFmapError(PassFailedException):
    """The feature map cannot be compressed."""


def dct_matrix(block: int = 8) -> np.ndarray:
    """C[u, x] = a(u) cos((2x + 1) u pi / 2B), a(0) = sqrt(1/B), a(u > 0) = sqrt(2/B)
    (orthonormal: C C^T = I)."""
    u, x = np.meshgrid(np.arange(block), np.arange(block), indexing="ij")
    alpha = np.where(u == 0, np.sqrt(1.0 / block), np.sqrt(2.0 / block))
    return alpha * np.cos((2 * x + 1) * u * np.pi / (2 * block))


def kept_coefficients(keep: int, block: int = 8) -> list[tuple[int, int]]:
    """The (u, v) with u + v <= keep, in JPEG zig-zag order."""
    def order(uv):
        u, v = uv
        return (u + v, u if (u + v) % 2 else v)  # odd anti-diagonals go down, even ones up

    return sorted(((u, v) for u in range(block) for v in range(block) if u + v <= keep), key=order)


def quantisation_table(table: str, quality: int, block: int = 8) -> np.ndarray:
    """Relative steps q(u, v), q(0, 0) = 1: `flat` (all 1) or the JPEG table at ``quality``
    (libjpeg: scale 5000 / quality below 50, else 200 - 2 quality; max(1, floor((Q S + 50) / 100))),
    for a block of B < 8 its entries at (8u / B, 8v / B)."""
    if table == "flat":
        return np.ones((block, block))
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    steps = np.maximum(1.0, np.floor((JPEG_LUMINANCE * scale + 50) / 100))
    steps = steps[::8 // block, ::8 // block]
    return steps / steps[0, 0]


def codec_weights(table: str, quality: int, keep: int, block: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(encoder, decoder) weights for one channel: encoder K x B x B (coefficient k of a block
    is the sum of the block times ``enc[k]``), decoder B^2 x K (pixel Bx + y of a block is the
    sum of the coefficients times ``dec[Bx + y]``)."""
    c = dct_matrix(block)
    q = quantisation_table(table, quality, block)
    kept = kept_coefficients(keep, block)
    basis = np.stack([np.outer(c[u], c[v]) for u, v in kept])  # K x 8 x 8: B_uv[x, y]
    steps = np.array([q[u, v] for u, v in kept])
    enc = basis / steps[:, None, None]
    dec = (basis * steps[:, None, None]).reshape(len(kept), block * block).T
    return enc, dec


def block_order_table(channels: int, height: int, width: int, block: int = 8) -> np.ndarray:
    """`nn.gather` indices from the decoder's C*B^2 x H/B x W/B result (channel c*B^2 + B (h % B)
    + w % B at block (h // B, w // B)) to the C x H x W map."""
    hb, wb = -(-height // block), -(-width // block)
    c, h, w = np.meshgrid(np.arange(channels), np.arange(height), np.arange(width), indexing="ij")
    channel = c * block * block + (h % block) * block + w % block
    return ((channel * hb + h // block) * wb + w // block).reshape(-1)


def _label(op: Operation) -> str | None:
    desc = getattr(op.location, "desc", None)
    return desc.data if isinstance(desc, StringAttr) else None


def find_edge(module: ModuleOp, edge: str) -> SSAValue:
    """The value the ONNX node ``edge`` produces: the result of the last op with that name."""
    found = None
    names = []
    for op in module.walk():
        label = _label(op)
        if label is not None and op.results:
            names.append(label)
            if label == edge:
                found = op.results[0]
    if found is None:
        known = ", ".join(sorted(set(names))[:20])
        raise CompressFmapError(f"nn-compress-fmap: no node named '{edge}' (nodes: {known}{', ...' if len(set(names)) > 20 else ''})")
    shape = found.type.get_shape() if isinstance(found.type, TensorType) else ()
    if len(shape) != 4:
        raise CompressFmapError(f"nn-compress-fmap: '{edge}' is not a feature map N x C x H x W (shape {list(shape)})")
    return found


def _codec_attr(edge: str, role: str, block: int, table: str, quality: int, keep: int, bits: int,
                count: int) -> DictionaryAttr:
    return DictionaryAttr({
        "edge": StringAttr(edge), "role": StringAttr(role), "block": IntegerAttr(block, i64), "table": StringAttr(table),
        "quality": IntegerAttr(quality, i64), "keep": IntegerAttr(keep, i64), "bits": IntegerAttr(bits, i64),
        "coefficients": IntegerAttr(count, i64),
    })


@dataclass(frozen=True)
class NnCompressFmapPass(ModulePass):
    """Put a DCT encoder / decoder pair on the feature map the ONNX node ``edge`` produces
    (see the module docstring).

    Options: edge (ONNX node name), block (B: 2, 4 or 8), bits (coefficient width, 2..32),
    keep (zonal mask u + v <= keep, 0..2(B - 1); -1: all), table (`jpeg` | `flat`), quality (JPEG
    quality 1..100)."""

    name = "nn-compress-fmap"
    edge: str = ""
    block: int = 8
    bits: int = 8
    keep: int = -1
    table: str = "jpeg"
    quality: int = 50

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        problems = []
        if not self.edge:
            problems.append("an edge (the ONNX node whose output is compressed)")
        if not 2 <= self.bits <= 32:
            problems.append(f"bits in [2, 32] (got {self.bits})")
        if self.block not in BLOCKS:
            problems.append(f"block 2, 4 or 8 (got {self.block})")
        elif not -1 <= self.keep <= 2 * (self.block - 1):
            problems.append(f"keep in [0, {2 * (self.block - 1)}] or -1 for all (got {self.keep})")
        if self.table not in TABLES:
            problems.append(f"table {' or '.join(TABLES)} (got '{self.table}')")
        if not 1 <= self.quality <= 100:
            problems.append(f"quality in [1, 100] (got {self.quality})")
        if problems:
            raise CompressFmapError(f"nn-compress-fmap needs {'; '.join(problems)}")
        self.compress(find_edge(op, self.edge))

    def compress(self, x: SSAValue) -> None:
        """Insert the encoder, decoder and reorder after ``x``'s producer and rewire its users."""
        _, channels, height, width = x.type.get_shape()
        element = x.type.element_type
        block = self.block
        keep = 2 * (block - 1) if self.keep < 0 else self.keep
        enc, dec = codec_weights(self.table, self.quality, keep, block)
        count = len(enc)
        pad_h, pad_w = -height % block, -width % block
        enc_w = ConstantOp(to_dense(np.tile(enc, (channels, 1, 1))[:, None], element))
        encoder = ConvOp(x, enc_w.output, None, (block, block), (0, 0, pad_h, pad_w), (1, 1), channels)
        dec_w = ConstantOp(to_dense(np.tile(dec, (channels, 1))[:, :, None, None], element))
        decoder = ConvOp(encoder.output, dec_w.output, None, (1, 1), (0, 0, 0, 0), (1, 1), channels)
        shape = (x.type.get_shape()[0], channels, height, width)
        reorder = GatherOp(decoder.output, block_order_table(channels, height, width, block).tolist(), shape)
        encoder.attributes[PRECISION_ATTR] = DictionaryAttr({"width": IntegerAttr(self.bits, i64)})
        for role, layer in (("encode", encoder), ("decode", decoder)):
            layer.attributes[CODEC_ATTR] = _codec_attr(self.edge, role, block, self.table, self.quality, keep,
                                                       self.bits, count)
        new = [(enc_w, "dct_encode"), (encoder, "dct_encode"), (dec_w, "dct_decode"), (decoder, "dct_decode"),
               (reorder, "dct_reorder")]
        for created, suffix in new:
            created.location = NameLoc(StringAttr(f"{self.edge}/{suffix}"), NoneAttr())
        owner = x.owner
        point = InsertPoint.after(owner) if isinstance(owner, Operation) else InsertPoint.at_start(owner)
        Rewriter.insert_op([created for created, _ in new], point)
        x.replace_uses_with_if(reorder.output, lambda use: use.operation is not encoder)
