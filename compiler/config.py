"""Compile options: defaults, a TOML/YAML config file, and command-line overrides.

Config file (TOML shown; YAML with the same structure works when PyYAML is installed):

    [model]                       # every layer
    width = 16                    # bits of layer outputs
    weight_width = 16             # bits of weights and constants
    rounding = "rnd"              # rnd | trn
    overflow = "sat"              # sat | wrap
    margin_bits = 1               # integer bits above the calibrated range

    [activations]                 # sigmoid, tanh, softmax's exp and reciprocal
    mode = "lut"                  # lut | pwl | taylor
    table_bits = 10
    segments = 16
    pot_slopes = false
    order = 5

    [dataflow]
    reuse_factor = 1              # cycles per sample of each multiply-accumulate layer
    complex_products = 4          # real products per complex tap: 4 | 3 (Gauss: 3/4 of the multipliers, same result)
    target_ii = 0                 # > 0: the fewest multipliers for this initiation interval
    io = "auto"                   # auto (stream for CNNs whose front streams) | parallel (whole tensors per handshake) | stream (pixel streams, FIFOs)
    fifo_memory = "auto"          # stream FIFOs in: auto (by depth and bits) | registers | lutram | bram
    weight_memory = "logic"       # logic (constants in LUTs) | bram (a block-RAM word per phase, RF > 1)
    recurrent_form = "static"     # static (one cell engine over the T steps) | non_static (T engines, a sequence per cell)

    [pot_quant]                   # power-of-two / signed-digit weights (off by default)
    pot_bits = 4                  # digit code width; 0 = off
    pot_terms = 1                 # signed digits per weight: 1 = power of two, 2 = two-digit
    pot_per_channel = false       # one power-of-two scale per output channel
    pot_rounding = "nearest"      # nearest | log
    pot_compensation = "gptq"     # gptq: round to keep layer outputs on the calibration data | none
    pot_prune = 0.0               # log-aware pruning: fraction of weights zeroed (smallest first)
    shift_share = false           # share digit patterns per input (common sub-expressions)
    shift_all = false             # also recode uniform weights in canonical signed digits (no multipliers)

    [sparse]                      # sparse weights (off by default)
    sparse_threshold = 0.0        # > 0: layers at least this fraction zero get a sparse encoding (0 = off)
    sparse_structure = "mask"     # mask | N:M (2:4) | BHxBW (4x8) | balanced=P | complementary=K
    sparse_prune = 0.0            # magnitude pruning before calibration: fraction of weights zeroed
    sparse_prune_kind = "unstructured"  # unstructured | N:M | BHxBW | balanced=P | complementary=K | channels | knapsack (multipliers at reuse_factor)
    sparse_prune_resource = "dsp"  # knapsack budget on: dsp (multipliers) | bram (weight ROMs, weight_memory = "bram") | dsp+bram
    sparse_cluster = 0            # weight clustering before calibration: k values per group (0 = off)
    sparse_cluster_scope = "neuron"  # neuron (a codebook per output) | layer

    [compress]                    # inter-layer feature-map compression (off by default)
    fmap_compress = ["/relu/Relu"]  # ONNX nodes whose output maps get an 8x8 DCT encoder / decoder
    fmap_block = 8                # DCT block size B: 2 | 4 | 8
    fmap_bits = 8                 # bits of each kept DCT coefficient
    fmap_keep = -1                # keep the coefficients with u + v <= fmap_keep (-1: all)
    fmap_table = "jpeg"           # quantisation steps per coefficient: jpeg | flat
    fmap_quality = 50             # JPEG quality of the jpeg table (1..100)

    [recurrent]                   # recurrent layers (LSTM, GRU)
    delta = false                 # delta form (DeltaLSTM / DeltaGRU): only changed inputs are multiplied
    delta_x = 0.0                 # change threshold of the input x_t (real units; 0 = exact)
    delta_h = 0.0                 # change threshold of the hidden state h
    integer_only = false          # iRNN cells: per-row dyadic weight scales, pre-activations and c at
                                  # twice the layer width, integer piecewise-linear gates

    [hls]
    top = "nncc_top"
    part = "xcu250-figd2104-2L-e"
    clock_ns = 5.0

    [report]
    min_agreement = 0.98          # warn when argmax agreement with the original model drops below

    [layers."/fc1/Gemm"]          # one layer, by ONNX node name
    width = 12
    int_bits = 4
    weight_width = 8
    mode = "pwl"                  # activation keys apply to that layer's approximation
    reuse_factor = 4              # this layer's reuse factor
    pot_bits = 0                  # 0: keep this layer's weights uniform when [pot_quant] is on
    pot_terms = 2                 # or another code for this layer

    [op_types.dense]              # every layer of an nn op type (dense, conv, softmax, ...)
    weight_width = 10

Layer entries win over op-type entries, which win over [model].
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from nncc.compiler.diagnostics import NnccError
from nncc.dialects.emit import DEFAULT_CLOCK_NS, DEFAULT_PART, DEFAULT_TOP, clock_problem, part_problem, top_problem


@dataclass(frozen=True)
class CompileOptions:
    """Every option of `nncc compile` (see the module docstring for their meaning)."""

    width: int = 16
    weight_width: int = 16
    rounding: str = "rnd"
    overflow: str = "sat"
    margin_bits: int = 1
    mode: str = "lut"
    table_bits: int = 10
    segments: int = 16
    pot_slopes: bool = False
    order: int = 5
    reuse_factor: int = 1
    xnor_simd: int = 0
    complex_products: int = 4
    target_ii: int = 0
    io: str = "auto"
    fifo_memory: str = "auto"
    weight_memory: str = "logic"
    recurrent_form: str = "static"
    delta: bool = False
    delta_x: float = 0.0
    delta_h: float = 0.0
    integer_only: bool = False
    top: str = DEFAULT_TOP
    part: str = DEFAULT_PART
    clock_ns: float = DEFAULT_CLOCK_NS
    calibration_samples: int = 1000
    pot_bits: int = 0
    pot_terms: int = 1
    pot_per_channel: bool = False
    pot_rounding: str = "nearest"
    pot_compensation: str = "gptq"
    pot_prune: float = 0.0
    shift_share: bool = False
    shift_all: bool = False
    sparse_threshold: float = 0.0
    sparse_structure: str = "mask"
    sparse_prune: float = 0.0
    sparse_prune_kind: str = "unstructured"
    sparse_prune_resource: str = "dsp"
    sparse_cluster: int = 0
    sparse_cluster_scope: str = "neuron"
    fmap_compress: tuple = ()
    fmap_block: int = 8
    fmap_bits: int = 8
    fmap_keep: int = -1
    fmap_table: str = "jpeg"
    fmap_quality: int = 50
    min_agreement: float = 0.98
    layers: dict = field(default_factory=dict)
    op_types: dict = field(default_factory=dict)


SECTIONS = {
    "model": ("width", "weight_width", "rounding", "overflow", "margin_bits"),
    "activations": ("mode", "table_bits", "segments", "pot_slopes", "order"),
    "dataflow": ("reuse_factor", "xnor_simd", "complex_products", "target_ii", "io", "fifo_memory", "weight_memory",
                 "recurrent_form"),
    "hls": ("top", "part", "clock_ns"),
    "recurrent": ("delta", "delta_x", "delta_h", "integer_only"),
    "report": ("min_agreement",),
    "compress": ("fmap_compress", "fmap_block", "fmap_bits", "fmap_keep", "fmap_table", "fmap_quality"),
    "pot_quant": ("pot_bits", "pot_terms", "pot_per_channel", "pot_rounding", "pot_compensation", "pot_prune", "shift_share",
                  "shift_all"),
    "sparse": ("sparse_threshold", "sparse_structure", "sparse_prune", "sparse_prune_kind", "sparse_prune_resource",
               "sparse_cluster", "sparse_cluster_scope"),
}
LAYER_KEYS = {"width", "int_bits", "weight_width", "weight_int_bits", "rounding", "overflow", "mode", "table_bits", "segments", "order", "reuse_factor", "simd", "pot_bits", "pot_terms",
              "input_reuse_factor", "recurrent_reuse_factor", "state_width", "integer_only"}
PRODUCT_REUSE_KEYS = {"input_reuse_factor": "input", "recurrent_reuse_factor": "recurrent"}
"""Layer keys of a recurrent layer: the reuse factor of its input / recurrent products."""
PRECISION_KEYS = ("width", "int_bits", "weight_width", "weight_int_bits", "rounding", "overflow", "state_width",
                  "integer_only")
RECURRENT_KEYS = ("state_width", "integer_only")
"""Layer keys of recurrent layers only: the state's width, the integer-only cell."""
APPROX_KEYS = ("mode", "table_bits", "segments", "order")
CHOICES = {"rounding": ("rnd", "trn"), "overflow": ("sat", "wrap"), "mode": ("lut", "pwl", "taylor"),
           "pot_rounding": ("nearest", "log"), "io": ("auto", "parallel", "stream"), "fifo_memory": ("auto", "registers", "lutram", "bram"), "weight_memory": ("logic", "bram"), "recurrent_form": ("static", "non_static"),
           "sparse_prune_resource": ("dsp", "bram", "dsp+bram"), "pot_compensation": ("gptq", "none"), "sparse_cluster_scope": ("neuron", "layer"),
           "fmap_table": ("jpeg", "flat"), "fmap_block": (2, 4, 8)}
