"""`recurrent.scan`: a fixed-point recurrent layer as one cell step applied over time.

The body is one time step, written in fixed-point ops, so every pass that walks the module
sees the cell (`fixed-lower-activations` turns its ideal activations into tables,
segments or polynomials like anywhere else). Its block arguments are the input slice
``x_t`` (``[1, I]``) and the state (h first, then any other state such as an LSTM's c);
`recurrent.yield` gives the next state, and the next h is the step's output. The body is
isolated from above: the weights are constants inside it.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import StringAttr, TensorType
from xdsl.ir import Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    lazy_traits_def,
    operand_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import HasParent, IsolatedFromAbove, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from nncc.dialects.fixed import MulOp, fixed_of
from nncc.dialects.interfaces import FixedSemantics, RecurrentProducts, Stateful
from nncc.dialects.recurrent.cells import steps


@irdl_op_definition
class ScanOp(IRDLOperation, FixedSemantics, Stateful, RecurrentProducts):
    """Apply the body (one time step) to every step of the input sequence, in `direction`;
    the result holds each step's new h in time order.

    Example: `%y = recurrent.scan %x, %h0 {direction = "forward"} : (tensor<1x10x4x!fixed.q<16, 3>>,
    tensor<1x8x!fixed.q<16, 1>>) -> tensor<1x10x8x!fixed.q<16, 1>> { ^bb0(%xt: ..., %h: ...): ...
    recurrent.yield %h2 : tensor<1x8x!fixed.q<16, 1>> }`
    """

    name = "recurrent.scan"
    input = operand_def(TensorType)
    states = var_operand_def(TensorType)
    output = result_def(TensorType)
    direction = prop_def(StringAttr)
    body = region_def("single_block")
    traits = traits_def(IsolatedFromAbove())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input `,` $states attr-dict `:` functional-type(operands, results) $body"

    def __init__(self, input: SSAValue, states: list[SSAValue], body: Region, direction: str):
        x, h = input.type.get_shape(), states[0].type
        out = TensorType(h.element_type, (x[0], x[1], h.get_shape()[1]))
        super().__init__(operands=[input, list(states)], result_types=[out], regions=[body],
                         properties={"direction": StringAttr(direction)})

    def state_values(self) -> list[SSAValue]:
        return list(self.states)

    def step_region(self) -> Region:
        return self.body

    def step_products(self):
        """None besides the step's own `MacLayer` ops (`fixed.dense`)."""
        return []

    def state_products(self):
        """The step's `fixed.mul` ops: (elements, operand widths)."""
        return [(int(np.prod(op.output.type.get_shape())), fixed_of(op.lhs).width.data, fixed_of(op.rhs).width.data)
                for op in self.body.block.ops if isinstance(op, MulOp)]

    def sequence(self) -> SSAValue:
        return self.input

    def reversed_time(self) -> bool:
        return self.direction.data == "reverse"

    def verify_(self) -> None:
        block = self.body.block
        x = tuple(self.input.type.get_shape())
        if len(x) != 3 or not self.states:
            raise VerifyException(f"recurrent.scan: input {x} must be [1, T, I] and at least one state is needed")
        want = [TensorType(self.input.type.element_type, (1, x[2]))] + [s.type for s in self.states]
        if [a.type for a in block.args] != want:
            raise VerifyException("recurrent.scan: block arguments must be the input slice [1, I] and the states")
        last = block.last_op
        if not isinstance(last, YieldOp) or [v.type for v in last.operands] != [s.type for s in self.states]:
            raise VerifyException("recurrent.scan: the body must end in recurrent.yield of the next states")
        h = self.states[0].type
        if self.output.type != TensorType(h.element_type, (x[0], x[1], h.get_shape()[1])):
            raise VerifyException(f"recurrent.scan: result type {self.output.type} must be [1, {x[1]}, H] of h's type")
        if self.direction.data not in ("forward", "reverse"):
            raise VerifyException(f"recurrent.scan: direction '{self.direction.data}' is not forward or reverse")
        for op in block.ops:
            if op is not last and (not isinstance(op, FixedSemantics) or len(op.results) != 1):
                raise VerifyException(f"recurrent.scan: body op {op.name} has no single-result fixed-point semantics")

    def evaluate_fixed(self, args, batch):
        """Run the body once per time step; constants are evaluated once."""
        return self.run_steps(args, batch)

    def run_steps(self, args, batch, see=None):
        """`evaluate_fixed`; ``see(t, op, operand values)``, if given, is called before each
        body op of step t runs (the delta form's cycle model counts the changes with it)."""
        block = self.body.block
        x = args[0]
        states = [np.broadcast_to(s, (batch,) + s.shape[1:]) for s in args[1:]]
        constants: dict[Operation, np.ndarray] = {}
        out = np.empty((batch, x.shape[1], states[0].shape[1]), np.int64)
        for t in steps(x.shape[1], self.direction.data == "reverse"):
            env = dict(zip(block.args, [x[:, t]] + states))
            for op in block.ops:
                if op is block.last_op:
                    states = [env[v] for v in op.operands]
                    break
                if not op.operands:
                    if op not in constants:
                        constants[op] = op.evaluate_fixed([], batch)
                    env[op.results[0]] = constants[op]
                else:
                    values = [env[v] for v in op.operands]
                    if see is not None:
                        see(t, op, values)
                    env[op.results[0]] = op.evaluate_fixed(values, batch)
            out[:, t] = states[0]
        return out


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminator of `recurrent.scan`: the next state (h first).

    Example: `recurrent.yield %h, %c : tensor<1x8x!fixed.q<16, 1>>, tensor<1x8x!fixed.q<16, 3>>`
    """

    name = "recurrent.yield"
    values = var_operand_def(TensorType)
    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(ScanOp), Pure()))
    assembly_format = "attr-dict ($values^ `:` type($values))?"

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[list(values)])

