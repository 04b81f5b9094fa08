// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// The XNOR-popcount convolution survives print -> parse (custom and generic forms), with a
// bias (its result is fixed.conv's accumulator, q<12, 9>) and without (K = 18: q<9, 9>).
// CHECK-LABEL: func.func @xnor_conv
// CHECK-SAME:  (%[[X:.*]]: tensor<1x2x3x3x!fixed.q<2, 2>>)
// CHECK-NEXT:  %[[W:.*]] = fixed.constant
// CHECK-NEXT:  %[[B:.*]] = fixed.constant dense<[3, -5]>
// CHECK-NEXT:  %[[Y:.*]] = binary_complex.xnor_conv %[[X]], %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x3x3x!fixed.q<12, 9>>
// CHECK-NEXT:  %[[Z:.*]] = binary_complex.xnor_conv %[[X]], %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>) -> tensor<1x2x1x1x!fixed.q<9, 9>>
// CHECK-NEXT:  func.return %[[Y]], %[[Z]]

// GENERIC-LABEL: "func.func"() <{sym_name = "xnor_conv"
// GENERIC:       "binary_complex.xnor_conv"(%{{.*}}, %{{.*}}, %{{.*}}) <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}> : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x3x3x!fixed.q<12, 9>>
// GENERIC-NEXT:  "binary_complex.xnor_conv"(%{{.*}}, %{{.*}}) <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}>
func.func @xnor_conv(%x: tensor<1x2x3x3x!fixed.q<2, 2>>) -> (tensor<1x2x3x3x!fixed.q<12, 9>>, tensor<1x2x1x1x!fixed.q<9, 9>>) {
  %w = fixed.constant dense<[[[[1, -1, 1], [1, 1, -1], [-1, -1, 1]], [[1, 1, 1], [-1, 1, -1], [1, -1, -1]]], [[[-1, -1, 1], [1, -1, 1], [1, 1, 1]], [[-1, 1, -1], [1, 1, 1], [-1, -1, 1]]]]> : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!fixed.q<2, 2>>
  %b = fixed.constant dense<[3, -5]> : tensor<2xi8> -> tensor<2x!fixed.q<6, 3>>
  %y = binary_complex.xnor_conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>, tensor<2x!fixed.q<6, 3>>) -> tensor<1x2x3x3x!fixed.q<12, 9>>
  %z = binary_complex.xnor_conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>) -> tensor<1x2x1x1x!fixed.q<9, 9>>
  func.return %y, %z : tensor<1x2x3x3x!fixed.q<12, 9>>, tensor<1x2x1x1x!fixed.q<9, 9>>
}
