// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p dataflow-plan | filecheck %s

// The plan reads the schedule of dataflow-tile and the names of hls-prepare-for-emission.
// CHECK: dataflow-plan: the module is not tiled and prepared: run dataflow-tile and hls-prepare-for-emission first
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4x!fixed.q<8, 3>> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %r = nn.relu %q : tensor<1x4x!fixed.q<8, 3>>
  func.return %r : tensor<1x4x!fixed.q<8, 3>>
}
