// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p pot-quant-replace-mul-with-shift | filecheck %s
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-replace-mul-with-shift{share=true}' | filecheck %s --check-prefix=SHARE
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-replace-mul-with-shift{all_layers=true}' | filecheck %s --check-prefix=ALL
// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p 'pot-quant-replace-mul-with-shift{all_layers=true max_terms=2}' | filecheck %s --check-prefix=MAX

// A fixed.dense whose constant carries a two-digit code keeps its op kind, weight, bias,
// accumulator type and attributes, and gets the signed-digit encoding with the code's digit
// count: the raw weights 96 = -2^5 + 2^7, -36 = -2^2 - 2^5, 6 = -2^1 + 2^3, 1 = 2^0,
// 40 = 2^3 + 2^5, -12 = 2^2 - 2^4 and 0 have at most two canonical signed digits.
// CHECK-LABEL:  func.func @dense
// CHECK-SAME:   (%[[X:.*]]: tensor<1x4x!fixed.q<8, 3>>)
// CHECK-NEXT:   %[[W:.*]] = fixed.constant dense<{{\[\[}}96, -36, 6, 1], [96, 40, -12, 0]]> : tensor<2x4xi8> {pot_quant.code = {bits = 4 : i64, terms = 2 : i64}} -> tensor<2x4x!fixed.q<8, 1>>
// CHECK-NEXT:   %[[B:.*]] = fixed.constant dense<[2048, -1024]> : tensor<2xi16> -> tensor<2x!fixed.q<13, 1>>
// CHECK-NEXT:   %[[Y:.*]] = fixed.dense %[[X]], %[[W]], %[[B]] {nncc.layer = "fc", encoding = #encoding.signed_digits<max_digits = 2>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>>
// CHECK-NEXT:   func.return %[[Y]] : tensor<1x2x!fixed.q<19, 7>>
// SHARE-LABEL:  func.func @dense
// SHARE-NEXT:   fixed.constant dense<{{\[\[}}96, -36, 6, 1], [96, 40, -12, 0]]>
// SHARE-NEXT:   fixed.constant dense<[2048, -1024]>
// SHARE-NEXT:   fixed.dense %x, %w, %b {nncc.layer = "fc", encoding = #encoding.signed_digits<max_digits = 2, share>} :
// SHARE-NEXT:   func.return
func.func @dense(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<19, 7>> {
  %w = fixed.constant dense<[[96, -36, 6, 1], [96, 40, -12, 0]]> : tensor<2x4xi8> {pot_quant.code = {bits = 4 : i64, terms = 2 : i64}} -> tensor<2x4x!fixed.q<8, 1>>
  %b = fixed.constant dense<[2048, -1024]> : tensor<2xi16> -> tensor<2x!fixed.q<13, 1>>
  %y = fixed.dense %x, %w, %b {nncc.layer = "fc"} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>, tensor<2x!fixed.q<13, 1>>) -> tensor<1x2x!fixed.q<19, 7>> loc("fc")
  func.return %y : tensor<1x2x!fixed.q<19, 7>>
}

// -----

// Power-of-two conv weights (one digit each): 8 = 2^3, -4 = -2^2, 2 = 2^1, 16 = 2^4,
// -1 = -2^0, -16 = -2^4, 4 = 2^2.
// CHECK-LABEL:  func.func @conv
// CHECK-NEXT:   %[[W:.*]] = fixed.constant
// CHECK-NEXT:   %[[Y:.*]] = fixed.conv %x, %[[W]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, encoding = #encoding.signed_digits<max_digits = 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
// CHECK-NEXT:   func.return %[[Y]]
// SHARE-LABEL:  func.func @conv
// SHARE-NEXT:   fixed.constant
// SHARE-NEXT:   fixed.conv %x, %w {{{.*}}, encoding = #encoding.signed_digits<max_digits = 1, share>} :
func.func @conv(%x: tensor<1x1x4x4x!fixed.q<8, 3>>) -> tensor<1x2x3x3x!fixed.q<16, 7>> {
  %w = fixed.constant dense<[[[[8, -4], [2, 0]]], [[[16, -1], [-16, 4]]]]> : tensor<2x1x2x2xi8> {pot_quant.code = {bits = 4 : i64, terms = 1 : i64}} -> tensor<2x1x2x2x!fixed.q<6, 2>>
  %y = fixed.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x2x2x!fixed.q<6, 2>>) -> tensor<1x2x3x3x!fixed.q<16, 7>>
  func.return %y : tensor<1x2x3x3x!fixed.q<16, 7>>
}

// -----

