// RUN: nncc-opt %s -p binary-complex-set-products | filecheck %s
// RUN: nncc-opt %s -p 'binary-complex-set-products{products=3}' | filecheck %s --check-prefix=GAUSS

// Every complex layer gets the products property: 4 by default, 3 with products=3.
// CHECK-LABEL:  func.func @layers
// CHECK:        binary_complex.complex_conv {{.*}}products = 4 : i64
// CHECK:        binary_complex.complex_dense {{.*}}{products = 4 : i64}
// GAUSS-LABEL:  func.func @layers
// GAUSS:        binary_complex.complex_conv {{.*}}products = 3 : i64
// GAUSS:        binary_complex.complex_dense {{.*}}{products = 3 : i64}
func.func @layers(%h: tensor<1x2x3x3xf32>, %v: tensor<1x8xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x6xf32>) {
  %a = nn.constant dense<1.0> : tensor<1x1x2x2xf32>
  %b = nn.constant dense<0.5> : tensor<1x1x2x2xf32>
  %y = binary_complex.complex_conv %h, %a, %b {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  %c = nn.constant dense<1.0> : tensor<3x4xf32>
  %d = nn.constant dense<-1.0> : tensor<3x4xf32>
  %z = binary_complex.complex_dense %v, %c, %d : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<1x6xf32>
  func.return %y, %z : tensor<1x2x2x2xf32>, tensor<1x6xf32>
}
