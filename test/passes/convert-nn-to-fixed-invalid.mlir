// RUN: nncc-opt %s --split-input-file --verify-diagnostics -p convert-nn-to-fixed | filecheck %s

// CHECK: convert-nn-to-fixed: input %x has no calibrated range (argument attribute fixed.range)
func.func @no_input_range(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  func.return %x : tensor<1x2xf32>
}

// -----

// CHECK: convert-nn-to-fixed: nn.dense 'fc': no calibrated range (attribute fixed.range); calibrate the model first
func.func @no_layer_range(%x: tensor<1x2xf32> {fixed.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<0.5> : tensor<2x2xf32>
  %y = nn.dense %x, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("fc")
  func.return %y : tensor<1x2xf32>
}

// -----

// CHECK: convert-nn-to-fixed: nn.div 'd': division is supported only by non-zero constants
func.func @runtime_div(%x: tensor<1x2xf32> {fixed.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
  %y = nn.div %x, %x {fixed.range = array<f64: -1.0, 1.0>} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32> loc("d")
  func.return %y : tensor<1x2xf32>
}

// -----

// CHECK: convert-nn-to-fixed: nn.dense 'big': values do not fit a fixed-point type (fixed integer bits must be in [-64, 128], got 129)
func.func @huge_weight(%x: tensor<1x2xf32> {fixed.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<3.0e38> : tensor<2x2xf32>
  %y = nn.dense %x, %w {fixed.range = array<f64: -1.0, 1.0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("big")
  func.return %y : tensor<1x2xf32>
}

