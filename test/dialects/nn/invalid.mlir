// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the nn dialect, one broken op per chunk.

func.func @dense_mismatch(%x: tensor<1x16xf32>, %w: tensor<8x15xf32>) -> tensor<1x8xf32> {
  // CHECK: nn.dense: input (1, 16) does not match weight (8, 15) (M x K)
  %y = nn.dense %x, %w : (tensor<1x16xf32>, tensor<8x15xf32>) -> tensor<1x8xf32>
  func.return %y : tensor<1x8xf32>
}

// -----

func.func @dense_bias(%x: tensor<1x16xf32>, %w: tensor<8x16xf32>, %b: tensor<7xf32>) -> tensor<1x8xf32> {
  // CHECK: nn.dense: bias shape (7,) is not (8,)
  %y = nn.dense %x, %w, %b : (tensor<1x16xf32>, tensor<8x16xf32>, tensor<7xf32>) -> tensor<1x8xf32>
  func.return %y : tensor<1x8xf32>
}

// -----

func.func @conv_group(%x: tensor<1x6x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: nn.conv: group 3 must divide input channels 6 and output channels 4
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 3 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x6x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_result(%x: tensor<1x1x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // CHECK: nn.conv: result shape (1, 4, 8, 8) does not match expected (1, 4, 6, 6)
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  func.return %y : tensor<1x4x8x8xf32>
}

// -----

func.func @conv_window(%x: tensor<1x1x2x2xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x1x1xf32> {
  // CHECK: nn.conv: window of extent 3 does not fit input length 2 with pads (0, 0)
  %y = nn.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x1x1xf32>
  func.return %y : tensor<1x4x1x1xf32>
}

// -----

func.func @softmax_batch(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // CHECK: nn.softmax: axis 0 must be in [1, 2) (axis 0 is the batch)
  %y = nn.softmax %x {axis = 0 : i64} : tensor<1x16xf32>
  func.return %y : tensor<1x16xf32>
}

// -----

func.func @reshape_size(%x: tensor<1x16xf32>) -> tensor<1x15xf32> {
  // CHECK: nn.reshape: cannot reshape (1, 16) (16 elements) to (1, 15) (15 elements)
  %y = nn.reshape %x : tensor<1x16xf32> -> tensor<1x15xf32>
  func.return %y : tensor<1x15xf32>
}

// -----

func.func @reshape_batch(%x: tensor<1x16xf32>) -> tensor<16x1xf32> {
  // CHECK: nn.reshape: (1, 16) -> (16, 1) changes the batch axis
  %y = nn.reshape %x : tensor<1x16xf32> -> tensor<16x1xf32>
  func.return %y : tensor<16x1xf32>
}

// -----

func.func @transpose_batch(%x: tensor<1x4xf32>) -> tensor<4x1xf32> {
  // CHECK: nn.transpose: perm [1, 0] moves the batch axis
  %y = nn.transpose %x {perm = array<i64: 1, 0>} : tensor<1x4xf32> -> tensor<4x1xf32>
  func.return %y : tensor<4x1xf32>
}

// -----

func.func @concat_axis(%x: tensor<1x4xf32>) -> tensor<2x4xf32> {
  // CHECK: nn.concat: axis 0 must be in [1, 2) (axis 0 is the batch)
  %y = nn.concat %x, %x {axis = 0 : i64} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}

// -----

func.func @add_broadcast(%x: tensor<1x4xf32>, %z: tensor<1x3xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.add: shapes (1, 4) and (1, 3) do not broadcast
  %y = nn.add %x, %z : (tensor<1x4xf32>, tensor<1x3xf32>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @clip_bounds(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.clip: min 6.0 is greater than max 0.0
  %y = nn.clip %x {max = 0.0 : f64, min = 6.0 : f64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @pad_reflect(%x: tensor<1x2x2xf32>) -> tensor<1x2x6xf32> {
  // CHECK: nn.pad: reflect pad 2/2 on axis 2 needs an input longer than the pad, got 2
  %y = nn.pad %x {mode = #nn<pad_mode reflect>, pads = array<i64: 0, 0, 2, 0, 0, 2>, value = 0.0 : f64} : tensor<1x2x2xf32> -> tensor<1x2x6xf32>
  func.return %y : tensor<1x2x6xf32>
}

// -----

func.func @batchnorm_channels(%x: tensor<1x3x4xf32>, %p: tensor<4xf32>) -> tensor<1x3x4xf32> {
  // CHECK: nn.batchnorm: scale shape (4,) is not (3,)
  %y = nn.batchnorm %x, %p, %p, %p, %p {epsilon = 1.0e-05 : f64} : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
  func.return %y : tensor<1x3x4xf32>
}

// -----

func.func @pool_window(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: nn.max_pool: kernel needs 2 values, got [2]
  %y = nn.max_pool %x {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  func.return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @element_types(%x: tensor<1x4xf32>, %z: tensor<1x4xf16>) -> tensor<1x4xf32> {
  // CHECK: nn.mul: operand and result element types differ
  %y = nn.mul %x, %z : (tensor<1x4xf32>, tensor<1x4xf16>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @gather_count(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  // CHECK: nn.gather: 2 indices for 3 output elements per sample
  %y = nn.gather %x {indices = array<i64: 0, 1>} : tensor<1x4xf32> -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}

// -----

func.func @gather_range(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  // CHECK: nn.gather: indices must be in [-1, 4), got [-2, 4]
  %y = nn.gather %x {indices = array<i64: -2, 4>} : tensor<1x4xf32> -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

func.func @reduce_batch(%x: tensor<1x4xf32>) -> tensor<1x1xf32> {
  // CHECK: nn.reduce_sum: axes [0] must be distinct non-batch axes of rank 2
  %y = nn.reduce_sum %x {axes = array<i64: 0>} : tensor<1x4xf32> -> tensor<1x1xf32>
  func.return %y : tensor<1x1xf32>
}

// -----

func.func @kwta_k(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.kwta: k = 5 must be in [1, 4] (the length of axis 1)
  %y = nn.kwta %x {axis = 1 : i64, k = 5 : i64} : tensor<1x4xf32> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @kwta_axis(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.kwta: axis 0 must be a non-batch axis of rank 2
  %y = nn.kwta %x {axis = 0 : i64, k = 1 : i64} : tensor<1x4xf32> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
