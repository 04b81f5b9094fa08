"""Complexity metrics (RMpS, BoP, NABS, NLG): CSD recoding and per-layer counts
checked against closed forms and small hand-worked examples."""

import math
import sys
from functools import cache
from itertools import pairwise

import numpy as np
import pytest

from nncc.compiler.analysis.complexity import (
    ComplexityError,
    LayerSpec,
    csd,
    layer_metrics,
    stage_table,
    totals,
    write_chart,
)


def spec(weights, kind="dense", **kw) -> LayerSpec:
    """A fixed-point layer record with small defaults (b_x = 4, b_w = 5, no bias)."""
    fields = {
        "name": "layer",
        "kind": kind,
        "weights": np.asarray(weights),
        "positions": 1,
        "groups": 1,
        "x_bits": 4,
        "w_bits": 5,
        "acc_bits": None,
        "bias": False,
        "integer": True,
        "multiplierless": False,
        "shared": False,
    }
    fields.update(kw)
    return LayerSpec(**fields)


# ---------------------------------------------------------------------------- CSD


@pytest.mark.parametrize(
    "value, digits",
    [
        (0, []),
        (1, [(1, 0)]),
        (-1, [(-1, 0)]),
        (2, [(1, 1)]),
        (7, [(-1, 0), (1, 3)]),  # 8 - 1
        (-7, [(1, 0), (-1, 3)]),
        (3, [(-1, 0), (1, 2)]),  # 0.375 = 2^-1 - 2^-3 with 3 fraction bits: raw 4 - 1
        (6, [(-1, 1), (1, 3)]),  # 8 - 2
        (5, [(1, 0), (1, 2)]),
        (11, [(-1, 0), (-1, 2), (1, 4)]),  # 16 - 4 - 1
        (255, [(-1, 0), (1, 8)]),
        (-128, [(-1, 7)]),
        (2**40, [(1, 40)]),
    ],
)
def test_csd_examples(value, digits):
    assert csd(value) == digits


def test_csd_accepts_numpy_integers_and_rejects_fractions():
    assert csd(np.int64(7)) == [(-1, 0), (1, 3)]
    with pytest.raises(ComplexityError, match="csd needs an integer"):
        csd(1.5)


