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
  // CHECK: nn.fake_quant: rounding 'up' is not one of half_even, floor, ceil
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
