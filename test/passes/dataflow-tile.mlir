// RUN: nncc-opt %s -p dataflow-tile --split-input-file | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=3}' --split-input-file | filecheck %s --check-prefix=RF3
// RUN: nncc-opt %s -p 'dataflow-tile{target_ii=2}' --split-input-file | filecheck %s --check-prefix=II
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2 weight_memory=bram}' --split-input-file | filecheck %s --check-prefix=BRAM
// RUN: nncc-opt %s -p 'dataflow-tile{weight_memory=bram}' --split-input-file | filecheck %s --check-prefix=BRAM1

// A 4-output dense layer of 2 terms: fully parallel by default (8 multipliers, 1 cycle);
// the weights move into the processing element. Schedule: 1 cycle of PE + 1 output register.
// CHECK:       builtin.module attributes {dataflow.schedule = {ii = 1 : i64, latency = 2 : i64}}
// CHECK:       %[[PE:.*]] = dataflow.pe %[[Q:.*]] attributes {latency = 1 : i64, multipliers = 8 : i64, reuse_factor = 1 : i64} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
// CHECK-NEXT:  ^{{.*}}(%[[A:.*]]: tensor<1x2x!fixed.q<8, 3>>):
// CHECK-NEXT:    %[[W:.*]] = fixed.constant
// CHECK-NEXT:    %[[D:.*]] = fixed.dense %[[A]], %[[W]]
// CHECK-NEXT:    dataflow.yield %[[D]] : tensor<1x4x!fixed.q<17, 5>>
// CHECK-NEXT:  }
// CHECK-NEXT:  fixed.cast %[[PE]]

// 3 does not divide 4 outputs: rounded up to 4 (one output per cycle, 2 multipliers).
// RF3:         dataflow.schedule = {ii = 4 : i64, latency = 5 : i64}
// RF3:         dataflow.pe {{.*}} attributes {latency = 4 : i64, multipliers = 2 : i64, reuse_factor = 4 : i64}

// II:          dataflow.schedule = {ii = 2 : i64, latency = 3 : i64}
// II:          dataflow.pe {{.*}} attributes {latency = 2 : i64, multipliers = 4 : i64, reuse_factor = 2 : i64}

// weight_memory=bram at RF 2: the weights of each phase come from a block-RAM word; at RF 1
// there is one word, so they stay constants.
// BRAM:        dataflow.pe {{.*}} attributes {dataflow.weight_memory = "bram", latency = 2 : i64, multipliers = 4 : i64, reuse_factor = 2 : i64}
// BRAM1:       dataflow.pe {{.*}} attributes {latency = 1 : i64, multipliers = 8 : i64, reuse_factor = 1 : i64}
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8> -> tensor<4x2x!fixed.q<8, 1>>
  %d = fixed.dense %q, %w : (tensor<1x2x!fixed.q<8, 3>>, tensor<4x2x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<17, 5>>
  %c = fixed.cast %d {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4x!fixed.q<17, 5>> -> tensor<1x4x!fixed.q<8, 4>>
  %y = fixed.dequantize %c : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----
// A convolution becomes a sliding-window engine: 2 input channels of 4x4 padded to 6x6, a 3x3
// kernel, 3 output channels. Q = 5 * 6 + 5 + 1 = 36 padded positions fed, A = 16 output
// pixels: latency = Q + A * (R - 1) + 2 = 38 at R = 1 (3 * 18 = 54 multipliers: one output
// pixel per cycle); R must divide the 3 channels, so RF 3 gives one channel per cycle,
// 18 multipliers, latency 36 + 16 * 2 + 2 = 70. conv_window=false keeps a plain PE over the
// 48 outputs.
// RUN: nncc-opt %s -p dataflow-tile --split-input-file | filecheck %s --check-prefix=WIN
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=3}' --split-input-file | filecheck %s --check-prefix=WIN3
// RUN: nncc-opt %s -p 'dataflow-tile{conv_window=false}' --split-input-file | filecheck %s --check-prefix=FLAT
// WIN:  dataflow.schedule = {ii = 38 : i64, latency = 39 : i64}
// WIN:  dataflow.pe {{.*}} attributes {latency = 38 : i64, multipliers = 54 : i64, reuse_factor = 1 : i64, window}
// WIN3: dataflow.schedule = {ii = 70 : i64, latency = 71 : i64}
// WIN3: dataflow.pe {{.*}} attributes {latency = 70 : i64, multipliers = 18 : i64, reuse_factor = 3 : i64, window}
// FLAT: dataflow.schedule = {ii = 1 : i64, latency = 2 : i64}
// FLAT: dataflow.pe {{.*}} attributes {latency = 1 : i64, multipliers = 864 : i64, reuse_factor = 1 : i64} :
func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!fixed.q<8, 3>>
  %w = fixed.constant dense<1> : tensor<3x2x3x3xi8> -> tensor<3x2x3x3x!fixed.q<8, 1>>
  %c = fixed.conv %q, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!fixed.q<8, 3>>, tensor<3x2x3x3x!fixed.q<8, 1>>) -> tensor<1x3x4x4x!fixed.q<21, 9>>
  %d = fixed.dequantize %c : tensor<1x3x4x4x!fixed.q<21, 9>> -> tensor<1x3x4x4xf32>
  func.return %d : tensor<1x3x4x4xf32>
}
