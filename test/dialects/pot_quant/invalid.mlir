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

func.func @exponent_range_beyond_code() -> tensor<1x1xf32> {
  // CHECK: Operation does not verify: pot_quant.weights: min_exponent -10 does not fit a 2-bit digit code (bits in [2, 8], min_exponent in [0, 0])
  %w = pot_quant.weights {bits = 2 : i64, exponents = dense<0> : tensor<1x1x1xi8>, min_exponent = -10 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<1> : tensor<1x1x1xi8>, zero_code} : tensor<1x1xf32>
  func.return %w : tensor<1x1xf32>
}
