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
    wire [{xw}*{n_in1}-1:0] xz = {{{xw}'d0, xs}};  // element {n_in} reads zero (padding)
    // per (slot s, term k, phase p) at (s * {k} + k) * {rf} + p: the weight and the input element;
    // per (slot, phase) at s * {rf} + p: the bias (aligned to the accumulator)
    localparam [{w_bits}-1:0] WEIGHTS = {weights};
    localparam [{i_bits}-1:0] INPUTS = {inputs};
    localparam [{b_bits}-1:0] BIASES = {biases};
    // the planned product chains: terms starting one (bit k of CHAIN_START)
    localparam [{k1}-1:0] CHAIN_START = {k1}'h{starts};
{lane_counts}    wire [{aw}*{slots}-1:0] r;
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

def hex_literal(values: np.ndarray, stride: int) -> str:
    """A sized hexadecimal literal of `values` (element 0 in the least significant bits), each
    element two's complement in `stride` bits (a multiple of 4, at most 64)."""
    values = np.asarray(values, np.int64).reshape(-1)
    if values.size == 0:
        return f"{stride}'h0"
    digits = stride // 4
    text = np.frombuffer(values[::-1].astype(">i8").tobytes().hex().encode(), np.uint8).reshape(-1, 16)
    return f"{stride * values.size}'h" + text[:, 16 - digits:].tobytes().decode()


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


def _term_params(k: int, rf: int, ww: int, ws: int, xw: int, is_: int, width: int) -> str:
    """Per phase the lane's weight and operand: one input element, or with cluster lanes
    (``width`` M > 1 elements per cell) the sum of its M elements, sign-extended."""
    text = []
    for p in range(rf):
        text.append(f"                localparam [{ww}-1:0] W{p} = WEIGHTS[((s * {k} + k) * {rf} + {p}) * {ws} +: {ww}];")
        if width == 1:
            text.append(f"                localparam [{is_}-1:0] I{p} = INPUTS[((s * {k} + k) * {rf} + {p}) * {is_} +: {is_}];\n"
                        f"                wire [{xw}-1:0] v{p} = xz[I{p} * {xw} +: {xw}];")
            continue
        for j in range(width):
            text.append(f"                localparam [{is_}-1:0] I{p}_{j} = INPUTS[(((s * {k} + k) * {rf} + {p}) * {width} + {j}) * {is_} +: {is_}];\n"
                        f"                wire signed [{xw}-1:0] e{p}_{j} = xz[I{p}_{j} * {xw} +: {xw}];")
        text.append(f"                wire signed [{xw + (width - 1).bit_length()}-1:0] v{p} = "
                    + " + ".join(f"e{p}_{j}" for j in range(width)) + ";  // the cluster's inputs, added first")
    return "\n".join(text)


def print_mult_pe(m, plan: PePlanAttr, mac, slot_map: np.ndarray, chains: list[int], taps=None, members=None) -> str:
    """The module text of a multiplier PE (`m` its ModuleView without slots); a sparse PE's
    ``taps`` (per slot [lanes, R], `sparse_plan.slot_taps`) give each slot its own lane count;
    a codebook PE's cluster ``members`` (per slot [lanes, R, M]) make each lane's operand a sum."""
    rf, slots = plan.reuse.data, plan.slots.data
    n_in = m.inputs[0][2]
    weights, index, bias = _operands(plan, mac, slot_map, n_in, taps, members)
    k = int(weights.shape[1])
    width = int(index.shape[3]) if index.ndim == 4 else 1
    xw, ww, aw = m.x_width, m.w_width, m.acc_width
    ws, is_, bs = _stride(ww), _stride(int(n_in).bit_length() + 1), _stride(aw)
    starts = sum(1 << lo for lo in chains[:-1])
    ends = [hi - 1 for hi in chains[1:]]
    term_params = _term_params(k, rf, ww, ws, xw, is_, width)
    phase_arms = "\n".join(f"                        {p}: begin a = v{p}; b = W{p}; end" for p in range(rf))
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
    fields = dict(
        count=m.count, slots=slots, rf=rf, module=m.module, xw=xw, n_in=n_in, aw=aw, phase_width=m.phase_width,
        n_in1=n_in + 1, k=k, xa=xw + (width - 1).bit_length(), w_bits=ws * weights.size, weights=hex_literal(weights, ws), i_bits=is_ * index.size,
        inputs=hex_literal(index, is_), b_bits=bs * bias.size, biases=hex_literal(bias, bs), k1=max(k, 1),
        starts=f"{starts:x}", bias_arms=bias_arms, phase_arms=phase_arms, term_params=term_params, bias_params=bias_params, ww=ww, chain_sum=chain_sum if k else "c",
        stores=stores, last_phase=m.last_phase, lane_counts=lane_counts, idle=idle,
    )
    return _MODULE.format(**fields)
