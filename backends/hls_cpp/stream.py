"""HLS C++ of a stream design (`#emit.options<... io = stream>`): a printer of what
`dataflow-stream` put in the IR.

The top function keeps its array ports and runs a `#pragma HLS DATAFLOW` region of
functions linked by `hls::stream`s of beats (one pixel: the channels of one position), one
stream per `dataflow.fifo` with `#pragma HLS STREAM depth=` its depth: the *source* sends
the input array pixel by pixel; each line-buffer stage (sliding-window convolution PE, max
pool) walks its padded frame, reads a beat at every non-padding position, and at every
window anchor computes one output beat with the same step code as the parallel style (a
convolution over the one window), then the element-wise ops after it on that beat, and
writes it to every stream its value feeds (a fork); a *join* function reads one beat of
each of its streams per pixel and runs an element-wise op of several streams on them; the
*collector* gathers the last stream into an array for the *tail* (the parallel-style
steps of the layers after the stream). Plain g++ builds use a small `hls::stream` shim
(a queue), so the C-simulation runs every sample through the top function.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from xdsl.ir import Operation, SSAValue

from nncc.backends.hls_cpp.views import DesignView, StepView
from nncc.dialects import dataflow, fixed
from nncc.dialects.dataflow_stream import FifoOp
from nncc.dialects.interfaces import Reduction, Windowed

FIFO_IMPL = {"registers": "srl", "lutram": "lutram", "bram": "bram"}
"""The `BIND_STORAGE type=fifo impl=` of each `dataflow.fifo` memory (shift registers for the
register FIFOs of at most two beats)."""


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _pixels(v: SSAValue) -> int:
    return int(np.prod(_shape(v)[2:], dtype=np.int64))


@dataclass
class StreamFn:
    """One function of the dataflow region (see the module docstring)."""

    name: str
    kind: str  # source | window | pool | global | join | collect
    in_name: str = ""  # input stream (or the top's input array for the source)
    in_beat: str = ""
    in_channels: int = 0
    out_name: str = ""  # output stream (or the collector's array)
    out_beat: str = ""
    out_channels: int = 0
    pixels: int = 0
    array_type: str = ""
    geometry: dict = field(default_factory=dict)
    window: str = ""  # the window array (the convolution step's source)
    window_type: str = ""
    window_size: int = 0
    step: StepView | None = None
    groups: tuple = ()  # max pool: per channel, the line-buffer pixels of its window
    is_or: bool = False  # max pool of +-1 values: the OR of their bits
    combiner: str = ""  # global pool: sum | max
    result: tuple[str, str, int] = ("", "", 0)  # the stage's own output beat array: name, type, size
    chain: list[StepView] = field(default_factory=list)
    last: str = ""  # the array written to the output stream(s)
    outs: list[tuple[str, str]] = field(default_factory=list)  # every output stream (a fork: several): name, beat
    ins: list[tuple] = field(default_factory=list)  # a join's streams: name, beat, array, type, channels


@dataclass(frozen=True)
class StreamDef:
    """A stream of beats: its name, beat struct, element type, channels, FIFO depth and the
    storage its FIFO binds to (`impl`, from the FIFO's memory)."""

    name: str
    beat: str
    elem: str
    channels: int
    depth: int
    impl: str = "lutram"


class _Builder:
    def __init__(self, em, view: DesignView):
        self.em, self.view = em, view
        self.steps = {s.out: s for s in view.steps}
        self.fns: list[StreamFn] = []
        self.streams: list[StreamDef] = []
        self.current: StreamFn | None = None
        self.pending: StreamDef | None = None
        self.producer: dict[SSAValue, StreamFn] = {}  # the function whose output beat a value is
        self.stream_of: dict[SSAValue, StreamDef] = {}  # a FIFO's output: its stream
        self.pre: dict[SSAValue, tuple[SSAValue, list[StepView]]] = {}  # behind a FIFO: its output, the steps

    def source(self, op: fixed.QuantizeOp) -> None:
        name = self.em.name_of(op)
        self.current = StreamFn(f"{name}_source", "source", in_name=name, pixels=_pixels(op.output),
                                result=(name, self.em.type_names[op.output], _shape(op.output)[1]), last=name,
                                in_channels=_shape(op.output)[1])
        self.producer[op.output] = self.current

    def fifo(self, op: FifoOp) -> None:
        """A stream from the function that produces the FIFO's input (a second one from the
        same function: a fork, the function writes every beat to both)."""
        name = self.em.name_of(op)
        elem = self.em.type_names[op.input]
        stream = StreamDef(f"{name}_s", f"beat_{name}", elem, _shape(op.input)[1], op.depth.value.data,
                           FIFO_IMPL[op.memory_kind])
        self.streams.append(stream)
        fn = self.producer[op.input]
        if not fn.outs:
            fn.out_name, fn.out_beat, fn.out_channels = stream.name, stream.beat, stream.channels
            self.fns.append(fn)
        fn.outs.append((stream.name, stream.beat))
        self.stream_of[op.output] = stream
        self.pending = stream

    def window(self, op: dataflow.PeOp) -> None:
        layer = op.layer()
        geo = dataflow.window_geometry(layer)
        name = self.em.name_of(op)
        parallel = self.steps.get(name)
        kh, kw = geo.kernel
        if parallel is not None and parallel.template in ("mac", "codebook"):  # sparse or clustered lanes
            from nncc.backends.hls_cpp.mac import window_lane_step  # (it builds on the emitter)

            step = window_lane_step(self.em, op, parallel)
        elif parallel is not None and parallel.template == "xnor_conv":  # the window array is one position
            table = self.em.table(f"{name}_win", np.arange(parallel.value)[None])
            step = replace(parallel, cols=1, table=table, size=geo.out_channels, unroll=True)
        elif parallel is not None and parallel.template == "shift":  # binary / power-of-two weights
            from nncc.backends.hls_cpp.shift import shift_step

            step = shift_step(self.em, layer, parallel, window=True)
        elif parallel is None or parallel.template != "conv":
            raise ValueError(f"dataflow.pe '{name}': the HLS stream back end has no window form of this convolution step")
        else:
            table = self.em.table(f"{name}_win", np.arange(kh * kw))
            step = replace(parallel, cols=1, in_size=kh * kw, table=table, size=geo.out_channels, unroll=True)
        taps = tuple(((c * kh + i) * kw + j, (geo.span[0] - 1 - i * geo.dilation[0]) * geo.padded[1]
                      + (geo.span[1] - 1 - j * geo.dilation[1]), c)
                     for c in range(geo.channels) for i in range(kh) for j in range(kw))
        self.stage(op, geo, "window", name)
        self.current.window, self.current.window_type = parallel.src[0], parallel.src_types[0]
        self.current.window_size, self.current.step = geo.channels * kh * kw, step
        self.current.geometry["taps"] = taps
        self.current.result = (name, parallel.out_type, geo.out_channels)

    def pool(self, op: Operation) -> None:
        geo = op.window_geometry()
        name = self.em.name_of(op)
        cells = tuple((geo.span[0] - 1 - i * geo.dilation[0]) * geo.padded[1] + (geo.span[1] - 1 - j * geo.dilation[1])
                      for i in range(geo.kernel[0]) for j in range(geo.kernel[1]))
        self.stage(op, geo, "pool", name)
        self.current.geometry["pad_raw"] = -(1 << (fixed.fixed_of(op.operands[0]).width.data - 1))  # the lowest value
        self.current.groups = cells
        self.current.is_or = op.bit_or()
        self.current.result = (name, self.em.type_names[op.results[0]], geo.channels)

    def global_pool(self, op: Operation) -> None:
        """A global sum / max pool: reads the sample's beats, combines each channel's values in
        its result type, then the steps after it on the one result beat."""
        name = self.em.name_of(op)
        stream = self.stream_of.get(op.operands[0])
        if stream is None:
            raise ValueError(f"{op.name} '{name}': the HLS stream back end needs a FIFO right before a global pool")
        self.current = StreamFn(name + "_stage", "global", in_name=stream.name, in_beat=stream.beat,
                                in_channels=stream.channels, array_type=stream.elem, pixels=_pixels(op.operands[0]),
                                last=name, combiner=op.combiner(),
                                result=(name, self.em.type_names[op.results[0]], stream.channels))
        self.producer[op.results[0]] = self.current

    def stage(self, op: Operation, geo, kind: str, name: str) -> None:
        last = tuple(s - 1 + st * (o - 1) for s, st, o in zip(geo.span, geo.stride, geo.out_size))
        stream = self.stream_of.get(op.operands[0])
        if stream is None:
            raise ValueError(f"{op.name} '{name}': the HLS stream back end needs a FIFO right before a line-buffer stage")
        self.current = StreamFn(name + "_stage", kind, in_name=stream.name, in_beat=stream.beat, in_channels=stream.channels,
                                array_type=stream.elem, last=name, geometry={
                                    "padded": geo.padded, "pad": geo.pad, "size": (geo.height, geo.width),
                                    "span": geo.span, "stride": geo.stride, "last": last, "line_buffer": geo.line_buffer,
                                    "pad_raw": 0})
        self.producer[op.results[0]] = self.current

    def elementwise(self, op: Operation) -> None:
        """A step on the beats of the function producing its stream operand; behind a FIFO,
        a step kept for the join that reads that FIFO; with several stream operands a *join*
        function reading one beat of each FIFO, then their kept steps and its own."""
        name = self.em.name_of(op)
        step = self.steps.get(name)
        if step is None:
            raise ValueError(f"{op.name} '{name}': no step to apply on beats")
        ins = list(dict.fromkeys(u for u in op.operands if u in self.producer or u in self.stream_of or u in self.pre))
        if len(ins) == 1 and ins[0] in self.producer:
            self.current = self.producer[ins[0]]
        elif len(ins) == 1:
            fifo, steps = self.pre.get(ins[0], (ins[0], []))
            self.pre[op.results[0]] = (fifo, [*steps, _on_beat(step, op)])
            return
        else:
            if any(u in self.producer for u in ins):
                raise ValueError(f"{op.name} '{name}': the HLS stream back end joins FIFO outputs only")
            fifos = [self.pre.get(u, (u, []))[0] for u in ins]
            self.current = StreamFn(f"{name}_join", "join", pixels=_pixels(op.results[0]), ins=[
                (self.stream_of[u].name, self.stream_of[u].beat, self.em.src(u), self.stream_of[u].elem,
                 self.stream_of[u].channels) for u in fifos],
                in_channels=_shape(op.results[0])[1], chain=[s for u in ins for s in self.pre.get(u, (u, []))[1]])
        self.current.chain.append(_on_beat(step, op))
        self.current.last = name
        self.producer[op.results[0]] = self.current

    def collect(self, op: FifoOp) -> None:
        self.fifo(op)
        name = self.em.name_of(op)
        self.fns.append(StreamFn(f"{name}_collect", "collect", in_name=self.pending.name, in_beat=self.pending.beat,
                                 in_channels=self.pending.channels, out_name=name, pixels=_pixels(op.output),
                                 array_type=self.em.type_names[op.output]))


def _on_beat(step: StepView, op: Operation) -> StepView:
    """A parallel step on one beat: its size is the channels; a concat on channels moves
    chunks of channels instead of channel planes."""
    pixels, channels = _pixels(op.results[0]), _shape(op.results[0])[1]
    if not step.parts:
        return replace(step, size=channels)
    parts = tuple((p[0], p[1] // pixels, p[2] // pixels, p[3], p[4], f"o * {p[1] // pixels} + j") for p in step.parts)
    return replace(step, size=channels, rows=1, cols=step.cols // pixels, parts=parts)


def _walk(builder: _Builder, ops: list[Operation]) -> FifoOp:
    """Build the stream functions; the collector FIFO."""
    source = next(op for op in ops if isinstance(op, fixed.QuantizeOp))
    for op in ops:
        if isinstance(op, FifoOp) and op.collect is not None:
            builder.collect(op)
            return op
        if op is source:
            builder.source(op)
        elif isinstance(op, FifoOp):
            builder.fifo(op)
        elif isinstance(op, dataflow.PeOp) and op.window is not None:
            builder.window(op)
        elif isinstance(op, Windowed) and isinstance(op, Reduction):
            builder.pool(op)
        elif isinstance(op, Reduction) and op.operands[0] in builder.stream_of:  # a global pool (dataflow-stream)
            builder.global_pool(op)
        elif any(u in builder.producer or u in builder.stream_of or u in builder.pre for u in op.operands):
            builder.elementwise(op)
    raise ValueError("the stream has no collector: run dataflow-stream")


@dataclass(frozen=True)
class StreamCode:
    """What the stream templates print: streams, functions, the tail and its arrays."""

    streams: tuple[StreamDef, ...]
    functions: tuple[StreamFn, ...]
    tail_steps: tuple[StepView, ...]
    tail_buffers: tuple
    collect: tuple[str, str, int]  # the collector's array: name, type, size
    input: tuple[str, str, int]
    outputs: tuple


def stream_code(em, view: DesignView, ops: list[Operation]) -> tuple[StreamCode, DesignView]:
    """The stream region's code and the view with the tables it added."""
    builder = _Builder(em, view)
    collector = _walk(builder, ops)
    name = em.name_of(collector)
    index = next(i for i, s in enumerate(view.steps) if s.out == name)
    tail = view.steps[index + 1:]
    outs = {s.out for s in tail}
    code = StreamCode(
        streams=tuple(builder.streams), functions=tuple(builder.fns), tail_steps=tail,
        tail_buffers=tuple(b for b in view.buffers if b.name in outs),
        collect=(name, em.type_names[collector.output], int(np.prod(_shape(collector.output)[1:]))),
        input=(view.inputs[0].name, view.inputs[0].type_name, view.inputs[0].size), outputs=view.outputs)
    return code, replace(view, tables=tuple(em.tables))
