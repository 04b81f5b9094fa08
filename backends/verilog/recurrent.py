"""A recurrent layer (`Stateful`) in Verilog. Static form: one cell engine reused over the T
time steps, the state in registers (`modules/scan.v.j2`). Non-static form
(`dataflow.schedule`'s ``non_static``): T copies of the cell engine in a pipeline, stage k
computing step k of its sequence and handing sequence, state and the h so far to stage k + 1
when its step is done and stage k + 1 is free, so a new sequence can enter every C cycles and
leaves T x C cycles later (`modules/scan_pipeline.v.j2`: every stage counts its own step, a
done stage waits while the next is busy, the last one while the output register is full, and
a sequence is taken whenever the first stage is free, so a slower stage after the layer sets
the pace without rounding it to the cell's period).

The layer is a registered stage with the processing elements' handshake (`in_valid` /
`in_ready`, `out_valid` / `out_ready`). It accepts a whole sequence; step t (walking
backwards for a reverse layer) feeds the input slice and the state (the initial state's
constants on the first step) to the step's layers: its processing elements start on the
step's first cycle, the rest of the step is combinational on their results, and on the
step's last cycle (cycle C - 1, C = `cell_latency` of `dataflow.schedule`) the next state is
registered, the new h stored at its time position of the result and the PEs' results taken.
The first step starts in the cycle the sequence is accepted, so the result is valid T x C
cycles after it, as `dataflow-tile` predicts.
"""

from __future__ import annotations

from dataclasses import replace

from xdsl.dialects.builtin import DictionaryAttr

from nncc.backends.verilog.emitter import VerilogEmissionError, _Emitter, _handler, _size, _t
from nncc.backends.verilog.pe_compact import _stride, hex_literal
from nncc.backends.verilog.render import render
from nncc.backends.verilog.views import ModuleView
from nncc.dialects.fixed import ConstantOp
from nncc.dialects.dataflow import SCHEDULE_ATTR, non_static
from nncc.dialects.interfaces import Stateful
from nncc.dialects.recurrent.delta import DELTA_ENGINE_ATTR, DeltaAccumulateOp, column_lists, engine, is_delta_step


def _state_inputs(em: _Emitter, op: Stateful, state_args) -> tuple[tuple[str, int, str, str], ...]:
    """Per state: (wire name, bits, initial value localparam literal, register name)."""
    out = []
    for k, (arg, initial) in enumerate(zip(state_args, op.state_values())):
        const = em.consts.get(initial)
        if const is None:
            raise VerilogEmissionError(f"{op.name} '{em.name(op)}': the initial state must be a constant")
        bits = _t(arg).width.data * _size(arg)
        literal = "{" + ", ".join(f"{const.width}'d{v % (1 << const.width)}" for v in reversed(const.values)) + "}"
        out.append((f"st{k}", bits, literal, f"s{k}"))
        em.names[arg], em.valid[arg] = f"st{k}", 0
    return tuple(out)


def scan_stage(em: _Emitter, op: Stateful) -> None:
    """The engine of ``op`` (see the module docstring) and the modules of its step."""
    timing = op.attributes.get(SCHEDULE_ATTR)
    if not isinstance(timing, DictionaryAttr):
        raise VerilogEmissionError(f"{op.name} '{em.name(op)}' has no {SCHEDULE_ATTR}: run dataflow-tile first")
    cell = timing.data["cell_latency"].value.data
    block = op.step_region().block
    x_arg, *state_args = block.args
    if cell < 2:
        raise VerilogEmissionError(f"{op.name} '{em.name(op)}': a step without processing elements is not supported")
    states = _state_inputs(em, op, state_args)
    em.names[x_arg], em.valid[x_arg] = "xt", 0
    first_module, first_constant = len(em.modules), len(em.constants)
    terminator = block.last_op
    for inner in block.ops:
        if inner is not terminator and not _engine_weight(inner):
            _handler(inner)(em, inner)
    step_constants = tuple(em.constants[first_constant:])  # declared inside the engine's module
    del em.constants[first_constant:]
    inner_modules = tuple(replace(m, inner=True) for m in em.modules[first_module:])
    em.modules[first_module:] = list(inner_modules)
    steps, h = op.time_steps(), state_args[0]
    x_elem = _size(x_arg)
    em.add(op, "scan")
    view = em.modules[-1]
    fields = dict(
        steps=steps, cell=cell, reverse=op.reversed_time(), step_width=max(1, int(steps).bit_length()),
        cycle_width=max(1, int(cell).bit_length()), x_bits=_t(x_arg).width.data * x_elem,
        seq_bits=_t(x_arg).width.data * x_elem * steps, h_bits=_t(h).width.data * _size(h), states=states,
        next_states=tuple(em.names[v] for v in terminator.operands), inner=inner_modules,
        data_dependent=is_delta_step(block), constants=step_constants,
        done=" && ".join(f"{i.out}_done" for i in inner_modules if i.kind == "delta_accumulate") or "1'b1",
    )
    if non_static(op):
        if fields["data_dependent"]:
            raise VerilogEmissionError(f"{op.name} '{em.name(op)}': the non-static form of a delta-form layer is not supported")
        if steps < 2:
            raise VerilogEmissionError(f"{op.name} '{em.name(op)}': the non-static form needs at least 2 time steps")
        fields["stages"] = _stages(fields, steps, op.reversed_time())
        text = render("modules/scan_pipeline.v.j2", m=view, s=fields)
    else:
        text = render("modules/scan.v.j2", m=view, s=fields)
    em.modules[-1] = replace(view, registered=True, text=text, steps=steps, non_static="stages" in fields,
                             seq_bits=fields["seq_bits"], state_bits=sum(bits for _, bits, _, _ in states),
                             inner_modules=tuple(i.module for i in inner_modules))


