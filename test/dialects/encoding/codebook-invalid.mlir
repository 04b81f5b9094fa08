// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the codebook encoding, one broken op per chunk.

// Row 1 has three distinct raw weights {-1, 0, 2}.
func.func @neuron_too_many(%x: tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<18, 6>> {
  %w = fixed.constant dense<[[4, 4, -3], [2, 0, -1]]> : tensor<2x3xi8> -> tensor<2x3x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: output 1 has 3 distinct raw weights, the codebook allows 2
  %y = fixed.dense %x, %w {encoding = #encoding.codebook<k = 2, neuron>} : (tensor<1x3x!fixed.q<8, 3>>, tensor<2x3x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  func.return %y : tensor<1x2x!fixed.q<18, 6>>
}

// -----

// Each row has two values, the layer four {-3, 2, 4, 7}.
func.func @layer_too_many(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<17, 5>> {
  %w = fixed.constant dense<[[4, -3], [2, 7]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: the layer has 4 distinct raw weights, the codebook allows 3
  %y = fixed.dense %x, %w {encoding = #encoding.codebook<k = 3, layer>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<17, 5>>
  func.return %y : tensor<1x2x!fixed.q<17, 5>>
}

// -----

// A codebook is read from the weights: run-time weights cannot have one.
func.func @runtime_weights(%x: tensor<1x2x!fixed.q<8, 3>>, %w: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>> {
  // CHECK: Operation does not verify: fixed.dense: codebook weights must be a constant
  %y = fixed.dense %x, %w {encoding = #encoding.codebook<k = 4, neuron>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}
