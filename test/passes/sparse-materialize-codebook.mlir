// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan,sparse-materialize' | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile,hls-prepare-for-emission,dataflow-plan,sparse-materialize' | filecheck %s --check-prefix=RF1
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan,sparse-materialize' | nncc-opt | filecheck %s

// A 4x4 dense layer with at most 2 raw values per output: row 0 {5: terms 0, 2, 3; -3: term 1},
// row 1 {2: terms 0, 3} (zeros need no lane), row 2 {-1: terms 0, 1; 4: terms 2, 3}, row 3
// {7: all four}. Clusters per output 2, 1, 2, 1; sorted by count the outputs are 0, 2, 1, 3.
// At RF 2 slot 0 computes outputs 0 and 2, slot 1 outputs 1 and 3 (slot_map = [0, 1, 2, 3]);
// slot 0 has 2 lanes, slot 1 one; every cell lists its cluster's terms padded to M = 4 with
// -1, lanes of slot 0 in the order (lane 0: phase 0, phase 1), (lane 1: ...): clusters -3 of
// row 0 and -1 of row 2 first (values in increasing order), then 5 and 4. 3 multipliers
// instead of 4 * 4 / 2 = 8.
// CHECK:       dataflow.pe
// CHECK-SAME:  dataflow.plan = #dataflow.pe_plan<reuse = 2, slots = 2, acc_width = 18, stages = 1, slot_map = [0, 1, 2, 3], chains = [0, 2], tree = [], roots = []>
// CHECK-SAME:  dataflow.clusters = #dataflow.cluster_plan<lanes = [2, 1], width = 4, terms = [1, -1, -1, -1, 0, 1, -1, -1, 0, 2, 3, -1, 2, 3, -1, -1, 0, 3, -1, -1, 0, 1, 2, 3]>
// CHECK-SAME:  multipliers = 3 : i64

// At RF 1 each output has a slot and one lane per cluster: 2 + 2 + 1 + 1 = 6 multipliers.
// RF1:         slot_map = [0, 2, 1, 3]
// RF1-SAME:    dataflow.clusters = #dataflow.cluster_plan<lanes = [2, 2, 1, 1], width = 4,
// RF1-SAME:    multipliers = 6 : i64
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[5, -3, 5, 5], [2, 0, 0, 2], [-1, -1, 4, 4], [7, 7, 7, 7]]> : tensor<4x4xi8> -> tensor<4x4x!fixed.q<8, 1>>
  %d = fixed.dense %q, %w {encoding = #encoding.codebook<k = 2, neuron>} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x4x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<18, 6>>
  %y = fixed.dequantize %d : tensor<1x4x!fixed.q<18, 6>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
