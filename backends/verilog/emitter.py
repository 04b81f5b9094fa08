"""Read-only Verilog emitter: a prepared, tiled, planned fixed-point module -> synthesizable Verilog.

A printer of the hardware plan `dataflow-plan` wrote into the IR: per PE its slot map,
product chains or adder tree (`#dataflow.pe_plan`) and window timing, on `@main` the
handshake groups, per op its valid cycle, intermediate widths and index tables. Nothing
here re-derives them; a module without a plan is refused.

Microarchitecture: every `dataflow.pe` is a registered stage that takes its latency in
cycles per sample (R, or a window engine's latency); every other op is combinational logic
in its own module; one output register holds the result until `out_ready`. Stages talk with
ready/valid handshakes: a PE holds its result (`out_valid`) until its consumers take it,
and accepts a new sample (`in_ready`) only when it is idle and its result is taken or being
taken. A handshake group fires when every producer is valid and every consumer ready. The
top module has ready/valid (AXI-Stream style) ports carrying whole tensors (element 0 in
the least significant bits) and accepts a sample at most every `ii` cycles, so that without
back-pressure every sample follows the predicted schedule. Values meeting at an op must
become valid in the same cycle (no skip connections across stages of different latency yet).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, DictionaryAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue

from nncc.backends.verilog import pe
from nncc.backends.verilog.pe_compact import print_mult_pe
from nncc.backends.verilog.render import render
from nncc.backends.verilog.views import CastSpec, ConstView, DesignView, ModuleView
from nncc.dialects import dataflow, fixed
from nncc.dialects.dataflow import (
    HANDSHAKES_ATTR, INDEX_ATTR, NO_OPERAND, SCHEDULE_ATTR, VALID_ATTR, WIDTHS_ATTR, HandshakeGroupAttr, IndexTableAttr,
)
from nncc.dialects.dense import from_dense
from nncc.dialects.fixed import FixedType
from nncc.dialects.interfaces import ElementFunction, ElementKernel, IndexMap, MacLayer, PopcountLayer, Reduction, Stateful
from nncc.dialects.emit import NAME_ATTR, emission_options, is_stream_design
from nncc.dialects.sparse_plan import cluster_members, clusters_of, pe_taps

LIBRARY = "nncc_lib.v"


VerilogEmissionError = pe.VerilogEmissionError

def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _size(v: SSAValue) -> int:
    return int(np.prod(_shape(v), dtype=np.int64))


def _t(v: SSAValue) -> FixedType:
    return fixed.fixed_of(v)


class _Emitter:
    def __init__(self, module: ModuleOp, compact: bool = False):
        self.compact = compact  # multiplier PEs as printed text (emission), not per-term views (estimates)
        options = emission_options(module)
        schedule = module.attributes.get(SCHEDULE_ATTR)
        if options is None or not isinstance(schedule, DictionaryAttr):
            raise VerilogEmissionError("module is not ready: run dataflow-tile and hls-prepare-for-emission first")
        self.top = options.top_name
        # a data-dependent design (delta-form layers) takes a sample whenever its first stage is
        # free: no spacing beyond the handshakes
        self.data_dependent = dataflow.data_dependent(module)
        self.ii = 1 if self.data_dependent else schedule.data["ii"].value.data
        self.latency = schedule.data["latency"].value.data
        mains = [f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise VerilogEmissionError("module needs exactly one func.func @main")
        self.block = mains[0].body.blocks[0]
        groups = mains[0].attributes.get(HANDSHAKES_ATTR)
        if not isinstance(groups, ArrayAttr) or not all(isinstance(g, HandshakeGroupAttr) for g in groups.data):
            raise VerilogEmissionError(f"@main has no {HANDSHAKES_ATTR}: run dataflow-plan first")
        self.groups = tuple((f"fire{i}", tuple(p.data for p in g.producers.data), tuple(c.data for c in g.consumers.data))
                            for i, g in enumerate(groups.data))
        self.names: dict[SSAValue, str] = {}
        self.valid: dict[SSAValue, int] = {}  # planned valid times
        self.consts: dict[SSAValue, ConstView] = {}
        self.constants: list[ConstView] = []
        self.modules: list[ModuleView] = []
        self.input: SSAValue | None = None
        self.output: SSAValue | None = None

    def name(self, op: Operation) -> str:
        attr = op.attributes.get(NAME_ATTR)
        if not isinstance(attr, StringAttr):
            raise VerilogEmissionError(f"{op.name} has no {NAME_ATTR}: run hls-prepare-for-emission")
        return attr.data

    def table(self, op: Operation) -> list[tuple[int, ...]]:
        """The op's planned index table (rows of source indices)."""
        attr = op.attributes.get(INDEX_ATTR)
        if not isinstance(attr, IndexTableAttr):
            raise VerilogEmissionError(f"{op.name} '{self.name(op)}' has no {INDEX_ATTR}: run dataflow-plan first")
        return attr.rows()

    def port(self, v: SSAValue) -> tuple[str, int, int]:
        return (self.names[v], _t(v).width.data, _size(v))

    def add(self, op: Operation, kind: str, **fields) -> None:
        if not isinstance(op.attributes.get(VALID_ATTR), IntegerAttr):
            raise VerilogEmissionError(f"{op.name} '{self.name(op)}' has no {VALID_ATTR}: run dataflow-plan first")
        name = self.name(op)
        times = sorted({self.valid[v] for v in op.operands if v not in self.consts})
        if len(times) > 1:
            raise VerilogEmissionError(
                f"{op.name} '{name}' joins values valid at cycles {times}: "
                "skip connections across stages of different latency are not supported yet")
        out = op.results[0]
        self.valid[out] = op.attributes[VALID_ATTR].value.data
        self.names[out] = name
        self.modules.append(
            ModuleView(
                kind=kind, module=f"{self.top}__{name}", out=name, out_width=_t(out).width.data, count=_size(out),
                inputs=tuple(self.port(v) for v in op.operands), registered=isinstance(op, dataflow.PeOp), **fields,
            )
        )

    def run(self) -> DesignView:
        for op in self.block.ops:
            _handler(op)(self, op)
        if self.input is None or self.output is None:
            raise VerilogEmissionError("the Verilog back end needs exactly one graph input and one output")
        it, ot = _t(self.input), _t(self.output)
        groups = self.groups
        known = {m.out for m in self.modules if m.registered and not m.inner} | {"in", "out"}
        unknown = sorted({x for _, prods, cons in groups for x in (*prods, *cons)} - known)
        if unknown or "out" not in {c for _, _, cons in groups for c in cons}:
            raise VerilogEmissionError(f"{HANDSHAKES_ATTR} names unknown stages {unknown} or never takes 'out'")

        def valid(p: str) -> str:
            return "in_valid && in_ok" if p == "in" else f"{p}_v"

        def ready(c: str) -> str:
            return "out_free" if c == "out" else f"{c}_rdy"

        wires = tuple((fire, " && ".join([valid(p) for p in prods] + [ready(c) for c in cons]))
                      for fire, prods, cons in groups)
        in_ready = "1'b0"
        for fire, prods, cons in groups:
            if "in" in prods:
                in_ready = " && ".join(["in_ok"] + [valid(p) for p in prods if p != "in"] + [ready(c) for c in cons])
        fire_of_consumer = {c: fire for fire, _, cons in groups for c in cons}
        fire_of_producer = {p: fire for fire, prods, _ in groups for p in prods}
        modules = tuple(
            replace(m, fire=fire_of_consumer.get(m.out, "1'b0"), taken=fire_of_producer.get(m.out, "1'b0"))
            if m.registered else m for m in self.modules
        )
        return DesignView(
            top=self.top, in_name=self.names[self.input], in_width=it.width.data * _size(self.input),
            out_name=self.names[self.output], out_width=ot.width.data * _size(self.output),
            ii=self.ii, gap_width=max(1, int(self.ii).bit_length()), latency=self.latency,
            data_dependent=self.data_dependent,
            constants=tuple(self.constants), modules=modules, handshakes=wires, in_ready=in_ready,
            in_fire=fire_of_producer.get("in", "1'b0"), out_fire=fire_of_consumer["out"],
            in_elements=_size(self.input), in_element_width=it.width.data,
            out_elements=_size(self.output), out_element_width=ot.width.data,
        )


