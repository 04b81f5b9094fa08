"""Named pass pipelines: ``build_<name>(options) -> list[ModulePass]``.

The lowering, level by level (`docs/ir.md`):

    nn-cleanup         canonical `nn` form after import
    nn-sparse          `nn`-level magnitude pruning (before calibration)
    nn-pot-quant       `nn`-level weight techniques (before calibration)
    nn-compress        `nn`-level feature-map compression (before calibration)
    nn-to-fixed        calibrated `nn` -> `fixed` (activations lowered)
    fixed-to-dataflow  `fixed` -> `dataflow` processing elements and schedule
    dataflow-to-emit   names and `emit` options for the back ends
    nn-to-emit         the last three: what `nncc compile` runs after calibration

A builder takes `CompileOptions`, or a mapping of some of its fields (the `{key=value}` of a
`-p` entry), or None for the defaults. `nncc-opt -p` and `nncc --pipeline` accept pipeline
names wherever a pass name fits (`-p 'nn-to-fixed{width=8},fixed-to-dataflow'`).
Pipelines are also discoverable from plugins through the ``nncc.pipelines`` entry-point
group (name -> builder). ``pipeline_spec`` prints the equivalent `nncc-opt -p` string of a
pass list, so any run can be replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms import get_all_passes as xdsl_passes
from xdsl.utils import arg_spec
from xdsl.utils.exceptions import ArgSpecParseError

from nncc.compiler.config import CompileOptions, checked_options
from nncc.compiler.diagnostics import NnccError
from nncc.passes import get_all_passes


def build_nn_cleanup(options: Mapping[str, object] | None = None) -> list[ModulePass]:
    """Canonical `nn` form after import: canonicalize, fuse constant adds into biases, complex
    layers written as real graphs become `binary_complex` complex layers, batch norm + sign
    after layers with an integer accumulator become integer thresholds
    (`binary-complex-fold-threshold`, before the batch norms fold into the layers' weights),
    fold batch norms (again fusing adds that followed them), raise complex layers again (a
    real layer whose block weights only the batch-norm fold made exact), canonicalize, CSE."""
    from xdsl.transforms.canonicalize import CanonicalizePass
    from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination

    from nncc.passes.binary_complex_fold_threshold import BinaryComplexFoldThresholdPass
    from nncc.passes.binary_complex_raise_complex_layers import BinaryComplexRaiseComplexLayersPass
    from nncc.passes.nn_fold_batchnorm import NnFoldBatchnormPass
    from nncc.passes.nn_fuse_bias import NnFuseBiasPass

    pipeline_options(options, "nn-cleanup")  # it has no options: any given is an error
    return [
        CanonicalizePass(),
        NnFuseBiasPass(),
        BinaryComplexRaiseComplexLayersPass(),
        BinaryComplexFoldThresholdPass(),
        NnFoldBatchnormPass(),
        NnFuseBiasPass(),
        BinaryComplexRaiseComplexLayersPass(),
        CanonicalizePass(),
        CommonSubexpressionElimination(),
    ]


def pipeline_options(options: CompileOptions | Mapping[str, object] | None, pipeline: str) -> CompileOptions:
    """The compile options a builder works from: ``options`` itself, or the defaults with the
    given fields (the `{key=value ...}` of a `-p` pipeline entry) checked and applied."""
    if isinstance(options, CompileOptions):
        return options
    values = dict(options or {})
    known = set(PIPELINE_OPTIONS.get(pipeline, ()))
    unknown = sorted(set(values) - known)
    if unknown:
        raise NnccError(f"pipeline '{pipeline}': unknown option(s) {', '.join(unknown)} "
                        f"(options: {', '.join(sorted(known)) or 'none'})")
    return checked_options(CompileOptions(), values, f"pipeline '{pipeline}'")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _pot_enabled(o: CompileOptions) -> bool:
    """Weight techniques are on for the whole model or for a layer / op type of the config."""
    return bool(o.pot_bits) or any("pot_bits" in t for t in (*o.layers.values(), *o.op_types.values()))


def build_nn_pot_quant(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """The `nn`-level weight techniques (nothing when they are off): power-of-two /
    signed-digit quantization (`pot-quant-quantize`) and log-aware pruning (`pot-quant-prune`).

    Options: pot_bits (0 = off), pot_terms, pot_per_channel, pot_rounding, pot_compensation,
    pot_prune. `nncc compile` runs it before calibration, so the calibrated ranges are those of
    the quantized model."""
    o = pipeline_options(options, "nn-pot-quant")
    if not _pot_enabled(o):
        return []
    spec = (f"pot-quant-quantize{{bits={o.pot_bits or 4} terms={o.pot_terms} per_channel={_flag(o.pot_per_channel)} "
            f"rounding={o.pot_rounding} compensate={_flag(o.pot_compensation != 'none')}}}")
    if o.pot_prune:
        spec += f",pot-quant-prune{{fraction={float(o.pot_prune)}}}"
    return _parse_passes(spec)


def _prunes(o: CompileOptions) -> bool:
    return bool(o.sparse_prune) or ":" in o.sparse_prune_kind or o.sparse_prune_kind.startswith("complementary")


def sparse_encoding(o: CompileOptions) -> tuple[float, str] | None:
    """(threshold, structure) of `sparse-encode`, None when sparse weights are off: the
    options', or after pruning a small threshold and the structure the pruning made."""
    if o.sparse_threshold:
        return float(o.sparse_threshold), o.sparse_structure
    if not _prunes(o):
        return None
    kind = o.sparse_prune_kind
    return 0.01, kind if kind[0].isdigit() or kind.startswith(("balanced", "complementary")) else "mask"


def build_nn_sparse(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """`nn`-level magnitude pruning (nothing when it is off): `sparse-prune` to sparse_prune
    of sparse_prune_kind, then for channel pruning `sparse-remove-channels`; for the kind
    "knapsack" `sparse-knapsack` keeping 1 - sparse_prune of the multipliers at reuse_factor
    (or of the weight ROMs' block RAMs at weight_width bits, sparse_prune_resource);
    then with sparse_cluster = k > 0 `sparse-cluster` (k values per sparse_cluster_scope). `nncc compile`
    runs it before calibration (with the input moments recorded for its compensation)."""
    o = pipeline_options(options, "nn-sparse")
    if o.sparse_prune_resource != "dsp" and (o.sparse_prune_kind != "knapsack" or o.weight_memory != "bram"
                                             or not o.sparse_prune):
        raise NnccError(f"sparse_prune_resource {o.sparse_prune_resource!r} budgets the weight ROMs' block RAMs: it "
                        "needs sparse_prune_kind 'knapsack', a sparse_prune fraction and weight_memory 'bram'")
    cluster = _parse_passes(_cluster_spec(o)) if o.sparse_cluster else []
    if not _prunes(o):
        return cluster
    if o.sparse_prune_kind == "knapsack":
        return _parse_passes(f"sparse-knapsack{{budget={1 - float(o.sparse_prune)} reuse_factor={o.reuse_factor} "
                             f"resource=\"{o.sparse_prune_resource}\" weight_bits={o.weight_width}}}") + cluster
    spec = f"sparse-prune{{fraction={float(o.sparse_prune)} kind=\"{o.sparse_prune_kind}\"}}"
    if o.sparse_prune_kind == "channels":
        spec += ",sparse-remove-channels"
    return _parse_passes(spec) + cluster


def _cluster_spec(o: CompileOptions) -> str:
    return f"sparse-cluster{{k={o.sparse_cluster} scope={o.sparse_cluster_scope}}}"


def build_nn_compress(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """Inter-layer feature-map compression (nothing when it is off): one `nn-compress-fmap`
    (a block-DCT encoder / decoder pair) on the output of each ONNX node of fmap_compress,
    with fmap_block, fmap_bits, fmap_keep, fmap_table, fmap_quality. `nncc compile` runs it before
    calibration, so the coefficients' fixed-point steps are calibrated. Only for io =
    parallel: a stream design never holds a whole feature map (its line buffers keep k - 1
    rows), so there is no map buffer to shrink."""
    o = pipeline_options(options, "nn-compress")
    edges = (o.fmap_compress,) if isinstance(o.fmap_compress, str) else tuple(o.fmap_compress)
    if not edges:
        return []
    if o.io == "stream":
        raise NnccError("fmap_compress needs io = parallel: a stream design holds no whole feature map to compress "
                        "(its line buffers keep only the rows a window needs)")
    return _parse_passes(",".join(
        f"nn-compress-fmap{{edge=\"{edge}\" block={o.fmap_block} bits={o.fmap_bits} keep={o.fmap_keep} table={o.fmap_table} "
        f"quality={o.fmap_quality}}}" for edge in edges))


def build_nn_to_fixed(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """A calibrated `nn` module to fixed point: with complex_products = 3
    `binary-complex-set-products{products=3}` (Gauss form of the complex layers), then
    `convert-nn-to-fixed`, then (with weight
    techniques on, or shift_all) `pot-quant-replace-mul-with-shift`, the weight encodings,
    `binary-complex-replace-dense-with-xnor` and `binary-complex-replace-conv-with-xnor`
    (binary x binary dense layers and convolutions become XNOR and popcount, after the
    encodings so that they see no such layer), max pools of +-1 values as an OR of bits
    (`binary-complex-set-or-pools`), then `fixed-lower-activations`.

    Options: width, weight_width, margin_bits, rounding, overflow; pot_bits, shift_share,
    shift_all; sparse_cluster (then `sparse-cluster` sets the codebook encodings); mode,
    table_bits, segments, pot_slopes, order; complex_products."""
    o = pipeline_options(options, "nn-to-fixed")
    spec = f"binary-complex-set-products{{products={o.complex_products}}}," if o.complex_products != 4 else ""
    spec += (f"convert-nn-to-fixed{{width={o.width} weight_width={o.weight_width} margin_bits={o.margin_bits} "
            f"rounding={o.rounding} overflow={o.overflow}}}")
    if _pot_enabled(o) or o.shift_all:
        spec += (f",pot-quant-replace-mul-with-shift{{share={_flag(o.shift_share)} "
                 f"all_layers={_flag(o.shift_all)}}}")
    if o.sparse_cluster:
        spec += "," + _cluster_spec(o)
    if sparse_encoding(o):
        threshold, structure = sparse_encoding(o)
        spec += f",sparse-encode{{threshold={threshold} structure=\"{structure}\"}}"
    if o.delta:
        spec += f",recurrent-delta{{theta_x={float(o.delta_x)} theta_h={float(o.delta_h)}}}"
    spec += ",binary-complex-replace-dense-with-xnor,binary-complex-replace-conv-with-xnor,binary-complex-set-or-pools"
    spec += (f",fixed-lower-activations{{mode={o.mode} table_bits={o.table_bits} segments={o.segments} "
             f"pot_slopes={_flag(o.pot_slopes)} order={o.order}}}")
    return _parse_passes(spec)


def build_fixed_to_dataflow(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """Fixed-point layers into `dataflow` processing elements with their reuse factors and
    the schedule (`dataflow-tile`). Options: reuse_factor, target_ii, weight_memory, recurrent_form,
    xnor_simd (the tile pass's `simd`: input bits per cycle of XNOR window engines)."""
    o = pipeline_options(options, "fixed-to-dataflow")
    return _parse_passes(f"dataflow-tile{{reuse_factor={o.reuse_factor} target_ii={o.target_ii} "
                         f"weight_memory={o.weight_memory} recurrent_form={o.recurrent_form} simd={o.xnor_simd}}}")


def build_dataflow_to_emit(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """Ready for the back ends: legal names and the `emit` options
    (`hls-prepare-for-emission`), then the hardware plan both emitters print
    (`dataflow-plan`), with sparse weights or sparse_cluster > 0 the sparse layers' multiplier
    lanes and the codebook layers' cluster lanes (`sparse-materialize`), and with io = stream the streams and FIFOs (`dataflow-stream`).
    Options: top, part, clock_ns, io (`auto`, which `nncc compile` resolves per model, is
    `parallel` here), fifo_memory, sparse_threshold."""
    o = pipeline_options(options, "dataflow-to-emit")
    io = "parallel" if o.io == "auto" else o.io
    spec = f"hls-prepare-for-emission{{top={o.top} part={o.part} clock_ns={float(o.clock_ns)} io={io}}},dataflow-plan"
    if sparse_encoding(o) or o.sparse_cluster:
        spec += ",sparse-materialize"
    if o.io == "stream":
        spec += f",dataflow-stream{{fifo_memory={o.fifo_memory}}}"
    return _parse_passes(spec)


def build_nn_to_emit(options: CompileOptions | Mapping[str, object] | None = None) -> list[ModulePass]:
    """The whole lowering of `nncc compile` after calibration: `nn-to-fixed`,
    `fixed-to-dataflow`, `dataflow-to-emit` (each pipeline's options apply)."""
    o = pipeline_options(options, "nn-to-emit")
    return [*build_nn_to_fixed(o), *build_fixed_to_dataflow(o), *build_dataflow_to_emit(o)]


PipelineBuilder = Callable[[Mapping[str, object] | None], list[ModulePass]]

BUILTIN_PIPELINES: dict[str, PipelineBuilder] = {
    "nn-cleanup": build_nn_cleanup,
    "nn-pot-quant": build_nn_pot_quant,
    "nn-sparse": build_nn_sparse,
    "nn-compress": build_nn_compress,
    "nn-to-fixed": build_nn_to_fixed,
    "fixed-to-dataflow": build_fixed_to_dataflow,
    "dataflow-to-emit": build_dataflow_to_emit,
    "nn-to-emit": build_nn_to_emit,
}
"""The named pipelines, in lowering order (`nn-sparse`, `nn-pot-quant` and `nn-compress` run
before calibration)."""

_NN_TO_FIXED = ("width", "weight_width", "margin_bits", "rounding", "overflow", "pot_bits", "shift_share",
                "shift_all", "sparse_threshold", "sparse_structure", "sparse_prune", "sparse_prune_kind", "sparse_cluster", "sparse_cluster_scope", "delta", "delta_x", "delta_h", "mode", "table_bits", "segments", "pot_slopes", "order",
                "complex_products")
PIPELINE_OPTIONS: dict[str, tuple[str, ...]] = {
    "nn-cleanup": (),
    "nn-sparse": ("sparse_prune", "sparse_prune_kind", "sparse_prune_resource", "weight_width", "weight_memory", "reuse_factor",
                  "sparse_cluster", "sparse_cluster_scope"),
    "nn-pot-quant": ("pot_bits", "pot_terms", "pot_per_channel", "pot_rounding", "pot_compensation", "pot_prune"),
    "nn-compress": ("fmap_compress", "fmap_block", "fmap_bits", "fmap_keep", "fmap_table", "fmap_quality", "io"),
    "nn-to-fixed": _NN_TO_FIXED,
    "fixed-to-dataflow": ("reuse_factor", "target_ii", "weight_memory", "recurrent_form", "xnor_simd"),
    "dataflow-to-emit": ("top", "part", "clock_ns", "io", "fifo_memory", "sparse_threshold", "sparse_structure", "sparse_prune",
                         "sparse_prune_kind", "sparse_cluster"),
    "nn-to-emit": (*_NN_TO_FIXED, "reuse_factor", "target_ii", "weight_memory", "recurrent_form", "xnor_simd", "top", "part",
                   "clock_ns", "io", "fifo_memory"),
}
"""The options (fields of `CompileOptions`) each built-in pipeline reads in a `-p` entry."""


def all_pipelines() -> dict[str, Callable]:
    """Built-in pipelines plus those of installed `nncc.pipelines` plugins.

    A plugin pipeline whose name is already taken is an error.
    """
    pipelines = dict(BUILTIN_PIPELINES)
    for ep in entry_points(group="nncc.pipelines"):
        if ep.name in pipelines:
            raise NnccError(f"pipeline '{ep.name}' from plugin '{ep.value}' is already defined")
        pipelines[ep.name] = ep.load()
    return pipelines


def all_pass_factories() -> dict[str, Callable[[], type[ModulePass]]]:
    """Every pass name usable in a `-p` spec: xDSL's, nncc's, and plugins'."""
    from xdsl.universe import Universe

    passes = dict(xdsl_passes())
    passes.update(Universe.get_multiverse().all_passes)
    passes.update(get_all_passes())
    return passes


def pipeline_spec(passes: list[ModulePass]) -> str:
    """The `-p` string equivalent to ``passes``."""
    return ",".join(str(p.spec()) for p in passes)


def parse_pipeline(spec: str) -> list[ModulePass]:
    """Parse a `-p` pass-pipeline string whose entries are passes or named pipelines
    (`nn-to-fixed{width=8}` expands to that pipeline's passes)."""
    return _parse_passes(expand_pipelines(spec))


def _parse_passes(spec: str) -> list[ModulePass]:
    """Parse a `-p` string of pass names only (what the builders write)."""
    try:
        return list(PassPipeline.parse_spec(all_pass_factories(), spec).passes)
    except (Exception, ArgSpecParseError) as err:  # ArgSpecParseError derives from BaseException
        raise NnccError(f"bad pass pipeline '{spec}': {err}") from None


def expand_pipelines(spec: str) -> str:
    """``spec`` with every named-pipeline entry replaced by the `-p` string of its passes
    (pass entries are kept as written)."""
    pipelines = all_pipelines()
    try:
        entries = list(arg_spec.parse_pipeline(spec))
    except (Exception, ArgSpecParseError) as err:
        raise NnccError(f"bad pass pipeline '{spec}': {err}") from None
    if not any(entry.name in pipelines for entry in entries):
        return spec
    parts = []
    for entry in entries:
        if entry.name not in pipelines:
            parts.append(str(entry))
            continue
        values = {k.replace("-", "_"): v[0] if len(v) == 1 else v for k, v in entry.parameters.items()}
        passes = pipelines[entry.name](values or None)
        if passes:
            parts.append(pipeline_spec(passes))
    return ",".join(parts)


def run_passes(passes: list[ModulePass], module: ModuleOp, ctx: Context) -> None:
    """Apply ``passes`` in order, verifying after each."""
    for p in passes:
        p.apply(ctx, module)
        module.verify()
