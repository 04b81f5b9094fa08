"""Channel groups of a float (`nn`) module: which output channels of constant-weight layers
can leave the model together, across element-wise chains, residual adds and concats.

A channel of a value is *tied* to the channels it is computed from or feeds without mixing:
through a per-channel op (a unary element-wise op such as ReLU or sign, a max / average /
global pool, asked through `FloatSemantics`; an `nn.batchnorm` with constant parameters,
which lose the removed channels' entries) channel c stays channel c; an `nn.add` /
`nn.sub` of two operands of one shape ties channel c of both operands and of the result; an
`nn.concat` on the channel axis ties operand channel c to result channel ``offset + c``. A
layer with complex weights (`ComplexWeights`, channels ``[re; im]``) ties the two planes of
each of its complex filters (output channels f and M + f) and of each complex input channel
it reads (c and C + c): they leave together. A *group* is a class of tied (value, channel)
pairs. It may be removed when

- every value in it starts at a constant-weight layer (`AffineWeights`, `ComplexWeights`)
  whose weight row and bias of that channel are zero (``assume_zero``: for any weights, to
  ask which channels the structure allows to remove), or is an add / concat of such values;
- every use of every value in it is a tied op as above, or a layer reading the value as its
  activation along its channel axis with constant weights and one group (`MacLayer`: its
  weight columns of the channel go), or an `nn.reshape` / `nn.flatten` to ``[N, C*rest]``
  read only by such dense layers (the channel's ``rest`` consecutive columns go).

A removed channel is zero where its producers write it, but a per-channel op need not keep
it zero (a sign makes it +1, a sigmoid 0.5): every tied value records the constant each of
its channels holds once removed (`ChannelGroups.const`, by running the ops on constant
inputs). A consumer adds its removed columns' constant contribution to its bias (exact for a
dense layer and an unpadded convolution); a channel whose constant is not zero at a
convolution with padding (the padded border would see zeros, not the constant), or that an
op does not map to a constant, stays.

Anything else (a graph output, a mixing op, an operand from outside) pins the group. Unless
``assume_zero``, every value keeps at least one channel. `sparse-remove-channels` removes the
groups; `sparse-prune` (kind ``channels``) ranks the channels of tied layers together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from xdsl.ir import Operation, SSAValue

from nncc.dialects.dense import from_dense
from nncc.dialects.interfaces import AffineWeights, ComplexWeights, Elementwise, FloatSemantics, MacLayer, Windowed
from nncc.dialects.nn import arith, structure
from nncc.dialects.nn.ops import BatchNormOp, ConstantOp

_PER_CHANNEL_POOLS = (structure.MaxPoolOp, structure.AvgPoolOp, structure.GlobalAvgPoolOp)


def _shape(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())


def channel_axis(layer: Operation) -> int:
    """The (non-negative) axis of a layer's result that indexes its output channels."""
    return 1 if isinstance(layer, Windowed) else len(_shape(layer.results[0])) - 1


def _weight_values(layer: Operation) -> list[SSAValue] | None:
    if isinstance(layer, AffineWeights):
        return [layer.weight_operand()]
    if isinstance(layer, ComplexWeights):
        return list(layer.weight_parts())
    return None