@cache
def _min_signed_digits(v: int) -> int:
    """Fewest non-zero digits of any {-1, 0, 1} representation of v >= 0 (dynamic programming)."""
    if v == 0:
        return 0
    if v == 1:
        return 1
    if v % 2 == 0:
        return _min_signed_digits(v // 2)
    return 1 + min(_min_signed_digits((v - 1) // 2), _min_signed_digits((v + 1) // 2))


def test_csd_exhaustive_below_4096():
    for v in range(-4095, 4096):
        digits = csd(v)
        assert sum(s * 2**p for s, p in digits) == v
        positions = [p for _, p in digits]
        assert positions == sorted(positions)
        assert all(s in (1, -1) for s, _ in digits)
        assert all(b - a >= 2 for a, b in pairwise(positions)), v
        assert len(digits) <= abs(v).bit_count()
        assert len(digits) == _min_signed_digits(abs(v))


def test_csd_digit_statistics():
    # positive codes of a signed 4-bit (1..7) average 1.57 non-zeros
    # (binary 1.71), of a signed 8-bit (1..127) 2.80 (binary 3.53).
    four = [len(csd(v)) for v in range(1, 8)]
    assert sum(four) == 11  # 1,1,2,1,2,2,2
    assert sum(v.bit_count() for v in range(1, 8)) == 12  # 3 bits * 4
    eight = [len(csd(v)) for v in range(1, 128)]
    assert abs(sum(eight) / 127 - 2.80) < 0.01
    assert sum(v.bit_count() for v in range(1, 128)) == 7 * 64  # 3.53 on average
    # worst case: ceil((b + 1) / 2) non-zero digits for b-bit magnitudes, and it is reached
    for b in range(1, 13):
        assert max(len(csd(v)) for v in range(2**b)) == math.ceil((b + 1) / 2)


# ---------------------------------------------------------------------------- dense

# Raw weights with 3 fraction bits: 1 -> 8, -0.5 -> -4, 0.375 -> 3, 0.75 -> 6, -1 -> -8, 0.
HAND = np.array([[0, 8, -4, 3], [6, -8, 0, 3]])


def test_dense_hand_worked():
    m = layer_metrics(spec(HAND, bias=True))
    # 6 non-zero weights, fan-in 4 (log2 = 2), b_w = 5, b_x = 4
    assert m["nonzero_weights"] == 6 and m["fan_in"] == 4
    assert m["rmps"] == 6 and m["multiplications"] == 6
    assert m["bop"] == 6 * (5 * 4 + 5 + 4 + 2)
    # CSD digits 8:1 -4:1 3:2 | 6:2 -8:1 3:2 -> shifts 9, adds 3
    # accumulation: 2 neurons x (3 non-zero - 1 + bias) = 6
    assert m["shifts"] == 9
    assert m["accumulation_adds"] == 6
    assert m["additions"] == 3 + 6
    assert m["nabs"] == 18
    # acc = 5 + 4 + ceil(log2 4) = 11; multiplier 5x4 = 20 AND + 4 four-bit adders (80)
    assert m["acc_bits"] == 11
    assert m["nlg"] == 6 * (20 + 80) + 6 * 5 * 11
    # worst case: ceil(6/2) = 3 digits -> 5 operations per weight
    assert m["nabs_bound"] == 6 * 5 + 6


def test_dense_hand_worked_shared():
    m = layer_metrics(spec(HAND, bias=True, shared=True))
    # column 0 {0, 6}: pattern (-1,0)(+1,2) used once: not shared, 2 shifts 1 add
    # column 1 {8, -8}: one-digit patterns: 2 shifts
    # column 2 {-4, 0}: 1 shift
    # column 3 {3, 3}: pattern used twice: built once (2 shifts 1 add), + 2 align shifts
    assert m["shifts"] == 2 + 2 + 1 + 4
    assert m["additions"] == 2 + 6
    assert m["nabs"] == 17
    assert m["rmps"] == 6  # sharing changes only the shift-add view


def test_dense_hand_worked_multiplierless():
    m = layer_metrics(spec(HAND, bias=True, multiplierless=True))
    assert m["rmps"] == 0 and m["multiplications"] == 0
    assert m["bop"] == 6 * 31  # implementation agnostic
    assert m["nabs"] == 18
    assert m["nlg"] == 9 * 5 * 11  # all additions at the accumulator width


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 2), (16, 10), (64, 32)])
@pytest.mark.parametrize("bias", [False, True])
def test_dense_uniform_closed_form(n_in, n_out, bias):
    w = np.full((n_out, n_in), 5)  # 5 = 4 + 1: two CSD digits
    m = layer_metrics(spec(w, bias=bias, x_bits=8, w_bits=6))
    assert m["rmps"] == n_in * n_out
    assert m["bop"] == pytest.approx(n_in * n_out * (6 * 8 + 6 + 8 + math.log2(n_in)))
    accumulation = n_out * (n_in - 1 + bias)
    assert m["nabs"] == n_in * n_out * 3 + accumulation
    shared = layer_metrics(spec(w, bias=bias, x_bits=8, w_bits=6, shared=True))
    # one pattern per column (3 operations), then one align shift per weight; a pattern
    # used by a single weight (n_out = 1) is not shared
    assert shared["nabs"] == n_in * 3 + (n_in * n_out if n_out >= 2 else 0) + accumulation


def test_shared_versus_unshared_small():
    # one input times 3, -3 and 12: one pattern (4 - 1) in CSD
    w = np.array([[3], [-3], [12]])
    unshared = layer_metrics(spec(w))
    shared = layer_metrics(spec(w, shared=True))
    assert (unshared["shifts"], unshared["additions"], unshared["nabs"]) == (6, 3, 9)
    # 2 shifts + 1 add for x*3, then 3 align shifts
    assert (shared["shifts"], shared["additions"], shared["nabs"]) == (5, 1, 6)
    # 3 and 5 have different patterns, each used once: nothing to share
    w = np.array([[3], [5]])
    assert layer_metrics(spec(w))["nabs"] == 6
    assert layer_metrics(spec(w, shared=True))["nabs"] == 6
    # different inputs do not share: columns are separate groups, each pattern used once
    w = np.array([[3, 3]])
    assert layer_metrics(spec(w, shared=True))["nabs"] == 2 * 3 + 1


