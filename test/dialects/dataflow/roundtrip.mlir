// RUN: NNCC_ROUNDTRIP

// CHECK:       builtin.module attributes {dataflow.schedule = {ii = 2 : i64, latency = 3 : i64}} {
// CHECK:       %[[PE:.*]] = dataflow.pe %x attributes {latency = 2 : i64, multipliers = 4 : i64, reuse_factor = 2 : i64} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
// CHECK-NEXT:  ^{{.*}}(%[[A:.*]]: tensor<1x2x!fixed.q<8, 3>>):
// CHECK-NEXT:    %[[W:.*]] = fixed.constant
// CHECK-NEXT:    %[[D:.*]] = fixed.dense %[[A]], %[[W]]
// CHECK-NEXT:    dataflow.yield %[[D]] : tensor<1x4x!fixed.q<17, 5>>
// CHECK-NEXT:  }
builtin.module attributes {dataflow.schedule = {ii = 2 : i64, latency = 3 : i64}} {
  func.func @main(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
    %d = dataflow.pe %x attributes {latency = 2 : i64, multipliers = 4 : i64, reuse_factor = 2 : i64} : (tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<17, 5>> {
    ^bb0(%a: tensor<1x2x!fixed.q<8, 3>>):
      %w = fixed.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8> -> tensor<4x2x!fixed.q<8, 1>>
      %r = fixed.dense %a, %w : (tensor<1x2x!fixed.q<8, 3>>, tensor<4x2x!fixed.q<8, 1>>) -> tensor<1x4x!fixed.q<17, 5>>
      dataflow.yield %r : tensor<1x4x!fixed.q<17, 5>>
    }
    func.return %d : tensor<1x4x!fixed.q<17, 5>>
  }
}
