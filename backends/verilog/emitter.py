"""Read-only Verilog emitter: a prepared, tiled fixed-point module -> synthesizable Verilog.

Microarchitecture (exactly what `dataflow-tile`'s schedule describes): every
`dataflow.pe` is a registered stage that takes its latency in cycles per sample (R, or a
window engine's latency); every other op is combinational logic in its own module; one
output register holds the result until `out_ready`. Stages talk with ready/valid
handshakes: a PE holds its result (`out_valid`) until its consumers take it, and accepts
a new sample (`in_ready`) only when it is idle and its result is taken or being taken.
Producers and consumers connected through combinational logic form a handshake group
that fires when every producer is valid and every consumer ready. The top module has
ready/valid (AXI-Stream style) ports carrying whole tensors (element 0 in the least
significant bits) and accepts a sample at most every `ii` cycles, so that without
back-pressure every sample follows the predicted schedule. Values meeting at an op must
become valid in the same cycle (no skip connections across stages of different latency yet).
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue

from nncc.backends.verilog.render import render
from nncc.backends.verilog.sums import product_chunks, shared_pool, shift_trees
from nncc.backends.verilog.views import CastSpec, ConstView, DesignView, ModuleView, PeSlotView
from nncc.dialects import dataflow, fixed, nn, pot_quant
from nncc.dialects.dataflow import SCHEDULE_ATTR
from nncc.dialects.dense import from_dense
from nncc.dialects.fixed import FixedType
from nncc.dialects.nn.windows import broadcast_index_table, ceil_extra, window_index_table
from nncc.dialects.emit import NAME_ATTR, emission_options

LIBRARY = "nncc_lib.v"


class VerilogEmissionError(Exception):
    """The module is not prepared/tiled or contains something this back end cannot emit."""


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def _size(v: SSAValue) -> int:
    return int(np.prod(_shape(v), dtype=np.int64))


def _t(v: SSAValue) -> FixedType:
    return fixed.fixed_of(v)


class _Emitter:
    def __init__(self, module: ModuleOp):
        options = emission_options(module)
        schedule = module.attributes.get(SCHEDULE_ATTR)
        if options is None or not isinstance(schedule, DictionaryAttr):
            raise VerilogEmissionError("module is not ready: run dataflow-tile and hls-prepare-for-emission first")
        self.top = options.top_name
        self.ii = schedule.data["ii"].value.data
        self.latency = schedule.data["latency"].value.data
        mains = [f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise VerilogEmissionError("module needs exactly one func.func @main")
        self.block = mains[0].body.blocks[0]
        self.names: dict[SSAValue, str] = {}
        self.sources: dict[SSAValue, frozenset[str]] = {}
        self.consumers: list[tuple[str, frozenset[str]]] = []
        self.time: dict[SSAValue, int] = {}
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

    def runtime(self, op: Operation) -> list[SSAValue]:
        vals = [v for v in op.operands if v not in self.consts]
        times = {self.time[v] for v in vals}
        if len(times) > 1:
            raise VerilogEmissionError(
                f"{op.name} '{self.name(op)}' joins values valid at cycles {sorted(times)}: "
                "skip connections across stages of different latency are not supported yet"
            )
        return vals

    def port(self, v: SSAValue) -> tuple[str, int, int]:
        return (self.names[v], _t(v).width.data, _size(v))

    def add(self, op: Operation, kind: str, **fields) -> None:
        name = self.name(op)
        out = op.results[0]
        vals = self.runtime(op)
        start = max((self.time[v] for v in vals), default=0)
        registered = isinstance(op, dataflow.PeOp)
        self.time[out] = start + (op.latency.value.data if registered else 0)
        self.names[out] = name
        feeding = frozenset().union(*(self.sources[v] for v in vals)) if vals else frozenset()
        if registered:
            self.consumers.append((name, feeding))
            self.sources[out] = frozenset([name])
        else:
            self.sources[out] = feeding
        self.modules.append(
            ModuleView(
                kind=kind, module=f"{self.top}__{name}", out=name, out_width=_t(out).width.data, count=_size(out),
                inputs=tuple(self.port(v) for v in op.operands), registered=registered, **fields,
            )
        )

    def handshakes(self) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
        """Handshake groups: (fire signal, producers, consumers). Producers are PEs or `in`
        (the input port); consumers PEs or `out` (the output register); a group holds the
        producers and consumers linked through combinational logic."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                x = parent[x]
            return x

        for consumer, producers in self.consumers:
            for p in producers:
                parent[find("c:" + consumer)] = find("p:" + p)
        groups: dict[str, tuple[list[str], list[str]]] = {}
        for consumer, producers in self.consumers:
            root = find("c:" + consumer)
            groups.setdefault(root, ([], []))[1].append(consumer)
            for p in producers:
                if p not in groups[root][0]:
                    groups[root][0].append(p)
        return tuple((f"fire{i}", tuple(prods), tuple(cons)) for i, (prods, cons) in enumerate(groups.values()))

    def run(self) -> DesignView:
        for op in self.block.ops:
            handler = _HANDLERS.get(type(op))
            if handler is None:
                raise VerilogEmissionError(f"the Verilog back end cannot emit {op.name}")
            handler(self, op)
        if self.input is None or self.output is None:
            raise VerilogEmissionError("the Verilog back end needs exactly one graph input and one output")
        it, ot = _t(self.input), _t(self.output)
        self.consumers.append(("out", self.sources[self.output]))
        groups = self.handshakes()

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
    em.sources[op.output] = frozenset(["in"])
    em.time[op.output] = 0


