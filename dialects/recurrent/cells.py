"""The float cell equations of the `recurrent` ops, vectorized over the batch.

Gate blocks are stacked along the first weight axis in the dialect's order: LSTM
(i, f, g, o), GRU (z, r, n). ``x`` is ``[batch, T, inputs]``, the states ``[batch, H]``;
the result is every step's hidden state ``[batch, T, H]`` in time order (a reverse layer
walks t = T-1 ... 0 and writes step t's output at t). A ``clip`` bounds every gate
pre-activation to [-clip, clip] before its activation.
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _clipped(z: np.ndarray, clip: float | None) -> np.ndarray:
    return z if clip is None else np.clip(z, -clip, clip)


def note(trace: dict | None, name: str, values: np.ndarray) -> None:
    """Widen ``trace[name]`` (a (min, max) pair) to cover ``values`` (no-op without a trace)."""
    if trace is None or not values.size:
        return
    lo, hi = float(values.min()), float(values.max())
    old = trace.get(name, (lo, hi))
    trace[name] = (min(old[0], lo), max(old[1], hi))


def steps(length: int, reverse: bool) -> range:
    """The time steps in processing order."""
    return range(length - 1, -1, -1) if reverse else range(length)


def lstm_sequence(x, w, r, wb, rb, h0, c0, *, reverse: bool = False, clip: float | None = None,
                  trace: dict | None = None) -> np.ndarray:
    """The LSTM over a batch of sequences: i, f, o = sigmoid, g = tanh of their
    pre-activations ``x W^T + wb + h R^T + rb``; ``c' = f c + i g``, ``h' = o tanh(c')``.
    ``trace`` collects the ranges of the pre-activations ("gates") and of c ("cell")."""
    batch, length, _ = x.shape
    hidden = r.shape[1]
    h = np.broadcast_to(h0, (batch, hidden)).astype(np.float64)
    c = np.broadcast_to(c0, (batch, hidden)).astype(np.float64)
    note(trace, "cell", c)
    xw = x @ w.T + wb
    out = np.empty((batch, length, hidden))
    for t in steps(length, reverse):
        z = _clipped(xw[:, t] + h @ r.T + rb, clip)
        note(trace, "gates", z)
        i, f, g, o = (z[:, k * hidden : (k + 1) * hidden] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        note(trace, "cell", c)
        h = sigmoid(o) * np.tanh(c)
        out[:, t] = h
    return out


def gru_sequence(x, w, r, wb, rb, h0, *, linear_before_reset: bool, reverse: bool = False,
                 clip: float | None = None, trace: dict | None = None) -> np.ndarray:
    """The GRU over a batch of sequences: z, r = sigmoid, n = tanh;
    reset before the product (``linear_before_reset`` false): n's pre-activation is
    ``x Wn^T + wbn + (r h) Rn^T + rbn``, after: ``x Wn^T + wbn + r (h Rn^T + rbn)``;
    ``h' = (1 - z) n + z h``. ``trace`` collects the ranges of the pre-activations ("gates")."""
    batch, length, _ = x.shape
    hidden = r.shape[1]
    h = np.broadcast_to(h0, (batch, hidden)).astype(np.float64)
    xw = x @ w.T + wb
    out = np.empty((batch, length, hidden))
    for t in steps(length, reverse):
        hr = h @ r[: 2 * hidden].T + rb[: 2 * hidden]
        zr = _clipped(xw[:, t, : 2 * hidden] + hr, clip)
        note(trace, "gates", zr)
        z, rg = sigmoid(zr[:, :hidden]), sigmoid(zr[:, hidden:])
        if linear_before_reset:
            recurrent = rg * (h @ r[2 * hidden :].T + rb[2 * hidden :])
        else:
            recurrent = (rg * h) @ r[2 * hidden :].T + rb[2 * hidden :]
        n_pre = _clipped(xw[:, t, 2 * hidden :] + recurrent, clip)
        note(trace, "gates", n_pre)
        n = np.tanh(n_pre)
        h = (1.0 - z) * n + z * h
        out[:, t] = h
    return out
