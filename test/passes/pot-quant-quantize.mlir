// RUN: nncc-opt %s --split-input-file -p pot-quant-quantize | filecheck %s
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{rounding=log}' | filecheck %s --check-prefix=LOG
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{per_channel=true}' | filecheck %s --check-prefix=CHAN
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{terms=2}' | filecheck %s --check-prefix=T2
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{terms=2 rounding=log}' | filecheck %s --check-prefix=LOGT2
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{zero_code=false}' | filecheck %s --check-prefix=NOZ
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{zero_code=false rounding=log}' | filecheck %s --check-prefix=LOGNOZ
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{bits=3}' | filecheck %s --check-prefix=B3
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{bits=3 rounding=log zero_threshold=0.2}' | filecheck %s --check-prefix=B3THR
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{min_exponent=-1}' | filecheck %s --check-prefix=EMIN
// RUN: nncc-opt %s --split-input-file -p 'pot-quant-quantize{compensate=false}' | filecheck %s --check-prefix=NOCOMP

// Worked example of 4-bit log quantization, already divided by its scale (the pass only uses
// power-of-two scales, so w~ = w / 0.8 is given directly): w~ = [1, -0.36, 0.0625, 0.005],
// 4 bits -> exponents 0 ... -6, zero threshold 2^-7. The scale is 2^0 (2^-1 clips 1 to 0.5).
// log: log2 = [0, -1.47, -4, -7.6] -> [0, -1, -4, zero], q = [1, -0.5, 0.0625, 0].
// nearest: -0.36 -> -0.25 (|0.36 - 0.25| < |0.5 - 0.36|), the rest as log.
// CHECK-LABEL: func.func @example_relative
// CHECK-NEXT:  %[[W:.*]] = pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-2], [-4], [0]]]> : tensor<1x4x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [1], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// CHECK-NEXT:  nn.dense %x, %[[W]] : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x1xf32>
// LOG-LABEL:   func.func @example_relative
// LOG-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-1], [-4], [0]]]> : tensor<1x4x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [1], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// Two digits: nearest -0.36 -> -0.375 = -2^-3 - 2^-2; log: -2^-1, residual 0.14 -> +2^-3.
// T2-LABEL:    func.func @example_relative
// T2-NEXT:     pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-3, -2], [-4, 0], [0, 0]]]> : tensor<1x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, -1], [1, 0], [0, 0]]]> : tensor<1x4x2xi8>, zero_code} : tensor<1x4xf32>
// LOGT2-LABEL: func.func @example_relative
// LOGT2-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, -3], [-4, 0], [0, 0]]]> : tensor<1x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 1], [1, 0], [0, 0]]]> : tensor<1x4x2xi8>, zero_code} : tensor<1x4xf32>
// Without a zero code the 4-bit exponent field holds 0 ... -7, and 0.005 -> 2^-7.
// NOZ-LABEL:   func.func @example_relative
// NOZ-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-2], [-4], [-7]]]> : tensor<1x4x1xi8>, min_exponent = -7 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [1], [1]]]> : tensor<1x4x1xi8>} : tensor<1x4xf32>
// 3 bits: exponents 0 ... -2; 0.0625 is below the midpoint 2^-3 of {0, 2^-2}.
// B3-LABEL:    func.func @example_relative
// B3-NEXT:     pot_quant.weights {pot_quant.error = {{.*}}, bits = 3 : i64, exponents = dense<{{\[\[\[}}0], [-2], [0], [0]]]> : tensor<1x4x1xi8>, min_exponent = -2 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [0], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
func.func @example_relative(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = nn.constant dense<[[1.0, -0.36, 0.0625, 0.005]]> : tensor<1x4xf32>
  %y = nn.dense %x, %w : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}

// -----

// The worked example's w = [0.8, -0.288, 0.05, 0.004] itself: the power-of-two scale is 2^0,
// log2 = [-0.32, -1.8, -4.3, -8] -> [0, -2, -4, zero] under both roundings.
// With two digits the scale 2^-1 wins: 1.6 -> 1.5, -0.576 -> -0.5625, 0.1 -> 0.09375,
// 0.008 -> 2^-6 (absolute exponents [-1, -2], [-2, -5], [-5, -6], [-7]).
// CHECK-LABEL: func.func @example_weights
// CHECK-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-2], [-4], [0]]]> : tensor<1x4x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [1], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// LOG-LABEL:   func.func @example_weights
// LOG-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-2], [-4], [0]]]> : tensor<1x4x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [1], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// T2-LABEL:    func.func @example_weights
// T2-NEXT:     pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}-2, -1], [-5, -2], [-6, -5], [-7, 0]]]> : tensor<1x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<{{\[\[\[}}1, 1], [-1, -1], [1, 1], [1, 0]]]> : tensor<1x4x2xi8>, zero_code} : tensor<1x4xf32>
func.func @example_weights(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = nn.constant dense<[[0.8, -0.288, 0.05, 0.004]]> : tensor<1x4xf32>
  %y = nn.dense %x, %w : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}

