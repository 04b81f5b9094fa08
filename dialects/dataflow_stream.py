"""Streams and FIFOs of the `dataflow` dialect (I/O style `stream`).

In stream mode the convolutional front of a CNN works on streams of channel
vectors, one pixel per beat, in raster order: the design's input port takes the input one
pixel per beat (the *source*), convolutions and max pools are line-buffer stages that consume a beat
per non-padding position of their padded frame and produce one output pixel per window
anchor, element-wise ops (casts, activations) act on each beat on the way; a value may feed
several consumers (a *fork*: the beat goes into all their FIFOs at once) and an element-wise
op of several streams (a *join*, e.g. the `Add` of a residual block) takes one beat of each;
the streams end in a *collector* that gathers a whole tensor for the layers after it
(global pooling, flatten, dense), which run as in the parallel style.

Every stream edge into a stage, a join or a fork's consumer goes through a
`dataflow.fifo`: a first-in first-out buffer of `depth` beats of `width` bits, `beats` beats per sample. Semantically it is the
identity (an `IndexMap` whose table is the identity), so every interpreter and the
whole-tensor printers treat it as a copy; the stream printers build the buffer. The FIFO
whose consumer is the collector carries `collect`. The depths are computed by
`dataflow-stream` from the stages' exact cycle patterns (the minimum without stall); on
the shorter branch of a fork, that is the delay buffer that lets the join keep the II.
`memory` says what holds the beats (`FIFO_MEMORIES`): `"registers"` (flip-flops),
`"lutram"` (distributed RAM, read asynchronously) or `"bram"` (block RAM: a registered
read that always holds the head beat, so the FIFO's timing is the same); absent, `"lutram"`.

Example:
    %f = dataflow.fifo %x {beats = 256 : i64, depth = 2 : i64, memory = "registers", width = 128 : i64}
        : tensor<1x8x16x16x!fixed.q<16, 6>> -> tensor<1x8x16x16x!fixed.q<16, 6>>
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import I64, IntegerAttr, StringAttr, TensorType, UnitAttr, i64
from xdsl.ir import SSAValue
from xdsl.irdl import IRDLOperation, ParsePropInAttrDict, irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.interfaces import FixedSemantics, IndexMap

FIFO_MEMORIES = ("registers", "lutram", "bram")
"""What may hold a FIFO's beats (`dataflow.fifo` `memory`)."""

STREAM_SCHEDULE_ATTR = "dataflow.stream_schedule"
"""Module attribute (stream mode): `{latency, ii, samples}` of the stream model, the same
numbers `dataflow.schedule` then holds, and the samples simulated to find the FIFO depths."""
STREAM_STAGE_ATTR = "dataflow.stream_stage"
"""On every stage of the stream (the input quantize, window engines, pools) and on the
collector FIFO: `{kind, service, first_in, first_out, last_out}` — cycles per sample when never
starved, and (sample 0, cycles after its first input beat) its first consumed beat, first and
last produced beat."""
STREAM_FIFO_ATTR = "dataflow.stream_fifo"
"""On every `dataflow.fifo`: `{max_occupancy, pushes, first_push, last_pop}` over the samples
the model simulated (cycles after the first input beat)."""


@irdl_op_definition
class FifoOp(IRDLOperation, FixedSemantics, IndexMap):
    """A stream FIFO: `depth` beats of `width` bits, `beats` beats per sample; the identity on
    values (see the module docstring)."""

    name = "dataflow.fifo"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    depth = prop_def(IntegerAttr[I64])
    width = prop_def(IntegerAttr[I64])
    beats = prop_def(IntegerAttr[I64])
    collect = opt_prop_def(UnitAttr)
    memory = opt_prop_def(StringAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, value: SSAValue, depth: int, width: int, beats: int, collect: bool = False,
                 memory: str | None = None):
        props = {"depth": IntegerAttr(depth, i64), "width": IntegerAttr(width, i64), "beats": IntegerAttr(beats, i64)}
        if collect:
            props["collect"] = UnitAttr()
        if memory is not None:
            props["memory"] = StringAttr(memory)
        super().__init__(operands=[value], result_types=[value.type], properties=props)

    @property
    def memory_kind(self) -> str:
        """What holds the beats: one of `FIFO_MEMORIES` (absent: "lutram")."""
        return self.memory.data if self.memory is not None else "lutram"

    def verify_(self) -> None:
        if self.input.type != self.output.type:
            raise VerifyException("dataflow.fifo: the result type must be the operand type")
        for field in ("depth", "width", "beats"):
            if getattr(self, field).value.data < 1:
                raise VerifyException(f"dataflow.fifo: {field} must be >= 1")
        if self.memory_kind not in FIFO_MEMORIES:
            raise VerifyException(f"dataflow.fifo: memory must be one of {', '.join(FIFO_MEMORIES)}, not {self.memory_kind!r}")

    def evaluate_fixed(self, args, batch):
        """A FIFO delays a stream; on values it is the identity."""
        return args[0]

    def index_table(self) -> tuple[np.ndarray, np.ndarray]:
        size = int(np.prod(tuple(self.output.type.get_shape())[1:], dtype=np.int64))
        return np.zeros(size, np.int64), np.arange(size, dtype=np.int64)