def _dequantize(em: _Emitter, op: fixed.DequantizeOp) -> None:
    em.names[op.output] = em.names[op.input]
    em.sources[op.output] = em.sources[op.input]
    em.time[op.output] = em.time[op.input]


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


def _cast(em: _Emitter, op: fixed.CastOp) -> None:
    em.add(op, "cast", cast=_cast_spec(_t(op.input), _t(op.output), op.rounding.data.value, op.overflow.data.value))


def _relu(em: _Emitter, op: nn.ReluOp) -> None:
    em.add(op, "relu")


def _clamp(em: _Emitter, op: fixed.ClampOp) -> None:
    em.add(op, "clamp", value=op.min.value.data, value2=op.max.value.data)


def _leaky(em: _Emitter, op: fixed.LeakyReluOp) -> None:
    t, a = _t(op.input), _t(op.alpha)
    product = FixedType(t.width.data + a.width.data, t.int_bits.data + a.int_bits.data)
    alpha = int(em.consts[op.alpha].values[0]) if op.alpha in em.consts else None
    if alpha is None:
        raise VerilogEmissionError("fixed.leaky_relu needs a constant alpha")
    em.add(op, "leaky", value=alpha, cast=_cast_spec(product, t, op.rounding.data.value, "sat"), product_width=product.width.data)


def _lut(em: _Emitter, op: fixed.LutOp) -> None:
    table = np.asarray(from_dense(op.table), np.int64)
    shift = op.shift.value.data
    em.add(
        op, "lut", table=tuple((i, int(v)) for i, v in enumerate(table)), index_width=max(1, int(table.size - 1).bit_length()),
        shift=max(shift, 0), scale=1 << max(-shift, 0), offset=op.offset.value.data, last=int(table.size) - 1,
    )


def _pwl(em: _Emitter, op: fixed.PwlOp) -> None:
    t_in, t_out = _t(op.input), _t(op.output)
    m_t, c_t = op.slope_type, op.intercept_type
    frac = max(m_t.frac + t_in.frac, c_t.frac)
    product = m_t.width.data + t_in.width.data
    ints = max(m_t.int_bits.data + t_in.int_bits.data, c_t.int_bits.data) + 1
    total = FixedType(ints + frac, ints)
    em.add(
        op, "pwl",
        breakpoints=tuple(int(v) for v in np.asarray(from_dense(op.breakpoints)).reshape(-1)),
        slopes=tuple(int(v) for v in np.asarray(from_dense(op.slopes)).reshape(-1)),
        intercepts=tuple(int(v) for v in np.asarray(from_dense(op.intercepts)).reshape(-1)),
        slope_width=m_t.width.data, intercept_width=c_t.width.data, product_width=product,
        sum_width=total.width.data, shifts=(frac - (m_t.frac + t_in.frac), frac - c_t.frac),
        cast=_cast_spec(total, t_out, op.rounding.data.value, op.overflow.data.value),
    )


