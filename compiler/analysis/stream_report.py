"""The `stream` section of report.json (I/O style `stream`): the stream model's schedule,
every stage's timing and every FIFO's depth, width, bits and memory, as `dataflow-stream` wrote them."""

from __future__ import annotations

from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, StringAttr

from nncc.dialects.dataflow_stream import STREAM_FIFO_ATTR, STREAM_SCHEDULE_ATTR, STREAM_STAGE_ATTR, FifoOp
from nncc.dialects.emit import emitted_name


def plain_dict(attr: DictionaryAttr) -> dict:
    """A dictionary attribute of integers and strings as a Python dict (other values as text)."""
    return {k: (v.value.data if isinstance(v, IntegerAttr) else v.data if isinstance(v, StringAttr) else str(v))
            for k, v in attr.data.items()}


def stream_section(design: ModuleOp) -> dict | None:
    """`{schedule, stages, fifos}` of a stream design, None for a parallel one."""
    schedule = design.attributes.get(STREAM_SCHEDULE_ATTR)
    if not isinstance(schedule, DictionaryAttr):
        return None
    stages, fifos = [], []
    for op in design.walk():
        stage = op.attributes.get(STREAM_STAGE_ATTR)
        if isinstance(stage, DictionaryAttr):
            stages.append({"name": emitted_name(op), **plain_dict(stage)})
        if isinstance(op, FifoOp):
            depth, width = op.depth.value.data, op.width.value.data
            fifos.append({"name": emitted_name(op), "depth": depth, "width_bits": width, "bits": depth * width, "memory": op.memory_kind,
                          "beats_per_sample": op.beats.value.data, "collect": op.collect is not None,
                          **plain_dict(op.attributes[STREAM_FIFO_ATTR])})
    return {"schedule": plain_dict(schedule), "stages": stages, "fifos": fifos}
