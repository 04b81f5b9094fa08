"""The binarized complex CNN (BCNN) of this example, in PyTorch (needed by train.py only).

A complex activation with C channels is a real tensor `[N, 2C, T]` of channels `[re; im]`
(ONNX has no complex type). Each complex convolution `W = A + jB` on `h = x + jy` is written
the way a torch user writes a `ComplexConv1d`: `torch.chunk` into x and y, two real
convolutions (weights A and B) each used twice, Sub, Add and `torch.cat`:

    W * h = (A*x - B*y) + j (B*x + A*y)

Training keeps latent float weights and binarizes them with sign and a straight-through
estimator (STE, gradient passed where |w| <= 1); activations are binarized the same way, the
real and imaginary parts independently, each after its own batch norm (`BatchNorm1d` over the
2C channels `[re; im]`: per part). The I/Q samples are first rounded to 8-bit codes of 1/32
(`torch.fake_quantize_per_tensor_affine`: ONNX QuantizeLinear + DequantizeLinear, what an
8-bit ADC delivers); the first layer takes them with binary weights (binary x fixed). Then:

    quantize I/Q to 8 bits (1/32)
    ComplexConv1d(1 -> C1, k 7)  BN  sign  MaxPool 2
    ComplexConv1d(C1 -> C2, k 5) BN  sign  MaxPool 2
    ComplexConv1d(C2 -> C3, k 3) BN  sign  MaxPool 8
    flatten  Linear(2 C3 T -> classes, +-1 weights, no bias)

Channel masks (one per complex filter, Re and Im together) implement structural pruning
during retraining: a masked filter's binary output is 0, exactly what the next layer sees
when the filter is removed. `export_module()` builds the inference network with the weights
already binarized (constants of +-1) and the masked filters physically removed.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

KERNELS = (7, 5, 3)
POOLS = (2, 2, 8)
INPUT_SCALE, INPUT_BITS = 1.0 / 32, 8  # the I/Q samples as 8-bit ADC codes: q<8, 5>, |x| < 4


def quantize_input(x: torch.Tensor) -> torch.Tensor:
    """Round the I/Q samples to 8-bit codes of 1/32 (ONNX QuantizeLinear + DequantizeLinear)."""
    top = 2 ** (INPUT_BITS - 1)
    return torch.fake_quantize_per_tensor_affine(x, INPUT_SCALE, 0, -top, top - 1)


class SignSTE(torch.autograd.Function):
    """sign with sign(0) = +1 forward, hard-tanh gradient (1 where |x| <= 1) backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x.abs() <= 1).to(grad.dtype)


def binarize(x: torch.Tensor) -> torch.Tensor:
    return SignSTE.apply(x)