// -----

// Conv weights whose output channels differ by 2^5. Per tensor the scale is 2^2 and channel 1
// keeps only 2^-3 and 2^-4 (-0.01 and 0.03 fall below the midpoints of 2^2 * {0, 2^-6}).
// 0.75 = 2^2 * 0.1875 is the midpoint of 2^-3 and 2^-2: nearest ties to the smaller
// magnitude (2^-1), log rounds up (0.1875 > 2^-2.5, giving 2^0).
// Per channel the scales are [2^2, 2^-3] and channel 1 keeps all four weights
// (0.125, 0.0625, -0.01 -> -2^-7, 0.03 -> 2^-5).
// CHECK-LABEL: func.func @per_channel
// CHECK-NEXT:  %[[W:.*]] = pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[\[\[}}2], [0]], {{\[\[}}-1], [0]]]], {{\[\[\[\[}}-3], [-4]], {{\[\[}}0], [0]]]]]> : tensor<2x1x2x2x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<2> : tensor<1xi32>, signs = dense<{{\[\[\[\[\[}}1], [-1]], {{\[\[}}1], [0]]]], {{\[\[\[\[}}1], [1]], {{\[\[}}0], [0]]]]]> : tensor<2x1x2x2x1xi8>, zero_code} : tensor<2x1x2x2xf32>
// CHECK-NEXT:  nn.conv %x, %[[W]] {dilations
// LOG-LABEL:   func.func @per_channel
// LOG-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[\[\[}}2], [0]], {{\[\[}}0], [0]]]], {{\[\[\[\[}}-3], [-4]], {{\[\[}}0], [0]]]]]> : tensor<2x1x2x2x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<2> : tensor<1xi32>, signs = dense<{{\[\[\[\[\[}}1], [-1]], {{\[\[}}1], [0]]]], {{\[\[\[\[}}1], [1]], {{\[\[}}0], [0]]]]]> : tensor<2x1x2x2x1xi8>
// CHAN-LABEL:  func.func @per_channel
// CHAN-NEXT:   pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[\[\[}}2], [0]], {{\[\[}}-1], [0]]]], {{\[\[\[\[}}-3], [-4]], {{\[\[}}-7], [-5]]]]]> : tensor<2x1x2x2x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<[2, -3]> : tensor<2xi32>, signs = dense<{{\[\[\[\[\[}}1], [-1]], {{\[\[}}1], [0]]]], {{\[\[\[\[}}1], [1]], {{\[\[}}-1], [1]]]]]> : tensor<2x1x2x2x1xi8>, zero_code} : tensor<2x1x2x2xf32>
func.func @per_channel(%x: tensor<1x1x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = nn.constant dense<[[[[4.0, -1.0], [0.75, 0.0]]], [[[0.125, 0.0625], [-0.01, 0.03]]]]> : tensor<2x1x2x2xf32>
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<2x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  func.return %y : tensor<1x2x2x2xf32>
}

// -----

// Two signed digits (distinct exponents, listed from the lowest), scale 2^0.
// nearest: 0.75 = 2^-2 + 2^-1, -0.375 = -2^-3 - 2^-2, 0.3 -> 0.3125 = 2^-4 + 2^-2, 1 = 2^0
// (one digit), 0.1 -> 0.09375 = 2^-5 + 2^-4, -0.05 -> -0.046875 = -2^-6 - 2^-5.
// log, digit by digit on the residual: 0.75 -> 2^0 - 2^-2, -0.375 -> -2^-1 + 2^-3,
// 0.3 -> 2^-2 + 2^-4, 0.1 -> 2^-3 - 2^-5, -0.05 -> -2^-4 + 2^-6.
// T2-LABEL:    func.func @two_terms
// T2-NEXT:     pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}-2, -1], [-3, -2], [-4, -2]], {{\[\[}}0, 0], [-5, -4], [-6, -5]]]> : tensor<2x3x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1, 1], [-1, -1], [1, 1]], {{\[\[}}1, 0], [1, 1], [-1, -1]]]> : tensor<2x3x2xi8>, zero_code} : tensor<2x3xf32>
// LOGT2-LABEL: func.func @two_terms
// LOGT2-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, -2], [-1, -3], [-2, -4]], {{\[\[}}0, 0], [-3, -5], [-4, -6]]]> : tensor<2x3x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1, -1], [-1, 1], [1, 1]], {{\[\[}}1, 0], [1, -1], [-1, 1]]]> : tensor<2x3x2xi8>, zero_code} : tensor<2x3xf32>
func.func @two_terms(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[0.75, -0.375, 0.3], [1.0, 0.1, -0.05]]> : tensor<2x3xf32>
  %y = nn.dense %x, %w : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// Zeros and tiny weights, scale 2^-1. With a zero code they become 0. Without one they take
