"""`nncc` command line: import and run ONNX models (more subcommands per capability).

Every user error prints one line per problem on stderr and exits with status 1,
without a Python traceback. Set NNCC_DEBUG=1 to see tracebacks of internal errors.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from collections.abc import Sequence

from nncc.compiler.diagnostics import NnccError


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad options as an NnccError (status 1, no usage dump)."""

    def error(self, message: str):
        raise NnccError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _input_shape(text: str) -> tuple[str, tuple[int, ...]]:
    match = re.fullmatch(r"(.+)=(\d+(?:x\d+)*)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=DxDx... (for example input=1x3x32x32)")
    dims = tuple(int(d) for d in match.group(2).split("x"))
    if any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"'{text}' has a zero dimension")
    return match.group(1), dims


def _add_compile_arguments(p: argparse.ArgumentParser, shape_help: str) -> None:
    """The options of `nncc compile` (those of `CompileOptions`, plus files and the pipeline)."""
    p.add_argument("model", help="ONNX model file")
    p.add_argument("-o", "--output", required=True, help="output folder (replaced atomically)")
    p.add_argument("--target", default="all", help="back end: all (default: HLS C++ and Verilog), hls-cpp or verilog")
    p.add_argument("--calibration", help=".npy/.npz inputs for range calibration (default: N(0,1) samples)")
    p.add_argument("--config", help="TOML or YAML config file (per-layer precision, activations, HLS options)")
    p.add_argument("--pipeline", help="replace the lowering after calibration (default: the nn-to-emit pipeline) "
                   "with this -p string of passes and pipeline names")
    p.add_argument("--print-pipeline", action="store_true", help="print the equivalent nncc-opt -p string")
    p.add_argument("--width", type=int, help="total bits of layer outputs (default 16)")
    p.add_argument("--weight-width", type=int, help="total bits of weights (default 16)")
    p.add_argument("--rounding", help="rnd (default) or trn")
    p.add_argument("--overflow", help="sat (default) or wrap")
    p.add_argument("--activation", dest="mode", help="lut (default), pwl or taylor")
    p.add_argument("--table-bits", type=int, help="log2 of activation table size (default 10)")
    p.add_argument("--reuse-factor", type=int, help="cycles per sample of each multiply-accumulate layer (default 1)")
    p.add_argument("--xnor-simd", type=int, help="XNOR window engines: input bits each output counts per cycle "
                   "(FINN's SIMD; default 0 = all; the engine takes reuse factor x K / SIMD cycles per output pixel)")
    p.add_argument("--io", choices=("auto", "parallel", "stream"),
                   help="auto (default: stream for a model with convolutions whose front can be streamed, else "
                        "parallel), parallel (whole tensors per handshake) or stream (pixel streams through FIFOs)")
    p.add_argument("--fifo-memory", choices=("auto", "registers", "lutram", "bram"),
                   help="with --io stream, what holds the FIFOs: auto (default: registers up to 2 beats, block RAM "
                        "above 4,096 bits and 32 beats, else distributed RAM) or that memory for all of them")
    p.add_argument("--target-ii", type=int, help="fewest multipliers that keep this initiation interval")
    p.add_argument("--recurrent-form", choices=("static", "non_static"),
                   help="recurrent layers: static (default, one cell engine over the T steps) or non_static "
                        "(T cell engines in a pipeline: a new sequence every cell latency)")
    p.add_argument("--delta", type=_thresholds, metavar="THETA_X[,THETA_H]",
                   help="recurrent layers in the delta form (DeltaLSTM / DeltaGRU): only inputs and hidden states that "
                        "changed by at least THETA since they were last passed on are multiplied (0 = exact, the dense "
                        "result; one value sets both)")
    p.add_argument("--integer-only", action="store_true", default=None,
                   help="recurrent layers as integer-only cells (iRNN): weights with a scale per row and a dyadic "
                        "rescaling of every product, pre-activations and cell state at twice the width (int16 next to "
                        "--width 8 --weight-width 8), integer piecewise-linear gates")
    p.add_argument("--weight-memory", choices=("logic", "bram"),
                   help="where multiplier weights live at reuse factor > 1: logic (default, constants in LUTs) or bram "
                        "(a block-RAM word per phase)")
    p.add_argument("--pot", dest="pot_bits", type=int, metavar="BITS",
                   help="power-of-two weights with BITS-bit digit codes (e.g. 4), realized with shifts and adds")
    p.add_argument("--pot-terms", type=int, help="signed digits per weight with --pot: 1 (default, power of two), 2, ...")
    p.add_argument("--pot-per-channel", action="store_const", const=True, help="one power-of-two scale per output channel")
    p.add_argument("--pot-rounding", help="nearest (default) or log")
    p.add_argument("--pot-compensation", help="gptq (default: round each layer's weights so that its outputs on the "
                                              "calibration data change least) or none (every weight on its own)")
    p.add_argument("--pot-prune", type=float, metavar="FRACTION", help="log-aware pruning: zero this fraction of each layer's weights, smallest first")
    p.add_argument("--shift-share", action="store_const", const=True, help="share digit patterns per input (common sub-expressions)")
    p.add_argument("--complex-products", type=int, choices=(3, 4),
                   help="real products per complex tap of the complex layers: 4, or 3 (Gauss form)")
    p.add_argument("--shift-all", action="store_const", const=True, help="also realize uniform weights with shifts and adds (canonical signed digits)")
    p.add_argument("--sparse-threshold", type=float, metavar="FRACTION",
                   help="layers with at least this fraction of zero weights get a sparse encoding: no multiplier for a zero")
    p.add_argument("--sparse-structure", help="the zeros' structure with --sparse-threshold: mask (default), N:M, BHxBW, balanced=P or complementary=K")
    p.add_argument("--sparse-prune", type=float, metavar="FRACTION",
                   help="magnitude pruning before calibration: zero this fraction (of weights, blocks, channels; "
                        "knapsack: of the dense multipliers)")
    p.add_argument("--sparse-prune-kind", help="unstructured (default), N:M (2:4), BHxBW (4x4), balanced=P, complementary=K (K kernels with disjoint supports share multipliers), channels or knapsack")
    p.add_argument("--sparse-prune-resource", choices=("dsp", "bram", "dsp+bram"),
                   help="what --sparse-prune-kind knapsack budgets: dsp (default, multipliers), bram (the weight ROMs' "
                        "block RAMs, with --weight-memory bram) or dsp+bram")
    p.add_argument("--sparse-cluster", type=int, metavar="K",
                   help="weight clustering before calibration: k shared values per output (a codebook encoding)")
    p.add_argument("--sparse-cluster-scope", help="neuron (default: a codebook per output) or layer")
    p.add_argument("--fmap-compress", action="append", metavar="NODE",
                   help="inter-layer feature-map compression: an 8x8 DCT encoder / decoder pair on the output map of "
                        "this ONNX node (repeatable; --io parallel)")
    p.add_argument("--fmap-block", type=int, choices=(2, 4, 8), help="DCT block size (default 8)")
    p.add_argument("--fmap-bits", type=int, metavar="BITS", help="bits of each kept DCT coefficient (default 8)")
    p.add_argument("--fmap-keep", type=int, metavar="T",
                   help="keep the DCT coefficients with u + v <= T, 0..2(B-1) (default -1: all)")
    p.add_argument("--fmap-table", choices=("jpeg", "flat"), help="quantisation steps per coefficient (default jpeg)")
    p.add_argument("--fmap-quality", type=int, metavar="Q", help="JPEG quality 1..100 of the jpeg table (default 50)")
    p.add_argument("--min-agreement", type=float, metavar="FRACTION",
                   help="warn when argmax agreement with the original model on the calibration data is below (default 0.98)")
    p.add_argument("--input-shape", action="append", type=_input_shape, default=[], help=shape_help)


