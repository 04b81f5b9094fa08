"""Train the biLSTM + Conv1d equalizer and export it to ONNX (needs torch: pip install torch).

    python train.py            # writes equalizer.onnx and testset.npz next to this file

1. Sweep the launch power (-7 to -2 dBm in 1 dB steps): BER without equalization and with
   the least-squares linear equalizer (widely-linear FIR over the same 11-symbol window) on
   an independent validation simulation at each power; at -5, -4 and -3 dBm (around and
   above the optimum of a linear receiver, where the NN's optimum lies) also train the
   network (step 2) and measure its validation BER.
2. Training: 2^17 symbols at that power, Adam with a cosine schedule, seeded, one thread;
   the epoch with the lowest validation BER is kept.
3. The launch power used from then on is the one where the network has the lowest
   validation BER (the optimum launch power of the NN receiver); its model is exported to
   equalizer.onnx and testset.npz is written: 2^16 test symbols at that power from an
   independent seed (transmitted and received symbols; windows of the first 4,000 for the
   unit test).

The loss is decision-aware. Mean-square error alone lets a network of this size learn to
snap its outputs onto the constellation points: the MSE keeps falling while the bit errors
stop improving (or rise again). Here each output axis (I, Q) is instead scored like a
4-level classifier: logits -(y - level)^2 / (2 sigma^2) for the four levels, cross-entropy
against the transmitted level (times sigma^2), plus a small MSE term that keeps the outputs
near the points (so the hardware sees a bounded range). The network's output is still the
symbol estimate [I, Q] decided by the nearest constellation point.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import channel
import dataset

HERE = Path(__file__).resolve().parent
POWERS_DBM = (-7.0, -6.0, -5.0, -4.0, -3.0, -2.0)
NN_POWERS_DBM = (-5.0, -4.0, -3.0)
TRAIN_SEED, VALID_SEED, TEST_SEED = 1, 2, 3
N_TRAIN, N_VALID, N_TEST = 2**17, 2**16, 2**16
TEST_WINDOWS_STORED = 4000
EPOCHS = 40
BATCH = 256
HIDDEN = 16
SIGMA = 0.1  # width of the Gaussian decision likelihood in the loss
MSE_WEIGHT = 0.1
LEVELS = torch.tensor([-3.0, -1.0, 1.0, 3.0]) / np.sqrt(10.0)  # 16-QAM levels per axis (unit energy)


class Equalizer(nn.Module):
    """biLSTM(2 -> 16 per direction) over the window, Conv1d(32 -> 6, k=3), ReLU, Linear(54 -> 2)."""

    def __init__(self, steps: int = 2 * dataset.M + 1, hidden: int = HIDDEN, channels: int = 6, kernel: int = 3):
        super().__init__()
        self.lstm = nn.LSTM(2, hidden, batch_first=True, bidirectional=True)
        self.conv = nn.Conv1d(2 * hidden, channels, kernel)
        self.act = nn.ReLU()
        self.out = nn.Linear(channels * (steps - kernel + 1), 2)

    def forward(self, x):  # x: [batch, steps, 2]
        y, _ = self.lstm(x)  # [batch, steps, 2 * hidden]
        y = self.act(self.conv(y.transpose(1, 2)))  # [batch, channels, steps - 2]
        return self.out(torch.flatten(y, 1))  # [batch, 2]


def loss_fn(estimate: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-axis 4-level cross-entropy under a Gaussian likelihood, plus MSE_WEIGHT x MSE."""
    label = torch.argmin((target[..., None] - LEVELS).abs(), dim=-1).reshape(-1)
    logits = (-(estimate[..., None] - LEVELS) ** 2 / (2 * SIGMA**2)).reshape(-1, len(LEVELS))
    mse = ((estimate - target) ** 2).mean()
    return nn.functional.cross_entropy(logits, label) * SIGMA**2 + MSE_WEIGHT * mse


def train(x_train, y_train, x_valid, tx_valid, epochs: int, log: bool = False) -> tuple[nn.Module, float]:
    """Adam + cosine schedule, seeded; returns the model at the epoch with the lowest validation BER."""
    torch.manual_seed(0)
    model = Equalizer()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs)
    generator = torch.Generator().manual_seed(0)
    best, best_state = float("inf"), None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        for i in range(0, len(order), BATCH):
            batch = order[i:i + BATCH]
            optimiser.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
        schedule.step()
        model.eval()
        with torch.no_grad():
            valid_ber = dataset.ber(tx_valid, model(x_valid).numpy())
        if valid_ber < best:
            best, best_state = valid_ber, {k: v.clone() for k, v in model.state_dict().items()}
        if log and (epoch % 5 == 4 or epoch == epochs - 1):
            print(f"  epoch {epoch + 1}: validation BER {valid_ber:.3e} (best {best:.3e})", flush=True)
    model.load_state_dict(best_state)
    model.eval()
    return model, best


