"""Read-only HLS C++ emitter: a prepared fixed-point module -> project files.

`hls-prepare-for-emission` must have run (names in `emit.name`, options in
`emit.options`, both of the `emit` dialect). The emitter turns the IR into frozen views (`views.py`) and renders
one Jinja template per construct; it raises on any op it does not know.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue

from nncc.backends.hls_cpp.render import render
from nncc.backends.hls_cpp.views import (
    BufferView,
    DesignView,
    PortView,
    RawArrayView,
    StepView,
    TypeView,
)
from nncc.dialects import dataflow, fixed, pot_quant
from nncc.dialects.dataflow import INDEX_ATTR, SCHEDULE_ATTR, IndexTableAttr
from nncc.dialects.dense import from_dense
from nncc.dialects.fixed import FixedType
from nncc.dialects.fixed.types import ceil_log2
from nncc.dialects.interfaces import ElementFunction, ElementKernel, IndexMap, MacLayer, PopcountLayer, Reduction, Stateful
from nncc.dialects.nn.windows import window_index_table
from nncc.dialects.dataflow_plan import index_table
from nncc.dialects.emit import NAME_ATTR, UNROLL_ATTR, IoStyle, emission_options
from nncc.dialects.sparse_plan import clusters_of, lanes_of

Q_MODES = {"trn": "AP_TRN", "rnd": "AP_RND"}
O_MODES = {"wrap": "AP_WRAP", "sat": "AP_SAT"}
SUPPORT_HEADERS = ("nncc_ap_fixed.h", "nncc_support.h", "nncc_blob.h", "nncc_csim.h")


class EmissionError(ValueError):
    """The module is not prepared or contains an op this back end cannot emit."""


def _ctype(width: int) -> str:
    for bits in (8, 16, 32, 64):
        if width <= bits:
            return f"int{bits}_t"
    raise EmissionError(f"no C integer type for {width} bits")


def _frozen(values: np.ndarray) -> np.ndarray:
    """A flat, read-only int64 copy (views are immutable)."""
    out = np.array(values, np.int64).reshape(-1)
    out.flags.writeable = False
    return out


def _shape(value: SSAValue) -> tuple[int, ...]:
    return tuple(value.type.get_shape())


def _size(value: SSAValue) -> int:
    return int(np.prod(_shape(value), dtype=np.int64))


class _Emitter:
    def __init__(self, module: ModuleOp):
        options = emission_options(module)
        if options is None:
            raise EmissionError("module is not prepared: run hls-prepare-for-emission first")
        self.options = options
        mains = [f for f in module.ops if isinstance(f, func.FuncOp) and f.sym_name.data == "main"]
        if len(mains) != 1:
            raise EmissionError("module needs exactly one func.func @main")
        self.function = mains[0]
        schedule = module.attributes.get(SCHEDULE_ATTR)
        # the top function's initiation interval: the schedule's (1 before dataflow-tile)
        self.ii = schedule.data["ii"].value.data if isinstance(schedule, DictionaryAttr) else 1
        self.pe: dataflow.PeOp | None = None
        self.types: dict[str, TypeView] = {}
        self.constants: list[RawArrayView] = []
        self.constant_types: list[tuple[str, str]] = []
        self.tables: list[RawArrayView] = []
        self.buffers: list[BufferView] = []
        self.steps: list[StepView] = []
        self.inputs: list[PortView] = []
        self.outputs: list[PortView] = []
        self.names: dict[SSAValue, str] = {}
        self.raw_arrays: list[str] = []
        self.array_types: dict[str, str] = {}
        self.type_names: dict[SSAValue, str] = {}

    # -- naming -------------------------------------------------------------------
    def name_of(self, op: Operation) -> str:
        name = op.attributes.get(NAME_ATTR)
        if not isinstance(name, StringAttr):
            raise EmissionError(f"{op.name} has no {NAME_ATTR}: run hls-prepare-for-emission first")
        return name.data

    def declare_type(self, name: str, typ: FixedType, q: str = "trn", o: str = "wrap") -> str:
        if not isinstance(typ, FixedType):
            raise EmissionError(f"{name}: expected a fixed-point type, got {typ}")
        self.types[name] = TypeView(name, typ.width.data, typ.int_bits.data, Q_MODES[q], O_MODES[o])
        return name

    def table(self, name: str, values: np.ndarray) -> str:
        values = np.asarray(values, np.int64).reshape(-1)
        lo, hi = int(values.min(initial=0)), int(values.max(initial=0))
        ctype = "int32_t" if -(2**31) <= lo and hi < 2**31 else "int64_t"
        self.tables.append(RawArrayView(name, ctype, _frozen(values)))
        return name

    def result(self, op: Operation, q: str = "trn", o: str = "wrap") -> tuple[str, str]:
        """Declare the buffer and type of ``op``'s result."""
        name = self.name_of(op)
        value = op.results[0]
        type_name = self.declare_type(f"t_{name}", value.type.element_type, q, o)
        self.names[value] = name
        self.type_names[value] = type_name
        self.array_types[name] = type_name
        self.buffers.append(BufferView(name, type_name, _size(value)))
        return name, type_name

    def src(self, value: SSAValue) -> str:
        if value not in self.names:
            raise EmissionError(f"value {value} is used before it is defined")
        return self.names[value]

    def unroll(self, op: Operation) -> bool:
        return UNROLL_ATTR in op.attributes

    def arrays_of(self, step: StepView, raw: set[str]) -> tuple[tuple[str, str], ...]:
        """(name, type) of the layer buffers a step reads or writes (not the raw constants)."""
        names = dict.fromkeys([step.out, *step.src, *(part[0] for part in step.parts)])
        return tuple((n, self.array_types[n]) for n in names if n not in raw)

    # -- driver -------------------------------------------------------------------
    def run(self) -> DesignView:
        block = self.function.body.blocks[0]
        args = set(block.args)
        for op in block.ops:
            handler = _handler(op)
            if isinstance(op, fixed.QuantizeOp) and op.input not in args:
                raise EmissionError("fixed.quantize must read a graph input")
            handler(self, op)
        raw = set(self.raw_arrays)
        self.steps = [
            replace(s, src_raw=tuple(name in raw for name in s.src), arrays=self.arrays_of(s, raw),
                    parts=tuple((p[0], p[1], p[2], p[0] in raw, self.array_types.get(p[0], ""), f"o * {p[1]} + j")
                                for p in s.parts))
            for s in self.steps
        ]
        return DesignView(
            top=self.options.top_name,
            guard=f"NNCC_{self.options.top_name.upper()}_H",
            part=self.options.part_name,
            clock_ns=repr(self.options.clock_period_ns),
            types=tuple(self.types.values()),
            constants=tuple(self.constants),
            tables=tuple(self.tables),
            buffers=tuple(b for b in self.buffers if b.name not in {p.name for p in self.inputs}),
            inputs=tuple(self.inputs),
            outputs=tuple(self.outputs),
            steps=tuple(self.steps),
            constant_types=tuple(self.constant_types),
            ii=self.ii,
        )


