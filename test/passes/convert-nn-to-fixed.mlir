// RUN: nncc-opt %s --split-input-file -p convert-nn-to-fixed | filecheck %s
// RUN: nncc-opt %s --split-input-file -p 'convert-nn-to-fixed{width=8 weight_width=6 margin_bits=0 rounding=trn overflow=wrap}' | filecheck %s --check-prefix=NARROW

// Input range [-3, 3.5] -> I = 3 (+1 margin); weights max 0.75 -> I = 1; bias aligned to
// the product's fraction bits; output range [-5, 9] -> I = 5 (+1 margin).
// CHECK-LABEL: func.func @dense
// CHECK-SAME:  (%x: tensor<1x2xf32> {fixed.range = array<f64: -3.000000e+00, 3.500000e+00>}) -> tensor<1x2xf32>
// CHECK-NEXT:  %[[Q:.*]] = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[W:.*]] = fixed.constant dense<{{\[\[}}16384, -24576], [8192, 0]]> : tensor<2x2xi16> -> tensor<2x2x!fixed.q<16, 1>>
// CHECK-NEXT:  %[[B:.*]] = fixed.constant dense<[201326592, -67108864]> : tensor<2xi32> -> tensor<2x!fixed.q<29, 2>>
// CHECK-NEXT:  %[[ACC:.*]] = fixed.dense %[[Q]], %[[W]], %[[B]] : (tensor<1x2x!fixed.q<16, 4>>, tensor<2x2x!fixed.q<16, 1>>, tensor<2x!fixed.q<29, 2>>) -> tensor<1x2x!fixed.q<34, 7>>
// CHECK-NEXT:  %[[Y:.*]] = fixed.cast %[[ACC]] {nncc.layer = "fc", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<34, 7>> -> tensor<1x2x!fixed.q<16, 6>>
// CHECK-NEXT:  %[[R:.*]] = nn.relu %[[Y]] : tensor<1x2x!fixed.q<16, 6>>
// CHECK-NEXT:  %[[O:.*]] = fixed.dequantize %[[R]] : tensor<1x2x!fixed.q<16, 6>> -> tensor<1x2xf32>
// CHECK-NEXT:  func.return %[[O]] : tensor<1x2xf32>

// NARROW-LABEL: func.func @dense
// NARROW:       fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<8, 3>>
// NARROW-NEXT:  fixed.constant dense<{{\[\[}}16, -24], [8, 0]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<6, 1>>
// NARROW:       fixed.cast {{.*}} {nncc.layer = "fc", overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : {{.*}} -> tensor<1x2x!fixed.q<8, 5>>
func.func @dense(%x: tensor<1x2xf32> {fixed.range = array<f64: -3.0, 3.5>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[0.5, -0.75], [0.25, 0.0]]> : tensor<2x2xf32>
  %b = nn.constant dense<[1.5, -0.5]> : tensor<2xf32>
  %y = nn.dense %x, %w, %b {fixed.range = array<f64: -5.0, 9.0>} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32> loc("fc")
  %r = nn.relu %y : tensor<1x2xf32>
  func.return %r : tensor<1x2xf32>
}

// -----

// Softmax: max-subtracted exponential and reciprocal as ideal activations.
// CHECK-LABEL: func.func @softmax
// CHECK:       %[[M:.*]] = fixed.reduce_max %[[X:.*]] {axes = array<i64: 1>} : tensor<1x4x!fixed.q<16, 3>> -> tensor<1x1x!fixed.q<16, 3>>
// CHECK-NEXT:  %[[D:.*]] = fixed.sub %[[X]], %[[M]] : (tensor<1x4x!fixed.q<16, 3>>, tensor<1x1x!fixed.q<16, 3>>) -> tensor<1x4x!fixed.q<17, 4>>
// CHECK-NEXT:  %[[E:.*]] = fixed.activation %[[D]] {function = "softmax_exp"} : tensor<1x4x!fixed.q<17, 4>> -> tensor<1x4x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[S:.*]] = fixed.reduce_sum %[[E]] {axes = array<i64: 1>} : tensor<1x4x!fixed.q<16, 2>> -> tensor<1x1x!fixed.q<18, 4>>
// CHECK-NEXT:  %[[R:.*]] = fixed.activation %[[S]] {function = "softmax_reciprocal"} : tensor<1x1x!fixed.q<18, 4>> -> tensor<1x1x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[P:.*]] = fixed.mul %[[E]], %[[R]] : (tensor<1x4x!fixed.q<16, 2>>, tensor<1x1x!fixed.q<16, 2>>) -> tensor<1x4x!fixed.q<32, 4>>
// CHECK-NEXT:  fixed.cast %[[P]] {{.*}} : tensor<1x4x!fixed.q<32, 4>> -> tensor<1x4x!fixed.q<16, 2>>
func.func @softmax(%x: tensor<1x4xf32> {fixed.range = array<f64: -2.0, 1.5>}) -> tensor<1x4xf32> {
  %y = nn.softmax %x {axis = 1 : i64} : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}

