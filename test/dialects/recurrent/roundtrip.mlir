// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s
// RUN: nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file | filecheck %s

// The recurrent ops survive printing and parsing, in the custom and the generic form.

// CHECK-LABEL: func.func @lstm(
// CHECK-NEXT:    %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "forward"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
// CHECK-NEXT:    %z = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {clip = 3.000000e+00 : f64, direction = "reverse"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
func.func @lstm(%x: tensor<1x5x3xf32>, %w: tensor<8x3xf32>, %r: tensor<8x2xf32>, %wb: tensor<8xf32>, %rb: tensor<8xf32>, %h: tensor<1x2xf32>, %c: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "forward"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  %z = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {clip = 3.0 : f64, direction = "reverse"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %z : tensor<1x5x2xf32>
}

// -----

// CHECK-LABEL: func.func @gru(
// CHECK-NEXT:    %y = recurrent.gru %x, %w, %r, %wb, %rb, %h {direction = "forward", linear_before_reset = 1 : i64} : (tensor<1x5x3xf32>, tensor<6x3xf32>, tensor<6x2xf32>, tensor<6xf32>, tensor<6xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
func.func @gru(%x: tensor<1x5x3xf32>, %w: tensor<6x3xf32>, %r: tensor<6x2xf32>, %wb: tensor<6xf32>, %rb: tensor<6xf32>, %h: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  %y = recurrent.gru %x, %w, %r, %wb, %rb, %h {direction = "forward", linear_before_reset = 1 : i64} : (tensor<1x5x3xf32>, tensor<6x3xf32>, tensor<6x2xf32>, tensor<6xf32>, tensor<6xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}
