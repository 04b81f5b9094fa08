// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// CHECK: dataflow.pe: reuse factor 3 does not divide the 4 outputs
func.func @main(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
  %d = dataflow.pe %x attributes {latency = 3 : i64, multipliers = 4 : i64, reuse_factor = 3 : i64} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
  ^bb0(%a: tensor<1x2x!fixed.q<8, 3>>):
    %w = fixed.constant dense<1> : tensor<4x2xi8> -> tensor<4x2x!fixed.q<8, 1>>
    %r = fixed.dense %a, %w : (tensor<1x2x!fixed.q<8, 3>>, tensor<4x2x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<17, 5>>
    dataflow.yield %r : tensor<1x4x!fixed.q<17, 5>>
  }
  func.return %d : tensor<1x4x!fixed.q<17, 5>>
}

// -----

// CHECK: dataflow.pe: the body must end in dataflow.yield of the result
func.func @main(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
  %d = dataflow.pe %x attributes {latency = 1 : i64, multipliers = 8 : i64, reuse_factor = 1 : i64} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
  ^bb0(%a: tensor<1x2x!fixed.q<8, 3>>):
    dataflow.yield %a : tensor<1x2x!fixed.q<8, 3>>
  }
  func.return %d : tensor<1x4x!fixed.q<17, 5>>
}

// -----

// CHECK: dataflow.fifo: depth must be >= 1
func.func @main(%x: tensor<1x2x4x4x!fixed.q<16, 6>>) -> tensor<1x2x4x4x!fixed.q<16, 6>> {
  %f = dataflow.fifo %x {beats = 16 : i64, depth = 0 : i64, width = 32 : i64} : tensor<1x2x4x4x!fixed.q<16, 6>> -> tensor<1x2x4x4x!fixed.q<16, 6>>
  func.return %f : tensor<1x2x4x4x!fixed.q<16, 6>>
}

// -----

// CHECK: dataflow.fifo: memory must be one of registers, lutram, bram, not 'sram'
func.func @main(%x: tensor<1x2x4x4x!fixed.q<16, 6>>) -> tensor<1x2x4x4x!fixed.q<16, 6>> {
  %f = dataflow.fifo %x {beats = 16 : i64, depth = 2 : i64, memory = "sram", width = 32 : i64} : tensor<1x2x4x4x!fixed.q<16, 6>> -> tensor<1x2x4x4x!fixed.q<16, 6>>
  func.return %f : tensor<1x2x4x4x!fixed.q<16, 6>>
}
