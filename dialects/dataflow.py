"""The `dataflow` dialect: the hardware level.

A `dataflow.pe` is a processing element: it wraps one multiply-accumulate layer of the
fixed-point level (`fixed.dense`, `fixed.conv`) and says how it is built in hardware.
The layer has N outputs, each a dot product of K terms; with reuse factor R the PE
computes N / R outputs per clock cycle on N * K / R multipliers, so one sample takes R
cycles (its latency) and the PE accepts a new sample every R cycles. Everything between
PEs is combinational; every SSA edge out of a PE is a ready/valid stream carrying one
tensor per handshake (the PE holds its result until all its consumers take it).

A convolution PE may instead be a sliding-window engine (``window``): it streams its input
tensor pixel by pixel (C channels per cycle, in raster order over the zero-padded input)
through a line buffer of (KH_eff - 1) rows plus KW_eff pixels, and at every window anchor
computes the M output channels of one output pixel, M / R per cycle on M * K / R
multipliers (R divides M; K = C/group * KH * KW). See `WindowGeometry` for its exact
latency. The module carries the design's schedule (`dataflow.schedule`:
latency and initiation interval, in cycles), which `dataflow-tile` computes and the
RTL simulation measures.

Example:
    %y = dataflow.pe %x {latency = 4 : i64, multipliers = 256 : i64, reuse_factor = 4 : i64} ({
    ^bb0(%a: tensor<1x16x!fixed.q<16, 4>>):
      %w = fixed.constant ...
      %acc = fixed.dense %a, %w : ... -> tensor<1x64x!fixed.q<37, 9>>
      dataflow.yield %acc : tensor<1x64x!fixed.q<37, 9>>
    }) : (tensor<1x16x!fixed.q<16, 4>>) -> tensor<1x64x!fixed.q<37, 9>>
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.dialects.builtin import I64, ArrayAttr, DenseArrayBase, DictionaryAttr, IntAttr, IntegerAttr, StringAttr, UnitAttr, i64
from xdsl.ir import Attribute, Dialect, Operation, ParametrizedAttribute, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_attr_definition,
    ParsePropInAttrDict,
    irdl_op_definition,
    lazy_traits_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.dense import i64_array
from nncc.dialects.interfaces import FixedSemantics

SCHEDULE_ATTR = "dataflow.schedule"
"""Module attribute `{latency, ii}`: cycles from an input handshake to its output, and
between input handshakes at full speed."""
REUSE_ATTR = "dataflow.reuse_factor"
"""Per-layer reuse-factor request on a fixed-level op (from the config file)."""

PRODUCT_REUSE_ATTR = "dataflow.product_reuse_factors"
"""Per-product reuse-factor requests on a recurrent layer (config keys `input_reuse_factor`,
`recurrent_reuse_factor`): a dictionary ``{input, recurrent}`` of integers; lowering to fixed
point puts each on the step's matrix-vector products of that role as their `REUSE_ATTR`."""

# ---------------------------------------------------------------------------------------
# the hardware plan (written by `dataflow-plan`, printed by the back ends)

PLAN_ATTR = "dataflow.plan"
"""On a `dataflow.pe`: its `PePlanAttr`; on a window engine also `WINDOW_ATTR`."""
WINDOW_ATTR = "dataflow.window_timing"
"""On a window-engine `dataflow.pe`: its `WindowTimingAttr`."""
VALID_ATTR = "dataflow.valid_at"
"""On every op of the planned function that yields a run-time value: the cycle (after the
input handshake) at which its result is valid, `IntegerAttr`."""
HANDSHAKES_ATTR = "dataflow.handshakes"
"""On the planned function: `ArrayAttr` of `HandshakeGroupAttr`, in firing-signal order."""
WIDTHS_ATTR = "dataflow.widths"
"""On `fixed.pwl` / `fixed.poly`: `array<i64: product, sum>`, the widths of the intermediate
product and the aligned sum (the operands' shift amounts into the sum follow from them)."""
INDEX_ATTR = "dataflow.index_table"
"""On index ops (gather, reshape, transpose, pad, concat, broadcast add/sub/mul, pools and
reductions): the `IndexTableAttr` the emitters print."""

