"""The four benchmark models of bench_hls4ml.py, built with PyTorch and exported to ONNX."""

from __future__ import annotations

import os
import warnings

OPSET = 13
"""The ONNX opset both tools read (``torch.onnx.export(..., dynamo=False)``)."""
MODELS = ("jet_mlp", "cnn_small", "mlp_784", "mlp_1m")


def build_models(names, folder: str, samples: int, seed: int) -> dict:
    """Build the torch models, export ONNX, make inputs; returns {name: info}."""
    import numpy as np
    import torch
    from torch import nn

    def he_uniform(model, seed):
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, (nn.Linear, nn.Conv2d)):
                    fan_in = m.weight[0].numel()
                    bound = (6.0 / fan_in) ** 0.5  # He uniform (kaiming_uniform, gain sqrt(2))
                    m.weight.uniform_(-bound, bound, generator=g)
                    m.bias.uniform_(-fan_in ** -0.5, fan_in ** -0.5, generator=g)
        return model.eval()

    def mlp(dims, softmax):
        layers = []
        for i, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(dims) - 2:
                layers.append(nn.ReLU())
        if softmax:
            layers.append(nn.Softmax(dim=1))
        return nn.Sequential(*layers)

    specs = {
        "jet_mlp": (lambda: mlp([16, 64, 32, 32, 5], True), (16,), "16->64->32->32->5 + softmax"),
        "cnn_small": (
            lambda: nn.Sequential(
                nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                nn.Flatten(), nn.Linear(16 * 5 * 5, 10),
            ),
            (1, 16, 16),
            "1x16x16: conv3x3(8, valid)+relu+maxpool2+conv3x3(16, valid)+relu+flatten+dense10",
        ),
        "mlp_784": (lambda: mlp([784, 512, 512, 10], False), (784,), "784->512->512->10, ReLU"),
        "mlp_1m": (lambda: mlp([784, 1024, 256, 10], False), (784,), "784->1024->256->10, ReLU"),
    }
    import onnxruntime as ort

    out = {}
    for name in names:
        make, shape, desc = specs[name]
        model = he_uniform(make(), seed + MODELS.index(name))
        path = os.path.join(folder, f"{name}.onnx")
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter is asked for on purpose
            torch.onnx.export(
                model, torch.zeros((1,) + shape), path, dynamo=False, opset_version=OPSET,
                input_names=["input"], output_names=["output"],
                dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
            )
        x = np.random.default_rng(seed + 1000 + MODELS.index(name)).standard_normal((samples,) + shape).astype(np.float32)
        xpath = os.path.join(folder, f"{name}_x.npy")
        np.save(xpath, x)
        ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
        with torch.no_grad():
            tref = model(torch.from_numpy(x)).numpy()
        out[name] = {
            "path": path, "inputs": xpath, "ref": ref.reshape(len(x), -1).astype(np.float64),
            "params": int(sum(p.numel() for p in model.parameters())), "description": desc,
            "input_shape": ["N", *shape], "onnx_bytes": os.path.getsize(path),
            "ort_vs_torch_max_abs": float(abs(ref - tref).max()),
        }
    return out
