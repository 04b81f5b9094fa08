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
constexpr int kVectors = kLanes / 4;

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define NNCC_CLONES __attribute__((target_clones("fma", "default")))
#else
#define NNCC_CLONES
#endif

/// acc[j * kLanes + b] = sum_i w[j * inner + i] * xt[i * kLanes + b] for j < cols, b < kLanes.
/// xt and acc must be 32-byte aligned.
NNCC_CLONES static void dense_lanes(const double* w, const double* xt, double* acc, long cols, long inner) {
  long j = 0;
  for (; j + kRows <= cols; j += kRows) {
    lanes4 a[kRows][kVectors] = {};
    for (long i = 0; i < inner; i++) {
      const lanes4* x = reinterpret_cast<const lanes4*>(xt + i * kLanes);
      for (int r = 0; r < kRows; r++) {
        const double u = w[(j + r) * inner + i];
        for (int k = 0; k < kVectors; k++) a[r][k] += u * x[k];
      }
    }
    for (int r = 0; r < kRows; r++) {
      for (int k = 0; k < kVectors; k++) reinterpret_cast<lanes4*>(acc + (j + r) * kLanes)[k] = a[r][k];
    }
  }
  for (; j < cols; j++) {
    lanes4 a[kVectors] = {};
    for (long i = 0; i < inner; i++) {
      const lanes4* x = reinterpret_cast<const lanes4*>(xt + i * kLanes);
      for (int k = 0; k < kVectors; k++) a[k] += w[j * inner + i] * x[k];
    }
    for (int k = 0; k < kVectors; k++) reinterpret_cast<lanes4*>(acc + j * kLanes)[k] = a[k];
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
