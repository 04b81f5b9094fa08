// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// The weight encodings on fixed.dense / fixed.conv survive print -> parse (custom and
// generic forms); absent means two's complement, which may also be written out.

// Two-digit weights (raw 96 = 2^7 - 2^5, -36 = -2^5 - 2^2, 6 = 2^3 - 2^1, 1, 40 = 2^5 + 2^3,
// -12 = -2^4 + 2^2, 0) with shared patterns, power-of-two weights, and run-time weights in
// two's complement.
// CHECK-LABEL: func.func @dense
// CHECK-SAME:  (%[[X:.*]]: tensor<1x4x!fixed.q<8, 3>>, %[[V:.*]]: tensor<1x4x!fixed.q<8, 1>>)
// CHECK-NEXT:  %[[W:.*]] = fixed.constant dense<{{\[\[}}96, -36, 6, 1], [96, 40, -12, 0]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
// CHECK-NEXT:  %[[B:.*]] = fixed.constant dense<[2048, -1024]> : tensor<2xi16> -> tensor<2x!fixed.q<13, 1>>
// CHECK-NEXT:  %[[S:.*]] = fixed.dense %[[X]], %[[W]], %[[B]] {encoding = #encoding.signed_digits<max_digits = 2, share>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
// CHECK-NEXT:  %[[P:.*]] = fixed.constant dense<{{\[\[}}-128, 32, 0, -8]]> : tensor<1x4xi8> -> tensor<1x4x!fixed.q<8, 1>>
// CHECK-NEXT:  %[[Q:.*]] = fixed.dense %[[X]], %[[P]] {encoding = #encoding.signed_digits<max_digits = 1>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
// CHECK-NEXT:  %[[R:.*]] = fixed.dense %[[X]], %[[V]] {encoding = #encoding.twos_complement} : (tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
// CHECK-NEXT:  func.return %[[S]], %[[Q]], %[[R]]

// GENERIC-LABEL: "func.func"() <{sym_name = "dense"
// GENERIC:       "fixed.dense"(%{{.*}}, %{{.*}}, %{{.*}}) <{encoding = #encoding.signed_digits<max_digits = 2, share>}> : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
// GENERIC:       "fixed.dense"(%{{.*}}, %{{.*}}) <{encoding = #encoding.signed_digits<max_digits = 1>}>
// GENERIC-NEXT:  "fixed.dense"(%{{.*}}, %{{.*}}) <{encoding = #encoding.twos_complement}>
func.func @dense(%x: tensor<1x4x!fixed.q<8, 3>>, %v: tensor<1x4x!fixed.q<8, 1>>) -> (tensor<1x2x!fixed.q<19, 7>>, tensor<1x1x!fixed.q<18, 6>>, tensor<1x1x!fixed.q<18, 6>>) {
  %w = fixed.constant dense<[[96, -36, 6, 1], [96, 40, -12, 0]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %b = fixed.constant dense<[2048, -1024]> : tensor<2xi16> -> tensor<2x!fixed.q<13, 1>>
  %s = fixed.dense %x, %w, %b {encoding = #encoding.signed_digits<max_digits = 2, share>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
  %p = fixed.constant dense<[[-128, 32, 0, -8]]> : tensor<1x4xi8> -> tensor<1x4x!fixed.q<8, 1>>
  %q = fixed.dense %x, %p {encoding = #encoding.signed_digits<max_digits = 1>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
  %r = fixed.dense %x, %v {encoding = #encoding.twos_complement} : (tensor<1x4x!fixed.q<8, 3>>, tensor<1x4x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<18, 6>>
  func.return %s, %q, %r : tensor<1x2x!fixed.q<19, 7>>, tensor<1x1x!fixed.q<18, 6>>, tensor<1x1x!fixed.q<18, 6>>
}

// -----

// A convolution with power-of-two weights next to its other properties, and one without an
// encoding (two's complement).
// CHECK-LABEL: func.func @conv
// CHECK-NEXT:  %[[W:.*]] = fixed.constant dense<{{\[\[\[\[}}8, -4], [2, 0]]], {{\[\[\[}}16, -1], [-16, 4]]]]> : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!fixed.q<6, 2>>
// CHECK-NEXT:  %[[Y:.*]] = fixed.conv %x, %[[W]] {dilations = array<i64: 1, 1>, encoding = #encoding.signed_digits<max_digits = 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
// CHECK-NEXT:  %[[Z:.*]] = fixed.conv %x, %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} :
// CHECK-NEXT:  func.return %[[Y]], %[[Z]]

// GENERIC-LABEL: "func.func"() <{sym_name = "conv"
// GENERIC:       "fixed.conv"(%{{.*}}, %{{.*}}) <{dilations = array<i64: 1, 1>, encoding = #encoding.signed_digits<max_digits = 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}>
// GENERIC-NEXT:  "fixed.conv"(%{{.*}}, %{{.*}}) <{dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>}>
func.func @conv(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> (tensor<1x2x3x3x!fixed.q<16, 7>>, tensor<1x2x3x3x!fixed.q<16, 7>>) {
  %w = fixed.constant dense<[[[[8, -4], [2, 0]]], [[[16, -1], [-16, 4]]]]> : tensor<2x1x2x2xi8> -> tensor<2x1x2x2x!fixed.q<6, 2>>
  %y = fixed.conv %x, %w {dilations = array<i64: 1, 1>, encoding = #encoding.signed_digits<max_digits = 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
  %z = fixed.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
  func.return %y, %z : tensor<1x2x3x3x!fixed.q<16, 7>>, tensor<1x2x3x3x!fixed.q<16, 7>>
}
