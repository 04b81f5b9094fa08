// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// Every pot_quant op in custom syntax survives print -> parse (custom and generic forms).

// Power-of-two weights (one digit, per-tensor scale 2^-1, a zero), two-digit weights with
// one scale per output channel and no zero code, and the error / sparsity attributes.
// CHECK-LABEL: func.func @weights
// CHECK-NEXT:  %[[P:.*]] = pot_quant.weights {bits = 4 : i64, exponents = dense<{{\[\[\[}}-1]], {{\[\[}}-3]], {{\[\[}}0]]]> : tensor<3x1x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<{{\[\[\[}}1]], {{\[\[}}-1]], {{\[\[}}0]]]> : tensor<3x1x1xi8>, zero_code} : tensor<3x1xf32>
// CHECK-NEXT:  %[[T:.*]] = pot_quant.weights {pot_quant.error = {max = 1.250000e-01 : f64, relative_rms = 5.000000e-02 : f64, rms = 6.250000e-02 : f64}, pot_quant.sparsity = 0.000000e+00 : f64, bits = 3 : i64, exponents = dense<{{\[\[\[}}0, -2], [-1, -3]], {{\[\[}}2, -1], [1, 0]]]> : tensor<2x2x2xi8>, min_exponent = -3 : i64, scale_exponents = dense<[0, 2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, -1], [-1, 1]], {{\[\[}}1, 1], [-1, -1]]]> : tensor<2x2x2xi8>} : tensor<2x2xf32>
// CHECK-NEXT:  func.return %[[P]], %[[T]] : tensor<3x1xf32>, tensor<2x2xf32>

// GENERIC-LABEL: "func.func"() <{sym_name = "weights"
// GENERIC:       "pot_quant.weights"() <{bits = 4 : i64, exponents = dense<{{.*}}> : tensor<3x1x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<{{.*}}> : tensor<3x1x1xi8>, zero_code}> : () -> tensor<3x1xf32>
// GENERIC-NEXT:  "pot_quant.weights"() <{bits = 3 : i64, {{.*}}}> {pot_quant.error = {{.*}}, pot_quant.sparsity = 0.000000e+00 : f64} : () -> tensor<2x2xf32>
func.func @weights() -> (tensor<3x1xf32>, tensor<2x2xf32>) {
  %p = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[-1]], [[-3]], [[0]]]> : tensor<3x1x1xi8>, min_exponent = -6 : i64, scale_exponents = dense<-1> : tensor<1xi32>, signs = dense<[[[1]], [[-1]], [[0]]]> : tensor<3x1x1xi8>, zero_code} : tensor<3x1xf32>
  %t = pot_quant.weights {pot_quant.error = {max = 0.125 : f64, relative_rms = 0.05 : f64, rms = 0.0625 : f64}, pot_quant.sparsity = 0.0 : f64, bits = 3 : i64, exponents = dense<[[[0, -2], [-1, -3]], [[2, -1], [1, 0]]]> : tensor<2x2x2xi8>, min_exponent = -3 : i64, scale_exponents = dense<[0, 2]> : tensor<2xi32>, signs = dense<[[[1, -1], [-1, 1]], [[1, 1], [-1, -1]]]> : tensor<2x2x2xi8>} : tensor<2x2xf32>
  func.return %p, %t : tensor<3x1xf32>, tensor<2x2xf32>
}

// -----

