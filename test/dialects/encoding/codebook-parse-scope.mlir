// RUN: not nncc-opt %s 2>&1 | filecheck %s

// A codebook applies per neuron or per layer (the parser says so, with the position).
// CHECK: codebook-parse-scope.mlir:7:
// CHECK: encoding.codebook: scope must be neuron or layer, got 'channel'
func.func @bad_scope(%x: tensor<1x2x!fixed.q<8, 3>>, %w: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>> {
  %y = fixed.dense %x, %w {encoding = #encoding.codebook<k = 2, channel>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}
