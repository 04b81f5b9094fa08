"""The static form of a recurrent layer (`Stateful`) in HLS C++: one cell engine reused
over the T time steps, the state in registers.

The state buffers are loaded from the initial-state constants; then a loop over t copies
the step's input slice ``x[t]`` (``x[T-1-t]`` walking backwards) into the step's input
buffer, runs the step's layers (each printed by its own construct, like the layers of the
top function), copies the next state into the state buffers and stores the new h at its
time position of the result. The loop is opened and closed by the ``scan_open`` and
``scan_close`` steps (`design.cpp.j2`). In the non-static form (`dataflow.schedule`'s
``non_static``) the loop is unrolled: one cell engine per time step, which the top
function's pipeline (II = the cell latency) overlaps across sequences.
"""

from __future__ import annotations

from nncc.backends.hls_cpp.emitter import BufferView, StepView, _Emitter, _handler, _shape, _size
from nncc.dialects.dataflow import non_static
from nncc.dialects.interfaces import Stateful
from nncc.dialects.recurrent.delta import DeltaAccumulateOp, engine


def _buffer(em: _Emitter, value, name: str) -> str:
    """A buffer for a block argument of the step (the input slice or a state)."""
    type_name = em.declare_type(f"t_{name}", value.type.element_type)
    em.buffers.append(BufferView(name, type_name, _size(value)))
    em.names[value], em.type_names[value], em.array_types[name] = name, type_name, type_name
    return name


def scan_step(em: _Emitter, op: Stateful) -> None:
    """The static form of ``op`` (see the module docstring)."""
    name, type_name = em.result(op)
    block = op.step_region().block
    x_arg, *state_args = block.args
    unroll, steps, reverse = em.unroll(op), op.time_steps(), op.reversed_time()
    for k, (arg, initial) in enumerate(zip(state_args, op.state_values())):
        buf = _buffer(em, arg, f"{name}_state{k}")
        em.steps.append(StepView("copy", buf, em.type_names[arg], _size(arg), unroll, src=(em.src(initial),),
                                 src_types=(em.type_names[initial],)))
    x_buf = _buffer(em, x_arg, f"{name}_xt")
    em.steps.append(StepView("scan_open", name, type_name, steps, value=int(non_static(op))))
    sequence = op.sequence()
    em.steps.append(StepView("scan_slice", x_buf, em.type_names[x_arg], _size(x_arg), unroll, src=(em.src(sequence),),
                             src_types=(em.type_names[sequence],), rows=steps, is_sub=reverse))
    terminator = block.last_op
    for inner in block.ops:
        if inner is not terminator:
            _handler(inner)(em, inner)
    for arg, value in zip(state_args, terminator.operands):
        em.steps.append(StepView("copy", em.names[arg], em.type_names[arg], _size(arg), unroll, src=(em.src(value),),
                                 src_types=(em.type_names[value],)))
    h = state_args[0]
    em.steps.append(StepView("scan_store", name, type_name, _size(h), unroll, src=(em.names[h],),
                             src_types=(em.type_names[h],), rows=steps, is_sub=reverse))
    em.steps.append(StepView("scan_close", name, type_name, steps))


def delta_step(em: _Emitter, op: DeltaAccumulateOp) -> None:
    """A delta memory update M' = M + W Δ (`nncc.dialects.recurrent.delta`): a loop over
    the columns that skips those whose Δ is zero, each column's rows shared by the engine's
    PEs (the row loop unrolled by the PE count)."""
    name, type_name = em.result(op)
    rows, cols = _shape(op.weight)
    pes, column_cycles = engine(op)
    em.steps.append(StepView(
        "delta_accumulate", name, type_name, rows, em.unroll(op),
        src=(em.src(op.memory), em.src(op.delta)), src_types=(em.type_names[op.memory], em.type_names[op.delta]),
        weight=em.src(op.weight), weight_type=em.type_names[op.weight], rows=rows, cols=cols, inner=pes,
        latency=column_cycles))