LANES_ATTR = "dataflow.lanes"
"""On a `dataflow.pe` of a sparse layer: its `LanePlanAttr` (written by `sparse-materialize`)."""

NO_OPERAND = -1
"""An absent operand in a plan table (padding cell, unary adder-tree node, no root)."""


def _i64_array(values) -> DenseArrayBase:
    return i64_array(values)


class _KeywordSyntax(ParametrizedAttribute):
    """Plan attributes print as `<name = value, ...>`: integers bare, i64 arrays as
    `[1, 2]`, other parameters as attributes."""

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        values = []
        with parser.in_angle_brackets():
            for index, (field, kind) in enumerate(cls._fields()):
                if index:
                    parser.parse_punctuation(",")
                parser.parse_keyword(field)
                parser.parse_punctuation("=")
                if kind is IntAttr:
                    values.append(IntAttr(parser.parse_integer()))
                elif kind is DenseArrayBase:
                    values.append(_i64_array(parser.parse_comma_separated_list(parser.Delimiter.SQUARE, parser.parse_integer)))
                else:
                    values.append(parser.parse_attribute())
        return values

    def print_parameters(self, printer: Printer) -> None:
        parts = []
        for (field, kind), value in zip(self._fields(), self.parameters):
            if kind is IntAttr:
                parts.append(f"{field} = {value.data}")
            elif kind is DenseArrayBase:
                parts.append(f"{field} = [{', '.join(str(v) for v in value.get_values())}]")
            else:
                parts.append(f"{field} = {value}")
        printer.print_string("<" + ", ".join(parts) + ">")

    @classmethod
    def _fields(cls) -> list[tuple[str, type]]:
        kinds = {"IntAttr": IntAttr, "DenseArrayBase": DenseArrayBase}
        return [(name, kinds.get(str(hint), ArrayAttr)) for name, hint in cls.__annotations__.items() if name != "name"]


@irdl_attr_definition
class PePlanAttr(_KeywordSyntax):
    """`#dataflow.pe_plan<reuse, slots, acc_width, stages, slot_map, chains, tree, roots>`:
    how one processing element is built.

    - `slot_map` (R * S entries): phase p, slot s computes output element `slot_map[p * S + s]`.
    - `chains` (multiplier PEs): term boundaries `[0, b1, ..., K]` of the product chains each
      slot sums (one DSP cascade each) before the chains are added; empty for shift-add PEs.
    - `tree` (shift-and-add PEs): the balanced adder-tree nodes, 4 entries each
      `(slot, width, left, right)`; an operand `k < T` is the slot's k-th term (T terms per
      slot), `k >= T` is the slot's node `k - T` (in order of appearance), `right` may be
      `NO_OPERAND` (a lone shifted/negated term). `roots` (S entries): each slot's root
      operand, `NO_OPERAND` for a slot without terms.
      An XNOR PE (`interfaces.PopcountLayer`) has the popcount tree of each slot in `tree`:
      its K terms are the XNOR bits (0 or 1), every node unsigned and as wide as its count;
      the slot's result is ``2 * root - K``. A SIMD-folded XNOR window engine (`SIMD_ATTR`)
      counts SIMD bits per phase (its trees have SIMD leaves) and its slot map names each
      output on the F = K / SIMD consecutive phases that accumulate it.
    - `stages`: register stages between the PE's input and its held result.
    """

    name = "dataflow.pe_plan"
    reuse: IntAttr
    slots: IntAttr
    acc_width: IntAttr
    stages: IntAttr
    slot_map: DenseArrayBase
    chains: DenseArrayBase
    tree: DenseArrayBase
    roots: DenseArrayBase

    def __init__(self, reuse: int, slots: int, acc_width: int, stages: int, slot_map, chains=(), tree=(), roots=()):
        super().__init__(IntAttr(reuse), IntAttr(slots), IntAttr(acc_width), IntAttr(stages),
                         _i64_array(slot_map), _i64_array(chains), _i64_array(tree), _i64_array(roots))

    def verify(self) -> None:
        r, s = self.reuse.data, self.slots.data
        if len(self.slot_map.get_values()) != r * s:
            raise VerifyException(f"dataflow.pe_plan: slot map has {len(self.slot_map.get_values())} entries, expected {r * s}")
        if len(self.tree.get_values()) % 4:
            raise VerifyException("dataflow.pe_plan: tree nodes take 4 entries each")


