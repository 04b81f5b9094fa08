"""Non-linear operations of the `fixed` dialect: clamps, piecewise functions, and the
ideal activations that `fixed-lower-activations` replaces by tables, segments or
polynomials."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, DenseArrayBase, DenseIntOrFPElementsAttr, Float64Type, IntegerAttr, IntegerType, StringAttr, TensorType, f64, i64
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects import unary_functions
from nncc.dialects.dense import from_dense
from nncc.dialects.fixed.common import FIXED_TENSOR, expect_equal, expect_raw_fits, fixed_of, shape_of, sorted_props
from nncc.dialects.fixed import semantics as fm
from nncc.dialects.fixed.types import FixedType, OverflowAttr, RoundingAttr, product_type
from nncc.dialects.interfaces import ElementFunction, ElementKernel, Elementwise, FixedSemantics


# ---------------------------------------------------------------------------------------
# piecewise ops


@irdl_op_definition
class ClampOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    """Clamp raw values to [min, max] (bounds in the operand's raw units); same type.

    Example: `%y = fixed.clamp %x {max = 6144 : i64, min = 0 : i64} : tensor<1x8x!fixed.q<16, 6>>`
    """

    name = "fixed.clamp"
    T: ClassVar = VarConstraint("T", FIXED_TENSOR)
    input = operand_def(T)
    output = result_def(T)
    min = prop_def(IntegerAttr[I64])
    max = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, lo: int, hi: int):
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties=sorted_props({"min": IntegerAttr(lo, i64), "max": IntegerAttr(hi, i64)}),
        )

    def verify_(self) -> None:
        if self.min.value.data > self.max.value.data:
            raise VerifyException(f"fixed.clamp: min {self.min.value.data} is greater than max {self.max.value.data}")

    def evaluate_fixed(self, args, batch):
        return np.clip(args[0], self.min.value.data, self.max.value.data)

    def element_function(self) -> ElementFunction:
        return ElementFunction("clamp", low=self.min.value.data, high=self.max.value.data)


@irdl_op_definition
class DeadZoneOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    """Zero every raw value whose magnitude is below ``threshold`` (in the operand's raw units,
    >= 0); same type: y = x if |x| >= threshold else 0. A delta network's change detector
    (threshold 0 keeps every value).

    Example: `%y = fixed.dead_zone %d {threshold = 8 : i64} : tensor<1x8x!fixed.q<17, 2>>`
    """

    name = "fixed.dead_zone"
    T: ClassVar = VarConstraint("T", FIXED_TENSOR)
    input = operand_def(T)
    output = result_def(T)
    threshold = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input)"

    def __init__(self, input: SSAValue, threshold: int):
        super().__init__(operands=[input], result_types=[input.type],
                         properties={"threshold": IntegerAttr(int(threshold), i64)})

    def verify_(self) -> None:
        limit = 1 << (fixed_of(self.input).width.data - 1)
        if not 0 <= self.threshold.value.data < limit:
            raise VerifyException(f"fixed.dead_zone: threshold {self.threshold.value.data} is not in [0, {limit}) "
                                  f"(the operand's raw range)")

    def evaluate_fixed(self, args, batch):
        x = args[0]
        return np.where(np.abs(x) >= self.threshold.value.data, x, 0)

    def element_function(self) -> ElementFunction:
        return ElementFunction("dead_zone", low=self.threshold.value.data)


@irdl_op_definition
class LeakyReluOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    """x if x >= 0 else cast(x * alpha) to x's type (`rounding`, saturating).

    Example: `%y = fixed.leaky_relu %x, %alpha {rounding = #fixed<rounding rnd>} : (tensor<1x8x!fixed.q<16, 6>>,
    tensor<!fixed.q<16, 0>>) -> tensor<1x8x!fixed.q<16, 6>>`
    """

    name = "fixed.leaky_relu"
    input = operand_def(TensorType)
    alpha = operand_def(TensorType)
    output = result_def(TensorType)
    rounding = prop_def(RoundingAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `,` $alpha attr-dict `:` functional-type(operands, results)"

    def __init__(self, input: SSAValue, alpha: SSAValue, rounding: RoundingAttr):
        super().__init__(operands=[input, alpha], result_types=[input.type], properties={"rounding": rounding})

    def verify_(self) -> None:
        expect_equal(self, "result type", self.output.type, self.input.type)
        expect_equal(self, "alpha shape", shape_of(self.alpha), ())
        fixed_of(self.alpha)

    def evaluate_fixed(self, args, batch):
        x, alpha = args
        t, a = fixed_of(self.input), fixed_of(self.alpha)
        negative = fm.cast(x * alpha, t.frac + a.frac, t.width.data, t.frac, self.rounding.data.value, "sat")
        return np.where(x >= 0, x, negative)

    def element_function(self) -> ElementFunction:
        return ElementFunction("leaky_relu", self.rounding.data.value, "sat", scale=self.alpha)


@irdl_op_definition
class LutOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    """Table lookup: i = clamp((raw(x) >> shift) + offset, 0, N - 1), y = table[i] (raw).

    A negative shift is a left shift. The table holds raw values of the result type.
    Example: `%y = fixed.lut %x {offset = 512 : i64, shift = 4 : i64, table = dense<...> : tensor<1024xi32>,
    function = "sigmoid"} : tensor<1x8x!fixed.q<16, 6>> -> tensor<1x8x!fixed.q<16, 2>>`
    """

    name = "fixed.lut"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    table = prop_def(DenseIntOrFPElementsAttr)
    shift = prop_def(IntegerAttr[I64])
    offset = prop_def(IntegerAttr[I64])
    function = prop_def(StringAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, typ: FixedType, table: DenseIntOrFPElementsAttr, shift: int, offset: int, function: str):
        super().__init__(
            operands=[input],
            result_types=[TensorType(typ, shape_of(input))],
            properties=sorted_props(
                {
                    "table": table,
                    "shift": IntegerAttr(shift, i64),
                    "offset": IntegerAttr(offset, i64),
                    "function": StringAttr(function),
                }
            ),
        )

    def verify_(self) -> None:
        fixed_of(self.input)
        expect_equal(self, "result shape", shape_of(self.output), shape_of(self.input))
        if not isinstance(self.table.get_element_type(), IntegerType) or len(self.table.get_shape()) != 1:
            raise VerifyException("fixed.lut: table must be a 1-D tensor of raw integers")
        expect_raw_fits(self, np.asarray(from_dense(self.table)), fixed_of(self.output), "table")

    def evaluate_fixed(self, args, batch):
        table = np.asarray(from_dense(self.table), np.int64)
        return table[fm.lut_index(args[0], self.shift.value.data, self.offset.value.data, table.size)]

    def element_function(self) -> ElementFunction:
        return ElementFunction("lut", table=np.asarray(from_dense(self.table), np.int64), shift=self.shift.value.data,
                               offset=self.offset.value.data, approximation=True)


@irdl_op_definition
class PwlOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    """Piecewise linear: segment k = number of breakpoints <= x, then
    y = cast(slope[k] * x + intercept[k]) with `rounding`/`overflow`.

    Breakpoints are raw values of the input type (ascending); slopes and intercepts are raw
    values of `slope_type` and `intercept_type`.
    Example: `%y = fixed.pwl %x {breakpoints = dense<[...]> : tensor<7xi64>, slopes = ..., intercepts = ...,
    slope_type = !fixed.q<16, 1>, intercept_type = !fixed.q<16, 2>, ...} : ... -> ...`
    """

    name = "fixed.pwl"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    breakpoints = prop_def(DenseIntOrFPElementsAttr)
    slopes = prop_def(DenseIntOrFPElementsAttr)
    intercepts = prop_def(DenseIntOrFPElementsAttr)
    slope_type = prop_def(FixedType)
    intercept_type = prop_def(FixedType)
    function = prop_def(StringAttr)
    rounding = prop_def(RoundingAttr)
    overflow = prop_def(OverflowAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def verify_(self) -> None:
        fixed_of(self.input)
        expect_equal(self, "result shape", shape_of(self.output), shape_of(self.input))
        bps = np.asarray(from_dense(self.breakpoints))
        m = np.asarray(from_dense(self.slopes))
        c = np.asarray(from_dense(self.intercepts))
        if m.shape != (bps.size + 1,) or c.shape != m.shape:
            raise VerifyException(
                f"fixed.pwl: {bps.size} breakpoints need {bps.size + 1} slopes and intercepts, got {m.size} and {c.size}"
            )
        if bps.size > 1 and np.any(np.diff(bps) <= 0):
            raise VerifyException("fixed.pwl: breakpoints must be strictly ascending")
        expect_raw_fits(self, m, self.slope_type, "slope")
        expect_raw_fits(self, c, self.intercept_type, "intercept")

    def evaluate_fixed(self, args, batch):
        t_in, t_out = fixed_of(self.input), fixed_of(self.output)
        return fm.pwl_eval(
            args[0], t_in.frac, from_dense(self.breakpoints), from_dense(self.slopes), self.slope_type.frac,
            from_dense(self.intercepts), self.intercept_type.frac, t_out.width.data, t_out.frac,
            self.rounding.data.value, self.overflow.data.value,
        )

    def element_function(self) -> ElementFunction:
        return ElementFunction(
            "pwl", self.rounding.data.value, self.overflow.data.value,
            table=np.asarray(from_dense(self.breakpoints), np.int64).reshape(-1),
            slopes=np.asarray(from_dense(self.slopes), np.int64).reshape(-1),
            intercepts=np.asarray(from_dense(self.intercepts), np.int64).reshape(-1),
            multiplier_type=self.slope_type, addend_type=self.intercept_type, approximation=True,
        )


@irdl_op_definition
class PolyOp(IRDLOperation, FixedSemantics, Elementwise, ElementKernel):
    """Clamped polynomial (Taylor): u = clamp(raw x, min, max); Horner from the highest
    coefficient, t = cast_acc(t * u + c_i) at every step (`rounding`, saturating), then
    y = cast(t) with `rounding`/`overflow`. Coefficients are raw `coeff_type` values,
    c_0 first.
    Example: `%y = fixed.poly %x {coefficients = dense<[...]> : tensor<6xi64>, coeff_type = !fixed.q<18, 2>,
    acc_type = !fixed.q<24, 4>, min = -3072 : i64, max = 3072 : i64, ...} : ... -> ...`
    """

    name = "fixed.poly"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    coefficients = prop_def(DenseIntOrFPElementsAttr)
    coeff_type = prop_def(FixedType)
    acc_type = prop_def(FixedType)
    min = prop_def(IntegerAttr[I64])
    max = prop_def(IntegerAttr[I64])
    function = prop_def(StringAttr)
    rounding = prop_def(RoundingAttr)
    overflow = prop_def(OverflowAttr)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def verify_(self) -> None:
        x = fixed_of(self.input)
        expect_equal(self, "result shape", shape_of(self.output), shape_of(self.input))
        c = np.asarray(from_dense(self.coefficients))
        if c.ndim != 1 or c.size < 1:
            raise VerifyException("fixed.poly: needs a 1-D list of coefficients")
        expect_raw_fits(self, c, self.coeff_type, "coefficient")
        if self.min.value.data > self.max.value.data:
            raise VerifyException("fixed.poly: min is greater than max")
        step = product_type(self.acc_type, x)
        if step.width.data > 64 or product_type(self.coeff_type, x).width.data > 64:
            raise VerifyException(f"fixed.poly: products exceed 64 bits ({step})")

    def evaluate_fixed(self, args, batch):
        t_in, t_out = fixed_of(self.input), fixed_of(self.output)
        return fm.poly_eval(
            args[0], t_in.frac, np.asarray(from_dense(self.coefficients)).reshape(-1), self.coeff_type.frac,
            self.acc_type.width.data, self.acc_type.frac, self.min.value.data, self.max.value.data,
            t_out.width.data, t_out.frac, self.rounding.data.value, self.overflow.data.value,
        )

    def element_function(self) -> ElementFunction:
        return ElementFunction(
            "poly", self.rounding.data.value, self.overflow.data.value, low=self.min.value.data,
            high=self.max.value.data, table=np.asarray(from_dense(self.coefficients), np.int64).reshape(-1),
            multiplier_type=self.acc_type, addend_type=self.coeff_type, approximation=True,
        )


# ---------------------------------------------------------------------------------------
# ideal non-linearities, before `fixed-lower-activations`


@irdl_op_definition
class ActivationOp(IRDLOperation, FixedSemantics, Elementwise):
    """Ideal activation y = round_rnd(f(x)) saturated to the result type, for f any function
    of `unary_functions.FUNCTIONS` (with its constant `params`, if it has any).
    Interpretable exactly, but not emittable: `fixed-lower-activations` replaces it by a
    LUT, PWL or polynomial.

    Example: `%y = fixed.activation %x {function = "elu", params = array<f64: 1.0>}
    : tensor<1x8x!fixed.q<16, 6>> -> tensor<1x8x!fixed.q<16, 4>>`
    """

    name = "fixed.activation"
    input = operand_def(TensorType)
    output = result_def(TensorType)
    function = prop_def(StringAttr)
    params = opt_prop_def(DenseArrayBase[Float64Type])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($output)"

    def __init__(self, input: SSAValue, typ: FixedType, function: str, params=()):
        props = {"function": StringAttr(function)}
        if params:
            props["params"] = DenseArrayBase.from_list(f64, [float(p) for p in params])
        super().__init__(operands=[input], result_types=[TensorType(typ, shape_of(input))], properties=sorted_props(props))

    def parameters(self) -> tuple[float, ...]:
        """The function's constant parameters (empty if it has none)."""
        return tuple(float(v) for v in self.params.get_values()) if self.params is not None else ()

    def verify_(self) -> None:
        fixed_of(self.input)
        fixed_of(self.output)
        expect_equal(self, "result shape", shape_of(self.output), shape_of(self.input))
        problem = unary_functions.check(self.function.data, self.parameters())
        if problem is not None:
            raise VerifyException(f"fixed.activation: {problem}")

    def evaluate_fixed(self, args, batch):
        t_in, t_out = fixed_of(self.input), fixed_of(self.output)
        return fm.ideal_activation(self.function.data, args[0], t_in.frac, t_out.width.data, t_out.frac,
                                   self.parameters())


NONLINEAR_OPS = [ClampOp, DeadZoneOp, LeakyReluOp, LutOp, PwlOp, PolyOp, ActivationOp]
"""Clamps, piecewise functions and ideal activations."""
