// RUN: nncc-opt %s -p nn-cleanup | filecheck %s --check-prefix=CLEAN
// RUN: nncc-opt %s -p 'nn-to-fixed{width=8 weight_width=8 margin_bits=0},fixed-to-dataflow,dataflow-to-emit{top=net clock_ns=4.0}' | filecheck %s
// RUN: nncc-opt %s -p 'nn-to-emit{width=8 weight_width=8 margin_bits=0 top=net clock_ns=4.0}' > %t.named
// RUN: nncc-opt %s -p 'convert-nn-to-fixed{width=8 weight_width=8 margin_bits=0},binary-complex-replace-dense-with-xnor,binary-complex-replace-conv-with-xnor,binary-complex-set-or-pools,fixed-lower-activations,dataflow-tile,hls-prepare-for-emission{top=net clock_ns=4.0},dataflow-plan' > %t.passes
// RUN: diff %t.named %t.passes
// RUN: not nncc-opt %s -p 'nn-to-fixed{widht=8}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not nncc-opt %s -p 'fixed-to-dataflow{reuse_factor=0}' 2>&1 | filecheck %s --check-prefix=BAD

// Named pipelines stand wherever a pass fits in -p, with their options; nn-to-emit is the
// three level-to-level pipelines in a row, i.e. exactly their passes.
// CLEAN:       func.func @main
// CLEAN-NEXT:  nn.constant
// CHECK:       builtin.module attributes {dataflow.schedule = {{.*}}, emit.options = #emit.options<top = "net", part = "xcu250-figd2104-2L-e", clock_ns = 4.0, io = parallel>}
// CHECK:       fixed.quantize %x {{.*}} -> tensor<1x2x!fixed.q<8, 2>>
// CHECK:       dataflow.pe
// CHECK:       fixed.dense {{.*}} -> tensor<1x2x!fixed.q<17, 4>>
// UNKNOWN:     nncc-opt: error: pipeline 'nn-to-fixed': unknown option(s) widht
// BAD:         nncc-opt: error: pipeline 'fixed-to-dataflow': reuse_factor must be an integer in [1, 1048576], got 0
func.func @main(%x: tensor<1x2xf32> {fixed.range = array<f64: -2.0, 1.5>}) -> tensor<1x2xf32> {
  %w = nn.constant dense<[[0.5, -0.75], [0.25, 0.0]]> : tensor<2x2xf32>
  %y = nn.dense %x, %w {fixed.range = array<f64: -1.0, 1.0>} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32> loc("fc")
  func.return %y : tensor<1x2xf32>
}
