// RUN: nncc-opt %s --split-input-file -p 'nn-compress-fmap{edge="/relu" keep=0 bits=6}' | filecheck %s
// RUN: nncc-opt %s --split-input-file -p 'nn-compress-fmap{edge="/relu" keep=1 table=flat}' | filecheck %s --check-prefix=ZIGZAG
// RUN: nncc-opt %s --split-input-file -p 'nn-compress-fmap{edge="/relu" block=4 keep=6}' | filecheck %s --check-prefix=BLOCK4

// One 4x4 map, padded to one 8x8 block, keeping only the DC coefficient (keep = 0): the
// encoder sums the block times C[0][x] C[0][y] = 1/8, the decoder gives every pixel 1/8 of it,
// the gather puts the 16 pixels of the 4x4 map back in place (channel 8h + w of the block).
// Every user of the map (the second relu) reads the decoded map; the encoder's result is
// 6 bits wide (fixed.precision).
// CHECK-LABEL: func.func @one_block
// CHECK:      %[[R:.*]] = nn.relu %x
// CHECK-NEXT: %[[EW:.*]] = nn.constant dense<1.250000e-01> : tensor<1x1x8x8xf32>
// CHECK-NEXT: %[[E:.*]] = nn.conv %[[R]], %[[EW]] {fixed.precision = {width = 6 : i64}, nn.fmap_codec = {edge = "/relu", role = "encode", block = 8 : i64, table = "jpeg", quality = 50 : i64, keep = 0 : i64, bits = 6 : i64, coefficients = 1 : i64}, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 4, 4>, strides = array<i64: 8, 8>} : (tensor<1x1x4x4xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x1x1xf32>
// CHECK-NEXT: %[[DW:.*]] = nn.constant dense<1.250000e-01> : tensor<64x1x1x1xf32>
// CHECK-NEXT: %[[D:.*]] = nn.conv %[[E]], %[[DW]] {nn.fmap_codec = {edge = "/relu", role = "decode", block = 8 : i64, {{.*}}, group = 1 : i64, {{.*}}} : (tensor<1x1x1x1xf32>, tensor<64x1x1x1xf32>) -> tensor<1x64x1x1xf32>
// CHECK-NEXT: %[[G:.*]] = nn.gather %[[D]] {indices = array<i64: 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27>} : tensor<1x64x1x1xf32> -> tensor<1x1x4x4xf32>
// CHECK-NEXT: %{{.*}} = nn.relu %[[G]]

// Two channels of 8x16 (one block row, two blocks), keep = 1: three coefficients per block in
// zig-zag order, (0,0), (0,1), (1,0); one group per channel.
// ZIGZAG-LABEL: func.func @two_channels
// ZIGZAG:      nn.conv %{{.*}} {fixed.precision = {width = 8 : i64}, nn.fmap_codec = {edge = "/relu", role = "encode", block = 8 : i64, table = "flat", quality = 50 : i64, keep = 1 : i64, bits = 8 : i64, coefficients = 3 : i64}, dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 8, 8>} : (tensor<1x2x8x16xf32>, tensor<6x1x8x8xf32>) -> tensor<1x6x1x2xf32>
// ZIGZAG:      nn.conv %{{.*}} {nn.fmap_codec = {{.*}} group = 2 : i64, {{.*}} : (tensor<1x6x1x2xf32>, tensor<128x3x1x1xf32>) -> tensor<1x128x1x2xf32>
// ZIGZAG-NEXT: nn.gather %{{.*}} : tensor<1x128x1x2xf32> -> tensor<1x2x8x16xf32>

func.func @one_block(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %r = nn.relu %x : tensor<1x1x4x4xf32> loc("/relu")
  %y = nn.relu %r : tensor<1x1x4x4xf32> loc("/relu2")
  func.return %y : tensor<1x1x4x4xf32>
}

// -----

func.func @two_channels(%x: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %r = nn.relu %x : tensor<1x2x8x16xf32> loc("/relu")
  %y = nn.relu %r : tensor<1x2x8x16xf32> loc("/relu2")
  func.return %y : tensor<1x2x8x16xf32>
}

// -----

// block = 4 on a 4x4 map: one block, no padding, keep = 6 keeps all 16 coefficients.
// BLOCK4-LABEL: func.func @block4
// BLOCK4:      nn.conv {{.*}} block = 4 : i64, {{.*}} coefficients = 16 : i64}, {{.*}} pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 4, 4>} : (tensor<1x1x4x4xf32>, tensor<16x1x4x4xf32>) -> tensor<1x16x1x1xf32>
// BLOCK4:      nn.conv {{.*}} : (tensor<1x16x1x1xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x1x1xf32>
// BLOCK4-NEXT: nn.gather %{{.*}} {indices = array<i64: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15>} : tensor<1x16x1x1xf32> -> tensor<1x1x4x4xf32>
func.func @block4(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %r = nn.relu %x : tensor<1x1x4x4xf32> loc("/relu")
  %y = nn.relu %r : tensor<1x1x4x4xf32> loc("/relu2")
  func.return %y : tensor<1x1x4x4xf32>
}
