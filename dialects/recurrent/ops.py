"""Operations of the `recurrent` dialect at the float level: `recurrent.lstm`, `recurrent.gru`.

One op is one direction of one layer over a whole sequence, with its gate weights as
explicit operands, so passes see the cell: the input matrix ``W`` (``[G*H, I]``), the
recurrent matrix ``R`` (``[G*H, H]``), the input and recurrent biases (``[G*H]``) and the
initial state (``[1, H]``, constants), gate blocks stacked in the dialect's order (LSTM
i, f, g, o; GRU z, r, n). The input is batch first ``[1, T, I]`` and the result is every
step's hidden state ``[1, T, H]`` in time order; ``direction`` is ``"forward"`` or
``"reverse"`` (a bidirectional layer is two ops and a concatenation).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import I64, FloatAttr, IntegerAttr, StringAttr, TensorType, f64, i64
from xdsl.ir import SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.interfaces import FloatSemantics, InternalRanges, LowersToFixed, RecurrentProducts
from nncc.dialects.nn.semantics import constant_value
from nncc.dialects.nn.common import FLOAT_PROP, shape_of, sorted_props
from nncc.dialects.recurrent import cells

DIRECTIONS = ("forward", "reverse")


class _RecurrentLayer(IRDLOperation, FloatSemantics, InternalRanges, LowersToFixed, RecurrentProducts):
    """Shared accessors, properties and verifier of the float recurrent layers.

    The operand declarations stay in each op: xDSL collects IRDL fields subclass first, so
    fields declared here would come before the LSTM's ``initial_c`` and change the order.
    """

    GATES: ClassVar[int] = 0


    @staticmethod
    def _props(direction: str, clip: float | None, **extra) -> dict:
        props = {"direction": StringAttr(direction), **extra}
        if clip is not None:
            props["clip"] = FloatAttr(float(clip), f64)
        return sorted_props(props)

    @property
    def hidden(self) -> int:
        """H: the hidden state's size."""
        return shape_of(self.recurrence)[1]

    def time_steps(self) -> int:
        """T: time steps per sequence."""
        return shape_of(self.input)[1]

    def step_products(self):
        """The input and recurrent matrix-vector products (all gates)."""
        return [("input", np.asarray(constant_value(self.weight))), ("recurrent", np.asarray(constant_value(self.recurrence)))]

    def product_weights(self) -> tuple[SSAValue, ...]:
        """The input matrix W and the recurrent matrix R."""
        return (self.weight, self.recurrence)

    def state_products(self):
        """LSTM: f c, i g, o tanh(c); GRU: r times the recurrent term and z (h - n) (the lowering
        computes (1 - z) n + z h as n + z (h - n)); H elements each."""
        return [(self.STATE_PRODUCTS * self.hidden, None, None)]

    @property
    def reverse(self) -> bool:
        """True for a layer that walks the sequence backwards."""
        return self.direction.data == "reverse"

    @property
    def clip_value(self) -> float | None:
        """The pre-activation clip threshold, if any."""
        return None if self.clip is None else self.clip.value.data

    def state_operands(self) -> tuple[SSAValue, ...]:
        """The initial state operands (h0, and c0 for an LSTM)."""
        return (self.initial_h,)

    def internal_ranges(self, args, batch):
        """The gate pre-activations' range ("gates"; for an LSTM also the cell state's,
        "cell") over every time step of every sequence."""
        trace: dict = {}
        self.run(args, trace)
        return trace

    def evaluate_float(self, args, batch):
        return self.run(args, None)

    def lower_to_fixed(self, lowering) -> None:
        """See `nncc.dialects.recurrent.to_fixed`."""
        from nncc.dialects.recurrent import to_fixed

        to_fixed.lower(lowering, self)

    def verify_(self) -> None:
        x, w, r = shape_of(self.input), shape_of(self.weight), shape_of(self.recurrence)
        g = self.GATES
        if len(x) != 3 or len(w) != 2 or len(r) != 2:
            raise VerifyException(f"{self.name}: input {x} must be [1, T, I], weights {w} and {r} 2-D")
        h = r[1]
        if w != (g * h, x[2]) or r != (g * h, h):
            raise VerifyException(f"{self.name}: weights {w} and {r} must be ({g * h}, {x[2]}) and ({g * h}, {h}) "
                                  f"for {g} gates of hidden size {h} and input {x}")
        for name, value, want in (("input_bias", self.input_bias, (g * h,)), ("recurrent_bias", self.recurrent_bias, (g * h,))):
            if shape_of(value) != want:
                raise VerifyException(f"{self.name}: {name} shape {shape_of(value)} is not {want}")
        for value in self.state_operands():
            if shape_of(value) != (1, h):
                raise VerifyException(f"{self.name}: initial state shape {shape_of(value)} is not {(1, h)}")
        if shape_of(self.output) != (x[0], x[1], h):
            raise VerifyException(f"{self.name}: result shape {shape_of(self.output)} is not {(x[0], x[1], h)}")
        if self.direction.data not in DIRECTIONS:
            raise VerifyException(f"{self.name}: direction '{self.direction.data}' is not one of {', '.join(DIRECTIONS)}")
        if self.clip is not None and not self.clip.value.data > 0:
            raise VerifyException(f"{self.name}: clip {self.clip.value.data} must be positive")


