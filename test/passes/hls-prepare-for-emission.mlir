// RUN: nncc-opt %s -p hls-prepare-for-emission | filecheck %s
// RUN: nncc-opt %s -p 'hls-prepare-for-emission{top=my_net clock_ns=3.3}' | filecheck %s --check-prefix=OPTS

// Every value gets a legal, unique C identifier; a hostile layer name is reduced to
// letters, digits and underscores behind an index prefix.
// CHECK:       builtin.module attributes {hls.options = {clock_ns = 5.000000e+00 : f64, io = "parallel", part = "xcu250-figd2104-2L-e", top = "nncc_top"}}
// CHECK:       fixed.quantize %x {nncc.layer = "x", hls.name = "l0_x", hls.unroll,
// CHECK-NEXT:  fixed.constant {{.*}} {hls.name = "w1_system_x"} ->
// CHECK-NEXT:  nn.relu {{.*}} {hls.name = "l2_system_x", hls.unroll} : tensor<1x4x!fixed.q<8, 3>>
// CHECK-NEXT:  fixed.add {{.*}} {nncc.layer = "fc", hls.name = "l3_fc", hls.unroll}
// CHECK-NEXT:  fixed.dequantize {{.*}} {hls.name = "l4_dequantize", hls.unroll}
// OPTS:        hls.options = {clock_ns = 3.300000e+00 : f64, io = "parallel", part = "xcu250-figd2104-2L-e", top = "my_net"}
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %c = fixed.constant dense<[1, 2, 3, 4]> : tensor<4xi8> -> tensor<4x!fixed.q<8, 3>> loc("\"; system(\"x\"); //")
  %r = nn.relu %q : tensor<1x4x!fixed.q<8, 3>> loc("\"; system(\"x\"); //")
  %a = fixed.add %r, %c {nncc.layer = "fc"} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<9, 4>>
  %y = fixed.dequantize %a : tensor<1x4x!fixed.q<9, 4>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