// -----

// Global average pooling: exact sum, then a rounded 1/n constant.
// CHECK-LABEL: func.func @gap
// CHECK:       %[[S:.*]] = fixed.reduce_sum %{{.*}} {axes = array<i64: 2, 3>} : tensor<1x2x3x3x!fixed.q<16, 2>> -> tensor<1x2x1x1x!fixed.q<20, 6>>
// CHECK-NEXT:  %[[C:.*]] = fixed.constant dense<116508> : tensor<i32> -> tensor<!fixed.q<18, -2>>
// CHECK-NEXT:  %[[P:.*]] = fixed.mul %[[S]], %[[C]] : (tensor<1x2x1x1x!fixed.q<20, 6>>, tensor<!fixed.q<18, -2>>) -> tensor<1x2x1x1x!fixed.q<38, 4>>
// CHECK-NEXT:  fixed.cast %[[P]] {{.*}} -> tensor<1x2x1x1x!fixed.q<16, 1>>
func.func @gap(%x: tensor<1x2x3x3xf32> {fixed.range = array<f64: -1.0, 0.5>}) -> tensor<1x2x1x1xf32> {
  %y = nn.global_avg_pool %x {fixed.range = array<f64: -0.5, 0.25>} : tensor<1x2x3x3xf32> -> tensor<1x2x1x1xf32>
  func.return %y : tensor<1x2x1x1xf32>
}

// -----

