// nncc_blob.h: C-simulation only. Large constant tables are also emitted as base64 text,
// which g++ parses ~20x faster than the equivalent list of integer literals; this decodes
// them once at start-up. Synthesis (and -DNNCC_INTEGER_WEIGHTS) uses the integer lists.
#ifndef NNCC_BLOB_H
#define NNCC_BLOB_H

#include <cstdint>
#include <cstring>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nncc_blob.h: base64 tables are little-endian; build with -DNNCC_INTEGER_WEIGHTS"
#endif

namespace nncc {

/// Decode `count` little-endian values of type T from base64 `text` into `out`.
template <class T>
inline bool decode_base64(const char* text, T* out, long count) {
  static const signed char table[256] = {
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63, 52, 53, 54, 55,
      56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1, -1, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
      13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1, -1, 26, 27, 28, 29, 30, 31, 32,
      33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
      -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  unsigned char* bytes = reinterpret_cast<unsigned char*>(out);
  const long total = count * static_cast<long>(sizeof(T));
  long n = 0;
  unsigned int acc = 0;
  int bits = 0;
  for (const char* p = text; *p && n < total; ++p) {
    const int v = table[static_cast<unsigned char>(*p)];
    if (v < 0) continue;  // padding or separators
    acc = (acc << 6) | static_cast<unsigned int>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = static_cast<unsigned char>((acc >> bits) & 0xFF);
    }
  }
  return n == total;
}

}  // namespace nncc

#endif  // NNCC_BLOB_H
