// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of binary_complex.sign_threshold, one broken op per chunk.

func.func @count(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
  // CHECK: Operation does not verify: binary_complex.sign_threshold: 2 thresholds and 3 directions for input (1, 3) (one per channel on axis 1)
  %y = binary_complex.sign_threshold %x {directions = array<i64: 1, 1, 1>, frac = 0 : i64, thresholds = array<i64: 0, 1>} : (tensor<1x3xf32>) -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}

// -----

func.func @direction(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // CHECK: Operation does not verify: binary_complex.sign_threshold: directions must be +1 or -1, got [1, 0]
  %y = binary_complex.sign_threshold %x {directions = array<i64: 1, 0>, frac = 0 : i64, thresholds = array<i64: 0, 1>} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

func.func @result(%x: tensor<1x2xf32>) -> tensor<1x2xf64> {
  // CHECK: Operation does not verify: binary_complex.sign_threshold: result must be tensor<1x2xf32>, got tensor<1x2xf64>
  %y = binary_complex.sign_threshold %x {directions = array<i64: 1, -1>, frac = 0 : i64, thresholds = array<i64: 0, 1>} : (tensor<1x2xf32>) -> tensor<1x2xf64>
  func.return %y : tensor<1x2xf64>
}

// -----

func.func @frac(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // CHECK: Operation does not verify: binary_complex.sign_threshold: frac must be in [0, 62], got 63
  %y = binary_complex.sign_threshold %x {directions = array<i64: 1, -1>, frac = 63 : i64, thresholds = array<i64: 0, 1>} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
