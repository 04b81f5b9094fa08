// nncc_ap_fixed.h: nncc's own header-only subset of Xilinx's `ap_fixed` (ap_types).
//
// The C++ that nncc emits uses `ap_fixed<W, I, Q, O>` so that it builds under Vitis HLS and with
// the Xilinx ap_types headers. For plain g++ (no vendor headers) it can include this file
// instead: same names, same results bit for bit (checked against the Xilinx headers and against
// nncc.runtime.fixed_math by test/unit/test_ap_fixed_header.py), a fraction of the compile time.
//
// Semantics (the README's "Fixed point" section): a value of `ap_fixed<W, I>` is a signed
// two's-complement integer q of W bits standing for q * 2^-F, F = W - I (I may exceed W, or be
// zero or negative). Storage is one int64_t, always kept in [-2^(W-1), 2^(W-1) - 1].
//
// Supported subset (everything constexpr, no heap, no virtual):
//   - signed `ap_fixed` only, 1 <= W <= 64, N = 0;
//   - quantization AP_TRN (toward minus infinity) and AP_RND (half up, toward plus infinity);
//     overflow AP_WRAP (keep the low W bits) and AP_SAT (clamp); other modes: static_assert;
//   - construction from double/float (exact for every finite value), from any C++ integer, and
//     from any other ap_fixed: the exact value, then this type's Q and O (like Xilinx);
//   - a * b -> ap_fixed<W1 + W2, I1 + I2>;
//     a + b, a - b -> ap_fixed<max(I1, I2) + 1 + max(F1, F2), max(I1, I2) + 1>;
//     -a -> ap_fixed<W + 1, I + 1>;
//     all exact with the default AP_TRN, AP_WRAP (like Xilinx; Xilinx's -a is an
//     ap_fixed_base of the same width); the result must fit in 64 bits (static_assert);
//   - a += b, a -= b, a *= b: exact result, then a's Q and O (like Xilinx);
//   - a << n, a >> n (int n, negative reverses): same type, raw bits shifted, the left shift
//     wraps, no quantization or saturation (like Xilinx);
//   - comparisons between any two ap_fixed and with C++ integers (exact), with double
//     (through to_double(), like Xilinx);
//   - to_double(), to_float(): round half to even (like Xilinx); explicit operator double/float.
// Raw bits: use nncc::raw / nncc::from_raw from nncc_support.h (works with both headers).
#ifndef NNCC_AP_FIXED_H
#define NNCC_AP_FIXED_H

#include <cstdint>
#include <type_traits>

#if defined(__AP_FIXED_H__) || defined(__AP_DECL_H__)
#error "nncc_ap_fixed.h and the Xilinx ap_fixed.h cannot be used in the same translation unit"
#endif

/// Quantization modes (same names and order as Xilinx's ap_decl.h).
enum ap_q_mode {
  AP_RND,          // round half toward plus infinity
  AP_RND_ZERO,     // round half toward zero (not supported here)
  AP_RND_MIN_INF,  // round half toward minus infinity (not supported here)
  AP_RND_INF,      // round half away from zero (not supported here)
  AP_RND_CONV,     // round half to even (not supported here)
  AP_TRN,          // truncate toward minus infinity
  AP_TRN_ZERO,     // truncate toward zero (not supported here)
};

/// Overflow modes (same names and order as Xilinx's ap_decl.h).
enum ap_o_mode {
  AP_SAT,       // saturate
  AP_SAT_ZERO,  // zero on overflow (not supported here)
  AP_SAT_SYM,   // symmetric saturation (not supported here)
  AP_WRAP,      // wrap around: keep the low W bits
  AP_WRAP_SM,   // sign-magnitude wrap (not supported here)
};

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
struct ap_fixed;

