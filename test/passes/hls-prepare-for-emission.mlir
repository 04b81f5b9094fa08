// RUN: nncc-opt %s -p hls-prepare-for-emission | filecheck %s
// RUN: nncc-opt %s -p 'hls-prepare-for-emission{top=my_net clock_ns=3.3}' | filecheck %s --check-prefix=OPTS

// Every value gets a legal, unique C identifier; a hostile layer name is reduced to
// letters, digits and underscores behind an index prefix.
// CHECK:       builtin.module attributes {emit.options = #emit.options<top = "nncc_top", part = "xcu250-figd2104-2L-e", clock_ns = 5.0, io = parallel>}
// CHECK:       fixed.quantize %x {nncc.layer = "x", emit.name = "l0_x", emit.unroll,
// CHECK-NEXT:  fixed.constant {{.*}} {emit.name = "w1_system_x"} ->
// CHECK-NEXT:  nn.relu {{.*}} {emit.name = "l2_system_x", emit.unroll} : tensor<1x4x!fixed.q<8, 3>>
// CHECK-NEXT:  fixed.add {{.*}} {nncc.layer = "fc", emit.name = "l3_fc", emit.unroll}
// CHECK-NEXT:  fixed.dequantize {{.*}} {emit.name = "l4_dequantize", emit.unroll}
// OPTS:        emit.options = #emit.options<top = "my_net", part = "xcu250-figd2104-2L-e", clock_ns = 3.3, io = parallel>
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = fixed.quantize %x {nncc.layer = "x", overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>} : tensor<1x4xf32> -> tensor<1x4x!fixed.q<8, 3>>
  %c = fixed.constant dense<[1, 2, 3, 4]> : tensor<4xi8> -> tensor<4x!fixed.q<8, 3>> loc("\"; system(\"x\"); //")
  %r = nn.relu %q : tensor<1x4x!fixed.q<8, 3>> loc("\"; system(\"x\"); //")
  %a = fixed.add %r, %c {nncc.layer = "fc"} : (tensor<1x4x!fixed.q<8, 3>>, tensor<4x!fixed.q<8, 3>>) -> tensor<1x4x!fixed.q<9, 4>>
  %y = fixed.dequantize %a : tensor<1x4x!fixed.q<9, 4>> -> tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