// Quantizers carried by the model. Scale 2^-3, signed narrow 8 bits, half to even: the
// two low bits of floor(x / 2^-3) (a trn, wrap cast) pick the addend 2^-4 - 2^-12 (even)
// or 2^-4 (odd) from a table, then one trn cast onto the integer grid q<8, 5> and a clamp
// to [-127, 127]. Scale 0.03, unsigned, zero point 100: multiply by 1/0.03 (18 bits),
// cast to the integers q<9, 9> (floor = trn), clamp to [0 - 100, 255 - 100], multiply by
// 0.03 (18 bits). Sign: a two-entry table.
// CHECK-LABEL: func.func @fake_quant
// CHECK-NEXT:  %[[X:.*]] = fixed.quantize %x {{.*}} -> tensor<1x4x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[LO:.*]] = fixed.cast %[[X]] {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<2, -1>>
// CHECK-NEXT:  %[[HE:.*]] = fixed.lut %[[LO]] {fixed.approx = "exact", fixed.approx_error = 0.000000e+00 : f64, function = "round_half_even", offset = 2 : i64, shift = 0 : i64, table = dense<[255, 256, 255, 256]> : tensor<4xi16>} : tensor<1x4x!fixed.q<2, -1>> -> tensor<1x4x!fixed.q<10, -2>>
// CHECK-NEXT:  %[[XH:.*]] = fixed.add %[[X]], %[[HE]] : (tensor<1x4x!fixed.q<16, 4>>, tensor<1x4x!fixed.q<10, -2>>) -> tensor<1x4x!fixed.q<17, 5>>
// CHECK-NEXT:  %[[P:.*]] = fixed.cast %[[XH]] {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<17, 5>> -> tensor<1x4x!fixed.q<8, 5>>
// CHECK-NEXT:  %[[PC:.*]] = fixed.clamp %[[P]] {nncc.layer = "pot", max = 127 : i64, min = -127 : i64} : tensor<1x4x!fixed.q<8, 5>>
// CHECK-NEXT:  %[[R:.*]] = fixed.constant dense<68267> : tensor<i32> -> tensor<!fixed.q<18, 7>>
// CHECK-NEXT:  %[[M:.*]] = fixed.mul %[[X]], %[[R]] : (tensor<1x4x!fixed.q<16, 4>>, tensor<!fixed.q<18, 7>>) -> tensor<1x4x!fixed.q<34, 11>>
// CHECK-NEXT:  %[[N:.*]] = fixed.cast %[[M]] {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<34, 11>> -> tensor<1x4x!fixed.q<9, 9>>
// CHECK-NEXT:  %[[NC:.*]] = fixed.clamp %[[N]] {max = 155 : i64, min = -100 : i64} : tensor<1x4x!fixed.q<9, 9>>
// CHECK-NEXT:  %[[S:.*]] = fixed.constant dense<125829> : tensor<i32> -> tensor<!fixed.q<18, -4>>
// CHECK-NEXT:  %[[A:.*]] = fixed.mul %[[NC]], %[[S]] {nncc.layer = "affine"} : (tensor<1x4x!fixed.q<9, 9>>, tensor<!fixed.q<18, -4>>) -> tensor<1x4x!fixed.q<27, 5>>
// CHECK-NEXT:  %[[SG:.*]] = fixed.lut %[[X]] {nncc.layer = "sign", fixed.approx = "exact", fixed.approx_error = 0.000000e+00 : f64, function = "sign", offset = 1 : i64, shift = 15 : i64, table = dense<[-1, 1]> : tensor<2xi8>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<2, 1>>
func.func @fake_quant(%x: tensor<1x4xf32> {fixed.range = array<f64: -3.0, 3.0>}) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %p = nn.fake_quant %x {bits = 8 : i64, narrow = 1 : i64, rounding = "half_even", scale = 0.125 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32> loc("pot")
  %u = nn.fake_quant %x {bits = 8 : i64, narrow = 0 : i64, rounding = "floor", scale = 0.03 : f64, signed = 0 : i64, zero_point = 100 : i64} : tensor<1x4xf32> loc("affine")
  %s = nn.sign %x {scale = 0.5 : f64} : tensor<1x4xf32> loc("sign")
  func.return %p, %u, %s : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}

// -----