def _poly(em: _Emitter, op: fixed.PolyOp) -> None:
    t_in, t_out = _t(op.input), _t(op.output)
    acc, ct = op.acc_type, op.coeff_type
    coeffs = [int(v) for v in np.asarray(from_dense(op.coefficients)).reshape(-1)]
    frac = max(acc.frac + t_in.frac, ct.frac)
    ints = max(acc.int_bits.data + t_in.int_bits.data, ct.int_bits.data) + 1
    step = FixedType(ints + frac, ints)
    rounding = op.rounding.data.value
    em.add(
        op, "poly", table=tuple(enumerate(coeffs)), slope_width=ct.width.data,
        value=op.min.value.data, value2=op.max.value.data, product_width=acc.width.data + t_in.width.data,
        sum_width=step.width.data, shifts=(frac - (acc.frac + t_in.frac), frac - ct.frac),
        cast=_cast_spec(ct, acc, rounding, "sat"), cast2=_cast_spec(step, acc, rounding, "sat"),
        cast3=_cast_spec(acc, t_out, rounding, op.overflow.data.value), acc_width=acc.width.data, last=len(coeffs) - 1,
    )


def _binary(operator: str):
    def handle(em: _Emitter, op: Operation) -> None:
        out_t = _t(op.output)
        a, b = _t(op.lhs), _t(op.rhs)
        identity = np.arange(_size(op.output))
        la = broadcast_index_table(_shape(op.lhs), _shape(op.output))
        rb = broadcast_index_table(_shape(op.rhs), _shape(op.output))
        la = identity if la is None else la
        rb = identity if rb is None else rb
        shifts = (0, 0) if operator == "*" else (out_t.frac - a.frac, out_t.frac - b.frac)
        em.add(op, "binary", operator=operator, shifts=shifts,
               items=tuple((i, int(la[i]), int(rb[i])) for i in range(_size(op.output))))

    return handle


def _groups(em: _Emitter, op: Operation, lists, is_max: bool) -> None:
    groups = []
    for o, cells in enumerate(lists):
        kept = tuple(int(c) for c in cells if c >= 0)
        groups.append((o, kept, len(kept) - 1))
    em.add(op, "reduce", is_max=is_max, groups=tuple(groups))


def _window_pool(is_max: bool):
    def handle(em: _Emitter, op: Operation) -> None:
        x, y = _shape(op.input), _shape(op.results[0])
        kernel = tuple(op.kernel.get_values())
        pads = list(op.pads.get_values())
        rank = len(kernel)
        extra = ceil_extra(op, x[2:], pads)
        for i in range(rank):
            pads[rank + i] += extra[i]
        dil = tuple(op.dilations.get_values()) if hasattr(op, "dilations") else (1,) * rank
        windows = window_index_table(x[2:], kernel, tuple(op.strides.get_values()), pads, dil, y[2:]).tolist()
        spatial = int(np.prod(x[2:]))
        lists = [[c * spatial + w if w >= 0 else -1 for w in win] for c in range(x[1]) for win in windows]
        _groups(em, op, lists, is_max)

    return handle


def _reduce(is_max: bool, all_spatial: bool = False):
    def handle(em: _Emitter, op: Operation) -> None:
        x = _shape(op.input)
        axes = tuple(range(2, len(x))) if all_spatial else tuple(op.axes.get_values())
        keep = [d for d in range(len(x)) if d not in axes]
        idx = np.arange(int(np.prod(x))).reshape(x).transpose(keep + list(axes))
        count = int(np.prod([x[a] for a in axes]))
        _groups(em, op, idx.reshape(-1, count).tolist(), is_max)

    return handle


def _gather(em: _Emitter, op: Operation, table: np.ndarray, pad_raw: int = 0) -> None:
    em.add(op, "gather", value=pad_raw, items=tuple((i, int(s)) for i, s in enumerate(table.reshape(-1))))


def _reshape(em: _Emitter, op: Operation) -> None:
    _gather(em, op, np.arange(_size(op.results[0])))


def _transpose(em: _Emitter, op: nn.TransposeOp) -> None:
    x = _shape(op.input)
    _gather(em, op, np.arange(int(np.prod(x))).reshape(x).transpose(tuple(op.perm.get_values())))


def _pad(em: _Emitter, op: nn.PadOp) -> None:
    x = _shape(op.input)
    pads = tuple(op.pads.get_values())
    r = len(x)
    widths = [(pads[i], pads[r + i]) for i in range(r)]
    src = np.arange(int(np.prod(x))).reshape(x)
    mode = op.mode.data.value
    table = np.pad(src, widths, mode="constant", constant_values=-1) if mode == "constant" else np.pad(
        src, widths, mode="reflect" if mode == "reflect" else "edge")
    _gather(em, op, table, int(round(op.value.value.data * 2.0 ** _t(op.input).frac)))