def test_pruned_weights_are_skipped():
    dense = np.full((4, 8), 3)
    pruned = dense.copy()
    pruned[0, :4] = 0
    pruned[1, :] = 0  # a neuron left with only its bias
    full = layer_metrics(spec(dense, bias=True))
    m = layer_metrics(spec(pruned, bias=True))
    assert full["rmps"] == 32 and m["rmps"] == 20
    assert m["nonzero_weights"] == 20
    assert m["bop"] == pytest.approx(20 * (5 * 4 + 5 + 4 + 3))  # fan-in stays 8
    # accumulation: (4 - 1 + 1) + 0 + 2 * (8 - 1 + 1) = 20
    assert m["accumulation_adds"] == 20
    assert m["nabs"] == 20 * 3 + 20
    assert full["nabs"] == 32 * 3 + 4 * 8


def test_all_zero_layer():
    m = layer_metrics(spec(np.zeros((2, 3), dtype=int), bias=True))
    assert m["rmps"] == 0 and m["bop"] == 0 and m["nabs"] == 0 and m["nlg"] == 0


def test_nlg_hand_numbers_with_explicit_accumulator():
    w = np.array([[1, 3], [2, 0]])
    m = layer_metrics(spec(w, w_bits=4, x_bits=8, acc_bits=16))
    # multiplier 4x8: 32 AND + 3 eight-bit adders (120 gates) = 152; 3 products
    # accumulation: neuron 0 adds once, neuron 1 has one weight -> 1 add of 16 bits
    assert m["acc_bits"] == 16
    assert m["nlg"] == 3 * 152 + 1 * 80
    shift_add = layer_metrics(spec(w, w_bits=4, x_bits=8, acc_bits=16, multiplierless=True))
    # constant adds: 3 = 4 - 1 needs 1; plus the accumulation add
    assert shift_add["additions"] == 2
    assert shift_add["nlg"] == 2 * 80


# ---------------------------------------------------------------------------- conv


@pytest.mark.parametrize("n_f, n_i, n_k, l_out", [(4, 2, 3, 10), (16, 8, 5, 33), (1, 1, 1, 1)])
def test_conv1d_closed_form(n_f, n_i, n_k, l_out):
    rng = np.random.default_rng(n_f * 100 + n_k)
    w = rng.integers(1, 16, size=(n_f, n_i, n_k)) * rng.choice([-1, 1], size=(n_f, n_i, n_k))
    m = layer_metrics(spec(w, kind="conv1d", positions=l_out, x_bits=8, w_bits=5))
    assert m["rmps"] == n_f * n_i * n_k * l_out
    assert m["fan_in"] == n_i * n_k
    assert m["bop"] == pytest.approx(n_f * n_i * n_k * l_out * (5 * 8 + 5 + 8 + math.log2(n_i * n_k)))
    assert m["accumulation_adds"] == n_f * (n_i * n_k - 1) * l_out


@pytest.mark.parametrize("bias", [False, True])
def test_conv1d_power_of_two_multiplierless(bias):
    # PoT weights: each product is one shift, no adds besides the accumulation
    n_f, n_i, n_k, l_out = 3, 2, 4, 7
    rng = np.random.default_rng(1)
    w = 2 ** rng.integers(0, 7, size=(n_f, n_i, n_k)) * rng.choice([-1, 1], size=(n_f, n_i, n_k))
    w[0, 0, 0] = 0
    nnz = n_f * n_i * n_k - 1
    accumulation = ((n_i * n_k - 2 + bias) + 2 * (n_i * n_k - 1 + bias)) * l_out
    for shared in (False, True):
        m = layer_metrics(
            spec(w, kind="conv1d", positions=l_out, bias=bias, multiplierless=True, shared=shared, w_bits=4)
        )
        assert m["rmps"] == 0
        assert m["shifts"] == nnz * l_out
        assert m["additions"] == accumulation
        assert m["nabs"] == nnz * l_out + accumulation
        # acc = 4 + 4 + ceil(log2 8) = 11
        assert m["nlg"] == accumulation * 5 * 11


