// nncc_csim.h: C-simulation only (never synthesized). The fast path of nncc_run_batch runs
// blocks of kLanes samples layer by layer; a dense layer whose sums are exact in double
// precision (every partial sum of raw products below 2^53, checked by the emitter from the
// widths) computes them for the whole block at once here: the raw integers as doubles,
// kRows outputs x kLanes samples per pass, vectorized (an AVX+FMA clone is chosen at load time
// where the CPU has it). Every product and partial sum is an integer below 2^53, so the
// result is the exact integer sum whatever the order or fusion of the operations.
#ifndef NNCC_CSIM_H
#define NNCC_CSIM_H

#include <cstdint>

namespace nncc {

constexpr int kLanes = 8;  // samples per block
constexpr int kRows = 4;   // outputs per pass of the dense kernel

typedef double lanes4 __attribute__((vector_size(32)));

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define NNCC_CLONES __attribute__((target_clones("fma", "default")))
#else
#define NNCC_CLONES
#endif
#if defined(__GNUC__)
#define NNCC_MAYBE_UNUSED __attribute__((unused))  // a stream design's C++ has no block path
#else
#define NNCC_MAYBE_UNUSED
#endif

/// acc[j * kLanes + b] = sum_i w[j * inner + i] * xt[i * kLanes + b] for j < cols, b < kLanes.
/// xt and acc must be 32-byte aligned. Four outputs x eight samples per pass, in eight named
/// accumulators (so that they stay in registers).
NNCC_CLONES NNCC_MAYBE_UNUSED static void dense_lanes(const double* w, const double* xt, double* acc, long cols, long inner) {
  static_assert(kLanes == 8 && kRows == 4, "nncc_csim.h: dense_lanes is written for 4 x 8");
  long j = 0;
  for (; j + kRows <= cols; j += kRows) {
    const double* w0 = w + j * inner;
    const double* w1 = w0 + inner;
    const double* w2 = w1 + inner;
    const double* w3 = w2 + inner;
    lanes4 a00 = {}, a01 = {}, a10 = {}, a11 = {}, a20 = {}, a21 = {}, a30 = {}, a31 = {};
    for (long i = 0; i < inner; i++) {
      const lanes4 x0 = *reinterpret_cast<const lanes4*>(xt + i * kLanes);
      const lanes4 x1 = *reinterpret_cast<const lanes4*>(xt + i * kLanes + 4);
      a00 += w0[i] * x0;
      a01 += w0[i] * x1;
      a10 += w1[i] * x0;
      a11 += w1[i] * x1;
      a20 += w2[i] * x0;
      a21 += w2[i] * x1;
      a30 += w3[i] * x0;
      a31 += w3[i] * x1;
    }
    lanes4* out = reinterpret_cast<lanes4*>(acc + j * kLanes);
    out[0] = a00;
    out[1] = a01;
    out[2] = a10;
    out[3] = a11;
    out[4] = a20;
    out[5] = a21;
    out[6] = a30;
    out[7] = a31;
  }
  for (; j < cols; j++) {
    lanes4 a0 = {}, a1 = {};
    for (long i = 0; i < inner; i++) {
      a0 += w[j * inner + i] * *reinterpret_cast<const lanes4*>(xt + i * kLanes);
      a1 += w[j * inner + i] * *reinterpret_cast<const lanes4*>(xt + i * kLanes + 4);
    }
    lanes4* out = reinterpret_cast<lanes4*>(acc + j * kLanes);
    out[0] = a0;
    out[1] = a1;
  }
}

/// A copy of `count` raw integers as doubles (exact below 2^53), kept for the program's life.
template <class T>
inline const double* to_doubles(const T* raw, long count) {
  double* out = new double[count];
  for (long i = 0; i < count; i++) out[i] = static_cast<double>(raw[i]);
  return out;
}

}  // namespace nncc

#endif  // NNCC_CSIM_H