def _cast_spec(src: FixedType, dst: FixedType, rounding: str, overflow: str) -> CastSpec:
    return CastSpec(src.width.data, src.frac, dst.width.data, dst.frac, int(rounding == "rnd"), int(overflow == "sat"))


# ---------------------------------------------------------------------------------------
# handlers


def _quantize(em: _Emitter, op: fixed.QuantizeOp) -> None:
    if em.input is not None:
        raise VerilogEmissionError("the Verilog back end needs exactly one graph input")
    em.input = op.output
    em.names[op.output] = em.name(op)
    em.valid[op.output] = 0


def _dequantize(em: _Emitter, op: fixed.DequantizeOp) -> None:
    em.names[op.output] = em.names[op.input]
    em.valid[op.output] = em.valid[op.input]


def _return(em: _Emitter, op: func.ReturnOp) -> None:
    if len(op.operands) != 1:
        raise VerilogEmissionError("the Verilog back end needs exactly one graph output")
    src = op.operands[0].owner
    em.output = src.input if isinstance(src, fixed.DequantizeOp) else op.operands[0]


def _constant(em: _Emitter, op: fixed.ConstantOp) -> None:
    raw = np.asarray(from_dense(op.value), np.int64).reshape(-1)
    view = ConstView(em.name(op), _t(op.output).width.data, tuple(int(v) for v in raw))
    em.constants.append(view)
    em.consts[op.output] = view
    em.names[op.output] = view.name


