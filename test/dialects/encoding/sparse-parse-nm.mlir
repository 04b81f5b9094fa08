// RUN: not nncc-opt %s 2>&1 | filecheck %s

// N:M needs 1 <= N < M (the parser says so, with the position).
// CHECK: sparse-parse-nm.mlir:7:
// CHECK: encoding.sparse: n:m needs 1 <= n < m, got 4:4
func.func @four_of_four(%x: tensor<1x4x!fixed.q<8, 3>>, %w: tensor<1x4x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>> {
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<n = 4, m = 4>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
  func.return %y : tensor<1x1x!fixed.q<18, 6>>
}
