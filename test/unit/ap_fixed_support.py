"""Helpers shared by test_ap_fixed_header.py: the Xilinx headers lookup, the ap_fixed type, the Python reference and the C++ test program (not a test module)."""

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



def xilinx_include() -> Path | None:
    """The Xilinx ap_types headers: $NNCC_AP_TYPES_INCLUDE (e.g. a Vitis HLS include folder), else
    hls4ml's copy, found without importing hls4ml (so `pip install --no-deps hls4ml` is enough)."""
    env = os.environ.get("NNCC_AP_TYPES_INCLUDE")
    if env:
        return Path(env) if (Path(env) / "ap_fixed.h").is_file() else None
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "templates" / "vivado" / "ap_types"
        if (path / "ap_fixed.h").is_file():
            return path
    return None


@dataclass(frozen=True)
class Fx:
    """An ap_fixed<W, I, Q, O> type."""

    w: int
    i: int
    q: str = "trn"
    o: str = "wrap"

    @property
    def f(self) -> int:
        return self.w - self.i

    @property
    def cpp(self) -> str:
        return f"ap_fixed<{self.w}, {self.i}, {Q_CPP[self.q]}, {O_CPP[self.o]}>"

    def __str__(self) -> str:
        return f"<{self.w},{self.i},{self.q},{self.o}>"


# --- Python reference helpers ------------------------------------------------------------------


def limits(w: int) -> tuple[int, int]:
    return fm.limits(w)