@irdl_attr_definition
class LanePlanAttr(_KeywordSyntax):
    """`#dataflow.lane_plan<lanes = [...], taps = [...]>`: the multiplier lanes of a sparse PE.

    Slot s owns `lanes[s]` multipliers (no more than the most non-zero terms of the outputs
    the slot map gives it); lane t of slot s multiplies, in phase p, term
    `taps[(B_s + t) * R + p]` of that phase's output (`B_s` the lanes of the slots before s,
    a term index into the layer's `mac_terms()` row, `NO_OPERAND` = no product that phase).
    Zero weights have no lane: a PE needs sum(lanes) multipliers instead of N * K / R."""

    name = "dataflow.lane_plan"
    lanes: DenseArrayBase
    taps: DenseArrayBase

    def __init__(self, lanes, taps):
        super().__init__(_i64_array(lanes), _i64_array(taps))

    def verify(self) -> None:
        lanes, taps = self.lanes.get_values(), len(self.taps.get_values())
        total = sum(lanes)
        if min(lanes, default=0) < 0 or (taps % total if total else taps):
            raise VerifyException(f"dataflow.lane_plan: {taps} taps do not fill the {total} lanes for every phase")


MEMORY_ATTR = "dataflow.weight_memory"
"""On a multiplier `dataflow.pe` (reuse factor R > 1, not a window engine): "bram" when its
weights live in a block-RAM ROM, one word per phase holding every lane's weight of that
phase (read a cycle ahead, at the next phase's address, so the schedule does not change);
absent, the weights are constants selected by the phase in logic (written by
`dataflow-tile` from its `weight_memory` option)."""

WEIGHT_MEMORIES = ("logic", "bram")
"""Where a PE's weights live: `dataflow-tile`'s `weight_memory` choices."""


SIMD_ATTR = "dataflow.simd"
"""SIMD folding of an XNOR window engine (`interfaces.PopcountLayer` + `Windowed`): on a
fixed-level layer a request (config key `simd`), on its `dataflow.pe` the bits of each
output's K that one cycle counts (a divisor of K below K; absent: all K). Such a PE's reuse
factor is R_pe * F with F = K / SIMD: each of the R_pe output groups takes F consecutive
phases, one SIMD-bit chunk each, its slots accumulating the partial popcounts."""


def xnor_simd(pe: Operation) -> int:
    """The bits per cycle of an XNOR PE (`SIMD_ATTR`; its layer's K when absent)."""
    simd = pe.attributes.get(SIMD_ATTR)
    return simd.value.data if isinstance(simd, IntegerAttr) else pe.layer().fan_in()


def weight_memory(pe: Operation) -> str:
    """Where a PE's weights live: "bram" (`MEMORY_ATTR`) or "logic"."""
    memory = pe.attributes.get(MEMORY_ATTR)
    return memory.data if isinstance(memory, StringAttr) else "logic"


def non_static(layer: Operation) -> bool:
    """Whether a recurrent layer's `SCHEDULE_ATTR` asks for the non-static form (T cell
    engines in a pipeline), as `dataflow-tile`'s `recurrent_form` records it."""
    timing = layer.attributes.get(SCHEDULE_ATTR)
    flag = timing.data.get("non_static") if isinstance(timing, DictionaryAttr) else None
    return isinstance(flag, IntegerAttr) and bool(flag.value.data)


def data_dependent(op: Operation) -> bool:
    """Whether an op's (a recurrent layer's, or a design module's) `SCHEDULE_ATTR` says its
    cycles depend on the data (a delta-form layer): its latency and ii are then bounds."""
    timing = op.attributes.get(SCHEDULE_ATTR)
    flag = timing.data.get("data_dependent") if isinstance(timing, DictionaryAttr) else None
    return isinstance(flag, IntegerAttr) and bool(flag.value.data)


