// RUN: nncc-opt %s --split-input-file -p nn-fuse-bias | filecheck %s

// ONNX MatMul + Add: the add becomes the dense bias.
// CHECK-LABEL: func.func @dense_add
func.func @dense_add(%x: tensor<1x2xf32>) -> tensor<1x3xf32> {
  // CHECK-NEXT: %[[W:.*]] = nn.constant
  // CHECK-NEXT: %[[B:.*]] = nn.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
  // CHECK-NEXT: %[[D:.*]] = nn.dense %x, %[[W]], %[[B]] : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  // CHECK-NEXT: func.return %[[D]]
  %w = nn.constant dense<1.0> : tensor<3x2xf32>
  %d = nn.dense %x, %w : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
  %c = nn.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %y = nn.add %c, %d : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}

// -----

// Conv with a bias, then a per-channel constant subtraction: biases combine.
// CHECK-LABEL: func.func @conv_sub
func.func @conv_sub(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: %[[B:.*]] = nn.constant dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>
  // CHECK-NEXT: %[[C:.*]] = nn.conv %x, %{{.*}}, %[[B]]
  // CHECK-NEXT: func.return %[[C]]
  %w = nn.constant dense<1.0> : tensor<2x1x1x1xf32>
  %b = nn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %c = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %k = nn.constant dense<[[[0.5]], [[2.0]]]> : tensor<2x1x1xf32>
  %y = nn.sub %c, %k : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  func.return %y : tensor<1x2x4x4xf32>
}

// -----

// Not fused: the addend varies along a spatial axis, or is a run-time value,
// or the constant is subtracted from (not by) the layer output.
// CHECK-LABEL: func.func @kept
func.func @kept(%x: tensor<1x1x2xf32>, %r: tensor<1x2x2xf32>) -> (tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1x2x2xf32>) {
  %w = nn.constant dense<1.0> : tensor<2x1x1xf32>
  %c = nn.conv %x, %w {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x1x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2xf32>
  %c2 = nn.conv %x, %w {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x1x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2xf32>
  %c3 = nn.conv %x, %w {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 0, 0>, strides = array<i64: 1>} : (tensor<1x1x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2xf32>
  %k = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : (tensor<1x2x2xf32>, tensor<2xf32>)
  // CHECK: nn.add %{{.*}}, %r
  // CHECK: nn.sub %{{.*}}, %{{.*}} : (tensor<2xf32>, tensor<1x2x2xf32>)
  %y = nn.add %c, %k : (tensor<1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2xf32>
  %z = nn.add %c2, %r : (tensor<1x2x2xf32>, tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  %s = nn.sub %k, %c3 : (tensor<2xf32>, tensor<1x2x2xf32>) -> tensor<1x2x2xf32>
  func.return %y, %z, %s : tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1x2x2xf32>
}
