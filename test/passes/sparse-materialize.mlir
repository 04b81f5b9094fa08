// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan,sparse-materialize' | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission,dataflow-plan,sparse-materialize' | filecheck %s --check-prefix=RF1
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan,sparse-materialize' | nncc-opt | filecheck %s

// A masked 4x4 dense layer with 1, 3, 0 and 2 non-zero weights in rows 0..3 (6 of 16).
// Sorted by count the outputs are 1, 3, 0, 2; at RF 2 each of the 2 slots takes two
// consecutive ones: slot 0 computes output 1 in phase 0 and output 3 in phase 1, slot 1
// outputs 0 and 2, so slot_map (phase-major) = [1, 0, 3, 2]. Slot 0 needs 3 lanes (row 1's
// non-zeros, terms 0, 2, 3; row 3's are 1, 3 and nothing in its third lane), slot 1 one
// lane (row 0's term 2; row 2 has none): taps per (lane, phase) = [0, 1, 2, 3, 3, -1, 2, -1],
// 4 multipliers instead of the dense 4 * 4 / 2 = 8. The plan survives printing and parsing.
// CHECK:       dataflow.pe
// CHECK-SAME:  dataflow.plan = #dataflow.pe_plan<reuse = 2, slots = 2, acc_width = 18, stages = 1, slot_map = [1, 0, 3, 2], chains = [0, 3], tree = [], roots = []>
// CHECK-SAME:  dataflow.lanes = #dataflow.lane_plan<lanes = [3, 1], taps = [0, 1, 2, 3, 3, -1, 2, -1]>
// CHECK-SAME:  multipliers = 4 : i64
// CHECK-SAME:  reuse_factor = 2 : i64

// At RF 1 every output has its own slot and exactly its non-zeros as lanes: 6 multipliers.
// RF1:         dataflow.plan = #dataflow.pe_plan<reuse = 1, slots = 4, acc_width = 18, stages = 1, slot_map = [1, 3, 0, 2], chains = [0, 3], tree = [], roots = []>
// RF1-SAME:    dataflow.lanes = #dataflow.lane_plan<lanes = [3, 2, 1, 0], taps = [0, 2, 3, 1, 3, 2]>
// RF1-SAME:    multipliers = 6 : i64
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[0, 0, 7, 0], [1, 0, 2, 5], [0, 0, 0, 0], [0, 3, 0, 4]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %d = fixed.dense %q, %w {encoding = #encoding.sparse<mask>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  %y = fixed.dequantize %d : tensor<1x4x!fixed.q<18, 6>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