@pytest.mark.parametrize("n_f, c, kh, kw, hw", [(8, 3, 3, 3, 30 * 30), (2, 4, 1, 5, 7)])
def test_conv2d_closed_form(n_f, c, kh, kw, hw):
    w = np.full((n_f, c, kh, kw), 7)  # 8 - 1: 2 digits
    m = layer_metrics(spec(w, kind="conv2d", positions=hw, bias=True, x_bits=8, w_bits=8))
    taps = c * kh * kw
    assert m["rmps"] == n_f * taps * hw
    assert m["bop"] == pytest.approx(n_f * taps * hw * (64 + 16 + math.log2(taps)))
    assert m["nabs"] == n_f * taps * hw * 3 + n_f * taps * hw  # accumulation: taps - 1 + bias
    shared = layer_metrics(spec(w, kind="conv2d", positions=hw, bias=True, shared=True))
    # per position: taps groups, each 3 operations + n_f align shifts
    assert shared["nabs"] == (taps * (3 + n_f) + n_f * taps) * hw


def test_grouped_conv():
    # groups 2, 4 filters (2 per group), 3 input channels per group, kernel 3, L_out 5
    w = np.full((4, 3, 3), 3)
    m = layer_metrics(spec(w, kind="conv1d", groups=2, positions=5))
    assert m["rmps"] == 4 * 3 * 3 * 5 and m["fan_in"] == 9
    assert m["nabs"] == (36 * 3 + 4 * 8) * 5  # 700
    shared = layer_metrics(spec(w, kind="conv1d", groups=2, positions=5, shared=True))
    # groups (g, c, tap) = 2*3*3 = 18, each: pattern 3 ops + 2 align shifts
    assert shared["nabs"] == (18 * 5 + 4 * 8) * 5  # 610
    assert shared["nabs"] == 610


def test_n_sym_divides_metrics_not_the_breakdown():
    w = np.full((4, 2, 3), 3)
    one = layer_metrics(spec(w, kind="conv1d", positions=8, bias=True))
    four = layer_metrics(spec(w, kind="conv1d", positions=8, bias=True), n_sym=4)
    for key in ("rmps", "bop", "nabs", "nlg", "nabs_bound"):
        assert four[key] == pytest.approx(one[key] / 4)
    assert four["rmps"] == 4 * 2 * 3 * 8 / 4
    for key in ("multiplications", "additions", "shifts", "accumulation_adds", "nonzero_weights"):
        assert four[key] == one[key]


def test_float_layer_has_no_nabs_or_nlg():
    w = np.array([[0.5, -1.25, 0.0], [0.1, 0.2, 0.3]])
    m = layer_metrics(spec(w, integer=False, x_bits=32, w_bits=32, bias=True))
    assert m["rmps"] == 5
    assert m["bop"] == pytest.approx(5 * (32 * 32 + 64 + math.log2(3)))
    assert m["nabs"] is None and m["nlg"] is None and m["nabs_bound"] is None
    assert m["additions"] is None and m["shifts"] is None
    assert m["accumulation_adds"] == (1 + 1) + (2 + 1)


def test_integral_float_array_is_accepted_as_integer():
    m = layer_metrics(spec(np.array([[3.0, 1.0]])))
    assert m["nabs"] == 3 + 1 + 1


