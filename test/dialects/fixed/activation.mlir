// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file | filecheck %s

// fixed.activation with the parameter of its function.
// CHECK-LABEL: func.func @fixed_activation
// CHECK-NEXT:  %[[P:.*]] = fixed.activation %x {function = "pow", params = array<f64: -7.500000e-01>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<16, 6>>
func.func @fixed_activation(%x: tensor<1x4x!fixed.q<16, 4>>) -> tensor<1x4x!fixed.q<16, 6>> {
  %p = fixed.activation %x {function = "pow", params = array<f64: -0.75>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<16, 6>>
  func.return %p : tensor<1x4x!fixed.q<16, 6>>
}
