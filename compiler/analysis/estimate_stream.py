"""Resource estimate of a stream design (io = stream): the constructs of
`backends.verilog.stream` priced with the per-unit costs of `estimate.COEFFICIENTS`.

Line-buffer stages: the line buffer (its untapped runs in SRL shift registers), the row /
column / phase counters, the partial results of a folded convolution, and the slots (the
multiplier, shift-and-add or XNOR slots the whole-tensor window engine has); max pools a
compare and select per tap. Global pools: the running and the finished value per channel. Element-wise ops on beats are the whole-tensor modules on one
pixel. FIFOs by memory: flip-flops and a read multiplexer, distributed RAM (RAM64M: 3 bits x
64 words per 4 LUTs, or RAM32M: 6 x 32), or block RAM and a head register; each with its
pointers and count. The collector holds the tensor it hands to the tail; the tail is the
whole-tensor design of `estimate.module_tallies`.
"""

from __future__ import annotations

import math
from collections import Counter

from xdsl.dialects.builtin import ModuleOp

from nncc.backends.verilog.stream import StreamView, stream_view
from nncc.backends.verilog.views import ModuleView
from nncc.compiler.analysis import estimate as est
from nncc.dialects.dataflow import bram_blocks


def window_stage(m: ModuleView) -> Counter:
    """A line-buffer stage: a convolution's slots or a max pool's compares, its line buffer
    and counters."""
    pixel_bits = m.x_width * m.channels
    if m.is_max or m.is_or:
        taps = sorted({cell // m.channels for _, cells, _ in m.groups for cell in cells})
        slots = est.reduce(m)
        partial = 0
    else:
        taps = [j // m.channels for _, j in m.taps]
        slots = est.xnor_window(m) if m.xnor else est.shift_slots(m) if m.shift else est.pe_products(m)
        partial = m.acc_width * m.out_channels if m.reuse > 1 else 0
    registers = (pixel_bits * m.line_buffer - est.shift_register_bits(taps, pixel_bits) + partial
                 + m.phase_width + m.row_width + m.col_width + 1)
    return slots + Counter(register_bit=registers, select_bit=pixel_bits, window_control=1, stage_control=1)


def global_stage(m: ModuleView) -> Counter:
    """A global sum / max pool: per channel the running value and the finished result
    (registers), an adder (sum) or a compare and select (max), and the first-beat select;
    the beat count."""
    bits = m.out_width * m.count
    combine = Counter(compare_bit=bits, select_bit=bits) if m.is_max else Counter(fabric_adder_bit=bits)
    return combine + Counter(register_bit=2 * bits + m.index_width + 1, select_bit=bits, stage_control=1)


def collector(m: ModuleView) -> Counter:
    """The collector: the tensor's registers, written pixel by pixel (a write enable per pixel),
    its pixel index and full flag."""
    return Counter(register_bit=m.count * m.x_width + m.index_width + 1, select_bit=m.plane, stage_control=1)


def fifo(depth: int, width: int, memory: str) -> Counter:
    """A FIFO of ``depth`` beats of ``width`` bits in ``memory``, with its read / write
    pointers and count."""
    address = max(1, (depth - 1).bit_length())
    control = Counter(register_bit=2 * address + depth.bit_length() + 1, counter_bit=2 * address + depth.bit_length() + 1,
                      handshake=1)
    if memory == "registers":
        return control + Counter(register_bit=depth * width, mux_lut=width * est.mux_luts(depth) if depth > 1 else 0)
    if memory == "lutram":
        luts = 4 * min(math.ceil(width / 3) * math.ceil(depth / 64), math.ceil(width / 6) * math.ceil(depth / 32))
        return control + Counter(lutram_lut=luts)
    return control + Counter(bram=bram_blocks(width, depth), register_bit=width)


def stream_tallies(module: ModuleOp) -> tuple[StreamView, dict[str, Counter]]:
    """The stream design's view and, per Verilog module (by its emit.name;
    `estimate.TOP_GROUP` for the top's own logic), the tally of its constructs."""
    view, _ = stream_view(module, compact=False)
    prefix = f"{view.top}__"
    tallies: dict[str, Counter] = {}
    for _, m in view.modules:
        name = m.module[len(prefix):]
        if m.kind == "stream/window":
            tallies[name] = window_stage(m)
        elif m.kind == "stream/global":
            tallies[name] = global_stage(m)
        elif m.kind == "stream/collect":  # with its FIFO (the module is `<fifo>_col`)
            name = name.removesuffix("_col")
            tallies[name] = tallies.get(name, Counter()) + collector(m)
        else:
            tallies[name] = est.CONSTRUCTS[m.kind.split("/", 1)[1]](m)
    for name, depth, width, memory in view.fifos:
        tallies[name] = tallies.get(name, Counter()) + fifo(depth, width, memory)
    tail = view.tail_view
    for m in tail.modules:
        tallies[m.module[len(prefix):]] = est.CONSTRUCTS[m.kind](m)
    order = {name: i for i, name in enumerate(est.module_layers(module))}  # the design's op order
    tallies = dict(sorted(tallies.items(), key=lambda item: order.get(item[0], len(order))))
    tallies[est.TOP_GROUP] = est.top_module(tail) + Counter(
        register_bit=view.beat_width + view.gap_width + 1, counter_bit=view.beat_width + view.gap_width, handshake=1)
    return view, tallies