# ---------------------------------------------------------------------------------------
# per-op handlers


def _constant(em: _Emitter, op: fixed.ConstantOp) -> None:
    if pot_quant.folded_weight(op) or _mac_terms_weight(op):  # held by a term plan / the mac_terms() tables
        return
    name = em.name_of(op)
    typ = op.output.type.element_type
    type_name = em.declare_type(f"t_{name}", typ)
    raw = np.asarray(from_dense(op.value), np.int64).reshape(-1)
    em.constants.append(RawArrayView(f"{name}_raw", _ctype(typ.width.data), _frozen(raw)))
    em.constant_types.append((f"{name}_raw", type_name))
    em.names[op.output] = f"{name}_raw"
    em.type_names[op.output] = type_name
    em.raw_arrays.append(f"{name}_raw")
    em.array_types[f"{name}_raw"] = type_name


def _quantize(em: _Emitter, op: fixed.QuantizeOp) -> None:
    name, type_name = em.result(op, op.rounding.data.value, op.overflow.data.value)
    em.inputs.append(PortView(name, type_name, _size(op.output), len(em.inputs)))


def _dequantize(em: _Emitter, op: fixed.DequantizeOp) -> None:
    em.names[op.output] = em.src(op.input)
    em.type_names[op.output] = em.type_names[op.input]


