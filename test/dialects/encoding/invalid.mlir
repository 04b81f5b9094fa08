// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier and parser messages of the weight encodings on fixed.dense / fixed.conv, one
// broken op per chunk.

// 11 = 2^4 - 2^2 - 2^0 needs three canonical signed digits.
func.func @dense_too_many_digits(%x: tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<18, 6>> {
  %w = fixed.constant dense<[[4, -3, 11]]> : tensor<1x3xi8> -> tensor<1x3x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: raw weight 11 has 3 non-zero signed digits, the encoding allows 2
  %y = fixed.dense %x, %w {encoding = #encoding.signed_digits<max_digits = 2>} : (tensor<1x3x!fixed.q<8, 3>>, tensor<1x3x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
  func.return %y : tensor<1x1x!fixed.q<18, 6>>
}

// -----

// Power-of-two weights only: -3 = 2^0 - 2^2 has two digits.
func.func @conv_not_power_of_two(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x3x3x!fixed.q<16, 7>> {
  %w = fixed.constant dense<[[[[8, -4], [-3, 0]]]]> : tensor<1x1x2x2xi8> -> tensor<1x1x2x2x!fixed.q<6, 2>>
  // CHECK: Operation does not verify: fixed.conv: raw weight -3 has 2 non-zero signed digits, the encoding allows 1
  %y = fixed.conv %x, %w {dilations = array<i64: 1, 1>, encoding = #encoding.signed_digits<max_digits = 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<1x1x2x2x!fixed.q<6, 2>>) -> tensor<1x1x3x3x!fixed.q<16, 7>>
  func.return %y : tensor<1x1x3x3x!fixed.q<16, 7>>
}

// -----

// Signed digits are read from the weights: run-time weights cannot have them.
func.func @dense_runtime_weights(%x: tensor<1x2x!fixed.q<8, 3>>, %w: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>> {
  // CHECK: Operation does not verify: fixed.dense: signed-digit weights must be a constant
  %y = fixed.dense %x, %w {encoding = #encoding.signed_digits<max_digits = 2>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}

// -----

// The encoding property holds weight encodings only.
func.func @not_an_encoding(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<17, 5>> {
  %w = fixed.constant dense<[[1, 2]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 1>>
  // CHECK: WeightEncodingAttr
  %y = fixed.dense %x, %w {encoding = 2 : i64} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}
