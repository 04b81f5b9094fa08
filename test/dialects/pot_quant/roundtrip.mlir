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
