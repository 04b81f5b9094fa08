// nncc_support.h: helpers for nncc's generated C++, working with either ap_fixed implementation.
//
// Include ONE of <ap_fixed.h> (Xilinx ap_types / Vitis HLS) or "nncc_ap_fixed.h" (nncc's own
// subset) first, then this file. It includes neither.
//
//   int64_t nncc::raw(const ap_fixed<W, I, Q, O, N>& x)
//       The raw two's-complement value of x (x == raw * 2^-(W-I)), sign-extended to 64 bits.
//       W <= 64. With the Xilinx headers it also takes any signed ap_fixed_base (e.g. -x).
//   T nncc::from_raw<T>(int64_t r)
//       The T = ap_fixed<W, I, ...> whose raw bits are the low W bits of r (no quantization,
//       no saturation: from_raw<T>(raw(x)) == x).
//   nncc::word32, int nncc::popcount32(word32 v)
//       A packed word of 32 bits (ap_uint<32> with the Xilinx headers, uint32_t with nncc's
//       subset) and the number of its set bits (XNOR-popcount layers).
#ifndef NNCC_SUPPORT_H
#define NNCC_SUPPORT_H

#include <cstdint>

#if defined(NNCC_AP_FIXED_H)  // nncc's own subset

namespace nncc {

template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
constexpr int64_t raw(const ap_fixed<W, I, Q, O, N>& x) {
  return x.raw_value();
}

template <class T>
constexpr T from_raw(int64_t r) {
  return T::from_raw_value(r);
}

typedef uint32_t word32;

inline int popcount32(word32 v) {
  return __builtin_popcount(v);
}

}  // namespace nncc

#elif defined(__AP_FIXED_H__)  // Xilinx ap_types (hls4ml's copy, Vitis HLS)

namespace nncc {

/// Low W bits through .range(), which also works in synthesis, then sign extension.
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline int64_t raw(const ap_fixed_base<W, I, true, Q, O, N>& x) {
  static_assert(W >= 1 && W <= 64, "nncc::raw needs W <= 64");
  const uint64_t u = static_cast<uint64_t>(x.range(W - 1, 0).to_uint64());
  if (W == 64) return static_cast<int64_t>(u);
  return static_cast<int64_t>(u << ((64 - W) & 63)) >> ((64 - W) & 63);
}

template <class T>
inline T from_raw(int64_t r) {
  static_assert(T::width >= 1 && T::width <= 64, "nncc::from_raw needs W <= 64");
  T t;
  t.range(T::width - 1, 0) = static_cast<ap_ulong>(static_cast<uint64_t>(r));
  return t;
}

typedef ap_uint<32> word32;

/// A sum of the 32 bits (HLS builds an adder tree).
inline int popcount32(const word32& v) {
  int count = 0;
  for (int i = 0; i < 32; i++) count += v[i] ? 1 : 0;
  return count;
}

}  // namespace nncc

#else
#error "nncc_support.h: include <ap_fixed.h> (Xilinx) or \"nncc_ap_fixed.h\" first"
#endif

#endif  // NNCC_SUPPORT_H
