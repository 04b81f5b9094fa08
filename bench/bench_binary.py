#!/usr/bin/env python
"""Benchmark: a binary QONNX MLP against the same MLP with 8-bit weights and activations.

Usage::

    python bench/bench_binary.py [--shape 16,32,10] [--samples 1000] [--no-synth]

Prints ONE JSON document on stdout; progress goes to stderr. Two models of the same shape
``IN -> HIDDEN -> OUT`` (QONNX, opset 17), each compiled at reuse factor 1 (target all):

* ``binary``: an 8-bit input Quant (2^-4), BipolarQuant weights in both layers, a float
  threshold subtracted before a BipolarQuant on the hidden layer and from the logits;
* ``binary_shift_add``: ``binary`` compiled with ``shift_all=True``: the +-1 (and +-2^e)
  weights become `#encoding.signed_digits<max_digits = 1>` and the shift-and-add PE adds or
  subtracts each input (no multiplier);
* ``int8``: the same with 8-bit Quant weights (per-tensor scale 2^-5) and an 8-bit
  unsigned hidden Quant (2^-3, FLOOR) in place of the sign.

For each: whether fixed == C-sim == Verilator RTL bit for bit on ``--samples`` inputs, the
measured latency / II against report.json's schedule, and (unless ``--no-synth``) Yosys
``synth_xilinx -family xc7`` per layer: LUT, FF, DSP, CARRY, and LUTs per multiply-accumulate
(the layer's K x M terms) side by side.
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
from onnx import helper, numpy_helper

import nncc
from nncc.compiler.analysis.synthesis import synthesize_design

QONNX = "qonnx.custom_op.general"


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def build(kind: str, n_in: int, hidden: int, out: int, seed: int = 21) -> onnx.ModelProto:
    """The ``binary`` or ``int8`` MLP (see the module docstring)."""
    rng = np.random.default_rng(seed)
    w1, w2 = rng.standard_normal((n_in, hidden)), rng.standard_normal((hidden, out))
    t1, t2 = rng.standard_normal(hidden) * 1.5, rng.standard_normal(out) * 2.0
    inits = [_init("s_in", 2**-4), _init("z", 0), _init("b8", 8), _init("one", 1), _init("s_w", 2**-5),
             _init("s_h", 2**-3), _init("w1f", w1 * (1 if kind == "binary" else 0.3)),
             _init("w2f", w2 * (1 if kind == "binary" else 0.3)), _init("t1", t1), _init("t2", t2)]
    quant = dict(domain=QONNX, signed=1, narrow=0, rounding_mode="ROUND")
    if kind == "binary":
        weights = [helper.make_node("BipolarQuant", [f"w{i}f", "one"], [f"w{i}"], domain=QONNX, name=f"bin_w{i}")
                   for i in (1, 2)]
        act = helper.make_node("BipolarQuant", ["h1t", "one"], ["a1"], domain=QONNX, name="sign1")
    else:
        weights = [helper.make_node("Quant", [f"w{i}f", "s_w", "z", "b8"], [f"w{i}"], name=f"q_w{i}", **quant)
                   for i in (1, 2)]
        act = helper.make_node("Quant", ["h1t", "s_h", "z", "b8"], ["a1"], name="q_h", domain=QONNX, signed=0,
                               narrow=0, rounding_mode="FLOOR")
    nodes = [helper.make_node("Quant", ["x", "s_in", "z", "b8"], ["xq"], name="quant_in", **quant), *weights,
             helper.make_node("MatMul", ["xq", "w1"], ["h1"], name="fc1"),
             helper.make_node("Sub", ["h1", "t1"], ["h1t"], name="thr1"), act,
             helper.make_node("MatMul", ["a1", "w2"], ["h2"], name="fc2"),
             helper.make_node("Sub", ["h2", "t2"], ["y"], name="thr2")]
    graph = helper.make_graph(nodes, kind, [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", n_in])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", out])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(QONNX, 1)],
                              ir_version=9)
    onnx.checker.check_model(model)
    return model


VARIANTS = {"binary": ("binary", {}), "binary_shift_add": ("binary", {"shift_all": True}), "int8": ("int8", {})}
"""Variant name -> (model kind, nncc.compile options)."""


def run_variant(name: str, shape: tuple[int, int, int], samples: int, synth: bool, folder: Path) -> dict:
    """Compile, run three ways, optionally synthesize; the variant's JSON entry."""
    kind, options = VARIANTS[name]
    n_in, hidden, out = shape
    x = (np.random.default_rng(7).standard_normal((samples, n_in)) * 2.5).astype(np.float32)
    x = np.clip(np.round(x * 16), -128, 127) / 16  # on the input quantizer's grid
    onnx.save(build(kind, *shape), folder / f"{kind}.onnx")
    np.save(folder / f"{kind}_cal.npy", x[:256])
    start = time.perf_counter()
    design = nncc.compile(folder / f"{kind}.onnx", folder / name, calibration=folder / f"{kind}_cal.npy", **options)
    entry: dict = {"options": options, "compile_s": round(time.perf_counter() - start, 2)}
    fixed_y = design.run(x, "fixed")["y"]
    entry["fixed_equals_csim"] = bool(np.array_equal(fixed_y, design.run(x, "csim")["y"]))
    entry["fixed_equals_rtl"] = bool(np.array_equal(fixed_y, design.run(x, "rtl")["y"]))
    schedule, stats = design.report["schedule"], design.rtl_stats
    entry.update(samples=samples, predicted=schedule, measured={"latency_cycles": stats["latency"], "ii_cycles": stats["ii"]})
    if synth:
        print(f"{name}: synthesizing with Yosys", file=sys.stderr)
        result = synthesize_design(design)
        macs = {"fc1": n_in * hidden, "fc2": hidden * out}
        layers = []
        for row in result["layers"]:
            name = row.get("layer", "")
            layer = {k: row.get(k, 0) for k in ("layer", "LUT", "FF", "DSP", "CARRY")}
            if name in macs:
                layer["macs"] = macs[name]
                layer["lut_per_mac"] = round(row.get("LUT", 0) / macs[name], 3)
            layers.append(layer)
        entry["synthesis"] = {"total": result["total"], "layers": layers, "seconds": result["seconds"]}
    return entry


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="16,32,10", help="IN,HIDDEN,OUT")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--no-synth", action="store_true")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    args = parser.parse_args(argv)
    shape = tuple(int(v) for v in args.shape.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        names = args.variants.split(",")
        doc = {"shape": list(shape), "variants": {n: run_variant(n, shape, args.samples, not args.no_synth, Path(tmp))
                                                 for n in names}}
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
