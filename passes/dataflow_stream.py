"""`dataflow-stream`: streams and FIFOs of the I/O style `stream` (see
`nncc.dialects.dataflow_stream`).

On a planned module whose `#emit.options` say `io = stream` (else the pass does nothing):

1. finds the stream region of `@main`, a graph from the input: sliding-window convolution
   PEs and max pools (line-buffer stages), global sum / max pools of a stream (*global*
   stages: one output beat per sample, e.g. the sum of a global average pool), element-wise ops on fixed-point values of one
   stream (applied to each beat) and of several streams of one shape (*joins*, e.g. the
   `Add` of a residual block); a value may feed several ops (a *fork*); the first other op
   (global pooling, flatten, dense, the output) starts the whole-tensor *tail*;
2. puts a `dataflow.fifo` in front of every stage, of every use of a forked value and of
   the tail (that one `collect`s);
3. runs the cycle model (`dataflow_stream_model`) of the graph at its II, sets each FIFO's
   depth to the smallest that never refuses a push (on the shorter branch of a fork, the
   delay buffer that keeps the II), and writes the stages' timing, the
   FIFOs' occupancy, the design's `dataflow.schedule` (latency and II of the stream design)
   and `dataflow.stream_schedule`;
4. chooses each FIFO's `memory` (option `fifo_memory`: `auto`, or `registers`, `lutram` or
   `bram` for all of them): with `auto`, registers up to 2 beats, block RAM above
   `BRAM_MIN_BITS` bits when deeper than `BRAM_MIN_DEPTH` beats, distributed RAM otherwise;
5. re-plans the tail as a whole-tensor design whose input is the collector: its valid times
   and handshake groups (`in` = the collector).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from nncc.dialects import dataflow, fixed
from nncc.dialects.dataflow import HANDSHAKES_ATTR, INDEX_ATTR, SCHEDULE_ATTR, VALID_ATTR, IndexTableAttr
from nncc.dialects.dataflow_plan import handshake_groups
from nncc.dialects.dataflow_stream import FIFO_MEMORIES, STREAM_FIFO_ATTR, STREAM_SCHEDULE_ATTR, STREAM_STAGE_ATTR, FifoOp
from nncc.dialects.emit import NAME_ATTR, IoStyle, emission_options
from nncc.dialects.interfaces import Elementwise, IndexMap, Reduction, Windowed
from nncc.passes.dataflow_stream_model import (GlobalStage, JoinStage, StreamChain, StreamModelError, WindowStage,
                                               size_fifos)


class DataflowStreamError(PassFailedException):
    """The module cannot be streamed."""


BRAM_MIN_BITS = 4096
"""`auto`: a FIFO of more bits than this (and deeper than `BRAM_MIN_DEPTH`) goes to block RAM
(a RAMB18 holds 18 Kbit; a smaller buffer wastes most of one)."""
BRAM_MIN_DEPTH = 32
"""`auto`: block RAM only for FIFOs deeper than this (a shallow, wide FIFO would take many
block RAMs for a few words each; distributed RAM is 32 or 64 words deep per LUT)."""


def fifo_memory(depth: int, width: int, choice: str = "auto") -> str:
    """What holds a FIFO of ``depth`` beats of ``width`` bits (module docstring, step 4)."""
    if choice != "auto":
        return choice
    if depth <= 2:
        return "registers"
    return "bram" if depth > BRAM_MIN_DEPTH and depth * width > BRAM_MIN_BITS else "lutram"


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _pixels(v: SSAValue) -> int:
    return int(np.prod(_shape(v)[2:], dtype=np.int64))


def _dyn(values: dict) -> DictionaryAttr:
    return DictionaryAttr({k: (StringAttr(v) if isinstance(v, str) else IntegerAttr(int(v), i64)) for k, v in values.items()})


@dataclass
class _Region:
    """The stream region: the input quantize, its stages (window stages and joins) in order,
    the FIFOs put in, each as (producer node, consumer node) (source -1, collector k), and
    the collector FIFO."""

    source: Operation
    stages: list[Operation]
    fifos: list[FifoOp]
    edges: list[list[int]]
    collector: FifoOp | None = None


def _window_of(op: Operation):
    """The window geometry of a stream stage, or None when ``op`` is not one."""
    if isinstance(op, dataflow.PeOp) and op.window is not None:
        return dataflow.window_geometry(op.layer())
    if isinstance(op, Windowed) and isinstance(op, Reduction) and op.combiner() == "max":
        geo = op.window_geometry()
        if geo.pad != (0, 0) or geo.padded != (geo.height, geo.width):
            # padded cells are skipped; the line buffer shifts in the lowest value there, so
            # every window needs a real cell to take the maximum of
            if bool(np.any(np.all(op.reduction_groups() < 0, axis=1))):
                raise DataflowStreamError(f"dataflow-stream: {op.name} has a window of padding only")
        return geo
    return None


def is_global_pool(op: Operation) -> bool:
    """A global pooling: a sum or max over every pixel of each channel (`fixed.reduce_sum` /
    `fixed.reduce_max` over the spatial axes of an NCW / NCHW value), no window."""
    if not isinstance(op, Reduction) or isinstance(op, Windowed) or op.combiner() not in ("sum", "max"):
        return False
    x, y = _shape(op.operands[0]), _shape(op.results[0])
    return (len(x) in (3, 4) and y == x[:2] + (1,) * (len(x) - 2)
            and isinstance(op.results[0].type.element_type, fixed.FixedType))


def _on_beats(op: Operation, v: SSAValue) -> bool:
    """An element-wise op of the stream value alone (constants aside) with a fixed-point result."""
    others = [u for u in op.operands if u is not v]
    return (isinstance(op, Elementwise) and len(op.results) == 1 and v in op.operands
            and all(isinstance(u.owner, fixed.ConstantOp) and int(np.prod(_shape(u))) == 1 for u in others)
            and _shape(op.results[0]) == _shape(v) and isinstance(op.results[0].type.element_type, fixed.FixedType))


def _beatwise_map(op: Operation, ins: list[SSAValue]) -> bool:
    """An `IndexMap` of several streams of its result's pixels that moves whole channels
    (a concat on channels): every output channel is one input channel, pixel for pixel."""
    out = op.results[0] if len(op.results) == 1 else None
    if not isinstance(op, IndexMap) or out is None or len(ins) < 2 or any(u not in ins for u in op.operands):
        return False
    if any(_shape(v)[2:] != _shape(out)[2:] for v in ins) or len(_shape(out)) < 3:
        return False
    operand, element = (np.asarray(a).reshape(_shape(out)[1], _pixels(out)) for a in op.index_table())
    pixel = np.arange(_pixels(out))
    return bool((operand == operand[:, :1]).all() and (element == element[:, :1] + pixel).all()
                and (element[:, 0] % _pixels(out) == 0).all())


def _joins(op: Operation, ins: list[SSAValue]) -> bool:
    """An element-wise op of several stream values of its result's shape (constants aside),
    or a concat of streams on channels."""
    if _beatwise_map(op, ins):
        return isinstance(op.results[0].type.element_type, fixed.FixedType)
    return (isinstance(op, Elementwise) and len(op.results) == 1 and len(ins) >= 2
            and all(_shape(v) == _shape(op.results[0]) for v in ins)
            and all(u in ins or isinstance(u.owner, fixed.ConstantOp) and int(np.prod(_shape(u))) == 1 for u in op.operands)
            and isinstance(op.results[0].type.element_type, fixed.FixedType))


class _Walk:
    """Builds the stream region op by op: `head[v]` is ("node", n) for a value a stage (or
    the source) produced, possibly through element-wise ops, and ("fifo", i) for one behind
    FIFO i."""

    def __init__(self, source: Operation):
        self.region = _Region(source, [], [], [])
        self.head: dict[SSAValue, tuple[str, int]] = {source.results[0]: ("node", -1)}

    def fed(self, v: SSAValue, user: Operation, consumer: int | None, collect: bool = False) -> tuple[str, int]:
        """The head of ``v`` at ``user``: a FIFO is put in front of a stage (``consumer``) fed
        by a node and of every use of a forked value; a FIFO's consumer is recorded."""
        kind, n = self.head[v]
        forked = len({use.operation for use in v.uses}) > 1
        if kind == "fifo" and forked:
            raise DataflowStreamError(f"dataflow-stream: {user.name}: a value behind a FIFO feeds several ops (not streamed)")
        if kind == "node" and (forked or consumer is not None):
            nth = sum(f.output in user.operands for f in self.region.fifos)
            name = f"{_name(user)}_collect" if collect else f"{_name(user)}_fifo{nth or ''}"
            self.region.fifos.append(_insert_fifo(v, user, name, collect))
            self.region.edges.append([n, -2])
            kind, n = "fifo", len(self.region.fifos) - 1
            self.head[self.region.fifos[-1].output] = (kind, n)
        if consumer is not None:
            self.region.edges[n][1] = consumer
        return kind, n

    def stage(self, op: Operation, ins: list[SSAValue]) -> None:
        for v in ins:
            self.fed(v, op, len(self.region.stages))
        self.head[op.results[0]] = ("node", len(self.region.stages))
        self.region.stages.append(op)