class ComplexConv1d(nn.Module):
    """Complex 1-D convolution on channels [x; y] (torch.chunk, two real convolutions used twice).
    ``binary``: the weights are binarized with sign + STE in the forward pass."""

    def __init__(self, cin: int, cout: int, k: int, binary: bool = True):
        super().__init__()
        self.re = nn.Conv1d(cin, cout, k, padding=k // 2, bias=False)
        self.im = nn.Conv1d(cin, cout, k, padding=k // 2, bias=False)
        self.binary = binary

    def forward(self, h):
        x, y = torch.chunk(h, 2, dim=1)
        if not self.binary:  # inference form: the weights already hold +-1
            return torch.cat([self.re(x) - self.im(y), self.re(y) + self.im(x)], dim=1)
        a, b, pad = binarize(self.re.weight), binarize(self.im.weight), self.re.padding
        re = F.conv1d(x, a, padding=pad) - F.conv1d(y, b, padding=pad)
        im = F.conv1d(y, a, padding=pad) + F.conv1d(x, b, padding=pad)
        return torch.cat([re, im], dim=1)


class Sign(nn.Module):
    """The activation binarization: STE while training; at export ``form`` "sign" (ONNX Sign,
    torch.sign) or "where" (torch.where(x >= 0, 1, -1), sign(0) = +1)."""

    def __init__(self):
        super().__init__()
        self.form = "ste"

    def forward(self, x):
        if self.form == "sign":
            return torch.sign(x)
        if self.form == "where":
            return torch.where(x >= 0, 1.0, -1.0)
        return binarize(x)


class Bcnn(nn.Module):
    """The example's BCNN; ``widths`` = complex channels of the three convolutions."""

    def __init__(self, widths=(16, 16, 16), length: int = 64, classes: int = 4):
        super().__init__()
        cins = (1,) + tuple(widths[:-1])
        self.convs = nn.ModuleList(ComplexConv1d(i, o, k) for i, o, k in zip(cins, widths, KERNELS))
        self.norms = nn.ModuleList(nn.BatchNorm1d(2 * o) for o in widths)
        self.signs = nn.ModuleList(Sign() for _ in widths)
        self.pools = nn.ModuleList(nn.MaxPool1d(p) for p in POOLS)
        steps = length
        for p in POOLS:
            steps //= p
        self.steps = steps
        self.fc = nn.Linear(2 * widths[-1] * steps, classes, bias=False)
        self.latent = True  # training form; export_module() returns the inference form
        self.register_buffer("masks", torch.ones(len(widths), max(widths)))
        self.widths = tuple(widths)

    def forward(self, h):
        h = quantize_input(h)
        for i, (conv, norm, sign, pool) in enumerate(zip(self.convs, self.norms, self.signs, self.pools)):
            h = sign(norm(conv(h)))
            if self.latent:  # training: masked (pruned) filters output 0, Re and Im alike
                keep = self.masks[i, :self.widths[i]]
                h = h * torch.cat([keep, keep])[None, :, None]
            h = pool(h)
        h = h.flatten(1)
        if self.latent:
            return F.linear(h, binarize(self.fc.weight))
        return self.fc(h)

    def group_norms(self, layer: int) -> torch.Tensor:
        """‖A_f‖² + ‖B_f‖² of each output filter of convolution ``layer`` (latent weights)."""
        conv = self.convs[layer]
        return (conv.re.weight.detach() ** 2).sum((1, 2)) + (conv.im.weight.detach() ** 2).sum((1, 2))

    def clip_latent(self) -> None:
        """Keep the latent weights in [-1, 1] (beyond it the STE passes no gradient)."""
        with torch.no_grad():
            for conv in self.convs:
                conv.re.weight.clamp_(-1, 1)
                conv.im.weight.clamp_(-1, 1)
            self.fc.weight.clamp_(-1, 1)

    def export_module(self, form: str = "sign") -> "Bcnn":
        """The inference network: +-1 weights as constants, masked filters removed, batch norms
        in eval mode, activations binarized by ``form``."""
        keeps = [torch.nonzero(self.masks[i, :w]).flatten() for i, w in enumerate(self.widths)]
        out = Bcnn(tuple(len(k) for k in keeps), classes=self.fc.out_features)
        out.steps = self.steps
        previous = torch.tensor([0])
        with torch.no_grad():
            for i, keep in enumerate(keeps):
                src, dst = self.convs[i], out.convs[i]
                for part in ("re", "im"):
                    weight = torch.sign(getattr(src, part).weight)[keep][:, previous]
                    getattr(dst, part).weight.copy_(torch.where(weight == 0, 1.0, weight))
                dst.binary = False
                both = torch.cat([keep, keep + self.widths[i]])
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(out.norms[i], name).copy_(getattr(self.norms[i], name)[both])
                out.norms[i].eps = self.norms[i].eps
                out.signs[i].form = form
                previous = keep
            last = torch.cat([keeps[-1], keeps[-1] + self.widths[-1]])
            columns = (last[:, None] * self.steps + torch.arange(self.steps)[None, :]).flatten()
            weight = torch.sign(self.fc.weight)[:, columns]
            out.fc.weight.copy_(torch.where(weight == 0, 1.0, weight))
        out.latent = False
        return copy.deepcopy(out).eval()


def parameters(widths, length: int = 64, classes: int = 4) -> int:
    """Binary weights of a network with ``widths`` (A and B of each convolution, the dense layer)."""
    cins = (1,) + tuple(widths[:-1])
    steps = length
    for p in POOLS:
        steps //= p
    return sum(2 * i * o * k for i, o, k in zip(cins, widths, KERNELS)) + 2 * widths[-1] * steps * classes
