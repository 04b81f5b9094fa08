// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of nn.fake_quant and nn.sign, one broken op per chunk.

func.func @scale(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.fake_quant: scale must be positive and finite, got -0.5
  %y = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "half_even", scale = -0.5 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @bits(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.fake_quant: bits must be in [1, 32], got 40
  %y = nn.fake_quant %x {bits = 40 : i64, narrow = 0 : i64, rounding = "half_even", scale = 0.5 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @rounding(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.fake_quant: rounding 'up' is not one of half_even, floor, ceil, to_zero
  %y = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "up", scale = 0.5 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @flag(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.fake_quant: narrow must be 0 or 1, got 2
  %y = nn.fake_quant %x {bits = 8 : i64, narrow = 2 : i64, rounding = "floor", scale = 0.5 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @sign(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.sign: scale must be finite, got inf
  %y = nn.sign %x {scale = 0x7FF0000000000000 : f64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

func.func @axis_scales(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  // CHECK: nn.fake_quant_axis: 3 scales for axis 1 of size 2
  %y = nn.fake_quant_axis %x {axis = 1 : i64, bits = 8 : i64, narrow = 0 : i64, rounding = "half_even", scales = array<f64: 0.5, 0.25, 0.125>, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x2x4xf32>
  func.return %y : tensor<1x2x4xf32>
}

// -----

func.func @axis_batch(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  // CHECK: nn.fake_quant_axis: axis 0 must be a non-batch axis of the rank-3 input
  %y = nn.fake_quant_axis %x {axis = 0 : i64, bits = 8 : i64, narrow = 0 : i64, rounding = "half_even", scales = array<f64: 0.5>, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x2x4xf32>
  func.return %y : tensor<1x2x4xf32>
}

// -----

func.func @axis_positive(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  // CHECK: nn.fake_quant_axis: scales must be positive and finite, got [0.5, -0.25]
  %y = nn.fake_quant_axis %x {axis = 1 : i64, bits = 8 : i64, narrow = 0 : i64, rounding = "to_zero", scales = array<f64: 0.5, -0.25>, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x2x4xf32>
  func.return %y : tensor<1x2x4xf32>
}

// -----

func.func @to_zero_zero_point(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK: nn.fake_quant: rounding 'to_zero' needs zero point 0, got 3
  %y = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "to_zero", scale = 0.5 : f64, signed = 0 : i64, zero_point = 3 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
