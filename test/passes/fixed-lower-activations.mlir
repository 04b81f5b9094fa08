// RUN: nncc-opt %s -p fixed-lower-activations | filecheck %s
// RUN: nncc-opt %s -p 'fixed-lower-activations{mode=lut table_bits=4}' | filecheck %s --check-prefix=SMALL
// RUN: nncc-opt %s -p 'fixed-lower-activations{mode=pwl segments=4}' | filecheck %s --check-prefix=PWL
// RUN: nncc-opt %s -p 'fixed-lower-activations{mode=pwl segments=4 pot_slopes=true}' | filecheck %s --check-prefix=POT
// RUN: nncc-opt %s -p 'fixed-lower-activations{mode=taylor order=3}' | filecheck %s --check-prefix=TAYLOR

// Sigmoid on q<8, 4> inputs ([-8, 8), 4 fraction bits) to q<8, 1>.
// Default table: 2^10 bins of 1/64 over [-8, 8) (r = 4); the input has only 4 fraction
// bits, so the index is the raw value shifted left: shift = F + r - k = 4 + 4 - 10 = -2,
// offset = 8 * 2^(10 - 4) = 512. The error is the output's half LSB.
// CHECK-LABEL: func.func @sigmoid
// CHECK-NEXT:  %[[Y:.*]] = fixed.lut %x {fixed.approx = "lut{entries=1025}", fixed.approx_error = 0.0074555293649622989 : f64, function = "sigmoid", offset = 512 : i64, shift = -2 : i64, table = dense<"0x{{.*}}"> : tensor<1025xi8>} : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x4x!fixed.q<8, 1>>

// 2^4 bins of width 1: shift = 4 + 4 - 4 = 4, offset = 8; entries are the bins' minimax
// values (f(first) + f(last)) / 2 rounded to q<8, 1>.
// SMALL:       fixed.lut %x {fixed.approx = "lut{entries=17}", fixed.approx_error = 0.10938008427698437 : f64, function = "sigmoid", offset = 8 : i64, shift = 4 : i64, table = dense<[0, 0, 1, 2, 4, 10, 24, 48, 78, 103, 117, 124, 126, 127, 127, 127, 127]> : tensor<17xi8>}

// Evenly spaced chords through -8, -4, 0, 4, 8 would err by 0.141; breakpoints placed where
// sigmoid bends (-8, -1.7, 0, 1.7, 8: raw -128, -27, 0, 27, 127) with every segment centred on
// its error range err by 0.044, so those are kept (flat outside).
// PWL:         fixed.pwl %x {fixed.approx = "pwl{segments=4}", fixed.approx_error = 0.044355142802203151 : f64, breakpoints = dense<[-128, -27, 0, 27, 127]> : tensor<5xi64>, function = "sigmoid", intercept_type = !fixed.q<18, 1>, intercepts = dense<[44, 20523, 63731, 67341, 110464, 131025]> : tensor<6xi64>, overflow = #fixed<overflow sat>, rounding = #fixed<rounding rnd>, slope_type = !fixed.q<18, -1>, slopes = dense<[0, 12938, 106844, 106844, 13065, 0]> : tensor<6xi64>}

// Power-of-two slopes on the bend-placed segments (worst error 0.059, against 0.14 on even
// ones): the chords' 0.024 and 0.20 become 2^-5 and 2^-2, in q<18, 0> raw units 8192 and 65536.
// POT:         fixed.pwl %x {fixed.approx = "pwl{segments=4, pot_slopes}"{{.*}}breakpoints = dense<[-128, -27, 0, 27, 127]>{{.*}}slope_type = !fixed.q<18, 0>, slopes = dense<[0, 8192, 65536, 65536, 8192, 0]>

// 1/2 + x/4 - x^3/48 clamped where its error is smallest (|x| <= 2 here).
// TAYLOR:      fixed.poly %x {fixed.approx = "taylor{order=3}", fixed.approx_error = 0.16372714986953352 : f64, acc_type = !fixed.q<24, 2>, coeff_type = !fixed.q<18, 1>, coefficients = dense<[65536, 32768, 0, -2731]> : tensor<4xi64>, function = "sigmoid", max = 32 : i64, min = -32 : i64
func.func @sigmoid(%x: tensor<1x4x!fixed.q<8, 4>>) -> tensor<1x4x!fixed.q<8, 1>> {
  %y = fixed.activation %x {function = "sigmoid"} : tensor<1x4x!fixed.q<8, 4>> -> tensor<1x4x!fixed.q<8, 1>>
  func.return %y : tensor<1x4x!fixed.q<8, 1>>
}

// Log on q<6, 3>: a function with a floor of 0 spans [0, 4) only (shift = 3 + 2 - 4 = 1,
// offset 0); inputs <= 0 fall in the first bin, whose log(0) = -inf saturates to the most
// negative output (-128 = -8 in q<8, 4>); that bin is [0, 0.25), so log(0.125) = -2.08
// reads -8 too: the largest error, 5.92.
// CHECK-LABEL: func.func @log
// CHECK-NEXT:  fixed.lut %x {fixed.approx = "lut{entries=1025}"{{.*}}function = "log", offset = 0 : i64, shift = -5 : i64
// SMALL:       fixed.lut %x {fixed.approx = "lut{entries=17}", fixed.approx_error = 5.9205584583201638 : f64, function = "log", offset = 0 : i64, shift = 1 : i64, table = dense<[-128, -19, -9, -3, 1, 4, 7, 10, 12, 13, 15, 17, 18, 19, 20, 21, 22]> : tensor<17xi8>}
// PWL:         fixed.pwl %x {fixed.approx = "pwl{segments=4}"{{.*}}breakpoints = dense<[0, 8, 16, 24, 31]> : tensor<5xi64>, function = "log"
func.func @log(%x: tensor<1x4x!fixed.q<6, 3>>) -> tensor<1x4x!fixed.q<8, 4>> {
  %y = fixed.activation %x {function = "log"} : tensor<1x4x!fixed.q<6, 3>> -> tensor<1x4x!fixed.q<8, 4>>
  func.return %y : tensor<1x4x!fixed.q<8, 4>>
}

// Pow by -1/2 (a parameter): floor 0 as well; 0^-0.5 = inf saturates to the largest output
// (127). Functions without a Taylor form use a table in taylor mode.
// CHECK-LABEL: func.func @pow
// SMALL:       fixed.lut %x {fixed.approx = "lut{entries=17}"{{.*}}function = "pow", offset = 0 : i64, shift = 1 : i64, table = dense<[127, 29, 21, 18, 16, 14, 13, 12, 11, 11, 10, 10, 9, 9, 8, 8, 8]> : tensor<17xi8>}
// TAYLOR:      fixed.lut %x {fixed.approx = "lut{entries=1025}"{{.*}}function = "pow"
func.func @pow(%x: tensor<1x4x!fixed.q<6, 3>>) -> tensor<1x4x!fixed.q<8, 4>> {
  %y = fixed.activation %x {function = "pow", params = array<f64: -0.5>} : tensor<1x4x!fixed.q<6, 3>> -> tensor<1x4x!fixed.q<8, 4>>
  func.return %y : tensor<1x4x!fixed.q<8, 4>>
}