def _concat(em: _Emitter, op: nn.ConcatOp) -> None:
    axis = op.axis.value.data
    y = _shape(op.output)
    inner = int(np.prod(y[axis + 1:]))
    outer = int(np.prod(y[:axis]))
    items, o = [], 0
    for o_idx in range(outer):
        for k, v in enumerate(op.inputs):
            chunk = _shape(v)[axis] * inner
            for j in range(chunk):
                items.append((o, k, o_idx * chunk + j))
                o += 1
    em.add(op, "concat", items=tuple(items))


def _window_pe(em: _Emitter, op: dataflow.PeOp, layer) -> None:
    """A sliding-window convolution engine (`dataflow.pe` with `window`): line buffer,
    raster-order feed of the zero-padded input, one output pixel per anchor."""
    geo = dataflow.window_geometry(layer)
    x, acc = _t(layer.input), _t(layer.output)
    rf = op.reuse_factor.value.data
    slots = geo.out_channels // rf
    kh, kw = geo.kernel
    taps = []
    for c in range(geo.channels):
        for i in range(kh):
            for j in range(kw):
                back = (geo.span[0] - 1 - i * geo.dilation[0]) * geo.padded[1] + (geo.span[1] - 1 - j * geo.dilation[1])
                taps.append(((c * kh + i) * kw + j, back * geo.channels + c))
    shift = pot_quant.uses_shift_add(layer)
    fields: dict = {}
    if shift:
        plan = pot_quant.term_plan(layer, window=True)
        negated: dict[str, str] = {}
        used: set[int] = set()
        per_channel = []
        for m in range(geo.out_channels):
            terms = []
            for index, sign, amount in plan.terms_of(m):
                name = f"p{index}" if index < plan.inputs else f"q{index - plan.inputs}"
                if index < plan.inputs:
                    used.add(index)
                if rf > 1 and sign < 0:
                    negated[f"n{name}"] = name
                    name, sign = f"n{name}", 1
                terms.append((name, sign, amount))
            per_channel.append((m, int(plan.bias[m]), terms))
        for e, _ in plan.shared:
            used.add(e)
        slot_views, max_shift = [], 0
        for s in range(slots):
            phases = [per_channel[p * slots + s] for p in range(rf)]
            width = max(len(t) for _, _, t in phases)
            padded = []
            for m, bias, terms in phases:
                max_shift = max([max_shift] + [t[2] for t in terms])
                padded.append((m, bias, tuple(terms) + ((f"{acc.width.data}'sd0", 1, 0),) * (width - len(terms))))
            slot_views.append(PeSlotView(s, tuple(padded), width))
        pool_shared, ranges = shared_pool(tuple((i, e, d) for i, (e, d) in enumerate(plan.shared)), x.width.data, acc.width.data)
        slot_views = shift_trees(slot_views, rf, ranges, x.width.data, acc.width.data)
        fields = dict(pool_inputs=tuple(sorted(used)), pool_shared=pool_shared,
                      pool_negated=tuple(sorted(negated.items())), shift_width=max(1, int(max_shift).bit_length()))
        w_width = 1
    else:
        weights = np.asarray(from_dense(layer.weight.owner.value), np.int64)
        w_width = _t(layer.weight).width.data
        if acc.frac != x.frac + _t(layer.weight).frac:
            raise VerilogEmissionError("accumulator fraction differs from the product fraction")
        bias = np.zeros(geo.out_channels, np.int64)
        if layer.bias is not None:
            bias = np.asarray(from_dense(layer.bias.owner.value), np.int64).reshape(-1) << (acc.frac - _t(layer.bias).frac)
        cg, mg = geo.channels // geo.group, geo.out_channels // geo.group
        flat = weights.reshape(geo.out_channels, cg, kh * kw)

        def channel_terms(m: int):
            g = m // mg
            return tuple(((g * cg + c) * kh * kw + t, int(flat[m, c, t])) for c in range(cg) for t in range(kh * kw))

        slot_views = [PeSlotView(s, tuple((p * slots + s, int(bias[p * slots + s]), channel_terms(p * slots + s))
                                          for p in range(rf)), cg * kh * kw) for s in range(slots)]
        slot_views = product_chunks(slot_views)
    limit = (geo.span[0] - 1 + geo.stride[0] * (geo.out_size[0] - 1), geo.span[1] - 1 + geo.stride[1] * (geo.out_size[1] - 1))
    em.add(
        op, "pe_window", reuse=rf, last_phase=rf - 1, phase_width=max(1, int(rf - 1).bit_length()),
        slots=tuple(slot_views), acc_width=acc.width.data, x_width=x.width.data, w_width=w_width, shift=shift,
        channels=geo.channels, height=geo.height, width=geo.width, plane=geo.height * geo.width,
        line_buffer=geo.line_buffer, taps=tuple(taps), out_channels=geo.out_channels, anchors=geo.anchors,
        pad_top=geo.pad[0], pad_left=geo.pad[1], span=geo.span, stride=geo.stride, anchor_limit=limit,
        last_position=limit, padded_cols=geo.padded[1],
        row_width=max(1, int(geo.padded[0]).bit_length()), col_width=max(1, int(geo.padded[1]).bit_length()),
        phase_outputs=tuple(tuple((s, p * slots + s) for s in range(slots)) for p in range(rf)),
        **fields,
    )


