// RUN: nncc-opt %s --split-input-file -p binary-complex-replace-dense-with-xnor | filecheck %s

// A sign (the two-entry table convert-nn-to-fixed makes of nn.sign / BipolarQuant) feeds a
// dense layer with +-1 weights: it becomes xnor_dense (2 * popcount - 4, q<4, 4>), the
// original bias added exactly (q<8, 5>) and a widening cast back to the original
// accumulator type, so the function's result is unchanged. The layer name moves to the
// xnor_dense; the encoding (a property of fixed.dense) goes with the old op.
// CHECK-LABEL:  func.func @bias
// CHECK-NEXT:   %[[S:.*]] = fixed.lut %x
// CHECK-NEXT:   %[[W:.*]] = fixed.constant dense<{{\[\[}}1, -1, 1, 1], [-1, -1, 1, -1]]>
// CHECK-NEXT:   %[[B:.*]] = fixed.constant dense<[3, -5]>
// CHECK-NEXT:   %[[P:.*]] = binary_complex.xnor_dense %[[S]], %[[W]] {nncc.layer = "fc"} : (tensor<1x4x!fixed.q<2, 2>>, tensor<2x4x!fixed.q<2, 2>>) -> tensor<1x2x!fixed.q<4, 4>>
// CHECK-NEXT:   %[[A:.*]] = fixed.add %[[P]], %[[B]] : (tensor<1x2x!fixed.q<4, 4>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x!fixed.q<8, 5>>
// CHECK-NEXT:   %[[C:.*]] = fixed.cast %[[A]] {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x2x!fixed.q<8, 5>> -> tensor<1x2x!fixed.q<10, 7>>
// CHECK-NEXT:   func.return %[[C]] : tensor<1x2x!fixed.q<10, 7>>
func.func @bias(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<10, 7>> {
  %s = fixed.lut %x {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<2, 2>>
  %w = fixed.constant dense<[[1, -1, 1, 1], [-1, -1, 1, -1]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<2, 2>>
  %b = fixed.constant dense<[3, -5]> : tensor<2xi8> -> tensor<2x!fixed.q<6, 3>>
  %y = fixed.dense %s, %w, %b {nncc.layer = "fc", encoding = #encoding.binary<shift = 0>} : (tensor<1x4x!fixed.q<2, 2>>, tensor<2x4x!fixed.q<2, 2>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x!fixed.q<10, 7>> loc("fc")
  func.return %y : tensor<1x2x!fixed.q<10, 7>>
}

// -----

// No bias: the popcount result q<4, 4> is widened to the dense's q<6, 6>. The +-1 input
// comes from a per-channel threshold through a flatten (a move with no fill).
// CHECK-LABEL:  func.func @threshold_flatten
// CHECK-NEXT:   %[[T:.*]] = binary_complex.threshold %x
// CHECK-NEXT:   %[[F:.*]] = nn.flatten %[[T]]
// CHECK-NEXT:   %[[W:.*]] = fixed.constant
// CHECK-NEXT:   %[[P:.*]] = binary_complex.xnor_dense %[[F]], %[[W]] : (tensor<1x4x!fixed.q<2, 2>>, tensor<3x4x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<4, 4>>
// CHECK-NEXT:   %[[C:.*]] = fixed.cast %[[P]] {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x3x!fixed.q<4, 4>> -> tensor<1x3x!fixed.q<6, 6>>
// CHECK-NEXT:   func.return %[[C]]
func.func @threshold_flatten(%x: tensor<1x2x2x!fixed.q<5, 5>>) -> tensor<1x3x!fixed.q<6, 6>> {
  %t = binary_complex.threshold %x {directions = array<i64: 1, -1>, thresholds = array<i64: 3, -2>} : (tensor<1x2x2x!fixed.q<5, 5>>) -> tensor<1x2x2x!fixed.q<2, 2>>
  %f = nn.flatten %t {axis = 1 : i64} : tensor<1x2x2x!fixed.q<2, 2>> -> tensor<1x4x!fixed.q<2, 2>>
  %w = fixed.constant dense<[[1, 1, 1, 1], [-1, 1, -1, 1], [-1, -1, -1, -1]]> : tensor<3x4xi8> -> tensor<3x4x!fixed.q<2, 2>>
  %y = fixed.dense %f, %w : (tensor<1x4x!fixed.q<2, 2>>, tensor<3x4x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<6, 6>>
  func.return %y : tensor<1x3x!fixed.q<6, 6>>
}

// -----

// Left alone: an input that is not provably +-1 (a function argument, a table with a 0
// entry), a weight that is not +-1, and a sign whose raw +-1 means +-0.5 (the products'
// fraction is 1: the popcount is not the accumulator's value).
// CHECK-LABEL:  func.func @kept
// CHECK-NOT:    binary_complex.xnor_dense
// CHECK:        func.return
func.func @kept(%x: tensor<1x4x!fixed.q<2, 2>>, %z: tensor<1x4x!fixed.q<8, 3>>) -> (tensor<1x2x!fixed.q<6, 6>>, tensor<1x2x!fixed.q<6, 6>>, tensor<1x2x!fixed.q<7, 7>>, tensor<1x2x!fixed.q<6, 5>>) {
  %w = fixed.constant dense<[[1, -1, 1, 1], [-1, -1, 1, -1]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<2, 2>>
  %a = fixed.dense %x, %w : (tensor<1x4x!fixed.q<2, 2>>, tensor<2x4x!fixed.q<2, 2>>) -> tensor<1x2x!fixed.q<6, 6>>
  %l = fixed.lut %z {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[0, 1]> : tensor<2xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<2, 2>>
  %b = fixed.dense %l, %w : (tensor<1x4x!fixed.q<2, 2>>, tensor<2x4x!fixed.q<2, 2>>) -> tensor<1x2x!fixed.q<6, 6>>
  %s = fixed.lut %z {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<2, 2>>
  %v = fixed.constant dense<[[1, -1, 1, 1], [-1, -1, 1, 2]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<3, 3>>
  %c = fixed.dense %s, %v : (tensor<1x4x!fixed.q<2, 2>>, tensor<2x4x!fixed.q<3, 3>>) -> tensor<1x2x!fixed.q<7, 7>>
  %h = fixed.lut %z {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<2, 1>>
  %d = fixed.dense %h, %w : (tensor<1x4x!fixed.q<2, 1>>, tensor<2x4x!fixed.q<2, 2>>) -> tensor<1x2x!fixed.q<6, 5>>
  func.return %a, %b, %c, %d : tensor<1x2x!fixed.q<6, 6>>, tensor<1x2x!fixed.q<6, 6>>, tensor<1x2x!fixed.q<7, 7>>, tensor<1x2x!fixed.q<6, 5>>
}