def _parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(prog="nncc", description="ONNX to inference-hardware compiler")
    from nncc import __version__

    parser.add_argument("--version", action="version", version=f"nncc {__version__}")
    common = _ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress or status lines on stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)

    def add(name: str, **kw) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kw)

    shape_help = "fix a graph input's shape, batch axis first (any size; the IR is per sample) (repeatable): NAME=1x3x32x32"

    p = add("import", help="import an ONNX model and print its nn-dialect IR")
    p.add_argument("model", help="ONNX model file")
    p.add_argument("-o", "--output", help="write the IR here instead of stdout")
    p.add_argument("--input-shape", action="append", type=_input_shape, default=[], help=shape_help)
    p.add_argument(
        "--pipeline",
        default="nn-cleanup",
        help="passes after import: 'nn-cleanup' (default), 'none', or a -p pipeline string",
    )
    p.add_argument("--print-pipeline", action="store_true", help="print the equivalent nncc-opt -p string")
    p.add_argument("--no-locations", action="store_true", help="omit loc(...) (ONNX node names)")

    p = add("run", help="run the float reference interpreter on a batch")
    p.add_argument("model", help="ONNX model or .mlir IR")
    p.add_argument("--input", required=True, help=".npy (single input, batch first) or .npz keyed by input name")
    p.add_argument("-o", "--output", help="write outputs to .npy (single output) or .npz")
    p.add_argument("--input-shape", action="append", type=_input_shape, default=[], help=shape_help)

    p = add("compile", help="compile an ONNX model into a hardware project")
    _add_compile_arguments(p, shape_help)

    p = add("simulate", help="run a compiled design on a batch")
    p.add_argument("design", help="folder written by nncc compile")
    p.add_argument("--input", required=True, help=".npy (single input, batch first) or .npz keyed by input name")
    p.add_argument("-o", "--output", help="write outputs to .npy (single output) or .npz")
    p.add_argument("--engine", default="fixed", choices=["float", "fixed", "csim", "rtl"], help="default: fixed")
    p.add_argument("--simulator", default="verilator", choices=["verilator", "icarus"], help="for --engine rtl")

    p = add("verify", help="check that C-simulation and RTL simulation (those the folder has) equal the fixed-point interpreter bit for bit")
    p.add_argument("design", help="folder written by nncc compile")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--input", help=".npy/.npz inputs to verify on")
    group.add_argument("--samples", type=int, default=1000, help="number of N(0,1) samples (default 1000)")
    p.add_argument("--no-rtl", action="store_true", help="skip the RTL simulation")

    p = add("report", help="show (and with --synth, extend) a design's report")
    p.add_argument("design", help="folder written by nncc compile")
    p.add_argument("--synth", action="store_true",
                   help="run Yosys synth_xilinx on the Verilog and record resources next to the estimate")
    p.add_argument("--family", default="xc7", choices=["xc7", "xcup", "xcu"], help="Xilinx family for --synth")
    p.add_argument("--chart", metavar="PNG", help="write a bar chart of the complexity metrics per stage (needs matplotlib)")
    return parser