def _region(block) -> _Region:
    ops = [op for op in block.ops if not isinstance(op, fixed.ConstantOp)]
    if not ops or not isinstance(ops[0], fixed.QuantizeOp) or len(_shape(ops[0].output)) not in (3, 4):
        raise DataflowStreamError("dataflow-stream: stream mode needs one NCW or NCHW graph input, quantized first")
    walk = _Walk(ops[0])
    for op in ops[1:]:
        ins = list(dict.fromkeys(u for u in op.operands if u in walk.head))
        if not ins:
            raise DataflowStreamError(f"dataflow-stream: {op.name} is not fed by the stream")
        if len(ins) == 1 and (_window_of(op) is not None or is_global_pool(op)) or _joins(op, ins):
            walk.stage(op, ins)
        elif len(ins) == 1 and _on_beats(op, ins[0]):
            walk.head[op.results[0]] = walk.fed(ins[0], op, None)
        elif len(ins) == 1:
            walk.fed(ins[0], op, len(walk.region.stages), True)
            walk.region.collector = walk.region.fifos[-1]
            _check_closed(walk)
            return walk.region
        else:
            raise DataflowStreamError(f"dataflow-stream: {op.name} joins streams but is neither an element-wise op of "
                                      "equal shapes nor a concat on channels")
    raise DataflowStreamError("dataflow-stream: the graph has no output")