RANGES = {
    "width": (2, 32), "weight_width": (2, 32), "int_bits": (-32, 64), "weight_int_bits": (-32, 64),
    "margin_bits": (0, 16), "table_bits": (2, 16), "segments": (1, 256), "order": (1, 7),
    "state_width": (2, 32), "reuse_factor": (1, 1 << 20), "simd": (1, 1 << 20), "xnor_simd": (0, 1 << 20), "input_reuse_factor": (1, 1 << 20), "recurrent_reuse_factor": (1, 1 << 20),
    "sparse_cluster": (0, 1 << 16), "target_ii": (0, 1 << 20),
    "calibration_samples": (1, 1_000_000),
    "pot_bits": (0, 8), "pot_terms": (1, 4), "complex_products": (3, 4),
    "fmap_bits": (2, 32), "fmap_keep": (-1, 14), "fmap_quality": (1, 100),
}


EMIT_CHECKS = {"top": top_problem, "part": part_problem, "clock_ns": clock_problem}
"""The emission options are checked by the `emit` dialect's rules."""



def _structure_problem(key: str, value) -> str:
    """Why a sparse structure option is not valid ("" if it is)."""
    if not isinstance(value, str):
        return f"{key} must be a string, got {value!r}"
    ok = re.fullmatch(r"mask|\d+:\d+|\d+x\d+|balanced=\d+|complementary=\d+", value) if key == "sparse_structure" else \
        re.fullmatch(r"unstructured|channels|knapsack|\d+:\d+|\d+x\d+|balanced=\d+|complementary=\d+", value)
    if not ok:
        kinds = "mask, N:M, BHxBW, balanced=P or complementary=K" if key == "sparse_structure" else \
            "unstructured, channels, knapsack, N:M, BHxBW, balanced=P or complementary=K"
        return f"{key} must be {kinds}, got {value!r}"
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    if (value.startswith("complementary") and numbers[0] < 2) or (value.startswith("balanced") and numbers[0] < 1) \
            or (":" in value and not 1 <= numbers[0] < numbers[1]) or ("x" in value and min(numbers) < 1):
        return f"{key} {value!r}: complementary needs K >= 2, balanced P >= 1, N:M 1 <= N < M, blocks >= 1"
    return ""


