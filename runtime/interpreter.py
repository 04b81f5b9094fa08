"""Float reference interpreter for the `nn` dialect.

Runs ``func.func @main`` of a module on a whole batch with numpy, in float64, one
vectorized numpy computation per op. The IR is built for batch 1; every op treats
axis 0 as the batch axis, so any batch size runs unchanged. Results are returned as
float32, the element type of the ONNX graph.

The walker keeps no table of ops: every op says what it computes
(`FloatSemantics.evaluate_float`, `nncc.dialects.interfaces`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation

from nncc.dialects.interfaces import FloatSemantics
from nncc.dialects.nn.semantics import SemanticsError, conv_sum, window_sum  # noqa: F401 (re-exported)
from nncc.runtime.inputs import InputError, check_inputs

class InterpreterError(Exception):
    """The module or the inputs cannot be run (bad input shape, unknown op)."""


NAME_ATTR = "nncc.name"

Evaluate = Callable[[Operation, Sequence[np.ndarray], int], np.ndarray]
"""``evaluate(op, args, batch)``: one op's result at an interpreter's level."""


def evaluate_float(op: Operation, args: Sequence[np.ndarray], batch: int) -> np.ndarray:
    """The float result of one op (its `FloatSemantics`)."""
    if not isinstance(op, FloatSemantics):
        raise InterpreterError(f"no implementation for op {op.name} at this level")
    return op.evaluate_float(args, batch)


def main_function(module: ModuleOp) -> func.FuncOp:
    """The module's `@main` function."""
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == "main":
            return op
    raise InterpreterError("module has no func.func @main")


def io_names(function: func.FuncOp) -> tuple[list[str], list[str]]:
    """Graph input and output names (from `nncc.name`, else arg<i>/out<i>)."""

    def names(attrs, count, prefix):
        out = []
        for i in range(count):
            name = None
            if attrs is not None and i < len(attrs.data):
                value = attrs.data[i].data.get(NAME_ATTR)
                if isinstance(value, StringAttr):
                    name = value.data
            out.append(name if name is not None else f"{prefix}{i}")
        return out

    ftype = function.function_type
    return (
        names(function.arg_attrs, len(ftype.inputs.data), "arg"),
        names(function.res_attrs, len(ftype.outputs.data), "out"),
    )


def execute(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    evaluate: Evaluate,
    *,
    observe: Callable[[Operation, np.ndarray], None] | None = None,
    finite: bool = True,
) -> dict[str, np.ndarray]:
    """Walk ``@main`` once over a batch, computing every op with ``evaluate`` (`evaluate_float`,
    or `nncc.runtime.fixed_interpreter.evaluate_fixed`).

    The inputs go through `check_inputs` (``finite``: refuse NaN/Inf).

    Inputs are keyed by graph input name and batch first; outputs come back keyed by
    graph output name, as the implementations produced them.
    """
    function = main_function(module)
    in_names, out_names = io_names(function)
    block = function.body.blocks[0]
    try:
        checked = check_inputs(inputs, in_names, [arg.type.get_shape() for arg in block.args], finite=finite)
    except InputError as err:
        raise InterpreterError(str(err)) from None
    env: dict = {arg: checked[name].astype(np.float64) for name, arg in zip(in_names, block.args)}
    batch = len(next(iter(checked.values())))
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return {n: env[v] for n, v in zip(out_names, op.operands)}
        try:
            result = evaluate(op, [env[v] for v in op.operands], batch)
        except SemanticsError as err:
            raise InterpreterError(str(err)) from None
        env[op.results[0]] = result
        if observe is not None:
            observe(op, result)
    raise InterpreterError("@main has no func.return")


def run_float(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    *,
    observe: Callable[[Operation, np.ndarray], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run ``@main`` on batch-first ``inputs`` (keyed by graph input name).

    Returns the outputs keyed by graph output name, as float32. ``observe`` is
    called with every op and its (float64) result, for per-layer traces.
    """
    outputs = execute(module, inputs, evaluate_float, observe=observe, finite=False)
    return {name: np.asarray(value, np.float32) for name, value in outputs.items()}