// A weight on its fixed.grid is exact (q<4, 2>); a layer that feeds a power-of-two
// quantizer (here through relu) keeps its exact accumulator, so the quantizer rounds once.
// Ceil: add one output step minus one input LSB, then truncate.
// CHECK-LABEL: func.func @grid
// CHECK-NEXT:  %[[X:.*]] = fixed.quantize %x {{.*}} -> tensor<1x2x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[C:.*]] = fixed.constant dense<1023> : tensor<i16> -> tensor<!fixed.q<11, -1>>
// CHECK-NEXT:  %[[XC:.*]] = fixed.add %[[X]], %[[C]] : (tensor<1x2x!fixed.q<16, 4>>, tensor<!fixed.q<11, -1>>) -> tensor<1x2x!fixed.q<17, 5>>
// CHECK-NEXT:  %[[Q:.*]] = fixed.cast %[[XC]] {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x2x!fixed.q<17, 5>> -> tensor<1x2x!fixed.q<5, 3>>
// CHECK-NEXT:  %[[QC:.*]] = fixed.clamp %[[Q]] {nncc.layer = "qx", max = 15 : i64, min = 0 : i64} : tensor<1x2x!fixed.q<5, 3>>
// CHECK-NEXT:  %[[W:.*]] = fixed.constant dense<{{\[\[}}2, -3], [1, 0]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<4, 2>>
// CHECK-NEXT:  %[[ACC:.*]] = fixed.dense %[[QC]], %[[W]] {nncc.layer = "fc"} : (tensor<1x2x!fixed.q<5, 3>>, tensor<2x2x!fixed.q<4, 2>>) -> tensor<1x2x!fixed.q<10, 6>>
// CHECK-NEXT:  %[[R:.*]] = nn.relu %[[ACC]] : tensor<1x2x!fixed.q<10, 6>>
// CHECK-NEXT:  %[[C2:.*]] = fixed.constant dense<7> : tensor<i8> -> tensor<!fixed.q<4, 0>>
// CHECK-NEXT:  %[[RC:.*]] = fixed.add %[[R]], %[[C2]] : (tensor<1x2x!fixed.q<10, 6>>, tensor<!fixed.q<4, 0>>) -> tensor<1x2x!fixed.q<11, 7>>
// CHECK-NEXT:  %[[Y:.*]] = fixed.cast %[[RC]] {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x2x!fixed.q<11, 7>> -> tensor<1x2x!fixed.q<9, 8>>
// CHECK-NEXT:  %[[YC:.*]] = fixed.clamp %[[Y]] {nncc.layer = "qy", max = 255 : i64, min = 0 : i64} : tensor<1x2x!fixed.q<9, 8>>
// CHECK-NEXT:  %[[O:.*]] = fixed.dequantize %[[YC]] : tensor<1x2x!fixed.q<9, 8>> -> tensor<1x2xf32>
// CHECK-NEXT:  func.return %[[O]] : tensor<1x2xf32>
func.func @grid(%x: tensor<1x2xf32> {fixed.range = array<f64: -3.0, 3.0>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[0.5, -0.75], [0.25, 0.0]]> : tensor<2x2xf32> {fixed.grid = {bits = 4 : i64, frac = 2 : i64, signed = 1 : i64}}
  %q = nn.fake_quant %x {bits = 4 : i64, narrow = 0 : i64, rounding = "ceil", scale = 0.25 : f64, signed = 0 : i64, zero_point = 0 : i64} : tensor<1x2xf32> loc("qx")
  %y = nn.dense %q, %w : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("fc")
  %r = nn.relu %y : tensor<1x2xf32>
  %z = nn.fake_quant %r {bits = 8 : i64, narrow = 0 : i64, rounding = "ceil", scale = 0.5 : f64, signed = 0 : i64, zero_point = 0 : i64} : tensor<1x2xf32> loc("qy")
  func.return %z : tensor<1x2xf32>
}

// -----

// Index tables keep their input's type; reduce_min is -max(-x) (exact), reduce_mean an exact
// sum times 1/n, reduce_max keeps the input type.
// CHECK-LABEL: func.func @selection
// CHECK-NEXT:  %[[X:.*]] = fixed.quantize %x {{.*}} -> tensor<1x2x3x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[G:.*]] = nn.gather %[[X]] {indices = array<i64: 5, -1, 0, 1, 2, 3>} : tensor<1x2x3x!fixed.q<16, 2>> -> tensor<1x3x2x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[Z:.*]] = fixed.constant dense<0> : tensor<i8> -> tensor<!fixed.q<2, 2>>
// CHECK-NEXT:  %[[N:.*]] = fixed.sub %[[Z]], %[[X]] : {{.*}} -> tensor<1x2x3x!fixed.q<17, 3>>
// CHECK-NEXT:  %[[NM:.*]] = fixed.reduce_max %[[N]] {axes = array<i64: 2>} : tensor<1x2x3x!fixed.q<17, 3>> -> tensor<1x2x1x!fixed.q<17, 3>>
// CHECK-NEXT:  %[[MN:.*]] = fixed.sub %[[Z]], %[[NM]] : {{.*}} -> tensor<1x2x1x!fixed.q<18, 4>>
// CHECK-NEXT:  fixed.cast %[[MN]] {{.*}} -> tensor<1x2x1x!fixed.q<16, 2>>
// CHECK-NEXT:  %[[S:.*]] = fixed.reduce_sum %[[X]] {axes = array<i64: 1>} : tensor<1x2x3x!fixed.q<16, 2>> -> tensor<1x1x3x!fixed.q<17, 3>>
// CHECK-NEXT:  %[[H:.*]] = fixed.constant dense<65536> : tensor<i32> -> tensor<!fixed.q<18, 1>>
// CHECK-NEXT:  %[[P:.*]] = fixed.mul %[[S]], %[[H]] : {{.*}} -> tensor<1x1x3x!fixed.q<35, 4>>
// CHECK-NEXT:  fixed.cast %[[P]] {{.*}} -> tensor<1x1x3x!fixed.q<16, 1>>
// CHECK-NEXT:  fixed.reduce_max %[[X]] {axes = array<i64: 2>} : tensor<1x2x3x!fixed.q<16, 2>> -> tensor<1x2x1x!fixed.q<16, 2>>
func.func @selection(%x: tensor<1x2x3xf32> {fixed.range = array<f64: -1.0, 0.5>}) -> (tensor<1x3x2xf32>, tensor<1x2x1xf32>, tensor<1x1x3xf32>, tensor<1x2x1xf32>) {
  %g = nn.gather %x {indices = array<i64: 5, -1, 0, 1, 2, 3>} : tensor<1x2x3xf32> -> tensor<1x3x2xf32>
  %mn = nn.reduce_min %x {axes = array<i64: 2>, fixed.range = array<f64: -1.0, 0.25>} : tensor<1x2x3xf32> -> tensor<1x2x1xf32>
  %m = nn.reduce_mean %x {axes = array<i64: 1>, fixed.range = array<f64: -0.5, 0.25>} : tensor<1x2x3xf32> -> tensor<1x1x3xf32>
  %mx = nn.reduce_max %x {axes = array<i64: 2>, fixed.range = array<f64: -0.5, 0.5>} : tensor<1x2x3xf32> -> tensor<1x2x1xf32>
  func.return %g, %mn, %m, %mx : tensor<1x3x2xf32>, tensor<1x2x1xf32>, tensor<1x1x3xf32>, tensor<1x2x1xf32>
}

