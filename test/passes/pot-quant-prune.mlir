// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p pot-quant-prune | filecheck %s
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-prune{below=-4}' | filecheck %s --check-prefix=BELOW4
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-prune{below=-3}' | filecheck %s --check-prefix=BELOW3
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-prune{fraction=0.25}' | filecheck %s --check-prefix=FRAC25
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-prune{fraction=0.3}' | filecheck %s --check-prefix=FRAC30
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-prune{fraction=0.5}' | filecheck %s --check-prefix=FRAC50
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-prune{below=-3 fraction=0.75}' | filecheck %s --check-prefix=BOTH

// Two-digit weights, scales [2^0, 2^-2] per output channel (values; leading exponent
// relative to the scale):
//   channel 0: 1 (0), -0.5 (-1), 2^-4 - 2^-6 = 0.046875 (-4), -2^-6 (-6)
//   channel 1: 0.25 (0), 2^-6 (-4), -0.125 (-1), 0
// Default: nothing to prune, one zero of eight: sparsity 0.125.
// below = -4 zeroes -2^-6 of channel 0 (0.25); below = -3 also 0.046875 and 2^-6 of channel 1 (0.5).
// fraction = 0.25: ceil(2) zeros, one more than the existing zero: the smallest magnitude
// 2^-6 occurs twice, the first in element order (channel 0) goes. fraction = 0.3: ceil(2.4)
// = 3 zeros, both 2^-6. fraction = 0.5: 4 zeros, then 0.046875.
// below = -3 and fraction = 0.75: the threshold leaves 4 zeros, the fraction adds -0.125
// and 0.25 (6 of 8). Zeroed weights have sign 0 and exponent 0.
// CHECK-LABEL:  func.func @prune
// CHECK-NEXT:   %[[W:.*]] = pot_quant.weights {pot_quant.sparsity = 1.250000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [-6, -4], [-6, 0]], {{\[\[}}-2, 0], [-6, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [-1, 1], [-1, 0]], {{\[\[}}1, 0], [1, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
// CHECK-NEXT:   nn.dense %x, %[[W]]
// BELOW4-LABEL: func.func @prune
// BELOW4-NEXT:  pot_quant.weights {pot_quant.sparsity = 2.500000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [-6, -4], [0, 0]], {{\[\[}}-2, 0], [-6, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [-1, 1], [0, 0]], {{\[\[}}1, 0], [1, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
// BELOW3-LABEL: func.func @prune
// BELOW3-NEXT:  pot_quant.weights {pot_quant.sparsity = 5.000000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [0, 0], [0, 0]], {{\[\[}}-2, 0], [0, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [0, 0], [0, 0]], {{\[\[}}1, 0], [0, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
// FRAC25-LABEL: func.func @prune
// FRAC25-NEXT:  pot_quant.weights {pot_quant.sparsity = 2.500000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [-6, -4], [0, 0]], {{\[\[}}-2, 0], [-6, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [-1, 1], [0, 0]], {{\[\[}}1, 0], [1, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
// FRAC30-LABEL: func.func @prune
// FRAC30-NEXT:  pot_quant.weights {pot_quant.sparsity = 3.750000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [-6, -4], [0, 0]], {{\[\[}}-2, 0], [0, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [-1, 1], [0, 0]], {{\[\[}}1, 0], [0, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
// FRAC50-LABEL: func.func @prune
// FRAC50-NEXT:  pot_quant.weights {pot_quant.sparsity = 5.000000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [0, 0], [0, 0]], {{\[\[}}-2, 0], [0, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [0, 0], [0, 0]], {{\[\[}}1, 0], [0, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
// BOTH-LABEL:   func.func @prune
// BOTH-NEXT:    pot_quant.weights {pot_quant.sparsity = 7.500000e-01 : f64, bits = 4 : i64, exponents = dense<{{\[\[\[}}0, 0], [-1, 0], [0, 0], [0, 0]], {{\[\[}}0, 0], [0, 0], [0, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<{{\[\[\[}}1, 0], [-1, 0], [0, 0], [0, 0]], {{\[\[}}0, 0], [0, 0], [0, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
func.func @prune(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[0, 0], [-1, 0], [-6, -4], [-6, 0]], [[-2, 0], [-6, 0], [-3, 0], [0, 0]]]> : tensor<2x4x2xi8>, min_exponent = -6 : i64, scale_exponents = dense<[0, -2]> : tensor<2xi32>, signs = dense<[[[1, 0], [-1, 0], [-1, 1], [-1, 0]], [[1, 0], [1, 0], [-1, 0], [0, 0]]]> : tensor<2x4x2xi8>, zero_code} : tensor<2x4xf32>
  %y = nn.dense %x, %w : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// Weights without a zero code cannot be pruned.
// CHECK: pot-quant-prune: the weights have no zero code (quantize with zero_code=true)
func.func @no_zero_code(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %w = pot_quant.weights {bits = 4 : i64, exponents = dense<[[[0], [-7]]]> : tensor<1x2x1xi8>, min_exponent = -7 : i64, scale_exponents = dense<0> : tensor<1xi32>, signs = dense<[[[1], [1]]]> : tensor<1x2x1xi8>} : tensor<1x2xf32>
  %y = nn.dense %x, %w : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}
