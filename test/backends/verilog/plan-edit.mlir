// RUN: nncc-opt %s -t verilog | filecheck %s
// RUN: sed -e 's/slot_map = \[2, 3, 0, 1\]/slot_map = [0, 1, 2, 3]/' -e 's/chains = \[0, 1, 2\]/chains = [0, 2]/' %s | nncc-opt -t verilog | filecheck %s --check-prefix=PASS
// RUN: sed -e 's/slot_map = \[2, 3, 0, 1\]/slot_map = [2, 2, 0, 1]/' %s | not nncc-opt -t verilog 2>&1 | filecheck %s --check-prefix=BAD

// The Verilog back end prints the plan: this module is the output of
// `dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan` on pe.mlir with two
// plan attributes edited by hand: the slot map (phase 0 computes outputs 2 and 3, phase 1
// outputs 0 and 1; `dataflow-plan` wrote [0, 1, 2, 3]) and the product chains (one product per
// chain; the pass wrote one chain [0, 2]). The second RUN line undoes the edits and gets the
// pass's plan back; the third gives a slot map that misses output 3, which the printer refuses.

// Slot 0 now computes output 2 (weights 5, 6) in phase 0 and output 0 (1, 2) in phase 1;
// every term starts a chain (CHAIN_START 2'h3) and the slot adds the two chains.
// CHECK:       localparam [64-1:0] WEIGHTS = 64'h0408030702060105;
// CHECK:       localparam [2-1:0] CHAIN_START = 2'h3;
// CHECK:       assign sum = 17'sd0 + a * b;
// CHECK:       assign r[s * 17 +: 17] = term[0].sum + term[1].sum;
// CHECK:       if (in_valid || busy) begin
// CHECK-NEXT:      case (ph)
// CHECK-NEXT:      0: begin
// CHECK-NEXT:      y[2*17 +: 17] <= r[0 * 17 +: 17];
// CHECK-NEXT:      y[3*17 +: 17] <= r[1 * 17 +: 17];
// CHECK:       1: begin
// CHECK-NEXT:      y[0*17 +: 17] <= r[0 * 17 +: 17];
// CHECK-NEXT:      y[1*17 +: 17] <= r[1 * 17 +: 17];

// PASS:        localparam [64-1:0] WEIGHTS = 64'h0804070306020501;
// PASS:        localparam [2-1:0] CHAIN_START = 2'h1;
// PASS:        assign r[s * 17 +: 17] = term[1].sum;
// PASS:        if (in_valid || busy) begin
// PASS-NEXT:       case (ph)
// PASS-NEXT:       0: begin
// PASS-NEXT:       y[0*17 +: 17] <= r[0 * 17 +: 17];
// PASS-NEXT:       y[1*17 +: 17] <= r[1 * 17 +: 17];

// BAD:         the slot map must name each of the 4 outputs once

builtin.module attributes {dataflow.schedule = {ii = 2 : i64, latency = 3 : i64}, emit.options = #emit.options<top = "nncc_top", part = "xcu250-figd2104-2L-e", clock_ns = 5.0, io = parallel>} {
  func.func @main(%x: tensor<1x2xf32>) -> tensor<1x4xf32> attributes {dataflow.handshakes = [#dataflow.handshake<producers = ["in"], consumers = ["l1_pe"]>, #dataflow.handshake<producers = ["l1_pe"], consumers = ["out"]>]} {
    %q = fixed.quantize %x {emit.name = "l0_quantize", emit.unroll, dataflow.valid_at = 0 : i64, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<8, 3>>
    %d = dataflow.pe %q attributes {emit.name = "l1_pe", emit.unroll, dataflow.valid_at = 2 : i64, dataflow.plan = #dataflow.pe_plan<reuse = 2, slots = 2, acc_width = 17, stages = 1, slot_map = [2, 3, 0, 1], chains = [0, 1, 2], tree = [], roots = []>, latency = 2 : i64, multipliers = 4 : i64, reuse_factor = 2 : i64} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
    ^bb0(%0: tensor<1x2x!fixed.q<8, 3>>):
      %w = fixed.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8> {emit.name = "w2_constant"} -> tensor<4x2x!fixed.q<8, 1>>
      %d_1 = fixed.dense %0, %w {emit.name = "l1_pe"} : (tensor<1x2x!fixed.q<8, 3>>, tensor<4x2x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<17, 5>>
      dataflow.yield %d_1 : tensor<1x4x!fixed.q<17, 5>>
    }
    %c = fixed.cast %d {emit.name = "l3_cast", emit.unroll, dataflow.valid_at = 2 : i64, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<17, 5>> -> tensor<1x4x!fixed.q<8, 4>>
    %y = fixed.dequantize %c {emit.name = "l4_dequantize", emit.unroll, dataflow.valid_at = 2 : i64} : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x4xf32>
    func.return %y : tensor<1x4xf32>
  }
}