// Shift-and-add dense, with a bias and shared patterns and without a bias.
// Weights q<8, 1> (raw 96 = 2^7 - 2^5, -36 = -2^5 - 2^2, 6 = 2^3 - 2^1, 1 = 2^0):
// accumulator with bias: I = max(3 + 1, 1) + ceil(log2(4 + 1)) = 7, F = max(5 + 7, 12) = 12;
// without: I = 3 + 1 + 2 = 6, F = 12.
// CHECK-LABEL: func.func @shift_dense
// CHECK-SAME:  (%[[X:.*]]: tensor<1x4x!fixed.q<8, 3>>)
// CHECK-NEXT:  %[[B:.*]] = fixed.constant dense<[2048, -1024]> : tensor<2xi16> -> tensor<2x!fixed.q<13, 1>>
// CHECK-NEXT:  %[[S:.*]] = pot_quant.shift_dense %[[X]], %[[B]] {share, shifts = dense<{{\[\[\[}}5, 7], [2, 5], [1, 3], [0, 0]], {{\[\[}}5, 7], [2, 5], [1, 3], [0, 0]]]> : tensor<2x4x2xi8>, signs = dense<{{\[\[\[}}-1, 1], [-1, -1], [-1, 1], [1, 0]], {{\[\[}}-1, 1], [1, 1], [1, -1], [0, 0]]]> : tensor<2x4x2xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
// CHECK-NEXT:  %[[N:.*]] = pot_quant.shift_dense %[[X]] {shifts = dense<{{\[\[\[}}7], [5], [0], [3]]]> : tensor<1x4x1xi8>, signs = dense<{{\[\[\[}}-1], [1], [0], [-1]]]> : tensor<1x4x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<18, 6>>
// CHECK-NEXT:  func.return %[[S]], %[[N]] : tensor<1x2x!fixed.q<19, 7>>, tensor<1x1x!fixed.q<18, 6>>

