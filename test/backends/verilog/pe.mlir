// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan' -t verilog | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission{top=net},dataflow-plan' -t verilog | filecheck %s --check-prefix=RF1

// A 4-output dense layer at reuse factor 2: two slots, each muxing its operands by phase
// (weights and input elements in localparams, generate loops over slots and terms);
// the top accepts a sample every 2 cycles and the schedule says latency 3.
// CHECK:       a new sample every 2 cycle(s), latency 3 cycles.
// CHECK:       // processing element: 4 outputs, 2 per cycle over 2 cycle(s)
// CHECK-NEXT:  module nncc_top__l1_pe (
// CHECK:       wire [1-1:0] ph = in_valid ? 1'd0 : phase;
// Per (slot, term, phase): the weight and the input element; slot 0 computes outputs 0
// (weights 1, 2) and 2 (weights 5, 6), slot 1 outputs 1 (3, 4) and 3 (7, 8).
// CHECK:       localparam [64-1:0] WEIGHTS = 64'h0804070306020501;
// CHECK-NEXT:  localparam [32-1:0] INPUTS = 32'h11001100;
// CHECK:       localparam [17-1:0] B0 = BIASES[(s * 2 + 0) * 20 +: 17];
// CHECK:       0: c = B0;
// CHECK:       localparam [8-1:0] W0 = WEIGHTS[((s * 2 + k) * 2 + 0) * 8 +: 8];
// CHECK-NEXT:  localparam [4-1:0] I0 = INPUTS[((s * 2 + k) * 2 + 0) * 4 +: 4];
// CHECK-NEXT:  wire [8-1:0] v0 = xz[I0 * 8 +: 8];
// CHECK:       0: begin a = v0; b = W0; end
// CHECK-NEXT:  1: begin a = v1; b = W1; end
// CHECK:       assign sum = c + a * b;
// CHECK:       assign sum = term[k - 1].sum + a * b;
// CHECK:       assign r[s * 17 +: 17] = term[1].sum;
// CHECK:       if (in_valid || busy) begin
// CHECK-NEXT:      case (ph)
// CHECK-NEXT:      0: begin
// CHECK-NEXT:      y[0*17 +: 17] <= r[0 * 17 +: 17];
// CHECK-NEXT:      y[1*17 +: 17] <= r[1 * 17 +: 17];
// CHECK:       1: begin
// CHECK-NEXT:      y[2*17 +: 17] <= r[0 * 17 +: 17];
// CHECK-NEXT:      y[3*17 +: 17] <= r[1 * 17 +: 17];
// CHECK:       module nncc_top__l3_cast (
// CHECK:       nncc_cast #(.WI(17), .FI(12), .WO(8), .FO(4), .RND(1), .SAT(1))
// CHECK:       module nncc_top (
// CHECK:       wire fire0 = in_valid && in_ok && l1_pe_rdy;
// CHECK-NEXT:  wire fire1 = l1_pe_v && out_free;
// CHECK-NEXT:  assign in_ready = in_ok && l1_pe_rdy;
// CHECK:       else if (fire0) gap <= 2 - 1;
// CHECK:       nncc_top__l1_pe u_l1_pe (.clk(clk), .rst(rst), .in_valid(fire0), .in_ready(l1_pe_rdy), .x0(l0_quantize), .out_valid(l1_pe_v), .out_ready(fire1), .y(l1_pe));
// CHECK:       else if (fire1) begin

// RF1:         // processing element: 4 outputs, 4 per cycle over 1 cycle(s)
// RF1:         module net (
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8> -> tensor<4x2x!fixed.q<8, 1>>
  %d = fixed.dense %q, %w : (tensor<1x2x!fixed.q<8, 3>>, tensor<4x2x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<17, 5>> loc("pe")
  %c = fixed.cast %d {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<17, 5>> -> tensor<1x4x!fixed.q<8, 4>>
  %y = fixed.dequantize %c : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