def _return(em: _Emitter, op: func.ReturnOp) -> None:
    for value in op.operands:
        src = em.src(value)
        port = f"out{len(em.outputs)}"
        em.outputs.append(PortView(port, em.type_names[value], _size(value), len(em.outputs)))
        em.array_types[port] = em.type_names[value]
        em.steps.append(StepView("copy", port, em.type_names[value], _size(value), src=(src,)))


def _unary(template: str, fields=lambda em, name, fn: {}):
    """The printer of a one-operand element function: its result, declared with the
    function's rounding and overflow, and one `template` step over the operand; ``fields``
    gives the step's parameters (tables and types are declared after the result's)."""

    def handle(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
        name, type_name = em.result(op, fn.rounding, fn.overflow)
        x = op.operands[0]
        em.steps.append(
            StepView(template, name, type_name, _size(op.results[0]), em.unroll(op), src=(em.src(x),),
                     src_types=(em.type_names[x],), **fields(em, name, fn))
        )

    return handle


def _leaky_fields(em: _Emitter, name: str, fn: ElementFunction) -> dict:
    return {"weight": em.src(fn.scale), "weight_type": em.type_names[fn.scale]}


def _lut_fields(em: _Emitter, name: str, fn: ElementFunction) -> dict:
    return {
        "table": em.table(f"{name}_table", fn.table),
        "table_count": int(fn.table.size),
        "last": int(fn.table.size) - 1,
        "shift": max(fn.shift, 0),
        "scale": 1 << max(-fn.shift, 0),
        "shift_left": fn.shift < 0,
        "offset": fn.offset,
    }


def _pwl_fields(em: _Emitter, name: str, fn: ElementFunction) -> dict:
    return {
        "table": em.table(f"{name}_breaks", fn.table),
        "table_count": int(fn.table.size),
        "weight": em.table(f"{name}_slopes", fn.slopes),
        "bias": em.table(f"{name}_intercepts", fn.intercepts),
        "weight_type": em.declare_type(f"t_{name}_slope", fn.multiplier_type),
        "bias_type": em.declare_type(f"t_{name}_intercept", fn.addend_type),
    }


def _poly_fields(em: _Emitter, name: str, fn: ElementFunction) -> dict:
    return {
        "weight": em.table(f"{name}_coeffs", fn.table),
        "weight_type": em.declare_type(f"t_{name}_coeff", fn.addend_type),
        "acc_type": em.declare_type(f"t_{name}_acc", fn.multiplier_type, fn.rounding, "sat"),
        "degree": int(fn.table.size) - 1,
        "start": int(fn.table.size) - 2,
        "value": fn.low,
        "value2": fn.high,
    }


def _plan_table(op: Operation) -> np.ndarray:
    """The op's index table from the dataflow plan (`dataflow.index_table`, written by
    `dataflow-plan`; the same function computes it when the pass has not run), as an
    int64 array of rows x columns."""
    table = op.attributes.get(INDEX_ATTR)
    if not isinstance(table, IndexTableAttr):
        table = index_table(op)
    if table is None:
        raise EmissionError(f"{op.name} has no index table")
    return np.frombuffer(table.table.data.data, np.int64).reshape(-1, table.columns.data)


def _binary(em: _Emitter, op: ElementKernel, fn: ElementFunction) -> None:
    """lhs `operator` rhs, each operand read through the plan's index table (or directly
    where the table is the identity)."""
    name, type_name = em.result(op)
    lhs, rhs = op.operands[0], op.operands[1]
    table = _plan_table(op)  # lhs, rhs element of every output element
    identity = np.arange(table.shape[0])
    index = tuple(
        "i" if np.array_equal(table[:, k], identity) else f"{em.table(f'{name}_{side}', table[:, k])}[i]"
        for k, side in enumerate(("lhs", "rhs"))
    )
    em.steps.append(
        StepView(
            "binary", name, type_name, _size(op.results[0]), em.unroll(op),
            src=(em.src(lhs), em.src(rhs)),
            src_types=(em.type_names[lhs], em.type_names[rhs]),
            operator=fn.operator, index=index,
        )
    )


def _pe(em: _Emitter, op: dataflow.PeOp) -> None:
    """A processing element: its layer, with its reuse factor, latency and multiplier
    budget as HLS pragmas (see `_pe_fields`)."""
    for arg, value in zip(op.body.block.args, op.inputs):
        em.names[arg] = em.src(value)
        em.type_names[arg] = em.type_names[value]
    em.pe = op
    for inner in op.body.block.ops:
        if isinstance(inner, dataflow.YieldOp):
            em.names[op.output] = em.src(inner.operands[0])
            em.type_names[op.output] = em.type_names[inner.operands[0]]
        else:
            _handler(inner)(em, inner)
    em.pe = None


def _pe_fields(em: _Emitter) -> dict:
    """The enclosing PE's schedule for a layer's step: reuse factor R, latency and, at
    R > 1, the multiplier budget (ALLOCATION limit, and the cyclic partition factor of
    the weights, so that R cycles of `limit` products cover every term; with
    `dataflow.weight_memory` = bram, the weights bound to a block-RAM ROM)."""
    if em.pe is None:
        return {}
    reuse = em.pe.reuse_factor.value.data
    return {
        "reuse_factor": reuse,
        "latency": em.pe.latency.value.data,
        "multiplier_limit": em.pe.multipliers.value.data if reuse > 1 else 0,
        "weight_memory": dataflow.weight_memory(em.pe),
    }


def _sparse_lanes(em: _Emitter) -> bool:
    """Whether the enclosing PE is built from sparse multiplier lanes (`sparse-materialize`)."""
    return em.pe is not None and lanes_of(em.pe) is not None


def _cluster_lanes(em: _Emitter) -> bool:
    """Whether the enclosing PE is built from codebook cluster lanes (`sparse-materialize`)."""
    return em.pe is not None and clusters_of(em.pe) is not None


def _dense(em: _Emitter, op: fixed.DenseOp) -> None:
    if pot_quant.uses_shift_add(op):
        return _shift(em, op)
    if _cluster_lanes(em):
        from nncc.backends.hls_cpp.mac import codebook_mac_step  # (it builds on this module)

        return codebook_mac_step(em, op)
    if _sparse_lanes(em):
        from nncc.backends.hls_cpp.mac import sparse_mac_step  # (it builds on this module)

        return sparse_mac_step(em, op)
    name, type_name = em.result(op)
    w = _shape(op.weight)
    em.steps.append(
        StepView(
            "dense", name, type_name, _size(op.output), em.unroll(op),
            src=(em.src(op.input),), src_types=(em.type_names[op.input],),
            weight=em.src(op.weight), weight_type=em.type_names[op.weight],
            bias=em.src(op.bias) if op.bias is not None else "",
            bias_type=em.type_names[op.bias] if op.bias is not None else "",
            rows=_size(op.output) // w[0], cols=w[0], inner=w[1], **_pe_fields(em),
            **_lanes_fields(em, op, name),
        )
    )


EXACT_DOUBLE_BITS = 53


def _lanes_fields(em: _Emitter, op: fixed.DenseOp | fixed.ConvOp, name: str) -> dict:
    """The C-simulation block kernel of a dense or conv layer (`steps/<step>_lanes.j2`), when
    its raw sums are exact in double precision: every partial sum of K raw products is at most
    K * 2^(Wx + Ww - 2) in magnitude, which must not exceed 2^53. The result's raw value is
    then init[j] + (sum << (F_acc - F_x - F_w)), init[j] the bias's raw value at the
    accumulator's fraction (both shifts are exact left shifts: F_acc >= F_x + F_w, F_b)."""
    x, w, acc = (fixed.fixed_of(v) for v in (op.input, op.weight, op.output))
    terms = int(np.prod(_shape(op.weight)[1:]))
    if x.width.data + w.width.data - 2 + ceil_log2(terms) > EXACT_DOUBLE_BITS:
        return {}
    shift = acc.frac - x.frac - w.frac
    if shift < 0:
        return {}
    fields = {"lanes": True, "shift": shift}
    if op.bias is not None:
        bias_op, bias = op.bias.owner, fixed.fixed_of(op.bias)
        if not isinstance(bias_op, fixed.ConstantOp) or acc.frac < bias.frac:
            return {}
        raw = [int(v) << (acc.frac - bias.frac) for v in np.asarray(from_dense(bias_op.value), np.int64).reshape(-1)]
        fields.update(table=em.table(f"{name}_init", np.asarray(raw, np.int64)), has_table=True)
    return fields


def _conv(em: _Emitter, op: fixed.ConvOp) -> None:
    if pot_quant.uses_shift_add(op):
        return _shift(em, op)
    if _cluster_lanes(em):
        from nncc.backends.hls_cpp.mac import codebook_mac_step  # (it builds on this module)

        return codebook_mac_step(em, op)
    if _sparse_lanes(em):
        from nncc.backends.hls_cpp.mac import sparse_mac_step  # (it builds on this module)

        return sparse_mac_step(em, op)
    name, type_name = em.result(op)
    x, w, y = _shape(op.input), _shape(op.weight), _shape(op.output)
    group = op.group.value.data
    table = window_index_table(
        x[2:], w[2:], op.strides.get_values(), op.pads.get_values(), op.dilations.get_values(), y[2:]
    )
    em.steps.append(
        StepView(
            "conv", name, type_name, _size(op.output), em.unroll(op),
            src=(em.src(op.input),), src_types=(em.type_names[op.input],),
            weight=em.src(op.weight), weight_type=em.type_names[op.weight],
            bias=em.src(op.bias) if op.bias is not None else "",
            bias_type=em.type_names[op.bias] if op.bias is not None else "",
            rows=w[0], cols=table.shape[0], inner=table.shape[1],
            group_out=w[0] // group, group_in=x[1] // group, in_size=int(np.prod(x[2:])),
            table=em.table(f"{name}_window", table), **_pe_fields(em), **_conv_lanes_fields(em, op, name),
        )
    )


def _conv_lanes_fields(em: _Emitter, op: fixed.ConvOp, name: str) -> dict:
    """`_lanes_fields` of a conv, its bias/init table in ``table2``."""
    fields = _lanes_fields(em, op, name)
    if "table" in fields:
        fields["table2"], fields["has_table2"], fields["has_table"] = fields.pop("table"), True, False
    return fields


def _shift(em: _Emitter, op) -> None:
    """A shift-and-add layer (`pot_quant.uses_shift_add`) from its term plan."""
    name, type_name = em.result(op)
    base = StepView("shift", name, type_name, _size(op.output), em.unroll(op), src=(em.src(op.input),),
                    src_types=(em.type_names[op.input],))
    from nncc.backends.hls_cpp.shift import shift_step  # (it builds on this module)

    em.steps.append(shift_step(em, op, base, window=False))


def _matmul(em: _Emitter, op: fixed.MatMulOp) -> None:
    name, type_name = em.result(op)
    a, b, y = _shape(op.lhs), _shape(op.rhs), _shape(op.output)
    k, n = a[-1], b[-1]
    rows = np.arange(int(np.prod(a))).reshape(a)[..., :, :1]  # start of every lhs row
    cols = np.arange(int(np.prod(b))).reshape(b)[..., :1, :]  # start of every rhs column
    em.steps.append(
        StepView(
            "matmul", name, type_name, _size(op.output), em.unroll(op),
            src=(em.src(op.lhs), em.src(op.rhs)), src_types=(em.type_names[op.lhs], em.type_names[op.rhs]),
            inner=k,
            index=(
                f"{em.table(f'{name}_lhs', np.broadcast_to(rows, y))}[o] + k",
                f"{em.table(f'{name}_rhs', np.broadcast_to(cols, y))}[o] + k * {n}",
            ),
        )
    )




_FUNCTIONS = {
    "cast": _unary("copy"),
    "relu": _unary("relu"),
    "clamp": _unary("clamp", lambda em, name, fn: {"value": fn.low, "value2": fn.high}),
    "dead_zone": _unary("dead_zone", lambda em, name, fn: {"value": fn.low}),
    "leaky_relu": _unary("leaky_relu", _leaky_fields),
    "lut": _unary("lut", _lut_fields),
    "pwl": _unary("pwl", _pwl_fields),
    "poly": _unary("poly", _poly_fields),
    "threshold": _unary("threshold", lambda em, name, fn: {"table": em.table(f"{name}_thresholds", fn.table),
                        "weight": em.table(f"{name}_directions", fn.slopes), "cols": int(fn.table.size)}),
    "binary": _binary,
}
"""One printer per kind of element function (`ElementFunction.kind`)."""


def _element(em: _Emitter, op: ElementKernel) -> None:
    """Any `ElementKernel`: the printer of its function's kind."""
    fn = op.element_function()
    printer = _FUNCTIONS.get(fn.kind)
    if printer is None:
        raise EmissionError(f"the HLS C++ back end cannot print a {fn.kind!r} function ({op.name})")
    printer(em, op, fn)


_FRAME = {
    "fixed.constant": _constant,
    "fixed.quantize": _quantize,
    "fixed.dequantize": _dequantize,
    "func.return": _return,
    "dataflow.pe": _pe,
    "fixed.dense": _dense,
    "fixed.conv": _conv,
    "fixed.matmul": _matmul,
}
"""By op name: the design's frame (constants, the input and output ports, the PE wrapper)
and the layers with a dedicated construct of their own (every other `MacLayer` is printed
from its `mac_terms()`)."""


def _handler(op: Operation):
    """The op's construct: the frame's, else through its interface (`ElementKernel`,
    `Reduction`, `IndexMap`; a recurrent layer (`Stateful`) in its static form and a delta
    memory update, `recurrent.py`;
    a `PopcountLayer`: XNOR and popcount, `xnor.py`; a `MacLayer`: gathered dot products, `mac.py`)."""
    handler = _FRAME.get(op.name)
    if handler is not None:
        return handler
    if isinstance(op, ElementKernel):
        return _element
    if isinstance(op, (Reduction, IndexMap)):
        from nncc.backends.hls_cpp.structure import data_movement, reduction  # (it builds on this module)

        return reduction if isinstance(op, Reduction) else data_movement
    if isinstance(op, Stateful) or op.name == "recurrent.delta_accumulate":
        from nncc.backends.hls_cpp.recurrent import delta_step, scan_step  # (it builds on this module)

        return scan_step if isinstance(op, Stateful) else delta_step
    if isinstance(op, PopcountLayer):
        from nncc.backends.hls_cpp.xnor import xnor_step  # (it builds on this module)

        return xnor_step
    if isinstance(op, MacLayer):
        from nncc.backends.hls_cpp.mac import mac_step  # (it builds on this module)

        return mac_step
    raise EmissionError(f"the HLS C++ back end cannot emit {op.name}")


def _mac_terms_weight(op: fixed.ConstantOp) -> bool:
    """Whether ``op`` is read only as the weights of layers printed from their `mac_terms()`
    (generic MAC layers, and sparse layers whose packed tables replace the weight array)."""
    users = [use.operation for use in op.output.uses]
    return bool(users) and all(isinstance(u, MacLayer) and u.activation() is not op.output and (
        u.name not in _FRAME or (u.parent_op() is not None and _packed_pe(u.parent_op()))) for u in users)


def _packed_pe(pe: Operation) -> bool:
    return lanes_of(pe) is not None or clusters_of(pe) is not None


def design_view(module: ModuleOp) -> DesignView:
    """The views of a prepared module (what the templates see); with io = stream, the
    dataflow region's functions and the top's body (`stream.py`)."""
    em = _Emitter(module)
    view = em.run()
    if em.options.io_style == IoStyle.STREAM:
        from nncc.backends.hls_cpp.stream import stream_code  # (it builds on this module)

        try:
            code, view = stream_code(em, view, list(em.function.body.blocks[0].ops))
        except ValueError as err:
            raise EmissionError(str(err)) from None
        view = replace(view, stream_functions=render("stream.cpp.j2", code=code), stream_body=render("stream_top.j2", code=code))
    return view


def emit_project(module: ModuleOp) -> dict[str, str]:
    """File name -> text of the whole HLS project (C++ design, header, testbench,
    build.tcl, the support headers)."""
    view = design_view(module)
    files = {
        f"{view.top}.h": render("design.h.j2", design=view),
        f"{view.top}.cpp": render("design.cpp.j2", design=view),
        "tb.cpp": render("tb.cpp.j2", design=view),
        "build.tcl": render("build.tcl.j2", design=view),
    }
    include = resources.files("nncc.runtime") / "include"
    for header in SUPPORT_HEADERS:
        files[header] = (include / header).read_text()
    return files
