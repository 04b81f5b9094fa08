// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file | filecheck %s

// The generic activation (with and without parameters) and the binary maximum / minimum.
// CHECK-LABEL: func.func @elementwise
// CHECK-NEXT:  %[[E:.*]] = nn.activation %x {function = "elu", params = array<f64: 1.000000e+00>} : tensor<1x8xf32>
// CHECK-NEXT:  %[[G:.*]] = nn.activation %[[E]] {function = "gelu"} : tensor<1x8xf32>
// CHECK-NEXT:  %[[M:.*]] = nn.max %[[G]], %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT:  %[[N:.*]] = nn.min %[[M]], %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT:  func.return %[[N]]
func.func @elementwise(%x: tensor<1x8xf32>, %b: tensor<8xf32>) -> tensor<1x8xf32> {
  %e = nn.activation %x {function = "elu", params = array<f64: 1.0>} : tensor<1x8xf32>
  %g = nn.activation %e {function = "gelu"} : tensor<1x8xf32>
  %m = nn.max %g, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  %n = nn.min %m, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  func.return %n : tensor<1x8xf32>
}

// -----

// fixed.activation with the parameter of its function.
// CHECK-LABEL: func.func @fixed_activation
// CHECK-NEXT:  %[[P:.*]] = fixed.activation %x {function = "pow", params = array<f64: -7.500000e-01>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<16, 6>>
func.func @fixed_activation(%x: tensor<1x4x!fixed.q<16, 4>>) -> tensor<1x4x!fixed.q<16, 6>> {
  %p = fixed.activation %x {function = "pow", params = array<f64: -0.75>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<16, 6>>
  func.return %p : tensor<1x4x!fixed.q<16, 6>>
}
