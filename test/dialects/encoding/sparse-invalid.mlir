// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the sparse weight encodings, one broken op per chunk.

// Row 1 has three non-zeros in its first group of four.
func.func @too_dense_for_2_of_4(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<18, 6>> {
  %w = fixed.constant dense<[[1, 0, 0, 2], [3, 4, 0, 5]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: row 1 has 3 non-zeros in weights 0..3, the encoding allows 2 of 4
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<n = 2, m = 4>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  func.return %y : tensor<1x2x!fixed.q<18, 6>>
}

// -----

// 2 x 3 blocks do not tile a 2 x 4 weight.
func.func @block_does_not_tile(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<18, 6>> {
  %w = fixed.constant dense<[[1, 0, 0, 2], [3, 4, 0, 5]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: block [2, 3] does not tile the [2, 4] weights
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<block = [2, 3]>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  func.return %y : tensor<1x2x!fixed.q<18, 6>>
}

// -----

// Column 0 has a non-zero in row 0 (group 0) but none in row 1 (group 1).
func.func @unbalanced(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<17, 5>> {
  %w = fixed.constant dense<[[1, 2], [0, 3]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: column 0 has [1, 0] non-zeros in the 2 row groups, they must be equal
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<balanced = 2>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<17, 5>>
  func.return %y : tensor<1x2x!fixed.q<17, 5>>
}

// -----

// The zeros must be known: run-time weights cannot be sparse-encoded.
func.func @runtime_weights(%x: tensor<1x2x!fixed.q<8, 3>>, %w: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>> {
  // CHECK: Operation does not verify: fixed.dense: sparse weights must be a constant
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<mask>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}

// -----

// Complementary kernels 2 and 3 (the second group) both use column 2.
func.func @overlapping(%x: tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<18, 6>> {
  %w = fixed.constant dense<[[1, 0, 2], [0, 3, 0], [0, 5, 1], [6, 0, 7]]> : tensor<4x3xi8> -> tensor<4x3x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: rows [2, 3] of kernel group 1 share column 2; complementary kernels must be disjoint
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<complementary = 2>} : (tensor<1x3x!fixed.q<8, 3>>, tensor<4x3x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  func.return %y : tensor<1x4x!fixed.q<18, 6>>
}

// -----

// Groups of 3 kernels do not divide 4 rows.
func.func @ungrouped(%x: tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<18, 6>> {
  %w = fixed.constant dense<[[1, 0, 0], [0, 3, 0], [0, 0, 1], [6, 0, 0]]> : tensor<4x3xi8> -> tensor<4x3x!fixed.q<8, 1>>
  // CHECK: Operation does not verify: fixed.dense: groups of 3 kernels do not divide the 4 rows
  %y = fixed.dense %x, %w {encoding = #encoding.sparse<complementary = 3>} : (tensor<1x3x!fixed.q<8, 3>>, tensor<4x3x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  func.return %y : tensor<1x4x!fixed.q<18, 6>>
}
