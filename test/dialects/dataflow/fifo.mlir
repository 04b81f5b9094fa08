// RUN: NNCC_ROUNDTRIP

// A stream FIFO (io = stream): depth and width of its beats, beats per sample, what holds them (`memory`); the collector's carries `collect`.

// CHECK:      %[[F:.*]] = dataflow.fifo %x {beats = 16 : i64, depth = 3 : i64, width = 32 : i64} : tensor<1x2x4x4x!fixed.q<16, 6>> -> tensor<1x2x4x4x!fixed.q<16, 6>>
// CHECK-NEXT: %[[C:.*]] = dataflow.fifo %[[F]] {beats = 16 : i64, collect, depth = 1 : i64, memory = "bram", width = 32 : i64} : tensor<1x2x4x4x!fixed.q<16, 6>> -> tensor<1x2x4x4x!fixed.q<16, 6>>
func.func @main(%x: tensor<1x2x4x4x!fixed.q<16, 6>>) -> tensor<1x2x4x4x!fixed.q<16, 6>> {
  %f = dataflow.fifo %x {beats = 16 : i64, depth = 3 : i64, width = 32 : i64} : tensor<1x2x4x4x!fixed.q<16, 6>> -> tensor<1x2x4x4x!fixed.q<16, 6>>
  %c = dataflow.fifo %f {beats = 16 : i64, collect, depth = 1 : i64, memory = "bram", width = 32 : i64} : tensor<1x2x4x4x!fixed.q<16, 6>> -> tensor<1x2x4x4x!fixed.q<16, 6>>
  func.return %c : tensor<1x2x4x4x!fixed.q<16, 6>>
}
