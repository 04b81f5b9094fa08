"""Resource estimates in a second: LUT / FF / DSP / BRAM per layer and in total, from a
design's fixed-point IR, without synthesis.

The estimate reads design.mlir through the Verilog back end's read-only views
(`backends.verilog.emitter.design_view`: widths, reuse factors, multiplier terms, term plans
and adder-tree node widths exactly as the emitted Verilog has them; no pass is re-run) and
prices every construct the back end builds with one function each. A construct function
returns a tally of *quantities* (register bits, adder bits, distinct DSP products, LUT6s of a
multiplexer, ...); `price` turns tallies into resources with the per-unit costs in
COEFFICIENTS. `nncc report DIR --synth` (Yosys `synth_xilinx -family xc7`) stays the measured
truth; bench/bench_estimate.py compares the two.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr

from nncc.backends.verilog.views import CastSpec, DesignView, ModuleView
from nncc.dialects.fixed.quantization import signed_width
from nncc.dialects import fixed
from nncc.dialects.dataflow import bram_blocks
from nncc.dialects.dataflow_stream import FifoOp
from nncc.dialects.fixed.quantization import LAYER_ATTR
from nncc.dialects.interfaces import layer_label
from nncc.dialects.emit import NAME_ATTR

RESOURCES = ("LUT", "FF", "DSP", "BRAM")
_NOT_MODULES = (fixed.QuantizeOp, fixed.DequantizeOp, fixed.ConstantOp)
TOP_GROUP = "(top: handshakes, output register)"

# Per-unit cost of every quantity the construct functions count, for Yosys 0.70
# `synth_xilinx -family xc7` with the hierarchy kept (what `nncc report --synth` runs).
# Structural, not fitted: 1 DSP per distinct live product (DSP is exact, see pe_products),
# 1 FF per register bit that Yosys keeps (flip-flops are within 1 %), 1 LUT per bit of a
# select / multiplexer / adder outside the DSP cascades and per bit of a table of at most 64
# entries (one LUT6), 2 LUTs per bit of a table index, and the bookkeeping flip-flops.
# Fitted: the other LUT costs, by non-negative least squares of the measured LUTs of every
# Verilog module of the bench/estimate_designs.py designs on their tallies, weighted by
# 1 / measured (relative error); bench/fit_estimate.py ran Yosys, wrote the data to
# bench/estimate_fit.json and printed these values (rounded to two digits). A fitted 0 means
# the logic sits in carry chains (CARRY4, not counted as LUTs) or is absorbed.
COEFFICIENTS: dict[str, dict[str, float]] = {
    "dsp": {"DSP": 1.0},                        # one DSP48E1 per distinct live product (25 x 18)
    "register_bit": {"FF": 1.0},                # a flip-flop that Yosys keeps
    "stage_control": {"LUT": 4.55, "FF": 2.0},  # fitted LUTs: busy / full / phase logic of a PE
    "input_select_bit": {"LUT": 1.0},           # xs = in_valid ? x0 : xr (a LUT3 per bit)
    "fabric_adder_bit": {"LUT": 1.0},           # adder bit outside the DSP cascades
    "mux_lut": {"LUT": 1.0},                    # a LUT6 of an operand multiplexer (4:1)
    "phase_function": {"LUT": 1.0},             # a distinct bit pattern over the phases
    "select_bit": {"LUT": 1.0},                 # 2:1 select of one bit (relu, clamp, max)
    "cast_output_bit": {"LUT": 1.0},            # saturating output select, per output bit
    "index_bit": {"LUT": 2.0},                  # table index arithmetic, per index bit
    "shared_product_bit": {"LUT": 0.51},         # fitted: a product shared with another slot, per bit
    "shared_tree_bit": {"LUT": 0.84},           # fitted: the third and later shared products of a slot
    "adder_bit": {"LUT": 0.8},                  # fitted: a shift-and-add tree node bit
    "negate_bit": {"LUT": 1.19},                # fitted: a negated operand bit
    "cast_round_bit": {"LUT": 0.0},             # fitted: the rounding increment (carry chain)
    "cast_saturate_bit": {"LUT": 0.95},         # fitted: a dropped integer bit checked for overflow
    "compare_bit": {"LUT": 0.1},                # fitted: a comparison bit (carry chain)
    "const_compare_bit": {"LUT": 0.35},         # set from one measurement (the sigmoid_pwl design's
                                                # PWL layer, bench_estimate 2026-12-07), not fitted:
                                                # a bit of x >= constant above the constant's trailing zeros
    "poly_step_bit": {"LUT": 0.97},             # fitted: a Horner step's sum and cast, per bit
    "rom_small_bit": {"LUT": 1.0},              # a non-constant bit of a table of <= 64 entries
    "rom_bit": {"LUT": 4.08},                   # fitted: a non-constant bit of a larger table
    "rom_lut": {"LUT": 2.19},                   # fitted: a non-constant 64-entry block of a table bit
    "shift_load_bit": {"LUT": 1.04},            # fitted: window engine input register, load or shift
    "window_control": {"LUT": 0.0, "FF": 6.0},  # window engine: feeding / pending flags, anchor tests
    "handshake": {"LUT": 6.12},                 # fitted: top module fire / ready logic
    "counter_bit": {"LUT": 1.55},               # fitted: a bit of the top's gap counter (II > 1)
    "bram": {"BRAM": 1.0},                      # a RAMB36 (a RAMB18 counts 0.5): a weight ROM, a FIFO
    "lutram_lut": {"LUT": 1.0},                 # a LUT used as distributed RAM (a stream FIFO)
    "xnor_select_bit": {"LUT": 1.0},            # an XNOR with a weight bit that changes with the phase
    "popcount_bit": {"LUT": 0.31},              # measured (binary MLP fc2, RF 1; not in the fit): a popcount node bit
}


def price(tally: Counter) -> dict[str, float]:
    """Resources of a tally of quantities (COEFFICIENTS per unit)."""
    out = dict.fromkeys(RESOURCES, 0.0)
    for quantity, n in tally.items():
        for resource, cost in COEFFICIENTS[quantity].items():
            out[resource] += cost * n
    return out


def mux_luts(inputs: int) -> int:
    """LUT6s per bit of an `inputs`:1 multiplexer (a LUT6 holds 4:1; MUXF7/F8 join them)."""
    return 0 if inputs <= 1 else math.ceil(inputs / 4)


def dsp_per_product(a_width: int, b_width: int) -> int:
    """DSP48E1s of one signed a x b product (25 x 18; wider ones are split)."""
    a, b = max(a_width, b_width), min(a_width, b_width)
    if a <= 25 and b <= 18:
        return 1
    return math.ceil(a / 24) * math.ceil(b / 17)


def _bit_pattern(values: Iterable[int], width: int) -> list[tuple[int, ...]]:
    """Per bit of a `width`-bit two's-complement value, its value in each phase."""
    values = [v & ((1 << width) - 1) for v in values]
    return [tuple((v >> b) & 1 for v in values) for b in range(width)]


