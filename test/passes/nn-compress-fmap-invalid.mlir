// RUN: not nncc-opt %s -p 'nn-compress-fmap{edge="/nope"}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not nncc-opt %s -p 'nn-compress-fmap{edge="/flat"}' 2>&1 | filecheck %s --check-prefix=SHAPE
// RUN: not nncc-opt %s -p 'nn-compress-fmap{edge="/relu" block=4 keep=7 table=x}' 2>&1 | filecheck %s --check-prefix=OPTIONS

// UNKNOWN: nn-compress-fmap: no node named '/nope' (nodes: /flat, /relu)
// SHAPE: nn-compress-fmap: '/flat' is not a feature map N x C x H x W (shape [1, 16])
// OPTIONS: nn-compress-fmap needs keep in [0, 6] or -1 for all (got 7); table jpeg or flat (got 'x')

func.func @main(%x: tensor<1x1x4x4xf32>) -> tensor<1x16xf32> {
  %r = nn.relu %x : tensor<1x1x4x4xf32> loc("/relu")
  %f = nn.reshape %r : tensor<1x1x4x4xf32> -> tensor<1x16xf32> loc("/flat")
  func.return %f : tensor<1x16xf32>
}
