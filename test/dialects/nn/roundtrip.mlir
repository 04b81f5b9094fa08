// RUN: NNCC_ROUNDTRIP
// RUN: nncc-opt %s --split-input-file | nncc-opt --split-input-file | filecheck %s

// Every nn op in custom syntax survives print -> parse (custom and generic forms).

// CHECK-LABEL: func.func @layers
func.func @layers(%x: tensor<1x1x8x8xf32>) -> tensor<1x4xf32> {
  // CHECK-NEXT: %[[W:.*]] = nn.constant dense<5.000000e-01> : tensor<2x1x3x3xf32>
  %w = nn.constant dense<0.5> : tensor<2x1x3x3xf32>
  // CHECK-NEXT: %[[B:.*]] = nn.constant dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>
  %b = nn.constant dense<[0.1, 0.2]> : tensor<2xf32>
  // CHECK-NEXT: %[[C:.*]] = nn.conv %x, %[[W]], %[[B]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x8x8xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  %c = nn.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x8x8xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  // CHECK-NEXT: %[[BN:.*]] = nn.batchnorm %[[C]], %[[B]], %[[B]], %[[B]], %[[B]] {epsilon = 1.000000e-05 : f64} : (tensor<1x2x8x8xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  %bn = nn.batchnorm %c, %b, %b, %b, %b {epsilon = 1.0e-05 : f64} : (tensor<1x2x8x8xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  // CHECK-NEXT: %[[R:.*]] = nn.relu %[[BN]] : tensor<1x2x8x8xf32>
  %r = nn.relu %bn : tensor<1x2x8x8xf32>
  // CHECK-NEXT: %[[P:.*]] = nn.max_pool %[[R]] {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>} : tensor<1x2x8x8xf32> -> tensor<1x2x2x2xf32>
  %p = nn.max_pool %r {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 4, 4>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>} : tensor<1x2x8x8xf32> -> tensor<1x2x2x2xf32>
  // CHECK-NEXT: %[[AP:.*]] = nn.avg_pool %[[R]] {ceil_mode = 1 : i64, count_include_pad = 0 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 3, 3>} : tensor<1x2x8x8xf32> -> tensor<1x2x3x3xf32>
  %ap = nn.avg_pool %r {ceil_mode = 1 : i64, count_include_pad = 0 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 3, 3>} : tensor<1x2x8x8xf32> -> tensor<1x2x3x3xf32>
  // CHECK-NEXT: %[[PD:.*]] = nn.pad %[[P]] {mode = #nn<pad_mode reflect>, pads = array<i64: 0, 0, 1, 0, 0, 0, 0, 1>, value = 0.000000e+00 : f64} : tensor<1x2x2x2xf32> -> tensor<1x2x3x3xf32>
  %pd = nn.pad %p {mode = #nn<pad_mode reflect>, pads = array<i64: 0, 0, 1, 0, 0, 0, 0, 1>, value = 0.0 : f64} : tensor<1x2x2x2xf32> -> tensor<1x2x3x3xf32>
  // CHECK-NEXT: %[[GM:.*]] = nn.global_max_pool %[[PD]] : tensor<1x2x3x3xf32> -> tensor<1x2x1x1xf32>
  %gm = nn.global_max_pool %pd : tensor<1x2x3x3xf32> -> tensor<1x2x1x1xf32>
  // CHECK-NEXT: %[[G:.*]] = nn.global_avg_pool %[[P]] : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32>
  %g = nn.global_avg_pool %p : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32>
  // CHECK-NEXT: %[[F:.*]] = nn.flatten %[[G]] {axis = 1 : i64} : tensor<1x2x1x1xf32> -> tensor<1x2xf32>
  %f = nn.flatten %g {axis = 1 : i64} : tensor<1x2x1x1xf32> -> tensor<1x2xf32>
  // CHECK-NEXT: %[[RS:.*]] = nn.reshape %[[GM]] : tensor<1x2x1x1xf32> -> tensor<1x2xf32>
  %rs = nn.reshape %gm : tensor<1x2x1x1xf32> -> tensor<1x2xf32>
  // CHECK-NEXT: %[[W2:.*]] = nn.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [1.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<4x2xf32>
  %w2 = nn.constant dense<[[1.0, 2.0], [3.0, 4.0], [1.0, 1.0], [0.0, 0.0]]> : tensor<4x2xf32>
  // CHECK-NEXT: %[[D:.*]] = nn.dense %[[F]], %[[W2]] : (tensor<1x2xf32>, tensor<4x2xf32>) -> tensor<1x4xf32>
  %d = nn.dense %f, %w2 : (tensor<1x2xf32>, tensor<4x2xf32>) -> tensor<1x4xf32>
  // CHECK-NEXT: %[[CAT:.*]] = nn.concat %[[D]], %[[RS]] {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x2xf32>) -> tensor<1x6xf32>
  %cat = nn.concat %d, %rs {axis = 1 : i64} : (tensor<1x4xf32>, tensor<1x2xf32>) -> tensor<1x6xf32>
  // CHECK-NEXT: %[[CL:.*]] = nn.clip %[[D]] {min = 0.000000e+00 : f64} : tensor<1x4xf32>
  %cl = nn.clip %d {min = 0.0 : f64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[LR:.*]] = nn.leaky_relu %[[CL]] {alpha = 1.000000e-01 : f64} : tensor<1x4xf32>
  %lr = nn.leaky_relu %cl {alpha = 0.1 : f64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[HS:.*]] = nn.hard_sigmoid %[[LR]] {alpha = 2.000000e-01 : f64, beta = 5.000000e-01 : f64} : tensor<1x4xf32>
  %hs = nn.hard_sigmoid %lr {alpha = 0.2 : f64, beta = 0.5 : f64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[SG:.*]] = nn.sigmoid %[[HS]] : tensor<1x4xf32>
  %sg = nn.sigmoid %hs : tensor<1x4xf32>
  // CHECK-NEXT: %[[TH:.*]] = nn.tanh %[[SG]] : tensor<1x4xf32>
  %th = nn.tanh %sg : tensor<1x4xf32>
  // CHECK-NEXT: %[[S:.*]] = nn.softmax %[[TH]] {axis = 1 : i64} : tensor<1x4xf32>
  %s = nn.softmax %th {axis = 1 : i64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<4xf32>
  %one = nn.constant dense<1.0> : tensor<4xf32>
  // CHECK-NEXT: %[[A:.*]] = nn.add %[[S]], %[[ONE]] : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %a = nn.add %s, %one : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  // CHECK-NEXT: %[[SB:.*]] = nn.sub %[[A]], %[[S]] : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %sb = nn.sub %a, %s : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  // CHECK-NEXT: %[[M:.*]] = nn.mul %[[SB]], %[[ONE]] : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %m = nn.mul %sb, %one : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  // CHECK-NEXT: %[[DV:.*]] = nn.div %[[M]], %[[ONE]] : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %dv = nn.div %m, %one : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  // CHECK-NEXT: func.return %[[DV]] : tensor<1x4xf32>
  func.return %dv : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<1x3x4x5xf32>, %y: tensor<1x5x2xf32>, %z: tensor<1x3x5xf32>) -> (tensor<1x4x5x3xf32>, tensor<1x3x2xf32>) {
  // CHECK-NEXT: %[[T:.*]] = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x3x4x5xf32> -> tensor<1x4x5x3xf32>
  %t = nn.transpose %x {perm = array<i64: 0, 2, 3, 1>} : tensor<1x3x4x5xf32> -> tensor<1x4x5x3xf32>
  // CHECK-NEXT: %[[MM:.*]] = nn.matmul %z, %y : (tensor<1x3x5xf32>, tensor<1x5x2xf32>) -> tensor<1x3x2xf32>
  %mm = nn.matmul %z, %y : (tensor<1x3x5xf32>, tensor<1x5x2xf32>) -> tensor<1x3x2xf32>
  // CHECK-NEXT: func.return %[[T]], %[[MM]] : tensor<1x4x5x3xf32>, tensor<1x3x2xf32>
  func.return %t, %mm : tensor<1x4x5x3xf32>, tensor<1x3x2xf32>
}

// -----

// Large constants print as hex and parse back to the same bytes.
// CHECK-LABEL: func.func @hex
func.func @hex() -> tensor<101xf32> {
  // CHECK-NEXT: nn.constant dense<"0x0000803F{{(0000803F)+}}00000040"> : tensor<101xf32>
  %c = nn.constant dense<"0x0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F00000040"> : tensor<101xf32>
  func.return %c : tensor<101xf32>
}

// -----

// Quantizers carried by the model; a weight's power-of-two grid is a discardable attribute.
// CHECK-LABEL: func.func @quant
func.func @quant(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // CHECK-NEXT: %[[Q:.*]] = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "half_even", scale = 1.250000e-01 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  %q = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "half_even", scale = 0.125 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[U:.*]] = nn.fake_quant %[[Q]] {bits = 4 : i64, narrow = 1 : i64, rounding = "floor", scale = 3.000000e-01 : f64, signed = 0 : i64, zero_point = 3 : i64} : tensor<1x4xf32>
  %u = nn.fake_quant %q {bits = 4 : i64, narrow = 1 : i64, rounding = "floor", scale = 0.3 : f64, signed = 0 : i64, zero_point = 3 : i64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[S:.*]] = nn.sign %[[U]] {scale = 5.000000e-01 : f64} : tensor<1x4xf32>
  %s = nn.sign %u {scale = 0.5 : f64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[A:.*]] = nn.fake_quant_axis %[[S]] {axis = 1 : i64, bits = 6 : i64, narrow = 0 : i64, rounding = "to_zero", scales = array<f64: 5.000000e-01, 0.017300000414252281, 2.500000e-01, 1.250000e-01>, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  %a = nn.fake_quant_axis %s {axis = 1 : i64, bits = 6 : i64, narrow = 0 : i64, rounding = "to_zero", scales = array<f64: 0.5, 0.017300000414252281, 0.25, 0.125>, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32>
  // CHECK-NEXT: %[[W:.*]] = nn.constant dense<2.500000e-01> : tensor<4x4xf32> {fixed.grid = {bits = 8 : i64, frac = 5 : i64, signed = 1 : i64}}
  %w = nn.constant dense<0.25> : tensor<4x4xf32> {fixed.grid = {bits = 8 : i64, frac = 5 : i64, signed = 1 : i64}}
  // CHECK-NEXT: %[[D:.*]] = nn.dense %[[A]], %[[W]] : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  %d = nn.dense %a, %w : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  // CHECK-NEXT: func.return %[[D]] : tensor<1x4xf32>
  func.return %d : tensor<1x4xf32>
}

// -----

// Index-table selection (-1 selects a zero) and reductions (reduced axes kept as size 1).
// CHECK-LABEL: func.func @selection
func.func @selection(%x: tensor<1x2x3xf32>) -> (tensor<1x3x2xf32>, tensor<1x2x1xf32>, tensor<1x2x3xf32>) {
  // CHECK-NEXT: %[[G:.*]] = nn.gather %x {indices = array<i64: 5, -1, 0, 1, 2, 3>} : tensor<1x2x3xf32> -> tensor<1x3x2xf32>
  %g = nn.gather %x {indices = array<i64: 5, -1, 0, 1, 2, 3>} : tensor<1x2x3xf32> -> tensor<1x3x2xf32>
  // CHECK-NEXT: %[[S:.*]] = nn.reduce_sum %x {axes = array<i64: 2>} : tensor<1x2x3xf32> -> tensor<1x2x1xf32>
  %s = nn.reduce_sum %x {axes = array<i64: 2>} : tensor<1x2x3xf32> -> tensor<1x2x1xf32>
  // CHECK-NEXT: %[[M:.*]] = nn.reduce_mean %[[S]] {axes = array<i64: 1>} : tensor<1x2x1xf32> -> tensor<1x1x1xf32>
  %m = nn.reduce_mean %s {axes = array<i64: 1>} : tensor<1x2x1xf32> -> tensor<1x1x1xf32>
  // CHECK-NEXT: %[[MX:.*]] = nn.reduce_max %x {axes = array<i64: 1, 2>} : tensor<1x2x3xf32> -> tensor<1x1x1xf32>
  %mx = nn.reduce_max %x {axes = array<i64: 1, 2>} : tensor<1x2x3xf32> -> tensor<1x1x1xf32>
  // CHECK-NEXT: %[[MN:.*]] = nn.reduce_min %x {axes = array<i64: 2>} : tensor<1x2x3xf32> -> tensor<1x2x1xf32>
  %mn = nn.reduce_min %x {axes = array<i64: 2>} : tensor<1x2x3xf32> -> tensor<1x2x1xf32>
  // CHECK-NEXT: %[[K:.*]] = nn.kwta %x {axis = 2 : i64, k = 2 : i64} : tensor<1x2x3xf32> -> tensor<1x2x3xf32>
  %k = nn.kwta %x {axis = 2 : i64, k = 2 : i64} : tensor<1x2x3xf32> -> tensor<1x2x3xf32>
  // CHECK-NEXT: func.return %[[G]], %[[MN]], %[[K]] : tensor<1x3x2xf32>, tensor<1x2x1xf32>, tensor<1x2x3xf32>
  func.return %g, %mn, %k : tensor<1x3x2xf32>, tensor<1x2x1xf32>, tensor<1x2x3xf32>
}

// -----

// The generic activation (with and without parameters) and the binary maximum / minimum.
// CHECK-LABEL: func.func @elementwise
// CHECK-NEXT:  %[[E:.*]] = nn.activation %x {function = "elu", params = array<f64: 1.000000e+00>} : tensor<1x8xf32>
// CHECK-NEXT:  %[[G:.*]] = nn.activation %[[E]] {function = "gelu"} : tensor<1x8xf32>
// CHECK-NEXT:  %[[M:.*]] = nn.max %[[G]], %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT:  %[[N:.*]] = nn.min %[[M]], %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
// CHECK-NEXT:  func.return %[[N]]
func.func @elementwise(%x: tensor<1x8xf32>, %b: tensor<8xf32>) -> tensor<1x8xf32> {
  %e = nn.activation %x {function = "elu", params = array<f64: 1.0>} : tensor<1x8xf32>
  %g = nn.activation %e {function = "gelu"} : tensor<1x8xf32>
  %m = nn.max %g, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  %n = nn.min %m, %b : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  func.return %n : tensor<1x8xf32>
}
