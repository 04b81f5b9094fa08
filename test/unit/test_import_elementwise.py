"""Element-wise ONNX operators (compiler/onnx/ops_elementwise.py): the float import matches
onnxruntime on random inputs, and the fixed-point design of every op that goes to hardware
(variadic Sum/Mean/Max/Min, PRelu, the unary functions, Where, the normalizations) is bit-exact
between the fixed-point interpreter, the g++ C-simulation and a Verilator simulation.

The hardware ops share one model, so one Verilator build covers them (95 s cold on a loaded
2-core machine; cached by content under $NNCC_CACHE_DIR afterwards): two Gemm 4->12 layers
whose outputs feed every op in parallel branches, joined by one Concat.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc
from nncc.compiler.api import run_float_model
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.dialects import nn

RNG_SEED = 20261206


def make_model(nodes, inputs: dict, outputs: dict, inits: dict | None = None, opset: int = 18) -> onnx.ModelProto:
    """A model from nodes, {input name: shape}, {output name: shape} (batch axis symbolic)
    and initializers."""
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N"] + list(s[1:])) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N"] + list(s[1:])) for n, s in outputs.items()],
        [numpy_helper.from_array(np.asarray(v, np.float32), n) for n, v in (inits or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def compare_with_onnxruntime(model: onnx.ModelProto, feeds: dict, rtol: float = 1e-5, atol: float = 1e-6):
    """Float interpreter == onnxruntime on ``feeds`` (NaN where onnxruntime has NaN)."""
    module = import_onnx(model)
    ours = run_float_model(module, feeds)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    theirs = dict(zip(names, session.run(None, feeds)))
    for name in names:
        assert ours[name].shape == theirs[name].shape
        np.testing.assert_allclose(ours[name], theirs[name], rtol=rtol, atol=atol, equal_nan=True)
    return module, ours


def normal(*shape, scale: float = 2.0, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(RNG_SEED + seed).standard_normal(shape) * scale).astype(np.float32)


# ---------------------------------------------------------------------------------------
# float import vs onnxruntime

UNARY = [  # (op type, attributes, opset)
    ("Elu", {"alpha": 0.7}, 13),
    ("Selu", {}, 13),
    ("Selu", {"alpha": 1.5, "gamma": 0.9}, 13),
    ("Softplus", {}, 13),
    ("Softsign", {}, 13),
    ("HardSwish", {}, 14),
    ("Mish", {}, 18),
    ("Gelu", {}, 20),
    ("Gelu", {"approximate": "tanh"}, 20),
    ("Erf", {}, 13),
    ("Exp", {}, 13),
    ("Log", {}, 13),
    ("Sqrt", {}, 13),
    ("Reciprocal", {}, 13),
    ("Neg", {}, 13),
    ("Abs", {}, 13),
]


@pytest.mark.parametrize("op_type, attrs, opset", UNARY, ids=[f"{u[0]}-{i}" for i, u in enumerate(UNARY)])
def test_unary_matches_onnxruntime(op_type, attrs, opset):
    model = make_model([helper.make_node(op_type, ["x"], ["y"], **attrs)], {"x": [1, 3, 5]}, {"y": [1, 3, 5]},
                       opset=opset)
    x = normal(16, 3, 5, scale=3.0)
    if op_type in ("Log", "Sqrt"):
        x[:8] = np.abs(x[:8])  # half positive, the rest NaN where negative on both sides
    module, ours = compare_with_onnxruntime(model, {"x": x})
    assert np.isfinite(ours["y"][:8]).all() and np.unique(ours["y"]).size > 40


@pytest.mark.parametrize("exponent", [2.0, 3.0, 0.5, -1.0, -0.75, 1.0])
def test_pow_by_constant_matches_onnxruntime(exponent):
    model = make_model([helper.make_node("Pow", ["x", "p"], ["y"])], {"x": [1, 6]}, {"y": [1, 6]}, {"p": np.float32(exponent)})
    x = np.abs(normal(32, 6)) + 0.05
    module, _ = compare_with_onnxruntime(model, {"x": x})
    kinds = {op.name for op in module.walk() if op.name.startswith("nn.") and op.name != "nn.constant"}
    assert kinds == ({"nn.mul"} if exponent == 2.0 else set() if exponent == 1.0 else {"nn.activation"})


@pytest.mark.parametrize("op_type", ["Sum", "Mean", "Max", "Min"])
def test_variadic_with_broadcasting_matches_onnxruntime(op_type):
    shapes = {"a": [1, 3, 4], "b": [1, 1, 4], "c": [1, 3, 1]}
    nodes = [helper.make_node(op_type, ["a", "b", "w", "c"], ["y"])]
    model = make_model(nodes, shapes, {"y": [1, 3, 4]}, {"w": normal(4, seed=9)})
    feeds = {n: normal(8, *s[1:], seed=i) for i, (n, s) in enumerate(shapes.items())}
    compare_with_onnxruntime(model, feeds)
    single = make_model([helper.make_node(op_type, ["a"], ["y"])], {"a": [1, 3, 4]}, {"y": [1, 3, 4]})
    compare_with_onnxruntime(single, {"a": feeds["a"]})


@pytest.mark.parametrize("slope_shape", [(1,), (3, 1, 1), ()])
def test_prelu_matches_onnxruntime(slope_shape):
    slope = normal(*slope_shape, scale=0.3, seed=3)
    model = make_model([helper.make_node("PRelu", ["x", "s"], ["y"])], {"x": [1, 3, 2, 2]}, {"y": [1, 3, 2, 2]}, {"s": slope})
    compare_with_onnxruntime(model, {"x": normal(8, 3, 2, 2)})


@pytest.mark.parametrize("runtime", ["both", "x", "y"])
def test_where_with_constant_condition_matches_onnxruntime(runtime):
    cond = np.array([True, False, True, True, False])
    inputs, inits = {}, {"c": cond}
    for name in ("x", "y"):
        if runtime in ("both", name):
            inputs[name] = [1, 5]
        else:
            inits[name] = normal(5, seed=7)
    graph = helper.make_graph(
        [helper.make_node("Where", ["c", "x", "y"], ["z"])], "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 5]) for n in inputs],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 5])],
        [numpy_helper.from_array(cond, "c")] + [numpy_helper.from_array(v, n) for n, v in inits.items() if n != "c"],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
    model.ir_version = 8
    compare_with_onnxruntime(model, {n: normal(8, 5, seed=i) for i, n in enumerate(inputs)})


def test_dropout_with_an_unused_mask_is_the_identity():
    nodes = [helper.make_node("Dropout", ["x"], ["d", "mask"]), helper.make_node("Relu", ["d"], ["y"])]
    model = make_model(nodes, {"x": [1, 4]}, {"y": [1, 4]}, opset=13)
    module, ours = compare_with_onnxruntime(model, {"x": normal(4, 4)})
    assert [op.name for op in module.walk() if op.name.startswith("nn.")] == ["nn.relu"]
    used = make_model([helper.make_node("Dropout", ["x"], ["d", "mask"]), helper.make_node("Relu", ["d"], ["y"])],
                      {"x": [1, 4]}, {"y": [1, 4]}, opset=13)
    used.graph.output.append(helper.make_tensor_value_info("mask", TensorProto.BOOL, [1, 4]))
    with pytest.raises(NnccError, match=r"\(Dropout\): the mask output is training-only"):
        import_onnx(used)


def test_normalizations_match_onnxruntime():
    x = normal(8, 4, 3, 3, scale=1.5)
    scale, bias = normal(4, scale=0.5, seed=1) + 1, normal(4, scale=0.5, seed=2)
    inst = make_model([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3)],
                      {"x": [1, 4, 3, 3]}, {"y": [1, 4, 3, 3]}, {"s": scale, "b": bias})
    compare_with_onnxruntime(inst, {"x": x}, atol=1e-5)
    lrn = make_model([helper.make_node("LRN", ["x"], ["y"], size=3, alpha=0.2, beta=0.6, bias=1.5)],
                     {"x": [1, 4, 3, 3]}, {"y": [1, 4, 3, 3]})
    compare_with_onnxruntime(lrn, {"x": x})
    for axis in (-1, 1, 2):
        shape = [4, 3, 3][axis:] if axis != -1 else [3]
        ln = make_model(
            [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=axis, epsilon=1e-4)],
            {"x": [1, 4, 3, 3]}, {"y": [1, 4, 3, 3]}, {"s": normal(*shape, seed=5) + 1, "b": normal(*shape, seed=6)},
        )
        compare_with_onnxruntime(ln, {"x": x}, atol=1e-5)
    stats_shape = [1, 4, 1, 1]
    with_stats = make_model(
        [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], axis=2)],
        {"x": [1, 4, 3, 3]}, {"y": [1, 4, 3, 3], "mean": stats_shape, "inv": stats_shape},
        {"s": normal(3, 3, seed=5) + 1, "b": normal(3, 3, seed=6)},
    )
    _, ours = compare_with_onnxruntime(with_stats, {"x": x}, atol=1e-5)
    assert ours["mean"].shape == (8, 4, 1, 1) and ours["inv"].min() > 0


def test_unsupported_forms_name_the_node():
    bad_pow = make_model([helper.make_node("Pow", ["x", "x"], ["y"], name="p")], {"x": [1, 4]}, {"y": [1, 4]})
    with pytest.raises(NnccError, match=r"node 'p' \(Pow\): exponent Y \(input 1\) must be a compile-time constant"):
        import_onnx(bad_pow)
    only_constants = make_model([helper.make_node("Where", ["c", "k", "x"], ["y"], name="w")], {"x": [1, 4]}, {"y": [1, 4]},
                                {"k": normal(4)})
    only_constants.graph.initializer.append(numpy_helper.from_array(np.ones(4, bool), "c"))
    with pytest.raises(NnccError, match=r"node 'w' \(Where\): the condition selects only compile-time constants"):
        import_onnx(only_constants)
    bad_slope = make_model([helper.make_node("PRelu", ["x", "s"], ["y"], name="pr")], {"x": [1, 4]}, {"y": [1, 4]},
                           {"s": np.ones((2, 4))})
    with pytest.raises(NnccError, match=r"node 'pr' \(PRelu\): .*broadcast"):
        import_onnx(bad_slope)
    vector_exponent = make_model([helper.make_node("Pow", ["x", "p"], ["y"], name="pv")], {"x": [1, 4]}, {"y": [1, 4]},
                                 {"p": np.ones(4)})
    with pytest.raises(NnccError, match=r"node 'pv' \(Pow\): exponent Y must be a scalar, got shape \[4\]"):
        import_onnx(vector_exponent)


def test_calibration_without_finite_values_is_a_user_error(tmp_path):
    """Log of inputs that are all negative on the calibration data: no range to choose a
    fixed-point type from, so compile stops with a message naming the layer."""
    nodes = [helper.make_node("Neg", ["x"], ["n"], name="neg"), helper.make_node("Log", ["n"], ["y"], name="log of neg")]
    onnx.save(make_model(nodes, {"x": [1, 2]}, {"y": [1, 2]}), tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", np.abs(normal(20, 2)) + 0.5)
    with pytest.raises(NnccError, match=r"layer 'log of neg' \(nn.activation\) has no finite value on the calibration data"):
        nncc.compile(tmp_path / "m.onnx", tmp_path / "out", calibration=tmp_path / "x.npy", target="hls-cpp")


# ---------------------------------------------------------------------------------------
# fixed point, C-simulation and Verilog: every hardware op in one model


HW_UNARY = [("Elu", {"alpha": 0.7}), ("Selu", {}), ("Softplus", {}), ("Softsign", {}), ("HardSwish", {}), ("Mish", {}),
            ("Gelu", {}), ("Gelu", {"approximate": "tanh"}), ("Erf", {}), ("Exp", {}), ("Log", {}), ("Sqrt", {}),
            ("Reciprocal", {}), ("Neg", {}), ("Abs", {}), ("Pow", {})]
HW_TENSOR = [("Sum", ["a", "b", "c"], {}), ("Mean", ["a", "b", "c"], {}), ("Max", ["a", "b", "c"], {}),
             ("Min", ["a", "c", "b"], {}), ("PRelu", ["a", "slope"], {}), ("Where", ["cond", "a", "b"], {}),
             ("Where", ["cond", "k", "b"], {}), ("InstanceNormalization", ["a", "s", "bias"], {"epsilon": 1e-2}),
             ("LRN", ["a"], {"size": 3, "alpha": 0.3, "beta": 0.75, "bias": 1.0}),
             ("LayerNormalization", ["a", "ls", "lb"], {"axis": 1, "epsilon": 1e-2})]
BRANCHES = [op for op, _ in HW_UNARY] + [op for op, _, _ in HW_TENSOR]
EXACT_ARITHMETIC = {"HardSwish", "Neg", "Abs", "Sum", "Mean", "Max", "Min", "PRelu", "Where"}


def hardware_model() -> onnx.ModelProto:
    """x (4) -> Gemm 4->12 -> every unary op; a second Gemm and reshapes to 3x2x2 -> the
    variadic ops, PRelu, Where and the normalizations; one Concat of every branch (12 each)."""
    H = helper.make_node
    nodes = [H("Gemm", ["x", "w1", "b1"], ["h"], name="fc1"), H("Gemm", ["x", "w2", "b2"], ["g"], name="fc2"),
             H("Reshape", ["h", "cube"], ["a"], name="ra"), H("Reshape", ["g", "cube"], ["b"], name="rb")]
    outs = []
    for i, (op, attrs) in enumerate(HW_UNARY):
        nodes.append(H(op, ["h", "p"] if op == "Pow" else ["h"], [f"u{i}"], name=f"{op}_{i}", **attrs))
        outs.append(f"u{i}")
    for i, (op, ins, attrs) in enumerate(HW_TENSOR):
        nodes.append(H(op, ins, [f"t{i}"], name=f"{op}_{i}", **attrs))
        nodes.append(H("Reshape", [f"t{i}", "flat"], [f"f{i}"], name=f"flat_{i}"))
        outs.append(f"f{i}")
    nodes.append(H("Concat", outs, ["y"], axis=1, name="cat"))
    inits = {"w1": normal(4, 12, scale=0.7, seed=1), "b1": normal(12, scale=0.3, seed=2),
             "w2": normal(4, 12, scale=0.7, seed=3), "b2": normal(12, scale=0.3, seed=4), "p": np.float32(3.0),
             "c": normal(1, 2, scale=0.5, seed=5), "slope": normal(3, 1, 1, scale=0.3, seed=6), "k": normal(2, 2, seed=7),
             "s": normal(3, scale=0.3, seed=8) + 1, "bias": normal(3, scale=0.3, seed=9),
             "ls": normal(3, 2, 2, scale=0.3, seed=10) + 1, "lb": normal(3, 2, 2, scale=0.3, seed=11)}
    model = make_model(nodes, {"x": [1, 4]}, {"y": [1, 12 * len(outs)]}, inits, opset=20)
    for name, value in (("cube", np.array([-1, 3, 2, 2])), ("flat", np.array([-1, 12])),
                        ("cond", np.array([[True, False], [False, True]]))):
        model.graph.initializer.append(numpy_helper.from_array(value, name))
    return model


@pytest.fixture(scope="module")
def hardware(tmp_path_factory):
    """The hardware model compiled (64-entry tables, to keep the Verilog small) and run."""
    folder = tmp_path_factory.mktemp("elementwise")
    path = folder / "model.onnx"
    onnx.save(hardware_model(), path)
    x = normal(400, 4, scale=1.0, seed=12)
    np.save(folder / "x.npy", x)
    design = nncc.compile(path, folder / "design", calibration=folder / "x.npy", table_bits=6)
    return path, design, normal(300, 4, scale=1.0, seed=13)


def test_hardware_model_float_matches_onnxruntime(hardware):
    path, _, x = hardware
    model = onnx.load(path)
    module = import_onnx(model)
    assert sum(isinstance(op, nn.ActivationOp) for op in module.walk()) == 16  # as in the PWL test below
    ours = run_float_model(module, {"x": x})["y"].reshape(len(x), len(BRANCHES), 12)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    theirs = session.run(None, {"x": x})[0].reshape(ours.shape)
    # 1/h near h = 0 amplifies the Gemm's float32-vs-float64 rounding beyond 1e-5: those
    # elements (|1/h| > 100) are compared to 1e-3
    recip = BRANCHES.index("Reciprocal")
    steep = np.zeros(ours.shape, bool)
    steep[:, recip] = np.abs(theirs[:, recip]) > 100
    np.testing.assert_allclose(ours[~steep], theirs[~steep], rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(ours[steep], theirs[steep], rtol=1e-3)
    assert 0 < steep.sum() < 0.01 * steep[:, recip].size


def test_hardware_model_fixed_equals_csim_and_is_close_to_float(hardware):
    _, design, x = hardware
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.unique(fixed).size > 1000
    # per branch, against the float model where it is finite (Log/Sqrt of negatives are NaN
    # in float; fixed point gives the most negative value / 0): the ops built from exact
    # arithmetic are within a few output LSBs; the table-based ones have a median error
    # below a tenth of the branch's spread even with 64-entry tables (their worst cases are
    # the steep first bins of Log, 1/x and x^-1/2 near 0, which uniform tables cannot follow)
    want = design.predict(x, engine="float").reshape(len(x), len(BRANCHES), 12)
    got = fixed.reshape(want.shape)
    for j, name in enumerate(BRANCHES):
        finite = np.isfinite(want[:, j]) & (np.abs(want[:, j]) < 50)
        err = np.abs(got[:, j] - want[:, j])[finite]
        if name in EXACT_ARITHMETIC:
            assert err.max() < 2e-3, (name, err.max())
        else:
            assert np.median(err) < 0.1 * want[:, j][finite].std(), (name, np.median(err), want[:, j][finite].std())
    log, sqrt = BRANCHES.index("Log"), BRANCHES.index("Sqrt")
    negative = np.isnan(want[:, log])
    # x <= 0 reads the table's first entry: the most negative value for Log (log(0) = -inf
    # saturates), the first bin's value for Sqrt (between sqrt(0) and the bin's top)
    assert negative.any()
    assert np.all(got[:, log][negative] == got[:, log].min())
    assert np.unique(got[:, sqrt][negative]).size == 1 and got[:, sqrt][negative][0] == got[:, sqrt].min()


def test_hardware_model_pwl_fixed_equals_csim(hardware, tmp_path):
    """The same model with piecewise-linear activations (C-simulation only)."""
    path, _, x = hardware
    design = nncc.compile(path, tmp_path / "pwl", calibration=path.parent / "x.npy", mode="pwl", segments=8,
                          target="hls-cpp")
    # 13 table-based unary branches (Pow by 3 included) + the (.)^-beta / ^-1/2 of LRN and both norms
    assert sum(op.name == "fixed.pwl" for op in design.design.walk()) == 16
    fixed = design.predict(x, engine="fixed")
    assert np.unique(fixed).size > 1000 and np.array_equal(fixed, design.predict(x, engine="csim"))


@pytest.mark.requires("verilator")
def test_hardware_model_rtl_equals_fixed(hardware):
    _, design, x = hardware
    fixed = design.predict(x, engine="fixed")
    rtl = design.run_rtl(x)["y"]
    assert rtl.shape == fixed.shape and np.array_equal(rtl, fixed)
    schedule = design.report["schedule"]
    assert design.rtl_stats["latency"] == schedule["latency_cycles"]


def test_unary_op_on_a_constant_is_refused_clearly():
    nodes = [helper.make_node("Elu", ["k"], ["e"], name="elu_k"), helper.make_node("Add", ["x", "e"], ["y"])]
    model = make_model(nodes, {"x": [1, 4]}, {"y": [1, 4]}, {"k": normal(4)})
    with pytest.raises(NnccError, match=r"node 'elu_k' \(Elu\): the input must be computed at run time"):
        import_onnx(model)
