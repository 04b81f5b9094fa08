// RUN: not nncc-opt %s -p 'recurrent-delta' 2>&1 | filecheck %s

// A product of r h (a GRU with linear_before_reset = 0) reads neither x_t nor the previous h:
// it cannot be delta-coded, and the pass says which layer and product.
// CHECK: recurrent-delta: layer 'gru': product 'gru (recurrent n)' multiplies neither x_t nor the previous h
func.func @main(%x: tensor<1x3x2x!fixed.q<8, 2>>) -> tensor<1x3x2x!fixed.q<8, 1>> {
  %h0 = fixed.constant dense<0> : tensor<1x2xi8> -> tensor<1x2x!fixed.q<8, 1>>
  %y = recurrent.scan %x, %h0 {direction = "forward", nncc.layer = "gru"} : (tensor<1x3x2x!fixed.q<8, 2>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x3x2x!fixed.q<8, 1>> {
  ^bb0(%xt: tensor<1x2x!fixed.q<8, 2>>, %h: tensor<1x2x!fixed.q<8, 1>>):
    %rh = fixed.mul %h, %h : (tensor<1x2x!fixed.q<8, 1>>, tensor<1x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<16, 2>>
    %q = fixed.cast %rh {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<16, 2>> -> tensor<1x2x!fixed.q<8, 1>>
    %r = fixed.constant dense<[[7, 8], [9, 10]]> : tensor<2x2xi8> -> tensor<2x2x!fixed.q<8, 1>>
    %c = fixed.dense %q, %r {nncc.layer = "gru (recurrent n)"} : (tensor<1x2x!fixed.q<8, 1>>, tensor<2x2x!fixed.q<8, 1>>) -> tensor<1x2x!fixed.q<17, 3>>
    %n = fixed.cast %c {overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x2x!fixed.q<17, 3>> -> tensor<1x2x!fixed.q<8, 1>>
    recurrent.yield %n : tensor<1x2x!fixed.q<8, 1>>
  }
  func.return %y : tensor<1x3x2x!fixed.q<8, 1>>
}
