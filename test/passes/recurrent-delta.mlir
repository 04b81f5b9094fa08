// RUN: nncc-opt %s -p 'recurrent-delta{theta_x=0.5 theta_h=0.25}' | filecheck %s
// RUN: not nncc-opt %s -p 'recurrent-delta{theta_x=-1.0}' 2>&1 | filecheck %s --check-prefix=NEG

// A step with an input and a recurrent product becomes the delta form: states x̂, ĥ (zeros)
// and the two delta memories (the first one starts at the bias at the product's type:
// 5, 6 at 2^-12 = 10, 12 at 2^-13); the thresholds on Δ's grid: 0.5 x 2^6 = 32 for x,
// 0.25 x 2^7 = 32 for h.
// CHECK:       %[[XH:.*]] = fixed.constant dense<0> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 2>>
// CHECK-NEXT:  %[[HH:.*]] = fixed.constant dense<0> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 1>>
// CHECK-NEXT:  %[[M1:.*]] = fixed.constant dense<{{\[\[}}10, 12]]> : tensor<1x2xi32> -> tensor<1x2x!fixed.q<19, 6>>
// CHECK-NEXT:  %[[M2:.*]] = fixed.constant dense<0> : tensor<1x2xi32> -> tensor<1x2x!fixed.q<17, 3>>
// CHECK-NEXT:  recurrent.scan %x, %h0, %[[XH]], %[[HH]], %[[M1]], %[[M2]]
// CHECK:       ^bb0(%xt: {{.*}}, %h: {{.*}}, %[[A:.*]]: tensor<1x2x!fixed.q<8, 2>>, %[[B:.*]]: tensor<1x2x!fixed.q<8, 1>>, %[[C:.*]]: tensor<1x2x!fixed.q<19, 6>>, %[[D:.*]]: tensor<1x2x!fixed.q<17, 3>>):
// CHECK-NEXT:    %[[DX:.*]] = fixed.sub %xt, %[[A]]
// CHECK-NEXT:    %[[ZX:.*]] = fixed.dead_zone %[[DX]] {{{.*}}threshold = 32 : i64} : tensor<1x2x!fixed.q<9, 3>>
// CHECK-NEXT:    %[[SX:.*]] = fixed.add %[[A]], %[[ZX]]
// CHECK-NEXT:    %[[NX:.*]] = fixed.cast %[[SX]] {{.*}} -> tensor<1x2x!fixed.q<8, 2>>
// CHECK-NEXT:    %[[DH:.*]] = fixed.sub %h, %[[B]]
// CHECK-NEXT:    %[[ZH:.*]] = fixed.dead_zone %[[DH]] {{{.*}}threshold = 32 : i64} : tensor<1x2x!fixed.q<9, 2>>
// CHECK-NEXT:    %[[SH:.*]] = fixed.add %[[B]], %[[ZH]]
// CHECK-NEXT:    %[[NH:.*]] = fixed.cast %[[SH]] {{.*}} -> tensor<1x2x!fixed.q<8, 1>>
// CHECK-NEXT:    %w = fixed.constant
// CHECK-NEXT:    %a = recurrent.delta_accumulate %[[C]], %[[ZX]], %w : {{.*}} -> tensor<1x2x!fixed.q<19, 6>>
// CHECK-NEXT:    %r = fixed.constant
// CHECK-NEXT:    %c = recurrent.delta_accumulate %[[D]], %[[ZH]], %r : {{.*}} -> tensor<1x2x!fixed.q<17, 3>>
// CHECK-NEXT:    %s = fixed.add %a, %c
// CHECK-NOT:     fixed.dense
// CHECK:         recurrent.yield %n, %[[NX]], %[[NH]], %a, %c
// NEG: recurrent-delta: theta_x and theta_h must be >= 0, got -1.0, 0.0
func.func @main(%x: tensor<1x3x2x!fixed.q<8, 2>>) -> tensor<1x3x2x!fixed.q<8, 1>> {
  %h0 = fixed.constant dense<[[0, 0]]> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 1>>
  %y = recurrent.scan %x, %h0 {direction = "forward"} : (tensor<1x3x2x!fixed.q<8, 2>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x3x2x!fixed.q<8, 1>> {
  ^bb0(%xt: tensor<1x2x!fixed.q<8, 2>>, %h: tensor<1x2x!fixed.q<8, 1>>):
    %w = fixed.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
    %b = fixed.constant dense<[5, 6]> : tensor<2xi16> -> tensor<2x!fixed.q<16, 4>>
    %a = fixed.dense %xt, %w, %b : (tensor<1x2x!fixed.q<8, 2>>, tensor<2x2x!fixed.q<8, 1>>, tensor<2x!fixed.q<16, 4>>) -> tensor<1x2x!fixed.q<19, 6>>
    %r = fixed.constant dense<[[7, 8], [9, 10]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
    %c = fixed.dense %h, %r : (tensor<1x2x!fixed.q<8, 1>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<17, 3>>
    %s = fixed.add %a, %c : (tensor<1x2x!fixed.q<19, 6>>, tensor<1x2x!fixed.q<17, 3>>) -> tensor<1x2x!fixed.q<21, 7>>
    %n = fixed.cast %s {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<21, 7>> -> tensor<1x2x!fixed.q<8, 1>>
    recurrent.yield %n : tensor<1x2x!fixed.q<8, 1>>
  }
  func.return %y : tensor<1x3x2x!fixed.q<8, 1>>
}

