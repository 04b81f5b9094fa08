// RUN: nncc-opt %s -p sparse-remove-channels --split-input-file | filecheck %s

// Outputs 1 and 3 of the first layer have zero weights and bias: they are zero after the
// relu, so they leave the first layer (4 -> 2 outputs), the relu and the second layer's input
// columns 1 and 3 (its weight 2x4 -> 2x2). The model's result does not change.
// CHECK-LABEL: func.func @chain
// CHECK:       %[[W:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT:  %[[B:.*]] = nn.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:  %[[H:.*]] = nn.dense %{{.*}}, %[[W]], %[[B]] : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT:  %[[R:.*]] = nn.relu %[[H]] : tensor<1x2xf32>
// CHECK-NEXT:  %[[V:.*]] = nn.constant dense<{{\[\[}}1.000000e+01, 3.000000e+01], [5.000000e+01, 7.000000e+01]]> : tensor<2x2xf32>
// CHECK-NEXT:  %[[Y:.*]] = nn.dense %[[R]], %[[V]] : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT:  func.return %[[Y]]
func.func @chain(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [0.0, 0.0], [5.0, 6.0], [0.0, 0.0]]> : tensor<4x2xf32>
  %b = nn.constant dense<[1.0, 0.0, 3.0, 0.0]> : tensor<4xf32>
  %h = nn.dense %x, %w, %b : (tensor<1x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %r = nn.relu %h : tensor<1x4xf32>
  %v = nn.constant dense<[[10.0, 20.0, 30.0, 40.0], [50.0, 60.0, 70.0, 80.0]]> : tensor<2x4xf32>
  %y = nn.dense %r, %v : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// A zero channel with a non-zero bias is not zero at the consumer: it is not removed. A
// sigmoid maps the removed zero channel to 0.5: it leaves, and the consumer's bias takes its
// contribution 20 x 0.5 = 10.
// CHECK-LABEL: func.func @kept
// CHECK:       nn.dense %{{.*}} -> tensor<1x2xf32>
// CHECK:       nn.dense %{{.*}} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
// CHECK:       %[[G:.*]] = nn.dense %{{.*}} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
// CHECK-NEXT:  %[[S:.*]] = nn.sigmoid %[[G]] : tensor<1x1xf32>
// CHECK-NEXT:  %[[V:.*]] = nn.constant dense<1.000000e+01> : tensor<1x1xf32>
// CHECK-NEXT:  %[[C:.*]] = nn.constant dense<1.000000e+01> : tensor<1xf32>
// CHECK-NEXT:  nn.dense %[[S]], %[[V]], %[[C]] : (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1xf32>) -> tensor<1x1xf32>
func.func @kept(%x: tensor<1x2xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %w = nn.constant dense<[[1.0, 2.0], [0.0, 0.0]]> : tensor<2x2xf32>
  %b = nn.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %h = nn.dense %x, %w, %b : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %r = nn.relu %h : tensor<1x2xf32>
  %v = nn.constant dense<[[10.0, 20.0]]> : tensor<1x2xf32>
  %y = nn.dense %r, %v : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %g = nn.dense %x, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %s = nn.sigmoid %g : tensor<1x2xf32>
  %z = nn.dense %s, %v : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  func.return %y, %z : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// A residual add: feature 1 is zero in the shortcut (%h, after its relu) and in the branch
// (%g): it leaves both layers, the add and the last layer's column 1. Feature 2 is zero in
// the branch only: the add still carries the shortcut's, so it stays everywhere.
// CHECK-LABEL: func.func @residual
// CHECK:       nn.dense %{{.*}} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK:       nn.relu %{{.*}} : tensor<1x2xf32>
// CHECK:       nn.dense %{{.*}} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK:       nn.add %{{.*}} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
// CHECK:       %[[V:.*]] = nn.constant dense<{{\[\[}}1.000000e+01, 3.000000e+01]]> : tensor<1x2xf32>
// CHECK:       nn.dense %{{.*}}, %[[V]] : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
func.func @residual(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %w = nn.constant dense<[[1.0, 2.0], [0.0, 0.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %b = nn.constant dense<[1.0, 0.0, 3.0]> : tensor<3xf32>
  %h = nn.dense %x, %w, %b : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %r = nn.relu %h : tensor<1x3xf32>
  %u = nn.constant dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %c = nn.constant dense<[0.5, 0.0, 0.0]> : tensor<3xf32>
  %g = nn.dense %r, %u, %c : (tensor<1x3xf32>, tensor<3x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %s = nn.add %g, %r : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %v = nn.constant dense<[[10.0, 20.0, 30.0]]> : tensor<1x3xf32>
  %y = nn.dense %s, %v : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}

// -----

// Complex layers: filter 1 of the first complex_dense has A, B and both bias entries zero. It
// leaves with both planes (real-equivalent channels 1 and 4: A, B 3x1 -> 2x1, bias 6 -> 4),
// and the sign turns both planes into +1, so the consumer loses A, B column 1 and its bias
// takes their contribution: Re += A (+1) - B (+1) = 2 - 6, Im += B (+1) + A (+1) = 6 + 2.
// CHECK-LABEL: func.func @complex
// CHECK:       %[[A:.*]] = nn.constant dense<{{\[\[}}1.000000e+00], [3.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:  %[[B:.*]] = nn.constant dense<{{\[\[}}2.000000e+00], [4.000000e+00]]> : tensor<2x1xf32>
// CHECK-NEXT:  %[[C:.*]] = nn.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK-NEXT:  %[[H:.*]] = binary_complex.complex_dense %x, %[[A]], %[[B]], %[[C]] : (tensor<1x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>, tensor<4xf32>) -> tensor<1x4xf32>
// CHECK-NEXT:  %[[S:.*]] = nn.sign %[[H]] {scale = 1.000000e+00 : f64} : tensor<1x4xf32>
// CHECK-NEXT:  %[[P:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00]]> : tensor<1x2xf32>
// CHECK-NEXT:  %[[Q:.*]] = nn.constant dense<{{\[\[}}5.000000e+00, 7.000000e+00]]> : tensor<1x2xf32>
// CHECK-NEXT:  %[[D:.*]] = nn.constant dense<[-4.000000e+00, 8.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:  binary_complex.complex_dense %[[S]], %[[P]], %[[Q]], %[[D]] : (tensor<1x4xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
func.func @complex(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %a = nn.constant dense<[[1.0], [0.0], [3.0]]> : tensor<3x1xf32>
  %b = nn.constant dense<[[2.0], [0.0], [4.0]]> : tensor<3x1xf32>
  %c = nn.constant dense<[1.0, 0.0, 2.0, 3.0, 0.0, 4.0]> : tensor<6xf32>
  %h = binary_complex.complex_dense %x, %a, %b, %c : (tensor<1x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>, tensor<6xf32>) -> tensor<1x6xf32>
  %s = nn.sign %h {scale = 1.0 : f64} : tensor<1x6xf32>
  %p = nn.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %q = nn.constant dense<[[5.0, 6.0, 7.0]]> : tensor<1x3xf32>
  %y = binary_complex.complex_dense %s, %p, %q : (tensor<1x6xf32>, tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// The same zero filter before a sign, read by a convolution with padding: the border taps
// would see the padding's zeros instead of the +1 constant, so nothing is folded or removed.
// CHECK-LABEL: func.func @padded
// CHECK:       binary_complex.complex_conv %x, %{{.*}} -> tensor<1x4x4x4xf32>
// CHECK:       binary_complex.complex_conv %{{.*}} : (tensor<1x4x4x4xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x4x4xf32>
func.func @padded(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %a = nn.constant dense<[[[[1.0]]], [[[0.0]]]]> : tensor<2x1x1x1xf32>
  %b = nn.constant dense<[[[[2.0]]], [[[0.0]]]]> : tensor<2x1x1x1xf32>
  %h = binary_complex.complex_conv %x, %a, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>) -> tensor<1x4x4x4xf32>
  %s = nn.sign %h {scale = 1.0 : f64} : tensor<1x4x4x4xf32>
  %p = nn.constant dense<1.0> : tensor<1x2x3x3xf32>
  %q = nn.constant dense<2.0> : tensor<1x2x3x3xf32>
  %y = binary_complex.complex_conv %s, %p, %q {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  func.return %y : tensor<1x2x4x4xf32>
}

// -----

// A batch norm with constant parameters between a complex layer and a sign: the zero filter 1
// (planes 1 and 3) leaves with its batch-norm entries; the batch norm maps it to -3 (real
// plane) and +1 (imaginary plane), the sign to -1 and +1, and the unpadded consumer's bias
// takes 9 taps of A = 1, B = 2: Re += 9 (1 (-1) - 2 (+1)) = -27, Im += 9 (2 (-1) + 1 (+1)) = -9.
// CHECK-LABEL: func.func @batchnorm
// CHECK:       %[[H:.*]] = binary_complex.complex_conv %x, %{{.*}} -> tensor<1x2x3x3xf32>
// CHECK-NEXT:  %[[G:.*]] = nn.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:  %[[BE:.*]] = nn.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK-NEXT:  %[[M:.*]] = nn.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:  %[[V:.*]] = nn.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-NEXT:  %[[N:.*]] = nn.batchnorm %[[H]], %[[G]], %[[BE]], %[[M]], %[[V]]
// CHECK-NEXT:  %[[S:.*]] = nn.sign %[[N]]
// CHECK:       %[[D:.*]] = nn.constant dense<[-2.700000e+01, -9.000000e+00]> : tensor<2xf32>
// CHECK-NEXT:  binary_complex.complex_conv %[[S]], %{{.*}}, %{{.*}}, %[[D]] {{.*}} : (tensor<1x2x3x3xf32>, tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
func.func @batchnorm(%x: tensor<1x2x3x3xf32>) -> tensor<1x2xf32> {
  %a = nn.constant dense<[[[[1.0]]], [[[0.0]]]]> : tensor<2x1x1x1xf32>
  %b = nn.constant dense<[[[[2.0]]], [[[0.0]]]]> : tensor<2x1x1x1xf32>
  %h = binary_complex.complex_conv %x, %a, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<2x1x1x1xf32>, tensor<2x1x1x1xf32>) -> tensor<1x4x3x3xf32>
  %g = nn.constant dense<[1.0, 2.0, -1.0, 4.0]> : tensor<4xf32>
  %be = nn.constant dense<[0.5, -3.0, 0.25, 1.0]> : tensor<4xf32>
  %m = nn.constant dense<[0.0, 0.0, 1.0, 0.0]> : tensor<4xf32>
  %v = nn.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
  %n = nn.batchnorm %h, %g, %be, %m, %v {epsilon = 0.0 : f64} : (tensor<1x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
  %s = nn.sign %n {scale = 1.0 : f64} : tensor<1x4x3x3xf32>
  %p = nn.constant dense<1.0> : tensor<1x2x3x3xf32>
  %q = nn.constant dense<2.0> : tensor<1x2x3x3xf32>
  %y = binary_complex.complex_conv %s, %p, %q {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x1x1xf32>
  %f = nn.flatten %y {axis = 1 : i64} : tensor<1x2x1x1xf32> -> tensor<1x2xf32>
  func.return %f : tensor<1x2xf32>
}