// Uniform (unmarked) constants are left alone unless all_layers: then the digit count is
// the most any weight needs: 7 = -2^0 + 2^3, -3 = 2^0 - 2^2, 6 = -2^1 + 2^3 (two digits) and
// 85 = 2^0 + 2^2 + 2^4 + 2^6 (four digits). max_terms = 2 keeps the multiplier for 85.
// CHECK-LABEL:  func.func @unmarked
// CHECK-NEXT:   %[[W:.*]] = fixed.constant dense<{{\[\[}}7, -3], [0, 6]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
// CHECK-NEXT:   fixed.dense %x, %[[W]] :
// CHECK-NEXT:   %[[V:.*]] = fixed.constant dense<{{\[\[}}85, 1]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 0>>
// CHECK-NEXT:   fixed.dense %x, %[[V]] :
// ALL-LABEL:    func.func @unmarked
// ALL-NEXT:     %[[W:.*]] = fixed.constant dense<{{\[\[}}7, -3], [0, 6]]>
// ALL-NEXT:     %[[Y:.*]] = fixed.dense %x, %[[W]] {encoding = #encoding.signed_digits<max_digits = 2>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<17, 5>>
// ALL-NEXT:     %[[V:.*]] = fixed.constant dense<{{\[\[}}85, 1]]>
// ALL-NEXT:     %[[Z:.*]] = fixed.dense %x, %[[V]] {encoding = #encoding.signed_digits<max_digits = 4>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 0>>) -> tensor<1x1x!fixed.q<17, 4>>
// ALL-NEXT:     func.return %[[Y]], %[[Z]]
// MAX-LABEL:    func.func @unmarked
// MAX-NEXT:     fixed.constant dense<{{\[\[}}7, -3], [0, 6]]>
// MAX-NEXT:     fixed.dense %x, %w {encoding = #encoding.signed_digits<max_digits = 2>} :
// MAX-NEXT:     %[[V:.*]] = fixed.constant dense<{{\[\[}}85, 1]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 0>>
// MAX-NEXT:     fixed.dense %x, %[[V]] :
func.func @unmarked(%x: tensor<1x2x!fixed.q<8, 3>>) -> (tensor<1x2x!fixed.q<17, 5>>, tensor<1x1x!fixed.q<17, 4>>) {
  %w = fixed.constant dense<[[7, -3], [0, 6]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
  %y = fixed.dense %x, %w : (tensor<1x2x!fixed.q<8, 3>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<17, 5>>
  %v = fixed.constant dense<[[85, 1]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 0>>
  %z = fixed.dense %x, %v : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 0>>) -> tensor<1x1x!fixed.q<17, 4>>
  func.return %y, %z : tensor<1x2x!fixed.q<17, 5>>, tensor<1x1x!fixed.q<17, 4>>
}

// -----

// A layer that already has an encoding is left alone, even with a marked weight.
// CHECK-LABEL:  func.func @already_encoded
// CHECK-NEXT:   fixed.constant
// CHECK-NEXT:   fixed.dense %x, %w {encoding = #encoding.twos_complement} :
// ALL-LABEL:    func.func @already_encoded
// ALL-NEXT:     fixed.constant
// ALL-NEXT:     fixed.dense %x, %w {encoding = #encoding.twos_complement} :
func.func @already_encoded(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<17, 5>> {
  %w = fixed.constant dense<[[4, -8]]> : tensor<1x2xi8> {pot_quant.code = {bits = 4 : i64, terms = 1 : i64}} -> tensor<1x2x!fixed.q<8, 1>>
  %y = fixed.dense %x, %w {encoding = #encoding.twos_complement} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x1x!fixed.q<17, 5>>
  func.return %y : tensor<1x1x!fixed.q<17, 5>>
}

// -----

// A marked weight needing more digits than its code: 3 / 16 = 2^-2 - 2^-4 needs two
// (11 / 16 would need three), the code has one.
// CHECK: pot-quant-replace-mul-with-shift: weight 0.1875 of 'fc' needs 2 signed digits, its code has 1
// ALL:   pot-quant-replace-mul-with-shift: weight 0.1875 of 'fc' needs 2 signed digits, its code has 1
func.func @too_many_digits(%x: tensor<1x3x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<15, 6>> {
  %w = fixed.constant dense<[[4, 3, 11]]> : tensor<1x3xi8> {pot_quant.code = {bits = 4 : i64, terms = 1 : i64}} -> tensor<1x3x!fixed.q<5, 1>>
  %y = fixed.dense %x, %w : (tensor<1x3x!fixed.q<8, 3>>, tensor<1x3x!fixed.q<5, 1>>) -> tensor<1x1x!fixed.q<15, 6>> loc("fc")
  func.return %y : tensor<1x1x!fixed.q<15, 6>>
}