def test_weights_are_copied_read_only():
    w = np.array([[1, 2]])
    s = spec(w)
    w[0, 0] = 0
    assert layer_metrics(s)["nonzero_weights"] == 2
    assert not s.weights.flags.writeable


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"kind": "lstm"}, "kind 'lstm' is not one of"),
        ({"kind": "conv1d"}, "conv1d weights need 3 dimensions"),
        ({"weights": np.array([[0.5, 1.0]])}, "not all integers"),
        ({"integer": False, "multiplierless": True}, "multiplierless layer needs integer"),
        ({"positions": 0}, "positions must be at least 1"),
        ({"groups": 2}, "a dense layer has 1 group"),
        ({"w_bits": 2.5}, "w_bits must be an integer"),
        ({"weights": np.array([["a"]])}, "expected numbers"),
    ],
)
def test_bad_records_are_rejected(kw, message):
    kw.setdefault("weights", np.array([[1, 2]]))
    with pytest.raises(ComplexityError, match=message) as info:
        spec(**kw)
    assert "layer 'layer'" in str(info.value)


def test_groups_must_divide_filters():
    with pytest.raises(ComplexityError, match="3 filters do not split into 2 groups"):
        spec(np.ones((3, 1, 2), dtype=int), kind="conv1d", groups=2)


def test_bad_n_sym():
    with pytest.raises(ComplexityError, match="n_sym must be at least 1"):
        layer_metrics(spec([[1]]), n_sym=0)


# ---------------------------------------------------------------------------- reports


def test_totals():
    a = layer_metrics(spec(HAND, bias=True))
    b = layer_metrics(spec(np.array([[1, 2]])))
    t = totals([a, b])
    # b: fan-in 2 (log2 = 1, acc = 5 + 4 + 1 = 10 bits), weights 1 and 2, one accumulation add
    assert t == {"rmps": 8.0, "bop": 186 + 2 * 30.0, "nabs": 18 + 3.0, "nlg": 930 + 2 * 100 + 1 * 50.0}
    f = layer_metrics(spec(np.array([[0.5]]), integer=False))
    t = totals([a, f])
    assert t["nabs"] is None and t["nlg"] is None and t["rmps"] == 7
    assert totals([]) == {"rmps": 0.0, "bop": 0.0, "nabs": 0.0, "nlg": 0.0}


def test_stage_table():
    big = layer_metrics(spec(np.full((64, 64), 3), kind="dense"), n_sym=1)
    small = layer_metrics(spec(np.array([[1, 2]])))
    flt = layer_metrics(spec(np.array([[0.5, 0.25]]), integer=False), n_sym=3)
    text = stage_table({"float": [("fc_big", flt)], "fixed": [("fc_big", big), ("fc_out", small)]})
    lines = text.splitlines()
    assert lines[0].split() == ["stage", "layer", "RMpS", "BoP", "NABS", "NLG"]
    assert "fc_big" in text and "fc_out" in text
    assert sum(1 for line in lines if " total " in line) == 2
    assert "4,096" in text  # RMpS of the 64x64 layer
    assert "4,098" in text  # its total with the 1x2 layer
    assert "0.67" in text  # 2 multiplications over 3 symbols
    assert "n/a" in text  # float NABS/NLG
    assert len({len(line) for line in lines}) == 1  # aligned columns
    fixed_total = next(line for line in lines if line.startswith("fixed") and " total " in line)
    assert fixed_total.split()[2] == "4,098"


def test_write_chart_png(tmp_path):
    pytest.importorskip("matplotlib")
    stages = {
        "float": {"rmps": 4096.0, "bop": 4.4e6, "nabs": None, "nlg": None},
        "fixed": {"rmps": 4096.0, "bop": 3.0e5, "nabs": 2.0e4, "nlg": 1.0e6},
        "shift-add": {"rmps": 0.0, "bop": 3.0e5, "nabs": 1.5e4, "nlg": 2.0e5},
    }
    out = tmp_path / "complexity.png"
    write_chart(stages, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_write_chart_without_matplotlib(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ComplexityError, match=r"the chart needs matplotlib: pip install 'nncc\[chart\]'"):
        write_chart({"fixed": {"rmps": 1.0, "bop": 1.0, "nabs": 1.0, "nlg": 1.0}}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_write_chart_needs_a_stage(tmp_path):
    with pytest.raises(ComplexityError, match="at least one stage"):
        write_chart({}, tmp_path / "x.png")
