// RUN: nncc-opt %s -p 'sparse-cluster{k=2 compensate=false}' | filecheck %s
// RUN: nncc-opt %s -p 'sparse-cluster{k=3 scope=layer compensate=false}' | filecheck %s --check-prefix=LAYER
// RUN: nncc-opt %s -p 'sparse-cluster{k=2}' | filecheck %s --check-prefix=COMP

// k-means of float weights, worked by hand. Per neuron, k = 2: row 0 [1, 2, 10, 11] ->
// {1.5, 10.5}, row 1 [-5, -5, 1, 2] -> {-5, 1.5}. Per layer, k = 3: {-5}, {1, 2, 1, 2} -> 1.5,
// {10, 11} -> 10.5 (the same weights here). With compensation on the input moment
// H = diag(1, 0, 1, 1) (input 1 is always zero) the values are refitted to keep the outputs:
// row 0's first cluster becomes 1 (the weight of input 1 does not matter), row 1's are
// unchanged (-5 alone counts in its first cluster; 1 and 2 in the second, mean 1.5).
// CHECK-LABEL: func.func @float
// CHECK:       nn.constant dense<{{\[\[}}1.500000e+00, 1.500000e+00, 1.050000e+01, 1.050000e+01], [-5.000000e+00, -5.000000e+00, 1.500000e+00, 1.500000e+00]]>
// LAYER-LABEL: func.func @float
// LAYER:       nn.constant dense<{{\[\[}}1.500000e+00, 1.500000e+00, 1.050000e+01, 1.050000e+01], [-5.000000e+00, -5.000000e+00, 1.500000e+00, 1.500000e+00]]>
// COMP-LABEL:  func.func @float
// COMP:        nn.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.050000e+01, 1.050000e+01], [-5.000000e+00, -5.000000e+00, 1.500000e+00, 1.500000e+00]]>
func.func @float(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[1.0, 2.0, 10.0, 11.0], [-5.0, -5.0, 1.0, 2.0]]> : tensor<2x4xf32>
  %y = nn.dense %x, %w {pot_quant.input_moment = dense<[[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]]> : tensor<1x4x4xf64>} : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}

// On the fixed level the pass only sets the encoding: rows {3, -2} and {0, 3} have 2 raw
// values each (3 for the layer, which per layer at k = 3 fits too); the second layer's row
// 0 has 3 values (two's complement per neuron), the layer 4 (two's complement per layer).
// CHECK-LABEL: func.func @fixed
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.codebook<k = 2, neuron>}
// CHECK-NEXT:  fixed.constant
// CHECK-NEXT:  fixed.dense %{{.*}}, %{{.*}} :
// LAYER-LABEL: func.func @fixed
// LAYER:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.codebook<k = 3, layer>}
// LAYER-NEXT:  fixed.constant
// LAYER-NEXT:  fixed.dense %{{.*}}, %{{.*}} :
func.func @fixed(%x: tensor<1x4x!fixed.q<8, 3>>) -> (tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x!fixed.q<18, 6>>) {
  %w = fixed.constant dense<[[3, 3, -2, 3], [0, 3, 3, 0]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %a = fixed.dense %x, %w : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  %v = fixed.constant dense<[[1, 2, 3, 3], [4, 4, 1, 1]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %b = fixed.dense %x, %v : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  func.return %a, %b : tensor<1x2x!fixed.q<18, 6>>, tensor<1x2x!fixed.q<18, 6>>
}
