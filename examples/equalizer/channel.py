"""A single-channel, single-polarization optical fibre link, simulated with numpy.

Transmitter: Gray-mapped 16-QAM (or QPSK) symbols at 32 GBd, root-raised-cosine pulses at
2 samples per symbol. Link: ``n_spans`` spans of non-zero dispersion-shifted fibre (ITU-T
G.655, large-effective-area type: D = 4 ps/nm/km, gamma = 1.5 /W/km), each followed by an
ideal EDFA that restores the launch power and adds amplified spontaneous emission (ASE)
noise. The fibre is the scalar non-linear Schroedinger equation

    dA/dz = -alpha/2 A - i beta2/2 d^2A/dt^2 + i gamma |A|^2 A

solved with the symmetric split-step Fourier method (half a linear step, a non-linear step,
half a linear step; consecutive half steps are merged). Receiver: matched RRC filter,
chromatic dispersion compensated in the frequency domain (the inverse of the accumulated
linear phase), downsampling to 1 sample per symbol, and a data-aided complex scale
normalisation (one least-squares complex gain, which removes the mean non-linear phase
rotation and the amplitude scale). What remains is ASE noise plus the non-linear distortion
that a linear receiver cannot undo.

All signals are periodic (filters are applied in the frequency domain), so the first and
last symbols are as good as any other. Everything is deterministic for a given seed.

    tx, rx = simulate(2**14, launch_power_dbm=-4.0, seed=0)
"""

from __future__ import annotations

import numpy as np

# Physical constants and fibre parameters (SI units).
PLANCK = 6.62607015e-34  # J s
LIGHT = 299_792_458.0  # m/s
WAVELENGTH = 1550e-9  # m
ALPHA_DB_PER_KM = 0.2
DISPERSION = 4.0  # ps / (nm km); G.655 NZ-DSF (standard single-mode fibre: 17)
GAMMA = 1.5  # 1 / (W km); effective area about 72 um^2 (standard single-mode fibre: 1.3)
NOISE_FIGURE_DB = 5.0

SYMBOL_RATE = 32e9  # Bd
SPS = 2  # samples per symbol
ROLL_OFF = 0.1
SPAN_KM = 80.0
N_SPANS = 20
STEPS_PER_SPAN = 20


def alpha_per_m() -> float:
    """Power attenuation coefficient in 1/m (0.2 dB/km -> 4.6e-5 /m)."""
    return ALPHA_DB_PER_KM / (10 * np.log10(np.e)) / 1e3


def beta2() -> float:
    """Group-velocity dispersion in s^2/m from D (4 ps/nm/km -> about -5.1 ps^2/km)."""
    d_si = DISPERSION * 1e-12 / (1e-9 * 1e3)  # s / m^2
    return -d_si * WAVELENGTH**2 / (2 * np.pi * LIGHT)