// the smallest magnitude 2^-1 * 2^-7: nearest breaks the tie of 0 towards the negative
// value, log takes +; -0.001 stays negative.
// CHECK-LABEL: func.func @no_zero_code
// CHECK-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}-1], [0], [0], [-2]]]> : tensor<1x4x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [0], [0], [1]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// NOZ-LABEL:   func.func @no_zero_code
// NOZ-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}-1], [-8], [-8], [-2]]]> : tensor<1x4x1xi8>, min_exponent = -7 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1], [-1], [1]]]> : tensor<1x4x1xi8>} : tensor<1x4xf32>
// LOGNOZ-LABEL: func.func @no_zero_code
// LOGNOZ-NEXT: pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}-1], [-8], [-8], [-2]]]> : tensor<1x4x1xi8>, min_exponent = -7 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [1], [-1], [1]]]> : tensor<1x4x1xi8>} : tensor<1x4xf32>
func.func @no_zero_code(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = nn.constant dense<[[0.5, 0.0, -0.001, 0.25]]> : tensor<1x4xf32>
  %y = nn.dense %x, %w : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}

// -----

// The code's exponent range. 4 bits: 0.3 -> 2^-2, 0.15 -> 2^-3, 0.1 -> 2^-3.
// 3 bits (exponents 0 ... -2): 0.15 -> 2^-2 (above the midpoint 2^-3), 0.1 -> 0.
// 3 bits, log, zero_threshold 0.2: 0.3 -> 2^-2, 0.15 and 0.1 -> 0.
// min_exponent = -1: {0, 2^-1, 2^0}: 0.3 -> 2^-1, 0.15 and 0.1 -> 0.
// CHECK-LABEL: func.func @code_range
// CHECK-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-2], [-3], [-3]]]> : tensor<1x4x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<1> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// B3-LABEL:    func.func @code_range
// B3-NEXT:     pot_quant.weights {pot_quant.error = {{.*}}, bits = 3 : i64, exponents = dense<{{\[\[\[}}0], [-2], [-2], [0]]]> : tensor<1x4x1xi8>, min_exponent = -2 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [1], [1], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// B3THR-LABEL: func.func @code_range
// B3THR-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}, bits = 3 : i64, exponents = dense<{{\[\[\[}}0], [-2], [0], [0]]]> : tensor<1x4x1xi8>, min_exponent = -2 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [1], [0], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
// EMIN-LABEL:  func.func @code_range
// EMIN-NEXT:   pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-1], [0], [0]]]> : tensor<1x4x1xi8>, min_exponent = -1 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [1], [0], [0]]]> : tensor<1x4x1xi8>, zero_code} : tensor<1x4xf32>
func.func @code_range(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  %w = nn.constant dense<[[1.0, 0.3, 0.15, 0.1]]> : tensor<1x4xf32>
  %y = nn.dense %x, %w : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}

// -----

