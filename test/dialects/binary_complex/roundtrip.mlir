// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// A binary layer pair survives print -> parse (custom and generic forms): XNOR-popcount
// dense on +-1 weights (K = 8: the result is an integer in [-8, 8], q<5, 5>), then the
// folded batch-norm + sign thresholds (one per channel, a direction per channel).
// CHECK-LABEL: func.func @binary_pair
// CHECK-SAME:  (%[[X:.*]]: tensor<1x8x!fixed.q<2, 2>>)
// CHECK-NEXT:  %[[W:.*]] = fixed.constant dense<{{\[\[}}1, -1, 1, 1, -1, -1, 1, -1], [-1, -1, -1, 1, 1, 1, 1, -1], [1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<3x8xi8> -> tensor<3x8x!fixed.q<2, 2>>
// CHECK-NEXT:  %[[Y:.*]] = binary_complex.xnor_dense %[[X]], %[[W]] : (tensor<1x8x!fixed.q<2, 2>>, tensor<3x8x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<5, 5>>
// CHECK-NEXT:  %[[T:.*]] = binary_complex.threshold %[[Y]] {directions = array<i64: 1, -1, 1>, thresholds = array<i64: 2, -3, -16>} : (tensor<1x3x!fixed.q<5, 5>>) -> tensor<1x3x!fixed.q<2, 2>>
// CHECK-NEXT:  func.return %[[T]]

// GENERIC-LABEL: "func.func"() <{sym_name = "binary_pair"
// GENERIC:       "binary_complex.xnor_dense"(%{{.*}}, %{{.*}}) : (tensor<1x8x!fixed.q<2, 2>>, tensor<3x8x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<5, 5>>
// GENERIC-NEXT:  "binary_complex.threshold"(%{{.*}}) <{directions = array<i64: 1, -1, 1>, thresholds = array<i64: 2, -3, -16>}> : (tensor<1x3x!fixed.q<5, 5>>) -> tensor<1x3x!fixed.q<2, 2>>
func.func @binary_pair(%x: tensor<1x8x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<2, 2>> {
  %w = fixed.constant dense<[[1, -1, 1, 1, -1, -1, 1, -1], [-1, -1, -1, 1, 1, 1, 1, -1], [1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<3x8xi8> -> tensor<3x8x!fixed.q<2, 2>>
  %y = binary_complex.xnor_dense %x, %w : (tensor<1x8x!fixed.q<2, 2>>, tensor<3x8x!fixed.q<2, 2>>) -> tensor<1x3x!fixed.q<5, 5>>
  %t = binary_complex.threshold %y {directions = array<i64: 1, -1, 1>, thresholds = array<i64: 2, -3, -16>} : (tensor<1x3x!fixed.q<5, 5>>) -> tensor<1x3x!fixed.q<2, 2>>
  func.return %t : tensor<1x3x!fixed.q<2, 2>>
}

// -----

// A first layer: fixed-point inputs times binary weights of magnitude 2^2 (raw +-4), a
// fixed.dense with the binary weight encoding (add or subtract per term, no multiplier).
// CHECK-LABEL: func.func @binary_first_layer
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.binary<shift = 2>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<4, 3>>) -> tensor<1x2x!fixed.q<14, 8>>
// GENERIC-LABEL: "func.func"() <{sym_name = "binary_first_layer"
// GENERIC:       "fixed.dense"(%{{.*}}, %{{.*}}) <{encoding = #encoding.binary<shift = 2>}>
func.func @binary_first_layer(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x2x!fixed.q<14, 8>> {
  %w = fixed.constant dense<[[4, -4, 4, 4], [-4, -4, 4, -4]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<4, 3>>
  %y = fixed.dense %x, %w {encoding = #encoding.binary<shift = 2>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<4, 3>>) -> tensor<1x2x!fixed.q<14, 8>>
  func.return %y : tensor<1x2x!fixed.q<14, 8>>
}

// -----

// The complex layers at the float level (channels [re; im]): a convolution with the
// complex bias [Re(c); Im(c)] in the Gauss form (products = 3), a dense layer without bias.
// CHECK-LABEL: func.func @complex_layers
// CHECK-NEXT:  %[[A:.*]] = nn.constant
// CHECK-NEXT:  %[[B:.*]] = nn.constant
// CHECK-NEXT:  %[[C:.*]] = nn.constant
// CHECK-NEXT:  %[[Y:.*]] = binary_complex.complex_conv %h, %[[A]], %[[B]], %[[C]] {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, products = 3 : i64, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK:       %[[Z:.*]] = binary_complex.complex_dense %v, %{{.*}}, %{{.*}} : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<1x6xf32>
// GENERIC-LABEL: "func.func"() <{sym_name = "complex_layers"
// GENERIC:       "binary_complex.complex_conv"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, products = 3 : i64, strides = array<i64: 1, 1>}>
// GENERIC:       "binary_complex.complex_dense"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<1x6xf32>
func.func @complex_layers(%h: tensor<1x2x4x4xf32>, %v: tensor<1x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x6xf32>) {
  %a = nn.constant dense<1.0> : tensor<2x1x3x3xf32>
  %b = nn.constant dense<0.5> : tensor<2x1x3x3xf32>
  %c = nn.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %y = binary_complex.complex_conv %h, %a, %b, %c {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, products = 3 : i64, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %d = nn.constant dense<1.0> : tensor<3x4xf32>
  %e = nn.constant dense<-1.0> : tensor<3x4xf32>
  %z = binary_complex.complex_dense %v, %d, %e : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<1x6xf32>
  func.return %y, %z : tensor<1x4x4x4xf32>, tensor<1x6xf32>
}
