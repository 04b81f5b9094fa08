// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission{io=stream},dataflow-plan,dataflow-stream' | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission{io=stream},dataflow-plan,dataflow-stream' | nncc-opt | filecheck %s
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission,dataflow-plan,dataflow-stream' | filecheck %s --check-prefix=PARALLEL
// RUN: nncc-opt %s -p 'dataflow-tile{reuse_factor=2},hls-prepare-for-emission{io=stream},dataflow-plan,dataflow-stream{fifo_memory=bram}' | filecheck %s --check-prefix=BRAM

// The 3x3 convolution of dataflow-plan.mlir (1x4x4 input, padding 1, 2 channels, RF 2) in
// I/O style `stream`. The source (the top's input port) takes the 16 input pixels one per cycle
// (cycles 0..15, from the first beat) into a
// FIFO in front of the line-buffer stage; that stage takes 52 cycles per sample (its window
// timing: 36 positions fed + 16 anchors x (RF - 1) = 52), so it is the design's II, and it
// falls behind the source: the cycle model sees at most 10 beats waiting, so the FIFO's depth
// is 11 (the smallest that never refuses a push). The output tensor goes whole to the tail
// through a collecting FIFO of depth 1. With fifo_memory = auto, the 11 x 8 bits go to
// distributed RAM and the 1-beat collector to registers; fifo_memory = bram puts both in
// block RAM. The plan survives printing and parsing (second RUN).
// With io = parallel the pass changes nothing (no FIFO).

// CHECK:       builtin.module attributes {dataflow.schedule = {ii = 52 : i64, latency = 56 : i64}
// CHECK-SAME:  dataflow.stream_schedule = {ii = 52 : i64, latency = 56 : i64
// CHECK:       fixed.quantize
// CHECK-SAME:  dataflow.stream_stage = {kind = "source", service = 16 : i64, first_in = 0 : i64, first_out = 0 : i64, last_out = 15 : i64}
// CHECK:       dataflow.fifo %q
// CHECK-SAME:  dataflow.stream_fifo = {max_occupancy = 10 : i64
// CHECK-SAME:  depth = 11 : i64, width = 8 : i64, beats = 16 : i64, memory = "lutram"
// CHECK:       dataflow.pe
// CHECK-SAME:  dataflow.stream_stage = {kind = "window", service = 52 : i64
// CHECK:       dataflow.fifo
// CHECK-SAME:  dataflow.stream_stage = {kind = "collect"
// CHECK-SAME:  depth = 1 : i64
// CHECK-SAME:  collect
// CHECK-SAME:  memory = "registers"
// CHECK:       fixed.dequantize

// BRAM-COUNT-2: memory = "bram"

// PARALLEL-NOT: dataflow.fifo
// PARALLEL-NOT: stream_schedule

func.func @main(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %q = fixed.quantize %x {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4x!fixed.q<8, 3>>
  %w = fixed.constant dense<[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], [[[-1, -2, -3], [-4, -5, -6], [-7, -8, -9]]]]> : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!fixed.q<8, 1>>
  %c = fixed.conv %q, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x4x4x!fixed.q<8, 3>>, tensor<2x1x3x3x!fixed.q<8, 1>>) -> tensor<1x2x4x4x!fixed.q<20, 8>>
  %d = fixed.dequantize %c : tensor<1x2x4x4x!fixed.q<20, 8>> -> tensor<1x2x4x4xf32>
  func.return %d : tensor<1x2x4x4xf32>
}
