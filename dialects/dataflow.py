"""The `dataflow` dialect: the hardware level.

A `dataflow.pe` is a processing element: it wraps one multiply-accumulate layer of the
fixed-point level (`fixed.dense`, `fixed.conv`) and says how it is built in hardware.
The layer has N outputs, each a dot product of K terms; with reuse factor R the PE
computes N / R outputs per clock cycle on N * K / R multipliers, so one sample takes R
cycles (its latency) and the PE accepts a new sample every R cycles. Everything between
PEs is combinational. The module carries the design's schedule (`dataflow.schedule`:
latency and initiation interval, in cycles), which `dataflow-tile` computes and the
RTL simulation measures.

Example:
    %y = dataflow.pe %x {latency = 4 : i64, multipliers = 256 : i64, reuse_factor = 4 : i64} ({
    ^bb0(%a: tensor<1x16x!fixed.q<16, 4>>):
      %w = fixed.constant ...
      %acc = fixed.dense %a, %w : ... -> tensor<1x64x!fixed.q<37, 9>>
      dataflow.yield %acc : tensor<1x64x!fixed.q<37, 9>>
    }) : (tensor<1x16x!fixed.q<16, 4>>) -> tensor<1x64x!fixed.q<37, 9>>
"""

from __future__ import annotations

from xdsl.dialects.builtin import I64, IntegerAttr, i64
from xdsl.ir import Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    lazy_traits_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

SCHEDULE_ATTR = "dataflow.schedule"
"""Module attribute `{latency, ii}`: cycles from an input handshake to its output, and
between input handshakes at full speed."""
REUSE_ATTR = "dataflow.reuse_factor"
"""Per-layer reuse-factor request on a fixed-level op (from the config file)."""


@irdl_op_definition
class PeOp(IRDLOperation):
    """A processing element around one multiply-accumulate layer (see the module docstring).

    The body's block arguments are the operands; the body yields the layer's result.
    """

    name = "dataflow.pe"
    inputs = var_operand_def()
    output = result_def()
    body = region_def("single_block")
    reuse_factor = prop_def(IntegerAttr[I64])
    multipliers = prop_def(IntegerAttr[I64])
    latency = prop_def(IntegerAttr[I64])
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict-with-keyword `:` functional-type($inputs, $output) $body"

    def __init__(self, inputs: list[SSAValue], result_type, body: Region, reuse_factor: int, multipliers: int):
        super().__init__(
            operands=[inputs],
            result_types=[result_type],
            regions=[body],
            properties={
                "latency": IntegerAttr(reuse_factor, i64),
                "multipliers": IntegerAttr(multipliers, i64),
                "reuse_factor": IntegerAttr(reuse_factor, i64),
            },
        )

    def layer(self) -> Operation:
        """The wrapped multiply-accumulate op."""
        ops = [op for op in self.body.block.ops if not isinstance(op, YieldOp)]
        return ops[-1]

    def verify_(self) -> None:
        block = self.body.block
        if len(block.args) != len(self.inputs) or any(a.type != v.type for a, v in zip(block.args, self.inputs)):
            raise VerifyException("dataflow.pe: block arguments must match the operands")
        last = block.last_op
        if not isinstance(last, YieldOp) or len(last.operands) != 1 or last.operands[0].type != self.output.type:
            raise VerifyException("dataflow.pe: the body must end in dataflow.yield of the result")
        rf = self.reuse_factor.value.data
        if rf < 1 or self.latency.value.data != rf:
            raise VerifyException(f"dataflow.pe: reuse factor {rf} must be >= 1 and equal the latency")
        outputs = 1
        for d in self.output.type.get_shape():
            outputs *= d
        if outputs % rf:
            raise VerifyException(f"dataflow.pe: reuse factor {rf} does not divide the {outputs} outputs")


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminator of `dataflow.pe`: the processing element's result."""

    name = "dataflow.yield"
    values = var_operand_def()
    traits = lazy_traits_def(lambda: (IsTerminator(), HasParent(PeOp), Pure()))
    assembly_format = "attr-dict ($values^ `:` type($values))?"

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[list(values)])


DATAFLOW = Dialect("dataflow", [PeOp, YieldOp], [])
