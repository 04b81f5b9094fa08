// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission,dataflow-plan' | filecheck %s --check-prefix=FULL
// RUN: nncc-opt %s -p 'dataflow-tile{simd=7},hls-prepare-for-emission,dataflow-plan' | filecheck %s --check-prefix=SIMD
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2 simd=9},hls-prepare-for-emission,dataflow-plan' | filecheck %s --check-prefix=BOTH
// RUN: nncc-opt %s -p 'dataflow-tile{simd=7},hls-prepare-for-emission,dataflow-plan' | nncc-opt | filecheck %s --check-prefix=SIMD

// An XNOR window engine folded in FINN's two dimensions: PE = output channels / R per phase,
// SIMD = window bits per phase. A 3x3 stride-2 binary convolution of a 2x5x5 sign map to 2
// channels, K = 18. Window geometry by hand: the last anchor is row 4, column 4 of the 5x5
// input, fed = 4 * 5 + 4 + 1 = 25; 2 x 2 = 4 anchors; latency = fed + anchors * (R - 1) + 2.
// Fully parallel (no simd): one phase per output pixel, latency 27, a popcount tree of 18
// leaves per slot (17 nodes, 5 bits at the root).
// FULL:       dataflow.pe
// FULL-NOT:   dataflow.simd
// FULL-SAME:  dataflow.plan = #dataflow.pe_plan<reuse = 1, slots = 2, acc_width = 9, stages = 1, slot_map = [0, 1], chains = [],
// FULL-SAME:  roots = [34, 34]>
// FULL-SAME:  dataflow.window_timing = #dataflow.window_timing<fed = 25, anchors = 4, reuse = 1, latency = 27, line_buffer = 13, last_row = 4, last_col = 4>
// FULL-SAME:  latency = 27 : i64, multipliers = 36 : i64, reuse_factor = 1 : i64, window

// simd = 7 is rounded down to 6, the largest divisor of 18 not above it: each output takes
// F = 3 phases of 6 bits (R = 3, latency 25 + 4 * 2 + 2 = 35), both slots count 6 bits per
// phase (5 nodes each: 3 pairs, then 2 adds to a 3-bit root); the slot map names each output
// on its 3 phases; 12 XNOR units. The plan survives printing and parsing (last RUN line).
// SIMD:       dataflow.pe
// SIMD-SAME:  dataflow.simd = 6 : i64
// SIMD-SAME:  dataflow.plan = #dataflow.pe_plan<reuse = 3, slots = 2, acc_width = 9, stages = 1, slot_map = [0, 1, 0, 1, 0, 1], chains = [], tree = [0, 2, 0, 1, 0, 2, 2, 3, 0, 2, 4, 5, 0, 3, 6, 7, 0, 3, 9, 8, 1, 2, 0, 1, 1, 2, 2, 3, 1, 2, 4, 5, 1, 3, 6, 7, 1, 3, 9, 8], roots = [10, 10]>
// SIMD-SAME:  dataflow.window_timing = #dataflow.window_timing<fed = 25, anchors = 4, reuse = 3, latency = 35, line_buffer = 13, last_row = 4, last_col = 4>
// SIMD-SAME:  latency = 35 : i64, multipliers = 12 : i64, reuse_factor = 3 : i64, window

// Both: PE = 1 (reuse factor 2: one output channel per group) and SIMD = 9 (F = 2): four
// phases per output pixel, output 0 on phases 0-1 and output 1 on phases 2-3; latency
// 25 + 4 * 3 + 2 = 39; 9 XNOR units.
// BOTH:       dataflow.pe
// BOTH-SAME:  dataflow.simd = 9 : i64
// BOTH-SAME:  dataflow.plan = #dataflow.pe_plan<reuse = 4, slots = 1, acc_width = 9, stages = 1, slot_map = [0, 0, 1, 1], chains = [],
// BOTH-SAME:  dataflow.window_timing = #dataflow.window_timing<fed = 25, anchors = 4, reuse = 4, latency = 39, line_buffer = 13, last_row = 4, last_col = 4>
// BOTH-SAME:  latency = 39 : i64, multipliers = 9 : i64, reuse_factor = 4 : i64, window

func.func @main(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x2x2xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x5x5xf32> -> tensor<1x2x5x5x!fixed.q<8, 3>>
  %s = fixed.lut %q {function = "sign", offset = 1 : i64, shift = 7 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x2x5x5x!fixed.q<8, 3>> -> tensor<1x2x5x5x!fixed.q<2, 2>>
  %w = fixed.constant dense<[[[[1, -1, 1], [1, 1, -1], [-1, -1, 1]], [[1, 1, 1], [-1, 1, -1], [1, -1, -1]]], [[[-1, -1, 1], [1, -1, 1], [1, 1, 1]], [[-1, 1, -1], [1, 1, 1], [-1, -1, 1]]]]> : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!fixed.q<2, 2>>
  %y = binary_complex.xnor_conv %s, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x5x5x!fixed.q<2, 2>>, tensor<2x2x3x3x!fixed.q<2, 2>>) -> tensor<1x2x2x2x!fixed.q<9, 9>>
  %d = fixed.dequantize %y : tensor<1x2x2x2x!fixed.q<9, 9>> -> tensor<1x2x2x2xf32>
  func.return %d : tensor<1x2x2x2xf32>
}
