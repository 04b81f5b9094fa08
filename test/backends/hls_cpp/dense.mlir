// RUN: nncc-opt %s -p hls-prepare-for-emission -t hls-cpp | filecheck %s

// A dense layer with bias, requantized and passed through relu: one typedef per value
// with the op's quantization/overflow modes, raw-integer weights, exact accumulator.
// CHECK-LABEL: // ----- nncc_top.cpp
// CHECK:       const int16_t w1_fc_raw[4] = {
// CHECK-NEXT:  16384, -24576, 8192, 0
// CHECK:       void nncc_top(
// CHECK-NEXT:      const t_l0_x l0_x[2],
// CHECK-NEXT:      t_l5_relu out0[2]
// CHECK-NEXT:  ) {
// CHECK-NEXT:    NNCC_HLS(HLS PIPELINE II=1)
// CHECK:         // dense -> l3_fc
// CHECK:         t_l3_fc acc = nncc::from_raw<t_w2_fc>(w2_fc_raw[j]);
// CHECK:         acc += l0_x[r * 2 + i] * nncc::from_raw<t_w1_fc>(w1_fc_raw[j * 2 + i]);
// CHECK:         // copy -> l4_fc
// CHECK:         l4_fc[i] = l3_fc[i];
// CHECK:         // relu -> l5_relu
// CHECK:         // copy -> out0
// CHECK:       int nncc_run_batch(const double* const* inputs, double* const* outputs, long batch) {
// CHECK:       l0_x[i] = t_l0_x(inputs[0][n * 2 + i]);
// CHECK:       outputs[0][n * 2 + i] = out0[i].to_double();
// CHECK-LABEL: // ----- nncc_top.h
// CHECK:       typedef ap_fixed<16, 4, AP_RND, AP_SAT> t_l0_x;
// CHECK-NEXT:  typedef ap_fixed<16, 1, AP_TRN, AP_WRAP> t_w1_fc;
// CHECK-NEXT:  typedef ap_fixed<29, 2, AP_TRN, AP_WRAP> t_w2_fc;
// CHECK-NEXT:  typedef ap_fixed<34, 7, AP_TRN, AP_WRAP> t_l3_fc;
// CHECK-NEXT:  typedef ap_fixed<16, 6, AP_RND, AP_SAT> t_l4_fc;
// CHECK-NEXT:  typedef ap_fixed<16, 6, AP_TRN, AP_WRAP> t_l5_relu;
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2xf32> -> tensor<1x2x!fixed.q<16, 4>>
  %w = fixed.constant dense<[[16384, -24576], [8192, 0]]> : tensor<2x2xi16> -> tensor<2x2x!fixed.q<16, 1>> loc("fc")
  %b = fixed.constant dense<[201326592, -67108864]> : tensor<2xi32> -> tensor<2x!fixed.q<29, 2>> loc("fc")
  %acc = fixed.dense %q, %w, %b : (tensor<1x2x!fixed.q<16, 4>>, tensor<2x2x!fixed.q<16, 1>>, tensor<2x!fixed.q<29, 2>>) -> tensor<1x2x!fixed.q<34, 7>> loc("fc")
  %y = fixed.cast %acc {nncc.layer = "fc", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<34, 7>> -> tensor<1x2x!fixed.q<16, 6>>
  %r = nn.relu %y : tensor<1x2x!fixed.q<16, 6>> loc("relu")
  %o = fixed.dequantize %r : tensor<1x2x!fixed.q<16, 6>> -> tensor<1x2xf32>
  func.return %o : tensor<1x2xf32>
}
