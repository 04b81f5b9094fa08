// RUN: nncc-opt %s --split-input-file -p binary-complex-fold-threshold | filecheck %s

// The ternary sign ONNX Sign imports as ((sign(z) - sign(-z)) * 0.5) of a batch norm after a
// dense layer with +-1 weights on a bipolar sign's +-1: the accumulator a is an integer in
// [-4, 4]. Channel 0: 2 (a + 0.5 - 0.3) + 0.5 >= 0 iff a >= 0 (gamma > 0: direction +1);
// channel 1: -(a - 0.25 + 0.6) / 2 + 1.25 >= 0 iff a <= 2 (gamma < 0: direction -1); no
// value of a gives exactly 0. The dense layer loses its bias (folded into the thresholds).
// CHECK-LABEL:  func.func @ternary
// CHECK-NEXT:   %[[S:.*]] = nn.sign %x
// CHECK-NEXT:   %[[W:.*]] = nn.constant
// CHECK-NEXT:   %[[D:.*]] = nn.dense %[[S]], %[[W]] : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
// CHECK-NEXT:   %[[T:.*]] = binary_complex.sign_threshold %[[D]] {directions = array<i64: 1, -1>, frac = 0 : i64, thresholds = array<i64: 0, 2>} : (tensor<1x2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT:   func.return %[[T]] : tensor<1x2xf32>
func.func @ternary(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %s = nn.sign %x {scale = 1.000000e+00 : f64} : tensor<1x4xf32>
  %0 = nn.constant dense<[5.000000e-01, -2.500000e-01]> : tensor<2xf32>
  %1 = nn.constant dense<[[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %d = nn.dense %s, %1, %0 : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = nn.constant dense<[2.000000e+00, -1.000000e+00]> : tensor<2xf32>
  %3 = nn.constant dense<[5.000000e-01, 1.250000e+00]> : tensor<2xf32>
  %4 = nn.constant dense<[3.000000e-01, -6.000000e-01]> : tensor<2xf32>
  %5 = nn.constant dense<[1.000000e+00, 4.000000e+00]> : tensor<2xf32>
  %bn = nn.batchnorm %d, %2, %3, %4, %5 {epsilon = 1.000000e-05 : f64} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %6 = nn.sign %bn {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  %7 = nn.constant dense<-1.000000e+00> : tensor<1xf32>
  %8 = nn.mul %bn, %7 : (tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x2xf32>
  %9 = nn.sign %8 {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  %10 = nn.sub %6, %9 : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %11 = nn.constant dense<5.000000e-01> : tensor<1xf32>
  %y = nn.mul %10, %11 : (tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// A bipolar sign (sign(0) = +1) after a per-channel affine written as mul + add: channel 0
// has gamma = 0 and a shift of 1 (always +1: the threshold is the range's low end, -4);
// channel 1 has gamma 0.5 and shift -1: a / 2 - 1 >= 0 iff a >= 2 (exactly 0 at a = 2,
// which the bipolar sign maps to +1, like the threshold).
// CHECK-LABEL:  func.func @bipolar_affine
// CHECK:        %[[D:.*]] = nn.dense
// CHECK-NEXT:   %[[T:.*]] = binary_complex.sign_threshold %[[D]] {directions = array<i64: 1, 1>, frac = 0 : i64, thresholds = array<i64: -4, 2>}
// CHECK-NEXT:   func.return %[[T]]
func.func @bipolar_affine(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %s = nn.sign %x {scale = 1.000000e+00 : f64} : tensor<1x4xf32>
  %1 = nn.constant dense<[[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %d = nn.dense %s, %1 : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  %g = nn.constant dense<[0.0, 0.5]> : tensor<2xf32>
  %m = nn.mul %d, %g : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %b = nn.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %a = nn.add %m, %b : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %y = nn.sign %a {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// Left alone: the ternary sign of a batch norm that is exactly 0 at a = 0 (the model gives 0
// there, no +-1 threshold can), and a layer whose weights are not integers.
// CHECK-LABEL:  func.func @kept
// CHECK-NOT:    binary_complex.sign_threshold
// CHECK:        func.return
func.func @kept(%x: tensor<1x4xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %s = nn.sign %x {scale = 1.000000e+00 : f64} : tensor<1x4xf32>
  %1 = nn.constant dense<[[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %d = nn.dense %s, %1 : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  %2 = nn.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %3 = nn.constant dense<[0.0, 0.0]> : tensor<2xf32>
  %bn = nn.batchnorm %d, %2, %3, %3, %2 {epsilon = 0.0 : f64} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %6 = nn.sign %bn {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  %7 = nn.constant dense<-1.000000e+00> : tensor<1xf32>
  %8 = nn.mul %bn, %7 : (tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x2xf32>
  %9 = nn.sign %8 {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  %10 = nn.sub %6, %9 : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %11 = nn.constant dense<5.000000e-01> : tensor<1xf32>
  %y = nn.mul %10, %11 : (tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x2xf32>
  %h = nn.constant dense<[[0.5, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %e = nn.dense %s, %h : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  %a = nn.add %e, %3 : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %z = nn.sign %a {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  func.return %y, %z : tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// +-1 weights on a real-valued input (a function argument: the first layer of a BNN): the
// threshold -b / s (here -0.5 and 0.25 for the scale 2 and -1) rounded in its direction onto
// the 2^-32 grid (frac 32): -0.5 * 2^32 and 0.25 * 2^32, exact for any accumulator of at
// most 32 fraction bits.
// CHECK-LABEL:  func.func @real
// CHECK:        %[[D:.*]] = nn.dense %x
// CHECK-NEXT:   %[[T:.*]] = binary_complex.sign_threshold %[[D]] {directions = array<i64: 1, -1>, frac = 32 : i64, thresholds = array<i64: -2147483648, 1073741824>}
// CHECK-NEXT:   func.return %[[T]]
func.func @real(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %1 = nn.constant dense<[[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]]> : tensor<2x4xf32>
  %d = nn.dense %x, %1 : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  %g = nn.constant dense<[2.0, -1.0]> : tensor<2xf32>
  %m = nn.mul %d, %g : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %b = nn.constant dense<[1.0, 0.25]> : tensor<2xf32>
  %a = nn.add %m, %b : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %y = nn.sign %a {scale = 1.000000e+00 : f64} : tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
