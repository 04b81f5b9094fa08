// RUN: nncc-opt %s --split-input-file -p canonicalize | filecheck %s

// CHECK-LABEL: func.func @flatten_to_reshape
func.func @flatten_to_reshape(%x: tensor<1x16x1x1xf32>) -> tensor<1x16xf32> {
  // CHECK-NEXT: %[[R:.*]] = nn.reshape %x : tensor<1x16x1x1xf32> -> tensor<1x16xf32>
  // CHECK-NEXT: func.return %[[R]]
  %f = nn.flatten %x {axis = 1 : i64} : tensor<1x16x1x1xf32> -> tensor<1x16xf32>
  func.return %f : tensor<1x16xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_chain
func.func @reshape_chain(%x: tensor<1x2x3x4xf32>) -> tensor<1x24xf32> {
  // CHECK-NEXT: %[[R:.*]] = nn.reshape %x : tensor<1x2x3x4xf32> -> tensor<1x24xf32>
  // CHECK-NEXT: func.return %[[R]]
  %a = nn.reshape %x : tensor<1x2x3x4xf32> -> tensor<1x6x4xf32>
  %b = nn.reshape %a : tensor<1x6x4xf32> -> tensor<1x24xf32>
  func.return %b : tensor<1x24xf32>
}

// -----

// CHECK-LABEL: func.func @identity_ops
func.func @identity_ops(%x: tensor<1x4x3xf32>) -> tensor<1x4x3xf32> {
  // CHECK-NEXT: func.return %x
  %a = nn.reshape %x : tensor<1x4x3xf32> -> tensor<1x4x3xf32>
  %b = nn.transpose %a {perm = array<i64: 0, 1, 2>} : tensor<1x4x3xf32> -> tensor<1x4x3xf32>
  %c = nn.pad %b {mode = #nn<pad_mode constant>, pads = array<i64: 0, 0, 0, 0, 0, 0>, value = 0.0 : f64} : tensor<1x4x3xf32> -> tensor<1x4x3xf32>
  %d = nn.concat %c {axis = 1 : i64} : (tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  func.return %d : tensor<1x4x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_chain
func.func @transpose_chain(%x: tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32> {
  // CHECK-NEXT: %[[T:.*]] = nn.transpose %x {perm = array<i64: 0, 3, 1, 2>} : tensor<1x2x3x4xf32> -> tensor<1x4x2x3xf32>
  // CHECK-NEXT: func.return %[[T]]
  %a = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x2x3x4xf32> -> tensor<1x3x4x2xf32>
  %b = nn.transpose %a {perm = array<i64: 0, 2, 3, 1>} : tensor<1x3x4x2xf32> -> tensor<1x4x2x3xf32>
  func.return %b : tensor<1x4x2x3xf32>
}

// -----

// Constant data movement is done at compile time.
// CHECK-LABEL: func.func @constant_folding
func.func @constant_folding(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  // CHECK-NEXT: %[[C:.*]] = nn.constant dense<{{\[\[\[}}1.000000e+00, 4.000000e+00, 2.000000e+00], [5.000000e+00, 3.000000e+00, 6.000000e+00]]]> : tensor<1x2x3xf32>
  // CHECK-NEXT: %[[A:.*]] = nn.add %x, %[[C]]
  // CHECK-NEXT: func.return %[[A]]
  %c = nn.constant dense<[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]> : tensor<1x2x3xf32>
  %r = nn.reshape %c : tensor<1x2x3xf32> -> tensor<1x2x3xf32>
  %t = nn.transpose %r {perm = array<i64: 0, 2, 1>} : tensor<1x2x3xf32> -> tensor<1x3x2xf32>
  %s = nn.reshape %t : tensor<1x3x2xf32> -> tensor<1x2x3xf32>
  %a = nn.add %x, %s : (tensor<1x2x3xf32>, tensor<1x2x3xf32>) -> tensor<1x2x3xf32>
  func.return %a : tensor<1x2x3xf32>
}

// -----

// x @ W with constant W becomes a dense layer with W transposed (M x K).
// CHECK-LABEL: func.func @matmul_to_dense
func.func @matmul_to_dense(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  // CHECK-NEXT: %[[W:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
  // CHECK-NEXT: %[[D:.*]] = nn.dense %x, %[[W]] : (tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<1x2xf32>
  // CHECK-NEXT: func.return %[[D]]
  %w = nn.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %y = nn.matmul %x, %w : (tensor<1x3xf32>, tensor<3x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// A product of two run-time tensors stays a matmul.
// CHECK-LABEL: func.func @matmul_runtime
func.func @matmul_runtime(%x: tensor<1x3x4xf32>, %z: tensor<1x4x2xf32>) -> tensor<1x3x2xf32> {
  // CHECK-NEXT: %[[M:.*]] = nn.matmul %x, %z
  // CHECK-NEXT: func.return %[[M]]
  %y = nn.matmul %x, %z : (tensor<1x3x4xf32>, tensor<1x4x2xf32>) -> tensor<1x3x2xf32>
  func.return %y : tensor<1x3x2xf32>
}

// -----

// A gather absorbs the transpose and the gather feeding it; selecting every element in order
// is a reshape, or nothing.
// CHECK-LABEL: func.func @gather_chain
func.func @gather_chain(%x: tensor<1x2x3xf32>) -> (tensor<1x2xf32>, tensor<1x6xf32>, tensor<1x2x3xf32>) {
  // CHECK-NEXT: %[[G:.*]] = nn.gather %x {indices = array<i64: -1, 5>} : tensor<1x2x3xf32> -> tensor<1x2xf32>
  // CHECK-NEXT: %[[R:.*]] = nn.reshape %x : tensor<1x2x3xf32> -> tensor<1x6xf32>
  // CHECK-NEXT: func.return %[[G]], %[[R]], %x
  %t = nn.transpose %x {perm = array<i64: 0, 2, 1>} : tensor<1x2x3xf32> -> tensor<1x3x2xf32>
  %a = nn.gather %t {indices = array<i64: 5, -1, 3>} : tensor<1x3x2xf32> -> tensor<1x3xf32>
  %b = nn.gather %a {indices = array<i64: 1, 0>} : tensor<1x3xf32> -> tensor<1x2xf32>
  %c = nn.gather %x {indices = array<i64: 0, 1, 2, 3, 4, 5>} : tensor<1x2x3xf32> -> tensor<1x6xf32>
  %d = nn.gather %x {indices = array<i64: 0, 1, 2, 3, 4, 5>} : tensor<1x2x3xf32> -> tensor<1x2x3xf32>
  func.return %b, %c, %d : tensor<1x2xf32>, tensor<1x6xf32>, tensor<1x2x3xf32>
}
