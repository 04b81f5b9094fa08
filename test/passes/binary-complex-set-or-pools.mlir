// RUN: nncc-opt %s --split-input-file -p binary-complex-set-or-pools | filecheck %s

// A max pool of a threshold's +-1 and a max reduction of that pool (still +-1) are marked:
// the back ends build them as an OR of the sign bits.
// CHECK-LABEL:  func.func @bipolar
// CHECK-NEXT:   %[[T:.*]] = binary_complex.threshold %x
// CHECK-NEXT:   %[[P:.*]] = nn.max_pool %[[T]] {binary_complex.bit_or, ceil_mode = 0 : i64
// CHECK-NEXT:   %[[R:.*]] = fixed.reduce_max %[[P]] {binary_complex.bit_or, axes = array<i64: 2>}
// CHECK-NEXT:   func.return %[[R]]
func.func @bipolar(%x: tensor<1x2x4x4x!fixed.q<5, 5>>) -> tensor<1x2x1x2x!fixed.q<2, 2>> {
  %t = binary_complex.threshold %x {directions = array<i64: 1, -1>, thresholds = array<i64: 3, -2>} : (tensor<1x2x4x4x!fixed.q<5, 5>>) -> tensor<1x2x4x4x!fixed.q<2, 2>>
  %p = nn.max_pool %t {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4x!fixed.q<2, 2>> -> tensor<1x2x2x2x!fixed.q<2, 2>>
  %r = fixed.reduce_max %p {axes = array<i64: 2>} : tensor<1x2x2x2x!fixed.q<2, 2>> -> tensor<1x2x1x2x!fixed.q<2, 2>>
  func.return %r : tensor<1x2x1x2x!fixed.q<2, 2>>
}

// -----

// Left alone: a max pool of values that are not provably +-1 (a function argument).
// CHECK-LABEL:  func.func @kept
// CHECK-NOT:    binary_complex.bit_or
// CHECK:        func.return
func.func @kept(%x: tensor<1x2x4x4x!fixed.q<2, 2>>) -> tensor<1x2x2x2x!fixed.q<2, 2>> {
  %p = nn.max_pool %x {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x4x4x!fixed.q<2, 2>> -> tensor<1x2x2x2x!fixed.q<2, 2>>
  func.return %p : tensor<1x2x2x2x!fixed.q<2, 2>>
}
