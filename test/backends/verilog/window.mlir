// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission,dataflow-plan' -t verilog | filecheck %s
// RUN: nncc-opt %s -p 'pot-quant-replace-mul-with-shift{all_layers=true},dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan' -t verilog | filecheck %s --check-prefix=SHIFT
// RUN: nncc-opt %s -p 'pot-quant-replace-mul-with-shift{all_layers=true},dataflow-tile,hls-prepare-for-emission,dataflow-plan' -t verilog | filecheck %s --check-prefix=TREE

// A 1-channel 4x4 convolution, 3x3 kernel, pads 1, 2 output channels: a sliding-window
// engine. The padded input is 6x6; the line buffer holds 2 rows of 6 plus 3 pixels; the
// window's tap (kh, kw) is the pixel fed (2 - kh) * 6 + (2 - kw) cycles ago.
// CHECK:       // sliding-window convolution engine: 1 x 4 x 4 input streamed one pixel per cycle
// CHECK-NEXT:  // through a line buffer of 15 pixels; per output pixel 2 channels, 2 per cycle over 1 cycle(s)
// CHECK:       wire pad = row < 1 || row >= 5 || col < 1 || col >= 5;
// CHECK:       wire anchor = row >= 2 && col >= 2 && row <= 5 && col <= 5;
// CHECK:       wire last = row == 5 && col == 5;
// CHECK:       assign xs[0 +: 8] = lb[112 +: 8];
// CHECK:       assign xs[64 +: 8] = lb[0 +: 8];
// CHECK:       wire signed [20-1:0] u0_0 = c0 + a0_0 * b0_0 + a0_1 * b0_1
// CHECK-NEXT:  wire signed [20-1:0] r0 = u0_0;
// CHECK:       y[0 +: {{[0-9]+}}] <= {r0, y[{{[0-9]+}} +: {{[0-9]+}}]};
// CHECK:       lb <= {lb[112-1:0], pixel};

// With every weight recoded in canonical signed digits: shifts and adds, no multiplier;
// at RF 2 one channel per cycle, its operands and shift amounts muxed by phase.
// SHIFT:       // sliding-window convolution engine: 1 x 4 x 4 input streamed one pixel per cycle
// SHIFT-NEXT:  // through a line buffer of 15 pixels; per output pixel 2 channels, 1 per cycle over 2 cycle(s), shifts and adds only
// SHIFT-NOT:   {{[^(]\*[^)]}}
// SHIFT:       wire signed [20-1:0] v0_0 = a0_0 <<< h0_0;
// SHIFT:       wire signed [10-1:0] t0_0 = v0_0 + v0_1;
// SHIFT:       wire signed [20-1:0] r0 = c0 + t0_12;
// SHIFT-NOT:   {{[^(]\*[^)]}}
// SHIFT:       endmodule

// At RF 1 each channel's terms meet in a balanced adder tree, every node as wide as its exact
// value range (8-bit inputs: p0 + 2 p1 needs 10 bits), only the result at the accumulator's 20.
// TREE-NOT:    {{[^(]\*[^)]}}
// TREE:        // slot 0
// TREE:        (* keep *) wire signed [10-1:0] t0_0 = p0 + (p1 <<< 1);
// TREE-NEXT:   wire signed [11-1:0] t0_1 = - p2 + (p2 <<< 2);
// TREE:        wire signed [11-1:0] t0_7 = t0_0 + t0_1;
// TREE:        wire signed [14-1:0] t0_12 = t0_10 + t0_11;
// TREE-NEXT:   wire signed [20-1:0] r0 = $signed(20'h0) + t0_12;
// TREE-NOT:    {{[^(]\*[^)]}}
// TREE:        endmodule
func.func @main(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!fixed.q<8, 1>>
  %c = fixed.conv %q, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x3x3x!fixed.q<8, 1>>) -> tensor<1x2x4x4x!fixed.q<20, 8>>
  %d = fixed.dequantize %c : tensor<1x2x4x4x!fixed.q<20, 8>> -> tensor<1x2x4x4xf32>
  func.return %d : tensor<1x2x4x4xf32>
}
