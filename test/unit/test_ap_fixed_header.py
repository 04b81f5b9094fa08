"""runtime/include/nncc_ap_fixed.h (nncc's own ap_fixed subset) and nncc_support.h are bit-exact
against nncc.dialects.fixed.semantics (the Python definition of nncc's fixed-point semantics) and
against the Xilinx ap_types headers.

Two C++ programs hold every case; each is compiled twice, all four builds in parallel: against
nncc_ap_fixed.h with -Wall -Wextra -Werror, and (when the headers are found: hls4ml's copy, or
$NNCC_AP_TYPES_INCLUDE) against the Xilinx headers with -DNNCC_XILINX_AP_TYPES (no -Werror: those
headers warn). Each test runs one kind of case on one build with thousands of random raw values and
compares every output bit for bit with the Python reference; the [xilinx] variants skip when the
headers are absent.

Xilinx limits found on the way (the cases avoid them): an AP_RND conversion that drops more than
W_src fractional bits (F_src - F_dst > W_src, e.g. ap_fixed<16, 71, AP_RND> from an unsigned int)
aborts on an assertion in ap_private::get_bit; to_float() of a value beyond the float range gives
garbage instead of inf. nncc_ap_fixed.h handles both.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import nncc.runtime
from nncc.dialects.fixed import semantics as fm

INCLUDE = Path(nncc.runtime.__file__).resolve().parent / "include"
IMPLS = ["nncc", "xilinx"]
RNG_SEED = 20240611
N = 2000  # random values per case (plus edge values)

Q_CPP = {"trn": "AP_TRN", "rnd": "AP_RND"}
O_CPP = {"wrap": "AP_WRAP", "sat": "AP_SAT"}
Q_ENUM = {"rnd": 0, "trn": 5}  # ap_q_mode values, identical in both headers
O_ENUM = {"sat": 0, "wrap": 3}
MODES = [(q, o) for q in ("trn", "rnd") for o in ("wrap", "sat")]

from ap_fixed_support import (  # noqa: F401
    xilinx_include,
    Fx,
    limits,
    rand_raw,
    low_bits,
    shl,
    f32_rne,
    exact_cmp,
    cmp_mask,
    type_info,
    PRELUDE,
    Kind,
    as_bits,
)

# --- (a) double / float / int -> ap_fixed ----------------------------------------------------

QUANT_TYPES = [(8, 4), (8, 0), (8, -3), (8, 12), (1, 1), (16, 6), (40, -8), (53, 20), (64, 32), (60, 70)]


def quant_doubles(rng: np.random.Generator, t: Fx) -> np.ndarray:
    """Doubles whose scaled value y = x * 2^F covers ties, fractions, overflow and big integers, all
    exactly representable and where semantics.quantize is exact (|y| < 2^51, or an integer |y| >= 2^53
    that is <= hi when hi is not a double; the rest is in build_quant_edges)."""
    lo, hi = limits(t.w)
    ys = []
    for extra in range(5):  # fractional bits below the LSB: 0 (exact) .. 4
        mag = min(t.w + 1, 51 - extra)
        k = rng.integers(-(1 << mag), 1 << mag, size=N // 5, endpoint=True, dtype=np.int64)
        ys.append(k.astype(np.float64) / 2.0**extra)
    edges = [lo, hi, hi + 0.5, hi + 0.25, hi + 1, lo - 0.5, lo - 0.25, lo - 1, lo + 0.5, -0.5, 0.5, -1.5, 1.5,
             0.25, -0.25, 0.75, -0.75, 0.0]
    ys.append(np.array([e for e in edges if abs(e) < 2.0**51], np.float64))
    top = 62 if t.w <= 53 else min(t.w - 1, 62)  # semantics.quantize clips to +-2^62 before wrapping
    if top > 53:
        big = 2.0 ** rng.integers(53, top, size=50) * (1 + rng.integers(0, 1 << 20, size=50) / 2.0**20)
        ys.append(np.concatenate([big, -big]))
    x = np.concatenate(ys) * 2.0 ** (-t.f)
    tiny = np.array([2.0 ** (-t.f - 60), -(2.0 ** (-t.f - 60)), -0.0])
    return np.concatenate([x, tiny])


def build_quant(rng: np.random.Generator) -> Kind:
    kind = Kind("quant")
    for w, i in QUANT_TYPES:
        for q, o in MODES:
            t = Fx(w, i, q, o)
            x = quant_doubles(rng, t)
            # integers: k * 2^F stays inside int64, where semantics.cast is exact
            top = min(62 - max(t.f, 0), 31)
            k32 = np.concatenate([rng.integers(-(1 << top), 1 << top, size=300, dtype=np.int64), [0, -1, 1, 7, -7]])
            top = 62 - max(t.f, 0)
            k64 = np.concatenate([rng.integers(-(1 << top), 1 << top, size=300, dtype=np.int64), [0, -1, 1, -3]])
            expected = [fm.quantize(x, t.w, t.f, q, o), fm.cast(k32, 0, t.w, t.f, q, o),
                        fm.cast(k64, 0, t.w, t.f, q, o)]
            kind.case(f"quant<{t.cpp}>", [as_bits(x), k32, k64], f"double/int/long long->{t}",
                      np.concatenate(expected))
    for t in [Fx(16, 6, "rnd", "sat"), Fx(12, 3, "trn", "wrap"), Fx(24, 2, "rnd", "wrap")]:
        x = quant_doubles(rng, t).astype(np.float32).astype(np.float64)
        kind.case(f"quant_float<{t.cpp}>", [as_bits(x)], f"float->{t}", fm.quantize(x, t.w, t.f, t.q, t.o))
    return kind


def exact_value(num: int, den: int, t: Fx) -> int:
    """The raw ap_fixed value of num / den (den a power of two), with Python integers."""
    lo, hi = limits(t.w)
    if t.f >= 0:
        num <<= t.f
    else:
        den <<= -t.f
    q = num // den if t.q == "trn" else (2 * num + den) // (2 * den)
    if t.o == "sat":
        return min(max(q, lo), hi)
    return (q - lo) % (1 << t.w) + lo


def exact_quantize(x: float, t: Fx) -> int:
    """The raw ap_fixed value of a double (+-inf: saturate, or 0 when wrapping)."""
    if np.isinf(x):
        lo, hi = limits(t.w)
        return (hi if x > 0 else lo) if t.o == "sat" else 0
    return exact_value(*float(x).as_integer_ratio(), t)


EDGE_TYPES = [Fx(8, 4), Fx(16, -4), Fx(24, 30), Fx(60, 70), Fx(64, 32), Fx(64, 64)]


def edge_doubles(t: Fx) -> list[float]:
    """Doubles where a naive float implementation goes wrong."""
    lo, hi = limits(t.w)
    s = 2.0 ** (-t.f)
    ys = [0.5 - 2.0**-54, -0.5 - 2.0**-53, 2.0**52 + 1, -(2.0**52 + 1), 2.0**52 + 3, 2.0**53 - 1, 2.0**52 + 0.5,
          float(hi), float(lo), float(hi) * 2, float(lo) * 2, 2.0**63, -(2.0**63), 2.0**63 - 1024, -(2.0**63) - 2048,
          -(2.0**62) - 1024, -(2.0**63) + 1024, -(2.0**64) + 2048, 2.0**64 + 2.0**40, 2.0**70 + 2.0**30,
          -(2.0**90 + 2.0**45), 3.0 * 2.0**100]
    xs = [y * s for y in ys]
    xs += [1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -5e-324, 2.2250738585072014e-308,
           -2.2250738585072014e-308, -0.0, float("inf"), float("-inf")]
    return [x for x in xs if not np.isnan(x)]


def build_quant_edges(rng: np.random.Generator) -> Kind:
    kind = Kind("quant_edge")
    for base in EDGE_TYPES:
        for q, o in MODES:
            t = Fx(base.w, base.i, q, o)
            x = np.array(edge_doubles(t))
            kind.case(f"quant_double<{t.cpp}>", [as_bits(x)], f"edge double->{t}",
                      np.array([exact_quantize(v, t) for v in x.tolist()], np.int64))
            i64 = np.iinfo(np.int64)
            u = np.concatenate([rng.integers(i64.min, i64.max, size=200, dtype=np.int64),
                                [-1, -2, 0, 1, i64.min, i64.max]])
            u64, u32 = u.view(np.uint64).tolist(), (u.view(np.uint64) & np.uint64(0xFFFFFFFF)).tolist()
            expected = [[exact_value(int(a), 1, t), exact_value(int(b), 1, t)] for a, b in zip(u64, u32)]
            kind.case(f"quant_unsigned<{t.cpp}>", [u], f"unsigned long long/unsigned->{t}",
                      np.array(expected, np.int64))
    return kind


# --- (b) ap_fixed -> ap_fixed -----------------------------------------------------------------

CAST_PAIRS = [
    ((16, 6), (8, 4)), ((16, 6), (8, 2)), ((16, 6), (12, 6)), ((16, 6), (12, 2)), ((16, 6), (24, 10)),
    ((16, 6), (32, 8)), ((8, 4), (20, 4)), ((8, 4), (6, 6)), ((24, 12), (8, -2)), ((8, -2), (16, 6)),
    ((10, 12), (8, 4)), ((8, 4), (10, 12)), ((32, 16), (16, 16)), ((40, 8), (18, 4)), ((12, 3), (1, 1)),
    ((63, 30), (20, 4)), ((16, 6), (64, 32)), ((40, 8), (8, 8)),
]


def build_cast(rng: np.random.Generator) -> Kind:
    kind = Kind("cast")
    for (ws, is_), (wd, id_) in CAST_PAIRS:
        src = Fx(ws, is_)
        r = rand_raw(rng, ws)
        for q, o in MODES:
            dst = Fx(wd, id_, q, o)
            expected = fm.cast(r, src.f, dst.w, dst.f, q, o)
            kind.case(f"cast<{src.cpp}, {dst.cpp}>", [r], f"{src}->{dst}", np.stack([expected, expected], 1))
    return kind


# --- (c) products, sums, compound assignment, shifts, accumulation chains ---------------------

ARITH_PAIRS = [
    (Fx(8, 4, "rnd", "sat"), Fx(8, 2)), (Fx(16, 6, "trn", "sat"), Fx(12, 3)), (Fx(16, 6), Fx(16, 6)),
    (Fx(10, 12, "rnd", "wrap"), Fx(8, -2)), (Fx(24, 8, "rnd", "sat"), Fx(6, 1)),
    (Fx(31, 3, "trn", "wrap"), Fx(32, 20)),
    (Fx(20, 0), Fx(20, 20)), (Fx(1, 1, "rnd", "sat"), Fx(8, 4)),
]


def build_arith(rng: np.random.Generator) -> Kind:
    kind = Kind("arith")
    for a_t, b_t in ARITH_PAIRS:
        a, b = rand_raw(rng, a_t.w), rand_raw(rng, b_t.w)
        a, b = rng.permutation(a), rng.permutation(b)
        k = rng.integers(-a_t.w - 2, a_t.w + 3, size=len(a))
        k[:4] = [0, 1, -1, 1000]
        p_t = Fx(a_t.w + b_t.w, a_t.i + b_t.i)
        si = max(a_t.i, b_t.i) + 1
        sf = max(a_t.f, b_t.f)
        s_t = Fx(si + sf, si)
        prod = a * b
        al, bl = shl(a, sf - a_t.f), shl(b, sf - b_t.f)
        total, diff = al + bl, al - bl
        left = np.where(k >= 0, fm.overflow(a << np.clip(k, 0, 63), a_t.w, "wrap"), a >> np.clip(-k, 0, 63))
        left = np.where(k >= a_t.w, 0, left)
        right = np.where(k >= 0, a >> np.clip(k, 0, 63), fm.overflow(a << np.clip(-k, 0, 63), a_t.w, "wrap"))
        right = np.where(-k >= a_t.w, 0, right)
        cols = [
            prod, total, diff, -a,
            fm.cast(total, sf, a_t.w, a_t.f, a_t.q, a_t.o),
            fm.cast(diff, sf, a_t.w, a_t.f, a_t.q, a_t.o),
            fm.cast(prod, p_t.f, a_t.w, a_t.f, a_t.q, a_t.o),
            left, right,
        ]
        types = type_info(p_t) + type_info(s_t) + type_info(s_t) + type_info(Fx(a_t.w + 1, a_t.i + 1))
        kind.case(f"arith<{a_t.cpp}, {b_t.cpp}>", [a, b, k], f"{a_t} op {b_t}",
                  np.concatenate([types, np.stack(cols, 1).ravel()]))
    return kind


ACCUM_CASES = [  # accumulator, x, w
    (Fx(32, 12), Fx(8, 2), Fx(8, 1)),  # wide: no overflow, no rounding
    (Fx(20, 8, "rnd", "wrap"), Fx(16, 6), Fx(12, 2)),  # rounding at every step
    (Fx(16, 5, "trn", "sat"), Fx(16, 6), Fx(12, 2)),  # saturating
    (Fx(14, 4, "rnd", "sat"), Fx(8, 3), Fx(8, 3)),
    (Fx(12, 4, "trn", "wrap"), Fx(8, 3), Fx(8, 3)),  # wrapping
    (Fx(40, 10, "rnd", "sat"), Fx(16, 1), Fx(16, 1)),
]


def build_accum(rng: np.random.Generator) -> Kind:
    kind = Kind("accum")
    chains, steps = 100, 40
    for acc_t, x_t, w_t in ACCUM_CASES:
        init = rand_raw(rng, acc_t.w, chains)
        xs, ws = rand_raw(rng, x_t.w, chains * steps), rand_raw(rng, w_t.w, chains * steps)
        xs, ws = rng.permutation(xs), rng.permutation(ws)
        p_f, p_i = x_t.f + w_t.f, x_t.i + w_t.i
        sf = max(acc_t.f, p_f)
        acc = init.copy()
        out = np.empty((chains, steps), np.int64)
        prods = (xs * ws).reshape(chains, steps)
        assert max(acc_t.i, p_i) + 1 + sf <= 64
        for s in range(steps):
            p = shl(prods[:, s], sf - p_f)
            a = shl(acc, sf - acc_t.f)
            acc = fm.cast(a - p if s % 3 == 2 else a + p, sf, acc_t.w, acc_t.f, acc_t.q, acc_t.o)
            out[:, s] = acc
        kind.case(f"accum<{acc_t.cpp}, {x_t.cpp}, {w_t.cpp}>", [init, xs, ws], f"{acc_t} += {x_t}*{w_t}", out)
    return kind


# --- (d) raw / from_raw round trips, to_double, to_float ----------------------------------------

RAW_TYPES = [Fx(8, 4), Fx(1, 1), Fx(16, 6, "rnd", "sat"), Fx(12, -3), Fx(12, 20), Fx(32, 8), Fx(53, 3), Fx(64, 32),
             Fx(63, 0), Fx(64, 64, "rnd", "sat")]


def build_raw(rng: np.random.Generator) -> Kind:
    kind = Kind("raw")
    for t in RAW_TYPES:
        inside = rand_raw(rng, t.w)
        outside = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=300, dtype=np.int64)
        # just below a tie between two floats: rounding to double first would make it a tie
        m = t.w - 2
        near_tie = [(1 << m) + (1 << (m - 23)) + (1 << (m - 24)) - 1] if m >= 30 else []
        near_tie += [-v for v in near_tie]
        r = np.concatenate([inside, outside, np.array(near_tie, np.int64)])
        q = low_bits(r, t.w)
        exact = np.array([float(v) for v in q.tolist()]) * 2.0 ** (-t.f)  # Python float(int): ties to even
        single = (f32_rne(q) * 2.0 ** (-t.f)).astype(np.float32).view(np.int32).astype(np.int64)
        cols = [q, as_bits(exact), single, as_bits(exact)]
        kind.case(f"rawtrip<{t.cpp}>", [r], f"raw {t}", np.stack(cols, 1))
    return kind


# --- (e) comparisons ----------------------------------------------------------------------------

CMP_PAIRS = [(Fx(8, 4), Fx(8, 4)), (Fx(8, 4), Fx(12, 4)), (Fx(16, 6), Fx(8, 2)), (Fx(10, 12), Fx(8, -2)),
             (Fx(64, 32), Fx(20, 10)), (Fx(8, -2), Fx(40, 30)), (Fx(1, 1), Fx(3, 0))]


def build_compare(rng: np.random.Generator) -> Kind:
    kind = Kind("compare")
    for a_t, b_t in CMP_PAIRS:
        a = rng.permutation(rand_raw(rng, a_t.w))
        b = rng.permutation(rand_raw(rng, b_t.w))
        # a third of the pairs are equal values (when b's type can hold a's value)
        third = len(a) // 3
        a_in_b = fm.cast(a[:third], a_t.f, b_t.w, b_t.f, "trn", "wrap")
        b[:third] = a_in_b
        k = rng.integers(-5, 6, size=len(a))
        k[third:2 * third] = fm.shift_round(a[third:2 * third], a_t.f, "trn")  # often equal to a
        k = np.clip(k, -(2**31), 2**31 - 1)
        d = a * 2.0 ** (-a_t.f) + rng.choice([0.0, 0.0, 2.0 ** (-a_t.f - 1), -(2.0 ** (-a_t.f))], size=len(a))
        a_double = np.array([float(v) for v in a.tolist()]) * 2.0 ** (-a_t.f)  # to_double(), ties to even
        d_sign = np.sign(a_double - d).astype(np.int64)
        cols = [
            cmp_mask(exact_cmp(a, a_t.f, b, b_t.f)),
            cmp_mask(exact_cmp(a, a_t.f, k, 0)),
            cmp_mask(exact_cmp(a, a_t.f, k, 0)),
            cmp_mask(d_sign),
        ]
        kind.case(f"compare<{a_t.cpp}, {b_t.cpp}>", [a, b, k, as_bits(d)], f"{a_t} vs {b_t}", np.stack(cols, 1))
    return kind


BUILDERS = {"quant": build_quant, "quant_edge": build_quant_edges, "cast": build_cast, "raw": build_raw,
            "arith": build_arith, "accum": build_accum, "compare": build_compare}
# Two programs, so the slow Xilinx builds (template instantiation, ~8 s each) run in parallel.
PROGRAMS = {"conversions": ["quant", "quant_edge", "cast", "raw"], "operators": ["arith", "accum", "compare"]}


def program_source(kinds: dict[str, Kind]) -> str:
    body = ["int main(int argc, char** argv) {", "  if (argc != 3) return 2;",
            '  g_in = std::fopen(argv[2], "r");', "  if (!g_in) return 3;"]
    for name, kind in kinds.items():
        body.append(f'  if (std::strcmp(argv[1], "{name}") == 0) {{')
        body.extend(f"    {call}();" for call in kind.calls)
        body.append("  }")
    body += ["  std::fclose(g_in);", "  return 0;", "}"]
    return PRELUDE + "\n".join(body) + "\n"


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kinds() -> dict[str, Kind]:
    rng = np.random.default_rng(RNG_SEED)
    return {name: build(rng) for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def binaries(kinds, tmp_path_factory, require_tool) -> dict[str, dict[str, Path] | str]:
    """Both programs built against both headers, in parallel: impl -> {kind: executable}, or a skip reason."""
    require_tool("g++")
    gxx = shutil.which("g++")
    work = tmp_path_factory.mktemp("ap_fixed")
    flags = {"nncc": ["-O2", "-Wall", "-Wextra", "-Werror"]}
    xil = xilinx_include()
    if xil is not None:  # the Xilinx headers warn: no -Werror; -O0 builds 20% faster, same results
        flags["xilinx"] = ["-O0", "-w", "-DNNCC_XILINX_AP_TYPES", f"-I{xil}"]
    for program, names in PROGRAMS.items():
        (work / f"{program}.cpp").write_text(program_source({name: kinds[name] for name in names}))
    jobs = {}  # the slow Xilinx builds first
    for impl, extra in sorted(flags.items(), key=lambda item: item[0] != "xilinx"):
        for program in PROGRAMS:
            exe = work / f"{program}_{impl}"
            jobs[impl, program] = (exe, [gxx, "-std=c++17", *extra, f"-I{INCLUDE}", str(work / f"{program}.cpp"),
                                         "-o", str(exe)])
    with ThreadPoolExecutor(max(2, min(len(jobs), os.cpu_count() or 1))) as pool:
        futures = {key: pool.submit(subprocess.run, cmd, capture_output=True, text=True, timeout=300)
                   for key, (_, cmd) in jobs.items()}
    result: dict[str, dict[str, Path] | str] = {impl: {} for impl in flags}
    for (impl, program), future in futures.items():
        proc = future.result()
        assert proc.returncode == 0, f"{impl} build of {program} failed:\n{proc.stderr[-4000:]}"
        result[impl].update({name: jobs[impl, program][0] for name in PROGRAMS[program]})
    if xil is None:
        result["xilinx"] = ("Xilinx ap_types headers not found (they ship in the hls4ml wheel: "
                            "pip install --no-deps hls4ml==1.3.0; or set NNCC_AP_TYPES_INCLUDE)")
    return result


def run_kind(binaries, kinds, impl: str, name: str, tmp_path: Path) -> None:
    if isinstance(binaries[impl], str):
        pytest.skip(binaries[impl])
    exe = binaries[impl][name]
    kind = kinds[name]
    data = tmp_path / f"{name}.txt"
    data.write_text(kind.input_text())
    proc = subprocess.run([str(exe), name, str(data)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = np.array(proc.stdout.split(), np.int64)
    total = sum(len(e) for _, e in kind.expected)
    assert len(got) == total, f"{impl}: {len(got)} outputs, expected {total}"
    start, failures = 0, []
    for (label, expected), call in zip(kind.expected, kind.calls):
        seg = got[start:start + len(expected)]
        start += len(expected)
        bad = np.flatnonzero(seg != expected)
        if bad.size:
            failures.append(f"{call} ({label}): {bad.size} of {len(expected)} outputs differ, first at output "
                            f"{bad[0]}: got {seg[bad[0]]}, expected {expected[bad[0]]}")
    assert not failures, f"{impl}: {len(failures)} cases differ:\n" + "\n".join(failures)


@pytest.mark.parametrize("impl", IMPLS)
def test_quantize_from_double_float_int(binaries, kinds, impl, tmp_path):
    run_kind(binaries, kinds, impl, "quant", tmp_path)


@pytest.mark.parametrize("impl", IMPLS)
def test_quantize_edge_doubles(binaries, kinds, impl, tmp_path):
    """Ties just below 1/2, odd integers above 2^52, values beyond int64 and the double range, +-inf,
    subnormals, saturation of types wider than a double's mantissa: exact Python-integer reference."""
    run_kind(binaries, kinds, impl, "quant_edge", tmp_path)


