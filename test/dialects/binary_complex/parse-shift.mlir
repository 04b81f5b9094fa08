// RUN: not nncc-opt %s 2>&1 | filecheck %s

// A binary encoding's magnitude 2^shift must fit a 64-bit raw weight (the parser says so,
// with the position).
// CHECK: parse-shift.mlir:9:
// CHECK: encoding.binary: shift must be in [0, 62], got 63
func.func @huge_shift(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<13, 7>> {
  %w = fixed.constant dense<[[2, -2]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<4, 3>>
  %y = fixed.dense %x, %w {encoding = #encoding.binary<shift = 63>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<4, 3>>) -> tensor<1x1x!fixed.q<13, 7>>
  func.return %y : tensor<1x1x!fixed.q<13, 7>>
}
