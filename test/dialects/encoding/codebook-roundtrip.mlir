// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// The codebook encodings survive print -> parse: at most 2 distinct raw weights per output
// (row 0 {-3, 5}, row 1 {0, 2}), at most 3 for the whole layer ({-3, 0, 5}), and a conv with
// per-filter codebooks of 2.
// CHECK-LABEL: func.func @dense
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.codebook<k = 2, neuron>}
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.codebook<k = 3, layer>}
// GENERIC:     <{encoding = #encoding.codebook<k = 2, neuron>}>
// GENERIC:     <{encoding = #encoding.codebook<k = 3, layer>}>
func.func @dense(%x: tensor<1x4x!fixed.q<8, 3>>) -> (tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x!fixed.q<18, 6>>) {
  %w = fixed.constant dense<[[5, -3, 5, 5], [2, 0, 0, 2]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %a = fixed.dense %x, %w {encoding = #encoding.codebook<k = 2, neuron>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  %v = fixed.constant dense<[[5, -3, 5, 0], [0, 0, -3, 5]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %b = fixed.dense %x, %v {encoding = #encoding.codebook<k = 3, layer>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  func.return %a, %b : tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x!fixed.q<18, 6>>
}

// -----

// CHECK-LABEL: func.func @conv
// CHECK:       fixed.conv %{{.*}}, %{{.*}} {{{.*}}encoding = #encoding.codebook<k = 2, neuron>
// GENERIC:     encoding = #encoding.codebook<k = 2, neuron>
func.func @conv(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x2x3x3x!fixed.q<16, 7>> {
  %w = fixed.constant dense<[[[[8, -4], [-4, 8]]], [[[1, 1], [0, 0]]]]> : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!fixed.q<6, 2>>
  %y = fixed.conv %x, %w {dilations = array<i64: 1, 1>, encoding = #encoding.codebook<k = 2, neuron>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
  func.return %y : tensor<1x2x3x3x!fixed.q<16, 7>>
}
