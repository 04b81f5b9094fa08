// RUN: nncc-opt %s --split-input-file -p binary-complex-replace-conv-with-xnor | filecheck %s

// A sign (the two-entry table convert-nn-to-fixed makes of nn.sign / BipolarQuant) feeds a
// zero-padded 3x3 convolution with +-1 weights and a bias: it becomes xnor_conv with the same
// operands, properties and result type (the padding is counted out, so the values are the
// convolution's); the layer name stays, the encoding (a fixed.conv property) goes.
// CHECK-LABEL:  func.func @padded
// CHECK-NEXT:   %[[S:.*]] = fixed.lut %x
// CHECK-NEXT:   %[[W:.*]] = fixed.constant
// CHECK-NEXT:   %[[B:.*]] = fixed.constant dense<[3, -5]>
// CHECK-NEXT:   %[[Y:.*]] = binary_complex.xnor_conv %[[S]], %[[W]], %[[B]] {nncc.layer = "conv", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x3x3x!fixed.q<12, 9>>
// CHECK-NEXT:   func.return %[[Y]]
func.func @padded(%x: tensor<1x2x3x3x!fixed.q<8, 3>>) -> tensor<1x2x3x3x!fixed.q<12, 9>> {
  %s = fixed.lut %x {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x2x3x3x!fixed.q<8, 3>> -> tensor<1x2x3x3x!fixed.q<2, 2>>
  %w = fixed.constant dense<[[[[1, -1, 1], [1, 1, -1], [-1, -1, 1]], [[1, 1, 1], [-1, 1, -1], [1, -1, -1]]], [[[-1, -1, 1], [1, -1, 1], [1, 1, 1]], [[-1, 1, -1], [1, 1, 1], [-1, -1, 1]]]]> : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!fixed.q<2, 2>>
  %b = fixed.constant dense<[3, -5]> : tensor<2xi8> -> tensor<2x!fixed.q<6, 3>>
  %y = fixed.conv %s, %w, %b {nncc.layer = "conv", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, encoding = #encoding.binary<shift = 0>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x3x3x!fixed.q<12, 9>> loc("conv")
  func.return %y : tensor<1x2x3x3x!fixed.q<12, 9>>
}

// -----

// The +-1 input comes from a per-channel threshold; no bias, no padding, stride 2.
// CHECK-LABEL:  func.func @threshold_strided
// CHECK-NEXT:   %[[T:.*]] = binary_complex.threshold %x
// CHECK-NEXT:   %[[W:.*]] = fixed.constant
// CHECK-NEXT:   %[[Y:.*]] = binary_complex.xnor_conv %[[T]], %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>) -> tensor<1x2x2x2x!fixed.q<9, 9>>
// CHECK-NEXT:   func.return %[[Y]]
func.func @threshold_strided(%x: tensor<1x2x5x5x!fixed.q<5, 5>>) -> tensor<1x2x2x2x!fixed.q<9, 9>> {
  %t = binary_complex.threshold %x {directions = array<i64: 1, -1>, thresholds = array<i64: 3, -2>} : (tensor<1x2x5x5x!fixed.q<5, 5>>) -> tensor<1x2x5x5x!fixed.q<2, 2>>
  %w = fixed.constant dense<[[[[1, -1, 1], [1, 1, -1], [-1, -1, 1]], [[1, 1, 1], [-1, 1, -1], [1, -1, -1]]], [[[-1, -1, 1], [1, -1, 1], [1, 1, 1]], [[-1, 1, -1], [1, 1, 1], [-1, -1, 1]]]]> : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!fixed.q<2, 2>>
  %y = fixed.conv %t, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>) -> tensor<1x2x2x2x!fixed.q<9, 9>>
  func.return %y : tensor<1x2x2x2x!fixed.q<9, 9>>
}

// -----

// Left alone: an input that is not provably +-1 (a function argument: a first layer on
// pixels keeps its shift-and-add window engine), and a weight that is not +-1.
// CHECK-LABEL:  func.func @kept
// CHECK-NOT:    binary_complex.xnor_conv
// CHECK:        func.return
func.func @kept(%x: tensor<1x2x3x3x!fixed.q<2, 2>>, %z: tensor<1x2x3x3x!fixed.q<8, 3>>) -> (tensor<1x2x3x3x!fixed.q<9, 9>>, tensor<1x1x3x3x!fixed.q<10, 10>>) {
  %w = fixed.constant dense<[[[[1, -1, 1], [1, 1, -1], [-1, -1, 1]], [[1, 1, 1], [-1, 1, -1], [1, -1, -1]]], [[[-1, -1, 1], [1, -1, 1], [1, 1, 1]], [[-1, 1, -1], [1, 1, 1], [-1, -1, 1]]]]> : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!fixed.q<2, 2>>
  %a = fixed.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>) -> tensor<1x2x3x3x!fixed.q<9, 9>>
  %s = fixed.lut %z {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x2x3x3x!fixed.q<8, 3>> -> tensor<1x2x3x3x!fixed.q<2, 2>>
  %v = fixed.constant dense<2> : tensor<1x2x3x3xi8> -> tensor<1x2x3x3x!fixed.q<3, 3>>
  %c = fixed.conv %s, %v {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<1x2x3x3x!fixed.q<3, 3>>) -> tensor<1x1x3x3x!fixed.q<10, 10>>
  func.return %a, %c : tensor<1x2x3x3x!fixed.q<9, 9>>, tensor<1x1x3x3x!fixed.q<10, 10>>
}
