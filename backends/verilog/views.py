"""Frozen views the Verilog templates read (ints, strings, bools and tuples only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConstView:
    """A constant tensor as a localparam: `values` are raw integers, element 0 first."""

    name: str
    width: int
    values: tuple[int, ...]


@dataclass(frozen=True)
class CastSpec:
    """Parameters of one nncc_cast instance."""

    wi: int
    fi: int
    wo: int
    fo: int
    rnd: int
    sat: int


@dataclass(frozen=True)
class ModuleView:
    """One layer as a module: ``kind`` names its template; the rest is its data."""

    kind: str
    module: str
    out: str
    out_width: int
    count: int
    inputs: tuple[tuple[str, int, int], ...]  # (signal, element width, elements)
    registered: bool = False
    inner: bool = False  # a module of a recurrent layer's step (instantiated by the layer's engine)
    fire: str = ""  # registered modules: the handshake group that hands them a sample
    taken: str = ""  # registered modules: the handshake group that takes their result
    # element-wise index lists: (out element, source element(s) ...)
    items: tuple[tuple[int, ...], ...] = ()
    groups: tuple[tuple[int, tuple[int, ...], int], ...] = ()  # (output, inputs, last index)
    cast: CastSpec | None = None
    cast2: CastSpec | None = None
    cast3: CastSpec | None = None
    shifts: tuple[int, ...] = ()
    value: int = 0
    value2: int = 0
    table: tuple[tuple[int, int], ...] = ()
    index_width: int = 0
    shift: int = 0
    scale: int = 1
    offset: int = 0
    last: int = 0
    operator: str = ""
    is_max: bool = False
    is_or: bool = False  # a max of +-1 values as an OR of their bits (sign bits clear)
    # piecewise-linear / polynomial data
    breakpoints: tuple[int, ...] = ()
    slopes: tuple[int, ...] = ()
    intercepts: tuple[int, ...] = ()
    slope_width: int = 0
    intercept_width: int = 0
    product_width: int = 0
    sum_width: int = 0
    # processing element
    reuse: int = 1
    last_phase: int = 0
    phase_width: int = 1
    slots: tuple[PeSlotView, ...] = ()
    acc_width: int = 0
    x_width: int = 0
    operand_width: int = 0  # > 0: a multiplier operand is a sum of cluster elements this wide
    weight_memory: str = ""  # "bram": the PE's weights are read from a block-RAM word per phase
    pad_fill: str = ""  # stream line-buffer stages: the Verilog constant shifted in at a padding position
    # delta memory engine (kind "delta_accumulate"): PEs, columns, cycles per column in `reuse`
    pes: int = 0
    columns: int = 0
    # recurrent layer engine (kind "scan"): time steps, the non-static form's copies, register bits
    steps: int = 0
    non_static: bool = False
    seq_bits: int = 0
    state_bits: int = 0
    inner_modules: tuple[str, ...] = ()  # the step's modules (one instance each, T in the non-static form)
    w_width: int = 0
    # shift-and-add processing element: pool wires (input elements, shared patterns
    # (index, input element, digits), negated copies (name, source)) and shifter width
    pool_inputs: tuple[int, ...] = ()
    pool_shared: tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...] = ()
    pool_negated: tuple[tuple[str, str], ...] = ()
    shift_width: int = 1
    # XNOR processing element: K (terms per output) and, per input element k, the position of
    # its sign bit in the input vector
    bits: int = 0
    sign_bits: tuple[int, ...] = ()
    # XNOR window engine: the taps' lowest raw bits (1 = a +-1 value, 0 = the zero padding),
    # whether the layer is padded (the valid taps' count nv replaces K), nv's width, and the
    # shift of 2 * popcount - K to the accumulator's fraction; nv's adder tree (name, width,
    # operands; the last node is nv)
    xnor: bool = False
    low_bits: tuple[int, ...] = ()
    valid_tree: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    padded: bool = False
    count_width: int = 0
    result_shift: int = 0
    # SIMD folding (folds > 1): bits per phase, phases per output group, each phase's first
    # bit in the window, the phases that start a group's count
    simd: int = 0
    folds: int = 1
    chunks: tuple[int, ...] = ()
    first_phases: tuple[int, ...] = ()
    # sliding-window convolution engine (see dataflow.WindowGeometry)
    shift: bool = False
    channels: int = 0
    height: int = 0
    width: int = 0
    plane: int = 0
    line_buffer: int = 0
    taps: tuple[tuple[int, int], ...] = ()  # (window element, line-buffer element)
    out_channels: int = 0
    anchors: int = 0
    pad_top: int = 0
    pad_left: int = 0
    span: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    anchor_limit: tuple[int, int] = (0, 0)
    last_position: tuple[int, int] = (0, 0)
    padded_cols: int = 0
    row_width: int = 1
    col_width: int = 1
    phase_outputs: tuple[tuple[tuple[int, int], ...], ...] = ()  # per phase: (slot, output channel)
    text: str = ""  # a module printed without a template (the compact multiplier PE)


@dataclass(frozen=True)
class PeSlotView:
    """One output slot of a processing element: per phase, the output element it
    computes, its bias (raw, already aligned) and its terms (input element or -1, raw weight)."""

    index: int
    phases: tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]
    terms: int
    # shift-and-add slots: a balanced adder tree over the (phase-selected) terms, each
    # node (wire, width, parts) as narrow as its exact value range; parts are
    # (operand, sign, shift); r = bias + root ("" when there are no terms)
    tree: tuple[tuple[str, int, tuple[tuple[str, int, int], ...]], ...] = ()
    root: str = ""
    # multiplier slots: the term ranges [lo, hi) of the chained partial sums
    chunks: tuple[tuple[int, int], ...] = ()
    # XNOR slots: per phase the weight row as a Verilog literal (bit k = weight k, 1 = +1)
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class DesignView:
    """The top module and everything it instantiates."""

    top: str
    in_name: str
    in_width: int
    out_name: str
    out_width: int
    ii: int
    gap_width: int
    latency: int
    constants: tuple[ConstView, ...]
    modules: tuple[ModuleView, ...]
    in_elements: int
    in_element_width: int
    out_elements: int
    out_element_width: int
    handshakes: tuple[tuple[str, str], ...] = ()  # (fire signal, its expression)
    in_ready: str = ""
    in_fire: str = ""
    out_fire: str = ""
    stream: bool = False  # io = stream: the top counts `stalls` (the testbench reports them)
    beats: int = 1  # input beats per sample (io = stream: pixels, `in_width` bits each)
    data_dependent: bool = False  # delta-form layers: latency is a bound, ii 1 (the handshakes pace samples)