def phase_functions(columns: Iterable[tuple[tuple[int, ...], int]]) -> int:
    """Distinct non-constant bit patterns over the phases of constants selected by the phase
    ((values per phase, width) each): Yosys builds each distinct pattern once."""
    seen: set[tuple[int, ...]] = set()
    for values, width in columns:
        for bits in _bit_pattern(values, width):
            if len(set(bits)) > 1:
                seen.add(bits)
    return len(seen)


# ---------------------------------------------------------------------------------------
# processing elements


def result_bits(m: ModuleView) -> int:
    """Distinct result flip-flops of a PE: acc_width per output, except that at RF 1 a
    shift-and-add slot's result is only as wide as its adder tree's root (plus the bias): the
    bits above are copies of its sign, and Yosys keeps one flip-flop for equal ones."""
    if m.kind == "pe" or (m.kind == "pe_window" and not m.shift) or m.reuse > 1:
        return m.acc_width * m.count
    bits = 0
    for s in m.slots:
        root = {name: width for name, width, _ in s.tree}.get(s.root)
        biases = [bias for _, bias, _ in s.phases]
        if root is None:
            width = m.acc_width
        elif any(biases):
            width = max(root, signed_width(min(biases), max(biases))) + 1
        else:
            width = root
        bits += min(width, m.acc_width) * (m.count // len(m.slots))
    return bits


def pe_registers(m: ModuleView, absorbed: bool) -> Counter:
    """A PE's registers: the input copy xr and its select, the result y (unless the DSPs'
    output registers hold it), and the busy / full / phase bookkeeping."""
    n_in = m.x_width * m.inputs[0][2]
    tally = Counter(register_bit=n_in, input_select_bit=n_in, stage_control=1)
    if not absorbed:
        tally["register_bit"] += result_bits(m)
    if m.reuse > 1:
        tally["register_bit"] += m.phase_width
    return tally


def pe_products(m: ModuleView) -> Counter:
    """Multiplier slots: one DSP per distinct live product (a term whose weight is nonzero in
    some phase; Yosys merges products with the same operands in every phase), operand
    multiplexers and the weights' bit patterns over the phases when RF > 1, and the sums
    outside the DSP cascades: the chains' sums of a long slot, and per slot the products it
    shares with other slots (a shared product cannot sit in two cascades: the first two of a
    slot go in through DSP C ports, more build a fabric adder tree)."""
    products: Counter = Counter()
    inputs_by_position: set[tuple[int, ...]] = set()
    weights: list[tuple[tuple[int, ...], int]] = []
    slot_keys = []
    for s in m.slots:
        keys = []
        for k in range(s.terms):
            pairs = tuple((e, w) if _live(e) and w != 0 else (-1, 0) for _, _, terms in s.phases for e, w in [terms[k]])
            if all(w == 0 for _, w in pairs):
                continue
            keys.append(pairs)
            products[pairs] += 1
            if products[pairs] == 1 and m.reuse > 1:
                inputs_by_position.add(tuple(e for e, _ in pairs))
                weights.append((tuple(w for _, w in pairs), m.w_width))
        slot_keys.append(keys)
    tally = Counter(dsp=len(products) * dsp_per_product(m.x_width, m.w_width))
    tally["fabric_adder_bit"] = sum(len(s.chunks) - 1 for s in m.slots) * m.acc_width
    for keys in slot_keys:
        shared = sum(1 for key in keys if products[key] > 1)
        tally["shared_product_bit"] += shared * m.acc_width
        tally["shared_tree_bit"] += max(shared - 2, 0) * m.acc_width
    for sources in inputs_by_position:
        tally["mux_lut"] += m.x_width * mux_luts(len(set(sources)))
    for pairs in products:  # cluster lanes: a lane's window elements are added before its product
        cells = max((len(e) for e, _ in pairs if isinstance(e, tuple)), default=1)
        tally["fabric_adder_bit"] += (cells - 1) * (m.operand_width or m.x_width)
    if m.weight_memory == "bram":  # the weights come from a ROM word per phase: no bit patterns in logic
        tally["bram"] = bram_blocks(sum(s.terms for s in m.slots) * m.w_width, m.reuse)
    else:
        tally["phase_function"] = phase_functions(weights)
    return tally


def _live(e) -> bool:
    """Whether a term's operand reads input: an element index >= 0, or a non-empty tuple of
    the elements a cluster lane adds."""
    return len(e) > 0 if isinstance(e, tuple) else e >= 0


def pe_multiplier(m: ModuleView) -> Counter:
    """A multiply-accumulate PE: products, registers (at RF 1 the result sits in the DSPs'
    output registers)."""
    return pe_products(m) + pe_registers(m, absorbed=m.reuse == 1)


def adder_tree(s, acc_width: int) -> Counter:
    """A balanced shift-and-add tree: every node is a carry-chain adder as wide as its value
    range (the widths come from the view); the bias is added to the root."""
    tally = Counter(adder_bit=sum(width for _, width, _ in s.tree))
    if s.root and any(bias for _, bias, _ in s.phases):
        tally["adder_bit"] += acc_width
    return tally


def shift_pool(m: ModuleView) -> Counter:
    """The operand pool of a shift-and-add PE: shared digit patterns (adders) and negated
    operands."""
    tally = Counter()
    widths = {f"q{q}": width for q, _, _, width in m.pool_shared}
    for _, _, digits, width in m.pool_shared:
        tally["adder_bit"] += width * (len(digits) - 1) + (width if digits and digits[0][0] < 0 else 0)
    for _, src in m.pool_negated:
        tally["negate_bit"] += widths.get(src, m.x_width) + 1
    return tally


def shift_operands(m: ModuleView) -> Counter:
    """RF > 1: per slot and term the phase-selected, shifted operand v = a <<< h. Both a and
    h are functions of the phase, so every bit of v is a multiplexer over the distinct
    (operand, shift) pairs of the phases (ABC folds the shifter into it): a mux as wide as
    the widest shifted operand. The bias is a bit pattern over the phases added at the root."""
    widths = {f"q{q}": width for q, _, _, width in m.pool_shared}

    def width_of(name: str) -> int:
        if "'" in name:
            return 0
        if name.startswith("n"):
            return width_of(name[1:]) + 1
        return widths.get(name, m.x_width)

    tally = Counter()
    columns: list[tuple[tuple[int, ...], int]] = []
    seen: set[tuple[tuple[str, int], ...]] = set()
    for s in m.slots:
        columns.append((tuple(bias for _, bias, _ in s.phases), m.acc_width))
        for k in range(s.terms):
            pairs = tuple((terms[k][0], terms[k][2]) for _, _, terms in s.phases)
            if pairs in seen:
                continue
            seen.add(pairs)
            leaf = min(max(width_of(n) + sh for n, sh in pairs), m.acc_width)
            tally["mux_lut"] += leaf * mux_luts(len(set(pairs)))
        if s.root:
            tally["adder_bit"] += m.acc_width
    tally["phase_function"] += phase_functions(columns)
    return tally


def shift_slots(m: ModuleView) -> Counter:
    """The shift-and-add slots of a PE or window engine: operand pool, adder trees (at RF > 1
    the bias is added in shift_operands, with the multiplexers of the shifted operands)."""
    tally = shift_pool(m)
    for s in m.slots:
        tally += adder_tree(s, m.acc_width) if m.reuse == 1 else Counter(adder_bit=sum(w for _, w, _ in s.tree))
    if m.reuse > 1:
        tally += shift_operands(m)
    return tally


def pe_shift(m: ModuleView) -> Counter:
    """A shift-and-add PE: its slots and registers."""
    return shift_slots(m) + pe_registers(m, absorbed=False)


def pe_xnor(m: ModuleView) -> Counter:
    """An XNOR-popcount PE: per slot its popcount tree and ``2 * popcount - K`` (node bits from
    the view, plus the result's: ABC packs the narrow levels into LUT6 compressors); an
    XNOR with a constant weight bit is an inversion absorbed by the tree's LUTs, one whose
    weight bit changes with the phase (RF > 1) a LUT of the input bit and the phase. The
    registers: only the input's K sign bits are read (Yosys drops the other bits of xr)."""
    tally = Counter(register_bit=m.bits + m.acc_width * m.count + (m.phase_width if m.reuse > 1 else 0),
                    input_select_bit=m.bits, stage_control=1)
    for s in m.slots:
        tally["popcount_bit"] += sum(width for _, width, _ in s.tree) + m.acc_width
        if m.reuse > 1:
            rows = [word.split("'b")[1] for word in s.words]
            tally["xnor_select_bit"] += sum(1 for column in zip(*rows) if len(set(column)) > 1)
    return tally


def shift_register_bits(taps: Iterable[int], x_bits: int) -> int:
    """Line-buffer flip-flops that Yosys packs into SRL shift registers: a run of g positions
    no tap reads, with the tapped position after it, is one chain of g + 1 (packed when at
    least 3 long, `shregmap -minlen 3`), per bit of a pixel."""
    used = sorted(set(taps))
    bits = 0
    for before, after in zip(used, used[1:]):
        chain = after - before
        if chain >= 3:
            bits += chain * x_bits
    return bits


def line_buffer(m: ModuleView) -> Counter:
    """A window engine's storage: the input planes shifted out pixel by pixel (load or shift
    per bit), the line buffer (its untapped runs in SRLs, not flip-flops), the padding
    select, the output shift registers (less one result per multiplier slot, which sits in
    its DSP's output register) and the row / column counters."""
    x_width = (2 if m.padded else 1) if m.xnor else m.x_width  # an XNOR engine reads sign (and lowest) bits only
    plane_bits = x_width * m.channels * m.plane
    pixel_bits = x_width * m.channels
    taps = [j // m.channels for _, j in m.taps]
    registers = (plane_bits + pixel_bits * m.line_buffer - shift_register_bits(taps, pixel_bits)
                 + result_bits(m) + m.phase_width + m.row_width + m.col_width)
    if not m.shift and not m.xnor:  # each multiplier slot's result r sits in its DSP's output register
        registers -= m.acc_width * len(m.slots)
    return Counter(register_bit=registers, shift_load_bit=plane_bits, select_bit=pixel_bits, window_control=1,
                   stage_control=1)


def pe_window(m: ModuleView) -> Counter:
    """A sliding-window convolution engine: line buffer, counters and the slots (multipliers
    or shift-and-add trees)."""
    return line_buffer(m) + (xnor_window(m) if m.xnor else shift_slots(m) if m.shift else pe_products(m))


def xnor_window(m: ModuleView) -> Counter:
    """An XNOR window engine's slots (`pe_xnor`'s popcount trees and phase-selected weight
    bits), plus a padded layer's shared count of valid taps."""
    tally = Counter(popcount_bit=m.bits if m.padded else 0)
    for s in m.slots:
        tally["popcount_bit"] += sum(width for _, width, _ in s.tree) + 2 * m.acc_width
        if m.reuse > 1:
            rows = [word.split("'b")[1] for word in s.words]
            tally["xnor_select_bit"] += sum(1 for column in zip(*rows) if len(set(column)) > 1)
    return tally


# ---------------------------------------------------------------------------------------
# element-wise and data-movement modules


def cast_unit(c: CastSpec) -> Counter:
    """One nncc_cast: the rounding increment, the overflow check of the dropped integer bits
    and the saturating output select."""
    s = c.fi - c.fo
    kept = c.wi - max(s, 0) + (1 if s > 0 and c.rnd else 0)
    tally = Counter()
    if s > 0 and c.rnd:
        tally["cast_round_bit"] = kept
    if c.sat and kept > c.wo:
        tally["cast_saturate_bit"] = kept - c.wo + 1
        tally["cast_output_bit"] = c.wo
    return tally


def _times(tally: Counter, n: int) -> Counter:
    return Counter({k: v * n for k, v in tally.items()})


def cast(m: ModuleView) -> Counter:
    """A requantization of every element."""
    return _times(cast_unit(m.cast), m.count)


def relu(m: ModuleView) -> Counter:
    """x < 0 ? 0 : x per element: the sign bit selects (it is itself constant 0)."""
    return Counter(select_bit=(m.out_width - 1) * m.count)


def clamp(m: ModuleView) -> Counter:
    """Two constant comparisons and a select per element."""
    return Counter(compare_bit=2 * m.out_width * m.count, select_bit=m.out_width * m.count)


def dead_zone(m: ModuleView) -> Counter:
    """Two constant comparisons (x >= T, x <= -T) and a select per element."""
    return Counter(compare_bit=2 * m.out_width * m.count, select_bit=m.out_width * m.count)


def threshold(m: ModuleView) -> Counter:
    """A comparison of the input with its channel's constant per element (+1 / -1 out)."""
    return Counter(const_compare_bit=m.inputs[0][1] * m.count)


def leaky(m: ModuleView) -> Counter:
    """x < 0 ? cast(alpha * x) : x: a constant product (a DSP), a cast and a select per element."""
    per = cast_unit(m.cast) + Counter(dsp=dsp_per_product(m.out_width, m.inputs[1][1]), select_bit=m.out_width)
    return _times(per, m.count)


def rom_blocks(values: Iterable[int], width: int) -> int:
    """LUT6-sized pieces of a table that hold logic: per output bit, the 64-entry blocks in
    which the bit is not constant (a constant block, and a constant bit, costs nothing)."""
    values = list(values)
    blocks = 0
    for bits in _bit_pattern(values, width):
        blocks += sum(1 for start in range(0, len(bits), 64) if len(set(bits[start:start + 64])) > 1)
    return blocks


def rom_tally(values: Iterable[int], width: int) -> Counter:
    """A table in LUTs. Up to 64 entries: one LUT6 per non-constant bit. Larger: its
    non-constant 64-entry blocks per output bit, and per non-constant bit the logic that
    joins its blocks."""
    values = list(values)
    varying = sum(1 for bits in _bit_pattern(values, width) if len(set(bits)) > 1)
    if len(values) <= 64:
        return Counter(rom_small_bit=varying)
    return Counter(rom_lut=rom_blocks(values, width), rom_bit=varying)


def lut_rom(m: ModuleView) -> Counter:
    """An activation table per element: index arithmetic (shift, scale, offset, clamp) and a
    ROM in LUTs (rom_tally)."""
    per = Counter(index_bit=m.index_width) + rom_tally((v for _, v in m.table), m.out_width)
    return _times(per, m.count)


def significant_bits(constant: int, width: int) -> int:
    """Bits of a ``width``-bit input that ``x >= constant`` has to look at: those above the
    constant's trailing zeros (the sign bit alone for 0)."""
    raw = constant & ((1 << width) - 1)
    return width - ((raw & -raw).bit_length() - 1) if raw else 1


def pwl_unit(m: ModuleView) -> Counter:
    """A piecewise-linear unit per element: breakpoint comparisons (priced by the bits each
    constant makes it look at), slope / intercept tables, one product (a DSP), the sum and the
    output cast."""
    per = Counter(
        const_compare_bit=sum(significant_bits(b, m.inputs[0][1]) for b in m.breakpoints),
        dsp=dsp_per_product(m.slope_width, m.inputs[0][1]), adder_bit=m.sum_width,
    ) + cast_unit(m.cast) + rom_tally(m.slopes, m.slope_width) + rom_tally(m.intercepts, m.intercept_width)
    return _times(per, m.count)


def poly_unit(m: ModuleView) -> Counter:
    """A Horner polynomial per element: input clamp, per step one product (DSPs) and the
    sum with the next coefficient requantized to the accumulator (priced per sum bit); then
    the output cast."""
    x_width = m.inputs[0][1]
    per = Counter(compare_bit=2 * x_width, select_bit=x_width) + cast_unit(m.cast3)
    step = Counter(dsp=dsp_per_product(m.acc_width, x_width), poly_step_bit=m.sum_width)
    per += _times(step, m.last)
    return _times(per, m.count)


def binary(m: ModuleView) -> Counter:
    """Element-wise add / sub (an adder per element) or mul (a DSP per element)."""
    if m.operator == "*":
        return Counter(dsp=len(m.items) * dsp_per_product(m.inputs[0][1], m.inputs[1][1]))
    return Counter(adder_bit=len(m.items) * m.out_width)


def reduce(m: ModuleView) -> Counter:
    """Pooling / reductions: per output a chain of comparisons and selects (max), an OR of
    sign bits (a max of +-1 values: a LUT6 per 6 bits, priced as selects) or a sum."""
    tally = Counter()
    for _, cells, _ in m.groups:
        n = max(len(cells) - 1, 0)
        if m.is_or:
            tally["select_bit"] += -(-len(cells) // 6)
        elif m.is_max:
            tally += Counter(compare_bit=n * m.out_width, select_bit=n * m.out_width)
        else:
            tally["adder_bit"] += n * m.out_width
    return tally


def kwta(m: ModuleView) -> Counter:
    """k-winners-take-all: per output a comparator against every other element of its
    group, an adder tree counting the larger ones, a compare with k and a select."""
    tally = Counter()
    for _, cells, last in m.groups:
        tally += Counter(compare_bit=last * m.out_width + m.index_width, adder_bit=last * m.index_width,
                         select_bit=m.out_width)
    return tally


def scan(m: ModuleView) -> Counter:
    """A recurrent layer's engine (its step's modules are priced as modules of their own):
    static, the sequence and state registers, the result (every step's h) and the step and
    cycle counters with the input slice's multiplexer; non-static, per stage the sequence, the
    state, the h so far and a cycle counter (no slice multiplexer: each stage reads a fixed
    step)."""
    out_bits = m.out_width * m.count
    if m.non_static:
        per_stage = m.seq_bits + m.state_bits + out_bits + 1
        return Counter(register_bit=m.steps * per_stage + out_bits + 1, counter_bit=m.steps * 4, stage_control=m.steps)
    step_bits = max(1, int(m.steps).bit_length())
    return Counter(register_bit=m.seq_bits + m.state_bits + out_bits + 2 + step_bits, counter_bit=step_bits + 4,
                   mux_lut=(m.seq_bits // max(m.steps, 1)) * mux_luts(m.steps), stage_control=1)


def delta_engine(m: ModuleView) -> Counter:
    """A delta memory engine: per PE a product (weight x the column's change) and an adder
    into one of its rows' accumulators, its (column, slot) weight and row tables; the
    accumulators, the change register and mask, the lowest-set-bit column select and the
    change multiplexer."""
    entries = m.columns * m.reuse
    per_pe = Counter(dsp=dsp_per_product(m.product_width, m.x_width), fabric_adder_bit=m.acc_width,
                     mux_lut=m.product_width * mux_luts(entries) + m.acc_width * mux_luts(m.count // max(m.pes, 1)))
    return _times(per_pe, m.pes) + Counter(
        register_bit=m.count * m.acc_width + m.columns * (m.x_width + 1) + max(1, int(m.reuse - 1).bit_length()),
        mux_lut=m.x_width * mux_luts(m.columns), select_bit=2 * m.columns, stage_control=1)


def wiring(m: ModuleView) -> Counter:
    """Reshape, transpose, pad, concat: wires and constants only."""
    return Counter()


def top_module(view: DesignView) -> Counter:
    """The top module: the output register, out_valid, the gap counter and the handshakes."""
    tally = Counter(register_bit=view.out_width + 1 + (view.gap_width if view.ii > 1 else 1), handshake=1)
    if view.ii > 1:
        tally["counter_bit"] = view.gap_width
    return tally


CONSTRUCTS = {
    "pe": pe_multiplier, "pe_shift": pe_shift, "pe_xnor": pe_xnor, "pe_window": pe_window, "cast": cast, "relu": relu,
    "clamp": clamp, "dead_zone": dead_zone, "leaky": leaky, "threshold": threshold, "lut": lut_rom, "pwl": pwl_unit, "poly": poly_unit, "binary": binary,
    "reduce": reduce, "kwta": kwta, "delta_accumulate": delta_engine, "gather": wiring, "concat": wiring, "scan": scan,
}


# ---------------------------------------------------------------------------------------
# the design


def module_layers(module: ModuleOp) -> dict[str, str]:
    """Verilog module suffix (emit.name) -> the layer it belongs to (`interfaces.layer_label` of
    its op when the op names a layer, else the name itself), in the design's op order: the
    ops of @main that the Verilog back end builds a module for (not the input quantize, the
    output dequantize or constants); a stream FIFO counts to the layer of the stage it feeds."""
    out: dict[str, str] = {}
    for f in module.ops:
        if not isinstance(f, func.FuncOp) or not f.body.blocks:
            continue
        for op in f.body.blocks[0].ops:
            name = op.attributes.get(NAME_ATTR)
            if isinstance(op, _NOT_MODULES) or not isinstance(name, StringAttr) or name.data in out:
                continue
            owner = next(iter(op.output.uses)).operation if isinstance(op, FifoOp) and op.output.uses else op
            named = isinstance(owner.attributes.get(LAYER_ATTR), StringAttr) or isinstance(
                getattr(owner.location, "desc", None), StringAttr)
            out[name.data] = layer_label(owner) if named else name.data
    return out


def _rounded(counts: dict[str, float]) -> dict[str, int]:
    return {k: int(round(counts.get(k, 0.0))) for k in RESOURCES}


def module_tallies(module: ModuleOp) -> tuple[DesignView, dict[str, Counter]]:
    """The design's view and, per Verilog module (by its emit.name; TOP_GROUP for the top
    module's own logic), the tally of its constructs (a stream design: `estimate_stream`)."""
    from nncc.backends.verilog.emitter import design_view
    from nncc.compiler.analysis.estimate_stream import stream_tallies
    from nncc.dialects.emit import is_stream_design

    if is_stream_design(module):
        return stream_tallies(module)
    view = design_view(module)
    prefix = f"{view.top}__"
    tallies = {m.module[len(prefix):]: CONSTRUCTS[m.kind](m) for m in view.modules}
    for m in view.modules:  # the non-static form instantiates its step's modules once per time step
        if m.kind == "scan" and m.non_static:
            for inner in m.inner_modules:
                name = inner[len(prefix):]
                tallies[name] = Counter({k: v * m.steps for k, v in tallies[name].items()})
    tallies[TOP_GROUP] = top_module(view)
    return view, tallies


def estimate_module(module: ModuleOp) -> dict:
    """The estimate of a prepared, tiled fixed-point module: ``{"modules": {name: {layer,
    LUT, FF, DSP, BRAM}}, "layers": {layer: {LUT, FF, DSP, BRAM}} (in layer order, the top
    module's own logic last), "total": {...}, "model": ...}``."""
    _, tallies = module_tallies(module)
    layer_of = module_layers(module)
    modules, layers = {}, {}
    for name, tally in tallies.items():
        layer = layer_of.get(name, TOP_GROUP)
        counts = price(tally)
        modules[name] = {"layer": layer, **_rounded(counts)}
        group = layers.setdefault(layer, dict.fromkeys(RESOURCES, 0.0))
        for k in RESOURCES:
            group[k] += counts[k]
    total = {k: sum(group[k] for group in layers.values()) for k in RESOURCES}
    return {"model": "analytic (nncc.compiler.analysis.estimate, fitted to yosys synth_xilinx -family xc7)",
            "modules": modules, "layers": {layer: _rounded(c) for layer, c in layers.items()}, "total": _rounded(total)}