@pytest.mark.parametrize("impl", IMPLS)
def test_cast_between_types(binaries, kinds, impl, tmp_path):
    run_kind(binaries, kinds, impl, "cast", tmp_path)


@pytest.mark.parametrize("impl", IMPLS)
def test_products_sums_compound_assignment_and_shifts(binaries, kinds, impl, tmp_path):
    run_kind(binaries, kinds, impl, "arith", tmp_path)


@pytest.mark.parametrize("impl", IMPLS)
def test_accumulation_chains(binaries, kinds, impl, tmp_path):
    run_kind(binaries, kinds, impl, "accum", tmp_path)


@pytest.mark.parametrize("impl", IMPLS)
def test_raw_round_trip_and_to_double(binaries, kinds, impl, tmp_path):
    run_kind(binaries, kinds, impl, "raw", tmp_path)


@pytest.mark.parametrize("impl", IMPLS)
def test_comparisons(binaries, kinds, impl, tmp_path):
    run_kind(binaries, kinds, impl, "compare", tmp_path)


# --- edge cases of the Python semantics module -------------------------------------------------
# Inputs at the edges of float64 and int64 where a naive implementation of
# nncc.dialects.fixed.semantics rounds twice or overflows; the expected values are those of both
# C++ implementations (which agree with each other and with the exact Python-integer reference,
# see test_quantize_edge_doubles).

