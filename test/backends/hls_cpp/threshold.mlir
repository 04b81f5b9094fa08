// RUN: nncc-opt %s -p 'binary-complex-set-or-pools,dataflow-tile,hls-prepare-for-emission{top=bin},dataflow-plan' -t hls-cpp | filecheck %s

// binary_complex.threshold: per-channel tables, element i of 8 reads channel i * 2 / 8;
// the max pool of its +-1 values (binary-complex-set-or-pools) ORs the sign bits.
func.func @main(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!fixed.q<5, 5>>
  %t = binary_complex.threshold %q {directions = array<i64: 1, -1>, nncc.layer = "thr", thresholds = array<i64: 3, -2>} : (tensor<1x2x2x2x!fixed.q<5, 5>>) -> tensor<1x2x2x2x!fixed.q<2, 2>>
  %p = nn.max_pool %t {ceil_mode = 0 : i64, dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, nncc.layer = "pool", pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : tensor<1x2x2x2x!fixed.q<2, 2>> -> tensor<1x2x1x1x!fixed.q<2, 2>>
  %y = fixed.dequantize %p : tensor<1x2x1x1x!fixed.q<2, 2>> -> tensor<1x2x1x1xf32>
  func.return %y : tensor<1x2x1x1xf32>
}

// CHECK:       const int32_t l1_thr_thresholds[2] = {
// CHECK-NEXT:  3, -2
// CHECK:       const int32_t l1_thr_directions[2] = {
// CHECK-NEXT:  1, -1
// CHECK:           // per-channel threshold: +1 if direction * (x - threshold) >= 0, else -1
// CHECK-NEXT:      for (int i = 0; i < 8; i++) {
// CHECK:             int c = i * 2 / 8;
// CHECK-NEXT:        int64_t d = nncc::raw(l0_x[i]) - (int64_t)l1_thr_thresholds[c];
// CHECK-NEXT:        l1_thr[i] = nncc::from_raw<t_l1_thr>((l1_thr_directions[c] > 0 ? d >= 0 : d <= 0) ? 1 : -1);
// CHECK:             // max of +-1 values: +1 iff one of them is +1 (the OR of their bits, sign bit clear)
// CHECK-NEXT:        bool any = false;
// CHECK-NEXT:        for (int k = 0; k < 4; k++) {
// CHECK-NEXT:          const int q = l2_pool_window[o * 4 + k];
// CHECK-NEXT:          any = any || (q >= 0 && nncc::raw(l1_thr[q]) >= 0);
// CHECK-NEXT:        }
// CHECK-NEXT:        t_l2_pool acc = nncc::from_raw<t_l2_pool>(any ? 1 : -1);
