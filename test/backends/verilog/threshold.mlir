// RUN: nncc-opt %s -p 'binary-complex-set-or-pools,dataflow-tile,hls-prepare-for-emission{top=bin},dataflow-plan' -t verilog | filecheck %s

// binary_complex.threshold: per-channel constants (a function of the channel i * 2 / 8 of
// element i) and one comparison per element, +1 / -1 out; the max pool of its +-1 values
// (marked by binary-complex-set-or-pools) is an OR of the sign bits, no comparator.
func.func @main(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!fixed.q<5, 5>>
  %t = binary_complex.threshold %q {directions = array<i64: 1, -1>, nncc.layer = "thr", thresholds = array<i64: 3, -2>} : (tensor<1x2x2x2x!fixed.q<5, 5>>) -> tensor<1x2x2x2x!fixed.q<2, 2>>
  %p = nn.max_pool %t {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, nncc.layer = "pool", pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x2x2x!fixed.q<2, 2>> -> tensor<1x2x1x1x!fixed.q<2, 2>>
  %y = fixed.dequantize %p : tensor<1x2x1x1x!fixed.q<2, 2>> -> tensor<1x2x1x1xf32>
  func.return %y : tensor<1x2x1x1xf32>
}

// CHECK:       module bin__l1_thr (
// CHECK-NEXT:      input  wire [5*8-1:0] x0,
// CHECK-NEXT:      output wire [2*8-1:0] y
// CHECK-NEXT:  );
// CHECK:               0: thr = $signed(64'h3);
// CHECK-NEXT:          1: thr = $signed(64'hfffffffffffffffe);
// CHECK:               0: down = 1'b0;
// CHECK-NEXT:          1: down = 1'b1;
// CHECK:           for (i = 0; i < 8; i = i + 1) begin : e
// CHECK-NEXT:          wire signed [63:0] v = $signed(x0[i*5 +: 5]);
// CHECK-NEXT:          wire signed [63:0] t = thr(i * 2 / 8);
// CHECK-NEXT:          wire up = down(i * 2 / 8) ? (v <= t) : (v >= t);
// CHECK-NEXT:          assign y[i*2 +: 2] = up ? 2'h1 : 2'h3;

// CHECK:       module bin__l2_pool (
// CHECK:           // max of +-1 values: +1 iff one of them is +1 (the OR of their bits, sign bit clear)
// CHECK-NEXT:      assign y[0*2 +: 2] = (|{ ~x0[0*2 + 2 - 1], ~x0[1*2 + 2 - 1], ~x0[2*2 + 2 - 1], ~x0[3*2 + 2 - 1] }) ? 2'h1 : 2'h3;
// CHECK-NEXT:      assign y[1*2 +: 2] = (|{ ~x0[4*2 + 2 - 1], ~x0[5*2 + 2 - 1], ~x0[6*2 + 2 - 1], ~x0[7*2 + 2 - 1] }) ? 2'h1 : 2'h3;
// CHECK-NEXT:  endmodule
