// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission{top=sel},dataflow-plan' -t verilog | filecheck %s

// nn.gather on fixed point is wiring; -1 selects a zero.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 4>>
  %g = nn.gather %q {indices = array<i64: 3, -1, 0>, nncc.layer = "pick"} : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x3x!fixed.q<8, 4>>
  %y = fixed.dequantize %g : tensor<1x3x!fixed.q<8, 4>> -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}


// CHECK:       module sel__l1_pick (
// CHECK-NEXT:      input  wire [8*4-1:0] x0,
// CHECK-NEXT:      output wire [8*3-1:0] y
// CHECK-NEXT:  );
// CHECK-NEXT:      assign y[0*8 +: 8] = x0[3*8 +: 8];
// CHECK-NEXT:      assign y[1*8 +: 8] = 8'h0;
// CHECK-NEXT:      assign y[2*8 +: 8] = x0[0*8 +: 8];
// CHECK-NEXT:  endmodule