def rom_ports(depth: int, widest: int = 72) -> tuple[int, int]:
    """(port width, cascaded blocks) of a block RAM holding ``depth`` words of a simple dual
    port ROM: ``widest`` bits up to 512 words (RAMB36 72, RAMB18 36), half as wide for every
    doubling of the depth, cascaded past the deepest form."""
    width, rows = widest, 512
    while rows < depth and width > 1:  # deeper words, narrower ports
        rows, width = rows * 2, width // 2
    return width, -(-depth // rows)


def bram_blocks(width: int, depth: int) -> float:
    """Xilinx 7-series block RAMs (RAMB36 = 1, RAMB18 = 0.5) of a ROM of ``depth`` words of
    ``width`` bits read synchronously (simple dual port), as Yosys `synth_xilinx` maps it:
    the fewer of RAMB18s and RAMB36s (`rom_ports`), the width split across blocks and the
    depth across cascaded ones."""
    if width <= 0 or depth <= 0:
        return 0.0
    best = math.inf
    for blocks, widest in ((0.5, 36), (1.0, 72)):
        ports, cascade = rom_ports(depth, widest)
        best = min(best, blocks * math.ceil(width / ports) * cascade)
    return best


CLUSTERS_ATTR = "dataflow.clusters"
"""On a `dataflow.pe` of a codebook layer: its `ClusterPlanAttr` (written by `sparse-materialize`)."""


@irdl_attr_definition
class ClusterPlanAttr(_KeywordSyntax):
    """`#dataflow.cluster_plan<lanes = [...], width = M, terms = [...]>`: the cluster lanes of
    a codebook PE. Slot s owns `lanes[s]` multipliers (its outputs' most clusters); lane t of
    slot s, in phase p, first adds the inputs of the up to M terms
    `terms[((B_s + t) * R + p) * M + j]` (`B_s` the lanes of the slots before s, term indices
    into the layer's `mac_terms()` row sharing one raw weight, `NO_OPERAND` = nothing) and
    then multiplies the sum once by that weight. A PE needs sum(lanes) multipliers."""

    name = "dataflow.cluster_plan"
    lanes: DenseArrayBase
    width: IntAttr
    terms: DenseArrayBase

    def __init__(self, lanes, width: int, terms):
        super().__init__(_i64_array(lanes), IntAttr(width), _i64_array(terms))

    def verify(self) -> None:
        total, width, terms = sum(self.lanes.get_values()), self.width.data, len(self.terms.get_values())
        if width < 1 or min(self.lanes.get_values(), default=0) < 0 or (terms % (total * width) if total else terms):
            raise VerifyException(f"dataflow.cluster_plan: {terms} terms do not fill the {total} lanes of width {width} "
                                  f"for every phase")


@irdl_attr_definition
class WindowTimingAttr(_KeywordSyntax):
    """`#dataflow.window_timing<fed, anchors, reuse, latency, line_buffer, last_row, last_col>`:
    the controller of a sliding-window engine (see `WindowGeometry`): positions fed, anchors,
    phases per anchor, cycles from the input handshake to the output valid
    (`fed + anchors * (reuse - 1) + 2`), line-buffer pixels, and the padded row/column of
    the last anchor."""

    name = "dataflow.window_timing"
    fed: IntAttr
    anchors: IntAttr
    reuse: IntAttr
    latency: IntAttr
    line_buffer: IntAttr
    last_row: IntAttr
    last_col: IntAttr

    def __init__(self, fed: int, anchors: int, reuse: int, latency: int, line_buffer: int, last_row: int, last_col: int):
        super().__init__(*(IntAttr(v) for v in (fed, anchors, reuse, latency, line_buffer, last_row, last_col)))


@irdl_attr_definition
class HandshakeGroupAttr(_KeywordSyntax):
    """`#dataflow.handshake<[producers], [consumers]>`: stages linked through combinational
    logic that hand over a sample together. Producers are PE names or `in` (the input port),
    consumers PE names or `out` (the output register)."""

    name = "dataflow.handshake"
    producers: ArrayAttr[StringAttr]
    consumers: ArrayAttr[StringAttr]

    def __init__(self, producers, consumers):
        super().__init__(ArrayAttr([StringAttr(p) for p in producers]), ArrayAttr([StringAttr(c) for c in consumers]))


@irdl_attr_definition
class IndexTableAttr(_KeywordSyntax):
    """`#dataflow.index_table<columns, array<i64: ...>>`: a row-major table of `columns`
    source indices per output element (`NO_OPERAND` = padding / absent cell). Gather-like ops
    use 1 column (the source element), concat and broadcast binaries 2 (input/lhs index,
    element/rhs index), pools and reductions one column per reduced element."""

    name = "dataflow.index_table"
    columns: IntAttr
    table: DenseArrayBase

    def __init__(self, columns: int, table):
        super().__init__(IntAttr(columns), _i64_array(table))

    def verify(self) -> None:
        if self.columns.data < 1 or len(self.table.get_values()) % self.columns.data:
            raise VerifyException("dataflow.index_table: the table must hold whole rows")

    def rows(self) -> list[tuple[int, ...]]:
        values, c = self.table.get_values(), self.columns.data
        return [tuple(values[i:i + c]) for i in range(0, len(values), c)]


@dataclass(frozen=True)
class WindowGeometry:
    """Geometry and timing of a sliding-window convolution engine (1-D convs have H = KH = 1).

    The engine feeds the Q first positions of the padded input (Hp x Wp, raster order; Q
    ends at the last anchor), one per cycle; after feeding an anchor (the bottom-right
    corner of an output's window) it computes R phases with the window held, the last of
    which overlaps the next feed. Latency from the input handshake to the output valid:
    ``1 (load) + Q + A * (R - 1) + 1 (last phase) = Q + A * (R - 1) + 2`` cycles, with A
    anchors (output pixels); a new sample is accepted after that (II = latency).
    """

    channels: int
    height: int
    width: int
    out_channels: int
    group: int
    kernel: tuple[int, int]
    dilation: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]  # top, left
    padded: tuple[int, int]  # Hp, Wp (top/left and bottom/right padding included)
    out_size: tuple[int, int]

    @property
    def span(self) -> tuple[int, int]:
        """Effective (dilated) kernel extent."""
        return tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel))

    @property
    def anchors(self) -> int:
        return self.out_size[0] * self.out_size[1]

    @property
    def fed(self) -> int:
        """Q: padded positions fed, up to and including the last anchor."""
        row = self.span[0] - 1 + self.stride[0] * (self.out_size[0] - 1)
        col = self.span[1] - 1 + self.stride[1] * (self.out_size[1] - 1)
        return row * self.padded[1] + col + 1

    @property
    def line_buffer(self) -> int:
        """Pixels the line buffer holds: (KH_eff - 1) rows plus KW_eff pixels."""
        return (self.span[0] - 1) * self.padded[1] + self.span[1]

    def latency(self, reuse: int) -> int:
        return self.fed + self.anchors * (reuse - 1) + 2