# ---------------------------------------------------------------------------------- symbols
def constellation(order: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Unit-energy square QAM points and their Gray-coded bit labels (shape [order, bits]).

    Each axis carries half of the bits with a Gray code over the levels -(L-1) .. L-1, so
    neighbouring points (horizontally or vertically) differ in one bit. Point k has the
    label ``bits[k]``; k = i_index * L + q_index.
    """
    levels = int(round(np.sqrt(order)))
    if levels * levels != order or levels < 2:
        raise ValueError(f"order must be a square number (4, 16, 64, ...), got {order}")
    half = int(np.log2(levels))
    amplitudes = np.arange(-(levels - 1), levels, 2, dtype=float)
    gray = np.arange(levels) ^ (np.arange(levels) >> 1)
    axis_bits = (gray[:, None] >> np.arange(half - 1, -1, -1)) & 1  # [levels, half]
    i_idx, q_idx = np.meshgrid(np.arange(levels), np.arange(levels), indexing="ij")
    points = (amplitudes[i_idx] + 1j * amplitudes[q_idx]).ravel()
    bits = np.concatenate([axis_bits[i_idx.ravel()], axis_bits[q_idx.ravel()]], axis=1)
    points = points / np.sqrt(np.mean(np.abs(points) ** 2))
    return points, bits.astype(np.uint8)


def rrc_response(n_samples: int, sample_rate: float, symbol_rate: float, roll_off: float) -> np.ndarray:
    """Frequency response of a root-raised-cosine filter on the FFT grid (real, zero phase)."""
    f = np.abs(np.fft.fftfreq(n_samples, d=1 / sample_rate))
    f1 = (1 - roll_off) * symbol_rate / 2
    f2 = (1 + roll_off) * symbol_rate / 2
    h = np.zeros(n_samples)
    h[f <= f1] = 1.0
    edge = (f > f1) & (f <= f2)
    h[edge] = np.sqrt(0.5 * (1 + np.cos(np.pi / (roll_off * symbol_rate) * (f[edge] - f1))))
    return h


# ------------------------------------------------------------------------------------ fibre
def fibre_span(
    field: np.ndarray, omega: np.ndarray, length_m: float, steps: int, gamma_per_w_m: float
) -> np.ndarray:
    """Propagate ``field`` (sqrt(W)) over one span with the symmetric split-step method."""
    dz = length_m / steps
    linear = (-alpha_per_m() / 2 + 0.5j * beta2() * omega**2)
    half = np.exp(linear * dz / 2)
    full = half * half
    spectrum = np.fft.fft(field) * half
    for step in range(steps):
        field = np.fft.ifft(spectrum)
        if gamma_per_w_m:
            field = field * np.exp(1j * gamma_per_w_m * np.abs(field) ** 2 * dz)
        spectrum = np.fft.fft(field) * (half if step == steps - 1 else full)
    return np.fft.ifft(spectrum)


def simulate(
    n_symbols: int,
    launch_power_dbm: float,
    seed: int,
    *,
    order: int = 16,
    n_spans: int = N_SPANS,
    span_km: float = SPAN_KM,
    steps_per_span: int = STEPS_PER_SPAN,
    noise: bool = True,
    nonlinear: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Transmit ``n_symbols`` random symbols over the link; return (tx, rx) complex symbols.

    ``tx`` are the unit-energy constellation points sent, ``rx`` the received symbols after
    matched filtering, dispersion compensation, downsampling and complex scale
    normalisation (rx ~ tx for a perfect link). ``noise=False`` drops the ASE noise and
    ``nonlinear=False`` sets gamma to zero (then rx equals tx up to rounding).
    """
    rng = np.random.default_rng(seed)
    points, _ = constellation(order)
    tx = points[rng.integers(0, order, n_symbols)]

    n = n_symbols * SPS
    fs = SYMBOL_RATE * SPS
    omega = 2 * np.pi * np.fft.fftfreq(n, d=1 / fs)
    rrc = rrc_response(n, fs, SYMBOL_RATE, ROLL_OFF)

    upsampled = np.zeros(n, complex)
    upsampled[::SPS] = tx
    signal = np.fft.ifft(np.fft.fft(upsampled) * rrc)
    power_w = 1e-3 * 10 ** (launch_power_dbm / 10)
    field = signal * np.sqrt(power_w / np.mean(np.abs(signal) ** 2))

    length = span_km * 1e3
    gain = np.exp(alpha_per_m() * length)  # the EDFA restores the span loss exactly
    nsp = 10 ** (NOISE_FIGURE_DB / 10) / 2  # NF = 2 n_sp for a high-gain amplifier
    photon = PLANCK * LIGHT / WAVELENGTH
    ase_variance = nsp * photon * (gain - 1) * fs  # W over the simulated bandwidth
    gamma = GAMMA / 1e3 if nonlinear else 0.0
    for _ in range(n_spans):
        field = fibre_span(field, omega, length, steps_per_span, gamma) * np.sqrt(gain)
        if noise:
            field = field + np.sqrt(ase_variance / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))

    # Receiver: matched filter and chromatic-dispersion compensation, both in frequency.
    cdc = np.exp(-0.5j * beta2() * omega**2 * length * n_spans)
    received = np.fft.ifft(np.fft.fft(field) * rrc * cdc)[::SPS]
    scale = np.vdot(tx, received) / np.vdot(tx, tx)  # least-squares complex gain
    return tx, received / scale
