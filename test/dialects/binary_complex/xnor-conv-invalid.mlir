// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of binary_complex.xnor_conv, one broken op per chunk.

// A weight of 2 is not +-1.
func.func @weight_not_binary(%x: tensor<1x1x2x2x!fixed.q<2, 2>>) -> tensor<1x1x1x1x!fixed.q<7, 7>> {
  %w = fixed.constant dense<[[[[1, 2], [-1, 1]]]]> : tensor<1x1x2x2xi8> -> tensor<1x1x2x2x!fixed.q<3, 3>>
  // CHECK: Operation does not verify: binary_complex.xnor_conv: raw weight 2 is not +-1, the binary encoding's magnitude
  %y = binary_complex.xnor_conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2x!fixed.q<2, 2>>, tensor<1x1x2x2x!fixed.q<3, 3>>) -> tensor<1x1x1x1x!fixed.q<7, 7>>
  func.return %y : tensor<1x1x1x1x!fixed.q<7, 7>>
}

// -----

// Group 2 is not an XNOR layer's.
func.func @grouped(%x: tensor<1x2x2x2x!fixed.q<2, 2>>) -> tensor<1x2x1x1x!fixed.q<6, 6>> {
  %w = fixed.constant dense<1> : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!fixed.q<2, 2>>
  // CHECK: Operation does not verify: binary_complex.xnor_conv: group must be 1, got 2
  %y = binary_complex.xnor_conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x2x2x!fixed.q<2, 2>>, tensor<2x1x2x2x!fixed.q<2, 2>>) -> tensor<1x2x1x1x!fixed.q<6, 6>>
  func.return %y : tensor<1x2x1x1x!fixed.q<6, 6>>
}

// -----

// A raw +-1 that means +-0.5 (fraction 1): the popcount is not the products' sum.
func.func @fractional_products(%x: tensor<1x1x2x2x!fixed.q<2, 1>>) -> tensor<1x1x1x1x!fixed.q<6, 5>> {
  %w = fixed.constant dense<1> : tensor<1x1x2x2xi8> -> tensor<1x1x2x2x!fixed.q<2, 2>>
  // CHECK: Operation does not verify: binary_complex.xnor_conv: products must be integers, input fraction 1 plus weight fraction 0 is not 0
  %y = binary_complex.xnor_conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2x!fixed.q<2, 1>>, tensor<1x1x2x2x!fixed.q<2, 2>>) -> tensor<1x1x1x1x!fixed.q<6, 5>>
  func.return %y : tensor<1x1x1x1x!fixed.q<6, 5>>
}

// -----

// K = 4 on q<2, 2> operands: the accumulator is q<6, 6>, not q<8, 8>.
func.func @wrong_accumulator(%x: tensor<1x1x2x2x!fixed.q<2, 2>>) -> tensor<1x1x1x1x!fixed.q<8, 8>> {
  %w = fixed.constant dense<1> : tensor<1x1x2x2xi8> -> tensor<1x1x2x2x!fixed.q<2, 2>>
  // CHECK: Operation does not verify: binary_complex.xnor_conv: accumulator type
  %y = binary_complex.xnor_conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2x!fixed.q<2, 2>>, tensor<1x1x2x2x!fixed.q<2, 2>>) -> tensor<1x1x1x1x!fixed.q<8, 8>>
  func.return %y : tensor<1x1x1x1x!fixed.q<8, 8>>
}
