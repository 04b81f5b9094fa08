// RUN: nncc-opt %s -p dataflow-tile,hls-prepare-for-emission -t hls-cpp | filecheck %s

// The HLS pragmas come from the dataflow plan: the top function's II is the schedule's
// (the slowest PE's reuse factor), and a PE with reuse factor R > 1 gets its multiplier
// budget N * K / R as the ALLOCATION limit and its weights reshaped by that factor.
// fc1: N = 4 outputs, K = 2 terms, R = 4 (from its attribute) -> 2 multipliers;
// fc2: R = 1 (fully parallel): no budget.
// CHECK-LABEL: // ----- nncc_top.cpp
// CHECK:       void nncc_top(
// CHECK:         NNCC_HLS(HLS PIPELINE II=4)
// CHECK:         // dense -> l1_fc1
// CHECK-NEXT:    {
// CHECK-NEXT:    // processing element: reuse factor 4, latency 4 cycles
// CHECK-NEXT:    NNCC_HLS(HLS ALLOCATION operation instances=mul limit=2)
// CHECK-NEXT:    NNCC_HLS(HLS ARRAY_RESHAPE variable=w2_fc1_raw block factor=2)
// CHECK:         // dense -> l4_fc2
// CHECK-NEXT:    {
// CHECK-NEXT:    // processing element: reuse factor 1, latency 1 cycles
// CHECK-NOT:     ALLOCATION
// CHECK:       #ifndef __SYNTHESIS__
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<16, 4>>
  %w = fixed.constant dense<[[16384, -24576], [8192, 0], [1, 2], [3, 4]]> : tensor<4x2xi16> -> tensor<4x2x!fixed.q<16, 1>> loc("fc1")
  %h = fixed.dense %q, %w {dataflow.reuse_factor = 4 : i64} : (tensor<1x2x!fixed.q<16, 4>>, tensor<4x2x!fixed.q<16, 1>>) -> tensor<1x4x!fixed.q<33, 6>> loc("fc1")
  %c = fixed.cast %h {nncc.layer = "fc1", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<33, 6>> -> tensor<1x4x!fixed.q<16, 6>>
  %v = fixed.constant dense<[[1, 2, 3, 4], [5, 6, 7, 8]]> : tensor<2x4xi16> -> tensor<2x4x!fixed.q<16, 1>> loc("fc2")
  %y = fixed.dense %c, %v : (tensor<1x4x!fixed.q<16, 6>>, tensor<2x4x!fixed.q<16, 1>>) -> tensor<1x2x!fixed.q<34, 9>> loc("fc2")
  %o = fixed.dequantize %y : tensor<1x2x!fixed.q<34, 9>> -> tensor<1x2xf32>
  func.return %o : tensor<1x2xf32>
}
