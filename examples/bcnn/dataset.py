"""Complex-valued radio bursts for signal classification, made with numpy (no downloads).

Each example is a short burst of a radio signal as a receiver sees it after down-conversion:
`LENGTH` complex baseband samples, returned as I/Q channels `[2, LENGTH]` (`float32`,
channel 0 = I = real part, channel 1 = Q = imaginary part).

Per burst, independently drawn from the seeded generator:

- the signal (the label), one of `CLASSES`:
  - BPSK: random +-1 symbols, root-raised-cosine pulses (roll-off `ROLLOFF`, `SPS` samples
    per symbol, span 8 symbols), a random timing offset (fraction of a sample) and a random
    start within the symbol stream;
  - 2FSK and 4FSK: continuous-phase frequency-shift keying, a symbol every `FSK_SYMBOL`
    samples at a random start, frequencies +-`FSK_STEP` (2FSK) or +-`FSK_STEP` and
    +-3 `FSK_STEP` (4FSK) cycles per sample;
  - LFM: a linear chirp, start frequency and sweep rate uniform in the ranges of `chirp`,
    up or down;
- a carrier phase uniform in [0, 2 pi) and a frequency offset uniform in +-`MAX_CFO`
  cycles per sample;
- additive white Gaussian noise at an SNR (signal power over noise power, per sample) drawn
  uniformly from `SNR_DB`;
- the burst is scaled to unit RMS power (an automatic gain control) and sampled by an 8-bit
  ADC: I and Q are rounded (half to even) to multiples of `ADC_STEP` = 1/32 and clipped to
  the codes -128 ... 127 (|I|, |Q| stay below 4, about 2 here).

`make(n, seed)` returns `(x [n, 2, LENGTH] float32, y [n] int64 labels, snr_db [n] float32)`;
the same seed gives the same bursts on every machine (numpy's PCG64).
"""

from __future__ import annotations

import numpy as np

CLASSES = ("BPSK", "2FSK", "4FSK", "LFM")
LENGTH = 64  # complex samples per burst
SPS = 2  # samples per symbol
ROLLOFF = 0.35
SPAN = 8  # RRC filter span in symbols
MAX_CFO = 0.01  # cycles per sample
SNR_DB = (10.0, 20.0)
ADC_STEP, ADC_CODES = 1.0 / 32, (-128, 127)  # the 8-bit ADC
FSK_SYMBOL = 4  # samples per FSK symbol
FSK_STEP = 0.0625  # cycles per sample


def rrc(rolloff: float = ROLLOFF, sps: int = SPS, span: int = SPAN, shift: float = 0.0) -> np.ndarray:
    """Root-raised-cosine impulse response sampled at ``(n + shift) / sps`` symbols, unit energy."""
    t = (np.arange(-span * sps // 2, span * sps // 2 + 1) + shift) / sps
    b = rolloff
    h = np.empty_like(t)
    for i, ti in enumerate(t):
        if abs(ti) < 1e-9:
            h[i] = 1.0 - b + 4 * b / np.pi
        elif abs(abs(ti) - 1 / (4 * b)) < 1e-9:
            h[i] = b / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * b)) + (1 - 2 / np.pi) * np.cos(np.pi / (4 * b)))
        else:
            h[i] = (np.sin(np.pi * ti * (1 - b)) + 4 * b * ti * np.cos(np.pi * ti * (1 + b))) / (
                np.pi * ti * (1 - (4 * b * ti) ** 2))
    return h / np.sqrt(np.sum(h ** 2))


def _bpsk(rng: np.random.Generator) -> np.ndarray:
    n_symbols = LENGTH // SPS + SPAN + 2
    upsampled = np.zeros(n_symbols * SPS)
    upsampled[::SPS] = rng.integers(0, 2, n_symbols) * 2.0 - 1.0
    signal = np.convolve(upsampled, rrc(shift=rng.uniform(-0.5, 0.5)), mode="same")
    start = rng.integers(SPAN * SPS // 2, SPAN * SPS // 2 + SPS)
    return signal[start:start + LENGTH].astype(complex)


def _fsk(rng: np.random.Generator, levels: tuple[int, ...]) -> np.ndarray:
    tones = np.asarray([s * level for s in (-1, 1) for level in levels], float) * FSK_STEP
    symbols = tones[rng.integers(0, len(tones), LENGTH // FSK_SYMBOL + 2)]
    frequency = np.repeat(symbols, FSK_SYMBOL)[rng.integers(0, FSK_SYMBOL):][:LENGTH]
    return np.exp(2j * np.pi * np.cumsum(frequency))


def chirp(rng: np.random.Generator) -> np.ndarray:
    """A linear chirp: start frequency uniform in [0, 0.2] cycles per sample, rate uniform in
    [0.003, 0.006] cycles per sample squared, sweeping down from +f0 or up from -f0."""
    n = np.arange(LENGTH)
    f0, rate = rng.uniform(0.0, 0.2), rng.uniform(0.003, 0.006)
    direction = rng.choice([-1.0, 1.0])
    return np.exp(2j * np.pi * direction * (-f0 * n + rate * n * n / 2))


def burst(rng: np.random.Generator, label: int, snr_db: float) -> np.ndarray:
    """One complex burst of ``LENGTH`` samples of signal ``CLASSES[label]``."""
    name = CLASSES[label]
    if name == "BPSK":
        signal = _bpsk(rng)
    elif name == "LFM":
        signal = chirp(rng)
    else:
        signal = _fsk(rng, (1,) if name == "2FSK" else (1, 3))
    n = np.arange(LENGTH)
    signal = signal * np.exp(1j * (rng.uniform(0, 2 * np.pi) + 2 * np.pi * rng.uniform(-MAX_CFO, MAX_CFO) * n))
    signal = signal / np.sqrt(np.mean(np.abs(signal) ** 2))
    noise_power = 10.0 ** (-snr_db / 10.0)
    noise = rng.standard_normal(LENGTH) + 1j * rng.standard_normal(LENGTH)
    received = signal + noise * np.sqrt(noise_power / 2)
    return received / np.sqrt(np.mean(np.abs(received) ** 2))


def make(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` bursts: I/Q ``x [n, 2, LENGTH]`` (float32), labels ``y [n]``, SNRs ``snr_db [n]``."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    snr = rng.uniform(*SNR_DB, n)
    bursts = np.stack([burst(rng, int(k), float(s)) for k, s in zip(labels, snr)])
    x = np.stack([bursts.real, bursts.imag], axis=1)
    x = (np.clip(np.round(x / ADC_STEP), *ADC_CODES) * ADC_STEP).astype(np.float32)  # the ADC's codes
    return x, labels.astype(np.int64), snr.astype(np.float32)
