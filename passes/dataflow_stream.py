"""`dataflow-stream`: streams and FIFOs of the I/O style `stream` (see
`nncc.dialects.dataflow_stream`).

On a planned module whose `#emit.options` say `io = stream` (else the pass does nothing):

1. finds the stream region of `@main`, a chain from the input: sliding-window convolution
   PEs and max pools (line-buffer stages) and element-wise ops on fixed-point values
   (applied to each beat); the first other op (global pooling, flatten, dense, the output)
   starts the whole-tensor *tail*;
2. puts a `dataflow.fifo` in front of every stage and of the tail (that one `collect`s);
3. runs the cycle model (`dataflow_stream_model`) of the chain at its II, sets each FIFO's
   depth to the smallest that never refuses a push, and writes the stages' timing, the
   FIFOs' occupancy, the design's `dataflow.schedule` (latency and II of the stream design)
   and `dataflow.stream_schedule`;
4. re-plans the tail as a whole-tensor design whose input is the collector: its valid times
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
from nncc.dialects.dataflow_stream import STREAM_FIFO_ATTR, STREAM_SCHEDULE_ATTR, STREAM_STAGE_ATTR, FifoOp
from nncc.dialects.emit import NAME_ATTR, IoStyle, emission_options
from nncc.dialects.interfaces import Elementwise, Reduction, Windowed
from nncc.passes.dataflow_plan import _handshake_groups
from nncc.passes.dataflow_stream_model import StreamChain, StreamModelError, WindowStage, size_fifos


class DataflowStreamError(PassFailedException):
    """The module cannot be streamed."""


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _pixels(v: SSAValue) -> int:
    return int(np.prod(_shape(v)[2:], dtype=np.int64))


def _dyn(values: dict) -> DictionaryAttr:
    return DictionaryAttr({k: (StringAttr(v) if isinstance(v, str) else IntegerAttr(int(v), i64)) for k, v in values.items()})


@dataclass
class _Region:
    """The stream region: the input quantize, its stages in order, the value the tail takes."""

    source: Operation
    stages: list[Operation]
    end: SSAValue
    tail_first: Operation


def _window_of(op: Operation):
    """The window geometry of a stream stage, or None when ``op`` is not one."""
    if isinstance(op, dataflow.PeOp) and op.window is not None:
        return dataflow.window_geometry(op.layer())
    if isinstance(op, Windowed) and isinstance(op, Reduction) and op.combiner() == "max":
        geo = op.window_geometry()
        if geo.pad != (0, 0) or geo.padded != (geo.height, geo.width):
            raise DataflowStreamError(f"dataflow-stream: {op.name} with padding is not streamed yet")
        return geo
    return None


def _on_beats(op: Operation, v: SSAValue) -> bool:
    """An element-wise op of the stream value alone (constants aside) with a fixed-point result."""
    others = [u for u in op.operands if u is not v]
    return (isinstance(op, Elementwise) and len(op.results) == 1 and v in op.operands
            and all(isinstance(u.owner, fixed.ConstantOp) and int(np.prod(_shape(u))) == 1 for u in others)
            and _shape(op.results[0]) == _shape(v) and isinstance(op.results[0].type.element_type, fixed.FixedType))


def _region(block) -> _Region:
    ops = [op for op in block.ops if not isinstance(op, fixed.ConstantOp)]
    if not ops or not isinstance(ops[0], fixed.QuantizeOp) or len(_shape(ops[0].output)) not in (3, 4):
        raise DataflowStreamError("dataflow-stream: stream mode needs one NCW or NCHW graph input, quantized first")
    v, stages = ops[0].output, []
    for op in ops[1:]:
        if v not in op.operands or len(list(v.uses)) != 1:
            raise DataflowStreamError(f"dataflow-stream: {op.name} is not on a chain from the input (branches are not streamed yet)")
        if _window_of(op) is not None:
            stages.append(op)
        elif not _on_beats(op, v):
            return _Region(ops[0], stages, v, op)
        v = op.results[0]
    raise DataflowStreamError("dataflow-stream: the graph has no output")


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
    function.attributes[HANDSHAKES_ATTR] = ArrayAttr(_handshake_groups(consumers))
    return ii, max(time.values()) + 1


def stream_function(module: ModuleOp, function: func.FuncOp) -> None:
    """Streams, FIFOs and their depths, the stream schedule (see the module docstring)."""
    region = _region(function.body.blocks[0])
    fifos = [_insert_fifo(op.operands[0], op, f"{_name(op)}_fifo", False) for op in region.stages]
    collector = _insert_fifo(region.end, region.tail_first, f"{_name(region.tail_first)}_collect", True)
    fifos.append(collector)
    tail_ii, tail_latency = _plan_tail(function, collector)
    chain = StreamChain(_pixels(region.source.output), [_stage_model(op) for op in region.stages],
                        _pixels(region.end), tail_ii, tail_latency)
    try:
        depths, trace, samples = size_fifos(chain)
    except StreamModelError as err:
        raise DataflowStreamError(str(err)) from None
    start = trace.fires[0]
    for i, (fifo, depth) in enumerate(zip(fifos, depths)):
        fifo.depth = IntegerAttr(depth, i64)
        fifo.attributes[STREAM_FIFO_ATTR] = _dyn({
            "max_occupancy": depth - 1, "pushes": len(trace.pushes[i]),
            "first_push": trace.pushes[i][0] - start, "last_pop": trace.pops[i][-1] - start})
        consumer = region.stages[i] if i < len(region.stages) else collector
        model = chain.stages[i] if i < len(region.stages) else None
        out = trace.pushes[i + 1] if i + 1 < len(fifos) else trace.outputs
        consumer.attributes[STREAM_STAGE_ATTR] = _dyn({
            "kind": "window" if model else "collect", "service": model.service if model else chain.collect_beats,
            "first_in": trace.pops[i][0] - start, "first_out": out[0] - start,
            "last_out": out[_pixels_out(region, i, model) - 1] - start})
    region.source.attributes[STREAM_STAGE_ATTR] = _dyn({
        "kind": "source", "service": chain.source_beats + 1, "first_in": 0,
        "first_out": trace.pushes[0][0] - start, "last_out": trace.pushes[0][chain.source_beats - 1] - start})
    latency = trace.outputs[0] - start
    module.attributes[SCHEDULE_ATTR] = DictionaryAttr({"ii": IntegerAttr(chain.ii, i64), "latency": IntegerAttr(latency, i64)})
    module.attributes[STREAM_SCHEDULE_ATTR] = _dyn({"ii": chain.ii, "latency": latency, "samples": samples,
                                                    "tail_ii": tail_ii, "tail_latency": tail_latency})


def _pixels_out(region: _Region, i: int, model) -> int:
    """Beats (or, for the collector, tensors) a stage produces per sample."""
    return _pixels(region.stages[i].results[0]) if model else 1


@dataclass(frozen=True)
class DataflowStreamPass(ModulePass):
    """With `io = stream`: streams and exactly sized FIFOs between the line-buffer stages of
    the convolutional front, the stream schedule, and the whole-tensor tail re-planned
    behind the collector (see the module docstring); with `io = parallel` nothing."""

    name = "dataflow-stream"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        options = emission_options(op)
        if options is None or SCHEDULE_ATTR not in op.attributes:
            raise DataflowStreamError("dataflow-stream: the module is not planned: run dataflow-tile, "
                                      "hls-prepare-for-emission and dataflow-plan first")
        if options.io_style != IoStyle.STREAM:
            return
        mains = [f for f in op.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise DataflowStreamError("dataflow-stream: the module needs exactly one func.func @main")
        stream_function(op, mains[0])