SEMANTICS_GAPS = [
    pytest.param(lambda: fm.quantize(np.array([0.5 - 2.0**-54]), 8, 0, "rnd", "wrap"), 0,
                 id="quantize-rnd-just-below-half"),  # floor(y + 0.5) rounds y + 0.5 up to 1.0
    pytest.param(lambda: fm.quantize(np.array([2.0**52 + 1]), 60, 0, "rnd", "wrap"), 2**52 + 1,
                 id="quantize-rnd-odd-integer-above-2^52"),  # y + 0.5 rounds to even
    pytest.param(lambda: fm.quantize(np.array([2.0**70]), 60, 0, "trn", "sat"), 2**59 - 1,
                 id="quantize-sat-width-over-53"),  # clip in float64: hi rounds up to 2^59
    pytest.param(lambda: fm.overflow(np.array([5]), 63, "wrap"), 5,
                 id="overflow-wrap-width-63"),  # np.int64(1 << 63) raises OverflowError
    pytest.param(lambda: fm.cast(np.array([2**63 - 1]), 1, 64, 0, "rnd", "sat"), 2**62,
                 id="cast-rnd-near-int64-max"),  # q + 2^(s-1) overflows int64
    pytest.param(lambda: fm.cast(np.array([2**40]), 0, 16, 30, "trn", "sat"), 2**15 - 1,
                 id="cast-sat-after-large-left-shift"),  # q << 30 overflows int64 before the clip
]


@pytest.mark.parametrize("compute, expected", SEMANTICS_GAPS)
def test_semantics_gaps_against_ap_fixed(compute, expected):
    assert int(np.asarray(compute())[0]) == expected
