#!/usr/bin/env python
"""Benchmark: a binary QONNX MLP (or CNN) against the same network with 8-bit weights and activations.

Usage::

    python bench/bench_binary.py [--model mlp|cnn] [--shape 16,32,10] [--samples 1000] [--no-synth]
        [--reuse-factor R] [--variants binary,binary_shift_add,int8]

Prints ONE JSON document on stdout; progress goes to stderr. Two models of the same shape
``IN -> HIDDEN -> OUT`` (QONNX, opset 17), each compiled at reuse factor R (default 1, target all):

* ``binary``: an 8-bit input Quant (2^-4), BipolarQuant weights in both layers, a float
  threshold subtracted before a BipolarQuant on the hidden layer and from the logits;
  fc2 (+-1 weights, +-1 inputs) becomes `binary_complex.xnor_dense`: XNOR gates and a
  popcount tree per output (`binary-complex-replace-dense-with-xnor`);
* ``binary_shift_add``: ``binary`` compiled without `binary-complex-replace-dense-with-xnor`
  (the `nn-to-emit` pipeline less that pass): fc2 keeps `#encoding.binary<shift = 0>` on the
  shift-and-add PE, which adds or subtracts each +-1 input (the hardware before the XNOR PE);
* ``int8``: the same with 8-bit Quant weights (per-tensor scale 2^-5) and an 8-bit
  unsigned hidden Quant (2^-3, FLOOR) in place of the sign.

``--model cnn``: the same three variants of a CNN on 1x8x8 images: Conv 1->4 3x3 (pad 1),
threshold, sign (or the 8-bit Quant), Conv 4->8 3x3 (pad 1), threshold, sign, MaxPool 2x2,
Flatten, MatMul 128->10, threshold (``--shape`` is ignored); the convolutions are
sliding-window engines.

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


def build_cnn(kind: str, seed: int = 31) -> onnx.ModelProto:
    """The ``binary`` or ``int8`` CNN (see the module docstring)."""
    rng = np.random.default_rng(seed)
    scale = 1 if kind == "binary" else 0.3
    inits = [_init("s_in", 2**-4), _init("z", 0), _init("b8", 8), _init("one", 1), _init("s_w", 2**-5), _init("s_h", 2**-3),
             _init("w1f", rng.standard_normal((4, 1, 3, 3)) * scale), _init("t1", rng.standard_normal((1, 4, 1, 1)) * 1.5),
             _init("w2f", rng.standard_normal((8, 4, 3, 3)) * scale), _init("t2", rng.standard_normal((1, 8, 1, 1)) * 2.0),
             _init("w3f", rng.standard_normal((128, 10)) * scale), _init("t3", rng.standard_normal(10) * 2.0)]
    quant = dict(domain=QONNX, signed=1, narrow=0, rounding_mode="ROUND")

    def weight(i):
        if kind == "binary":
            return helper.make_node("BipolarQuant", [f"w{i}f", "one"], [f"w{i}"], domain=QONNX, name=f"bin_w{i}")
        return helper.make_node("Quant", [f"w{i}f", "s_w", "z", "b8"], [f"w{i}"], name=f"q_w{i}", **quant)

    def act(i):
        if kind == "binary":
            return helper.make_node("BipolarQuant", [f"c{i}t", "one"], [f"a{i}"], domain=QONNX, name=f"sign{i}")
        return helper.make_node("Quant", [f"c{i}t", "s_h", "z", "b8"], [f"a{i}"], name=f"q_h{i}", domain=QONNX, signed=0,
                                narrow=0, rounding_mode="FLOOR")

    nodes = [helper.make_node("Quant", ["x", "s_in", "z", "b8"], ["xq"], name="quant_in", **quant), weight(1), weight(2),
             weight(3),
             helper.make_node("Conv", ["xq", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Sub", ["c1", "t1"], ["c1t"], name="thr1"), act(1),
             helper.make_node("Conv", ["a1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
             helper.make_node("Sub", ["c2", "t2"], ["c2t"], name="thr2"), act(2),
             helper.make_node("MaxPool", ["a2"], ["p2"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p2"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "w3"], ["h3"], name="fc"),
             helper.make_node("Sub", ["h3", "t3"], ["y"], name="thr3")]
    graph = helper.make_graph(nodes, kind, [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 1, 8, 8])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(QONNX, 1)],
                              ir_version=9)
    onnx.checker.check_model(model)
    return model


CNN_MACS = {"conv1": 4 * 9, "conv2": 8 * 36, "fc": 128 * 10}
"""Multiply-accumulate terms of each CNN layer's engine at reuse factor 1 (a window engine
computes one output pixel, all its channels, per cycle), as the MLP's K x M."""