def _check_closed(walk: _Walk) -> None:
    """Every FIFO has a consumer, the collector is a new FIFO, and no stream value reaches past the collector."""
    region = walk.region
    if not region.collector.collect or any(c == -2 for _, c in region.edges):
        raise DataflowStreamError("dataflow-stream: a stream branch ends before the whole-tensor tail (not streamed)")
    inside = set(region.stages) | set(region.fifos) | {region.source}
    for v in walk.head:
        for use in ([] if v is region.collector.output else v.uses):
            if use.operation not in inside and not any(r in walk.head for r in use.operation.results):
                raise DataflowStreamError(f"dataflow-stream: {use.operation.name} takes a stream value past the collector")


def _insert_fifo(value: SSAValue, user: Operation, name: str, collect: bool) -> FifoOp:
    width = fixed.fixed_of(value).width.data * _shape(value)[1]
    fifo = FifoOp(value, 1, width, _pixels(value), collect)
    Rewriter.insert_op(fifo, InsertPoint.before(user))
    user.operands = [fifo.output if u is value else u for u in user.operands]
    fifo.attributes[NAME_ATTR] = StringAttr(name)
    fifo.attributes[INDEX_ATTR] = IndexTableAttr(1, range(int(np.prod(_shape(value)[1:]))))
    return fifo


def _stage_model(op: Operation) -> WindowStage:
    geo = _window_of(op)
    last = tuple(s - 1 + st * (o - 1) for s, st, o in zip(geo.span, geo.stride, geo.out_size))
    reuse = op.reuse_factor.value.data if isinstance(op, dataflow.PeOp) else 1
    return WindowStage(_name(op), geo.padded, geo.pad, (geo.height, geo.width), geo.span, geo.stride, last, reuse)


def _name(op: Operation) -> str:
    attr = op.attributes.get(NAME_ATTR)
    if not isinstance(attr, StringAttr):
        raise DataflowStreamError(f"dataflow-stream: {op.name} has no {NAME_ATTR}: run hls-prepare-for-emission first")
    return attr.data


def _plan_tail(function: func.FuncOp, collector: FifoOp) -> tuple[int, int]:
    """Valid times and handshake groups of the tail (input: the collector); (ii, latency)."""
    time = {collector.output: 0}
    sources = {collector.output: frozenset(["in"])}
    consumers, ii = [], 1
    started = False
    for op in function.body.blocks[0].ops:
        started = started or op is collector
        if not started or op is collector or isinstance(op, fixed.ConstantOp):
            continue
        if isinstance(op, func.ReturnOp):
            consumers += [("out", sources.get(v, frozenset())) for v in op.operands]
            continue
        vals = [v for v in op.operands if v in time]
        start = max((time[v] for v in vals), default=0)
        feeding = frozenset().union(*(sources[v] for v in vals))
        out = op.results[0]
        if isinstance(op, dataflow.PeOp):
            time[out], sources[out] = start + op.latency.value.data, frozenset([_name(op)])
            consumers.append((_name(op), feeding))
            ii = max(ii, op.latency.value.data)
        else:
            time[out], sources[out] = start, feeding
        op.attributes[VALID_ATTR] = IntegerAttr(time[out], i64)
    function.attributes[HANDSHAKES_ATTR] = ArrayAttr(handshake_groups(consumers))
    return ii, max(time.values()) + 1