def rand_raw(rng: np.random.Generator, w: int, n: int = N) -> np.ndarray:
    """n random raw values of a w-bit type: every edge, small magnitudes, and uniform."""
    lo, hi = limits(w)
    edges = np.array(sorted({v for v in (lo, lo + 1, hi, hi - 1, 0, -1, 1, lo // 2, hi // 2) if lo <= v <= hi}),
                     np.int64)
    small_hi = min(hi, 64)
    small = rng.integers(max(lo, -small_hi), small_hi, size=n // 4, endpoint=True, dtype=np.int64)
    uniform = rng.integers(lo, hi, size=n - n // 4 - len(edges), endpoint=True, dtype=np.int64)
    return np.concatenate([edges, small, uniform])


def low_bits(r: np.ndarray, w: int) -> np.ndarray:
    """The low w bits of r as a signed w-bit number (semantics.overflow(r, w, "wrap") for w < 63;
    that function cannot build 1 << 63 as an int64, so it fails for w == 63)."""
    s = np.uint64(64 - w)
    return ((np.asarray(r, np.int64).view(np.uint64) << s).view(np.int64)) >> s.astype(np.int64)


def shl(q: np.ndarray, s: int) -> np.ndarray:
    """Exact left shift (the caller guarantees no int64 overflow)."""
    return np.asarray(q, np.int64) << np.int64(s)


def f32_rne(q: np.ndarray) -> np.ndarray:
    """int64 -> nearest float32 value (ties to even) as float64, exactly."""
    q = np.asarray(q, np.int64)
    out = np.empty(q.shape, np.float64)
    for idx, v in np.ndenumerate(q):
        v = int(v)
        mag = abs(v)
        shift = max(mag.bit_length() - 24, 0)
        if shift:
            m, rem = mag >> shift, mag & ((1 << shift) - 1)
            half = 1 << (shift - 1)
            if rem > half or (rem == half and m & 1):
                m += 1
            mag = m << shift
        out[idx] = float(-mag if v < 0 else mag)
    return out


def exact_cmp(a: np.ndarray, fa: int, b: np.ndarray, fb: int) -> np.ndarray:
    """Sign of a*2^-fa - b*2^-fb with Python integers."""
    f = max(fa, fb)
    out = []
    for x, y in zip(a.tolist(), b.tolist()):
        d = x * 2 ** (f - fa) - y * 2 ** (f - fb)
        out.append((d > 0) - (d < 0))
    return np.array(out, np.int64)


def cmp_mask(sign: np.ndarray) -> np.ndarray:
    """The six comparison results packed as the C++ program prints them."""
    bits = [sign < 0, sign > 0, sign <= 0, sign >= 0, sign == 0, sign != 0]
    return sum(b.astype(np.int64) << k for k, b in enumerate(bits))


def type_info(t: Fx) -> list[int]:
    return [t.w, t.i, Q_ENUM[t.q], O_ENUM[t.o]]


# --- the C++ program ---------------------------------------------------------------------------

PRELUDE = r"""
#ifdef NNCC_XILINX_AP_TYPES
#include <ap_fixed.h>
#else
#include "nncc_ap_fixed.h"
#endif
#include "nncc_support.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

// Result types, checked at compile time against both headers (the values are checked at run time).
using A84 = ap_fixed<8, 4, AP_RND, AP_SAT>;
static_assert(std::is_same<decltype(A84() * ap_fixed<6, -1>()), ap_fixed<14, 3>>::value, "*");
static_assert(std::is_same<decltype(A84() + ap_fixed<6, -1>()), ap_fixed<12, 5>>::value, "+");
static_assert(std::is_same<decltype(ap_fixed<8, 4>() - ap_fixed<12, 10>()), ap_fixed<15, 11>>::value, "-");

#ifndef NNCC_XILINX_AP_TYPES
// nncc_ap_fixed.h works in constant expressions (constexpr weight tables).
static_assert(std::is_same<decltype(-ap_fixed<8, 4, AP_RND, AP_SAT>()), ap_fixed<9, 5>>::value, "unary -");
static_assert(nncc::raw(ap_fixed<8, 4>(1.3)) == 20, "double ctor, AP_TRN");
static_assert(nncc::raw(ap_fixed<8, 4, AP_RND, AP_SAT>(1.3)) == 21, "double ctor, AP_RND");
static_assert(nncc::raw(ap_fixed<8, 4, AP_RND, AP_SAT>(100.0)) == 127, "double ctor, AP_SAT");
static_assert(nncc::raw(ap_fixed<8, 4>(8.0)) == -128, "double ctor, AP_WRAP");
static_assert(nncc::raw(ap_fixed<8, 4>(1.5) * ap_fixed<8, 4>(-2.0)) == -768, "*");
static_assert((ap_fixed<8, 4>(1.5) + ap_fixed<6, 2>(0.25)).to_double() == 1.75, "+");
static_assert(ap_fixed<8, 4>(1.5) > ap_fixed<12, 2>(1.25) && ap_fixed<8, 4>(1.5) == 1.5 && ap_fixed<8, 4>(-1.0) == -1,
              "comparisons");
constexpr ap_fixed<8, 2> kTable[] = {0.5, -0.25, 1.0};
static_assert(nncc::raw(kTable[1]) == -16 && nncc::raw(nncc::from_raw<ap_fixed<4, 2>>(9)) == -7, "tables, from_raw");
#endif

static FILE* g_in = nullptr;

inline std::vector<int64_t> read_vec() {
  long long n = 0;
  if (std::fscanf(g_in, "%lld", &n) != 1) std::abort();
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (auto& x : v) {
    long long t = 0;
    if (std::fscanf(g_in, "%lld", &t) != 1) std::abort();
    x = static_cast<int64_t>(t);
  }
  return v;
}
inline double bits_to_double(int64_t b) { double d; std::memcpy(&d, &b, sizeof d); return d; }
inline int64_t double_bits(double d) { int64_t b; std::memcpy(&b, &d, sizeof b); return b; }
inline int64_t float_bits(float f) { int32_t b; std::memcpy(&b, &f, sizeof b); return b; }
inline void put(int64_t v) { std::printf("%lld\n", static_cast<long long>(v)); }
template <class T> static void put_type() {
  put(T::width); put(T::iwidth); put(static_cast<int>(T::qmode)); put(static_cast<int>(T::omode));
}

template <class T> static void quant() {  // doubles, ints, long longs
  for (int64_t b : read_vec()) { T t = bits_to_double(b); put(nncc::raw(t)); }
  for (int64_t b : read_vec()) { T t = static_cast<int>(b); put(nncc::raw(t)); }
  for (int64_t b : read_vec()) { T t = static_cast<long long>(b); put(nncc::raw(t)); }
}
template <class T> static void quant_float() {
  for (int64_t b : read_vec()) { T t = static_cast<float>(bits_to_double(b)); put(nncc::raw(t)); }
}
template <class T> static void quant_unsigned() {
  for (int64_t b : read_vec()) {
    T t1 = static_cast<unsigned long long>(b);
    T t2 = static_cast<unsigned>(b);
    put(nncc::raw(t1)); put(nncc::raw(t2));
  }
}
template <class T> static void quant_double() {
  for (int64_t b : read_vec()) { T t = bits_to_double(b); put(nncc::raw(t)); }
}
template <class S, class D> static void cast() {
  for (int64_t q : read_vec()) {
    const S s = nncc::from_raw<S>(q);
    const D d1(s);
    D d2;
    d2 = s;
    put(nncc::raw(d1)); put(nncc::raw(d2));
  }
}
template <class A, class B> static void arith() {
  const std::vector<int64_t> as = read_vec(), bs = read_vec(), ks = read_vec();
  put_type<decltype(A() * B())>(); put_type<decltype(A() + B())>();
  put_type<decltype(A() - B())>(); put_type<decltype(-A())>();
  for (size_t n = 0; n < as.size(); ++n) {
    const A a = nncc::from_raw<A>(as[n]);
    const B b = nncc::from_raw<B>(bs[n]);
    const int k = static_cast<int>(ks[n]);
    A acc_add = a, acc_sub = a, acc_mul = a;
    acc_add += b; acc_sub -= b; acc_mul *= b;
    put(nncc::raw(a * b)); put(nncc::raw(a + b)); put(nncc::raw(a - b)); put(nncc::raw(-a));
    put(nncc::raw(acc_add)); put(nncc::raw(acc_sub)); put(nncc::raw(acc_mul));
    put(nncc::raw(a << k)); put(nncc::raw(a >> k));
  }
}
template <class Acc, class X, class Wt> static void accum() {
  const std::vector<int64_t> init = read_vec(), xs = read_vec(), ws = read_vec();
  const size_t chains = init.size(), steps = xs.size() / chains;
  for (size_t c = 0; c < chains; ++c) {
    Acc acc = nncc::from_raw<Acc>(init[c]);
    for (size_t s = 0; s < steps; ++s) {
      const X x = nncc::from_raw<X>(xs[c * steps + s]);
      const Wt w = nncc::from_raw<Wt>(ws[c * steps + s]);
      if (s % 3 == 2) acc -= x * w; else acc += x * w;
      put(nncc::raw(acc));
    }
  }
}
template <class T> static void rawtrip() {
  for (int64_t r : read_vec()) {
    const T t = nncc::from_raw<T>(r);
    put(nncc::raw(t)); put(double_bits(t.to_double())); put(float_bits(t.to_float()));
    put(double_bits(static_cast<double>(t)));
  }
}
template <class A, class B> static void compare() {
  const std::vector<int64_t> as = read_vec(), bs = read_vec(), ks = read_vec(), ds = read_vec();
  for (size_t n = 0; n < as.size(); ++n) {
    const A a = nncc::from_raw<A>(as[n]);
    const B b = nncc::from_raw<B>(bs[n]);
    const int k = static_cast<int>(ks[n]);
    const double d = bits_to_double(ds[n]);
    put((a < b) | (a > b) << 1 | (a <= b) << 2 | (a >= b) << 3 | (a == b) << 4 | (a != b) << 5);
    put((a < k) | (a > k) << 1 | (a <= k) << 2 | (a >= k) << 3 | (a == k) << 4 | (a != k) << 5);
    put((k > a) | (k < a) << 1 | (k >= a) << 2 | (k <= a) << 3 | (k == a) << 4 | (k != a) << 5);
    put((a < d) | (a > d) << 1 | (a <= d) << 2 | (a >= d) << 3 | (a == d) << 4 | (a != d) << 5);
  }
}
"""


@dataclass
class Kind:
    """All cases of one kind: C++ calls, their inputs, and the expected output segments."""

    name: str
    calls: list[str] = field(default_factory=list)
    inputs: list[np.ndarray] = field(default_factory=list)
    expected: list[tuple[str, np.ndarray]] = field(default_factory=list)

    def case(self, call: str, inputs: list[np.ndarray], label: str, expected: np.ndarray) -> None:
        self.calls.append(call)
        self.inputs.extend(np.asarray(v, np.int64) for v in inputs)
        self.expected.append((label, np.asarray(expected, np.int64).ravel()))

    def input_text(self) -> str:
        return "".join(f"{len(v)}\n" + "\n".join(map(str, v.tolist())) + "\n" for v in self.inputs)


def as_bits(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float64).view(np.int64)
