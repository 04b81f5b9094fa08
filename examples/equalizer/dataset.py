"""Windows of received symbols for the equalizer, hard decisions, BER and Q-factor.

An equalizer sees the 2m+1 received symbols around the one it estimates, as a sequence of
2m+1 steps with two features (I and Q): input [N, 2m+1, 2]; the target is the transmitted
centre symbol's I and Q: [N, 2]. Windows wrap around the ends (the simulated signal is
periodic, see channel.py).
"""

from __future__ import annotations

import math

import numpy as np

from channel import constellation

M = 5  # neighbours on each side: windows of 2 * M + 1 = 11 symbols


def windows(rx: np.ndarray, m: int = M, centres: np.ndarray | None = None) -> np.ndarray:
    """[N, 2m+1, 2] float32 windows of ``rx`` (complex) centred on ``centres`` (default: all)."""
    centres = np.arange(len(rx)) if centres is None else np.asarray(centres)
    index = centres[:, None] + np.arange(-m, m + 1)[None, :]
    taken = np.take(rx, index, mode="wrap")
    return np.stack([taken.real, taken.imag], axis=-1).astype(np.float32)


def targets(tx: np.ndarray) -> np.ndarray:
    """[N, 2] float32 I/Q of the transmitted symbols."""
    return np.stack([tx.real, tx.imag], axis=-1).astype(np.float32)


def to_complex(iq: np.ndarray) -> np.ndarray:
    """[N, 2] I/Q -> complex [N]."""
    iq = np.asarray(iq)
    return iq[..., 0] + 1j * iq[..., 1]


def decide(symbols: np.ndarray, order: int = 16) -> np.ndarray:
    """Index of the nearest constellation point for each complex symbol (hard decision)."""
    points, _ = constellation(order)
    return np.argmin(np.abs(np.asarray(symbols)[:, None] - points[None, :]), axis=1)


def bit_errors(tx: np.ndarray, estimate: np.ndarray, order: int = 16) -> tuple[int, int]:
    """(wrong bits, bits) of the hard decisions on ``estimate`` against ``tx``, Gray labels."""
    _, labels = constellation(order)
    wrong = labels[decide(tx, order)] != labels[decide(estimate, order)]
    return int(wrong.sum()), int(wrong.size)


def ber(tx: np.ndarray, decided: np.ndarray, order: int = 16) -> float:
    """Bit error rate of the hard decisions on ``decided`` (complex, or [N, 2] I/Q) vs ``tx``."""
    tx = to_complex(tx) if np.asarray(tx).ndim == 2 else np.asarray(tx)
    decided = to_complex(decided) if np.asarray(decided).ndim == 2 else np.asarray(decided)
    wrong, total = bit_errors(tx, decided, order)
    return wrong / total


def erfcinv(y: float) -> float:
    """Inverse complementary error function for 0 < y < 2 (Newton on math.erfc)."""
    if not 0 < y < 2:
        raise ValueError(f"erfcinv needs 0 < y < 2, got {y}")
    x = 0.0
    for _ in range(100):
        step = (math.erfc(x) - y) / (-2 / math.sqrt(math.pi) * math.exp(-x * x))
        x -= step
        if abs(step) < 1e-14:
            break
    return x


def q_factor(ber_value: float) -> float:
    """Q-factor in dB from the BER: 20 log10(sqrt(2) erfcinv(2 BER)); inf for BER 0."""
    if ber_value <= 0:
        return math.inf
    return 20 * math.log10(math.sqrt(2) * erfcinv(2 * ber_value))


def linear_equalizer(x_train: np.ndarray, y_train: np.ndarray):
    """Least-squares widely-linear FIR over the window (I and Q of every tap, plus a bias).

    Returns ``apply(x) -> [N, 2]``. This is the best linear (affine) function of the window,
    the reference the neural network has to beat.
    """
    def features(x):
        flat = x.reshape(len(x), -1).astype(np.float64)
        return np.concatenate([flat, np.ones((len(x), 1))], axis=1)

    weights, *_ = np.linalg.lstsq(features(x_train), y_train.astype(np.float64), rcond=None)
    return lambda x: features(x) @ weights