def _cast(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    em.add(op, "cast", cast=_cast_spec(_t(op.operands[0]), _t(op.results[0]), fn.rounding, fn.overflow))


def _relu(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    em.add(op, "relu")


def _clamp(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    em.add(op, "clamp", value=fn.low, value2=fn.high)


def _dead_zone(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    em.add(op, "dead_zone", value=fn.low, value2=-fn.low)


def _leaky(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    t, a = _t(op.operands[0]), _t(fn.scale)
    product = FixedType(t.width.data + a.width.data, t.int_bits.data + a.int_bits.data)
    alpha = int(em.consts[fn.scale].values[0]) if fn.scale in em.consts else None
    if alpha is None:
        raise VerilogEmissionError(f"{op.name} needs a constant alpha")
    em.add(op, "leaky", value=alpha, cast=_cast_spec(product, t, fn.rounding, fn.overflow), product_width=product.width.data)


def _lut(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    table, shift = fn.table, fn.shift
    em.add(
        op, "lut", table=tuple((i, int(v)) for i, v in enumerate(table)), index_width=max(1, int(table.size - 1).bit_length()),
        shift=max(shift, 0), scale=1 << max(-shift, 0), offset=fn.offset, last=int(table.size) - 1,
    )


def _threshold(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    """Per-channel (channel, threshold, direction is -1) of ``value`` channels; the module
    gives element i of its ``count`` the channel i * value / count."""
    items = tuple((c, int(t), int(d < 0)) for c, (t, d) in enumerate(zip(fn.table, fn.slopes)))
    em.add(op, "threshold", items=items, value=len(items), value2=1, offset=-1)  # (+1 and -1 raw)


def _widths(em: _Emitter, op: Operation) -> tuple[int, int]:
    attr = op.attributes.get(WIDTHS_ATTR)
    if not isinstance(attr, DenseArrayBase) or len(attr.get_values()) != 2:
        raise VerilogEmissionError(f"{op.name} '{em.name(op)}' has no {WIDTHS_ATTR}: run dataflow-plan first")
    product, total = attr.get_values()
    return product, total


def _sum_type(total: int, frac: int) -> FixedType:
    return FixedType(total, total - frac)


def _pwl(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    t_in, t_out = _t(op.operands[0]), _t(op.results[0])
    m_t, c_t = fn.multiply_add()
    frac = max(m_t.frac + t_in.frac, c_t.frac)
    product, total = _widths(em, op)
    em.add(
        op, "pwl",
        breakpoints=tuple(int(v) for v in fn.table), slopes=tuple(int(v) for v in fn.slopes),
        intercepts=tuple(int(v) for v in fn.intercepts),
        slope_width=m_t.width.data, intercept_width=c_t.width.data, product_width=product,
        sum_width=total, shifts=(frac - (m_t.frac + t_in.frac), frac - c_t.frac),
        cast=_cast_spec(_sum_type(total, frac), t_out, fn.rounding, fn.overflow),
    )


def _poly(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    t_in, t_out = _t(op.operands[0]), _t(op.results[0])
    acc, ct = fn.multiply_add()
    coeffs = [int(v) for v in fn.table]
    frac = max(acc.frac + t_in.frac, ct.frac)
    product, total = _widths(em, op)
    rounding = fn.rounding
    em.add(
        op, "poly", table=tuple(enumerate(coeffs)), slope_width=ct.width.data,
        value=fn.low, value2=fn.high, product_width=product,
        sum_width=total, shifts=(frac - (acc.frac + t_in.frac), frac - ct.frac),
        cast=_cast_spec(ct, acc, rounding, "sat"), cast2=_cast_spec(_sum_type(total, frac), acc, rounding, "sat"),
        cast3=_cast_spec(acc, t_out, rounding, fn.overflow), acc_width=acc.width.data, last=len(coeffs) - 1,
    )


def _binary(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    out_t = _t(op.results[0])
    a, b = _t(op.operands[0]), _t(op.operands[1])
    shifts = (0, 0) if fn.operator == "*" else (out_t.frac - a.frac, out_t.frac - b.frac)
    items = tuple((i, la, rb) for i, (la, rb) in enumerate(em.table(op)))
    em.add(op, "binary", operator=fn.operator, shifts=shifts, items=items)


_FUNCTIONS = {
    "cast": _cast,
    "relu": _relu,
    "clamp": _clamp,
    "dead_zone": _dead_zone,
    "leaky_relu": _leaky,
    "lut": _lut,
    "pwl": _pwl,
    "poly": _poly,
    "threshold": _threshold,
    "binary": _binary,
}
"""One printer per kind of element function (`ElementFunction.kind`)."""


def _element(em: _Emitter, op: ElementKernel) -> None:
    """Any `ElementKernel`: the printer of its function's kind."""
    fn = op.element_function()
    printer = _FUNCTIONS.get(fn.kind)
    if printer is None:
        raise VerilogEmissionError(f"the Verilog back end cannot print a {fn.kind!r} function ({op.name})")
    printer(em, op, fn)


def _groups(is_max: bool):
    def handle(em: _Emitter, op: Operation) -> None:
        groups = []
        for o, cells in enumerate(em.table(op)):
            kept = tuple(c for c in cells if c != NO_OPERAND)
            groups.append((o, kept, len(kept) - 1))
        is_or = isinstance(op, Reduction) and op.bit_or()  # (+1 and -1 raw in value / value2)
        em.add(op, "reduce", is_max=is_max, is_or=is_or, groups=tuple(groups), value=1, value2=-1)

    return handle


def _gather(em: _Emitter, op: Operation, pad_raw: int = 0) -> None:
    em.add(op, "gather", value=pad_raw, items=tuple((i, row[0]) for i, row in enumerate(em.table(op))))


def _kwta(em: _Emitter, op: Reduction) -> None:
    """k-winners-take-all: per output its group (itself first, from the plan's table); a
    comparator against every other element, their count, and a select."""
    groups = tuple((o, kept, len(kept) - 1) for o, kept in
                   ((o, tuple(c for c in cells if c != NO_OPERAND)) for o, cells in enumerate(em.table(op))))
    width = max(last for _, _, last in groups).bit_length() if groups else 1
    em.add(op, "kwta", groups=groups, value=op.winners(), index_width=max(width, 1))


def _reduction(em: _Emitter, op: Reduction) -> None:
    """Any `Reduction` (pools, reduces): the plan's groups, combined by `combiner()`."""
    if op.combiner() == "kwta":
        _kwta(em, op)
        return
    _groups(op.combiner() == "max")(em, op)


def _data_movement(em: _Emitter, op: IndexMap) -> None:
    """Any `IndexMap`: one source (operand, element) per output from the plan's table; a
    single-operand map's padding cells take `fill_value()`."""
    if len(op.operands) > 1:
        em.add(op, "concat", items=tuple((o, k, src) for o, (k, src) in enumerate(em.table(op))))
    else:
        _gather(em, op, int(op.fill_value()))


def _window_pe(em: _Emitter, op: dataflow.PeOp, layer) -> None:
    """A sliding-window convolution engine (`dataflow.pe` with `window`): line buffer,
    raster-order feed of the zero-padded input, one output pixel per anchor; the controller
    counts what the plan's `#dataflow.window_timing` says."""
    plan, timing = pe.plan_of(op), pe.window_timing_of(op)
    geo = dataflow.window_geometry(layer)
    x, acc = _t(layer.activation()), fixed.fixed_of(layer.accumulator_type())
    rf, slots = plan.reuse.data, plan.slots.data
    kh, kw = geo.kernel
    taps = []
    for c in range(geo.channels):
        for i in range(kh):
            for j in range(kw):
                back = (geo.span[0] - 1 - i * geo.dilation[0]) * geo.padded[1] + (geo.span[1] - 1 - j * geo.dilation[1])
                taps.append(((c * kh + i) * kw + j, back * geo.channels + c))
    shift = pe.is_shift_layer(layer)
    fields: dict = {}
    if isinstance(layer, PopcountLayer):  # XNOR gates and popcount trees, no multiplier
        simd = dataflow.xnor_simd(op)
        slot_views = pe.xnor_slots(plan, layer, window=True, simd=simd)
        fields = pe.xnor_window_fields(layer, x.width.data, simd, rf)
        w_width = 1
    elif shift:
        slot_views, fields = pe.shift_slots(plan, layer, window=True)
        w_width = 1
    else:
        pe.check_product_fraction(layer)
        w_width = pe.weight_width(layer, layer.mac_terms().weights)
        cg, mg = geo.channels // geo.group, geo.out_channels // geo.group
        cells = np.arange(cg * kh * kw)
        operands = np.stack([(m // mg) * cg * kh * kw + cells for m in range(geo.out_channels)])
        clusters = clusters_of(op)
        members = cluster_members(clusters, rf) if clusters is not None else None
        slot_views = pe.mult_slots(plan, layer, operands, pe_taps(op, rf), members)
        if members is not None:  # a lane adds up to M window elements before its product
            fields["operand_width"] = pe.cluster_sum_width(x.width.data, clusters.width.data)
    if timing.reuse.data != rf or timing.line_buffer.data != geo.line_buffer or timing.latency.data != op.latency.value.data:
        raise VerilogEmissionError(f"dataflow.pe '{em.name(op)}': the window timing does not fit the engine")
    limit = (timing.last_row.data, timing.last_col.data)
    slot_map = list(plan.slot_map.get_values())
    folds = fields.get("folds", 1)  # a SIMD-folded XNOR slot writes its output on a group's last phase
    em.add(
        op, "pe_window", reuse=rf, last_phase=rf - 1, phase_width=max(1, int(rf - 1).bit_length()),
        slots=tuple(slot_views), acc_width=acc.width.data, x_width=x.width.data, w_width=w_width, shift=shift,
        channels=geo.channels, height=geo.height, width=geo.width, plane=geo.height * geo.width,
        line_buffer=timing.line_buffer.data, taps=tuple(taps), out_channels=geo.out_channels,
        anchors=timing.anchors.data, pad_top=geo.pad[0], pad_left=geo.pad[1], span=geo.span, stride=geo.stride,
        anchor_limit=limit, last_position=limit, padded_cols=geo.padded[1],
        row_width=max(1, int(geo.padded[0]).bit_length()), col_width=max(1, int(geo.padded[1]).bit_length()),
        phase_outputs=tuple(tuple((s, slot_map[p * slots + s]) for s in range(slots)) if p % folds == folds - 1 else ()
                            for p in range(rf)),
        **fields,
    )


def _pe(em: _Emitter, op: dataflow.PeOp) -> None:
    layer = op.layer()
    if op.window is not None:
        _window_pe(em, op, layer)
        return
    plan = pe.plan_of(op)
    x, acc = _t(layer.activation()), fixed.fixed_of(layer.accumulator_type())
    common = dict(reuse=plan.reuse.data, last_phase=plan.reuse.data - 1,
                  phase_width=max(1, int(plan.reuse.data - 1).bit_length()), acc_width=acc.width.data,
                  x_width=x.width.data)
    if isinstance(layer, PopcountLayer):
        x_width = x.width.data
        em.add(op, "pe_xnor", slots=tuple(pe.xnor_slots(plan, layer)), bits=layer.fan_in(),
               sign_bits=tuple(k * x_width + x_width - 1 for k in range(layer.fan_in())), **common)
        return
    if pe.is_shift_layer(layer):
        slot_views, fields = pe.shift_slots(plan, layer, window=False)
        em.add(op, "pe_shift", slots=tuple(slot_views), **common, **fields)
        return
    if not isinstance(layer, MacLayer):
        raise VerilogEmissionError(f"the Verilog back end cannot emit a PE around {layer.name}")
    pe.check_product_fraction(layer)
    mac = layer.mac_terms()
    taps = pe_taps(op, plan.reuse.data)
    clusters = clusters_of(op)
    members = cluster_members(clusters, plan.reuse.data) if clusters is not None else None
    if not em.compact:
        width = pe.cluster_sum_width(x.width.data, clusters.width.data) if members is not None else 0
        em.add(op, "pe", slots=tuple(pe.mult_slots(plan, layer, taps=taps, members=members)),
               w_width=pe.weight_width(layer, mac.weights), operand_width=width,
               weight_memory=dataflow.weight_memory(op), **common)
        return
    em.add(op, "pe", w_width=pe.weight_width(layer, mac.weights), **common)
    slot_map = np.asarray(pe.slot_map_of(plan, len(mac.channel)), np.int64)
    k = int(mac.weights.shape[1]) if taps is None else max((len(t) for t in taps), default=0)
    chains = pe.chains_of(plan, k)
    em.modules[-1] = replace(em.modules[-1], text=print_mult_pe(em.modules[-1], plan, mac, slot_map, chains, taps, members,
                                                                dataflow.weight_memory(op) == "bram"))


_FRAME = {
    "fixed.quantize": _quantize,
    "fixed.dequantize": _dequantize,
    "func.return": _return,
    "fixed.constant": _constant,
    "dataflow.pe": _pe,
}
"""By op name: the design's frame (the input and output ports, constants, the PE stages)."""


def _handler(op: Operation):
    """The op's construct: the frame's, else through its interface (`ElementKernel`,
    `Reduction`, `IndexMap`; a recurrent layer (`Stateful`) in its static form, `recurrent.py`)."""
    handler = _FRAME.get(op.name)
    if handler is not None:
        return handler
    if isinstance(op, ElementKernel):
        return _element
    if isinstance(op, Reduction):
        return _reduction
    if isinstance(op, IndexMap):
        return _data_movement
    if isinstance(op, Stateful) or op.name == "recurrent.delta_accumulate":
        from nncc.backends.verilog.recurrent import delta_engine, scan_stage  # (it builds on this module)

        return scan_stage if isinstance(op, Stateful) else delta_engine
    raise VerilogEmissionError(f"the Verilog back end cannot emit {op.name}")


def design_view(module: ModuleOp, compact: bool = False) -> DesignView:
    """The views of a prepared, tiled, planned module; ``compact`` prints the multiplier PEs'
    text instead of their per-term slot views. A stream design (io = stream) has no such
    view: `stream.stream_view` prints it."""
    if is_stream_design(module):
        raise VerilogEmissionError("a stream design has no whole-tensor design view: `stream.stream_view` prints it")
    return _Emitter(module, compact).run()


def emit_project(module: ModuleOp) -> dict[str, str]:
    """File name -> text: `<top>.v`, the testbench `tb.v` and the support library."""
    if is_stream_design(module):
        from nncc.backends.verilog.stream import emit_stream_project

        return emit_stream_project(module)
    view = design_view(module, compact=True)
    return {
        f"{view.top}.v": render("design.v.j2", design=view),
        "tb.v": render("tb.v.j2", design=view),
        LIBRARY: (resources.files("nncc.runtime") / "verilog" / LIBRARY).read_text(),
    }