// One constant read by four layers: `a` is quantized (-0.375 ties to -0.25: error
// [0, 0.125, 0, 0], rms 0.0625, relative to rms(w) = 0.6027: 0.10369516947304253); `b`
// opts out (pot_quant.options enabled = 0) and keeps the nn.constant; `c` overrides bits and
// terms; `d` has a run-time weight and is left alone.
// Without a zero code every digit is used: c's 2 digits of 3 bits (exponents 0 ... -3) give
// 1 -> 2^0 - 2^-3 (a tie of 0.875 and 1.125), 0.5 -> 2^0 - 2^-1, 0.25 -> 2^-1 - 2^-2.
// CHECK-LABEL: func.func @error_and_overrides
// CHECK-NEXT:  %[[A:.*]] = pot_quant.weights {pot_quant.error = {max = 1.250000e-01 : f64, relative_rms = 0.10369516947304253 : f64, rms = 6.250000e-02 : f64}, pot_quant.compensation = "none", bits = 4 : i64, exponents = dense<{{\[\[\[}}0], [-2]], {{\[\[}}-1], [-2]]]> : tensor<2x2x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [-1]], {{\[\[}}1], [1]]]> : tensor<2x2x1xi8>, zero_code} : tensor<2x2xf32>
// CHECK-NEXT:  %[[C:.*]] = pot_quant.weights {pot_quant.error = {max = 1.250000e-01 : f64, relative_rms = 0.10369516947304253 : f64, rms = 6.250000e-02 : f64}, pot_quant.compensation = "none", bits = 3 : i64, exponents = dense<{{\[\[\[}}0, 0], [-2, 0]], {{\[\[}}-1, 0], [-2, 0]]]> : tensor<2x2x2xi8>, min_exponent = -2 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0]], {{\[\[}}1, 0], [1, 0]]]> : tensor<2x2x2xi8>, zero_code} : tensor<2x2xf32>
// CHECK-NEXT:  %[[W:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, -3.750000e-01], [5.000000e-01, 2.500000e-01]]> : tensor<2x2xf32>
// CHECK-NEXT:  nn.dense %x, %[[A]] :
// CHECK-NEXT:  nn.dense %x, %[[W]] {pot_quant.options = {enabled = 0 : i64}} :
// CHECK-NEXT:  nn.dense %x, %[[C]] {pot_quant.options = {bits = 3 : i64, terms = 2 : i64}} :
// CHECK-NEXT:  nn.dense %x, %r :
// NOZ-LABEL:   func.func @error_and_overrides
// NOZ-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 4 : i64
// NOZ-NEXT:    pot_quant.weights {pot_quant.error = {{.*}}, bits = 3 : i64, exponents = dense<{{\[\[\[}}-3, 0], [-3, -2]], {{\[\[}}-1, 0], [-2, -1]]]> : tensor<2x2x2xi8>, min_exponent = -3 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}-1, 1], [-1, -1]], {{\[\[}}-1, 1], [-1, 1]]]> : tensor<2x2x2xi8>} : tensor<2x2xf32>
func.func @error_and_overrides(%x: tensor<1x2xf32>, %r: tensor<2x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = nn.constant dense<[[1.0, -0.375], [0.5, 0.25]]> : tensor<2x2xf32>
  %a = nn.dense %x, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("a")
  %b = nn.dense %x, %w {pot_quant.options = {enabled = 0 : i64}} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("b")
  %c = nn.dense %x, %w {pot_quant.options = {bits = 3 : i64, terms = 2 : i64}} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("c")
  %d = nn.dense %x, %r : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("d")
  func.return %a, %b, %c, %d : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// Error compensation with the input moment H = [[1, 0.9], [0.9, 1]] (strongly correlated
// inputs; the pass adds 1 % of the mean diagonal). Scale 2^0. Row 0 = [0.37, 0.37]: column 0
// rounds 0.37 -> 0.25 (nearest), its error 0.12 is carried into column 1 through the inverse
// moment's Cholesky factor (x 0.9 / 1.01): 0.37 + 0.107 = 0.477 -> 0.5, so the row becomes
// [2^-2, 2^-1] instead of [2^-2, 2^-2], and the output error on inputs with moment H falls
// from 0.19 to 0.046 of the output rms. Row 1 = [1, 0] is exact. The moment is consumed.
// CHECK-LABEL: func.func @compensated
// CHECK-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}output_relative_rms = 0.0460{{[0-9]*}} : f64}, pot_quant.compensation = "gptq", bits = 4 : i64, exponents = dense<{{\[\[\[}}-2], [-1]], {{\[\[}}0], [0]]]> : tensor<2x2x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<{{\[\[\[}}1], [1]], {{\[\[}}1], [0]]]> : tensor<2x2x1xi8>, zero_code} : tensor<2x2xf32>
// CHECK-NOT:   pot_quant.input_moment
// NOCOMP-LABEL: func.func @compensated
// NOCOMP-NEXT:  pot_quant.weights {pot_quant.error = {{.*}}output_relative_rms = 0.1897{{[0-9]*}} : f64}, pot_quant.compensation = "none", bits = 4 : i64, exponents = dense<{{\[\[\[}}-2], [-2]], {{\[\[}}0], [0]]]> : tensor<2x2x1xi8>
// NOCOMP-NOT:   pot_quant.input_moment
func.func @compensated(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[0.37, 0.37], [1.0, 0.0]]> : tensor<2x2xf32>
  %y = nn.dense %x, %w {pot_quant.input_moment = dense<[[[1.0, 0.9], [0.9, 1.0]]]> : tensor<1x2x2xf64>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
