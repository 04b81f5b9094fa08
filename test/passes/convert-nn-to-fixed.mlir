// RUN: nncc-opt %s --split-input-file -p convert-nn-to-fixed | filecheck %s
// RUN: nncc-opt %s --split-input-file -p 'convert-nn-to-fixed{width=8 weight_width=6 margin_bits=0 rounding=trn overflow=wrap}' | filecheck %s --check-prefix=NARROW

// Input range [-3, 3.5] -> I = 3 (+1 margin); weights max 0.75 -> I = 1; bias aligned to
// the product's fraction bits; output range [-5, 9] -> I = 5 (+1 margin).
// CHECK-LABEL: func.func @dense
// CHECK-SAME:  (%x: tensor<1x2xf32> {fixed.range = array<f64: -3.000000e+00, 3.500000e+00>}) -> tensor<1x2xf32>
// CHECK-NEXT:  %[[Q:.*]] = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[W:.*]] = fixed.constant dense<{{\[\[}}16384, -24576], [8192, 0]]> : tensor<2x2xi16> -> tensor<2x2x!fixed.q<16, 1>>
// CHECK-NEXT:  %[[B:.*]] = fixed.constant dense<[201326592, -67108864]> : tensor<2xi32> -> tensor<2x!fixed.q<29, 2>>
// CHECK-NEXT:  %[[ACC:.*]] = fixed.dense %[[Q]], %[[W]], %[[B]] : (tensor<1x2x!fixed.q<16, 4>>, tensor<2x2x!fixed.q<16, 1>>, tensor<2x!fixed.q<29, 2>>) -> tensor<1x2x!fixed.q<34, 7>>
// CHECK-NEXT:  %[[Y:.*]] = fixed.cast %[[ACC]] {nncc.layer = "fc", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<34, 7>> -> tensor<1x2x!fixed.q<16, 6>>
// CHECK-NEXT:  %[[R:.*]] = nn.relu %[[Y]] : tensor<1x2x!fixed.q<16, 6>>
// CHECK-NEXT:  %[[O:.*]] = fixed.dequantize %[[R]] : tensor<1x2x!fixed.q<16, 6>> -> tensor<1x2xf32>
// CHECK-NEXT:  func.return %[[O]] : tensor<1x2xf32>

// NARROW-LABEL: func.func @dense
// NARROW:       fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<8, 3>>
// NARROW-NEXT:  fixed.constant dense<{{\[\[}}16, -24], [8, 0]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<6, 1>>
// NARROW:       fixed.cast {{.*}} {nncc.layer = "fc", overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : {{.*}} -> tensor<1x2x!fixed.q<8, 5>>
func.func @dense(%x: tensor<1x2xf32> {fixed.range = array<f64: -3.0, 3.5>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[0.5, -0.75], [0.25, 0.0]]> : tensor<2x2xf32>
  %b = nn.constant dense<[1.5, -0.5]> : tensor<2xf32>
  %y = nn.dense %x, %w, %b {fixed.range = array<f64: -5.0, 9.0>} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("fc")
  %r = nn.relu %y : tensor<1x2xf32>
  func.return %r : tensor<1x2xf32>
}

// -----

// Softmax: max-subtracted exponential and reciprocal as ideal activations.
// CHECK-LABEL: func.func @softmax
// CHECK:       %[[M:.*]] = fixed.reduce_max %[[X:.*]] {axes = array<i64: 1>} : tensor<1x4x!fixed.q<16, 3>> -> tensor<1x1x!fixed.q<16, 3>>
// CHECK-NEXT:  %[[D:.*]] = fixed.sub %[[X]], %[[M]] : (tensor<1x4x!fixed.q<16, 3>>, tensor<1x1x!fixed.q<16, 3>>) -> tensor<1x4x!fixed.q<17, 4>>
// CHECK-NEXT:  %[[E:.*]] = fixed.activation %[[D]] {function = "exp"} : tensor<1x4x!fixed.q<17, 4>> -> tensor<1x4x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[S:.*]] = fixed.reduce_sum %[[E]] {axes = array<i64: 1>} : tensor<1x4x!fixed.q<16, 2>> -> tensor<1x1x!fixed.q<18, 4>>
// CHECK-NEXT:  %[[R:.*]] = fixed.activation %[[S]] {function = "reciprocal"} : tensor<1x1x!fixed.q<18, 4>> -> tensor<1x1x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[P:.*]] = fixed.mul %[[E]], %[[R]] : (tensor<1x4x!fixed.q<16, 2>>, tensor<1x1x!fixed.q<16, 2>>) -> tensor<1x4x!fixed.q<32, 4>>
// CHECK-NEXT:  fixed.cast %[[P]] {{.*}} : tensor<1x4x!fixed.q<32, 4>> -> tensor<1x4x!fixed.q<16, 2>>
func.func @softmax(%x: tensor<1x4xf32> {fixed.range = array<f64: -2.0, 1.5>}) -> tensor<1x4xf32> {
  %y = nn.softmax %x {axis = 1 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

// Global average pooling: exact sum, then a rounded 1/n constant.
// CHECK-LABEL: func.func @gap
// CHECK:       %[[S:.*]] = fixed.reduce_sum %{{.*}} {axes = array<i64: 2, 3>} : tensor<1x2x3x3x!fixed.q<16, 2>> -> tensor<1x2x1x1x!fixed.q<20, 6>>
// CHECK-NEXT:  %[[C:.*]] = fixed.constant dense<116508> : tensor<i32> -> tensor<!fixed.q<18, -2>>
// CHECK-NEXT:  %[[P:.*]] = fixed.mul %[[S]], %[[C]] : (tensor<1x2x1x1x!fixed.q<20, 6>>, tensor<!fixed.q<18, -2>>) -> tensor<1x2x1x1x!fixed.q<38, 4>>
// CHECK-NEXT:  fixed.cast %[[P]] {{.*}} -> tensor<1x2x1x1x!fixed.q<16, 1>>
func.func @gap(%x: tensor<1x2x3x3xf32> {fixed.range = array<f64: -1.0, 0.5>}) -> tensor<1x2x1x1xf32> {
  %y = nn.global_avg_pool %x {fixed.range = array<f64: -0.5, 0.25>} : tensor<1x2x3x3xf32> -> tensor<1x2x1x1xf32>
  func.return %y : tensor<1x2x1x1xf32>
}
