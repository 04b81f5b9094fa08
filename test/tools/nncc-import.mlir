// RUN: nncc import %fixtures/cnn.onnx | filecheck %s
// RUN: nncc import %fixtures/cnn.onnx --pipeline none | filecheck %s --check-prefix=RAW
// RUN: nncc import %fixtures/shapes.onnx --no-locations | filecheck %s --check-prefix=SHAPES
// RUN: nncc import %fixtures/mlp.onnx --print-pipeline -o /dev/null 2>&1 | filecheck %s --check-prefix=PIPE

// The default pipeline folds both batch norms into the convs and flattens to a reshape;
// ONNX node names stay as locations.
// CHECK-LABEL: func.func @main(%input: tensor<1x1x16x16xf32> {nncc.name = "input"}
// CHECK-SAME:  -> (tensor<1x10xf32> {nncc.name = "output"})
// CHECK-NOT:   nn.batchnorm
// CHECK:       nn.conv %input, %{{.*}}, %{{.*}} {{.*}} -> tensor<1x8x16x16xf32> loc("/conv1/Conv")
// CHECK:       nn.max_pool {{.*}} loc("/pool/MaxPool")
// CHECK:       nn.global_avg_pool
// CHECK-NEXT:  nn.reshape {{.*}} : tensor<1x16x1x1xf32> -> tensor<1x16xf32> loc("/flatten/Flatten")
// CHECK:       nn.dense {{.*}} -> tensor<1x10xf32> loc("/fc/Gemm")

// RAW:         nn.batchnorm {{.*}} loc("/bn1/BatchNormalization")
// RAW:         nn.flatten

// The Shape -> Gather -> Unsqueeze -> Concat chain is folded: one reshape remains.
// SHAPES-NOT:  loc(
// SHAPES:      nn.conv
// SHAPES-NEXT: nn.relu
// SHAPES-NEXT: nn.reshape %{{.*}} : tensor<1x6x8x8xf32> -> tensor<1x384xf32>
// SHAPES:      nn.dense
// SHAPES-NEXT: nn.sigmoid

// PIPE: canonicalize,nn-fuse-bias,binary-complex-raise-complex-layers,binary-complex-fold-threshold,nn-fold-batchnorm,nn-fuse-bias,binary-complex-raise-complex-layers,canonicalize,cse
