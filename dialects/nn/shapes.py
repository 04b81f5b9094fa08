"""Shape rules of the `nn` layers, shared by the importer (to build result types)
and the op verifiers (to check them).

Every function takes and returns plain tuples of ints and raises ``ValueError`` with a
message that names the offending values; callers turn that into their own diagnostic.
Shapes always include the leading batch dimension.
"""

from __future__ import annotations

from collections.abc import Sequence

Shape = tuple[int, ...]


def broadcast(lhs: Sequence[int], rhs: Sequence[int]) -> Shape:
    """Numpy/ONNX multidirectional broadcast of two shapes."""
    rank = max(len(lhs), len(rhs))
    a = (1,) * (rank - len(lhs)) + tuple(lhs)
    b = (1,) * (rank - len(rhs)) + tuple(rhs)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError(f"shapes {tuple(lhs)} and {tuple(rhs)} do not broadcast")
        out.append(max(x, y) if 1 in (x, y) else x)
    return tuple(out)


def window_output(
    size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int, ceil_mode: bool
) -> int:
    """Output length of one spatial axis of a convolution or pooling window."""
    extent = dilation * (kernel - 1) + 1
    span = size + pad_begin + pad_end - extent
    if span < 0:
        raise ValueError(
            f"window of extent {extent} does not fit input length {size} with pads "
            f"({pad_begin}, {pad_end})"
        )
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad_begin:
        # ONNX/PyTorch rule: the last window must start inside the input or left pad.
        out -= 1
    return out


def check_window_params(
    spatial_rank: int,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
) -> None:
    """Validate lengths and signs of window parameters for ``spatial_rank`` axes."""
    if spatial_rank not in (1, 2):
        raise ValueError(f"only 1-D and 2-D windows are supported, got {spatial_rank}-D")
    for label, values, length in (
        ("kernel", kernel, spatial_rank),
        ("strides", strides, spatial_rank),
        ("dilations", dilations, spatial_rank),
        ("pads", pads, 2 * spatial_rank),
    ):
        if len(values) != length:
            raise ValueError(f"{label} needs {length} values, got {list(values)}")
    if any(k < 1 for k in kernel) or any(s < 1 for s in strides) or any(d < 1 for d in dilations):
        raise ValueError(
            f"kernel {list(kernel)}, strides {list(strides)} and dilations {list(dilations)} "
            "must be positive"
        )
    if any(p < 0 for p in pads):
        raise ValueError(f"pads must be non-negative, got {list(pads)}")


def window_shape(
    input_shape: Sequence[int],
    channels_out: int,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    ceil_mode: bool = False,
) -> Shape:
    """Result shape N x channels_out x spatial of a window op on an N x C x spatial input."""
    rank = len(input_shape) - 2
    check_window_params(rank, kernel, strides, pads, dilations)
    spatial = tuple(
        window_output(
            input_shape[2 + i], kernel[i], strides[i], pads[i], pads[rank + i], dilations[i], ceil_mode
        )
        for i in range(rank)
    )
    return (input_shape[0], channels_out) + spatial


def conv_shape(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    group: int,
) -> Shape:
    """Result shape of a grouped convolution (weight layout M x C/group x k...)."""
    if len(weight_shape) != len(input_shape) or len(input_shape) not in (3, 4):
        raise ValueError(
            f"conv needs an N x C x spatial input of rank 3 or 4 and a weight of the same rank, "
            f"got input {tuple(input_shape)} and weight {tuple(weight_shape)}"
        )
    channels = input_shape[1]
    out_channels = weight_shape[0]
    if group < 1 or channels % group or out_channels % group:
        raise ValueError(
            f"group {group} must divide input channels {channels} and output channels "
            f"{out_channels}"
        )
    if weight_shape[1] * group != channels:
        raise ValueError(
            f"weight {tuple(weight_shape)} expects {weight_shape[1] * group} input channels "
            f"at group {group}, input has {channels}"
        )
    return window_shape(input_shape, out_channels, weight_shape[2:], strides, pads, dilations)


def normalize_axis(axis: int, rank: int) -> int:
    """Map a possibly negative axis into [0, rank)."""
    if not -rank <= axis < rank:
        raise ValueError(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def flatten_shape(shape: Sequence[int], axis: int) -> Shape:
    """ONNX Flatten: a 2-D shape (prod(shape[:axis]), prod(shape[axis:]))."""
    if not 0 <= axis <= len(shape):
        raise ValueError(f"flatten axis {axis} is out of range for rank {len(shape)}")
    outer = 1
    for d in shape[:axis]:
        outer *= d
    inner = 1
    for d in shape[axis:]:
        inner *= d
    return (outer, inner)


def concat_shape(shapes: Sequence[Sequence[int]], axis: int) -> Shape:
    """Result shape of a concatenation along ``axis``."""
    if not shapes:
        raise ValueError("concat needs at least one input")
    rank = len(shapes[0])
    axis = normalize_axis(axis, rank)
    total = 0
    for s in shapes:
        if len(s) != rank or any(s[i] != shapes[0][i] for i in range(rank) if i != axis):
            raise ValueError(
                f"concat inputs {[tuple(x) for x in shapes]} differ outside axis {axis}"
            )
        total += s[axis]
    out = list(shapes[0])
    out[axis] = total
    return tuple(out)


def pad_shape(shape: Sequence[int], pads: Sequence[int]) -> Shape:
    """Result shape of a pad with ONNX pads layout (all begins, then all ends)."""
    rank = len(shape)
    if len(pads) != 2 * rank:
        raise ValueError(f"pads needs {2 * rank} values for rank {rank}, got {list(pads)}")
    out = tuple(shape[i] + pads[i] + pads[rank + i] for i in range(rank))
    if any(d < 1 for d in out):
        raise ValueError(f"pads {list(pads)} leave an empty tensor from {tuple(shape)}")
    return out


def matmul_shape(lhs: Sequence[int], rhs: Sequence[int]) -> Shape:
    """Numpy matmul result shape for operands of rank >= 2."""
    if len(lhs) < 2 or len(rhs) < 2:
        raise ValueError(f"matmul operands need rank >= 2, got {tuple(lhs)} and {tuple(rhs)}")
    if lhs[-1] != rhs[-2]:
        raise ValueError(f"matmul inner dimensions differ: {tuple(lhs)} @ {tuple(rhs)}")
    batch = broadcast(lhs[:-2], rhs[:-2])
    return batch + (lhs[-2], rhs[-1])
