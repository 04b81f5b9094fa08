#!/usr/bin/env python
"""Benchmark: knapsack resource-aware pruning on the digits models, measured with Yosys.

Usage::

    python bench/bench_knapsack.py [--models digits_mlp,digits_cnn,dense784] [--budget 0.25]

Prints ONE JSON document on stdout; progress goes to stderr. Each model (the scikit-learn
digits fixtures: digits_mlp 64-32-32-10 at reuse factor 4, digits_cnn conv 8x3x3, conv
16x8x3x3, dense 10 at reuse factor 1) is compiled post-training with
``sparse_prune_kind="knapsack"`` keeping ``budget`` of the dense multipliers (calibration and
the saliencies on the first 256 training samples) and synthesized with Yosys
`synth_xilinx -family xc7`. Per model: the dense plan's multipliers, the budget, the planned
multipliers, Yosys' DSP / LUT / FF, and the test accuracy of the float model and of the
bit-exact fixed-point interpreter (540 samples). ``dense784`` is the block-RAM budget run: a
784-64-10 MLP made here (He-normal weights, seed 0; accuracy is not its point) at reuse factor
32 with 8-bit weights in block-RAM ROMs (``weight_memory="bram"``), pruned by the knapsack to
``budget`` of the dense plan's block RAMs (``sparse_prune_resource="bram"``); its dense block
RAMs come from the estimate (`dataflow.bram_blocks`, exact for these ROMs), the pruned ones
from Yosys. Yosys results are cached by content ($NNCC_CACHE_DIR/synth).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nncc
from nncc.compiler.analysis.synthesis import synthesize_design
from nncc.dialects import dataflow

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "test" / "fixtures"
MODELS = {"digits_mlp": ("flat", 4, 832), "digits_cnn": ("image", 1, 1864)}
"""model -> (input layout, reuse factor, dense multipliers at that reuse factor)."""
BRAM_MODEL = (("fc1", 784, 64), ("fc2", 64, 10))
"""The block-RAM budget run's layers (name, inputs, outputs)."""


def digits(layout: str):
    spec = importlib.util.spec_from_file_location("digits_data", FIXTURES / "digits_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_split(layout)


def run(model: str, budget: float, folder: Path) -> dict:
    layout, rf, dense = MODELS[model]
    x_train, _, x_test, y_test = digits(layout)
    np.save(folder / "cal.npy", x_train[:256])
    start = time.perf_counter()
    design = nncc.compile(FIXTURES / f"{model}.onnx", folder / model, calibration=folder / "cal.npy", reuse_factor=rf,
                          target="verilog", io="parallel", sparse_prune=1 - budget, sparse_prune_kind="knapsack")
    planned = sum(pe.multipliers.value.data for pe in design.design.walk() if isinstance(pe, dataflow.PeOp))
    accuracy = {engine: float(np.mean(design.predict(x_test, engine=engine).argmax(1) == y_test))
                for engine in ("float", "fixed")}
    print(f"{model}: compiled in {time.perf_counter() - start:.1f} s, {planned} planned multipliers "
          f"(budget {int(budget * dense)}); Yosys ...", file=sys.stderr, flush=True)
    result = synthesize_design(design)
    print(f"{model}: {result['total']} ({result['seconds']} s)", file=sys.stderr, flush=True)
    return {"reuse_factor": rf, "dense_multipliers": dense, "budget_multipliers": int(budget * dense),
            "planned_multipliers": planned, "yosys": result["total"], "yosys_seconds": result["seconds"],
            "dsp_within_budget": result["total"].get("DSP", 0) <= int(budget * dense),
            "test_accuracy": accuracy, "schedule": design.report["schedule"]}


def dense784(folder: Path) -> Path:
    """The 784-64-10 MLP of the block-RAM run as an ONNX file."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "input"
    for i, (name, n_in, n_out) in enumerate(BRAM_MODEL):
        w = (rng.standard_normal((n_out, n_in)) * np.sqrt(2 / n_in)).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"{name}.weight"),
                  numpy_helper.from_array(rng.uniform(-0.1, 0.1, n_out).astype(np.float32), f"{name}.bias")]
        y = "output" if i == len(BRAM_MODEL) - 1 else f"{name}_out"
        nodes.append(helper.make_node("Gemm", [x, f"{name}.weight", f"{name}.bias"], [y], transB=1, name=name))
        if i < len(BRAM_MODEL) - 1:
            nodes.append(helper.make_node("Relu", [y], [f"{name}_relu"], name=f"{name}_relu"))
            y = f"{name}_relu"
        x = y
    graph = helper.make_graph(nodes, "dense784", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 784])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 10])], inits)
    path = folder / "dense784.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)
    return path


def run_bram(budget: float, folder: Path) -> dict:
    """The block-RAM budget run (see the module docstring)."""
    from nncc.compiler.analysis.synthesis import design_estimate

    model = dense784(folder)
    common = dict(reuse_factor=32, weight_width=8, weight_memory="bram", target="verilog")
    dense = nncc.compile(model, folder / "dense784_dense", **common)
    dense_bram = design_estimate(dense)["total"]["BRAM"]
    dense_mult = sum(pe.multipliers.value.data for pe in dense.design.walk() if isinstance(pe, dataflow.PeOp))
    start = time.perf_counter()
    design = nncc.compile(model, folder / "dense784", sparse_prune=1 - budget, sparse_prune_kind="knapsack",
                          sparse_prune_resource="bram", **common)
    planned = sum(pe.multipliers.value.data for pe in design.design.walk() if isinstance(pe, dataflow.PeOp))
    print(f"dense784: compiled in {time.perf_counter() - start:.1f} s, {planned} multipliers (dense {dense_mult}); "
          f"Yosys ...", file=sys.stderr, flush=True)
    result = synthesize_design(design)
    print(f"dense784: {result['total']} ({result['seconds']} s)", file=sys.stderr, flush=True)
    return {"reuse_factor": 32, "weight_bits": 8, "dense_multipliers": dense_mult, "dense_bram_estimate": dense_bram,
            "budget_bram": budget * dense_bram, "planned_multipliers": planned,
            "estimate": design.report["estimate"]["total"], "yosys": result["total"],
            "yosys_seconds": result["seconds"], "bram_within_budget": result["total"].get("BRAM", 0) <= budget * dense_bram,
            "schedule": design.report["schedule"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join([*MODELS, "dense784"]))
    parser.add_argument("--budget", type=float, default=0.25)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model in [m for m in args.models.split(",") if m]:
            results[model] = run_bram(args.budget, Path(tmp)) if model == "dense784" else run(model, args.budget, Path(tmp))
    print(json.dumps({"budget": args.budget, "models": results}, indent=2))


if __name__ == "__main__":
    main()
