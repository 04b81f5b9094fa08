// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the fixed dialect, one broken op per chunk, every op at least once.
// (fixed.activation's parameter checks: activation-invalid.mlir.)

func.func @constant_float_raw() -> tensor<2x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.constant: raw values must be integers
  %c = fixed.constant dense<[1.0, 2.0]> : tensor<2xf32> -> tensor<2x!fixed.q<8, 1>>
  func.return %c : tensor<2x!fixed.q<8, 1>>
}

// -----

// 200 needs 9 bits.
func.func @constant_too_wide() -> tensor<2x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.constant: constant raw values [1, 200] do not fit 8 bits
  %c = fixed.constant dense<[1, 200]> : tensor<2xi16> -> tensor<2x!fixed.q<8, 1>>
  func.return %c : tensor<2x!fixed.q<8, 1>>
}

// -----

func.func @quantize_fixed_input(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 3>> {
  // CHECK: Operation does not verify: fixed.quantize: input must be a float tensor
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 3>>
  func.return %q : tensor<1x4x!fixed.q<8, 3>>
}

// -----

func.func @dequantize_to_integer(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4xi8> {
  // CHECK: Operation does not verify: fixed.dequantize: result must be a float tensor
  %y = fixed.dequantize %x : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4xi8>
  func.return %y : tensor<1x4xi8>
}

// -----

func.func @cast_shape(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x3x!fixed.q<6, 2>> {
  // CHECK: Operation does not verify: fixed.cast: result shape is (1, 3), expected (1, 4)
  %y = fixed.cast %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x3x!fixed.q<6, 2>>
  func.return %y : tensor<1x3x!fixed.q<6, 2>>
}

// -----

// q<8,3> x q<8,1> over 4 terms: 4 + 2 integer bits, 12 fractional.
func.func @dense_accumulator(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<16, 6>> {
  // CHECK: Operation does not verify: fixed.dense: accumulator type is !fixed.q<16, 6>, expected !fixed.q<18, 6>
  %w = fixed.constant dense<1> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %d = fixed.dense %x, %w : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<16, 6>>
  func.return %d : tensor<1x2x!fixed.q<16, 6>>
}

// -----

// 3x3 kernel, no padding: 4x4 -> 2x2.
func.func @conv_result_shape(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x2x4x4x!fixed.q<20, 8>> {
  // CHECK: Operation does not verify: fixed.conv: result shape is (1, 2, 4, 4), expected (1, 2, 2, 2)
  %k = fixed.constant dense<1> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!fixed.q<8, 1>>
  %c = fixed.conv %x, %k {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x3x3x!fixed.q<8, 1>>) -> tensor<1x2x4x4x!fixed.q<20, 8>>
  func.return %c : tensor<1x2x4x4x!fixed.q<20, 8>>
}

// -----

func.func @matmul_inner(%a: tensor<1x2x3x!fixed.q<8, 3>>, %b: tensor<1x4x2x!fixed.q<8, 3>>) -> tensor<1x2x2x!fixed.q<18, 8>> {
  // CHECK: Operation does not verify: fixed.matmul: matmul inner dimensions differ: (1, 2, 3) @ (1, 4, 2)
  %m = fixed.matmul %a, %b : (tensor<1x2x3x!fixed.q<8, 3>>, tensor<1x4x2x!fixed.q<8, 3>>) -> tensor<1x2x2x!fixed.q<18, 8>>
  func.return %m : tensor<1x2x2x!fixed.q<18, 8>>
}

// -----

func.func @add_type(%a: tensor<1x4x!fixed.q<8, 3>>, %b: tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<8, 3>> {
  // CHECK: Operation does not verify: fixed.add: result type is !fixed.q<8, 3>, expected !fixed.q<11, 4>
  %s = fixed.add %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<8, 3>>
  func.return %s : tensor<1x4x!fixed.q<8, 3>>
}

// -----

func.func @sub_broadcast(%a: tensor<1x4x!fixed.q<8, 3>>, %b: tensor<3x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>> {
  // CHECK: Operation does not verify: fixed.sub: shapes (1, 4) and (3,) do not broadcast
  %d = fixed.sub %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<3x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>>
  func.return %d : tensor<1x4x!fixed.q<11, 4>>
}

// -----

func.func @mul_type(%a: tensor<1x4x!fixed.q<8, 3>>, %b: tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>> {
  // CHECK: Operation does not verify: fixed.mul: result type is !fixed.q<11, 4>, expected !fixed.q<16, 4>
  %p = fixed.mul %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>>
  func.return %p : tensor<1x4x!fixed.q<11, 4>>
}

// -----

func.func @sum_pool_shape(%x: tensor<1x2x4x!fixed.q<8, 3>>) -> tensor<1x2x3x!fixed.q<9, 4>> {
  // CHECK: Operation does not verify: fixed.sum_pool: result shape is (1, 2, 3), expected (1, 2, 2)
  %p = fixed.sum_pool %x {ceil_mode = 0 : i64, kernel = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x3x!fixed.q<9, 4>>
  func.return %p : tensor<1x2x3x!fixed.q<9, 4>>
}

// -----

func.func @reduce_sum_batch_axis(%x: tensor<1x2x4x!fixed.q<8, 3>>) -> tensor<1x2x4x!fixed.q<8, 3>> {
  // CHECK: Operation does not verify: fixed.reduce_sum: axes [0] must be distinct non-batch axes of rank 3
  %s = fixed.reduce_sum %x {axes = array<i64: 0>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x4x!fixed.q<8, 3>>
  func.return %s : tensor<1x2x4x!fixed.q<8, 3>>
}

// -----

func.func @reduce_max_type(%x: tensor<1x2x4x!fixed.q<8, 3>>) -> tensor<1x2x1x!fixed.q<10, 5>> {
  // CHECK: Operation does not verify: fixed.reduce_max: result type is !fixed.q<10, 5>, expected !fixed.q<8, 3>
  %m = fixed.reduce_max %x {axes = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x1x!fixed.q<10, 5>>
  func.return %m : tensor<1x2x1x!fixed.q<10, 5>>
}

// -----

func.func @dead_zone_threshold(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 3>> {
  // CHECK: Operation does not verify: fixed.dead_zone: threshold 128 is not in [0, 128) (the operand's raw range)
  %d = fixed.dead_zone %x {threshold = 128 : i64} : tensor<1x4x!fixed.q<8, 3>>
  func.return %d : tensor<1x4x!fixed.q<8, 3>>
}

// -----

func.func @clamp_bounds(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 3>> {
  // CHECK: Operation does not verify: fixed.clamp: min 96 is greater than max 0
  %c = fixed.clamp %x {max = 0 : i64, min = 96 : i64} : tensor<1x4x!fixed.q<8, 3>>
  func.return %c : tensor<1x4x!fixed.q<8, 3>>
}

// -----

func.func @leaky_relu_alpha_shape(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 3>> {
  // CHECK: Operation does not verify: fixed.leaky_relu: alpha shape is (1,), expected ()
  %alpha = fixed.constant dense<13> : tensor<1xi8> -> tensor<1x!fixed.q<8, 0>>
  %l = fixed.leaky_relu %x, %alpha {rounding = #fixed<rounding rnd>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<1x!fixed.q<8, 0>>) -> tensor<1x4x!fixed.q<8, 3>>
  func.return %l : tensor<1x4x!fixed.q<8, 3>>
}

// -----

func.func @lut_table_rank(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.lut: table must be a 1-D tensor of raw integers
  %t = fixed.lut %x {function = "sigmoid", offset = 2 : i64, shift = 6 : i64, table = dense<[[2, 31], [96, 125]]> : tensor<2x2xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %t : tensor<1x4x!fixed.q<8, 1>>
}

// -----

func.func @lut_table_too_wide(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.lut: table raw values [2, 300] do not fit 8 bits
  %t = fixed.lut %x {function = "sigmoid", offset = 2 : i64, shift = 6 : i64, table = dense<[2, 31, 96, 300]> : tensor<4xi16>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %t : tensor<1x4x!fixed.q<8, 1>>
}

// -----

func.func @pwl_segment_count(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.pwl: 2 breakpoints need 3 slopes and intercepts, got 3 and 2
  %p = fixed.pwl %x {breakpoints = dense<[-32, 32]> : tensor<2xi64>, function = "sigmoid", intercept_type = !fixed.q<16, 2>, intercepts = dense<[0, 8192]> : tensor<2xi64>, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>, slope_type = !fixed.q<16, 0>, slopes = dense<[0, 16384, 0]> : tensor<3xi64>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %p : tensor<1x4x!fixed.q<8, 1>>
}

// -----

func.func @pwl_descending(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.pwl: breakpoints must be strictly ascending
  %p = fixed.pwl %x {breakpoints = dense<[32, -32]> : tensor<2xi64>, function = "sigmoid", intercept_type = !fixed.q<16, 2>, intercepts = dense<[0, 8192, 16384]> : tensor<3xi64>, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>, slope_type = !fixed.q<16, 0>, slopes = dense<[0, 16384, 0]> : tensor<3xi64>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %p : tensor<1x4x!fixed.q<8, 1>>
}

// -----

func.func @pwl_intercept_too_wide(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.pwl: intercept raw values [0, 32768] do not fit 16 bits
  %p = fixed.pwl %x {breakpoints = dense<[-32, 32]> : tensor<2xi64>, function = "sigmoid", intercept_type = !fixed.q<16, 1>, intercepts = dense<[0, 16384, 32768]> : tensor<3xi64>, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>, slope_type = !fixed.q<16, 0>, slopes = dense<[0, 16384, 0]> : tensor<3xi64>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %p : tensor<1x4x!fixed.q<8, 1>>
}

// -----

func.func @poly_bounds(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.poly: min is greater than max
  %y = fixed.poly %x {acc_type = !fixed.q<24, 2>, coeff_type = !fixed.q<18, 1>, coefficients = dense<[65536, 32768, 0, -2731]> : tensor<4xi64>, function = "sigmoid", max = -32 : i64, min = 32 : i64, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %y : tensor<1x4x!fixed.q<8, 1>>
}

// -----

// The list of known functions is not checked (it grows).
func.func @activation_unknown(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.activation: unknown function 'cosh_squared' (known: 
  %a = fixed.activation %x {function = "cosh_squared"} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %a : tensor<1x4x!fixed.q<8, 1>>
}

// -----

func.func @activation_shape(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<8, 1>> {
  // CHECK: Operation does not verify: fixed.activation: result shape is (1, 2), expected (1, 4)
  %a = fixed.activation %x {function = "tanh"} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x2x!fixed.q<8, 1>>
  func.return %a : tensor<1x2x!fixed.q<8, 1>>
}