def _cmd_import(args) -> int:
    from nncc.compiler import api
    from nncc.compiler.pipelines import pipeline_spec

    passes = [] if args.pipeline == "none" else api.resolve_pipeline(args.pipeline)
    if args.print_pipeline:
        print(pipeline_spec(passes), file=sys.stderr)
    module = api.import_model(args.model, input_shapes=dict(args.input_shape), pipeline=None)
    if passes:
        from nncc.compiler.context import make_context
        from nncc.compiler.pipelines import run_passes

        run_passes(passes, module, make_context())
    text = api.module_text(module, locations=not args.no_locations)
    if args.output:
        api.write_atomically(args.output, text.encode())
    else:
        sys.stdout.write(text)
    return 0


def _cmd_run(args) -> int:
    import numpy as np

    from nncc.compiler import api

    module = api.load_module(args.model, input_shapes=dict(args.input_shape))
    inputs = api.read_inputs(args.input, module)
    outputs = api.run_float_model(module, inputs)
    if args.output:
        api.save_outputs(args.output, outputs)
    else:
        with np.printoptions(precision=6, suppress=True, threshold=200):
            for name, value in outputs.items():
                print(f"{name}: shape {list(value.shape)}")
                print(value)
    return 0


def _thresholds(text: str) -> tuple[float, float]:
    """``--delta``: "X" or "X,H", numbers >= 0."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(v >= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected THETA_X[,THETA_H], numbers >= 0, got {text!r}")
    return values[0], values[-1]


def _cmd_compile(args) -> int:
    from nncc.compiler.config import read_config, with_overrides
    from nncc.compiler.diagnostics import one_line
    from nncc.compiler.flow import compile_model, write_folder

    options, problems = read_config(args.config)
    options = with_overrides(
        options, width=args.width, weight_width=args.weight_width,
        rounding=args.rounding, overflow=args.overflow, mode=args.mode, table_bits=args.table_bits,
        reuse_factor=args.reuse_factor, xnor_simd=args.xnor_simd, complex_products=args.complex_products, target_ii=args.target_ii, io=args.io, fifo_memory=args.fifo_memory, weight_memory=args.weight_memory, recurrent_form=args.recurrent_form, pot_bits=args.pot_bits, pot_terms=args.pot_terms,
        pot_per_channel=args.pot_per_channel, pot_rounding=args.pot_rounding,
        pot_compensation=args.pot_compensation, pot_prune=args.pot_prune,
        shift_share=args.shift_share, shift_all=args.shift_all, min_agreement=args.min_agreement,
        sparse_threshold=args.sparse_threshold, sparse_structure=args.sparse_structure, sparse_prune=args.sparse_prune,
        sparse_prune_kind=args.sparse_prune_kind, sparse_prune_resource=args.sparse_prune_resource,
        sparse_cluster=args.sparse_cluster,
        sparse_cluster_scope=args.sparse_cluster_scope,
        **(dict(delta=True, delta_x=args.delta[0], delta_h=args.delta[1]) if args.delta else {}),
        integer_only=args.integer_only,
        fmap_compress=tuple(args.fmap_compress) if args.fmap_compress else None, fmap_block=args.fmap_block, fmap_bits=args.fmap_bits,
        fmap_keep=args.fmap_keep, fmap_table=args.fmap_table, fmap_quality=args.fmap_quality,
    )
    files, spec = compile_model(
        args.model, options, calibration=args.calibration, pipeline=args.pipeline, target=args.target,
        input_shapes=dict(args.input_shape), config_problems=problems,
    )
    if args.print_pipeline:
        print(spec, file=sys.stderr)
    write_folder(args.output, files)
    import json

    from nncc.compiler.analysis.fidelity import fidelity_lines

    report = json.loads(files["report.json"])
    print("\n".join(fidelity_lines(report["fidelity"])))
    print(f"wrote {one_line(str(args.output))}")
    return 0


def _cmd_simulate(args) -> int:
    import numpy as np

    from nncc.compiler import api
    from nncc.compiler.diagnostics import one_line
    from nncc.compiler.design import load

    design = load(args.design)
    inputs = api.read_inputs(args.input, design.model)
    if args.engine == "rtl":
        outputs = design.run_rtl(inputs, simulator=args.simulator)
        stats = design.rtl_stats
        print(f"rtl: latency {stats.get('latency')} cycles, initiation interval {stats.get('ii')} cycles", file=sys.stderr)
    else:
        outputs = design.run(inputs, args.engine)
    if args.output:
        api.save_outputs(args.output, outputs)
    else:
        with np.printoptions(precision=6, suppress=True, threshold=200):
            for name, value in outputs.items():
                print(f"{one_line(name)}: shape {list(value.shape)}")
                print(value)
    return 0


def _cmd_verify(args) -> int:
    import numpy as np

    from nncc.compiler import api
    from nncc.compiler.diagnostics import one_line
    from nncc.compiler.design import load

    design = load(args.design)
    if args.input:
        inputs = api.read_inputs(args.input, design.model)
    else:
        if args.samples < 1:
            raise NnccError("--samples must be at least 1")
        rng = np.random.default_rng(1)
        inputs = {
            n: rng.standard_normal((args.samples,) + shape[1:]).astype(np.float32)
            for n, shape in zip(design.input_names, design.input_shapes)
        }
    engines = [e for e in ("csim", "rtl") if e in design.engines and not (e == "rtl" and args.no_rtl)]
    if not engines:
        raise NnccError(f"{args.design}: nothing to verify against the fixed-point interpreter: the folder has no HLS C++ "
                        "project" + (" and --no-rtl skips its Verilog" if design.has_verilog else " and no Verilog"))
    fixed = design.run(inputs, "fixed")
    count = len(next(iter(inputs.values())))
    total = sum(v.size for v in fixed.values())
    failed = False
    for engine in engines:
        got = design.run(inputs, engine)
        differing = sum(int(np.count_nonzero(fixed[n] != got[n])) for n in fixed)
        if engine == "rtl":
            schedule = design.report.get("schedule", {})
            stats = design.rtl_stats
            timing_ok = stats.get("latency") == schedule.get("latency_cycles") and (count < 2 or stats.get("ii") == schedule.get("ii_cycles"))
            print(f"rtl: latency {stats.get('latency')} cycles (predicted {schedule.get('latency_cycles')}), "
                  f"ii {stats.get('ii')} (predicted {schedule.get('ii_cycles')})")
            if not timing_ok:
                print("rtl timing differs from the predicted schedule", file=sys.stderr)
                failed = True
        if differing:
            failed = True
            print(f"fixed != {engine}: {differing} of {total} outputs differ on {count} samples", file=sys.stderr)
            mismatch = design.first_mismatch(inputs) if engine == "csim" else None
            if mismatch is not None:
                print(
                    f"first divergence at layer {one_line(mismatch.layer)!r} ({mismatch.op}): {mismatch.differing} of "
                    f"{mismatch.total} values differ, max |diff| {mismatch.max_abs_diff:g}",
                    file=sys.stderr,
                )
    if failed:
        return 1
    print(f"{' == '.join(['fixed', *engines])}: {count} samples, {total} outputs, 0 differing")
    return 0


def _cmd_report(args) -> int:
    from nncc.compiler.design import load
    from nncc.compiler.analysis.synthesis import design_estimate, report_table, synthesize_design

    from nncc.compiler.analysis.complexity import stage_table, write_chart
    from nncc.compiler.diagnostics import one_line

    design = load(args.design)
    if args.synth:
        synthesize_design(design, family=args.family)
    try:  # from design.mlir, a fraction of a second
        estimate = design_estimate(design)
    except NnccError as err:
        estimate = None
        print(f"note: {err}", file=sys.stderr)
    print(report_table(design.report, estimate))
    for entry in design.report.get("pot_quant", []):
        error = entry.get("error", {})
        print(f"{one_line(str(entry['layer']))}: {entry['terms']} x {entry['bits']}-bit signed digits, scale {entry['scales']}, "
              f"rms error {error.get('rms')} ({error.get('relative_rms')} relative), zero weights {entry['zero_weights']}")
    stages = {entry["stage"]: entry for entry in design.report.get("complexity", {}).get("stages", [])}
    if stages:
        print("complexity per forward pass (RMpS, BoP, NABS, NLG; definitions in docs/complexity.md):")
        print(stage_table({stage: [(layer["name"], layer) for layer in data["layers"]] for stage, data in stages.items()}))
    if args.chart:
        if not stages:
            raise NnccError(f"{args.design}: report.json has no complexity section (recompile with this nncc)")
        write_chart({stage: data["total"] for stage, data in stages.items()}, args.chart)
        print(f"wrote {args.chart}")
    return 0


COMMANDS = {"report": _cmd_report, "import": _cmd_import, "run": _cmd_run, "compile": _cmd_compile, "simulate": _cmd_simulate, "verify": _cmd_verify}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nncc` console script."""
    try:
        args = _parser().parse_args(argv)
        from nncc.runtime import progress

        progress.configure(quiet=args.quiet)
        return COMMANDS[args.command](args)
    except NnccError as err:
        for problem in err.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a compiler bug: one line unless debugging
        if os.environ.get("NNCC_DEBUG"):
            traceback.print_exc()
        first = str(err).strip().splitlines()
        print(
            f"internal error: {type(err).__name__}: {first[0] if first else ''} "
            "(please report it; NNCC_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
