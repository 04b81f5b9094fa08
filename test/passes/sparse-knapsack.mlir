// RUN: nncc-opt %s -p 'sparse-knapsack{budget=0.5 reuse_factor=2 rounds=1 compensate=false}' | filecheck %s
// RUN: nncc-opt %s -p 'sparse-knapsack{budget=0.5 reuse_factor=1 rounds=1 compensate=false}' | filecheck %s --check-prefix=RF1

// A 4x2 dense layer at reuse factor 2: slot 0 computes outputs 0 and 2, slot 1 outputs 1 and
// 3, 4 multipliers when dense; the budget is half of them, 2 lanes. Without an input moment a
// weight's value is its square. Two lanes on slot 0 keep rows 0 and 2 whole (64 + 4 + 49 + 4
// = 121); one lane per slot would keep 64 + 49 + 1 + 1 = 115. So rows 1 and 3 go.
// CHECK:       nn.constant dense<{{\[\[}}8.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00], [7.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00]]>
// At reuse factor 1 every output is a slot: 4 of the 8 weights, the largest, stay.
// RF1:         nn.constant dense<{{\[\[}}8.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00], [7.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00]]>
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %w = nn.constant dense<[[8.0, 2.0], [1.0, 1.0], [7.0, 2.0], [1.0, 1.0]]> : tensor<4x2xf32>
  %y = nn.dense %x, %w : (tensor<1x2xf32>, tensor<4x2xf32>) -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
