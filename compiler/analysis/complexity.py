"""Complexity metrics of dense and convolution layers: RMpS, BoP, NABS and NLG.

The four metrics of Freire et al. (defined for users in docs/complexity.md) go from software-oriented
(RMpS) to hardware-oriented (NLG). They are computed here from the layer's actual
weights (so pruned zeros and the digit structure of the quantised constants count),
its bit widths and the number of output positions. Every metric is per forward pass
divided by ``n_sym``, the number of symbols one forward pass recovers. The breakdown
counts (``multiplications``, ``additions``, ``shifts``, ``accumulation_adds``) are per
forward pass, *not* divided by ``n_sym``.

Notation: ``nnz`` = number of non-zero weights of the layer, ``P`` = ``positions``
(output positions per output channel: 1 for dense, ``L_out`` for conv1d,
``H_out*W_out`` for conv2d), ``b_w``/``b_x`` = weight/input bit widths.
Padding is ignored: the closed forms count every kernel tap at every position.

fan_in
    ``n_in`` (dense) or ``c_in_per_group * prod(kernel)`` (conv).

RMpS (real multiplications per symbol)
    ``nnz * P / n_sym``; 0 for a multiplierless layer (products realised as shifts
    and adds).

BoP (bit operations, the UNIQ form adopted by Freire)
    ``nnz * P * (b_w*b_x + b_w + b_x + log2(fan_in)) / n_sym`` with the real
    (unrounded) ``log2``. Implementation agnostic: the same for multiplierless layers.

NABS (number of additions and bit shifts; integer weights only, else ``None``)
    Shift-add cost of the constant multiplications plus the accumulation adds, the
    same whether or not the layer is multiplierless. With ``d = nnz(csd(|w|))``:

    * unshared: each non-zero weight costs ``d`` shifts and ``d - 1`` adds;
    * shared (``spec.shared``): the weights that multiply the same input value form
      a group (dense: a column ``weights[:, i]``; conv: filter group ``g``, input
      channel ``c`` and kernel tap ``t``, i.e. ``weights[g*n_f/groups:(g+1)*n_f/groups,
      c, t]``). Each weight's CSD is normalised to a pattern (digits shifted so the
      lowest position is 0, signs flipped so the highest digit is +1). In a group
      every distinct pattern with ``k >= 2`` digits that at least two weights use is
      computed once (``k`` shifts, ``k - 1`` adds) and each of its weights then costs 1
      alignment shift and no add; the other weights keep their unshared cost (the
      rule `pot_quant.term_plan` builds in hardware, where a conv input element
      shares across taps and positions as well, so hardware sharing is at least this).

    Accumulation, per output neuron (and per position for conv): ``nonzero fan-in
    - 1`` adds, plus 1 if the layer has a bias; a neuron without non-zero weights
    costs nothing (its output is the bias). The constant costs and the accumulation
    are multiplied by ``P`` and divided by ``n_sym``. ``nabs_bound`` is the worst
    case ``(nnz * P * (2*ceil((b_w+1)/2) - 1) + accumulation) / n_sym``, a CSD code
    of ``b_w`` bits having at most ``ceil((b_w+1)/2)`` non-zero digits.

NLG (number of logic gates; integer weights only, else ``None``)
    Full adder = 5 gates, ``b``-bit adder = ``5*b``; ``b_w x b_x`` array multiplier =
    ``b_w*b_x`` AND gates + ``(b_w-1)`` ``b_x``-bit adders = ``b_w*b_x + 5*(b_w-1)*b_x``;
    a constant shift is wiring (0 gates). Adds are at the accumulator width ``acc =
    acc_bits`` or, when unknown, ``b_w + b_x + ceil(log2(fan_in))``.
    Multiplierless: ``additions * 5*acc``; otherwise ``multiplications * multiplier
    gates + accumulation_adds * 5*acc``; divided by ``n_sym``.

``layer_metrics`` returns these four (floats, or ``None``) and the breakdown;
``totals`` sums layers, ``stage_table`` prints a comparison of compilation stages and
``write_chart`` draws it (needs the optional ``matplotlib``: ``pip install 'nncc[chart]'``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

import numpy as np

from nncc.compiler.diagnostics import NnccError

METRICS = ("rmps", "bop", "nabs", "nlg")
"""The four metric keys, in table and chart order."""

_TITLES = {"rmps": "RMpS", "bop": "BoP", "nabs": "NABS", "nlg": "NLG"}
_KINDS = {"dense": 2, "conv1d": 3, "conv2d": 4}
FULL_ADDER_GATES = 5
"""Two-input gates of one full adder (2 XOR, 2 AND, 1 OR)."""


class ComplexityError(NnccError):
    """A layer record or chart request the complexity metrics cannot handle.

    A subclass of ``NnccError`` so that the CLI reports it as one line, without a
    traceback.
    """


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """One dense or convolution layer as the complexity metrics see it.

    ``weights`` is ``[n_out, n_in]`` for dense and ``[n_f, c_in_per_group, *kernel]``
    for convolutions; raw integers (stored as int64) when ``integer`` is true, float
    values otherwise. ``positions`` is the number of output positions per output
    channel (1 for dense, ``L_out`` for conv1d, ``H_out*W_out`` for conv2d), ``groups``
    the convolution groups (1 for dense). ``x_bits``/``w_bits`` are the input and
    weight bit widths (32 for float; for power-of-two or signed-digit weights
    ``w_bits`` is the code width). ``acc_bits`` is the accumulator width if known,
    else ``None``. ``bias`` says whether the layer adds a bias, ``multiplierless``
    whether its products are realised as shifts and adds, ``shared`` whether common
    sub-expressions are shared across the constant multiplications of one input.

    The record is validated on construction (``ComplexityError`` naming the layer).
    Equality is identity, as the weights are an array.
    """

    name: str
    kind: str
    weights: np.ndarray
    positions: int
    groups: int
    x_bits: int
    w_bits: int
    acc_bits: int | None
    bias: bool
    integer: bool
    multiplierless: bool
    shared: bool

    def __post_init__(self) -> None:
        """Check the record and normalise the weights (a private int64/float64 copy)."""
        problems: list[str] = []
        where = f"complexity: layer {self.name!r}"
        if self.kind not in _KINDS:
            raise ComplexityError(f"{where}: kind {self.kind!r} is not one of {', '.join(_KINDS)}")
        try:
            weights = np.array(self.weights)
        except (TypeError, ValueError) as exc:
            raise ComplexityError(f"{where}: weights are not an array ({exc})") from None
        if weights.dtype.kind not in "biuf":
            raise ComplexityError(f"{where}: weights have dtype {weights.dtype}, expected numbers")
        if weights.ndim != _KINDS[self.kind]:
            problems.append(
                f"{where}: {self.kind} weights need {_KINDS[self.kind]} dimensions, got shape {weights.shape}"
            )
        elif 0 in weights.shape:
            problems.append(f"{where}: weights have an empty dimension, shape {weights.shape}")
        for field_name in ("positions", "groups", "x_bits", "w_bits", "acc_bits"):
            value = getattr(self, field_name)
            if value is None and field_name == "acc_bits":
                continue
            try:
                number = operator.index(value)
            except TypeError:
                problems.append(f"{where}: {field_name} must be an integer, got {value!r}")
                continue
            if number < 1:
                problems.append(f"{where}: {field_name} must be at least 1, got {number}")
            object.__setattr__(self, field_name, number)
        if not problems and weights.ndim > 0:
            groups = self.groups
            if self.kind == "dense" and groups != 1:
                problems.append(f"{where}: a dense layer has 1 group, got {groups}")
            elif weights.shape[0] % groups:
                problems.append(f"{where}: {weights.shape[0]} filters do not split into {groups} groups")
        if self.integer:
            if weights.dtype.kind == "f" and (
                not np.all(np.isfinite(weights)) or np.any(weights != np.round(weights))
            ):
                problems.append(f"{where}: integer=True but the weights are not all integers")
        elif self.multiplierless:
            problems.append(
                f"{where}: a multiplierless layer needs integer (raw fixed-point / power-of-two) weights"
            )
        if problems:
            raise ComplexityError(problems)
        weights = weights.astype(np.int64 if self.integer else np.float64)
        weights.flags.writeable = False
        object.__setattr__(self, "weights", weights)

    @property
    def fan_in(self) -> int:
        """Inputs per output neuron: ``n_in`` or ``c_in_per_group * prod(kernel)``."""
        return int(np.prod(self.weights.shape[1:]))


def csd(value: int) -> list[tuple[int, int]]:
    """Canonical signed digit recoding of an integer.

    Returns ``[(sign, position)]`` with ``sign`` in ``{+1, -1}``, lowest position first,
    such that ``value == sum(sign * 2**position)`` and no two non-zero digits are
    adjacent (the non-adjacent form, which has the fewest non-zero digits of all
    signed-digit representations). ``csd(0) == []``; ``csd(7) == [(-1, 0), (1, 3)]``.
    """
    from nncc.dialects.encodings import csd as csd_array

    try:
        v = operator.index(value)
    except TypeError:
        raise ComplexityError(f"complexity: csd needs an integer, got {value!r}") from None
    signs, shifts = csd_array(np.asarray([v], np.int64))  # the one CSD implementation
    return [(int(s), int(p)) for s, p in zip(signs[0], shifts[0]) if s]


def _constant_costs(spec: LayerSpec) -> tuple[int, int]:
    """Shifts and adds of one position's constant multiplications (integer weights)."""
    w = spec.weights
    magnitudes, inverse = np.unique(np.abs(w), return_inverse=True)
    inverse = inverse.reshape(w.shape)
    from nncc.dialects.encodings import csd as csd_array

    signs, _ = csd_array(np.asarray(magnitudes, np.int64))  # every distinct magnitude at once
    digit_count = np.count_nonzero(signs, axis=-1).astype(np.int64)
    # Two magnitudes share a digit pattern (the CSD digits shifted to start at position 0;
    # the top digit of a positive number is always +1) exactly when their odd parts are equal.
    m = np.asarray(magnitudes, np.int64)
    odd = np.where(m > 0, m // np.maximum(m & -m, 1), 0)
    _, pattern_id = np.unique(odd, return_inverse=True)
    pattern_id = pattern_id.reshape(-1)
    n_patterns = int(pattern_id.max(initial=0)) + 1
    digits_of = digit_count[inverse]
    nonzero = w != 0
    if not spec.shared:
        shifts = int(digits_of.sum())
        adds = int((digits_of[nonzero] - 1).sum())
        return shifts, adds
    # Group the weights that multiply one input value: [groups, n_f/groups, c, taps].
    n_f = w.shape[0]
    g = spec.groups
    shape = (g, n_f // g, w.shape[1], int(np.prod(w.shape[2:], dtype=np.int64)))

    def by_input(a: np.ndarray) -> np.ndarray:
        """Rows = one input value (g, c, tap); columns = the filters of group g."""
        return a.reshape(shape).transpose(0, 2, 3, 1).reshape(-1, shape[1])

    ids = by_input(pattern_id[inverse])
    counts = by_input(digits_of)
    rows = np.broadcast_to(np.arange(ids.shape[0])[:, None], ids.shape)
    multi = counts >= 2
    keys = rows[multi] * (n_patterns + 1) + ids[multi]
    unique, first, uses = np.unique(keys, return_index=True, return_counts=True)
    pattern_digits = counts[multi][first]
    shared = uses >= 2  # a pattern applied once to an input is not worth a shared node
    single = by_input(nonzero) & ~multi  # one-digit weights: one shift each
    shifts = int(single.sum())
    adds = 0
    # patterns used once: their weights keep their own digits
    shifts += int((pattern_digits[~shared] * uses[~shared]).sum())
    adds += int(((pattern_digits[~shared] - 1) * uses[~shared]).sum())
    # shared patterns: built once, then one alignment shift per weight
    shifts += int(pattern_digits[shared].sum()) + int(uses[shared].sum())
    adds += int((pattern_digits[shared] - 1).sum())
    return shifts, adds


def _accumulation_adds(spec: LayerSpec) -> int:
    """Accumulation adds of one position: per neuron ``nonzero fan-in - 1 (+1 bias)``."""
    per_neuron = np.count_nonzero(spec.weights.reshape(spec.weights.shape[0], -1), axis=1)
    used = per_neuron[per_neuron > 0]
    return int((used - 1).sum()) + (len(used) if spec.bias else 0)


def layer_metrics(spec: LayerSpec, n_sym: int = 1) -> dict:
    """RMpS, BoP, NABS and NLG of one layer, per forward pass divided by ``n_sym``.

    Returns ``{"rmps", "bop", "nabs", "nlg"}`` (floats; NABS and NLG are ``None`` for
    float weights) and the breakdown: ``multiplications``, ``additions``, ``shifts``,
    ``accumulation_adds`` (per forward pass, ints; additions/shifts ``None`` for float
    weights), ``nonzero_weights``, ``fan_in``, ``acc_bits`` (the accumulator width
    used) and ``nabs_bound`` (worst-case NABS per symbol, ``None`` for float weights).
    The formulas are in the module docstring.
    """
    if not isinstance(spec, LayerSpec):
        raise ComplexityError(f"complexity: layer_metrics needs a LayerSpec, got {type(spec).__name__}")
    try:
        n_sym = operator.index(n_sym)
    except TypeError:
        raise ComplexityError(f"complexity: layer {spec.name!r}: n_sym must be an integer, got {n_sym!r}") from None
    if n_sym < 1:
        raise ComplexityError(f"complexity: layer {spec.name!r}: n_sym must be at least 1, got {n_sym}")
    b_w, b_x, positions = spec.w_bits, spec.x_bits, spec.positions
    fan_in = spec.fan_in
    nnz = int(np.count_nonzero(spec.weights))
    products = nnz * positions
    acc = spec.acc_bits if spec.acc_bits is not None else b_w + b_x + (fan_in - 1).bit_length()
    multiplications = 0 if spec.multiplierless else products
    accumulation = _accumulation_adds(spec) * positions
    result = {
        "rmps": multiplications / n_sym,
        "bop": products * (b_w * b_x + b_w + b_x + math.log2(fan_in)) / n_sym,
        "nabs": None,
        "nlg": None,
        "multiplications": multiplications,
        "additions": None,
        "shifts": None,
        "accumulation_adds": accumulation,
        "nonzero_weights": nnz,
        "fan_in": fan_in,
        "acc_bits": acc,
        "nabs_bound": None,
    }
    if not spec.integer:
        return result
    shifts, adds = _constant_costs(spec)
    shifts *= positions
    additions = adds * positions + accumulation
    worst_digits = -(-(b_w + 1) // 2)
    adder_gates = FULL_ADDER_GATES * acc
    if spec.multiplierless:
        gates = additions * adder_gates
    else:
        multiplier_gates = b_w * b_x + FULL_ADDER_GATES * (b_w - 1) * b_x
        gates = multiplications * multiplier_gates + accumulation * adder_gates
    result.update(
        nabs=(shifts + additions) / n_sym,
        nlg=gates / n_sym,
        additions=additions,
        shifts=shifts,
        nabs_bound=(products * (2 * worst_digits - 1) + accumulation) / n_sym,
    )
    return result


def totals(layers: Sequence[Mapping]) -> dict:
    """Sum RMpS, BoP, NABS and NLG over layer metric dicts.

    A metric is ``None`` in the total if it is ``None`` (or missing) for any layer;
    an empty list sums to zeros.
    """
    out: dict = {}
    for key in METRICS:
        values = [layer.get(key) for layer in layers]
        out[key] = None if any(v is None for v in values) else float(sum(values))
    return out


def _fmt(value) -> str:
    """A metric for the table: thousands separators, 2 decimals unless integral."""
    if value is None:
        return "n/a"
    value = float(value)
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def stage_table(stages: Mapping[str, Sequence[tuple[str, Mapping]]]) -> str:
    """Terminal table of the metrics per compilation stage: each layer, then the total.

    ``stages`` maps a stage name to ``[(layer name, layer_metrics dict)]``. Text
    columns are left-aligned, numbers right-aligned with thousands separators,
    ``n/a`` where a metric does not apply.
    """
    header = ["stage", "layer", *(_TITLES[k] for k in METRICS)]
    rows: list[list[str] | None] = []
    for stage, layers in stages.items():
        if rows:
            rows.append(None)  # separator between stages
        for layer_name, metrics in layers:
            rows.append([str(stage), str(layer_name), *(_fmt(metrics.get(k)) for k in METRICS)])
        total = totals([metrics for _, metrics in layers])
        rows.append([str(stage), "total", *(_fmt(total[k]) for k in METRICS)])
    cells = [header] + [r for r in rows if r is not None]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        text = [row[i].ljust(widths[i]) for i in range(2)]
        text += [row[i].rjust(widths[i]) for i in range(2, len(row))]
        return "  ".join(text).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [line(header), rule]
    out += [rule if r is None else line(r) for r in rows]
    return "\n".join(out) + "\n"


def write_chart(stages: Mapping[str, Mapping], path: str | PathLike) -> None:
    """Write a PNG bar chart comparing stages: one panel per metric, log-scale y axis.

    ``stages`` maps a stage name to a ``totals`` dict. A metric that is ``None`` or 0
    for a stage gets no bar (log scale) but an ``n/a`` or ``0`` label. Needs matplotlib (the Agg canvas, imported
    here so the compiler does not depend on it); without it raises ``ComplexityError``.
    """
    if not stages:
        raise ComplexityError("complexity: the chart needs at least one stage")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ComplexityError("the chart needs matplotlib: pip install 'nncc[chart]'") from None
    names = [str(s) for s in stages]
    fig = Figure(figsize=(max(8.0, 1.2 * len(names) * 2), 6.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2).ravel()
    colors = [f"C{i % 10}" for i in range(len(names))]
    for ax, key in zip(axes, METRICS):
        ax.set_title(_TITLES[key])
        values = [stages[s].get(key) for s in stages]
        shown = [(i, float(v)) for i, v in enumerate(values) if v is not None and float(v) > 0]
        for i, v in shown:
            ax.bar(i, v, color=colors[i])
            ax.annotate(_fmt(round(v)), (i, v), ha="center", va="bottom", fontsize=7)
        if shown:
            ax.set_yscale("log")
            low, high = min(v for _, v in shown), max(v for _, v in shown)
            ax.set_ylim(low / 10, high * 3)  # a common floor so bar heights compare
        missing = [(i, "n/a" if v is None else "0") for i, v in enumerate(values) if i not in dict(shown)]
        for i, label in missing:
            ax.text(i, 0.02, label, ha="center", va="bottom", fontsize=8, transform=ax.get_xaxis_transform())
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(names) - 0.4)
    fig.suptitle("complexity per stage (per recovered symbol)")
    try:
        fig.savefig(path, format="png", dpi=110)
    except OSError as exc:
        raise ComplexityError(f"complexity: cannot write the chart to {path}: {exc}") from None


# ---------------------------------------------------------------------------------------
# from the IR: one LayerSpec per dense / conv layer of a module at any level


@dataclass(frozen=True)
class CodedWeights:
    """What a layer's weight encoding adds to the metrics and the report: the integer
    weights (``None``: the layer's own), the weight bit width, whether the products are
    shifts and adds (with shared sub-expressions), and the fixed weight type (None at the
    `nn` level)."""

    weights: np.ndarray | None
    w_bits: int
    multiplierless: bool
    shared: bool
    weight_type: object = None


def coded_weights(op) -> CodedWeights | None:
    """The one place the metrics ask about weight encodings: signed-digit codes, either as
    `pot_quant.weights` feeding a float layer (integer weights on their finest digit's grid at
    the code width, bits x terms) or as a shift-and-add layer (its raw weights, realised as
    `pot_quant.term_plan` builds them). ``None`` for plain weights."""
    from nncc.dialects import pot_quant
    from nncc.dialects.nn.semantics import constant_value, weight_operand

    if pot_quant.uses_shift_add(op):
        weight = weight_operand(op)
        typ = weight.type.element_type
        return CodedWeights(np.asarray(constant_value(weight), np.int64), typ.width.data, True,
                            bool(op.weight_encoding().shared), typ)
    for value in op.operands:
        owner = value.owner
        if isinstance(owner, pot_quant.WeightsOp):
            signs, exps = owner.digits()
            live = exps[signs != 0]
            frac = max(0, -int(live.min())) if live.size else 0
            weights = np.sum(signs * np.left_shift(np.int64(1), np.where(signs != 0, exps + frac, 0)), axis=-1)
            return CodedWeights(weights, owner.bits.value.data * owner.terms, False, False)
    return None


def weight_type(op):
    """The weight element type of a MAC layer: its encoding's (see `coded_weights`), else
    its weight operand's (None if neither says)."""
    from nncc.dialects.nn.semantics import weight_operand

    coded = coded_weights(op)
    if coded is not None and coded.weight_type is not None:
        return coded.weight_type
    weight = weight_operand(op)
    return weight.type.element_type if weight is not None else None


def _weights_and_bits(op) -> tuple[np.ndarray, bool, int]:
    """(weights [channels, fan_in], integer?, weight bits) of a MAC layer without a coded
    encoding: raw integers at the fixed-point level, float values at the `nn` level."""
    from nncc.dialects.fixed.types import FixedType
    from nncc.dialects.nn.semantics import constant_value, weight_operand

    weight = weight_operand(op)
    values = constant_value(weight) if weight is not None else op.mac_terms().weights
    element = weight.type.element_type if weight is not None else op.accumulator_type()
    integer = isinstance(element, FixedType)
    bits = element.width.data if integer else 32
    return np.asarray(values, np.int64 if integer else np.float64), integer, bits


def layer_spec(op, activation_bits: int = 32) -> LayerSpec:
    """The `LayerSpec` of one multiply-accumulate layer (`MacLayer`), at any level."""
    from nncc.dialects.fixed.types import FixedType
    from nncc.dialects.interfaces import Windowed, layer_label

    coded = coded_weights(op)
    if coded is not None and coded.weights is not None:
        weights, integer, w_bits = coded.weights, True, coded.w_bits
    else:
        weights, integer, w_bits = _weights_and_bits(op)
    fixed_level = isinstance(op.accumulator_type(), FixedType)
    x_bits = op.activation().type.element_type.width.data if fixed_level else activation_bits
    acc_bits = op.accumulator_type().width.data if fixed_level else None
    channels = weights.shape[0]
    positions = op.outputs() // channels * _time_steps(op)
    groups, kind = 1, "dense"
    weights = weights.reshape(channels, op.fan_in())
    if isinstance(op, Windowed):
        geo = op.window_geometry()
        rank = len(op.activation().type.get_shape()) - 2
        groups, kind = geo.group, f"conv{rank}d"
        weights = weights.reshape((channels, geo.channels // geo.group) + tuple(geo.kernel)[2 - rank:])
    bias = any(v is not op.activation() and len(v.type.get_shape()) == 1 for v in op.operands)
    return LayerSpec(
        name=layer_label(op), kind=kind, weights=weights, positions=positions, groups=groups, x_bits=x_bits,
        w_bits=w_bits, acc_bits=acc_bits, bias=bias, integer=integer,
        multiplierless=coded is not None and coded.multiplierless, shared=coded is not None and coded.shared,
    )


def _time_steps(op) -> int:
    """How often a layer runs per forward pass: the product of the time steps of the
    recurrent layers (`Stateful`) whose step contains it (1 outside any)."""
    from nncc.dialects.interfaces import Stateful

    count, parent = 1, op.parent_op()
    while parent is not None:
        if isinstance(parent, Stateful):
            count *= parent.time_steps()
        parent = parent.parent_op()
    return count


def module_layers(module, activation_bits: int = 32) -> list[LayerSpec]:
    """The multiply-accumulate layers (`MacLayer`) of ``module`` as `LayerSpec` records.

    Float `nn` layers count 32-bit weights and ``activation_bits``-bit inputs; `nn` layers
    with `pot_quant.weights` count integer weights on their finest digit's grid at the
    code width (bits x terms); fixed-point layers count their raw weights and types;
    shift-and-add layers are multiplierless (and shared when marked so), see `coded_weights`.
    Layers whose weights are not constants are skipped.
    """
    from xdsl.utils.exceptions import VerifyException

    from nncc.dialects.interfaces import MacLayer
    from nncc.dialects.nn.semantics import SemanticsError

    specs = []
    for op in module.walk():
        if not isinstance(op, MacLayer):
            continue
        try:
            specs.append(layer_spec(op, activation_bits))
        except (SemanticsError, VerifyException):  # weights computed at run time
            continue
    return specs


def stage_metrics(module, activation_bits: int = 32) -> dict:
    """``{"layers": [{name, kind, metrics...}], "total": {...}}`` of one compilation stage."""
    layers = []
    for spec in module_layers(module, activation_bits):
        metrics = layer_metrics(spec)
        layers.append({"name": spec.name, "kind": spec.kind, "w_bits": spec.w_bits, "x_bits": spec.x_bits,
                       "multiplierless": spec.multiplierless, "shared": spec.shared, **metrics})
    from nncc.compiler.analysis.complexity_recurrent import recurrent_rows

    layers += recurrent_rows(module, activation_bits)
    return {"layers": layers, "total": totals(layers)}
