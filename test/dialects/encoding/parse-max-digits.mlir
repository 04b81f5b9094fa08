// RUN: not nncc-opt %s 2>&1 | filecheck %s

// A signed-digit encoding needs at least one digit per weight (the parser says so, with the
// position).
// CHECK: parse-max-digits.mlir:8:
// CHECK: encoding.signed_digits: max_digits must be >= 1, got 0
func.func @zero_digits(%x: tensor<1x2x!fixed.q<8, 3>>, %w: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>> {
  %y = fixed.dense %x, %w {encoding = #encoding.signed_digits<max_digits = 0>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}
