// RUN: nncc-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Verifier and parser messages of the binary_complex ops and the binary weight encoding,
// one broken op per chunk.

// A weight of 2 is not +-1.
func.func @xnor_weight_not_binary(%x: tensor<1x3x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<3, 3>> {
  %w = fixed.constant dense<[[1, 2, -1]]> : tensor<1x3xi8> -> tensor<1x3x!fixed.q<3, 3>>
  // CHECK: Operation does not verify: binary_complex.xnor_dense: raw weight 2 is not +-1, the binary encoding's magnitude
  %y = binary_complex.xnor_dense %x, %w : (tensor<1x3x!fixed.q<2, 2>>, tensor<1x3x!fixed.q<3, 3>>) -> tensor<1x1x!fixed.q<3, 3>>
  func.return %y : tensor<1x1x!fixed.q<3, 3>>
}

// -----

// Run-time weights cannot be packed into the layer.
func.func @xnor_runtime_weights(%x: tensor<1x3x!fixed.q<2, 2>>, %w: tensor<1x3x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<3, 3>> {
  // CHECK: Operation does not verify: binary_complex.xnor_dense: binary weights must be a constant
  %y = binary_complex.xnor_dense %x, %w : (tensor<1x3x!fixed.q<2, 2>>, tensor<1x3x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<3, 3>>
  func.return %y : tensor<1x1x!fixed.q<3, 3>>
}

// -----

// K = 3: the result holds [-3, 3] in q<3, 3>, not q<8, 8>.
func.func @xnor_wrong_result(%x: tensor<1x3x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<8, 8>> {
  %w = fixed.constant dense<[[1, 1, -1]]> : tensor<1x3xi8> -> tensor<1x3x!fixed.q<2, 2>>
  // CHECK: Operation does not verify: binary_complex.xnor_dense: result must be tensor<1x1x!fixed.q<3, 3>>, got tensor<1x1x!fixed.q<8, 8>>
  %y = binary_complex.xnor_dense %x, %w : (tensor<1x3x!fixed.q<2, 2>>, tensor<1x3x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<8, 8>>
  func.return %y : tensor<1x1x!fixed.q<8, 8>>
}

// -----

func.func @xnor_shapes(%x: tensor<1x4x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<3, 3>> {
  %w = fixed.constant dense<[[1, 1, -1]]> : tensor<1x3xi8> -> tensor<1x3x!fixed.q<2, 2>>
  // CHECK: Operation does not verify: binary_complex.xnor_dense: input (1, 4) does not match weight (1, 3) (M x K)
  %y = binary_complex.xnor_dense %x, %w : (tensor<1x4x!fixed.q<2, 2>>, tensor<1x3x!fixed.q<2, 2>>) -> tensor<1x1x!fixed.q<3, 3>>
  func.return %y : tensor<1x1x!fixed.q<3, 3>>
}

// -----

func.func @threshold_count(%x: tensor<1x3x!fixed.q<5, 5>>) -> tensor<1x3x!fixed.q<2, 2>> {
  // CHECK: Operation does not verify: binary_complex.threshold: 2 thresholds and 3 directions for input (1, 3) (one per channel on axis 1)
  %y = binary_complex.threshold %x {directions = array<i64: 1, 1, 1>, thresholds = array<i64: 0, 1>} : (tensor<1x3x!fixed.q<5, 5>>) -> tensor<1x3x!fixed.q<2, 2>>
  func.return %y : tensor<1x3x!fixed.q<2, 2>>
}

// -----

func.func @threshold_direction(%x: tensor<1x2x!fixed.q<5, 5>>) -> tensor<1x2x!fixed.q<2, 2>> {
  // CHECK: Operation does not verify: binary_complex.threshold: directions must be +1 or -1, got [1, 0]
  %y = binary_complex.threshold %x {directions = array<i64: 1, 0>, thresholds = array<i64: 0, 1>} : (tensor<1x2x!fixed.q<5, 5>>) -> tensor<1x2x!fixed.q<2, 2>>
  func.return %y : tensor<1x2x!fixed.q<2, 2>>
}

// -----

func.func @threshold_result(%x: tensor<1x2x!fixed.q<5, 5>>) -> tensor<1x2x!fixed.q<5, 5>> {
  // CHECK: Operation does not verify: binary_complex.threshold: result must be tensor<1x2x!fixed.q<2, 2>>, got tensor<1x2x!fixed.q<5, 5>>
  %y = binary_complex.threshold %x {directions = array<i64: 1, -1>, thresholds = array<i64: 0, 1>} : (tensor<1x2x!fixed.q<5, 5>>) -> tensor<1x2x!fixed.q<5, 5>>
  func.return %y : tensor<1x2x!fixed.q<5, 5>>
}

// -----

// A fixed.dense with the binary encoding: 3 is not +-2^1.
func.func @binary_encoding_magnitude(%x: tensor<1x2x!fixed.q<8, 3>>) -> tensor<1x1x!fixed.q<13, 7>> {
  %w = fixed.constant dense<[[2, 3]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<4, 3>>
  // CHECK: Operation does not verify: fixed.dense: raw weight 3 is not +-2, the binary encoding's magnitude
  %y = fixed.dense %x, %w {encoding = #encoding.binary<shift = 1>} : (tensor<1x2x!fixed.q<8, 3>>, tensor<1x2x!fixed.q<4, 3>>) -> tensor<1x1x!fixed.q<13, 7>>
  func.return %y : tensor<1x1x!fixed.q<13, 7>>
}

// -----

// The input must hold 2 x C channels [re; im] for C x k x k weights.
func.func @complex_conv_channels(%h: tensor<1x3x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %a = nn.constant dense<1.0> : tensor<2x1x3x3xf32>
  %b = nn.constant dense<0.5> : tensor<2x1x3x3xf32>
  // CHECK: Operation does not verify: binary_complex.complex_conv: input (1, 3, 4, 4) must have 2 x 1 = 2 channels [re; im] on axis 1 for weights (2, 1, 3, 3)
  %y = binary_complex.complex_conv %h, %a, %b {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2x1x3x3xf32>) -> tensor<1x4x4x4xf32>
  func.return %y : tensor<1x4x4x4xf32>
}

// -----

// A and B must have one shape.
func.func @complex_dense_parts(%v: tensor<1x8xf32>) -> tensor<1x6xf32> {
  %a = nn.constant dense<1.0> : tensor<3x4xf32>
  %b = nn.constant dense<1.0> : tensor<2x4xf32>
  // CHECK: Operation does not verify: binary_complex.complex_dense: real weight (3, 4) and imaginary weight (2, 4) differ in shape
  %y = binary_complex.complex_dense %v, %a, %b : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<1x6xf32>
  func.return %y : tensor<1x6xf32>
}

// -----

// The complex bias is [Re(c); Im(c)]: 2M values.
func.func @complex_dense_bias(%v: tensor<1x8xf32>) -> tensor<1x6xf32> {
  %a = nn.constant dense<1.0> : tensor<3x4xf32>
  %c = nn.constant dense<1.0> : tensor<3xf32>
  // CHECK: Operation does not verify: binary_complex.complex_dense: bias shape (3,) is not (6,) ([re; im])
  %y = binary_complex.complex_dense %v, %a, %a, %c : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<1x6xf32>
  func.return %y : tensor<1x6xf32>
}

// -----

// 3 or 4 real products per complex tap.
func.func @complex_dense_products(%v: tensor<1x8xf32>) -> tensor<1x6xf32> {
  %a = nn.constant dense<1.0> : tensor<3x4xf32>
  // CHECK: Operation does not verify: binary_complex.complex_dense: products must be 3 or 4, got 2
  %y = binary_complex.complex_dense %v, %a, %a {products = 2 : i64} : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<1x6xf32>
  func.return %y : tensor<1x6xf32>
}

// -----

// The result is [Re; Im]: 2M features.
func.func @complex_dense_result(%v: tensor<1x8xf32>) -> tensor<1x3xf32> {
  %a = nn.constant dense<1.0> : tensor<3x4xf32>
  // CHECK: Operation does not verify: binary_complex.complex_dense: result shape (1, 3) does not match expected (1, 6)
  %y = binary_complex.complex_dense %v, %a, %a : (tensor<1x8xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  func.return %y : tensor<1x3xf32>
}
