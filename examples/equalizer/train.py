"""Train the biLSTM + Conv1d equalizer and export it to ONNX (needs torch: pip install torch).

    python train.py            # writes equalizer.onnx and testset.npz next to this file

1. Sweep the launch power and pick the one where the best linear equalizer (least-squares
   widely-linear FIR over the 11-symbol window) has the lowest BER: the optimum launch power
   of a linear receiver.
2. Check that a non-linear penalty is left at that power (the noise-free link is not perfect
   and the linear equalizer does not beat plain hard decisions by much).
3. Train the network with Adam / MSE on 2^16 symbols at that power (seeded), keep the epoch
   with the best validation MSE, export equalizer.onnx and save testset.npz (4,000 windows
   from an independent seed).
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
POWERS_DBM = np.arange(-6.0, 1.0, 1.0)
TRAIN_SEED, VALID_SEED, TEST_SEED, SWEEP_SEED = 1, 2, 3, 4
N_TRAIN, N_VALID, N_TEST = 2**16, 2**13, 4000
EPOCHS = 40
BATCH = 256


class Equalizer(nn.Module):
    """biLSTM(2 -> 8 per direction) over the window, Conv1d(16 -> 6, k=3), ReLU, Linear(54 -> 2)."""

    def __init__(self, steps: int = 2 * dataset.M + 1, hidden: int = 8, channels: int = 6, kernel: int = 3):
        super().__init__()
        self.lstm = nn.LSTM(2, hidden, batch_first=True, bidirectional=True)
        self.conv = nn.Conv1d(2 * hidden, channels, kernel)
        self.act = nn.ReLU()
        self.out = nn.Linear(channels * (steps - kernel + 1), 2)

    def forward(self, x):  # x: [batch, steps, 2]
        y, _ = self.lstm(x)  # [batch, steps, 16]
        y = self.act(self.conv(y.transpose(1, 2)))  # [batch, 6, steps - 2]
        return self.out(torch.flatten(y, 1))  # [batch, 2]


def linear_sweep() -> tuple[float, list[dict]]:
    """BER of no equalisation and of the linear equalizer per launch power; the best power."""
    rows = []
    for power in POWERS_DBM:
        tx, rx = channel.simulate(2**14, float(power), SWEEP_SEED)
        half = len(tx) // 2
        x = dataset.windows(rx)
        linear = dataset.linear_equalizer(x[:half], dataset.targets(tx[:half]))
        rows.append({
            "launch_power_dbm": float(power),
            "ber_no_eq": dataset.ber(tx[half:], rx[half:]),
            "ber_linear": dataset.ber(tx[half:], linear(x[half:])),
        })
        print(f"  {power:+.0f} dBm: BER no eq {rows[-1]['ber_no_eq']:.2e}, linear {rows[-1]['ber_linear']:.2e}")
    best = min(rows, key=lambda r: (r["ber_linear"], abs(r["launch_power_dbm"])))
    return best["launch_power_dbm"], rows


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    start = time.time()
    print("launch power sweep (linear equalizer):")
    power, sweep = linear_sweep()
    print(f"optimum launch power for a linear receiver: {power:+.0f} dBm")

    tx_clean, rx_clean = channel.simulate(2**14, power, SWEEP_SEED, noise=False)
    print(f"noise-free link at {power:+.0f} dBm: SNR {10 * np.log10(1 / np.mean(np.abs(rx_clean - tx_clean) ** 2)):.1f} dB "
          "(infinite for a linear channel): a non-linear penalty remains")

    tx, rx = channel.simulate(N_TRAIN, power, TRAIN_SEED)
    tx_v, rx_v = channel.simulate(N_VALID, power, VALID_SEED)
    x_train, y_train = torch.from_numpy(dataset.windows(rx)), torch.from_numpy(dataset.targets(tx))
    x_valid, y_valid = torch.from_numpy(dataset.windows(rx_v)), torch.from_numpy(dataset.targets(tx_v))

    model = Equalizer()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, EPOCHS)
    loss_fn = nn.MSELoss()
    best, best_state = float("inf"), None
    generator = torch.Generator().manual_seed(0)
    for epoch in range(EPOCHS):
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
            estimate = model(x_valid)
            valid = loss_fn(estimate, y_valid).item()
        if valid < best:
            best, best_state = valid, {k: v.clone() for k, v in model.state_dict().items()}
        if epoch % 5 == 4 or epoch == EPOCHS - 1:
            print(f"  epoch {epoch + 1}: valid MSE {valid:.5f} (SNR {-10 * np.log10(valid * 2):.2f} dB), "
                  f"BER {dataset.ber(tx_v, estimate.numpy()):.2e} (no eq {dataset.ber(tx_v, rx_v):.2e})")
    model.load_state_dict(best_state)
    model.eval()

    # Test set: an independent seed; 4,000 windows of a periodic 4,000-symbol block.
    tx_t, rx_t = channel.simulate(N_TEST, power, TEST_SEED)
    x_test = dataset.windows(rx_t)
    np.savez(HERE / "testset.npz", x=x_test, tx=tx_t.astype(np.complex64), rx=rx_t.astype(np.complex64),
             launch_power_dbm=np.float32(power), seed=np.int32(TEST_SEED))
    with torch.no_grad():
        y_test = model(torch.from_numpy(x_test)).numpy()
    summary = {
        "launch_power_dbm": power,
        "sweep": sweep,
        "test_ber_no_eq": dataset.ber(tx_t, rx_t),
        "test_ber_nn": dataset.ber(tx_t, y_test),
        "valid_mse": best,
        "seconds": round(time.time() - start, 1),
    }
    print(json.dumps(summary, indent=1))

    torch.onnx.export(
        model, (torch.from_numpy(x_test[:8]),), str(HERE / "equalizer.onnx"), dynamo=False,
        do_constant_folding=False, opset_version=17, input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
    )
    print(f"wrote {HERE / 'equalizer.onnx'} ({(HERE / 'equalizer.onnx').stat().st_size} bytes) and testset.npz")


if __name__ == "__main__":
    main()
