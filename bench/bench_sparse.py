#!/usr/bin/env python
"""Benchmark: sparse weights as absent multipliers, measured with Yosys.

Usage::

    python bench/bench_sparse.py [--reuse-factor 4] [--variants dense,zeros,unstructured,2of4,channels]

Prints ONE JSON document on stdout; progress goes to stderr. The model is the jet-tagging MLP
fixture (test/fixtures/mlp.onnx, 16-64-32-32-5), compiled at one reuse factor (4 by default;
the 5-output last layer runs at RF 5) and synthesized with Yosys `synth_xilinx -family xc7`
(`nncc.compiler.analysis.synthesis.synthesize_design`). Variants:

- ``dense``: the model as it is;
- ``zeros``: its 75 % smallest weights of every matrix set to zero in the ONNX file and no
  sparse encoding: the dense plan, where Yosys can only drop a multiplier whose weight is zero
  in all R phases;
- ``unstructured``: the same ONNX file with ``sparse_threshold=0.5``: `sparse-materialize`
  packs the non-zeros into lanes;
- ``2of4``: ``sparse_prune_kind="2:4"`` (magnitude pruning, 2 of every 4 weights);
- ``channels``: ``sparse_prune=0.5, sparse_prune_kind="channels"`` (half the neurons of the
  hidden layers removed);
- ``complementary4``: ``sparse_prune_kind="complementary=4"`` (groups of 4 kernels with
  disjoint supports, each input column kept by one kernel of its group). Not in the default list;
- ``clusters8`` / ``clusters4``: ``sparse_cluster=8`` / ``4`` (k-means weight clustering, a
  codebook per neuron; cluster lanes: each cluster's inputs added first, one multiplier per
  cluster). Not in the default list.

Per variant: the planned multipliers (sum of the PEs' ``multipliers``), Yosys' DSP / LUT / FF /
CARRY totals, their ratios to ``dense``, and ``hls4ml_rule``: the multipliers of hls4ml's
Resource strategy for the same layers and reuse factor, n_in * n_out / RF whatever the
zeros. Also the fixed-point interpreter's argmax agreement with the float model on 1000 N(0,1)
inputs. Yosys results are cached by content ($NNCC_CACHE_DIR/synth).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

import nncc
from nncc.compiler.analysis.synthesis import synthesize_design
from nncc.dialects import dataflow

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "test" / "fixtures" / "mlp.onnx"
VARIANTS = ("dense", "zeros", "unstructured", "2of4", "channels")


def zeroed(folder: Path, fraction: float = 0.75) -> Path:
    """The MLP with the ``fraction`` smallest weights of every matrix set to zero."""
    model = onnx.load(MODEL)
    for init in model.graph.initializer:
        w = numpy_helper.to_array(init)
        if w.ndim == 2:
            w = np.where(np.abs(w) > np.quantile(np.abs(w), fraction), w, 0).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array(w, init.name))
    path = folder / "mlp_zeros.onnx"
    onnx.save(model, path)
    return path


def compile_variant(name: str, folder: Path, rf: int) -> nncc.Design:
    out = folder / name
    if name == "dense":
        return nncc.compile(MODEL, out, reuse_factor=rf, target="verilog")
    if name in ("zeros", "unstructured"):
        extra = {"sparse_threshold": 0.5} if name == "unstructured" else {}
        return nncc.compile(zeroed(folder), out, reuse_factor=rf, target="verilog", **extra)
    if name == "2of4":
        return nncc.compile(MODEL, out, reuse_factor=rf, target="verilog", sparse_prune_kind="2:4")
    if name == "complementary4":
        return nncc.compile(MODEL, out, reuse_factor=rf, target="verilog", sparse_prune_kind="complementary=4")
    if name.startswith("clusters"):
        return nncc.compile(MODEL, out, reuse_factor=rf, target="verilog", sparse_cluster=int(name[len("clusters"):]))
    return nncc.compile(MODEL, out, reuse_factor=rf, target="verilog", sparse_prune=0.5, sparse_prune_kind="channels")


def hls4ml_rule(rf: int) -> int:
    """hls4ml Resource strategy: n_in * n_out / RF multipliers per dense layer (its reuse factor
    rounded to a divisor of n_in * n_out as ours is to the outputs: the 5-output layer at 5)."""
    layers = ((16, 64, rf), (64, 32, rf), (32, 32, rf), (32, 5, 5 if rf > 1 else 1))
    return sum(-(-n_in * n_out // r) for n_in, n_out, r in layers)


def run(name: str, folder: Path, rf: int, x: np.ndarray) -> dict:
    start = time.perf_counter()
    design = compile_variant(name, folder, rf)
    pes = [op for op in design.design.walk() if isinstance(op, dataflow.PeOp)]
    planned = sum(pe.multipliers.value.data for pe in pes)
    agreement = float(np.mean(design.predict(x, engine="fixed").argmax(1) == design.predict(x, engine="float").argmax(1)))
    compiled = time.perf_counter() - start
    print(f"{name}: compiled in {compiled:.1f} s, {planned} planned multipliers; Yosys ...", file=sys.stderr, flush=True)
    result = synthesize_design(design)
    print(f"{name}: {result['total']} ({result['seconds']} s)", file=sys.stderr, flush=True)
    return {
        "planned_multipliers": planned,
        "layers": [{"outputs": int(np.prod(pe.output.type.get_shape())), "reuse_factor": pe.reuse_factor.value.data,
                    "multipliers": pe.multipliers.value.data, "encoding": str(pe.layer().weight_encoding())} for pe in pes],
        "yosys": result["total"],
        "yosys_seconds": result["seconds"],
        "argmax_agreement_with_float": agreement,
        "schedule": design.report["schedule"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-factor", type=int, default=4)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    names = [v for v in args.variants.split(",") if v]
    x = np.random.default_rng(0).standard_normal((1000, 16)).astype(np.float32)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            results[name] = run(name, Path(tmp), args.reuse_factor, x)
    if "dense" in results:
        base = results["dense"]["yosys"]
        for entry in results.values():
            entry["ratio_to_dense"] = {k: round(entry["yosys"][k] / base[k], 3) for k in ("DSP", "LUT", "FF") if base.get(k)}
    print(json.dumps({"model": "test/fixtures/mlp.onnx", "reuse_factor": args.reuse_factor,
                      "hls4ml_rule_multipliers": hls4ml_rule(args.reuse_factor), "variants": results}, indent=2))


if __name__ == "__main__":
    main()