XNOR_PASS = "binary-complex-replace-dense-with-xnor"
VARIANTS = {"binary": ("binary", {}), "binary_shift_add": ("binary", {"without": XNOR_PASS}), "int8": ("int8", {})}
"""Variant name -> (model kind, nncc.compile options; ``without``: compile with the `nn-to-emit`
pipeline less that pass)."""


def compile_options(options: dict, reuse_factor: int) -> dict:
    """The nncc.compile keyword arguments of a variant (``without`` becomes a ``pipeline``)."""
    from nncc.compiler.config import CompileOptions
    from nncc.compiler.pipelines import build_nn_to_emit, pipeline_spec

    out = {k: v for k, v in options.items() if k != "without"}
    out["reuse_factor"] = reuse_factor
    if "without" in options:
        passes = build_nn_to_emit(CompileOptions(reuse_factor=reuse_factor))
        out["pipeline"] = pipeline_spec([p for p in passes if p.name != options["without"]])
    return out


def run_variant(name: str, shape: tuple[int, int, int] | None, samples: int, synth: bool, folder: Path,
                reuse_factor: int = 1) -> dict:
    """Compile, run three ways, optionally synthesize; the variant's JSON entry (``shape``
    None: the CNN)."""
    kind, options = VARIANTS[name]
    dims = (1, 8, 8) if shape is None else (shape[0],)
    x = (np.random.default_rng(7).standard_normal((samples, *dims)) * 2.5).astype(np.float32)
    x = np.clip(np.round(x * 16), -128, 127) / 16  # on the input quantizer's grid
    onnx.save(build_cnn(kind) if shape is None else build(kind, *shape), folder / f"{kind}.onnx")
    np.save(folder / f"{kind}_cal.npy", x[:256])
    start = time.perf_counter()
    design = nncc.compile(folder / f"{kind}.onnx", folder / name, calibration=folder / f"{kind}_cal.npy",
                          **{"io": "parallel", **compile_options(options, reuse_factor)})
    entry: dict = {"options": options, "compile_s": round(time.perf_counter() - start, 2)}
    fixed_y = design.run(x, "fixed")["y"]
    entry["fixed_equals_csim"] = bool(np.array_equal(fixed_y, design.run(x, "csim")["y"]))
    entry["fixed_equals_rtl"] = bool(np.array_equal(fixed_y, design.run(x, "rtl")["y"]))
    schedule, stats = design.report["schedule"], design.rtl_stats
    entry.update(samples=samples, predicted=schedule, measured={"latency_cycles": stats["latency"], "ii_cycles": stats["ii"]})
    if synth:
        print(f"{name}: synthesizing with Yosys", file=sys.stderr)
        result = synthesize_design(design)
        macs = CNN_MACS if shape is None else {"fc1": shape[0] * shape[1], "fc2": shape[1] * shape[2]}
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
    parser.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    parser.add_argument("--shape", default="16,32,10", help="IN,HIDDEN,OUT (mlp)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--no-synth", action="store_true")
    parser.add_argument("--reuse-factor", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated: " + ", ".join(VARIANTS))
    args = parser.parse_args(argv)
    shape = tuple(int(v) for v in args.shape.split(",")) if args.model == "mlp" else None
    with tempfile.TemporaryDirectory() as tmp:
        names = args.variants.split(",")
        doc = {"model": args.model, "shape": list(shape) if shape else [1, 8, 8], "reuse_factor": args.reuse_factor,
               "variants": {n: run_variant(n, shape, args.samples, not args.no_synth, Path(tmp), args.reuse_factor)
                            for n in names}}
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