def data(n: int, power: float, seed: int):
    tx, rx = channel.simulate(n, power, seed)
    return tx, rx, torch.from_numpy(dataset.windows(rx)), torch.from_numpy(dataset.targets(tx))


def power_sweep() -> tuple[float, nn.Module, list[dict]]:
    """Validation BER per launch power: no equalization, linear, and (at NN_POWERS_DBM) the
    trained network; returns the power where the network is best, its model, and the rows."""
    rows, models = [], {}
    for power in POWERS_DBM:
        tx_v, rx_v, x_valid, _ = data(N_VALID, power, VALID_SEED)
        _, _, x_train, y_train = data(N_TRAIN, power, TRAIN_SEED)
        linear = dataset.linear_equalizer(x_train.numpy(), y_train.numpy())
        row = {"launch_power_dbm": power, "ber_no_eq": dataset.ber(tx_v, rx_v),
               "ber_linear": dataset.ber(tx_v, linear(x_valid.numpy()))}
        if power in NN_POWERS_DBM:
            print(f"  training at {power:+.1f} dBm ({N_TRAIN} symbols, {EPOCHS} epochs):", flush=True)
            models[power], row["ber_nn"] = train(x_train, y_train, x_valid, tx_v, EPOCHS, log=True)
        for key in [k for k in row if k.startswith("ber")]:
            row[key.replace("ber", "q_db")] = round(dataset.q_factor(row[key]), 2)
        rows.append(row)
        print(f"  {power:+.1f} dBm: BER no eq {row['ber_no_eq']:.2e} (Q {row['q_db_no_eq']:.2f} dB), "
              f"linear {row['ber_linear']:.2e} ({row['q_db_linear']:.2f} dB)"
              + (f", NN {row['ber_nn']:.2e} ({row['q_db_nn']:.2f} dB)" if "ber_nn" in row else ""), flush=True)
    best = min((r for r in rows if "ber_nn" in r), key=lambda r: r["ber_nn"])
    return best["launch_power_dbm"], models[best["launch_power_dbm"]], rows


def main() -> None:
    torch.set_num_threads(1)
    start = time.time()
    print(f"launch power sweep (BER on {N_VALID} validation symbols):", flush=True)
    power, model, sweep = power_sweep()
    print(f"optimum launch power of the NN receiver: {power:+.1f} dBm")

    tx_clean, rx_clean = channel.simulate(2**14, power, VALID_SEED, noise=False)
    clean_snr = 10 * np.log10(1 / np.mean(np.abs(rx_clean - tx_clean) ** 2))
    print(f"noise-free link at {power:+.1f} dBm: SNR {clean_snr:.1f} dB (infinite for a linear channel): "
          "the non-linear distortion left after dispersion compensation")

    # Test set: an independent seed, stored as complex64 (run.py rebuilds the windows from rx).
    tx_t, rx_t = channel.simulate(N_TEST, power, TEST_SEED)
    tx_t, rx_t = tx_t.astype(np.complex64), rx_t.astype(np.complex64)
    x_test = dataset.windows(rx_t.astype(complex))
    np.savez_compressed(HERE / "testset.npz", tx=tx_t, rx=rx_t, x=x_test[:TEST_WINDOWS_STORED],
                        launch_power_dbm=np.float32(power), seed=np.int32(TEST_SEED))
    with torch.no_grad():
        y_test = model(torch.from_numpy(x_test)).numpy()
    summary = {
        "launch_power_dbm": power,
        "noise_free_snr_db": round(float(clean_snr), 2),
        "sweep": sweep,
        "test_ber_no_eq": dataset.ber(tx_t, rx_t),
        "test_ber_nn": dataset.ber(tx_t, y_test),
        "seconds": round(time.time() - start, 1),
    }
    print(json.dumps(summary, indent=1))

    torch.onnx.export(
        model, (torch.from_numpy(x_test[:8]),), str(HERE / "equalizer.onnx"), dynamo=False,
        do_constant_folding=False, opset_version=17, input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    print(f"wrote equalizer.onnx ({(HERE / 'equalizer.onnx').stat().st_size} bytes) and testset.npz "
          f"({(HERE / 'testset.npz').stat().st_size} bytes)")


if __name__ == "__main__":
    main()
