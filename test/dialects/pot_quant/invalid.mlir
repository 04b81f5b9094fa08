// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the pot_quant dialect, one broken op per chunk.

func.func @sign_two() -> tensor<2x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: signs must be -1, 0 or +1
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[0]], [[-1]]]> : tensor<2x1x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<[[[2]], [[1]]]> : tensor<2x1x1xi8>, zero_code} : tensor<2x1xf32>
  func.return %w : tensor<2x1xf32>
}

// -----

// Scale 2^-1: exponent 0 is 2^1 relative to the scale.
func.func @exponent_above_scale() -> tensor<2x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: digit exponents relative to the scale span [-2, 1], outside [-6, 0]
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[0]], [[-3]]]> : tensor<2x1x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<[[[1]], [[-1]]]> : tensor<2x1x1xi8>, zero_code} : tensor<2x1xf32>
  func.return %w : tensor<2x1xf32>
}

// -----

// Per-channel scales [0, -4]: -8 is -4 relative to channel 1's scale, below min_exponent -3;
// zero digits (sign 0) do not count.
func.func @exponent_below_min() -> tensor<2x2xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: digit exponents relative to the scale span [-4, 0], outside [-3, 0]
  %w = pot_quant.weights {bits = 3 : i64, exponents = dense<[[[0, -3], [-1, -7]], [[-4, -8], [-5, 0]]]> : tensor<2x2x2xi8>, min_exponent = -3 : i64, scale_exponents = dense<[0, -4]> : tensor<2xi32>, signs = dense<[[[1, 1], [1, 0]], [[1, -1], [-1, 0]]]> : tensor<2x2x2xi8>} : tensor<2x2xf32>
  func.return %w : tensor<2x2xf32>
}

// -----

func.func @no_digit_axis() -> tensor<2x2xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: signs shape (2, 2) must be the weight shape (2, 2) plus a digit axis
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<0> : tensor<2x2x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<1> : tensor<2x2xi8>, zero_code} : tensor<2x2xf32>
  func.return %w : tensor<2x2xf32>
}

// -----

func.func @digit_shape_mismatch() -> tensor<2x2xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: exponents shape (2, 3, 1) must be the weight shape (2, 2) plus a digit axis
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<0> : tensor<2x3x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<1> : tensor<2x2x1xi8>, zero_code} : tensor<2x2xf32>
  func.return %w : tensor<2x2xf32>
}

// -----

func.func @zero_without_zero_code() -> tensor<2x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: a weight is zero but the code has no zero
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[0, -1]], [[0, 0]]]> : tensor<2x1x2xi8>, min_exponent = -7 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<[[[1, -1]], [[0, 0]]]> : tensor<2x1x2xi8>} : tensor<2x1xf32>
  func.return %w : tensor<2x1xf32>
}

// -----

func.func @scale_count() -> tensor<3x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: 2 scale exponents, expected 1 or one per output channel (3)
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<0> : tensor<3x1x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, 0]> : tensor<2xi32>, signs = dense<1> : tensor<3x1x1xi8>, zero_code} : tensor<3x1xf32>
  func.return %w : tensor<3x1xf32>
}

// -----

func.func @one_bit() -> tensor<1x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: min_exponent 0 does not fit a 1-bit digit code (bits in [2, 8], min_exponent in [0, 0])
  %w = pot_quant.weights {bits = 1 : i64, exponents = dense<0> : tensor<1x1x1xi8>, min_exponent = 0 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<1> : tensor<1x1x1xi8>} : tensor<1x1xf32>
  func.return %w : tensor<1x1xf32>
}

// -----