def _shift_pe(em: _Emitter, op: dataflow.PeOp, layer) -> None:
    """A PE around a shift-and-add layer: the pool of input elements (and shared
    sub-expressions) feeds shifted, added terms; RF > 1 muxes operands and shift amounts."""
    x, acc = _t(layer.input), _t(layer.output)
    plan = pot_quant.term_plan(layer)
    rows = _size(layer.output) // plan.outputs
    cols = plan.outputs
    rf = op.reuse_factor.value.data
    slots = _size(layer.output) // rf
    shared_per_row = len(plan.shared)

    def operand(r: int, index: int) -> str:
        if index < plan.inputs:
            return f"p{r * plan.inputs + index}"
        return f"q{r * shared_per_row + index - plan.inputs}"

    used: set[int] = set()
    negated: dict[str, str] = {}
    shared = []
    for r in range(rows):
        for s, (e, digits) in enumerate(plan.shared):
            used.add(r * plan.inputs + e)
            shared.append((r * shared_per_row + s, r * plan.inputs + e, digits))
    out_terms = []
    for o in range(_size(layer.output)):
        r, j = divmod(o, cols)
        terms = []
        for index, sign, shift in plan.terms_of(j):
            name = operand(r, index)
            if index < plan.inputs:
                used.add(r * plan.inputs + index)
            if rf > 1 and sign < 0:  # muxed operands carry their sign: use the negated wire
                negated[f"n{name}"] = name
                name, sign = f"n{name}", 1
            terms.append((name, sign, shift))
        out_terms.append((o, int(plan.bias[j]), terms))
    slot_views = []
    max_shift = 0
    for s in range(slots):
        phases = [out_terms[ph * slots + s] for ph in range(rf)]
        width = max(len(t) for _, _, t in phases)
        padded = []
        for o, bias, terms in phases:
            max_shift = max([max_shift] + [t[2] for t in terms])
            padded.append((o, bias, tuple(terms) + ((f"{acc.width.data}'sd0", 1, 0),) * (width - len(terms))))
        slot_views.append(PeSlotView(s, tuple(padded), width))
    pool_shared, ranges = shared_pool(shared, x.width.data, acc.width.data)
    slot_views = shift_trees(slot_views, rf, ranges, x.width.data, acc.width.data)
    em.add(
        op, "pe_shift", reuse=rf, last_phase=rf - 1, phase_width=max(1, int(rf - 1).bit_length()),
        slots=tuple(slot_views), acc_width=acc.width.data, x_width=x.width.data,
        pool_inputs=tuple(sorted(used)), pool_shared=pool_shared, pool_negated=tuple(sorted(negated.items())),
        shift_width=max(1, int(max_shift).bit_length()),
    )