def _edges_problem(value) -> str:
    """Why an `fmap_compress` value (a list of ONNX node names) is not valid ("" if it is)."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        return f"fmap_compress must be a list of ONNX node names, got {value!r}"
    if any('"' in v or "\\" in v for v in value):
        return "fmap_compress: a node name with a quote or backslash cannot be named in a pass pipeline"
    return ""


def _check_value(where: str, key: str, value, problems: list[str]) -> None:
    expected = {f.name: f.type for f in fields(CompileOptions)}.get(key, "int")
    if key == "pot_bits" and value == 1:
        problems.append(f"{where}: pot_bits must be 0 (off) or in [2, 8], got 1")
    elif key in CHOICES:
        if value not in CHOICES[key]:
            problems.append(f"{where}: {key} must be one of {', '.join(map(str, CHOICES[key]))}, got {value!r}")
    elif key in RANGES:
        lo, hi = RANGES[key]
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            problems.append(f"{where}: {key} must be an integer in [{lo}, {hi}], got {value!r}")
    elif expected == "bool" and not isinstance(value, bool):
        problems.append(f"{where}: {key} must be true or false, got {value!r}")
    elif key == "pot_prune" and (not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1):
        problems.append(f"{where}: pot_prune must be a fraction in [0, 1), got {value!r}")
    elif key in ("sparse_threshold", "sparse_prune") and (
            not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1):
        problems.append(f"{where}: {key} must be a fraction in [0, 1), got {value!r}")
    elif key in ("sparse_structure", "sparse_prune_kind") and (problem := _structure_problem(key, value)):
        problems.append(f"{where}: {problem}")
    elif key in ("delta_x", "delta_h") and (not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0):
        problems.append(f"{where}: {key} must be a number >= 0, got {value!r}")
    elif key == "min_agreement" and (not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1):
        problems.append(f"{where}: min_agreement must be a fraction in [0, 1], got {value!r}")
    elif key == "fmap_compress" and (problem := _edges_problem(value)):
        problems.append(f"{where}: {problem}")
    elif key in EMIT_CHECKS and (problem := EMIT_CHECKS[key](value)):
        problems.append(f"{where}: {problem}")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise NnccError(f"{path}: no such config file")
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise NnccError(f"{path}: YAML config files need PyYAML (pip install pyyaml), or use TOML") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise NnccError(f"{path}: not valid YAML: {str(err).splitlines()[0]}") from None
    elif path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise NnccError(f"{path}: not valid TOML: {err}") from None
    else:
        raise NnccError(f"{path}: config file must end in .toml, .yaml or .yml")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise NnccError(f"{path}: the config must be a table of sections")
    return data


def load_config(path: str | Path | None, base: CompileOptions | None = None) -> CompileOptions:
    """Options from a config file on top of ``base``; every problem reported at once."""
    options, problems = read_config(path, base)
    if problems:
        raise NnccError(problems)
    return options


def read_config(path: str | Path | None, base: CompileOptions | None = None) -> tuple[CompileOptions, list[str]]:
    """Like ``load_config`` but returns the problems found (the valid parts are applied),
    so that callers can report them together with later checks against the model."""
    options = base or CompileOptions()
    if path is None:
        return options, []
    path = Path(path)
    data = _read(path)
    problems: list[str] = []
    updates: dict = {}
    for section, content in data.items():
        if section in SECTIONS:
            if not isinstance(content, dict):
                problems.append(f"{path}: [{section}] must be a table")
                continue
            for key, value in content.items():
                if key not in SECTIONS[section]:
                    problems.append(f"{path}: unknown key '{key}' in [{section}] (known: {', '.join(SECTIONS[section])})")
                    continue
                _check_value(f"{path}: [{section}]", key, value, problems)
                updates[key] = tuple(value) if isinstance(value, list) else value
        elif section in ("layers", "op_types"):
            if not isinstance(content, dict):
                problems.append(f"{path}: [{section}] must be a table of tables")
                continue
            entries = {}
            for name, table in content.items():
                if not isinstance(table, dict):
                    problems.append(f"{path}: [{section}.{name}] must be a table")
                    continue
                for key, value in table.items():
                    if key not in LAYER_KEYS:
                        problems.append(f"{path}: unknown key '{key}' in [{section}.\"{name}\"] (known: {', '.join(sorted(LAYER_KEYS))})")
                    else:
                        _check_value(f"{path}: [{section}.\"{name}\"]", key, value, problems)
                entries[str(name)] = dict(table)
            updates[section] = {**getattr(options, section), **entries}
        else:
            problems.append(f"{path}: unknown section [{section}] (known: {', '.join([*SECTIONS, 'layers', 'op_types'])})")
    valid = {k: v for k, v in updates.items() if not any(f": {k} must" in p for p in problems)}
    return replace(options, **valid), problems


def checked_options(options: CompileOptions, values: dict, where: str) -> CompileOptions:
    """``options`` with ``values`` (field name -> value) applied, every value checked; the
    problems, all at once, name ``where``."""
    problems: list[str] = []
    for key, value in values.items():
        _check_value(where, key, value, problems)
    if problems:
        raise NnccError(problems)
    return replace(options, **values)


def with_overrides(options: CompileOptions, **overrides) -> CompileOptions:
    """Apply command-line overrides (None means: not given)."""
    problems: list[str] = []
    given = {k: v for k, v in overrides.items() if v is not None}
    flags = {"pot_bits": "pot", "mode": "activation"}  # options whose flag has another name
    for key, value in given.items():
        _check_value(f"--{flags.get(key, key).replace('_', '-')}", key, value, problems)
    if problems:
        raise NnccError(problems)
    return replace(options, **given)
