// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of fixed.activation.

func.func @fixed_extra_param(%x: tensor<1x4x!fixed.q<16, 4>>) -> tensor<1x4x!fixed.q<16, 2>> {
  // CHECK: fixed.activation: function 'sigmoid' takes 0 parameters (none), got 1
  %y = fixed.activation %x {function = "sigmoid", params = array<f64: 1.0>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<16, 2>>
  func.return %y : tensor<1x4x!fixed.q<16, 2>>
}
