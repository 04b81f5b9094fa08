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

// -----

// The fixed-point level: one GRU-like step (h' = sigmoid(x W^T + b) * h) applied over time.
// CHECK-LABEL: func.func @scan(
// CHECK:         %y = recurrent.scan %x, %h0 {direction = "reverse"} : (tensor<1x5x3x!fixed.q<8, 2>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
// CHECK-NEXT:    ^bb0(%xt: tensor<1x3x!fixed.q<8, 2>>, %h: tensor<1x2x!fixed.q<8, 1>>):
// CHECK:           recurrent.yield %h2 : tensor<1x2x!fixed.q<8, 1>>
// CHECK-NEXT:    }
func.func @scan(%x: tensor<1x5x3x!fixed.q<8, 2>>, %h0: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
  %y = recurrent.scan %x, %h0 {direction = "reverse"} : (tensor<1x5x3x!fixed.q<8, 2>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
  ^bb0(%xt: tensor<1x3x!fixed.q<8, 2>>, %h: tensor<1x2x!fixed.q<8, 1>>):
    %w = fixed.constant dense<[[3, -5, 1], [2, 2, -7]]> : tensor<2x3xi8> -> tensor<2x3x!fixed.q<8, 1>>
    %acc = fixed.dense %xt, %w : (tensor<1x3x!fixed.q<8, 2>>, tensor<2x3x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<18, 5>>
    %z = fixed.cast %acc {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<18, 5>> -> tensor<1x2x!fixed.q<8, 4>>
    %s = fixed.activation %z {function = "sigmoid"} : tensor<1x2x!fixed.q<8, 4>> -> tensor<1x2x!fixed.q<8, 1>>
    %p = fixed.mul %s, %h : (tensor<1x2x!fixed.q<8, 1>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<16, 2>>
    %h2 = fixed.cast %p {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<16, 2>> -> tensor<1x2x!fixed.q<8, 1>>
    recurrent.yield %h2 : tensor<1x2x!fixed.q<8, 1>>
  }
  func.return %y : tensor<1x5x2x!fixed.q<8, 1>>
}

// -----

// The delta form's memory update (inside a step it reads the step's values).
// CHECK-LABEL: func.func @delta(
// CHECK-NEXT:    %w = fixed.constant dense<{{\[\[}}1, 2], [3, 4]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
// CHECK-NEXT:    %n = recurrent.delta_accumulate %m, %d, %w : (tensor<1x2x!fixed.q<19, 6>>, tensor<1x2x!fixed.q<9, 3>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<19, 6>>
func.func @delta(%m: tensor<1x2x!fixed.q<19, 6>>, %d: tensor<1x2x!fixed.q<9, 3>>) -> tensor<1x2x!fixed.q<19, 6>> {
  %w = fixed.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
  %n = recurrent.delta_accumulate %m, %d, %w : (tensor<1x2x!fixed.q<19, 6>>, tensor<1x2x!fixed.q<9, 3>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<19, 6>>
  func.return %n : tensor<1x2x!fixed.q<19, 6>>
}