namespace nncc_apfx {

/// 2^e as a double, exact for -1074 <= e <= 1023 (usable in constant expressions).
constexpr double pow2(int e) {
  double r = 1.0;
  for (; e > 0; --e) r *= 2.0;
  for (; e < 0; ++e) r *= 0.5;
  return r;
}

constexpr int imax(int a, int b) { return a > b ? a : b; }

/// Smallest and largest raw value of a signed W-bit word.
template <int W>
struct limits {
  static constexpr int64_t hi = static_cast<int64_t>((uint64_t{1} << (W - 1)) - 1);
  static constexpr int64_t lo = -hi - 1;
};

/// The low W bits of u, read as a signed W-bit number.
template <int W>
constexpr int64_t wrap_u(uint64_t u) {
  if (W == 64) return static_cast<int64_t>(u);
  return static_cast<int64_t>(u << ((64 - W) & 63)) >> ((64 - W) & 63);
}

/// a << s (0 <= s < 64) without undefined behaviour for negative a.
constexpr int64_t shl(int64_t a, int s) { return static_cast<int64_t>(static_cast<uint64_t>(a) << (s & 63)); }

/// An exact integer brought into W bits by wrapping or saturating.
template <int W, ap_o_mode O>
constexpr int64_t fit(int64_t v) {
  if (O == AP_SAT) return v < limits<W>::lo ? limits<W>::lo : (v > limits<W>::hi ? limits<W>::hi : v);
  return wrap_u<W>(static_cast<uint64_t>(v));
}

/// q * 2^-s rounded to an integer (s >= 1): floor (AP_TRN) or floor(. + 1/2) (AP_RND).
/// Exact and overflow-free for every int64 q.
template <ap_q_mode Q>
constexpr int64_t shr_round(int64_t q, int s) {
  if (s >= 64) return (Q == AP_TRN && q < 0) ? -1 : 0;
  int64_t t = q >> s;
  if (Q == AP_RND) t += (q >> (s - 1)) & 1;
  return t;
}

/// Raw q with F2 fractional bits -> raw of W bits with F fractional bits, rounding Q, overflow O.
template <int W, int F, ap_q_mode Q, ap_o_mode O>
constexpr int64_t cast_raw(int64_t q, int F2) {
  if (F2 >= F) return fit<W, O>(F2 == F ? q : shr_round<Q>(q, F2 - F));
  const int s = F - F2;  // exact left shift: only overflow can happen
  if (O == AP_WRAP) return s >= 64 ? 0 : wrap_u<W>(static_cast<uint64_t>(q) << s);
  if (q == 0) return 0;
  if (s >= W) return q > 0 ? limits<W>::hi : limits<W>::lo;
  if (q > (limits<W>::hi >> s)) return limits<W>::hi;
  if (q < (limits<W>::lo >> s)) return limits<W>::lo;
  return shl(q, s);
}

/// Unsigned integer u (0 fractional bits) -> raw of W bits with F fractional bits, Q, O.
template <int W, int F, ap_q_mode Q, ap_o_mode O>
constexpr int64_t cast_u64(uint64_t u) {
  if (u <= static_cast<uint64_t>(INT64_MAX)) return cast_raw<W, F, Q, O>(static_cast<int64_t>(u), 0);
  if (F >= 0) {  // u >= 2^63 shifted left: always out of range
    if (O == AP_SAT) return limits<W>::hi;
    return F >= 64 ? 0 : wrap_u<W>(u << (F & 63));
  }
  const int s = -F;  // rounding right shift; the result is at most 2^63
  uint64_t t = s >= 64 ? 0 : (u >> (s & 63));
  if (Q == AP_RND && s <= 64) t += (u >> ((s - 1) & 63)) & 1;
  if (O == AP_SAT) return t > static_cast<uint64_t>(limits<W>::hi) ? limits<W>::hi : static_cast<int64_t>(t);
  return wrap_u<W>(t);
}

/// floor(y) of a double, exact (|y| >= 2^52 is already an integer).
constexpr double floor_d(double y) {
  if (y >= 4503599627370496.0 || y <= -4503599627370496.0) return y;
  const int64_t n = static_cast<int64_t>(y);  // toward zero
  return static_cast<double>(static_cast<double>(n) > y ? n - 1 : n);
}

/// Double x -> raw of W bits with F fractional bits (scale = 2^F), rounding Q, overflow O.
/// Exact for every finite x: x * 2^F is split into floor and remainder without an intermediate
/// rounding. NaN gives 0; +-inf saturate (AP_SAT) or give 0 (AP_WRAP).
template <int W, int F, ap_q_mode Q, ap_o_mode O>
constexpr int64_t cast_double(double x, double scale) {
  if (x != x) return 0;
  const double y = x * scale;  // exact unless it leaves the normal range (handled below)
  const double big = 4611686018427387904.0;  // 2^62
  if (y > -big && y < big) {
    if (y == 0.0) return (Q == AP_TRN && x < 0.0) ? fit<W, O>(-1) : 0;  // x * 2^F underflowed
    const double f = floor_d(y);
    int64_t q = static_cast<int64_t>(f);
    if (Q == AP_RND && y - f >= 0.5) ++q;  // y - f is exact
    return fit<W, O>(q);
  }
  if (O == AP_SAT) {  // |y| >= 2^62 is an integer, inside int64 if -2^63 <= y < 2^63
    if (y >= pow2(W - 1)) return limits<W>::hi;
    if (y < -pow2(W - 1)) return limits<W>::lo;
    return static_cast<int64_t>(y);
  }
  if (y - y != 0.0) return 0;  // x * 2^F beyond the double range: its low 64 bits are 0
  // |y| >= 2^62 is an integer: reduce |y| modulo 2^64 (exact: |y| < 2^64, or its last 12+ bits
  // are zero so the remainder needs at most 52 bits), then negate modulo 2^64 if y < 0.
  const double two64 = 18446744073709551616.0;
  const double a = y < 0.0 ? -y : y;
  const double r = a - floor_d(a / two64) * two64;  // in [0, 2^64)
  const uint64_t u = r >= two64 ? 0 : static_cast<uint64_t>(r);
  return wrap_u<W>(y < 0.0 ? 0 - u : u);
}

/// Sign of a * 2^d - b for d >= 1 (exact, no overflow).
constexpr int cmp_shifted(int64_t a, int64_t b, int d) {
  const int64_t hb = d >= 64 ? (b < 0 ? -1 : 0) : (b >> d);  // floor(b / 2^d)
  if (a != hb) return a < hb ? -1 : 1;
  const bool rem = d >= 64 ? b != 0 : (static_cast<uint64_t>(b) & (~uint64_t{0} >> ((64 - d) & 63))) != 0;
  return rem ? -1 : 0;
}

/// Sign of a * 2^-Fa - b * 2^-Fb (exact).
constexpr int cmp(int64_t a, int Fa, int64_t b, int Fb) {
  if (Fa == Fb) return a < b ? -1 : (a > b ? 1 : 0);
  if (Fa < Fb) return cmp_shifted(a, b, Fb - Fa);
  return -cmp_shifted(b, a, Fa - Fb);
}

/// Sign of a * 2^-Fa - x for a C++ integer x (exact).
template <class T>
constexpr int cmp_int(int64_t a, int Fa, T x) {
  if (std::is_signed<T>::value || static_cast<uint64_t>(x) <= static_cast<uint64_t>(INT64_MAX))
    return cmp(a, Fa, static_cast<int64_t>(x), 0);
  const uint64_t u = static_cast<uint64_t>(x);  // >= 2^63: compare with u / 2, then its last bit
  const int c = cmp(a, Fa, static_cast<int64_t>(u >> 1), -1);
  return c != 0 ? c : ((u & 1) ? -1 : 0);
}

/// Result types of a op b (Xilinx's ap_fixed_base::RType for two signed operands).
template <int W1, int I1, int W2, int I2>
struct rtype {
  static constexpr int F1 = W1 - I1, F2 = W2 - I2;
  static constexpr int plus_i = imax(I1, I2) + 1;
  static constexpr int plus_f = imax(F1, F2);
  static constexpr int plus_w = plus_i + plus_f;
  static constexpr int mult_w = W1 + W2;
  static constexpr int mult_i = I1 + I2;
};

struct raw_tag {};

template <class T>
using enable_if_integer = typename std::enable_if<std::is_integral<T>::value, int>::type;

}  // namespace nncc_apfx

