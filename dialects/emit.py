"""The `emit` dialect: what the back ends read besides the computation.

`hls-prepare-for-emission` writes these attributes; both emitters only read them (and import
this module, never a pass):

* `emit.options = #emit.options<top = "nncc_top", part = "xcu250-figd2104-2L-e",
  clock_ns = 5.0, io = parallel>` on the module: the top-level name, the FPGA part and
  target clock period of the build scripts, the I/O style (`parallel` or `stream`);
* `emit.name = "l3_fc"` on every op of `@main`: its legal, unique C++/Verilog identifier;
* `emit.unroll` (a unit attribute) on every op computed fully in parallel.

The defaults and the rules for a valid top name, part and clock are defined here once; the
pass's options, the config-file checks and the attribute verifier all use them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from xdsl.dialects.builtin import FloatData, ModuleOp, StringAttr
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

OPTIONS_ATTR = "emit.options"
"""Module attribute key of the `EmitOptionsAttr`."""
NAME_ATTR = "emit.name"
"""Op attribute key of an op's C++/Verilog identifier (a string)."""
UNROLL_ATTR = "emit.unroll"
"""Op attribute key (unit) of a layer computed fully in parallel."""

DEFAULT_TOP = "nncc_top"
DEFAULT_PART = "xcu250-figd2104-2L-e"
DEFAULT_CLOCK_NS = 5.0
CLOCK_RANGE_NS = (0.5, 100.0)
"""Accepted target clock periods (ns), both ends included."""

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
PART_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CPP_RESERVED = frozenset(
    "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class "
    "compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype "
    "default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline "
    "int long main mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public "
    "register reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch "
    "template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile "
    "wchar_t while xor xor_eq".split()
)
C_ABI_NAMES = frozenset(
    "nncc_num_inputs nncc_num_outputs nncc_input_size nncc_output_size nncc_run_batch nncc_num_layers "
    "nncc_layer_name nncc_layer_size nncc_trace_batch nncc_traced_sample decode_base64".split()
)
"""C++ keywords (and `main`), and the names of the generated C ABI: a top-level name must be
none of them."""


def top_problem(top: object) -> str | None:
    """Why ``top`` cannot name the top function/module, or None."""
    if not isinstance(top, str) or not IDENTIFIER.fullmatch(top) or top in CPP_RESERVED or top in C_ABI_NAMES:
        return f"top must be a C identifier that is not a C++ keyword or an nncc ABI name, got {top!r}"
    return None


def part_problem(part: object) -> str | None:
    """Why ``part`` is not an FPGA part name, or None."""
    if not isinstance(part, str) or not PART_NAME.fullmatch(part):
        return f"part must be an FPGA part name (letters, digits, '-', '_', '.'), got {part!r}"
    return None


def clock_problem(clock_ns: object) -> str | None:
    """Why ``clock_ns`` is not a usable clock period, or None."""
    lo, hi = CLOCK_RANGE_NS
    if not isinstance(clock_ns, (int, float)) or isinstance(clock_ns, bool) or not lo <= clock_ns <= hi:
        return f"clock_ns must be a number in [{lo}, {hi:g}], got {clock_ns!r}"
    return None


class IoStyle(StrEnum):
    """How tensors travel: `parallel` (whole arrays per call / handshake) or `stream` (the
    layers of a convolutional front consume and produce streams of channel vectors, one
    pixel per beat, through FIFOs sized by `dataflow-stream`)."""

    PARALLEL = "parallel"
    STREAM = "stream"


@irdl_attr_definition
class EmitOptionsAttr(ParametrizedAttribute):
    """The emission options of a module:
    `#emit.options<top = "nncc_top", part = "xcu250-figd2104-2L-e", clock_ns = 5.0, io = parallel>`."""

    name = "emit.options"
    top: StringAttr
    part: StringAttr
    clock_ns: FloatData
    io: StringAttr

    def __init__(self, top: str = DEFAULT_TOP, part: str = DEFAULT_PART, clock_ns: float = DEFAULT_CLOCK_NS,
                 io: IoStyle = IoStyle.PARALLEL):
        super().__init__(StringAttr(top), StringAttr(part), FloatData(float(clock_ns)), StringAttr(str(io)))

    @property
    def top_name(self) -> str:
        """The top function/module name."""
        return self.top.data

    @property
    def part_name(self) -> str:
        """The FPGA part of the build scripts."""
        return self.part.data

    @property
    def clock_period_ns(self) -> float:
        """The target clock period in ns."""
        return self.clock_ns.data

    @property
    def io_style(self) -> IoStyle:
        """The I/O style of the top function."""
        return IoStyle(self.io.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[Attribute]:
        with parser.in_angle_brackets():
            parser.parse_keyword("top")
            parser.parse_punctuation("=")
            top = parser.parse_str_literal("the top name")
            parser.parse_punctuation(",")
            parser.parse_keyword("part")
            parser.parse_punctuation("=")
            part = parser.parse_str_literal("the part name")
            parser.parse_punctuation(",")
            parser.parse_keyword("clock_ns")
            parser.parse_punctuation("=")
            clock_ns = float(parser.parse_number(context_msg=" for clock_ns"))
            parser.parse_punctuation(",")
            parser.parse_keyword("io")
            parser.parse_punctuation("=")
            io = parser.parse_keyword_in(tuple(style.value for style in IoStyle), " for io")
        return (StringAttr(top), StringAttr(part), FloatData(clock_ns), StringAttr(io))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(
            f'<top = "{self.top.data}", part = "{self.part.data}", clock_ns = {self.clock_ns.data!r}, '
            f"io = {self.io.data}>"
        )

    def verify(self) -> None:
        problems = [top_problem(self.top.data), part_problem(self.part.data), clock_problem(self.clock_ns.data)]
        if self.io.data not in tuple(style.value for style in IoStyle):
            problems.append(f"io must be one of {', '.join(s.value for s in IoStyle)}, got {self.io.data!r}")
        problems = [p for p in problems if p]
        if problems:
            raise VerifyException("emit.options: " + "; ".join(problems))


def emission_options(module: ModuleOp) -> EmitOptionsAttr | None:
    """The module's emission options, or None when `hls-prepare-for-emission` has not run."""
    options = module.attributes.get(OPTIONS_ATTR)
    return options if isinstance(options, EmitOptionsAttr) else None


def is_stream_design(module: ModuleOp) -> bool:
    """Whether the module's emission options say `io = stream`."""
    options = emission_options(module)
    return options is not None and options.io_style == IoStyle.STREAM


def emitted_name(op) -> str | None:
    """The op's identifier (`emit.name`), or None when it has none."""
    name = op.attributes.get(NAME_ATTR)
    return name.data if isinstance(name, StringAttr) else None


EMIT = Dialect("emit", [], [EmitOptionsAttr])
