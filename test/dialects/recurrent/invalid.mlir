// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier messages of the recurrent dialect, one broken op per chunk.

func.func @lstm_weights(%x: tensor<1x5x3xf32>, %w: tensor<6x3xf32>, %r: tensor<8x2xf32>, %wb: tensor<8xf32>, %rb: tensor<8xf32>, %h: tensor<1x2xf32>, %c: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  // CHECK: recurrent.lstm: weights (6, 3) and (8, 2) must be (8, 3) and (8, 2) for 4 gates of hidden size 2 and input (1, 5, 3)
  %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "forward"} : (tensor<1x5x3xf32>, tensor<6x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}

// -----

func.func @lstm_bias(%x: tensor<1x5x3xf32>, %w: tensor<8x3xf32>, %r: tensor<8x2xf32>, %wb: tensor<6xf32>, %rb: tensor<8xf32>, %h: tensor<1x2xf32>, %c: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  // CHECK: recurrent.lstm: input_bias shape (6,) is not (8,)
  %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "forward"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<6xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}

// -----

func.func @lstm_state(%x: tensor<1x5x3xf32>, %w: tensor<8x3xf32>, %r: tensor<8x2xf32>, %wb: tensor<8xf32>, %rb: tensor<8xf32>, %h: tensor<1x2xf32>, %c: tensor<1x3xf32>) -> tensor<1x5x2xf32> {
  // CHECK: recurrent.lstm: initial state shape (1, 3) is not (1, 2)
  %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "forward"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x3xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}

// -----

func.func @lstm_direction(%x: tensor<1x5x3xf32>, %w: tensor<8x3xf32>, %r: tensor<8x2xf32>, %wb: tensor<8xf32>, %rb: tensor<8xf32>, %h: tensor<1x2xf32>, %c: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  // CHECK: recurrent.lstm: direction 'bidirectional' is not one of forward, reverse
  %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "bidirectional"} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}

// -----

func.func @lstm_clip(%x: tensor<1x5x3xf32>, %w: tensor<8x3xf32>, %r: tensor<8x2xf32>, %wb: tensor<8xf32>, %rb: tensor<8xf32>, %h: tensor<1x2xf32>, %c: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  // CHECK: recurrent.lstm: clip -1.0 must be positive
  %y = recurrent.lstm %x, %w, %r, %wb, %rb, %h, %c {direction = "forward", clip = -1.0 : f64} : (tensor<1x5x3xf32>, tensor<8x3xf32>, tensor<8x2xf32>, tensor<8xf32>, tensor<8xf32>, tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}

// -----

func.func @gru_result(%x: tensor<1x5x3xf32>, %w: tensor<6x3xf32>, %r: tensor<6x2xf32>, %wb: tensor<6xf32>, %rb: tensor<6xf32>, %h: tensor<1x2xf32>) -> tensor<1x4x2xf32> {
  // CHECK: recurrent.gru: result shape (1, 4, 2) is not (1, 5, 2)
  %y = recurrent.gru %x, %w, %r, %wb, %rb, %h {direction = "forward", linear_before_reset = 0 : i64} : (tensor<1x5x3xf32>, tensor<6x3xf32>, tensor<6x2xf32>, tensor<6xf32>, tensor<6xf32>, tensor<1x2xf32>) -> tensor<1x4x2xf32>
  func.return %y : tensor<1x4x2xf32>
}

// -----

func.func @gru_reset(%x: tensor<1x5x3xf32>, %w: tensor<6x3xf32>, %r: tensor<6x2xf32>, %wb: tensor<6xf32>, %rb: tensor<6xf32>, %h: tensor<1x2xf32>) -> tensor<1x5x2xf32> {
  // CHECK: recurrent.gru: linear_before_reset 2 must be 0 or 1
  %y = recurrent.gru %x, %w, %r, %wb, %rb, %h {direction = "forward", linear_before_reset = 2 : i64} : (tensor<1x5x3xf32>, tensor<6x3xf32>, tensor<6x2xf32>, tensor<6xf32>, tensor<6xf32>, tensor<1x2xf32>) -> tensor<1x5x2xf32>
  func.return %y : tensor<1x5x2xf32>
}

// -----

func.func @scan_states(%x: tensor<1x5x3x!fixed.q<8, 2>>, %h0: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
  // CHECK: recurrent.scan: the body must end in recurrent.yield of the next states
  %y = recurrent.scan %x, %h0 {direction = "forward"} : (tensor<1x5x3x!fixed.q<8, 2>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
  ^bb0(%xt: tensor<1x3x!fixed.q<8, 2>>, %h: tensor<1x2x!fixed.q<8, 1>>):
    recurrent.yield %h, %h : tensor<1x2x!fixed.q<8, 1>>, tensor<1x2x!fixed.q<8, 1>>
  }
  func.return %y : tensor<1x5x2x!fixed.q<8, 1>>
}

// -----

func.func @scan_args(%x: tensor<1x5x3x!fixed.q<8, 2>>, %h0: tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
  // CHECK: recurrent.scan: block arguments must be the input slice [1, I] and the states
  %y = recurrent.scan %x, %h0 {direction = "forward"} : (tensor<1x5x3x!fixed.q<8, 2>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x5x2x!fixed.q<8, 1>> {
  ^bb0(%xt: tensor<1x5x3x!fixed.q<8, 2>>, %h: tensor<1x2x!fixed.q<8, 1>>):
    recurrent.yield %h : tensor<1x2x!fixed.q<8, 1>>
  }
  func.return %y : tensor<1x5x2x!fixed.q<8, 1>>
}

// -----

func.func @delta_fraction(%m: tensor<1x2x!fixed.q<19, 6>>, %d: tensor<1x2x!fixed.q<9, 4>>) -> tensor<1x2x!fixed.q<19, 6>> {
  %w = fixed.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
  // CHECK: recurrent.delta_accumulate: the product's fraction (delta's + weight's) must be the memory's
  %n = recurrent.delta_accumulate %m, %d, %w : (tensor<1x2x!fixed.q<19, 6>>, tensor<1x2x!fixed.q<9, 4>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<19, 6>>
  func.return %n : tensor<1x2x!fixed.q<19, 6>>
}
