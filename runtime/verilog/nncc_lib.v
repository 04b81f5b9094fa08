// nncc_lib.v: hand-written Verilog support modules for nncc's generated designs.
// several modules per file, by design:
// verilator lint_off DECLFILENAME
// Fixed-point semantics as in nncc/dialects/fixed/semantics.py: raw two's-complement
// integers; rounding RND = half up, TRN = toward minus infinity; overflow SAT or WRAP.
`ifndef NNCC_LIB_V
`define NNCC_LIB_V

// Requantize one value: WI bits with FI fraction bits -> WO bits with FO fraction bits.
module nncc_cast #(
    parameter integer WI = 16, parameter integer FI = 8,
    parameter integer WO = 16, parameter integer FO = 8,
    parameter integer RND = 1, parameter integer SAT = 1
) (
    input  wire signed [WI-1:0] x,
    output wire signed [WO-1:0] y
);
    localparam integer S = FI - FO;                       // > 0: drop S fraction bits
    localparam integer WQ = (S > 0) ? WI + 1 : WI - S;    // width of the aligned value
    wire signed [WQ-1:0] q;
    generate
        if (S > 0) begin : drop
            localparam integer RB = (S - 1 < WI) ? S - 1 : WI - 1;  // the rounding bit
            wire signed [WI:0] xe = {x[WI-1], x};
            if (RND != 0) begin : rnd
                assign q = (xe >>> S) + $signed({{WI{1'b0}}, x[RB]});
            end else begin : trn
                assign q = xe >>> S;
            end
        end else if (S < 0) begin : keep
            wire signed [WQ-1:0] xe = {{(WQ - WI){x[WI-1]}}, x};
            assign q = xe <<< (-S);
        end else begin : same
            assign q = x;
        end
        if (WQ == WO) begin : equal
            assign y = q;
        end else if (WQ < WO) begin : widen
            assign y = {{(WO - WQ){q[WQ-1]}}, q};
        end else if (SAT != 0) begin : sat
            wire signed [WQ-1:0] hi = {{(WQ - WO + 1){1'b0}}, {(WO - 1){1'b1}}};
            wire signed [WQ-1:0] lo = {{(WQ - WO + 1){1'b1}}, {(WO - 1){1'b0}}};
            assign y = (q > hi) ? hi[WO-1:0] : (q < lo) ? lo[WO-1:0] : q[WO-1:0];
        end else begin : wrap
            assign y = q[WO-1:0];
        end
    endgenerate
endmodule

`endif
