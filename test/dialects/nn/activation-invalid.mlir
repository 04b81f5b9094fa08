// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the generic activations, one broken op per chunk.

func.func @unknown(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // CHECK: nn.activation: unknown function 'swish'
  %y = nn.activation %x {function = "swish"} : tensor<1x8xf32>
  func.return %y : tensor<1x8xf32>
}

// -----

func.func @missing_param(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // CHECK: nn.activation: function 'selu' takes 2 parameters (alpha, gamma), got 1
  %y = nn.activation %x {function = "selu", params = array<f64: 1.0>} : tensor<1x8xf32>
  func.return %y : tensor<1x8xf32>
}