func.func @shift_sign_two(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: signs must be -1, 0 or +1 and shifts >= 0
  %y = pot_quant.shift_dense %x {shifts = dense<[[[0], [1]]]> : tensor<1x2x1xi8>, signs = dense<[[[2], [1]]]> : tensor<1x2x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>>
  func.return %y : tensor<1x1x!fixed.q<16, 5>>
}

// -----

func.func @negative_shift(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: signs must be -1, 0 or +1 and shifts >= 0
  %y = pot_quant.shift_dense %x {shifts = dense<[[[-1], [1]]]> : tensor<1x2x1xi8>, signs = dense<[[[1], [1]]]> : tensor<1x2x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>>
  func.return %y : tensor<1x1x!fixed.q<16, 5>>
}

// -----

func.func @shift_digit_shapes(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: signs and shifts must have the same shape
  %y = pot_quant.shift_dense %x {shifts = dense<0> : tensor<1x2x2xi8>, signs = dense<1> : tensor<1x2x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>>
  func.return %y : tensor<1x1x!fixed.q<16, 5>>
}

// -----

// x q<8, 3> times w q<8, 1> over 2 terms: I = 3 + 1 + 1 = 5, F = 5 + 7 = 12 -> q<17, 5>.
func.func @accumulator(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: accumulator type is !fixed.q<16, 5>, expected !fixed.q<17, 5>
  %y = pot_quant.shift_dense %x {shifts = dense<[[[0], [1]]]> : tensor<1x2x1xi8>, signs = dense<[[[1], [-1]]]> : tensor<1x2x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<16, 5>>
  func.return %y : tensor<1x1x!fixed.q<16, 5>>
}

// -----

// 2^7 = 128 and -2^7 - 2^0 = -129 are outside the 8-bit range [-128, 127].
func.func @weight_type(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<17, 5>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: weights [-129, 128] do not fit !fixed.q<8, 1>
  %y = pot_quant.shift_dense %x {shifts = dense<[[[7, 0], [0, 7]]]> : tensor<1x2x2xi8>, signs = dense<[[[1, 0], [-1, -1]]]> : tensor<1x2x2xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}

// -----

func.func @dense_input(%x: tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<17, 5>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: input (1, 3) does not match weights (1, 2) (M x K)
  %y = pot_quant.shift_dense %x {shifts = dense<0> : tensor<1x2x1xi8>, signs = dense<1> : tensor<1x2x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}

// -----

func.func @dense_bias(%x: tensor<1x2x!fixed.q<8, 3>>, %b: tensor<2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<19, 7>> {
  // CHECK: Operation does not verify: pot_quant.shift_dense: bias shape is (2,), expected (1,)
  %y = pot_quant.shift_dense %x, %b {shifts = dense<0> : tensor<1x2x1xi8>, signs = dense<1> : tensor<1x2x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<19, 7>>
  func.return %y : tensor<1x1x!fixed.q<19, 7>>
}

// -----

// 3x3 window, no padding: 4x4 -> 2x2; I = 3 + 2 + ceil(log2 9) = 9, F = 5 + 4 = 9.
func.func @conv_accumulator(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x2x2x!fixed.q<16, 8>> {
  // CHECK: Operation does not verify: pot_quant.shift_conv: accumulator type is !fixed.q<16, 8>, expected !fixed.q<18, 9>
  %y = pot_quant.shift_conv %x {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, shifts = dense<0> : tensor<1x1x3x3x1xi8>, signs = dense<1> : tensor<1x1x3x3x1xi8>, strides = array<i64: 1, 1>, weight_type = !fixed.q<6, 2>} : (tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x2x2x!fixed.q<16, 8>>
  func.return %y : tensor<1x1x2x2x!fixed.q<16, 8>>
}

// -----

func.func @conv_result(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x4x4x!fixed.q<18, 9>> {
  // CHECK: Operation does not verify: pot_quant.shift_conv: result shape is (1, 1, 4, 4), expected (1, 1, 2, 2)
  %y = pot_quant.shift_conv %x {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, shifts = dense<0> : tensor<1x1x3x3x1xi8>, signs = dense<1> : tensor<1x1x3x3x1xi8>, strides = array<i64: 1, 1>, weight_type = !fixed.q<6, 2>} : (tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x4x4x!fixed.q<18, 9>>
  func.return %y : tensor<1x1x4x4x!fixed.q<18, 9>>
}

// -----

func.func @conv_weight_type(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x2x2x!fixed.q<18, 9>> {
  // CHECK: Operation does not verify: pot_quant.shift_conv: weights [1, 32] do not fit !fixed.q<6, 2>
  %y = pot_quant.shift_conv %x {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, shifts = dense<[[[[[5], [0], [0]], [[0], [0], [0]], [[0], [0], [0]]]]]> : tensor<1x1x3x3x1xi8>, signs = dense<1> : tensor<1x1x3x3x1xi8>, strides = array<i64: 1, 1>, weight_type = !fixed.q<6, 2>} : (tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x2x2x!fixed.q<18, 9>>
  func.return %y : tensor<1x1x2x2x!fixed.q<18, 9>>
}

// -----

func.func @exponent_range_beyond_code() -> tensor<1x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: min_exponent -10 does not fit a 2-bit digit code (bits in [2, 8], min_exponent in [0, 0])
  %w = pot_quant.weights {bits = 2 : i64, exponents = dense<0> : tensor<1x1x1xi8>, min_exponent = -10 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<1> : tensor<1x1x1xi8>, zero_code} : tensor<1x1xf32>
  func.return %w : tensor<1x1xf32>
}
