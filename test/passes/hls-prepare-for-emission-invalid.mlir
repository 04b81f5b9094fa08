// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p hls-prepare-for-emission | filecheck %s

// CHECK: hls-prepare-for-emission: not emittable (quantize with convert-nn-to-fixed and lower activations with fixed-lower-activations first): nn.relu 'relu', fixed.activation 'sig'
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4x!fixed.q<8, 1>> {
  %r = nn.relu %x : tensor<1x4xf32> loc("relu")
  %q = fixed.quantize %r {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %s = fixed.activation %q {function = "sigmoid"} : tensor<1x4x!fixed.q<8, 3>> -> tensor<1x4x!fixed.q<8, 1>> loc("sig")
  func.return %s : tensor<1x4x!fixed.q<8, 1>>
}
