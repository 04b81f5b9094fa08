"""Attributes of the `nn` dialect."""

from __future__ import annotations

from xdsl.dialects.utils import EnumAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.ir import SpacedOpaqueSyntaxAttribute
from xdsl.utils.str_enum import StrEnum


class PadMode(StrEnum):
    """How `nn.pad` fills the border."""

    CONSTANT = "constant"
    REFLECT = "reflect"
    EDGE = "edge"


@irdl_attr_definition
class PadModeAttr(EnumAttribute[PadMode], SpacedOpaqueSyntaxAttribute):
    """Border mode of `nn.pad`: `#nn<pad_mode constant>`, `reflect` or `edge`."""

    name = "nn.pad_mode"


CODEC_ATTR = "nn.fmap_codec"
"""On the encoder and decoder layers `nn-compress-fmap` builds (kept by their fixed-point
layers): dictionary edge (the ONNX node whose output is compressed), role (`encode` |
`decode`), block, table, quality, keep, bits, coefficients (kept per 8 x 8 block)."""