// GENERIC-LABEL: "func.func"() <{sym_name = "shift_dense"
// GENERIC:       "pot_quant.shift_dense"(%{{.*}}, %{{.*}}) <{share, shifts = dense<{{.*}}> : tensor<2x4x2xi8>, signs = dense<{{.*}}> : tensor<2x4x2xi8>, weight_type = !fixed.q<8, 1>}> : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
// GENERIC-NEXT:  "pot_quant.shift_dense"(%{{.*}}) <{shifts = {{.*}}}> : (tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<18, 6>>
func.func @shift_dense(%x: tensor<1x4x!fixed.q<8, 3>>) -> (tensor<1x2x!fixed.q<19, 7>>, tensor<1x1x!fixed.q<18, 6>>) {
  %b = fixed.constant dense<[2048, -1024]> : tensor<2xi16> -> tensor<2x!fixed.q<13, 1>>
  %s = pot_quant.shift_dense %x, %b {share, shifts = dense<[[[5, 7], [2, 5], [1, 3], [0, 0]], [[5, 7], [2, 5], [1, 3], [0, 0]]]> : tensor<2x4x2xi8>, signs = dense<[[[-1, 1], [-1, -1], [-1, 1], [1, 0]], [[-1, 1], [1, 1], [1, -1], [0, 0]]]> : tensor<2x4x2xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
  %n = pot_quant.shift_dense %x {shifts = dense<[[[7], [5], [0], [3]]]> : tensor<1x4x1xi8>, signs = dense<[[[-1], [1], [0], [-1]]]> : tensor<1x4x1xi8>, weight_type = !fixed.q<8, 1>} : (tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<18, 6>>
  func.return %s, %n : tensor<1x2x!fixed.q<19, 7>>, tensor<1x1x!fixed.q<18, 6>>
}

// -----

// Shift-and-add convolution (3x3, pad 1; weights q<6, 2>, bias q<10, 1>):
// I = max(3 + 2, 1) + ceil(log2(9 + 1)) = 9, F = max(5 + 4, 9) = 9.
// CHECK-LABEL: func.func @shift_conv
// CHECK-SAME:  (%[[X:.*]]: tensor<1x1x4x4x!fixed.q<8, 3>>)
// CHECK-NEXT:  %[[B:.*]] = fixed.constant dense<[256, -128]> : tensor<2xi16> -> tensor<2x!fixed.q<10, 1>>
// CHECK-NEXT:  %[[C:.*]] = pot_quant.shift_conv %[[X]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, shifts = dense<{{\[\[\[\[\[}}3, 0], [2, 0], [1, 0]], {{\[\[}}2, 4], [0, 0], [3, 0]], {{\[\[}}0, 0], [4, 0], [1, 3]]]], {{\[\[\[\[}}2, 0], [2, 0], [2, 0]], {{\[\[}}3, 0], [3, 0], [3, 0]], {{\[\[}}0, 0], [0, 0], [4, 0]]]]]> : tensor<2x1x3x3x2xi8>, signs = dense<{{\[\[\[\[\[}}1, 0], [-1, 0], [1, 0]], {{\[\[}}-1, 1], [0, 0], [-1, 0]], {{\[\[}}1, 0], [1, 0], [1, -1]]]], {{\[\[\[\[}}1, 0], [1, 0], [-1, 0]], {{\[\[}}1, 0], [-1, 0], [1, 0]], {{\[\[}}0, 0], [0, 0], [1, 0]]]]]> : tensor<2x1x3x3x2xi8>, strides = array<i64: 1, 1>, weight_type = !fixed.q<6, 2>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x!fixed.q<10, 1>>) -> tensor<1x2x4x4x!fixed.q<18, 9>>
// CHECK-NEXT:  %[[D:.*]] = pot_quant.shift_conv %[[X]] {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, share, shifts = dense<{{\[\[\[\[\[}}0, 2], [1, 0]], {{\[\[}}0, 0], [0, 3]]]]]> : tensor<1x1x2x2x2xi8>, signs = dense<{{\[\[\[\[\[}}-1, 1], [1, 0]], {{\[\[}}0, 0], [1, -1]]]]]> : tensor<1x1x2x2x2xi8>, strides = array<i64: 2, 2>, weight_type = !fixed.q<5, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x1x1x!fixed.q<15, 6>>
// CHECK-NEXT:  func.return %[[C]], %[[D]]

// GENERIC-LABEL: "func.func"() <{sym_name = "shift_conv"
// GENERIC:       "pot_quant.shift_conv"(%{{.*}}, %{{.*}}) <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, shifts = {{.*}}, strides = array<i64: 1, 1>, weight_type = !fixed.q<6, 2>}> : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x!fixed.q<10, 1>>) -> tensor<1x2x4x4x!fixed.q<18, 9>>
// GENERIC-NEXT:  "pot_quant.shift_conv"(%{{.*}}) <{dilations = array<i64: 2, 2>, {{.*}}share{{.*}}}> : (tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x1x1x!fixed.q<15, 6>>
func.func @shift_conv(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> (tensor<1x2x4x4x!fixed.q<18, 9>>, tensor<1x1x1x1x!fixed.q<15, 6>>) {
  %b = fixed.constant dense<[256, -128]> : tensor<2xi16> -> tensor<2x!fixed.q<10, 1>>
  %c = pot_quant.shift_conv %x, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, shifts = dense<[[[[[3, 0], [2, 0], [1, 0]], [[2, 4], [0, 0], [3, 0]], [[0, 0], [4, 0], [1, 3]]]], [[[[2, 0], [2, 0], [2, 0]], [[3, 0], [3, 0], [3, 0]], [[0, 0], [0, 0], [4, 0]]]]]> : tensor<2x1x3x3x2xi8>, signs = dense<[[[[[1, 0], [-1, 0], [1, 0]], [[-1, 1], [0, 0], [-1, 0]], [[1, 0], [1, 0], [1, -1]]]], [[[[1, 0], [1, 0], [-1, 0]], [[1, 0], [-1, 0], [1, 0]], [[0, 0], [0, 0], [1, 0]]]]]> : tensor<2x1x3x3x2xi8>, strides = array<i64: 1, 1>, weight_type = !fixed.q<6, 2>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x!fixed.q<10, 1>>) -> tensor<1x2x4x4x!fixed.q<18, 9>>
  %d = pot_quant.shift_conv %x {dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, share, shifts = dense<[[[[[0, 2], [1, 0]], [[0, 0], [0, 3]]]]]> : tensor<1x1x2x2x2xi8>, signs = dense<[[[[[-1, 1], [1, 0]], [[0, 0], [1, -1]]]]]> : tensor<1x1x2x2x2xi8>, strides = array<i64: 2, 2>, weight_type = !fixed.q<5, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x1x1x1x!fixed.q<15, 6>>
  func.return %c, %d : tensor<1x2x4x4x!fixed.q<18, 9>>, tensor<1x1x1x1x!fixed.q<15, 6>>
}
