// RUN: nncc-opt %s -p 'sparse-prune{fraction=0.5 kind="unstructured" compensate=false}' | filecheck %s
// RUN: nncc-opt %s -p 'sparse-prune{kind="2:4" compensate=false}' | filecheck %s --check-prefix=NM
// RUN: nncc-opt %s -p 'sparse-prune{fraction=0.5 kind="2x2" compensate=false}' | filecheck %s --check-prefix=BLOCK
// RUN: nncc-opt %s -p 'sparse-prune{fraction=0.5 kind="balanced=2" compensate=false}' | filecheck %s --check-prefix=BAL
// RUN: nncc-opt %s -p 'sparse-prune{fraction=0.5 kind="channels" compensate=false}' | filecheck %s --check-prefix=CH

// Magnitude pruning of a 4x4 weight (rows = outputs), worked by hand. Unstructured 50 %: the 8
// smallest magnitudes (1..8) go. 2:4: in every row the 2 smaller of each group of 4. 2x2
// blocks, 50 %: the blocks' L2 norms are rows 0-1 x cols 0-1: sqrt(1+4+25+36) = 8.1, cols 2-3:
// sqrt(9+16+49+64) = 11.7, rows 2-3 x cols 0-1: sqrt(81+100+169+196) = 23.4, cols 2-3: 26.9;
// the two smallest (the top row of blocks) go. balanced=2: rows 0, 2 and rows 1, 3 are the
// groups; in every column the smaller weight of each group goes (rows 0 and 1). Channels
// 50 %: rows 0 and 1 have the smallest norms; their bias entries become zero too (the next
// layer reads the result through a relu, which keeps zero at zero); the second layer, whose
// result is the model's output, keeps its channels. Every other kind prunes the second layer
// too (not checked here).
// CHECK:       nn.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01], [1.300000e+01, 1.400000e+01, 1.500000e+01, 1.600000e+01]]>
// NM:          nn.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 3.000000e+00, -4.000000e+00], [0.000000e+00, 0.000000e+00, -7.000000e+00, 8.000000e+00], [0.000000e+00, 0.000000e+00, 1.100000e+01, 1.200000e+01], [0.000000e+00, 0.000000e+00, 1.500000e+01, 1.600000e+01]]>
// BLOCK:       nn.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01], [1.300000e+01, 1.400000e+01, 1.500000e+01, 1.600000e+01]]>
// BAL:         nn.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01], [1.300000e+01, 1.400000e+01, 1.500000e+01, 1.600000e+01]]>
// CH:          nn.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [9.000000e+00, 1.000000e+01, 1.100000e+01, 1.200000e+01], [1.300000e+01, 1.400000e+01, 1.500000e+01, 1.600000e+01]]>
// CH-NEXT:     nn.constant dense<[0.000000e+00, 0.000000e+00, 3.000000e+00, 4.000000e+00]>
// CH-NEXT:     nn.dense
// CH-NEXT:     nn.relu
// CH-NEXT:     nn.constant dense<{{\[\[}}1.000000e+02
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[1.0, -2.0, 3.0, -4.0], [5.0, 6.0, -7.0, 8.0], [9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]> : tensor<4x4xf32>
  %b = nn.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %h = nn.dense %x, %w, %b : (tensor<1x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %r = nn.relu %h : tensor<1x4xf32>
  %v = nn.constant dense<[[100.0, 200.0, 300.0, 400.0], [500.0, 600.0, 700.0, 800.0]]> : tensor<2x4xf32>
  %y = nn.dense %r, %v : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<1x2xf32>
  func.return %y : tensor<1x2xf32>
}