def constant_weights(layer: Operation) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(weights, bias or None) of an `AffineWeights` layer whose weight and bias are
    `nn.constant`s (for a `ComplexWeights` layer the real-equivalent weight
    ``[[A, -B], [B, A]]`` and its bias ``[Re(c); Im(c)]``), else None."""
    weights = _weight_values(layer)
    if weights is None or not all(isinstance(w.owner, ConstantOp) for w in weights):
        return None
    bias = layer.bias_operand()
    if bias is not None and not isinstance(bias.owner, ConstantOp):
        return None
    w = [np.asarray(from_dense(v.owner.value), np.float64) for v in weights]
    if len(w) == 2:
        a, b = w
        w = [np.concatenate([np.concatenate([a, -b], axis=1), np.concatenate([b, a], axis=1)], axis=0)]
    return w[0], None if bias is None else np.asarray(from_dense(bias.owner.value), np.float64).reshape(-1)


def _consumer(user: Operation, value: SSAValue, axis: int) -> bool:
    """A layer reading ``value`` as its activation along channel ``axis`` (constant weights,
    one group)."""
    if not isinstance(user, MacLayer) or user.activation() is not value or constant_weights(user) is None:
        return False
    if (1 if isinstance(user, Windowed) else len(_shape(value)) - 1) != axis:
        return False
    return getattr(getattr(user, "group", None), "value", None) is None or user.group.value.data == 1


def channel_parameters(op: Operation) -> bool:
    """An `nn.batchnorm` whose scale, bias, mean and variance are constants: one parameter
    per channel of its input (operand 0), sliced with the channels it keeps."""
    return isinstance(op, BatchNormOp) and all(isinstance(v.owner, ConstantOp) for v in op.operands[1:])


def _per_channel(user: Operation, value: SSAValue, axis: int) -> bool:
    """A single-operand op (or a batch norm with constant parameters, on channel axis 1)
    that keeps channel c on channel c (what it makes of a removed channel's constant is
    asked later, `_constants`)."""
    if channel_parameters(user) and user.operands[0] is value and axis == 1:
        return True
    if len(user.operands) != 1 or len(user.results) != 1 or not isinstance(user, FloatSemantics):
        return False
    if not (isinstance(user, Elementwise) or (isinstance(user, _PER_CHANNEL_POOLS) and axis == 1)):
        return False
    out = _shape(user.results[0])
    return len(out) == len(_shape(value)) and out[axis] == _shape(value)[axis]


def _tie_planes(g: "ChannelGroups", value: SSAValue, count: int) -> None:
    """Tie channel c of ``value`` to c + count / 2 (the two planes of a complex channel)."""
    for c in range(count // 2):
        g.union((value, c), (value, count // 2 + c))


def _flatten_block(user: Operation, value: SSAValue, axis: int) -> int | None:
    """``rest`` when ``user`` flattens ``value`` (channel axis 1) to [N, C*rest] and only
    dense consumers read the result, else None."""
    if not isinstance(user, (structure.FlattenOp, structure.ReshapeOp)) or axis != 1:
        return None
    shape, out = _shape(value), _shape(user.results[0])
    rest = int(np.prod(shape[2:], dtype=np.int64))
    if out != (shape[0], shape[1] * rest):
        return None
    uses = [u.operation for u in user.results[0].uses]
    return rest if uses and all(_consumer(u, user.results[0], 1) for u in uses) else None


@dataclass
class ChannelGroups:
    """The result of `channel_groups`: the tied values, the ops to rebuild and the channels
    each value keeps."""

    axis: dict[SSAValue, int] = field(default_factory=dict)
    """Every tied value -> its channel axis."""
    producers: list[Operation] = field(default_factory=list)
    """Constant-weight layers whose results are tied values."""
    consumers: dict[Operation, tuple[SSAValue, int]] = field(default_factory=dict)
    """Layer reading a tied value -> (the tied value, columns per channel: 1, or ``rest``
    through a flatten)."""
    rebuilt: list[Operation] = field(default_factory=list)
    """Tied ops (per-channel ops, adds, concats) and flattens, in no particular order."""
    const: dict[SSAValue, np.ndarray] = field(default_factory=dict)
    """Every tied value -> the constant each channel holds once removed (NaN: none)."""
    parent: dict = field(default_factory=dict)
    pinned: set = field(default_factory=set)

    def find(self, key):
        root = key
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while key != root:
            self.parent[key], key = root, self.parent.get(key, key)
        return root

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb
            if ra in self.pinned:  # a group pinned before the union stays pinned
                self.pinned.add(rb)

    def pin(self, key) -> None:
        self.pinned.add(self.find(key))

    def kept(self, value: SSAValue) -> list[int]:
        """The channels of a tied value that stay."""
        count = _shape(value)[self.axis[value]]
        return [c for c in range(count) if self.find((value, c)) in self.pinned]

    def groups_of(self, layer: Operation) -> list:
        """The group of each output channel of a producer."""
        out = layer.results[0]
        return [self.find((out, c)) for c in range(_shape(out)[self.axis[out]])]


def channel_groups(ops: list[Operation], assume_zero: bool = False) -> ChannelGroups:
    """Tie the channels of the constant-weight layers among ``ops`` (a block's ops in order)
    and pin the groups that cannot leave (see the module docstring)."""
    g = ChannelGroups()
    stack = []
    for op in ops:
        if isinstance(op, FloatSemantics) and constant_weights(op) is not None:
            g.producers.append(op)
            stack.append((op.results[0], channel_axis(op)))
            if isinstance(op, ComplexWeights):
                _tie_planes(g, op.results[0], _shape(op.results[0])[channel_axis(op)])
    joins: list[Operation] = []
    while stack:
        value, axis = stack.pop()
        if value in g.axis:
            continue
        g.axis[value] = axis
        count = _shape(value)[axis]
        for use in list(value.uses):
            user = use.operation
            if _consumer(user, value, axis):
                g.consumers[user] = (value, 1)
                if isinstance(user, ComplexWeights):
                    _tie_planes(g, value, count)
            elif (rest := _flatten_block(user, value, axis)) is not None:
                g.rebuilt.append(user)
                for dense in {u.operation for u in user.results[0].uses}:
                    g.consumers[dense] = (value, rest)
                    if isinstance(dense, ComplexWeights):
                        _tie_planes(g, value, count)
            elif _per_channel(user, value, axis):
                g.rebuilt.append(user)
                for c in range(count):
                    g.union((value, c), (user.results[0], c))
                stack.append((user.results[0], axis))
            elif isinstance(user, (arith.AddOp, arith.SubOp)) and _shape(user.lhs) == _shape(user.rhs) == _shape(user.results[0]):
                g.rebuilt.append(user)
                joins.append(user)
                for c in range(count):
                    g.union((value, c), (user.results[0], c))
                stack.append((user.results[0], axis))
            elif isinstance(user, structure.ConcatOp) and user.axis.value.data % len(_shape(value)) == axis:
                g.rebuilt.append(user)
                joins.append(user)
                offset = sum(_shape(v)[axis] for v in user.inputs[:use.index])
                for c in range(count):
                    g.union((value, c), (user.results[0], offset + c))
                stack.append((user.results[0], axis))
            else:
                for c in range(count):
                    g.pin((value, c))
    g.rebuilt = list(dict.fromkeys(g.rebuilt))
    _pin_outside_operands(g, joins)
    _constants(g, ops)
    if not assume_zero:
        for layer in g.producers:
            w, b = constant_weights(layer)
            live = w.reshape(w.shape[0], -1).any(axis=1) | (b != 0 if b is not None else False)
            for c in np.nonzero(live)[0]:
                g.pin((layer.results[0], int(c)))
        _keep_one(g)
    return g


def _pin_outside_operands(g: ChannelGroups, joins: list[Operation]) -> None:
    """An add or concat operand that is not a tied value pins the result channels it feeds."""
    for op in dict.fromkeys(joins):
        out = op.results[0]
        axis = g.axis[out]
        offset = 0
        for v in op.operands:
            width = _shape(v)[axis]
            if v not in g.axis:
                for c in range(width):
                    g.pin((out, (0 if isinstance(op, (arith.AddOp, arith.SubOp)) else offset) + c))
            if isinstance(op, structure.ConcatOp):
                offset += width


def _keep_one(g: ChannelGroups) -> None:
    """Pin channel 0 of every tied value that would lose all its channels (until none does)."""
    changed = True
    while changed:
        changed = False
        for value in g.axis:
            if not g.kept(value):
                g.pin((value, 0))
                changed = True


def _constants(g: ChannelGroups, ops: list[Operation]) -> None:
    """Fill ``g.const`` in block order (a removed channel is zero at its producers; the tied
    ops carry the constant on) and pin what a constant cannot leave: a channel an op does not
    map to a constant, and a non-zero constant read by a convolution with padding."""
    producers = set(g.producers)
    for op in ops:
        if not op.results or op.results[0] not in g.axis:
            continue
        out = op.results[0]
        axis, count = g.axis[out], _shape(out)[g.axis[out]]
        if op in producers:
            g.const[out] = np.zeros(count)
            continue
        consts = [g.const.get(v, np.full(_shape(v)[axis] if len(_shape(v)) > axis else 0, np.nan)) for v in op.operands]
        if isinstance(op, (arith.AddOp, arith.SubOp)):
            g.const[out] = consts[0] + consts[1] if isinstance(op, arith.AddOp) else consts[0] - consts[1]
        elif isinstance(op, structure.ConcatOp):
            g.const[out] = np.concatenate(consts)
        else:
            g.const[out] = _mapped_constant(op, consts[0], axis)
    for value, values in g.const.items():
        for c in np.nonzero(~np.isfinite(values))[0]:
            g.pin((value, int(c)))
    for layer, (value, _) in g.consumers.items():
        if any(getattr(getattr(layer, "pads", None), "get_values", lambda: ())()):
            for c in np.nonzero(g.const[value] != 0)[0]:
                g.pin((value, int(c)))


def _mapped_constant(op: Operation, const: np.ndarray, axis: int) -> np.ndarray:
    """The per-channel constants ``op`` (a tied per-channel op) makes of input channels
    holding ``const``; NaN where the output channel is not one constant."""
    shape = (1,) + _shape(op.operands[0])[1:]
    view = [1] * len(shape)
    view[axis] = len(const)
    x = np.broadcast_to(np.nan_to_num(const).reshape(view), shape)
    params = [np.asarray(from_dense(v.owner.value), np.float64) for v in op.operands[1:]]  # (a batch norm's)
    y = op.evaluate_float([np.array(x), *params], 1)
    y = np.moveaxis(np.asarray(y, np.float64), axis, 0).reshape(len(const), -1)
    same = np.all(y == y[:, :1], axis=1) & np.isfinite(const) & np.isfinite(y[:, 0])
    return np.where(same, y[:, 0], np.nan)