def _stages(fields: dict, steps: int, reverse: bool) -> tuple[dict, ...]:
    """The non-static form's stages: per stage k its time step t (T - 1 - k walking backwards)
    and its copy of the step's instances, every wire of the step renamed with the suffix _k<k>."""
    local = {"xt"} | {wire for wire, _, _, _ in fields["states"]} | {i.out for i in fields["inner"]}
    out = []
    for k in range(steps):
        rename = {name: f"{name}_k{k}" for name in local}
        inner = tuple(dict(module=i.module, out=rename[i.out], out_width=i.out_width, count=i.count,
                           registered=i.registered, inputs=tuple(rename.get(inp[0], inp[0]) for inp in i.inputs))
                      for i in fields["inner"])
        out.append(dict(k=k, t=steps - 1 - k if reverse else k, inner=inner,
                        next=tuple(rename.get(name, name) for name in fields["next_states"])))
    return tuple(out)


def delta_engine(em: _Emitter, op: DeltaAccumulateOp) -> None:
    """A delta memory update (`nncc.dialects.recurrent.delta`) as its column-skipping engine
    (`modules/delta_accumulate.v.j2`): a registered module the static scan starts with the
    step and whose ``done`` ends the step. Per PE the column lists of `column_lists` are
    constants indexed by (column, slot)."""
    pes, k = engine(op)
    rows, cols = op.weight.type.get_shape()
    longest, values, local = column_lists(op.weight_raw(), pes)
    if longest != k:
        raise VerilogEmissionError(f"{op.name} '{em.name(op)}': its {DELTA_ENGINE_ATTR} says {k} cycles per column, "
                                   f"its weights need {longest}: run dataflow-tile again")
    per_pe = rows // pes
    ww, dw, mw = _t(op.weight).width.data, _t(op.delta).width.data, _t(op.memory).width.data
    rw = max(1, int(per_pe - 1).bit_length()) if per_pe > 1 else 0
    wstride, rstride = _stride(ww), _stride(max(rw, 1))
    tables = tuple(dict(index=p, weights=hex_literal(values[p].reshape(-1), wstride),
                        rows=hex_literal(local[p].reshape(-1), rstride) if rw else "",
                        outputs=tuple((p + q * pes, q) for q in range(per_pe)))
                   for p in range(pes))
    fields = dict(rows=rows, cols=cols, pes=pes, k=k, per_pe=per_pe, ww=ww, dw=dw, mw=mw, pw=ww + dw, rw=rw,
                  wstride=wstride, rstride=rstride, entries=cols * k, sw=max(1, int(k - 1).bit_length()),
                  jw=max(1, int(cols - 1).bit_length()), ew=max(1, int(cols * k - 1).bit_length()), pe_tables=tables)
    name, out = em.name(op), op.output
    em.names[out], em.valid[out] = name, 0
    view = ModuleView(kind="delta_accumulate", module=f"{em.top}__{name}", out=name, out_width=mw, count=rows,
                      inputs=(em.port(op.memory), em.port(op.delta)), registered=True, pes=pes, columns=cols,
                      reuse=k, acc_width=mw, x_width=dw, product_width=ww)
    em.modules.append(replace(view, text=render("modules/delta_accumulate.v.j2", m=view, d=fields)))


def _engine_weight(op) -> bool:
    """Whether ``op`` is a constant read only as the weights of delta engines (which hold them
    as their own tables)."""
    return isinstance(op, ConstantOp) and bool(op.output.uses) and all(
        isinstance(use.operation, DeltaAccumulateOp) and use.index == 2 for use in op.output.uses)
