// RUN: nncc-opt %s -p 'fixed-lower-activations{table_bits=4},hls-prepare-for-emission{top=act}' -t hls-cpp | filecheck %s
// RUN: nncc-opt %s -p 'fixed-lower-activations{mode=pwl segments=4},hls-prepare-for-emission' -t hls-cpp | filecheck %s --check-prefix=PWL
// RUN: nncc-opt %s -p 'fixed-lower-activations{mode=taylor order=3},hls-prepare-for-emission' -t hls-cpp | filecheck %s --check-prefix=POLY

// A table lookup indexes by a bit slice of the raw input: no multiplier.
// CHECK:       const int32_t l1_sig_table[17] = {
// CHECK-NEXT:  0, 0, 1, 2, 4, 10, 24, 48, 78, 103, 117, 124, 126, 127, 127, 127, 127
// CHECK:       void act(
// CHECK:       // lut -> l1_sig
// CHECK:       int64_t idx = (nncc::raw(l0_x[i]) >> 4) + 8LL;
// CHECK-NEXT:  idx = idx < 0 ? 0 : (idx > 16 ? 16 : idx);
// CHECK-NEXT:  l1_sig[i] = nncc::from_raw<t_l1_sig>(l1_sig_table[idx]);

// PWL:         const int32_t l1_sig_breaks[5] = {
// PWL-NEXT:    -128, -27, 0, 27, 127
// PWL:         k += (l1_sig_breaks[b] <= r) ? 1 : 0;
// PWL:         l1_sig[i] = nncc::from_raw<t_l1_sig_slope>(l1_sig_slopes[k]) * l0_x[i] + nncc::from_raw<t_l1_sig_intercept>(l1_sig_intercepts[k]);
// PWL:         typedef ap_fixed<8, 1, AP_RND, AP_SAT> t_l1_sig;

// POLY:        const t_l0_x u = nncc::from_raw<t_l0_x>(r < -32LL ? -32LL : (r > 32LL ? 32LL : r));
// POLY-NEXT:   t_l1_sig_acc t = nncc::from_raw<t_l1_sig_coeff>(l1_sig_coeffs[3]);
// POLY-NEXT:   for (int j = 2; j >= 0; j--) {
// POLY-NEXT:     t = t * u + nncc::from_raw<t_l1_sig_coeff>(l1_sig_coeffs[j]);
// POLY:        typedef ap_fixed<24, 2, AP_RND, AP_SAT> t_l1_sig_acc;
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 4>>
  %s = fixed.activation %q {function = "sigmoid", nncc.layer = "sig"} : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x4x!fixed.q<8, 1>>
  %y = fixed.dequantize %s : tensor<1x4x!fixed.q<8, 1>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