def _result_type(x: SSAValue, recurrence: SSAValue) -> TensorType:
    shape = shape_of(x)
    return TensorType(x.type.element_type, (shape[0], shape[1], shape_of(recurrence)[1]))


@irdl_op_definition
class LstmOp(_RecurrentLayer):
    """One direction of an LSTM layer over a sequence; gate order i, f, g, o.

    i, f, o = sigmoid and g = tanh of ``x_t W^T + wb + h R^T + rb`` (each clipped to
    [-clip, clip] if ``clip`` is set); ``c_t = f c + i g``, ``h_t = o tanh(c_t)``.

    Example: `%y = recurrent.lstm %x, %w, %r, %wb, %rb, %h0, %c0 {direction = "forward"} :
    (tensor<1x10x4xf32>, tensor<48x4xf32>, tensor<48x12xf32>, tensor<48xf32>, tensor<48xf32>,
    tensor<1x12xf32>, tensor<1x12xf32>) -> tensor<1x10x12xf32>`
    """

    name = "recurrent.lstm"
    GATES: ClassVar[int] = 4
    STATE_PRODUCTS: ClassVar[int] = 3
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    recurrence = operand_def(TensorType)
    input_bias = operand_def(TensorType)
    recurrent_bias = operand_def(TensorType)
    initial_h = operand_def(TensorType)
    initial_c = operand_def(TensorType)
    output = result_def(TensorType)
    direction = prop_def(StringAttr)
    clip = opt_prop_def(FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight `,` $recurrence `,` $input_bias `,` $recurrent_bias `,` $initial_h `,` $initial_c "
        "attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, x, w, r, wb, rb, h0, c0, direction: str = "forward", clip: float | None = None):
        super().__init__(operands=[x, w, r, wb, rb, h0, c0], result_types=[_result_type(x, r)],
                         properties=self._props(direction, clip))

    def state_operands(self) -> tuple[SSAValue, ...]:
        return (self.initial_h, self.initial_c)

    def run(self, args, trace: dict | None):
        """The float result, collecting internal ranges into ``trace``."""
        x, w, r, wb, rb, h0, c0 = args
        return cells.lstm_sequence(x, w, r, wb, rb, h0, c0, reverse=self.reverse, clip=self.clip_value, trace=trace)


@irdl_op_definition
class GruOp(_RecurrentLayer):
    """One direction of a GRU layer over a sequence; gate order z, r, n.

    z, r = sigmoid, n = tanh; with ``linear_before_reset = 0`` n's pre-activation is
    ``x Wn^T + wbn + (r h) Rn^T + rbn``, with 1 ``x Wn^T + wbn + r (h Rn^T + rbn)`` (the
    torch form); ``h_t = (1 - z) n + z h``.

    Example: `%y = recurrent.gru %x, %w, %r, %wb, %rb, %h0 {direction = "forward",
    linear_before_reset = 1 : i64} : (tensor<1x10x4xf32>, tensor<30x4xf32>, tensor<30x10xf32>,
    tensor<30xf32>, tensor<30xf32>, tensor<1x10xf32>) -> tensor<1x10x10xf32>`
    """

    name = "recurrent.gru"
    GATES: ClassVar[int] = 3
    STATE_PRODUCTS: ClassVar[int] = 2
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    recurrence = operand_def(TensorType)
    input_bias = operand_def(TensorType)
    recurrent_bias = operand_def(TensorType)
    initial_h = operand_def(TensorType)
    output = result_def(TensorType)
    direction = prop_def(StringAttr)
    clip = opt_prop_def(FLOAT_PROP)
    irdl_options = (ParsePropInAttrDict(),)
    linear_before_reset = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    assembly_format = (
        "$input `,` $weight `,` $recurrence `,` $input_bias `,` $recurrent_bias `,` $initial_h "
        "attr-dict `:` functional-type(operands, results)"
    )

    def __init__(self, x, w, r, wb, rb, h0, linear_before_reset: bool, direction: str = "forward",
                 clip: float | None = None):
        props = self._props(direction, clip, linear_before_reset=IntegerAttr(int(bool(linear_before_reset)), i64))
        super().__init__(operands=[x, w, r, wb, rb, h0], result_types=[_result_type(x, r)], properties=props)

    @property
    def reset_after(self) -> bool:
        """True when the reset gate multiplies the recurrent product (linear_before_reset)."""
        return bool(self.linear_before_reset.value.data)

    def verify_(self) -> None:
        super().verify_()
        if self.linear_before_reset.value.data not in (0, 1):
            raise VerifyException(f"{self.name}: linear_before_reset {self.linear_before_reset.value.data} must be 0 or 1")

    def run(self, args, trace: dict | None):
        """The float result, collecting internal ranges into ``trace``."""
        x, w, r, wb, rb, h0 = args
        return cells.gru_sequence(x, w, r, wb, rb, h0, linear_before_reset=self.reset_after,
                                  reverse=self.reverse, clip=self.clip_value, trace=trace)


RECURRENT_OPS = [LstmOp, GruOp]
