// RUN: nncc-opt %s --split-input-file -p nn-fold-batchnorm | filecheck %s

// conv: W' = W * s, b' = (b - mean) * s + beta with s = scale / sqrt(var + eps)
// scale = [2, 1], beta = [1, 0], mean = [1, 2], var = [3, 0.5625], eps = 1
// => s = [1, 0.8]; W' = [2*1, 3*0.8]; b' = [(0.5-1)*1+1, (0-2)*0.8] = [0.5, -1.6]
// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<1x1x4xf32>) -> tensor<1x2x4xf32> {
  // CHECK-NEXT: %[[W:.*]] = nn.constant dense<{{\[\[\[}}2.000000e+00]], {{\[\[}}2.400000e+00]]]> : tensor<2x1x1xf32>
  // CHECK-NEXT: %[[B:.*]] = nn.constant dense<[5.000000e-01, -1.600000e+00]> : tensor<2xf32>
  // CHECK-NEXT: %[[C:.*]] = nn.conv %x, %[[W]], %[[B]] {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>}
  // CHECK-NEXT: func.return %[[C]]
  %w = nn.constant dense<[[[2.0]], [[3.0]]]> : tensor<2x1x1xf32>
  %b = nn.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x1x4xf32>, tensor<2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4xf32>
  %scale = nn.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = nn.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.5625]> : tensor<2xf32>
  %y = nn.batchnorm %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f64} : (tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4xf32>
  func.return %y : tensor<1x2x4xf32>
}

// -----

// dense without bias gets one.
// CHECK-LABEL: func.func @dense
func.func @dense(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // CHECK-NEXT: %[[W:.*]] = nn.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00], [8.000000e-01, 8.000000e-01]]> : tensor<2x2xf32>
  // CHECK-NEXT: %[[B:.*]] = nn.constant dense<[0.000000e+00, -1.600000e+00]> : tensor<2xf32>
  // CHECK-NEXT: %[[D:.*]] = nn.dense %x, %[[W]], %[[B]] : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  // CHECK-NEXT: func.return %[[D]]
  %w = nn.constant dense<[[2.0, 4.0], [1.0, 1.0]]> : tensor<2x2xf32>
  %d = nn.dense %x, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %scale = nn.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = nn.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %mean = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %var = nn.constant dense<[3.0, 0.5625]> : tensor<2xf32>
  %y = nn.batchnorm %d, %scale, %beta, %mean, %var {epsilon = 1.0 : f64} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// Not folded: the conv result has a second user, or there is no layer before it.
// CHECK-LABEL: func.func @kept
func.func @kept(%x: tensor<1x2x4xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %p = nn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %w = nn.constant dense<1.0> : tensor<2x2x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x2x4xf32>, tensor<2x2x1xf32>) -> tensor<1x2x4xf32>
  // CHECK: %[[C:.*]] = nn.conv %x
  // CHECK-NEXT: %[[Y:.*]] = nn.batchnorm %[[C]]
  // CHECK-NEXT: %[[Z:.*]] = nn.batchnorm %x
  // CHECK-NEXT: %[[S:.*]] = nn.add %[[Y]], %[[C]]
  // CHECK-NEXT: func.return %[[S]], %[[Z]]
  %y = nn.batchnorm %c, %p, %p, %p, %p {epsilon = 1.0e-05 : f64} : (tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4xf32>
  %z = nn.batchnorm %x, %p, %p, %p, %p {epsilon = 1.0e-05 : f64} : (tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4xf32>
  %s = nn.add %y, %c : (tensor<1x2x4xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  func.return %s, %z : tensor<1x2x4xf32>, tensor<1x2x4xf32>
}
