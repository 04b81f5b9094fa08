"""Verilog of a stream design (`#emit.options<... io = stream>`): a printer of what
`dataflow-stream` put in the IR.

The top module keeps the whole-tensor ready/valid ports of the parallel style (so the same
testbench drives both) and accepts a sample at most every II cycles. Inside, the input
tensor is sent pixel by pixel by a *source*; every `dataflow.fifo` becomes a FIFO module of
its `depth` beats; sliding-window convolution PEs and max pools become line-buffer stages
that consume and produce ready/valid beats (one pixel, all channels); element-wise ops are
the parallel style's modules instantiated on one beat (a join, an element-wise op of several
streams, is valid when all its FIFOs have a beat and pops them together); a value feeding
several FIFOs is a fork (its ready is the AND of theirs, each FIFO pushes when all the
others can too); the `collect` FIFO ends in a
collector that hands a whole tensor to the *tail*, the layers after the stream printed by
the parallel emitter as a sub-design (`<top>__tail`) with its own II. The top counts
`stalls`: cycles in which some stage had a beat to push and its FIFO was full.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp
from xdsl.ir import Operation, SSAValue

from nncc.backends.verilog import emitter as par
from nncc.backends.verilog.render import render
from nncc.backends.verilog.views import DesignView, ModuleView
from nncc.dialects import dataflow, fixed
from nncc.dialects.dataflow_stream import STREAM_SCHEDULE_ATTR, FifoOp
from nncc.dialects.interfaces import IndexMap, Reduction, Windowed

def _lowest(channels: int, width: int) -> str:
    """A beat of ``channels`` copies of the lowest ``width``-bit value: a max pool's padding
    (ONNX skips padded cells; every window has a real one, which wins over this)."""
    lowest = "1'b1" if width == 1 else f"1'b1, {width - 1}'d0"
    return f"{{{channels}{{{lowest}}}}}"


FIFO_MODULE_SUFFIX = {"registers": "", "lutram": "_lutram", "bram": "_bram"}
"""The FIFO module (templates/stream/fifo.v.j2) of each `dataflow.fifo` memory."""


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _pixels(v: SSAValue) -> int:
    return int(np.prod(_shape(v)[2:], dtype=np.int64))


def _bits(n: int) -> int:
    return max(1, int(n).bit_length())


@dataclass(frozen=True)
class StreamView:
    """The stream top: module texts' views, the tail's text, wires, assigns and instances."""

    top: str
    in_width: int  # bits of one input beat: a pixel's channels
    in_channels: int
    beats: int  # input beats (pixels) per sample
    beat_width: int  # bits of the beat counter
    last_beat: int
    out_width: int
    ii: int
    gap_width: int
    latency: int
    modules: tuple[tuple[str, ModuleView], ...]  # (template, view)
    tail: str  # its Verilog ("" for a view with per-term PE views, `stream_view(compact=False)`)
    tail_view: DesignView  # the tail's whole-tensor design (what `tail` prints)
    fifos: tuple[tuple[str, int, int, str], ...]  # (emit name, depth, width, memory) of every FIFO
    constants: tuple
    wires: tuple[tuple[str, int], ...]
    assigns: tuple[tuple[str, str], ...]
    instances: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...]  # module, params, name, ports
    stall: str


class _Beats(par._Emitter):
    """The parallel emitter's element-wise handlers and window-PE views, on one beat."""

    def table(self, op: Operation) -> list[tuple[int, ...]]:
        """The plan's rows on one beat (an element-wise op of equal-shape streams and scalar
        constants, a concat on channels): channel c's row is that of pixel 0, its sources
        channel indices."""
        rows, pixels = super().table(op), _pixels(op.results[0])
        first = 1 if isinstance(op, IndexMap) and len(op.operands) > 1 else 0  # a concat's rows: (operand, element)
        return [(*rows[c * pixels][:first], *(j // pixels for j in rows[c * pixels][first:]))
                for c in range(_shape(op.results[0])[1])]

    def add(self, op: Operation, kind: str, **fields) -> None:
        name, out = self.name(op), op.results[0]
        self.names[out] = name
        ports = tuple((self.names[v], par._t(v).width.data, 1 if v in self.consts else _shape(v)[1]) for v in op.operands)
        if kind == "pe_window":
            geo = dataflow.window_geometry(op.layer())
            view = ModuleView(kind="stream/window", module=f"{self.top}__{name}", out=name, out_width=fields["acc_width"],
                              count=geo.out_channels, inputs=ports, value=geo.padded[0], **fields)
        else:
            view = ModuleView(kind=f"modules/{kind}", module=f"{self.top}__{name}", out=name,
                              out_width=par._t(out).width.data, count=_shape(out)[1], inputs=ports, **fields)
        self.modules.append(view)


class _StreamEmitter:
    def __init__(self, module: ModuleOp):
        self.module = module
        self.beats = _Beats(module, compact=False)
        self.top = self.beats.top
        self.wires: list[tuple[str, int]] = []
        self.instances: list = []
        self.pushes: list[tuple[str, str]] = []  # (valid, ready) of every FIFO input
        self.beat: tuple[str, str, str] = ("", "", "")  # the last stream: (valid, data, ready) names
        self.beat_of: dict[SSAValue, tuple[str, str, str]] = {}  # every stream value's beat
        self.assigns: list[tuple[str, str]] = []

    def wire(self, name: str, width: int) -> str:
        self.wires.append((name, width))
        return name

    def stream_out(self, name: str, width: int) -> tuple[str, str, str]:
        """Declare a stage's output beat wires."""
        return (self.wire(f"{name}_v", 1), self.wire(f"{name}_d", width), self.wire(f"{name}_r", 1))

    def stage(self, view: ModuleView, template: str, in_valid: str, in_data: str, in_ready: str, out_width: int,
              value: SSAValue | None = None) -> None:
        """Instantiate a stream module consuming a stream; its output is the beat of ``value``."""
        self.beats.modules.append(replace(view, kind=template))
        out = self.stream_out(view.out, out_width)
        self.instances.append((view.module, "", f"u_{view.out}", (
            ("clk", "clk"), ("rst", "rst"), ("in_valid", in_valid), ("in_ready", in_ready), ("x0", in_data),
            ("out_valid", out[0]), ("out_ready", out[2]), ("y", out[1]))))
        self.beat = out
        if value is not None:
            self.beat_of[value] = out

    def source(self, op: fixed.QuantizeOp) -> None:
        """The stream input: the top's port, one pixel (all channels) per beat; `in_ok` (the
        top's sample pacing) gates it."""
        v = op.output
        self.beats.names[v] = self.beats.name(op)
        self.beat = (self.wire("in_beat_v", 1), "in_data", self.wire("src_ready", 1))
        self.assigns.append(("in_beat_v", "in_valid && in_ok"))
        self.beat_of[v] = self.beat

    def elementwise(self, op: Operation) -> None:
        """An element-wise op on beats (combinational): of one stream, or a join of several
        (valid when every input has a beat; each input is popped when the others are valid
        and the output is taken)."""
        par._handler(op)(self.beats, op)
        view = self.beats.modules[-1]
        data = self.wire(f"{view.out}_d", view.out_width * view.count)
        ports = tuple((f"x{i}", self.beat_of[u][1] if u in self.beat_of else name)
                      for i, (u, (name, _, _)) in enumerate(zip(op.operands, view.inputs)))
        self.instances.append((view.module, "", f"u_{view.out}", (*ports, ("y", data))))
        ins = [self.beat_of[u] for u in dict.fromkeys(op.operands) if u in self.beat_of]
        if len(ins) == 1:
            self.beat = (ins[0][0], data, ins[0][2])
        else:
            self.beat = (self.wire(f"{view.out}_v", 1), data, self.wire(f"{view.out}_r", 1))
            self.assigns.append((self.beat[0], " && ".join(b[0] for b in ins)))
            for b in ins:
                self.assigns.append((b[2], " && ".join([*(o[0] for o in ins if o is not b), self.beat[2]])))
        self.beat_of[op.results[0]] = self.beat

    def fifo(self, op: FifoOp) -> None:
        name, width, depth = self.beats.name(op), op.width.value.data, op.depth.value.data
        self.beats.names[op.output] = name
        out = self.stream_out(name, width)
        in_valid, in_ready = self._fork(op)
        params = f".W({width}), .D({depth}), .AW({_bits(depth - 1)}), .CW({_bits(depth) + 1})"
        module = f"{self.top}__fifo{FIFO_MODULE_SUFFIX[op.memory_kind]}"
        self.instances.append((module, params, f"u_{name}", (
            ("clk", "clk"), ("rst", "rst"), ("in_valid", in_valid), ("in_ready", in_ready),
            ("x0", self.beat_of[op.input][1]),
            ("out_valid", out[0]), ("out_ready", out[2]), ("y", out[1]))))
        self.beat = out
        self.beat_of[op.output] = out

    def _fork(self, op: FifoOp) -> tuple[str, str]:
        """The FIFO's (in_valid, in_ready) signals. A value feeding several FIFOs is a fork: its
        ready is the AND of theirs, and each FIFO takes the beat when all the others can too."""
        valid, _, ready = self.beat_of[op.input]
        users = list(dict.fromkeys(use.operation for use in op.input.uses))
        if len(users) == 1:
            self.pushes.append((valid, ready))
            return valid, ready
        names = [self.beats.name(u) for u in users]
        mine = self.beats.name(op)
        if users[0] is op:
            for n in names:
                self.wire(f"{n}_ir", 1)
            self.assigns.append((ready, " && ".join(f"{n}_ir" for n in names)))
            self.pushes.append((valid, ready))
        in_valid = self.wire(f"{mine}_iv", 1)
        self.assigns.append((in_valid, " && ".join([valid, *(f"{n}_ir" for n in names if n != mine)])))
        return in_valid, f"{mine}_ir"

    def window(self, op: dataflow.PeOp) -> None:
        par._window_pe(self.beats, op, op.layer())
        view = self.beats.modules.pop()
        view = replace(view, pad_fill=f"{view.channels * view.x_width}'d0")  # a convolution pads with zeros
        self.consume(view, "stream/window", view.acc_width * view.out_channels, op)

    def pool(self, op: Operation) -> None:
        """A max pool as a line-buffer stage: per channel, the max over its window's taps (of
        +-1 values: the OR of their bits, `Reduction.bit_or`)."""
        geo = op.window_geometry()
        x = par._t(op.operands[0])
        name = self.beats.name(op)
        self.beats.names[op.results[0]] = name
        groups = []
        for c in range(geo.channels):
            cells = tuple((geo.span[0] - 1 - i * geo.dilation[0]) * geo.padded[1] + (geo.span[1] - 1 - j * geo.dilation[1])
                          for i in range(geo.kernel[0]) for j in range(geo.kernel[1]))
            groups.append((c, tuple(b * geo.channels + c for b in cells), len(cells) - 1))
        last = tuple(s - 1 + st * (o - 1) for s, st, o in zip(geo.span, geo.stride, geo.out_size))
        view = ModuleView(
            kind="stream/window", module=f"{self.top}__{name}", out=name, out_width=x.width.data, count=geo.channels,
            inputs=(("x", x.width.data, geo.channels),), is_max=True, groups=tuple(groups), channels=geo.channels,
            is_or=op.bit_or(), value2=1, offset=-1,  # (an OR of +-1 bits: +1 and -1 raw)
            x_width=x.width.data, out_channels=geo.channels, line_buffer=geo.line_buffer, height=geo.height,
            width=geo.width, pad_top=geo.pad[0], pad_left=geo.pad[1], span=geo.span, stride=geo.stride,
            anchor_limit=last, padded_cols=geo.padded[1], value=geo.padded[0], row_width=_bits(geo.padded[0]),
            col_width=_bits(geo.padded[1]), reuse=1, last_phase=0, phase_width=1, pad_fill=_lowest(geo.channels, x.width.data))
        self.consume(view, "stream/window", x.width.data * geo.channels, op)

    def global_pool(self, op: Operation) -> None:
        """A global sum / max pool: per channel, the combination of the sample's beats (items:
        channel, its lowest bit and sign bit in the beat; value: the last beat's count; value2:
        the bits the input is sign-extended by)."""
        x, y = par._t(op.operands[0]), par._t(op.results[0])
        name, channels, beats = self.beats.name(op), _shape(op.operands[0])[1], _pixels(op.operands[0])
        self.beats.names[op.results[0]] = name
        xw, yw = x.width.data, y.width.data
        view = ModuleView(
            kind="stream/global", module=f"{self.top}__{name}", out=name, out_width=yw, count=channels,
            inputs=(("x", xw, channels),), items=tuple((c, c * xw, c * xw + xw - 1) for c in range(channels)),
            is_max=op.combiner() == "max", x_width=xw, value=beats - 1, value2=yw - xw, index_width=_bits(beats - 1))
        self.consume(view, "stream/global", yw * channels, op)

    def consume(self, view: ModuleView, template: str, out_width: int, op: Operation | None = None) -> None:
        """A stage fed by its operand's stream (the collector: by the last stream)."""
        valid, data, ready = self.beat_of[op.operands[0]] if op else self.beat
        self.stage(view, template, valid, data, ready, out_width, op.results[0] if op else None)

    def collect(self, op: FifoOp) -> None:
        self.fifo(op)
        v = op.output
        w = par._t(v).width.data
        view = ModuleView(kind="stream/collect", module=f"{self.top}__{self.beats.name(op)}_col", out=f"{self.beats.name(op)}_col",
                          out_width=w, count=int(np.prod(_shape(v)[1:])), inputs=(("x", w, _shape(v)[1]),),
                          channels=_shape(v)[1], plane=_pixels(v), x_width=w, index_width=_bits(_pixels(v)))
        self.consume(view, "stream/collect", w * int(np.prod(_shape(v)[1:])))


def _tail(module: ModuleOp, collector: FifoOp, ops: list[Operation], schedule: dict, compact: bool) -> DesignView:
    """The layers after the collector as a parallel-style sub-design `<top>__tail` (``compact``:
    see `emitter.design_view`)."""
    em = par._Emitter(module, compact=compact)
    em.block = SimpleNamespace(ops=ops)
    em.input = collector.output
    em.names[collector.output] = "in_tensor"
    em.valid[collector.output] = 0
    view = em.run()
    ii = schedule["tail_ii"]
    return replace(view, top=f"{view.top}__tail", in_name="in_tensor", ii=ii, gap_width=_bits(ii),
                   latency=schedule["tail_latency"])


def _with_constants(before: list[Operation], tail: list[Operation]) -> list[Operation]:
    """The tail's ops after the constants of the stream part that they read (a per-channel
    scale defined before the collector, say)."""
    inside = set(tail)
    used = [op for op in before if isinstance(op, fixed.ConstantOp)
            and any(use.operation in inside for use in op.results[0].uses)]
    return used + tail


def stream_view(module: ModuleOp, compact: bool = True) -> tuple[StreamView, DesignView]:
    """The stream top's view and the whole-tensor view the testbench reads; ``compact``: the
    tail's multiplier PEs as text (what the Verilog prints) or per-term slot views (what the
    resource estimate prices)."""
    em = _StreamEmitter(module)
    attr = module.attributes.get(STREAM_SCHEDULE_ATTR)
    if not isinstance(attr, DictionaryAttr):
        raise par.VerilogEmissionError(f"module has no {STREAM_SCHEDULE_ATTR}: run dataflow-stream first")
    schedule = {k: v.value.data for k, v in attr.data.items()}
    ops = list(em.beats.block.ops)
    source = next(op for op in ops if isinstance(op, fixed.QuantizeOp))
    tail = None
    for i, op in enumerate(ops):
        if isinstance(op, FifoOp) and op.collect is not None:
            em.collect(op)
            tail = _tail(module, op, _with_constants(ops[:i], ops[i + 1:]), schedule, compact)
            break
        _dispatch(em, op, source)
    if tail is None:
        raise par.VerilogEmissionError("the stream has no collector: run dataflow-stream")
    return _views(em, module, schedule, tail, compact)


def _dispatch(em: _StreamEmitter, op: Operation, source: Operation) -> None:
    """A stream op through what it is: the stream input, a FIFO, a line-buffer stage (a
    window PE, or a `Windowed` max `Reduction`), a global pool (any other `Reduction` of the
    stream), an op on beats (element-wise, a join), or a constant."""
    if op is source:
        em.source(op)
        return
    if isinstance(op, FifoOp):
        em.fifo(op)
        return
    if isinstance(op, dataflow.PeOp) and op.window is not None:
        em.window(op)
        return
    if isinstance(op, Windowed) and isinstance(op, Reduction):
        em.pool(op)
        return
    if isinstance(op, Reduction) and any(u in em.beat_of for u in op.operands):  # a global pool (dataflow-stream)
        em.global_pool(op)
        return
    if any(u in em.beat_of for u in op.operands):
        em.elementwise(op)
        return
    par._handler(op)(em.beats, op)  # constants


def _views(em: _StreamEmitter, module: ModuleOp, schedule: dict, tail: DesignView,
           compact: bool = True) -> tuple[StreamView, DesignView]:
    quant = next(op for op in em.beats.block.ops if isinstance(op, fixed.QuantizeOp))
    it = par._t(quant.output)
    ret = em.beats.block.last_op.operands[0]
    src = ret.owner.input if isinstance(ret.owner, fixed.DequantizeOp) else ret
    ot, n_in, n_out = par._t(src), int(np.prod(_shape(quant.output)[1:])), int(np.prod(_shape(src)[1:]))
    ii, latency = schedule["ii"], schedule["latency"]
    tail_ports = (("clk", "clk"), ("rst", "rst"), ("in_valid", em.beat[0]), ("in_ready", em.beat[2]),
                  ("in_data", em.beat[1]), ("out_valid", "out_valid"), ("out_ready", "out_ready"), ("out_data", "out_data"))
    em.instances.append((f"{em.top}__tail", "", "u_tail", tail_ports))
    stall = " || ".join(f"({v} && !{r})" for v, r in em.pushes) or "1'b0"
    channels, beats = _shape(quant.output)[1], _pixels(quant.output)
    view = StreamView(
        top=em.top, in_width=it.width.data * channels, in_channels=channels, beats=beats,
        beat_width=_bits(beats - 1), last_beat=beats - 1, out_width=ot.width.data * n_out,
        ii=ii, gap_width=_bits(ii),
        latency=latency, modules=tuple((m.kind + ".v.j2", m) for m in em.beats.modules),
        tail=render("design.v.j2", design=tail).replace('`include "nncc_lib.v"\n', "", 1) if compact else "",
        tail_view=tail,
        fifos=tuple((em.beats.name(op), op.depth.value.data, op.width.value.data, op.memory_kind)
                    for op in em.beats.block.ops if isinstance(op, FifoOp)),
        constants=tuple(em.beats.constants), wires=tuple(em.wires), assigns=tuple(em.assigns), instances=tuple(em.instances), stall=stall)
    tb = DesignView(top=em.top, in_name="in_data", in_width=view.in_width, out_name="out_data", out_width=view.out_width,
                    ii=ii, gap_width=view.gap_width, latency=latency, constants=(), modules=(), in_elements=n_in,
                    in_element_width=it.width.data, out_elements=n_out, out_element_width=ot.width.data, stream=True,
                    beats=beats)
    return view, tb


def emit_stream_project(module: ModuleOp) -> dict[str, str]:
    """File name -> text of a stream design: `<top>.v`, `tb.v` and the support library."""
    from importlib import resources

    view, tb = stream_view(module)
    return {
        f"{view.top}.v": render("design_stream.v.j2", s=view),
        "tb.v": render("tb.v.j2", design=tb),
        par.LIBRARY: (resources.files("nncc.runtime") / "verilog" / par.LIBRARY).read_text(),
    }