def window_geometry(conv: Operation) -> WindowGeometry:
    """The sliding-window geometry of a 1-D/2-D convolution op (fixed.conv, whatever its weight encoding)."""
    x = tuple(conv.input.type.get_shape())
    y = tuple(conv.output.type.get_shape())
    kernel = tuple(conv.weight.type.get_shape()[2:])
    strides, dil = tuple(conv.strides.get_values()), tuple(conv.dilations.get_values())
    pads = tuple(conv.pads.get_values())
    if len(kernel) == 1:
        return WindowGeometry(x[1], 1, x[2], y[1], conv.group.value.data, (1, kernel[0]), (1, dil[0]), (1, strides[0]),
                              (0, pads[0]), (1, x[2] + pads[0] + pads[1]), (1, y[2]))
    return WindowGeometry(x[1], x[2], x[3], y[1], conv.group.value.data, kernel, dil, strides, (pads[0], pads[1]),
                          (x[2] + pads[0] + pads[2], x[3] + pads[1] + pads[3]), (y[2], y[3]))


@irdl_op_definition
class PeOp(IRDLOperation, FixedSemantics):
    """A processing element around one multiply-accumulate layer (see the module docstring).

    The body's block arguments are the operands; the body yields the layer's result.
    """

    name = "dataflow.pe"
    inputs = var_operand_def()
    output = result_def()
    body = region_def("single_block")
    reuse_factor = prop_def(IntegerAttr[I64])
    multipliers = prop_def(IntegerAttr[I64])
    latency = prop_def(IntegerAttr[I64])
    window = opt_prop_def(UnitAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict-with-keyword `:` functional-type($inputs, $output) $body"

    def __init__(self, inputs: list[SSAValue], result_type, body: Region, reuse_factor: int, multipliers: int,
                 latency: int | None = None, window: bool = False):
        props = {
            "latency": IntegerAttr(reuse_factor if latency is None else latency, i64),
            "multipliers": IntegerAttr(multipliers, i64),
            "reuse_factor": IntegerAttr(reuse_factor, i64),
        }
        if window:
            props["window"] = UnitAttr()
        super().__init__(operands=[inputs], result_types=[result_type], regions=[body], properties=props)

    def evaluate_fixed(self, args, batch):
        """A processing element computes exactly what its body (the wrapped layer) computes."""
        from nncc.dialects.nn.semantics import SemanticsError

        env = dict(zip(self.body.block.args, args))
        for inner in self.body.block.ops:
            if isinstance(inner, YieldOp):
                return env[inner.operands[0]]
            if not isinstance(inner, FixedSemantics):
                raise SemanticsError(f"dataflow.pe: no fixed-point semantics for {inner.name}")
            env[inner.results[0]] = inner.evaluate_fixed([env[v] for v in inner.operands], batch)
        raise SemanticsError("dataflow.pe: the body has no dataflow.yield")

    def layer(self) -> Operation:
        """The wrapped multiply-accumulate op."""
        ops = [op for op in self.body.block.ops if not isinstance(op, YieldOp)]
        return ops[-1]

    def verify_(self) -> None:
        block = self.body.block
        if len(block.args) != len(self.inputs) or any(a.type != v.type for a, v in zip(block.args, self.inputs)):
            raise VerifyException("dataflow.pe: block arguments must match the operands")
        last = block.last_op
        if not isinstance(last, YieldOp) or len(last.operands) != 1 or last.operands[0].type != self.output.type:
            raise VerifyException("dataflow.pe: the body must end in dataflow.yield of the result")
        rf = self.reuse_factor.value.data
        if rf < 1:
            raise VerifyException(f"dataflow.pe: reuse factor {rf} must be >= 1")
        if self.window is not None:
            layer = self.layer()
            if not hasattr(layer, "strides"):
                raise VerifyException(f"dataflow.pe: a window engine needs a convolution, not {layer.name}")
            geo = window_geometry(layer)
            simd = self.attributes.get(SIMD_ATTR)
            if isinstance(simd, IntegerAttr):  # a SIMD-folded XNOR engine: R = R_pe * (K / SIMD)
                k = layer.fan_in()
                if simd.value.data < 1 or k % simd.value.data or rf % (k // simd.value.data):
                    raise VerifyException(f"dataflow.pe: simd {simd.value.data} must divide K = {k} and K / simd "
                                          f"the reuse factor {rf}")
                rf_groups = rf // (k // simd.value.data)
            else:
                rf_groups = rf
            if geo.out_channels % rf_groups:
                raise VerifyException(f"dataflow.pe: reuse factor {rf_groups} does not divide the {geo.out_channels} "
                                      f"output channels")
            if self.latency.value.data != geo.latency(rf):
                raise VerifyException(f"dataflow.pe: window latency is {self.latency.value.data}, expected {geo.latency(rf)}")
            return
        if self.latency.value.data != rf:
            raise VerifyException(f"dataflow.pe: reuse factor {rf} must equal the latency")
        outputs = 1
        for d in self.output.type.get_shape():
            outputs *= d
        if outputs % rf:
            raise VerifyException(f"dataflow.pe: reuse factor {rf} does not divide the {outputs} outputs")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminator of `dataflow.pe`: the processing element's result."""

    name = "dataflow.yield"
    values = var_operand_def()
    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(PeOp), Pure()))
    assembly_format = "attr-dict ($values^ `:` type($values))?"

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[list(values)])


from nncc.dialects.dataflow_stream import FifoOp  # noqa: E402 - the stream ops join the dialect

DATAFLOW = Dialect("dataflow", [PeOp, YieldOp, FifoOp],
                   [PePlanAttr, LanePlanAttr, ClusterPlanAttr, WindowTimingAttr, HandshakeGroupAttr, IndexTableAttr])
