// RUN: nncc-opt %s -p 'sparse-prune{fraction=0.34 kind="channels" compensate=false}' | filecheck %s
// RUN: nncc-opt %s -p 'sparse-prune{fraction=0.34 kind="channels" compensate=false},sparse-remove-channels' | filecheck %s --check-prefix=RM

// Channel pruning of a complex layer, worked by hand: complex filter f is its two planes
// (real-equivalent channels f and 3 + f), ranked by the group norm |A_f|^2 + |B_f|^2:
// 9 + 16 = 25, 1 + 1 = 2, 0.25 + 25 = 25.25. A third of the filters (one) goes: filter 1,
// although filter 2 has the smaller real part. A, B and both bias entries of filter 1 become
// zero; the sign after the layer makes both planes +1, which sparse-remove-channels folds into
// the consumer's bias: Re += 2 - 6, Im += 6 + 2.
// CHECK-LABEL: func.func @main
// CHECK:       %[[A:.*]] = nn.constant dense<{{\[\[}}3.000000e+00], [0.000000e+00], [5.000000e-01]]> : tensor<3x1xf32>
// CHECK:       %[[B:.*]] = nn.constant dense<{{\[\[}}4.000000e+00], [0.000000e+00], [5.000000e+00]]> : tensor<3x1xf32>
// CHECK:       %[[C:.*]] = nn.constant dense<[1.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00, 0.000000e+00, 6.000000e+00]> : tensor<6xf32>
// CHECK:       binary_complex.complex_dense %x, %[[A]], %[[B]], %[[C]]
// RM-LABEL:    func.func @main
// RM:          binary_complex.complex_dense %x, %{{.*}} : (tensor<1x2xf32>, tensor<2x1xf32>, tensor<2x1xf32>, tensor<4xf32>) -> tensor<1x4xf32>
// RM:          %[[D:.*]] = nn.constant dense<[-4.000000e+00, 8.000000e+00]> : tensor<2xf32>
// RM-NEXT:     binary_complex.complex_dense %{{.*}}, %[[D]] : (tensor<1x4xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %a = nn.constant dense<[[3.0], [1.0], [0.5]]> : tensor<3x1xf32>
  %b = nn.constant dense<[[4.0], [1.0], [5.0]]> : tensor<3x1xf32>
  %c = nn.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]> : tensor<6xf32>
  %h = binary_complex.complex_dense %x, %a, %b, %c : (tensor<1x2xf32>, tensor<3x1xf32>, tensor<3x1xf32>, tensor<6xf32>) -> tensor<1x6xf32>
  %s = nn.sign %h {scale = 1.0 : f64} : tensor<1x6xf32>
  %p = nn.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %q = nn.constant dense<[[5.0, 6.0, 7.0]]> : tensor<1x3xf32>
  %y = binary_complex.complex_dense %s, %p, %q : (tensor<1x6xf32>, tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
