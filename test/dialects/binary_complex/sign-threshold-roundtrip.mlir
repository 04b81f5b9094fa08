// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// The float-level threshold (`binary-complex-fold-threshold`) survives print -> parse in
// the custom and the generic form: integer thresholds on the accumulator of a binary layer,
// a direction per channel (channels on axis 1 of a 4-D feature map).
// CHECK-LABEL: func.func @sign_threshold
// CHECK-NEXT:  %[[T:.*]] = binary_complex.sign_threshold %x {directions = array<i64: 1, -1>, frac = 4 : i64, thresholds = array<i64: 3, -2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT:  func.return %[[T]]

// GENERIC-LABEL: "func.func"() <{sym_name = "sign_threshold"
// GENERIC:       "binary_complex.sign_threshold"(%{{.*}}) <{directions = array<i64: 1, -1>, frac = 4 : i64, thresholds = array<i64: 3, -2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
func.func @sign_threshold(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %t = binary_complex.sign_threshold %x {directions = array<i64: 1, -1>, frac = 4 : i64, thresholds = array<i64: 3, -2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  func.return %t : tensor<1x2x4x4xf32>
}
