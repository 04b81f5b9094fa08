// RUN: not nncc-opt %s 2>&1 | filecheck %s

// The only flag after max_digits is `share`.
// CHECK: parse-flag.mlir:7:
// CHECK: Expected 'share'
func.func @unknown_flag(%x: tensor<1x2x!fixed.q<8, 3>>, %w: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>> {
  %y = fixed.dense %x, %w {encoding = #encoding.signed_digits<max_digits = 1, shared>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}