def _node_model(op: Operation):
    """The cycle model of a stage: a line-buffer window stage, a global stage or a join."""
    if _window_of(op) is not None:
        return _stage_model(op)
    if is_global_pool(op):
        return GlobalStage(_name(op), _pixels(op.operands[0]))
    return JoinStage(_name(op), _pixels(op.results[0]))


def stream_function(module: ModuleOp, function: func.FuncOp, memory: str = "auto") -> None:
    """Streams, FIFOs and their depths and memories, the stream schedule (see the module docstring)."""
    region = _region(function.body.blocks[0])
    collector = region.collector
    tail_ii, tail_latency = _plan_tail(function, collector)
    chain = StreamChain(_pixels(region.source.output), [_node_model(op) for op in region.stages],
                        _pixels(collector.input), tail_ii, tail_latency, [tuple(e) for e in region.edges])
    try:
        depths, trace, samples = size_fifos(chain)
    except StreamModelError as err:
        raise DataflowStreamError(str(err)) from None
    start = trace.fires[0]
    for i, (fifo, depth) in enumerate(zip(region.fifos, depths)):
        fifo.depth = IntegerAttr(depth, i64)
        fifo.memory = StringAttr(fifo_memory(depth, fifo.width.value.data, memory))
        fifo.attributes[STREAM_FIFO_ATTR] = _dyn({
            "max_occupancy": depth - 1, "pushes": len(trace.pushes[i]),
            "first_push": trace.pushes[i][0] - start, "last_pop": trace.pops[i][-1] - start})
    for n, op in enumerate([*region.stages, collector]):
        ins, outs = chain.ports(n)
        model = chain.stages[n] if n < len(region.stages) else None
        out = trace.pushes[outs[0]] if model else trace.outputs
        kind = ("collect" if model is None else "window" if isinstance(model, WindowStage)
                else "global" if isinstance(model, GlobalStage) else "join")
        op.attributes[STREAM_STAGE_ATTR] = _dyn({
            "kind": kind, "service": model.service if model else chain.collect_beats,
            "first_in": trace.pops[ins[0]][0] - start, "first_out": out[0] - start,
            "last_out": out[(_pixels(op.results[0]) if model else 1) - 1] - start})
    src_out = trace.pushes[chain.ports(-1)[1][0]]
    region.source.attributes[STREAM_STAGE_ATTR] = _dyn({
        "kind": "source", "service": chain.source_beats, "first_in": 0,
        "first_out": src_out[0] - start, "last_out": src_out[chain.source_beats - 1] - start})
    latency = trace.outputs[0] - start
    module.attributes[SCHEDULE_ATTR] = DictionaryAttr({"ii": IntegerAttr(chain.ii, i64), "latency": IntegerAttr(latency, i64)})
    module.attributes[STREAM_SCHEDULE_ATTR] = _dyn({"ii": chain.ii, "latency": latency, "samples": samples,
                                                    "tail_ii": tail_ii, "tail_latency": tail_latency})


@dataclass(frozen=True)
class DataflowStreamPass(ModulePass):
    """With `io = stream`: streams and exactly sized FIFOs between the line-buffer stages of
    the convolutional front, the stream schedule, and the whole-tensor tail re-planned
    behind the collector (see the module docstring); with `io = parallel` nothing.

    `fifo_memory`: `auto` (by depth and bits) or `registers`, `lutram`, `bram` for every FIFO."""

    name = "dataflow-stream"
    fifo_memory: str = "auto"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        options = emission_options(op)
        if options is None or SCHEDULE_ATTR not in op.attributes:
            raise DataflowStreamError("dataflow-stream: the module is not planned: run dataflow-tile, "
                                      "hls-prepare-for-emission and dataflow-plan first")
        if self.fifo_memory not in ("auto", *FIFO_MEMORIES):
            raise DataflowStreamError(f"dataflow-stream: fifo_memory must be auto or one of {', '.join(FIFO_MEMORIES)}, "
                                      f"not {self.fifo_memory!r}")
        if options.io_style != IoStyle.STREAM:
            return
        mains = [f for f in op.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise DataflowStreamError("dataflow-stream: the module needs exactly one func.func @main")
        stream_function(op, mains[0], self.fifo_memory)
