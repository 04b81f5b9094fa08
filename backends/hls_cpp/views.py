"""Frozen view dataclasses the HLS C++ templates read: plain strings, ints, bools and
tuples (and the raw integers of constant tables as read-only NumPy arrays, which only the
formatting filters touch); templates never see IR objects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TypeView:
    """`typedef ap_fixed<W, I, Q, O> name;`"""

    name: str
    width: int
    int_bits: int
    q_mode: str
    o_mode: str


@dataclass(frozen=True)
class RawArrayView:
    """A constant table of raw integers: `static const <ctype> name[size] = {...};`
    (``values``: a flat, read-only int64 array)."""

    name: str
    ctype: str
    values: np.ndarray

    @property
    def size(self) -> int:
        """Number of entries."""
        return int(self.values.size)


@dataclass(frozen=True)
class BufferView:
    """A local array holding one layer's output."""

    name: str
    type_name: str
    size: int


@dataclass(frozen=True)
class PortView:
    """A top-function argument (one graph input or output)."""

    name: str
    type_name: str
    size: int
    index: int


@dataclass(frozen=True)
class StepView:
    """One layer's code: ``template`` names the construct; the other fields are its data.

    Fields unused by a construct keep their defaults.
    """

    template: str
    out: str
    out_type: str
    size: int
    unroll: bool = True
    weight_memory: str = ""  # "bram": the weight array bound to a block-RAM ROM
    src: tuple[str, ...] = ()
    src_types: tuple[str, ...] = ()
    src_raw: tuple[bool, ...] = ()
    weight: str = ""
    bias: str = ""
    acc_type: str = ""
    # sizes of loops (meaning depends on the construct)
    rows: int = 0
    cols: int = 0
    inner: int = 0
    group_out: int = 0
    group_in: int = 0
    in_size: int = 0
    # raw-integer tables and constants
    table: str = ""
    table2: str = ""
    table_count: int = 0
    has_table: bool = False
    has_table2: bool = False
    value: int = 0
    value2: int = 0
    shift: int = 0
    shift_left: bool = False
    is_max: bool = False
    is_or: bool = False  # a max of +-1 values as an OR of their bits
    is_sub: bool = False
    offset: int = 0
    degree: int = 0
    operator: str = ""
    weight_type: str = ""
    bias_type: str = ""
    parts: tuple[tuple[str, int, int, bool, str, str], ...] = ()
    index: tuple[str, ...] = ()
    scale: int = 1
    last: int = 0
    start: int = 0
    # the enclosing dataflow.pe (reuse factor 0: not in a PE)
    multiplier_limit: int = 0
    reuse_factor: int = 0
    latency: int = 0
    # shift-and-add layers: names of the term tables (pool index, shift, negate, end per
    # output) and of the shared sub-expression tables (input, shift, negate, end per entry)
    terms_src: str = ""
    terms_shift: str = ""
    terms_neg: str = ""
    terms_end: str = ""
    shared_src: str = ""
    shared_shift: str = ""
    shared_neg: str = ""
    shared_end: str = ""
    shared_count: int = 0
    # C-simulation: the buffers the step touches (name, type), and whether a dense layer
    # runs the block kernel (`lanes`, see nncc_csim.h)
    arrays: tuple[tuple[str, str], ...] = ()
    lanes: bool = False


@dataclass(frozen=True)
class DesignView:
    """Everything the project templates need."""

    top: str
    guard: str
    part: str
    clock_ns: str
    types: tuple[TypeView, ...]
    constants: tuple[RawArrayView, ...]
    tables: tuple[RawArrayView, ...]
    buffers: tuple[BufferView, ...]
    inputs: tuple[PortView, ...]
    outputs: tuple[PortView, ...]
    steps: tuple[StepView, ...]
    constant_types: tuple[tuple[str, str], ...]
    ii: int = 1
    stream_functions: str = ""  # io = stream: the dataflow region's functions
    stream_body: str = ""  # io = stream: the top function's body (streams and calls)