// -----

// Per-channel scales [0.5, 0.0173], signed narrow 4 bits: one reciprocal per channel
// (2 and 1/0.0173 in q<18, 7>, shaped [2, 1] to broadcast along axis 1), round half to
// even onto the integers q<4, 4> (parity table, add, trn), clamp to [-7, 7], one scale per
// channel (q<18, 1>). Toward zero
// (scale 2^-2): a sign-bit table adds one step minus one LSB to the negative values only,
// then trn.
// CHECK-LABEL: func.func @fake_quant_axis
// CHECK-NEXT:  %[[X:.*]] = fixed.quantize %x {{.*}} -> tensor<1x2x3x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[R:.*]] = fixed.constant dense<{{\[\[}}4096], [118382]]> : tensor<2x1xi32> -> tensor<2x1x!fixed.q<18, 7>>
// CHECK-NEXT:  %[[M:.*]] = fixed.mul %[[X]], %[[R]] : (tensor<1x2x3x!fixed.q<16, 4>>, tensor<2x1x!fixed.q<18, 7>>) -> tensor<1x2x3x!fixed.q<34, 11>>
// CHECK-NEXT:  %[[LO:.*]] = fixed.cast %[[M]] {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x2x3x!fixed.q<34, 11>> -> tensor<1x2x3x!fixed.q<2, 2>>
// CHECK-NEXT:  %[[HE:.*]] = fixed.lut %[[LO]] {{.*}}function = "round_half_even", offset = 2 : i64, shift = 0 : i64, table = dense<[4194303, 4194304, 4194303, 4194304]> : tensor<4xi32>} : tensor<1x2x3x!fixed.q<2, 2>> -> tensor<1x2x3x!fixed.q<24, 1>>
// CHECK-NEXT:  %[[MH:.*]] = fixed.add %[[M]], %[[HE]] : (tensor<1x2x3x!fixed.q<34, 11>>, tensor<1x2x3x!fixed.q<24, 1>>) -> tensor<1x2x3x!fixed.q<35, 12>>
// CHECK-NEXT:  %[[N:.*]] = fixed.cast %[[MH]] {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x2x3x!fixed.q<35, 12>> -> tensor<1x2x3x!fixed.q<4, 4>>
// CHECK-NEXT:  %[[NC:.*]] = fixed.clamp %[[N]] {max = 7 : i64, min = -7 : i64} : tensor<1x2x3x!fixed.q<4, 4>>
// CHECK-NEXT:  %[[S:.*]] = fixed.constant dense<{{\[\[}}65536], [2268]]> : tensor<2x1xi32> -> tensor<2x1x!fixed.q<18, 1>>
// CHECK-NEXT:  %[[A:.*]] = fixed.mul %[[NC]], %[[S]] {nncc.layer = "axis"} : (tensor<1x2x3x!fixed.q<4, 4>>, tensor<2x1x!fixed.q<18, 1>>) -> tensor<1x2x3x!fixed.q<22, 5>>
// CHECK-NEXT:  %[[T:.*]] = fixed.lut %[[X]] {fixed.approx = "exact", fixed.approx_error = 0.000000e+00 : f64, function = "round_to_zero", offset = 1 : i64, shift = 15 : i64, table = dense<[1023, 0]> : tensor<2xi16>} : tensor<1x2x3x!fixed.q<16, 4>> -> tensor<1x2x3x!fixed.q<11, -1>>
// CHECK-NEXT:  %[[XT:.*]] = fixed.add %[[X]], %[[T]] : (tensor<1x2x3x!fixed.q<16, 4>>, tensor<1x2x3x!fixed.q<11, -1>>) -> tensor<1x2x3x!fixed.q<17, 5>>
// CHECK-NEXT:  %[[Z:.*]] = fixed.cast %[[XT]] {nncc.layer = "to_zero", overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x2x3x!fixed.q<17, 5>> -> tensor<1x2x3x!fixed.q<4, 2>>
func.func @fake_quant_axis(%x: tensor<1x2x3xf32> {fixed.range = array<f64: -3.0, 3.0>}) -> (tensor<1x2x3xf32>, tensor<1x2x3xf32>) {
  %a = nn.fake_quant_axis %x {axis = 1 : i64, bits = 4 : i64, narrow = 1 : i64, rounding = "half_even", scales = array<f64: 0.5, 0.0173>, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x2x3xf32> loc("axis")
  %z = nn.fake_quant %x {bits = 4 : i64, narrow = 0 : i64, rounding = "to_zero", scale = 0.25 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x2x3xf32> loc("to_zero")
  func.return %a, %z : tensor<1x2x3xf32>, tensor<1x2x3xf32>
}

// -----

// A QONNX Trunc's two steps: 0.03 (requantized to the integers n) then 0.12 = 0.03 x 4.
// The second rounds n itself on the grid 4 (half to even: parity of floor(n / 4), addend
// 1 or 2, trn onto q<4, 6>) and reuses the 0.03 constant; the first product is dropped.
// CHECK-LABEL: func.func @trunc_chain
// CHECK:       %[[N:.*]] = fixed.cast %{{.*}} {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<35, 12>> -> tensor<1x4x!fixed.q<9, 9>>
// CHECK-NEXT:  %[[S:.*]] = fixed.constant dense<125829> : tensor<i32> -> tensor<!fixed.q<18, -4>>
// CHECK-NEXT:  %[[LO:.*]] = fixed.cast %[[N]] {overflow = #fixed<overflow wrap>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<9, 9>> -> tensor<1x4x!fixed.q<2, 4>>
// CHECK-NEXT:  %[[HE:.*]] = fixed.lut %[[LO]] {{.*}}table = dense<[1, 2, 1, 2]> : tensor<4xi8>} : tensor<1x4x!fixed.q<2, 4>> -> tensor<1x4x!fixed.q<3, 3>>
// CHECK-NEXT:  %[[NH:.*]] = fixed.add %[[N]], %[[HE]] : (tensor<1x4x!fixed.q<9, 9>>, tensor<1x4x!fixed.q<3, 3>>) -> tensor<1x4x!fixed.q<10, 10>>
// CHECK-NEXT:  %[[T:.*]] = fixed.cast %[[NH]] {overflow = #fixed<overflow sat>, rounding = #fixed<rounding trn>} : tensor<1x4x!fixed.q<10, 10>> -> tensor<1x4x!fixed.q<4, 6>>
// CHECK-NEXT:  %[[Y:.*]] = fixed.mul %[[T]], %[[S]] {nncc.layer = "trunc_out"} : (tensor<1x4x!fixed.q<4, 6>>, tensor<!fixed.q<18, -4>>) -> tensor<1x4x!fixed.q<22, 2>>
// CHECK-NEXT:  %[[O:.*]] = fixed.dequantize %[[Y]]
func.func @trunc_chain(%x: tensor<1x4xf32> {fixed.range = array<f64: -3.0, 3.0>}) -> tensor<1x4xf32> {
  %r = nn.fake_quant %x {bits = 9 : i64, narrow = 0 : i64, rounding = "half_even", scale = 0.03 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32> loc("trunc_in")
  %t = nn.fake_quant %r {bits = 4 : i64, narrow = 0 : i64, rounding = "half_even", scale = 0.12 : f64, signed = 1 : i64, zero_point = 0 : i64} : tensor<1x4xf32> loc("trunc_out")
  func.return %t : tensor<1x4xf32>
}

// -----

// nn.activation keeps its function and parameters and takes its calibrated output type;
// max(a, b) = a + relu(b - a) and min(a, b) = a - relu(a - b) are exact, then cast.
// CHECK-LABEL: func.func @unary_and_extrema
// CHECK-NEXT:  %[[X:.*]] = fixed.quantize %x {{.*}} -> tensor<1x4x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[Z:.*]] = fixed.quantize %z {{.*}} -> tensor<1x4x!fixed.q<16, 3>>
// CHECK-NEXT:  %[[E:.*]] = fixed.activation %[[X]] {nncc.layer = "elu", function = "elu", params = array<f64: 5.000000e-01>} : tensor<1x4x!fixed.q<16, 4>> -> tensor<1x4x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[D:.*]] = fixed.sub %[[Z]], %[[X]] : (tensor<1x4x!fixed.q<16, 3>>, tensor<1x4x!fixed.q<16, 4>>) -> tensor<1x4x!fixed.q<18, 5>>
// CHECK-NEXT:  %[[R:.*]] = nn.relu %[[D]] : tensor<1x4x!fixed.q<18, 5>>
// CHECK-NEXT:  %[[M:.*]] = fixed.add %[[X]], %[[R]] : (tensor<1x4x!fixed.q<16, 4>>, tensor<1x4x!fixed.q<18, 5>>) -> tensor<1x4x!fixed.q<19, 6>>
// CHECK-NEXT:  %{{.*}} = fixed.cast %[[M]] {nncc.layer = "max", {{.*}}} : tensor<1x4x!fixed.q<19, 6>> -> tensor<1x4x!fixed.q<16, 4>>
// CHECK-NEXT:  %[[D2:.*]] = fixed.sub %[[X]], %[[Z]] : (tensor<1x4x!fixed.q<16, 4>>, tensor<1x4x!fixed.q<16, 3>>) -> tensor<1x4x!fixed.q<18, 5>>
// CHECK-NEXT:  %[[R2:.*]] = nn.relu %[[D2]] : tensor<1x4x!fixed.q<18, 5>>
// CHECK-NEXT:  %[[N:.*]] = fixed.sub %[[X]], %[[R2]] : (tensor<1x4x!fixed.q<16, 4>>, tensor<1x4x!fixed.q<18, 5>>) -> tensor<1x4x!fixed.q<19, 6>>
// CHECK-NEXT:  %{{.*}} = fixed.cast %[[N]] {nncc.layer = "min", {{.*}}} : tensor<1x4x!fixed.q<19, 6>> -> tensor<1x4x!fixed.q<16, 4>>
func.func @unary_and_extrema(%x: tensor<1x4xf32> {fixed.range = array<f64: -3.0, 3.0>}, %z: tensor<1x4xf32> {fixed.range = array<f64: -1.0, 1.0>}) -> (tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>) {
  %e = nn.activation %x {function = "elu", params = array<f64: 0.5>, fixed.range = array<f64: -0.5, 3.0>} : tensor<1x4xf32> loc("elu")
  %m = nn.max %x, %z {fixed.range = array<f64: -1.0, 3.0>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("max")
  %n = nn.min %x, %z {fixed.range = array<f64: -3.0, 1.0>} : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("min")
  func.return %e, %m, %n : tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>
}
