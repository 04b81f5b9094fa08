// RUN: nncc-opt %s --split-input-file -p binary-complex-raise-complex-layers,canonicalize | filecheck %s

// A torch ComplexLinear: the halves of %h (two gathers), four dense layers (A and B each
// used twice, here the Add's operands in the other order), Sub, Add, Concat: one
// complex_dense on %h with A, B and the complex bias [a - b; a + b].
// CHECK-LABEL:  func.func @dense_subgraph
// CHECK-NEXT:   %[[A:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00]]>
// CHECK-NEXT:   %[[B:.*]] = nn.constant dense<{{\[\[}}3.000000e+00, -1.000000e+00]]>
// CHECK-NEXT:   %[[C:.*]] = nn.constant dense<[2.500000e-01, 7.500000e-01]> : tensor<2xf32>
// CHECK-NEXT:   %[[Y:.*]] = binary_complex.complex_dense %h, %[[A]], %[[B]], %[[C]] : (tensor<1x4xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT:   func.return %[[Y]]
func.func @dense_subgraph(%h: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %a = nn.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %b = nn.constant dense<[[3.0, -1.0]]> : tensor<1x2xf32>
  %ba = nn.constant dense<[0.5]> : tensor<1xf32>
  %bb = nn.constant dense<[0.25]> : tensor<1xf32>
  %x = nn.gather %h {indices = array<i64: 0, 1>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %y = nn.gather %h {indices = array<i64: 2, 3>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %ax = nn.dense %x, %a, %ba : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %by = nn.dense %y, %b, %bb : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %re = nn.sub %ax, %by : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %bx = nn.dense %x, %b, %bb : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %ay = nn.dense %y, %a, %ba : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<1x1xf32>
  %im = nn.add %bx, %ay : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %out = nn.concat %re, %im {axis = 1 : i64} : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x2xf32>
  func.return %out : tensor<1x2xf32>
}

// -----

// A torch ComplexConv2d on one complex channel (no bias): one complex_conv with the
// convolutions' geometry.
// CHECK-LABEL:  func.func @conv_subgraph
// CHECK:        binary_complex.complex_conv %h, %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NOT:    nn.conv
func.func @conv_subgraph(%h: tensor<1x2x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %a = nn.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %b = nn.constant dense<[[[[0.5, -1.0], [0.0, 2.0]]]]> : tensor<1x1x2x2xf32>
  %x = nn.gather %h {indices = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8>} : tensor<1x2x3x3xf32> -> tensor<1x1x3x3xf32>
  %y = nn.gather %h {indices = array<i64: 9, 10, 11, 12, 13, 14, 15, 16, 17>} : tensor<1x2x3x3xf32> -> tensor<1x1x3x3xf32>
  %ax = nn.conv %x, %a {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %by = nn.conv %y, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %ay = nn.conv %y, %a {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %bx = nn.conv %x, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %re = nn.sub %ax, %by : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %im = nn.add %ay, %bx : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  %out = nn.concat %re, %im {axis = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32>
  func.return %out : tensor<1x2x2x2xf32>
}

// -----

// Not the pattern: the second use of A has other weights (A' != A). The real graph stays.
// CHECK-LABEL:  func.func @different_weights
// CHECK-NOT:    binary_complex
// CHECK-COUNT-4: nn.dense
// CHECK:        nn.concat
func.func @different_weights(%h: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %a = nn.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %a2 = nn.constant dense<[[1.0, 2.5]]> : tensor<1x2xf32>
  %b = nn.constant dense<[[3.0, -1.0]]> : tensor<1x2xf32>
  %x = nn.gather %h {indices = array<i64: 0, 1>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %y = nn.gather %h {indices = array<i64: 2, 3>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %ax = nn.dense %x, %a : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %by = nn.dense %y, %b : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %re = nn.sub %ax, %by : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %bx = nn.dense %x, %b : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %ay = nn.dense %y, %a2 : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %im = nn.add %bx, %ay : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %out = nn.concat %re, %im {axis = 1 : i64} : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x2xf32>
  func.return %out : tensor<1x2xf32>
}

// -----

// Not the pattern: the "halves" overlap (elements 1, 2 instead of 2, 3). The real graph stays.
// CHECK-LABEL:  func.func @wrong_split
// CHECK-NOT:    binary_complex
// CHECK:        nn.concat
func.func @wrong_split(%h: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %a = nn.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %b = nn.constant dense<[[3.0, -1.0]]> : tensor<1x2xf32>
  %x = nn.gather %h {indices = array<i64: 0, 1>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %y = nn.gather %h {indices = array<i64: 1, 2>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %ax = nn.dense %x, %a : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %by = nn.dense %y, %b : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %re = nn.sub %ax, %by : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %bx = nn.dense %x, %b : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %ay = nn.dense %y, %a : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  %im = nn.add %bx, %ay : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %out = nn.concat %re, %im {axis = 1 : i64} : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x2xf32>
  func.return %out : tensor<1x2xf32>
}

// -----

// A real dense layer whose weight is [[A, -B], [B, A]] (A = [1, 2], B = [3, -1]): a
// complex_dense with A and B, the bias kept as [re; im].
// CHECK-LABEL:  func.func @real_equivalent
// CHECK-DAG:    %[[A:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>
// CHECK-DAG:    %[[B:.*]] = nn.constant dense<{{\[\[}}3.000000e+00, -1.000000e+00]]> : tensor<1x2xf32>
// CHECK:        binary_complex.complex_dense %x, %[[A]], %[[B]], %c : (tensor<1x4xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
func.func @real_equivalent(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0, -3.0, 1.0], [3.0, -1.0, 1.0, 2.0]]> : tensor<2x4xf32>
  %c = nn.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = nn.dense %x, %w, %c : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// -----

// One element off the block structure (the last 2.0 is 2.5): a real layer, unchanged.
// CHECK-LABEL:  func.func @not_block
// CHECK-NOT:    binary_complex
// CHECK:        nn.dense
func.func @not_block(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0, -3.0, 1.0], [3.0, -1.0, 1.0, 2.5]]> : tensor<2x4xf32>
  %y = nn.dense %x, %w : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