/// Signed fixed-point number: W bits, I of them integer bits (sign included), F = W - I.
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
struct ap_fixed {
  static_assert(W >= 1 && W <= 64, "nncc_ap_fixed.h: ap_fixed width W must be in [1, 64]");
  static_assert(Q == AP_TRN || Q == AP_RND,
                "nncc_ap_fixed.h supports only AP_TRN and AP_RND quantization "
                "(use the Xilinx ap_types headers for other modes)");
  static_assert(O == AP_WRAP || O == AP_SAT,
                "nncc_ap_fixed.h supports only AP_WRAP and AP_SAT overflow "
                "(use the Xilinx ap_types headers for other modes)");
  static_assert(N == 0, "nncc_ap_fixed.h supports only N = 0 saturation bits");
  static_assert(W - I >= -1000 && W - I <= 1000, "nncc_ap_fixed.h: W - I must be in [-1000, 1000]");

  static constexpr int width = W;
  static constexpr int iwidth = I;
  static constexpr ap_q_mode qmode = Q;
  static constexpr ap_o_mode omode = O;

  // --- construction ---------------------------------------------------------------------------
  constexpr ap_fixed() : v_(0) {}
  constexpr ap_fixed(const ap_fixed&) = default;
  constexpr ap_fixed& operator=(const ap_fixed&) = default;

