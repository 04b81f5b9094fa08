"""The multiplier processing element as compact Verilog: its constants in three localparams
(weights, input elements, biases; one hexadecimal literal each) and generate loops over
slots and terms, so the text grows with the weights' bits, not with a line per term.

The logic: per slot and term an operand pair selected by
`case (ph)` (the default arm zero), the products summed in the planned chains (the first
chain starts from the phase's bias), the chains added, and per phase the slots' results
registered into the output elements the plan's slot map names.
"""

from __future__ import annotations

import numpy as np

from nncc.backends.verilog.pe import cluster_sum_width
from nncc.dialects.dataflow import PePlanAttr

_MODULE = '''// processing element: {count} outputs, {slots} per cycle over {rf} cycle(s)
module {module} (
    input  wire clk,
    input  wire rst,
    input  wire in_valid,   // a sample is handed over (only while in_ready)
    output wire in_ready,
    input  wire [{xw}*{n_in}-1:0] x0,
    output wire out_valid,  // the result, held until out_ready takes it
    input  wire out_ready,
    output reg  [{aw}*{count}-1:0] y
);
    reg [{xw}*{n_in}-1:0] xr;
    reg busy;
    reg full;
    assign out_valid = full;
    assign in_ready = !busy && (!full || out_ready);
    reg [{phase_width}-1:0] phase;
    wire [{xw}*{n_in}-1:0] xs = in_valid ? x0 : xr;
    wire [{phase_width}-1:0] ph = in_valid ? {phase_width}'d0 : phase;
    /* verilator lint_off UNUSEDSIGNAL */  // (element {n_in} is read only where a tap reads padding)
    wire [{xw}*{n_in1}-1:0] xz = {{{xw}'d0, xs}};  // element {n_in} reads zero (padding)
    /* verilator lint_on UNUSEDSIGNAL */
    // per (slot s, term k, phase p) at (s * {k} + k) * {rf} + p: the weight and the input element;
    // per (slot, phase) at s * {rf} + p: the bias (aligned to the accumulator)
{weights_param}    localparam [{i_bits}-1:0] INPUTS = {inputs};
    localparam [{b_bits}-1:0] BIASES = {biases};
    // the planned product chains: terms starting one (bit k of CHAIN_START)
    localparam [{k1}-1:0] CHAIN_START = {k1}'h{starts};
{lane_counts}{weight_rom}    wire [{aw}*{slots}-1:0] r;
    genvar s, k;
    generate
        for (s = 0; s < {slots}; s = s + 1) begin : slot
            reg signed [{aw}-1:0] c;
{bias_params}
            always @* begin
                case (ph)
{bias_arms}
                    default: c = {aw}'d0;
                endcase
            end
            for (k = 0; k < {k}; k = k + 1) begin : term
                reg signed [{xa}-1:0] a;
                reg signed [{ww}-1:0] b;
{term_params}
                always @* begin
                    case (ph)
{phase_arms}
                        default: begin a = {xa}'d0; b = {ww}'d0; end
                    endcase
                end
                wire signed [{aw}-1:0] sum;  // running sum of the chain (Yosys packs each chain into a DSP cascade)
{idle}                if (k == 0) begin : first
                    assign sum = c + a * b;
                end else if (CHAIN_START[k]) begin : start
                    assign sum = {aw}'sd0 + a * b;
                end else begin : next
                    assign sum = term[k - 1].sum + a * b;
                end
            end
            assign r[s * {aw} +: {aw}] = {chain_sum};
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            phase <= {phase_width}'d0;
            full <= 1'b0;
        end else begin
            if (out_ready) full <= 1'b0;
            if (in_valid) xr <= x0;
            if (in_valid || busy) begin
                case (ph)
{stores}
                    default: ;
                endcase
                if (ph == {last_phase}) begin
                    busy <= 1'b0;
                    phase <= {phase_width}'d0;
                    full <= 1'b1;
                end else begin
                    busy <= 1'b1;
                    phase <= ph + 1'b1;
                end
            end
        end
    end
endmodule
'''

TOKEN_DIGITS = 2048
"""Hexadecimal digits per literal token: longer constants are concatenations of such pieces
(Yosys' Verilog lexer cannot hold a token much longer than 16 KB)."""


def sized_hex(digits: str, bits: int | None = None) -> str:
    """The ``bits``-bit Verilog constant (default 4 per digit) of the hexadecimal ``digits``
    (most significant first), as one sized literal or a concatenation of pieces of at most
    `TOKEN_DIGITS` digits (the first piece takes the bits that are not whole digits)."""
    bits = 4 * len(digits) if bits is None else bits
    if len(digits) <= TOKEN_DIGITS:
        return f"{bits}'h{digits}"
    cut = len(digits) % TOKEN_DIGITS or TOKEN_DIGITS
    pieces = [digits[:cut]] + [digits[i:i + TOKEN_DIGITS] for i in range(cut, len(digits), TOKEN_DIGITS)]
    widths = [bits - 4 * (len(digits) - cut)] + [4 * len(p) for p in pieces[1:]]
    return "{" + ", ".join(f"{w}'h{p}" for w, p in zip(widths, pieces)) + "}"


