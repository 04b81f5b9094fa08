// RUN: nncc-opt %s -p 'hls-prepare-for-emission{top=sel}' -t hls-cpp | filecheck %s

// nn.gather on fixed point is an index table; -1 selects a zero.
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 4>>
  %g = nn.gather %q {indices = array<i64: 3, -1, 0>, nncc.layer = "pick"} : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x3x!fixed.q<8, 4>>
  %y = fixed.dequantize %g : tensor<1x3x!fixed.q<8, 4>> -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}

// CHECK:       const int32_t l1_pick_index[3] = {
// CHECK-NEXT:  3, -1, 0
// CHECK:       void sel(
// CHECK:       const int q = l1_pick_index[i];
// CHECK-NEXT:  if (q < 0) {
// CHECK-NEXT:    l1_pick[i] = nncc::from_raw<t_l1_pick>(0LL);
// CHECK-NEXT:  } else {
// CHECK-NEXT:    l1_pick[i] = l0_x[q];