  /// From any other ap_fixed: the exact value, then this type's Q and O (like Xilinx).
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>
  constexpr ap_fixed(const ap_fixed<W2, I2, Q2, O2, N2>& op)
      : v_(nncc_apfx::cast_raw<W, W - I, Q, O>(op.v_, W2 - I2)) {}

  /// From double (and float): the exact value, then Q and O.
  constexpr ap_fixed(double x) : v_(nncc_apfx::cast_double<W, W - I, Q, O>(x, kScale)) {}
  constexpr ap_fixed(float x) : ap_fixed(static_cast<double>(x)) {}

  /// From any C++ integer (0 fractional bits), then Q and O.
  template <class T, nncc_apfx::enable_if_integer<T> = 0>
  constexpr ap_fixed(T x)
      : v_(std::is_signed<T>::value ? nncc_apfx::cast_raw<W, W - I, Q, O>(static_cast<int64_t>(x), 0)
                                    : nncc_apfx::cast_u64<W, W - I, Q, O>(static_cast<uint64_t>(x))) {}

  // --- raw bits (prefer nncc::raw / nncc::from_raw from nncc_support.h) -----------------------
  /// The raw two's-complement value, sign-extended to 64 bits.
  constexpr int64_t raw_value() const { return v_; }
  /// The value whose raw bits are the low W bits of r.
  static constexpr ap_fixed from_raw_value(int64_t r) {
    return ap_fixed(nncc_apfx::wrap_u<W>(static_cast<uint64_t>(r)), nncc_apfx::raw_tag{});
  }

  // --- to floating point: round half to even (exact for W <= 53), like Xilinx -----------------
  constexpr double to_double() const { return static_cast<double>(v_) * kInvScale; }
  constexpr float to_float() const {
    return static_cast<float>(static_cast<double>(static_cast<float>(v_)) * kInvScale);
  }
  explicit constexpr operator double() const { return to_double(); }
  explicit constexpr operator float() const { return to_float(); }

  // --- arithmetic: exact, full-precision results with AP_TRN, AP_WRAP (like Xilinx) -----------
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>
  constexpr ap_fixed<W + W2, I + I2> operator*(const ap_fixed<W2, I2, Q2, O2, N2>& b) const {
    static_assert(W + W2 <= 64, "nncc_ap_fixed.h: a * b needs W1 + W2 <= 64");
    return ap_fixed<W + W2, I + I2>(v_ * b.v_, nncc_apfx::raw_tag{});
  }

#define NNCC_APFX_ADDSUB(OP)                                                                         \
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>                                      \
  constexpr ap_fixed<nncc_apfx::rtype<W, I, W2, I2>::plus_w, nncc_apfx::rtype<W, I, W2, I2>::plus_i> \
  operator OP(const ap_fixed<W2, I2, Q2, O2, N2>& b) const {                                         \
    using R = nncc_apfx::rtype<W, I, W2, I2>;                                                        \
    static_assert(R::plus_w <= 64, "nncc_ap_fixed.h: a + b, a - b need max(I1, I2) + 1 + max(F1, F2) <= 64"); \
    return ap_fixed<R::plus_w, R::plus_i>(                                                           \
        nncc_apfx::shl(v_, R::plus_f - R::F1) OP nncc_apfx::shl(b.v_, R::plus_f - R::F2), nncc_apfx::raw_tag{});  \
  }
  NNCC_APFX_ADDSUB(+)
  NNCC_APFX_ADDSUB(-)
#undef NNCC_APFX_ADDSUB

