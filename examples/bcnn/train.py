"""Train the example's binarized complex CNN on numpy-made radio bursts, prune it 20x by whole
complex filters (retraining with distillation from the unpruned network after each stage),
and export both networks to ONNX (needs torch and onnx; not nncc).

    python train.py [--threads 1] [--out DIR]

Writes, next to this script (or into `--out DIR`):

- `bcnn.onnx`, `bcnn_pruned.onnx`: the unpruned and the 20x-pruned network, +-1 weights as
  constants, activations binarized with `torch.sign` (ONNX Sign); input `[batch, 2, 64]`
  (I/Q), output `[batch, 4]` (class scores);
- `bcnn_where.onnx`, `bcnn_pruned_where.onnx`: the same networks with the activations written
  `torch.where(x >= 0, 1, -1)` (sign(0) = +1, the BCNN convention);
- `latent.npz`: the latent float weights of the unpruned network (`conv{i}_re`, `conv{i}_im`,
  `fc`) and the filters the pruning kept (`keep{i}`), for ranking by group norm elsewhere;
- `testset.npz`: the test bursts `x`, labels `y` and SNRs `snr_db` (seed `TEST_SEED`), and the
  float accuracies measured here.

Seeded (torch and numpy); with the same torch version and thread count a rerun reproduces the
models.
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch.nn import functional as F

import dataset
from model import Bcnn, parameters

HERE = Path(__file__).resolve().parent
TRAIN_SEED, VAL_SEED, TEST_SEED = 1, 2, 3
N_TRAIN, N_VAL, N_TEST = 20_000, 2_000, 2_000
WIDTHS = (48, 48, 48)
# complex filters kept per convolution after each pruning stage (the last is the pruned model)
PRUNE_STAGES = ((24, 24, 24), (16, 16, 16), (10, 10, 10))
EPOCHS, RETRAIN_EPOCHS = 12, 12
KD_WEIGHT, KD_T = 0.7, 2.0  # retraining: distillation from the unpruned network (weight, temperature)
BATCH = 128
LR = 3e-3


def batches(x, y, rng):
    order = rng.permutation(len(x))
    for i in range(0, len(x), BATCH):
        idx = order[i:i + BATCH]
        yield torch.from_numpy(x[idx]), torch.from_numpy(y[idx])


def accuracy(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(1).numpy()
    return float((pred == y).mean())


def loss_of(model, xb, yb, teacher=None):
    """Cross-entropy on the integer class scores times 4/sqrt(n); with a ``teacher`` (the
    unpruned network) mixed with distillation: KL divergence to its softened scores."""
    logits = model(xb) * (4.0 / np.sqrt(model.fc.in_features))  # binary logits are integers in [-n, n]
    loss = F.cross_entropy(logits, yb)
    if teacher is None:
        return loss
    with torch.no_grad():
        soft = F.softmax(teacher(xb) * (4.0 / np.sqrt(teacher.fc.in_features)) / KD_T, 1)
    kd = F.kl_div(F.log_softmax(logits / KD_T, 1), soft, reduction="batchmean") * KD_T ** 2
    return (1 - KD_WEIGHT) * loss + KD_WEIGHT * kd


def train(model, data, epochs: int, seed: int, label: str, teacher=None):
    """Adam with a cosine schedule; keeps the epoch with the best validation accuracy."""
    (x, y), (xv, yv) = data
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    best, state = -1.0, None
    for epoch in range(epochs):
        model.train()
        for xb, yb in batches(x, y, rng):
            loss = loss_of(model, xb, yb, teacher)
            opt.zero_grad()
            loss.backward()
            opt.step()
            model.clip_latent()
        sched.step()
        acc = accuracy(model, xv, yv)
        if acc > best:
            best, state = acc, {k: v.clone() for k, v in model.state_dict().items()}
        print(f"{label} epoch {epoch + 1}/{epochs}: validation accuracy {acc:.4f}", flush=True)
    model.load_state_dict(state)
    return best


def prune(model, widths) -> None:
    """Keep the ``widths[i]`` filters of convolution i with the largest group norm
    ‖A_f‖² + ‖B_f‖² among those still kept (Re and Im planes together)."""
    with torch.no_grad():
        for i, w in enumerate(widths):
            norms = model.group_norms(i)
            norms[model.masks[i, :model.widths[i]] == 0] = -1.0
            keep = torch.argsort(norms, descending=True)[:w]
            model.masks[i].zero_()
            model.masks[i, keep] = 1.0


def export(model, path: Path, form: str, x: np.ndarray) -> None:
    """ONNX (TorchScript exporter, opset 17, dynamic batch), checked against torch on ``x``."""
    net = model.export_module(form)
    xt = torch.from_numpy(x)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (xt[:1],), buffer, dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())
    import onnxruntime as ort

    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    with torch.no_grad():
        want = net(xt).numpy()
    assert np.abs(got - want).max() <= 1e-4, np.abs(got - want).max()
    print(f"{path.name}: {path.stat().st_size} bytes, ops {sorted({n.op_type for n in proto.graph.node})}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the outputs (default: this one)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    start = time.time()
    data = (dataset.make(N_TRAIN, TRAIN_SEED)[:2], dataset.make(N_VAL, VAL_SEED)[:2])
    xt, yt, snr = dataset.make(N_TEST, TEST_SEED)
    print(f"data: {time.time() - start:.1f} s", flush=True)

    model = Bcnn(WIDTHS, classes=len(dataset.CLASSES))
    train(model, data, EPOCHS, 10, "unpruned")
    teacher = copy.deepcopy(model).eval()
    full = model.export_module("sign")
    results = {"unpruned": {"widths": WIDTHS, "parameters": parameters(WIDTHS),
                            "float_accuracy": accuracy(full, xt, yt)}}
    latent = {f"conv{i}_{p}": getattr(c, p).weight.detach().numpy().copy()
              for i, c in enumerate(model.convs) for p in ("re", "im")}
    latent["fc"] = model.fc.weight.detach().numpy().copy()
    export(model, args.out / "bcnn.onnx", "sign", xt[:256])
    export(model, args.out / "bcnn_where.onnx", "where", xt[:256])

    for stage, widths in enumerate(PRUNE_STAGES):
        prune(model, widths)
        train(model, data, RETRAIN_EPOCHS, 20 + stage, f"pruned {widths}", teacher)
    pruned = model.export_module("sign")
    final = PRUNE_STAGES[-1]
    results["pruned"] = {"widths": final, "parameters": parameters(final),
                         "float_accuracy": accuracy(pruned, xt, yt)}
    results["parameter_reduction"] = parameters(WIDTHS) / parameters(final)
    for i in range(len(WIDTHS)):
        latent[f"keep{i}"] = torch.nonzero(model.masks[i, :WIDTHS[i]]).flatten().numpy()
    export(model, args.out / "bcnn_pruned.onnx", "sign", xt[:256])
    export(model, args.out / "bcnn_pruned_where.onnx", "where", xt[:256])
    np.savez_compressed(args.out / "latent.npz", **latent)
    np.savez_compressed(args.out / "testset.npz", x=xt, y=yt, snr_db=snr, seed=TEST_SEED,
                        float_accuracy=json.dumps(results))
    results["seconds"] = round(time.time() - start, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
