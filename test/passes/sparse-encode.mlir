// RUN: nncc-opt %s -p 'sparse-encode{threshold=0.5}' --split-input-file | filecheck %s
// RUN: nncc-opt %s -p 'sparse-encode{threshold=0.5 structure="2:4"}' --split-input-file | filecheck %s --check-prefix=NM
// RUN: not nncc-opt %s -p 'sparse-encode{threshold=0.5 structure="1:4"}' 2>&1 | filecheck %s --check-prefix=BAD

// Half of the first layer's weights are zero, at most 2 in every 4 of a row: it gets the
// sparse encoding; the second layer (1 zero of 8) stays two's complement.
// CHECK:       fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<mask>}
// CHECK:       fixed.dense %{{.*}}, %{{.*}} :
// NM:          fixed.dense %{{.*}}, %{{.*}} {encoding = #encoding.sparse<n = 2, m = 4>}
// NM:          fixed.dense %{{.*}}, %{{.*}} :
// 1:4 does not hold: the pass names the layer and the row.
// BAD:         sparse-encode: layer 'dense' does not fit #encoding.sparse<n = 1, m = 4>: row 0 has 2 non-zeros in weights 0..3, the encoding allows 1 of 4
func.func @main(%x: tensor<1x4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
  %w = fixed.constant dense<[[1, 0, 0, 2], [0, 3, 4, 0]]> : tensor<2x4xi8> -> tensor<2x4x!fixed.q<8, 1>>
  %d = fixed.dense %x, %w : (tensor<1x4x!fixed.q<8, 3>>, tensor<2x4x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 6>>
  %c = fixed.cast %d {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<18, 6>> -> tensor<1x2x!fixed.q<8, 3>>
  %v = fixed.constant dense<[[1, 2], [3, 0], [5, 6], [7, 8]]> : tensor<4x2xi8> -> tensor<4x2x!fixed.q<8, 1>>
  %e = fixed.dense %c, %v : (tensor<1x2x!fixed.q<8, 3>>, tensor<4x2x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<17, 5>>
  func.return %e : tensor<1x4x!fixed.q<17, 5>>
}