  constexpr ap_fixed operator+() const { return *this; }
  constexpr ap_fixed<W + 1, I + 1> operator-() const {
    static_assert(W + 1 <= 64, "nncc_ap_fixed.h: -a needs W + 1 <= 64");
    return ap_fixed<W + 1, I + 1>(-v_, nncc_apfx::raw_tag{});
  }

  /// Compound assignment: the exact result, then this type's Q and O (like Xilinx).
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>
  constexpr ap_fixed& operator+=(const ap_fixed<W2, I2, Q2, O2, N2>& b) { return *this = *this + b; }
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>
  constexpr ap_fixed& operator-=(const ap_fixed<W2, I2, Q2, O2, N2>& b) { return *this = *this - b; }
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>
  constexpr ap_fixed& operator*=(const ap_fixed<W2, I2, Q2, O2, N2>& b) { return *this = *this * b; }

  // --- shifts: same type, raw bits moved, left shift wraps (like Xilinx) ----------------------
  constexpr ap_fixed operator<<(int sh) const {
    return sh < 0 ? shift_right(0u - static_cast<unsigned>(sh)) : shift_left(static_cast<unsigned>(sh));
  }
  constexpr ap_fixed operator>>(int sh) const {
    return sh < 0 ? shift_left(0u - static_cast<unsigned>(sh)) : shift_right(static_cast<unsigned>(sh));
  }
  constexpr ap_fixed& operator<<=(int sh) { return *this = *this << sh; }
  constexpr ap_fixed& operator>>=(int sh) { return *this = *this >> sh; }

  // --- comparisons: exact with ap_fixed and integers, through to_double() with double ---------
#define NNCC_APFX_CMP(OP)                                                                            \
  template <int W2, int I2, ap_q_mode Q2, ap_o_mode O2, int N2>                                      \
  constexpr bool operator OP(const ap_fixed<W2, I2, Q2, O2, N2>& b) const {                          \
    return nncc_apfx::cmp(v_, W - I, b.v_, W2 - I2) OP 0;                                            \
  }                                                                                                  \
  template <class T, nncc_apfx::enable_if_integer<T> = 0>                                            \
  friend constexpr bool operator OP(const ap_fixed& a, T b) {                                        \
    return nncc_apfx::cmp_int(a.v_, W - I, b) OP 0;                                                  \
  }                                                                                                  \
  template <class T, nncc_apfx::enable_if_integer<T> = 0>                                            \
  friend constexpr bool operator OP(T a, const ap_fixed& b) {                                        \
    return 0 OP nncc_apfx::cmp_int(b.v_, W - I, a);                                                  \
  }                                                                                                  \
  friend constexpr bool operator OP(const ap_fixed& a, double b) { return a.to_double() OP b; }       \
  friend constexpr bool operator OP(double a, const ap_fixed& b) { return a OP b.to_double(); }
  NNCC_APFX_CMP(<)
  NNCC_APFX_CMP(>)
  NNCC_APFX_CMP(<=)
  NNCC_APFX_CMP(>=)
  NNCC_APFX_CMP(==)
  NNCC_APFX_CMP(!=)
#undef NNCC_APFX_CMP

 private:
  template <int, int, ap_q_mode, ap_o_mode, int>
  friend struct ap_fixed;
  /// r must already be in the W-bit range.
  constexpr ap_fixed(int64_t r, nncc_apfx::raw_tag) : v_(r) {}

  static constexpr double kScale = nncc_apfx::pow2(W - I);     // 2^F
  static constexpr double kInvScale = nncc_apfx::pow2(I - W);  // 2^-F

  constexpr ap_fixed shift_left(unsigned sh) const {
    return from_raw_value(sh >= static_cast<unsigned>(W) ? 0 : nncc_apfx::shl(v_, static_cast<int>(sh)));
  }
  constexpr ap_fixed shift_right(unsigned sh) const {
    return ap_fixed(sh >= static_cast<unsigned>(W) ? (v_ < 0 ? -1 : 0) : (v_ >> sh), nncc_apfx::raw_tag{});
  }

  int64_t v_;
};

#endif  // NNCC_AP_FIXED_H
