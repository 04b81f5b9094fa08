// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// The sparse weight encodings survive print -> parse: any zeros (mask), 2 of every 4
// consecutive weights, zeros in whole 1x2 blocks, and the same non-zero count per column in
// each of 2 interleaved row groups (rows 0, 2 and rows 1, 3); complementary pairs of kernels
// (rows 0, 1 and rows 2, 3 never share a column).
// CHECK-LABEL: func.func @dense
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<mask>}
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<n = 2, m = 4>}
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<block = [1, 2]>}
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<balanced = 2>}
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<complementary = 2>}
// GENERIC:     <{encoding = #encoding.sparse<mask>}>
// GENERIC:     <{encoding = #encoding.sparse<n = 2, m = 4>}>
// GENERIC:     <{encoding = #encoding.sparse<block = [1, 2]>}>
// GENERIC:     <{encoding = #encoding.sparse<balanced = 2>}>
// GENERIC:     <{encoding = #encoding.sparse<complementary = 2>}>
func.func @dense(%x: tensor<1x4x!fixed.q<8, 3>>) -> (tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>) {
  %w = fixed.constant dense<[[0, 3, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0], [5, 6, 0, 7]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %a = fixed.dense %x, %w {encoding = #encoding.sparse<mask>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  %v = fixed.constant dense<[[0, 3, 0, 1], [1, 0, 2, 0], [0, 0, 0, 0], [5, 6, 0, 0]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %b = fixed.dense %x, %v {encoding = #encoding.sparse<n = 2, m = 4>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  %u = fixed.constant dense<[[0, 0, 4, 1], [1, 9, 0, 0], [0, 0, 0, 0], [5, 6, 2, 3]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %c = fixed.dense %x, %u {encoding = #encoding.sparse<block = [1, 2]>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  %t = fixed.constant dense<[[1, 0, 0, 2], [0, 3, 0, 4], [0, 5, 0, 0], [6, 0, 0, 0]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %d = fixed.dense %x, %t {encoding = #encoding.sparse<balanced = 2>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  %s = fixed.constant dense<[[1, 0, 0, 2], [0, 3, 4, 0], [0, 5, 0, 0], [6, 0, 7, 8]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %e = fixed.dense %x, %s {encoding = #encoding.sparse<complementary = 2>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  func.return %a, %b, %c, %d, %e : tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>, tensor<1x4x!fixed.q<18, 6>>
}

// -----

// On a convolution the rows are the output channels and the reduction axis is
// (input channel, kernel row, kernel column) in the weight's order: 1 of every 2.
// CHECK-LABEL: func.func @conv
// CHECK:       encoding = #encoding.sparse<n = 1, m = 2>
func.func @conv(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x2x3x3x!fixed.q<16, 7>> {
  %w = fixed.constant dense<[[[[8, 0], [0, 3]]], [[[0, 1], [2, 0]]]]> : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!fixed.q<6, 2>>
  %y = fixed.conv %x, %w {dilations = array<i64: 1, 1>, encoding = #encoding.sparse<n = 1, m = 2>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
  func.return %y : tensor<1x2x3x3x!fixed.q<16, 7>>
}