def hex_literal(values: np.ndarray, stride: int) -> str:
    """A sized hexadecimal literal of `values` (element 0 in the least significant bits), each
    element two's complement in `stride` bits (a multiple of 4, at most 64)."""
    values = np.asarray(values, np.int64).reshape(-1)
    if values.size == 0:
        return f"{stride}'h0"
    digits = stride // 4
    text = np.frombuffer(values[::-1].astype(">i8").tobytes().hex().encode(), np.uint8).reshape(-1, 16)
    return sized_hex(text[:, 16 - digits:].tobytes().decode())


def _stride(width: int) -> int:
    return max(4, -(-width // 4) * 4)


_IDLE = """                if (k >= LANES[s * 16 +: 16]) begin : idle  // past the slot's lanes: no product
                    if (k == 0) begin : none
                        assign sum = c;
                    end else if (CHAIN_START[k]) begin : restart
                        assign sum = {aw}'sd0;
                    end else begin : pass
                        assign sum = term[k - 1].sum;
                    end
                end else
"""


def _operands(plan: PePlanAttr, mac, slot_map: np.ndarray, inputs: int, taps=None, members=None):
    """Per (slot, term, phase): weight and input element (`inputs` = the zero element); per
    (slot, phase): bias. With sparse ``taps`` (per slot [lanes, R]) the terms are the lanes,
    padded to the widest slot with zero weights reading the zero element. With cluster
    ``members`` (per slot [lanes, R, M]) the input elements are [S, lanes, R, M]: the cluster's
    elements, added before the product."""
    rf, slots = plan.reuse.data, plan.slots.data
    outs = slot_map.reshape(rf, slots).T  # [S, R]
    channel = mac.channel[outs]
    if taps is None:
        weights = np.transpose(mac.weights[channel], (0, 2, 1))  # [S, K, R]
        index = np.transpose(mac.index[outs], (0, 2, 1))
    else:
        width = max((len(t) for t in taps), default=0)
        padded = np.full((slots, width, rf), -1, np.int64)
        for s, t in enumerate(taps):
            padded[s, :len(t)] = t
        safe = np.maximum(padded, 0)
        phase_channel = np.broadcast_to(channel[:, None, :], padded.shape)
        phase_out = np.broadcast_to(outs[:, None, :], padded.shape)
        weights = np.where(padded >= 0, mac.weights[phase_channel, safe], 0)
        index = np.where(padded >= 0, mac.index[phase_out, safe], -1)
        if members is not None:
            cells = np.full(padded.shape + (members[0].shape[2] if members else 1,), -1, np.int64)
            for s, m in enumerate(members):
                cells[s, :len(m)] = m
            outs4 = np.broadcast_to(outs[:, None, :, None], cells.shape)
            index = np.where(cells >= 0, mac.index[outs4, np.maximum(cells, 0)], -1)
    index = np.where(index >= 0, index, inputs)
    return weights, index, mac.bias[channel]


def _term_params(k: int, rf: int, ww: int, ws: int, xw: int, is_: int, width: int, bram: bool = False) -> str:
    """Per phase the lane's weight (unless it comes from the block-RAM word) and operand: one
    input element, or with cluster lanes (``width`` M > 1 elements per cell) the sum of its M
    elements, sign-extended."""
    text = []
    for p in range(rf):
        if not bram:
            text.append(f"                localparam [{ww}-1:0] W{p} = WEIGHTS[((s * {k} + k) * {rf} + {p}) * {ws} +: {ww}];")
        if width == 1:
            text.append(f"                localparam [{is_}-1:0] I{p} = INPUTS[((s * {k} + k) * {rf} + {p}) * {is_} +: {is_}];\n"
                        f"                wire [{xw}-1:0] v{p} = xz[I{p} * {xw} +: {xw}];")
            continue
        for j in range(width):
            text.append(f"                localparam [{is_}-1:0] I{p}_{j} = INPUTS[(((s * {k} + k) * {rf} + {p}) * {width} + {j}) * {is_} +: {is_}];\n"
                        f"                wire signed [{xw}-1:0] e{p}_{j} = xz[I{p}_{j} * {xw} +: {xw}];")
        text.append(f"                wire signed [{cluster_sum_width(xw, width)}-1:0] v{p} = "
                    + " + ".join(f"e{p}_{j}" for j in range(width)) + ";  // the cluster's inputs, added first")
    return "\n".join(text)


_ROM = """    // the weights of each phase in one block-RAM word (lane t of slot s at bit (BASE[s] + t) * {ww}),
    // read a cycle ahead at the next phase's address: word 0 waits while the PE is idle
    localparam [{base_bits}-1:0] BASE = {bases};
    (* rom_style = "block" *) reg [{word}-1:0] wrom [0:{rf}-1];
    initial begin
{words}
    end
    wire [{phase_width}-1:0] ph_next = ((in_valid || busy) && ph != {last_phase}) ? ph + 1'b1 : {phase_width}'d0;
    reg [{word}-1:0] wq;
    always @(posedge clk) wq <= wrom[rst ? {phase_width}'d0 : ph_next];
"""


def _rom_words(weights: np.ndarray, lanes: list[int], ww: int) -> list[str]:
    """Per phase the word of every slot's lanes' weights, packed (slot s from BASE[s])."""
    mask = (1 << ww) - 1
    words = []
    for p in range(weights.shape[2]):
        value, shift = 0, 0
        for s, count in enumerate(lanes):
            for t in range(count):
                value |= (int(weights[s, t, p]) & mask) << shift
                shift += ww
        words.append(sized_hex(f"{value:x}".rjust(-(-shift // 4), "0"), shift))
    return words


def print_mult_pe(m, plan: PePlanAttr, mac, slot_map: np.ndarray, chains: list[int], taps=None, members=None,
                  bram: bool = False) -> str:
    """The module text of a multiplier PE (`m` its ModuleView without slots); a sparse PE's
    ``taps`` (per slot [lanes, R], `sparse_plan.slot_taps`) give each slot its own lane count;
    a codebook PE's cluster ``members`` (per slot [lanes, R, M]) make each lane's operand a sum;
    with ``bram`` the weights come from a block-RAM ROM word per phase (`dataflow.weight_memory`)."""
    rf, slots = plan.reuse.data, plan.slots.data
    n_in = m.inputs[0][2]
    weights, index, bias = _operands(plan, mac, slot_map, n_in, taps, members)
    k = int(weights.shape[1])
    width = int(index.shape[3]) if index.ndim == 4 else 1
    xw, ww, aw = m.x_width, m.w_width, m.acc_width
    ws, is_, bs = _stride(ww), _stride(int(n_in).bit_length() + 1), _stride(aw)
    starts = sum(1 << lo for lo in chains[:-1])
    ends = [hi - 1 for hi in chains[1:]]
    term_params = _term_params(k, rf, ww, ws, xw, is_, width, bram)
    phase_arms = "\n".join(f"                        {p}: begin a = v{p}; b = {'wb' if bram else f'W{p}'}; end" for p in range(rf))
    bias_params = "\n".join(f"            localparam [{aw}-1:0] B{p} = BIASES[(s * {rf} + {p}) * {bs} +: {aw}];" for p in range(rf))
    bias_arms = "\n".join(f"                    {p}: c = B{p};" for p in range(rf))
    chain_sum = " + ".join(f"term[{e}].sum" for e in ends) or f"{aw}'sd0"
    stores = "\n".join(
        f"                    {p}: begin\n" + "".join(
            f"                        y[{int(slot_map[p * slots + s])}*{aw} +: {aw}] <= r[{s} * {aw} +: {aw}];\n"
            for s in range(slots)) + "                    end" for p in range(rf))
    lane_counts, idle = "", ""
    if taps is not None:
        counts = np.asarray([len(t) for t in taps], np.int64)
        lane_counts = (f"    // the multiplier lanes of each slot (16 bits per slot): its densest output's non-zero weights\n"
                       f"    localparam [{16 * slots}-1:0] LANES = {hex_literal(counts, 16)};\n")
        idle = _IDLE.replace("{aw}", str(aw))
    weight_rom = ""
    if bram:
        lanes = [len(t) for t in taps] if taps is not None else [k] * slots
        bases = np.concatenate([[0], np.cumsum(lanes)[:-1]]).astype(np.int64)
        words = _rom_words(weights, lanes, ww)
        weight_rom = _ROM.format(ww=ww, base_bits=32 * slots, bases=hex_literal(bases, 32), word=max(1, sum(lanes) * ww),
                                 rf=rf, words="\n".join(f"        wrom[{p}] = {w};" for p, w in enumerate(words)),
                                 phase_width=m.phase_width, last_phase=m.last_phase)
        term_params += (f"\n                localparam integer WI = BASE[s * 32 +: 32] + k < {max(1, sum(lanes))} ? "
                        f"BASE[s * 32 +: 32] + k : 0;  // (past the slot's lanes: unused)\n"
                        f"                wire [{ww}-1:0] wb = wq[WI * {ww} +: {ww}];")
    weights_param = "" if bram else f"    localparam [{ws * weights.size}-1:0] WEIGHTS = {hex_literal(weights, ws)};\n"
    fields = dict(
        weight_rom=weight_rom, weights_param=weights_param,
        count=m.count, slots=slots, rf=rf, module=m.module, xw=xw, n_in=n_in, aw=aw, phase_width=m.phase_width,
        n_in1=n_in + 1, k=k, xa=cluster_sum_width(xw, width), i_bits=is_ * index.size,
        inputs=hex_literal(index, is_), b_bits=bs * bias.size, biases=hex_literal(bias, bs), k1=max(k, 1),
        starts=f"{starts:x}", bias_arms=bias_arms, phase_arms=phase_arms, term_params=term_params, bias_params=bias_params, ww=ww, chain_sum=chain_sum if k else "c",
        stores=stores, last_phase=m.last_phase, lane_counts=lane_counts, idle=idle,
    )
    return _MODULE.format(**fields)
