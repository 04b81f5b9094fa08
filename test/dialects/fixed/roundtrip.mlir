// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file | filecheck %s

// Every op of the fixed dialect survives printing and parsing, in the custom and the generic
// form. (fixed.activation with parameters: activation.mlir.)

// Conversions: a raw constant, float -> fixed, fixed -> fixed (rounding, overflow), fixed -> float.
// CHECK-LABEL: func.func @conversions(
// CHECK-NEXT:    %c = fixed.constant dense<[3, -5, 127, -128]> : tensor<4xi8> -> tensor<4x!fixed.q<8, 1>>
// CHECK-NEXT:    %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
// CHECK-NEXT:    %k = fixed.cast %q {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<6, 2>>
// CHECK-NEXT:    %y = fixed.dequantize %k : tensor<1x4x!fixed.q<6, 2>> -> tensor<1x4xf32>
// CHECK-NEXT:    func.return %y : tensor<1x4xf32>
func.func @conversions(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = fixed.constant dense<[3, -5, 127, -128]> : tensor<4xi8> -> tensor<4x!fixed.q<8, 1>>
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %k = fixed.cast %q {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<6, 2>>
  %y = fixed.dequantize %k : tensor<1x4x!fixed.q<6, 2>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

// Multiply-accumulate layers with their exact accumulator types: dense with and without a
// bias (q<8,3> x q<8,1>, 4 terms), a 3x3 convolution (9 terms), a batched matmul (3 terms). (Other properties of
// dense and conv, if any, may print too.)
// CHECK-LABEL: func.func @mac(
// CHECK-NEXT:    %w = fixed.constant dense<[[1, -2, 3, -4], [5, 6, -7, 8]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
// CHECK-NEXT:    %bias = fixed.constant dense<[100, -100]> : tensor<2xi16> -> tensor<2x!fixed.q<16, 4>>
// CHECK-NEXT:    %k = fixed.constant dense<1> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!fixed.q<8, 1>>
// CHECK-NEXT:    %d = fixed.dense %x, %w, %bias{{( \{.*\})?}} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<16, 4>>) -> tensor<1x2x!fixed.q<19, 7>>
// CHECK-NEXT:    %n = fixed.dense %x, %w{{( \{.*\})?}} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
// CHECK-NEXT:    %c = fixed.conv %img, %k {dilations = array<i64: 1, 1>, {{(.*, )?}}group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x3x3x!fixed.q<8, 1>>) -> tensor<1x2x4x4x!fixed.q<20, 8>>
// CHECK-NEXT:    %m = fixed.matmul %a, %b : (tensor<1x2x3x!fixed.q<8, 3>>, tensor<1x3x2x!fixed.q<8, 3>>) -> tensor<1x2x2x!fixed.q<18, 8>>
// CHECK-NEXT:    func.return %d, %n, %c, %m : tensor<1x2x!fixed.q<19, 7>>, tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x4x4x!fixed.q<20, 8>>, tensor<1x2x2x!fixed.q<18, 8>>
func.func @mac(%x: tensor<1x4x!fixed.q<8, 3>>, %img: tensor<1x1x4x4x!fixed.q<8, 3>>, %a: tensor<1x2x3x!fixed.q<8, 3>>, %b: tensor<1x3x2x!fixed.q<8, 3>>) -> (tensor<1x2x!fixed.q<19, 7>>, tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x4x4x!fixed.q<20, 8>>, tensor<1x2x2x!fixed.q<18, 8>>) {
  %w = fixed.constant dense<[[1, -2, 3, -4], [5, 6, -7, 8]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %bias = fixed.constant dense<[100, -100]> : tensor<2xi16> -> tensor<2x!fixed.q<16, 4>>
  %k = fixed.constant dense<1> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!fixed.q<8, 1>>
  %d = fixed.dense %x, %w, %bias : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<16, 4>>) -> tensor<1x2x!fixed.q<19, 7>>
  %n = fixed.dense %x, %w : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  %c = fixed.conv %img, %k {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x3x3x!fixed.q<8, 1>>) -> tensor<1x2x4x4x!fixed.q<20, 8>>
  %m = fixed.matmul %a, %b : (tensor<1x2x3x!fixed.q<8, 3>>, tensor<1x3x2x!fixed.q<8, 3>>) -> tensor<1x2x2x!fixed.q<18, 8>>
  func.return %d, %n, %c, %m : tensor<1x2x!fixed.q<19, 7>>, tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x4x4x!fixed.q<20, 8>>, tensor<1x2x2x!fixed.q<18, 8>>
}

// -----

// Exact element-wise arithmetic with broadcasting.
// CHECK-LABEL: func.func @arithmetic(
// CHECK-NEXT:    %s = fixed.add %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>>
// CHECK-NEXT:    %d = fixed.sub %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>>
// CHECK-NEXT:    %p = fixed.mul %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<16, 4>>
// CHECK-NEXT:    func.return %s, %d, %p : tensor<1x4x!fixed.q<11, 4>>, tensor<1x4x!fixed.q<11, 4>>, tensor<1x4x!fixed.q<16, 4>>
func.func @arithmetic(%a: tensor<1x4x!fixed.q<8, 3>>, %b: tensor<4x!fixed.q<8, 1>>) -> (tensor<1x4x!fixed.q<11, 4>>, tensor<1x4x!fixed.q<11, 4>>, tensor<1x4x!fixed.q<16, 4>>) {
  %s = fixed.add %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>>
  %d = fixed.sub %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<11, 4>>
  %p = fixed.mul %a, %b : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<16, 4>>
  func.return %s, %d, %p : tensor<1x4x!fixed.q<11, 4>>, tensor<1x4x!fixed.q<11, 4>>, tensor<1x4x!fixed.q<16, 4>>
}

// -----

// Window sum and reductions over the last axis.
// CHECK-LABEL: func.func @pooling(
// CHECK-NEXT:    %p = fixed.sum_pool %x {ceil_mode = 0 : i64, kernel = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x2x!fixed.q<9, 4>>
// CHECK-NEXT:    %s = fixed.reduce_sum %x {axes = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x1x!fixed.q<10, 5>>
// CHECK-NEXT:    %m = fixed.reduce_max %x {axes = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x1x!fixed.q<8, 3>>
// CHECK-NEXT:    func.return %p, %s, %m : tensor<1x2x2x!fixed.q<9, 4>>, tensor<1x2x1x!fixed.q<10, 5>>, tensor<1x2x1x!fixed.q<8, 3>>
func.func @pooling(%x: tensor<1x2x4x!fixed.q<8, 3>>) -> (tensor<1x2x2x!fixed.q<9, 4>>, tensor<1x2x1x!fixed.q<10, 5>>, tensor<1x2x1x!fixed.q<8, 3>>) {
  %p = fixed.sum_pool %x {ceil_mode = 0 : i64, kernel = array<i64: 2>, pads = array<i64: 0, 0>, strides = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x2x!fixed.q<9, 4>>
  %s = fixed.reduce_sum %x {axes = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x1x!fixed.q<10, 5>>
  %m = fixed.reduce_max %x {axes = array<i64: 2>} : tensor<1x2x4x!fixed.q<8, 3>> -> tensor<1x2x1x!fixed.q<8, 3>>
  func.return %p, %s, %m : tensor<1x2x2x!fixed.q<9, 4>>, tensor<1x2x1x!fixed.q<10, 5>>, tensor<1x2x1x!fixed.q<8, 3>>
}

// -----

// Clamp, leaky ReLU, and the three lowerings of an activation (table, segments, polynomial)
// next to the ideal activation they replace.
// CHECK-LABEL: func.func @nonlinear(
// CHECK-NEXT:    %alpha = fixed.constant dense<13> : tensor<i8> -> tensor<!fixed.q<8, 0>>
// CHECK-NEXT:    %c = fixed.clamp %x {max = 96 : i64, min = 0 : i64} : tensor<1x4x!fixed.q<8, 3>>
// CHECK-NEXT:    %l = fixed.leaky_relu %x, %alpha {rounding = #fixed<rounding rnd>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<!fixed.q<8, 0>>) -> tensor<1x4x!fixed.q<8, 3>>
// CHECK-NEXT:    %t = fixed.lut %x {function = "sigmoid", offset = 2 : i64, shift = 6 : i64, table = dense<[2, 31, 96, 125]> : tensor<4xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
// CHECK-NEXT:    %p = fixed.pwl %x {breakpoints = dense<[-32, 32]> : tensor<2xi64>, function = "sigmoid", intercept_type = !fixed.q<16, 2>, intercepts = dense<[0, 8192, 16384]> : tensor<3xi64>, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>, slope_type = !fixed.q<16, 0>, slopes = dense<[0, 16384, 0]> : tensor<3xi64>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
// CHECK-NEXT:    %y = fixed.poly %x {acc_type = !fixed.q<24, 2>, coeff_type = !fixed.q<18, 1>, coefficients = dense<[65536, 32768, 0, -2731]> : tensor<4xi64>, function = "sigmoid", max = 32 : i64, min = -32 : i64, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
// CHECK-NEXT:    %a = fixed.activation %x {function = "tanh"} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
// CHECK-NEXT:    func.return %c, %l, %t, %p, %y, %a : tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>
func.func @nonlinear(%x: tensor<1x4x!fixed.q<8, 3>>) -> (tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>) {
  %alpha = fixed.constant dense<13> : tensor<i8> -> tensor<!fixed.q<8, 0>>
  %c = fixed.clamp %x {max = 96 : i64, min = 0 : i64} : tensor<1x4x!fixed.q<8, 3>>
  %l = fixed.leaky_relu %x, %alpha {rounding = #fixed<rounding rnd>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<!fixed.q<8, 0>>) -> tensor<1x4x!fixed.q<8, 3>>
  %t = fixed.lut %x {function = "sigmoid", offset = 2 : i64, shift = 6 : i64, table = dense<[2, 31, 96, 125]> : tensor<4xi8>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  %p = fixed.pwl %x {breakpoints = dense<[-32, 32]> : tensor<2xi64>, function = "sigmoid", intercept_type = !fixed.q<16, 2>, intercepts = dense<[0, 8192, 16384]> : tensor<3xi64>, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>, slope_type = !fixed.q<16, 0>, slopes = dense<[0, 16384, 0]> : tensor<3xi64>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  %y = fixed.poly %x {acc_type = !fixed.q<24, 2>, coeff_type = !fixed.q<18, 1>, coefficients = dense<[65536, 32768, 0, -2731]> : tensor<4xi64>, function = "sigmoid", max = 32 : i64, min = -32 : i64, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  %a = fixed.activation %x {function = "tanh"} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %c, %l, %t, %p, %y, %a : tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>, tensor<1x4x!fixed.q<8, 1>>
}

// -----

// CHECK-LABEL: func.func @dead_zone(
// CHECK-NEXT:    %d = fixed.dead_zone %x {threshold = 8 : i64} : tensor<1x4x!fixed.q<9, 4>>
func.func @dead_zone(%x: tensor<1x4x!fixed.q<9, 4>>) -> tensor<1x4x!fixed.q<9, 4>> {
  %d = fixed.dead_zone %x {threshold = 8 : i64} : tensor<1x4x!fixed.q<9, 4>>
  func.return %d : tensor<1x4x!fixed.q<9, 4>>
}
