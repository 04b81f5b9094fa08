// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan' | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission,dataflow-plan' | filecheck %s --check-prefix=RF1
// RUN: nncc-opt %s -p 'pot-quant-replace-mul-with-shift{all_layers=true},dataflow-tile,hls-prepare-for-emission,dataflow-plan' | filecheck %s --check-prefix=TREE
// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission,dataflow-plan' | nncc-opt | filecheck %s --check-prefix=RF1

// A 3x3 convolution (padding 1) of a 1x4x4 input to 2 channels as a window engine. Its
// controller timing is WindowGeometry's formula worked out by hand: the padded input is
// 6x6, the last anchor (bottom-right corner of the last window) is padded row 5, column 5,
// so fed = 5 * 6 + 5 + 1 = 36 positions; 4 x 4 = 16 anchors; the line buffer holds 2 rows
// plus 3 pixels = 15; latency = fed + anchors * (R - 1) + 2 = 36 + 16 + 2 = 54 at RF 2 and
// 38 at RF 1 -- the same as the PE's `latency`, which dataflow-tile took from
// WindowGeometry.latency. The output is valid at that cycle; the handshake groups are input
// -> PE and PE -> output register. The plan survives printing and parsing (last RUN line).

// CHECK:       func.func @main
// CHECK-SAME:  dataflow.handshakes = [#dataflow.handshake<producers = ["in"], consumers = ["l1_pe"]>, #dataflow.handshake<producers = ["l1_pe"], consumers = ["out"]>]
// CHECK:       fixed.quantize
// CHECK-SAME:  dataflow.valid_at = 0 : i64
// CHECK:       dataflow.pe
// CHECK-SAME:  dataflow.valid_at = 54 : i64
// CHECK-SAME:  dataflow.plan = #dataflow.pe_plan<reuse = 2, slots = 1, acc_width = 20, stages = 1, slot_map = [0, 1], chains = [0, 9], tree = [], roots = []>
// CHECK-SAME:  dataflow.window_timing = #dataflow.window_timing<fed = 36, anchors = 16, reuse = 2, latency = 54, line_buffer = 15, last_row = 5, last_col = 5>
// CHECK-SAME:  latency = 54 : i64
// CHECK:       fixed.dequantize
// CHECK-SAME:  dataflow.valid_at = 54 : i64

// RF1:         dataflow.pe
// RF1-SAME:    dataflow.valid_at = 38 : i64
// RF1-SAME:    dataflow.plan = #dataflow.pe_plan<reuse = 1, slots = 2, acc_width = 20, stages = 1, slot_map = [0, 1], chains = [0, 9], tree = [], roots = []>
// RF1-SAME:    dataflow.window_timing = #dataflow.window_timing<fed = 36, anchors = 16, reuse = 1, latency = 38, line_buffer = 15, last_row = 5, last_col = 5>
// RF1-SAME:    latency = 38 : i64

// Shift-and-add: per slot a balanced adder tree, nodes (slot, width, left, right); slot 0's
// first node adds terms 0 and 1 (p0 + 2 p1 of 8-bit inputs: 10 bits), its root is the last
// node; no product chains.
// TREE:        dataflow.plan = #dataflow.pe_plan<reuse = 1, slots = 2, acc_width = 20, stages = 1, slot_map = [0, 1], chains = [], tree = [0, 10, 0, 1, 0, 11, 2, 3,
// TREE-SAME:   roots = [{{[0-9]+}}, {{[0-9]+}}]>

func.func @main(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!fixed.q<8, 1>>
  %c = fixed.conv %q, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x3x3x!fixed.q<8, 1>>) -> tensor<1x2x4x4x!fixed.q<20, 8>>
  %d = fixed.dequantize %c : tensor<1x2x4x4x!fixed.q<20, 8>> -> tensor<1x2x4x4xf32>
  func.return %d : tensor<1x2x4x4xf32>
}