def _pe(em: _Emitter, op: dataflow.PeOp) -> None:
    layer = op.layer()
    if op.window is not None:
        _window_pe(em, op, layer)
        return
    if pot_quant.uses_shift_add(layer):
        _shift_pe(em, op, layer)
        return
    if not isinstance(layer, (fixed.DenseOp, fixed.ConvOp)):
        raise VerilogEmissionError(f"the Verilog back end cannot emit a PE around {layer.name}")
    x, w = _t(layer.input), _t(layer.weight)
    acc = _t(layer.output)
    weights = np.asarray(from_dense(layer.weight.owner.value), np.int64)
    bias = None
    shift_b = 0
    if layer.bias is not None:
        bias = np.asarray(from_dense(layer.bias.owner.value), np.int64).reshape(-1)
        shift_b = acc.frac - _t(layer.bias).frac
    prod_frac = x.frac + w.frac
    shift_p = acc.frac - prod_frac
    if shift_p:
        raise VerilogEmissionError("accumulator fraction differs from the product fraction")
    outputs = _size(layer.output)
    rf = op.reuse_factor.value.data
    slots = outputs // rf
    # per output element: bias and terms (input element or -1, raw weight)
    if isinstance(layer, fixed.DenseOp):
        m, k = weights.shape

        def terms_of(o):
            r, j = divmod(o, m)
            return [(r * k + i, int(weights[j, i])) for i in range(k)], j
    else:
        xs, ys = _shape(layer.input), _shape(layer.output)
        group = layer.group.value.data
        windows = window_index_table(xs[2:], weights.shape[2:], tuple(layer.strides.get_values()),
                                     tuple(layer.pads.get_values()), tuple(layer.dilations.get_values()), ys[2:]).tolist()
        spatial_in = int(np.prod(xs[2:]))
        cg, mg = xs[1] // group, weights.shape[0] // group
        flat_w = weights.reshape(weights.shape[0], cg, -1)
        positions = len(windows)

        def terms_of(o):
            mch, p = divmod(o, positions)
            g = mch // mg
            terms = []
            for c in range(cg):
                for kk, cell in enumerate(windows[p]):
                    terms.append(((g * cg + c) * spatial_in + cell if cell >= 0 else -1, int(flat_w[mch, c, kk])))
            return terms, mch

    slot_views = []
    for s in range(slots):
        phases = []
        for ph in range(rf):
            o = ph * slots + s
            terms, channel = terms_of(o)
            b = int(bias[channel]) << shift_b if bias is not None else 0
            phases.append((o, b, tuple(terms)))
        slot_views.append(PeSlotView(s, tuple(phases), len(phases[0][2])))
    slot_views = product_chunks(slot_views)
    em.add(
        op, "pe", reuse=rf, last_phase=rf - 1, phase_width=max(1, int(rf - 1).bit_length()), slots=tuple(slot_views),
        acc_width=acc.width.data, x_width=x.width.data, w_width=w.width.data,
    )


_HANDLERS = {
    fixed.QuantizeOp: _quantize,
    fixed.DequantizeOp: _dequantize,
    func.ReturnOp: _return,
    fixed.ConstantOp: _constant,
    fixed.CastOp: _cast,
    nn.ReluOp: _relu,
    fixed.ClampOp: _clamp,
    fixed.LeakyReluOp: _leaky,
    fixed.LutOp: _lut,
    fixed.PwlOp: _pwl,
    fixed.PolyOp: _poly,
    fixed.AddOp: _binary("+"),
    fixed.SubOp: _binary("-"),
    fixed.MulOp: _binary("*"),
    fixed.SumPoolOp: _window_pool(False),
    nn.MaxPoolOp: _window_pool(True),
    fixed.ReduceSumOp: _reduce(False),
    fixed.ReduceMaxOp: _reduce(True),
    nn.GlobalMaxPoolOp: _reduce(True, all_spatial=True),
    nn.ReshapeOp: _reshape,
    nn.FlattenOp: _reshape,
    nn.TransposeOp: _transpose,
    nn.PadOp: _pad,
    nn.GatherOp: lambda em, op: _gather(em, op, op.table()),
    nn.ConcatOp: _concat,
    dataflow.PeOp: _pe,
}


def design_view(module: ModuleOp) -> DesignView:
    """The views of a prepared, tiled module."""
    return _Emitter(module).run()


def emit_project(module: ModuleOp) -> dict[str, str]:
    """File name -> text: `<top>.v`, the testbench `tb.v` and the support library."""
    view = design_view(module)
    return {
        f"{view.top}.v": render("design.v.j2", design=view),
        "tb.v": render("tb.v.j2", design=view),
        LIBRARY: (resources.files("nncc.runtime") / "verilog" / LIBRARY).read_text(),
    }

