"""Structural ONNX operators on run-time tensors: Resize, the reductions, MatMul with
leading dimensions, Split/Slice/Gather, ConvTranspose, DepthToSpace/SpaceToDepth.

Every variant is a tiny `onnx.helper` model run by the float interpreter and by
onnxruntime on the same random batch (values compared, rtol 1e-5). The operators with a
fixed-point path are then compiled together in two small models (one Verilator build each)
and the fixed-point interpreter, the g++ C-simulation and the Verilator simulation must agree
bit for bit; the fixed-point outputs must also stay close to the float ones.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

BATCH = 5
RTOL = 1e-5


def _const(name, array, dtype=None):
    return numpy_helper.from_array(np.asarray(array, dtype), name)


def model(nodes, in_shape, outputs, inits=(), opset=17):
    """A model with input x [N, *in_shape] and the named outputs (shapes inferred)."""
    graph = helper.make_graph(
        list(nodes), "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    onnx.checker.check_model(m)
    return m


def compare(m, in_shape, seed=0):
    """Float interpreter vs onnxruntime on a random batch; returns the imported module."""
    x = np.random.default_rng(seed).standard_normal((BATCH, *in_shape)).astype(np.float32)
    module = import_onnx(m)
    ours = run_float(module, {"x": x})
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    for name, ref in zip(names, sess.run(None, {"x": x})):
        assert ours[name].shape == ref.shape, name
        np.testing.assert_allclose(ours[name], ref, rtol=RTOL, atol=1e-6, err_msg=name)
    return module


def ops_of(module):
    return [op.name for op in module.walk()]


def one(op_type, in_shape, inits=(), inputs=(), opset=17, outputs=("y",), **attrs):
    return model([helper.make_node(op_type, ["x", *inputs], list(outputs), **attrs)], in_shape, outputs, inits, opset)


# ---------------------------------------------------------------------------------------
# Resize (Upsample is deprecated from opset 10: the ONNX checker refuses it in the opsets
# nncc imports, 11 to 21)

NEAREST = [
    ("asymmetric", "floor"), ("half_pixel", "round_prefer_floor"), ("half_pixel", "round_prefer_ceil"),
    ("align_corners", "round_prefer_floor"), ("pytorch_half_pixel", "floor"), ("tf_half_pixel_for_nn", "ceil"),
]


@pytest.mark.parametrize("coord, nearest", NEAREST)
@pytest.mark.parametrize("scales", [(1, 1, 2, 2), (1, 1, 0.5, 1.5), (1, 1, 3, 1)])
def test_resize_nearest_scales(coord, nearest, scales):
    m = one("Resize", (2, 4, 6), [_const("roi", [], np.float32), _const("s", scales, np.float32)], ["roi", "s"],
            mode="nearest", coordinate_transformation_mode=coord, nearest_mode=nearest)
    module = compare(m, (2, 4, 6))
    assert "nn.gather" in ops_of(module)


@pytest.mark.parametrize("coord", ["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"])
@pytest.mark.parametrize("sizes", [(BATCH, 2, 8, 12), (BATCH, 2, 3, 5), (BATCH, 2, 7, 6)])
def test_resize_linear_sizes(coord, sizes):
    m = one("Resize", (2, 4, 6), [_const("s", sizes, np.int64)], ["", "", "s"], mode="linear",
            coordinate_transformation_mode=coord)
    module = compare(m, (2, 4, 6))
    assert {"nn.gather", "nn.mul", "nn.reduce_sum"} <= set(ops_of(module))


def test_resize_linear_scales_opset11_and_1d():
    m = one("Resize", (2, 5, 5), [_const("roi", [], np.float32), _const("s", [1, 1, 2, 2], np.float32)],
            ["roi", "s"], opset=11, mode="linear")
    compare(m, (2, 5, 5))
    m = one("Resize", (3, 7), [_const("s", [1, 1, 2.5], np.float32)], ["", "s"], opset=13, mode="linear")
    compare(m, (3, 7))


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_half_pixel_symmetric_opset19(mode):
    m = one("Resize", (2, 5, 6), [_const("s", [1, 1, 1.6, 0.5], np.float32)], ["", "s"], opset=19, mode=mode,
            coordinate_transformation_mode="half_pixel_symmetric")
    compare(m, (2, 5, 6))


def test_resize_opset18_axes():
    m = one("Resize", (2, 4, 6), [_const("s", [2, 3], np.float32)], ["", "s"], opset=18, axes=[2, 3], mode="nearest")
    compare(m, (2, 4, 6))


def test_upsample_is_refused_by_the_checker_in_supported_opsets():
    with pytest.raises(onnx.checker.ValidationError, match="deprecated"):
        one("Upsample", (2, 3, 4), [_const("s", [1, 1, 2, 2], np.float32)], ["s"], opset=11)


def test_resize_refusals():
    m = one("Resize", (2, 4, 6), [_const("s", [1, 1, 2, 2], np.float32)], ["", "s"], opset=13, mode="cubic")
    with pytest.raises(NnccError, match=r"\(Resize\): mode 'cubic' is not supported"):
        import_onnx(m)
    m = one("Resize", (2, 4, 6), [_const("s", [2, 1, 2, 2], np.float32)], ["", "s"], opset=13)
    with pytest.raises(NnccError, match="batch axis"):
        import_onnx(m)


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
@pytest.mark.parametrize("mode, coord", [("nearest", "half_pixel"), ("linear", "asymmetric"),
                                         ("linear", "pytorch_half_pixel")])
@pytest.mark.parametrize("sizes", [[7, 8], [3, 9]])
def test_resize_keep_aspect_ratio_policy(policy, mode, coord, sizes):
    m = one("Resize", (2, 4, 5), [_const("s", sizes, np.int64)], ["", "", "s"], opset=18, axes=[2, 3], mode=mode,
            coordinate_transformation_mode=coord, keep_aspect_ratio_policy=policy)
    compare(m, (2, 4, 5))


def test_resize_fractional_scaled_length_refused_where_onnxruntime_and_onnx_disagree():
    # 4 * 0.6 = 2.4: onnxruntime's align_corners divides by 2 - 1, the ONNX reference by 2.4 - 1
    m = one("Resize", (1, 2, 4), [_const("s", [1, 1, 0.6, 0.6], np.float32)], ["", "s"], opset=13, mode="linear",
            coordinate_transformation_mode="align_corners")
    with pytest.raises(NnccError, match=r"\(Resize\): coordinate_transformation_mode 'align_corners' with scale 0.6 "
                                        r"on axis 3 \(4 -> 2.4 elements"):
        import_onnx(m)
    # a whole scaled length is accepted (2 * 1.5 = 3)
    m = one("Resize", (1, 2, 2), [_const("s", [1, 1, 1.5, 1.5], np.float32)], ["", "s"], opset=13, mode="linear",
            coordinate_transformation_mode="align_corners")
    compare(m, (1, 2, 2))


# ---------------------------------------------------------------------------------------
# reductions

REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2"]


@pytest.mark.parametrize("op_type", REDUCE_OPS)
@pytest.mark.parametrize("axes, keepdims", [([1], 1), ([2, 3], 0), ([-1], 0), ([1, 3], 1)])
def test_reduce_axes_attribute(op_type, axes, keepdims):
    compare(one(op_type, (3, 4, 5), opset=11 if op_type == "ReduceSum" else 17, axes=axes, keepdims=keepdims), (3, 4, 5))


@pytest.mark.parametrize("op_type", REDUCE_OPS)
@pytest.mark.parametrize("axes, keepdims", [([2], 1), ([1, -1], 0)])
def test_reduce_axes_input(op_type, axes, keepdims):
    opset = 13 if op_type == "ReduceSum" else 18
    m = one(op_type, (3, 4, 5), [_const("axes", axes, np.int64)], ["axes"], opset=opset, keepdims=keepdims)
    module = compare(m, (3, 4, 5))
    expected = "nn.sum" if op_type == "ReduceL2" else f"nn.{op_type[6:].lower()}"  # L2: sqrt of a sum of squares
    assert expected in " ".join(ops_of(module)).replace("reduce_", "")


def test_reduce_to_rank_one():
    module = compare(one("ReduceMean", (3, 4, 5), opset=17, axes=[1, 2, 3], keepdims=0), (3, 4, 5))
    assert ops_of(module)[-2:] == ["nn.reshape", "func.return"]


def test_reduce_noop_and_batch_refusal():
    m = one("ReduceSum", (3, 4), opset=13, noop_with_empty_axes=1)
    compare(m, (3, 4))
    with pytest.raises(NnccError, match=r"\(ReduceMax\): reducing every axis would include the batch axis"):
        import_onnx(one("ReduceMax", (3, 4), opset=17))
    with pytest.raises(NnccError, match="batch axis"):
        import_onnx(one("ReduceMean", (3, 4), opset=17, axes=[0]))


# ---------------------------------------------------------------------------------------
# MatMul with leading dimensions


def test_matmul_leading_dims_constant():
    w = np.random.default_rng(1).standard_normal((6, 3)).astype(np.float32)
    module = compare(one("MatMul", (2, 4, 6), [_const("w", w)], ["w"]), (2, 4, 6))
    assert "nn.dense" in ops_of(module)
    w3 = np.random.default_rng(2).standard_normal((2, 6, 3)).astype(np.float32)
    module = compare(one("MatMul", (2, 4, 6), [_const("w", w3)], ["w"]), (2, 4, 6))
    assert "nn.conv" in ops_of(module) and "nn.matmul" not in ops_of(module)
    w4 = np.random.default_rng(3).standard_normal((3, 1, 6, 2)).astype(np.float32)  # broadcast over axis 2
    compare(one("MatMul", (3, 2, 4, 6), [_const("w", w4)], ["w"]), (3, 2, 4, 6))


def test_matmul_constant_b_broadcasts_a():
    # B [1, 3, 6, 2] against A [N, 1, 4, 6]: A is repeated along axis 1 (an nn.gather)
    w = np.random.default_rng(5).standard_normal((1, 3, 6, 2)).astype(np.float32)
    module = compare(one("MatMul", (1, 4, 6), [_const("w", w)], ["w"]), (1, 4, 6))
    assert "nn.gather" in ops_of(module) and "nn.matmul" not in ops_of(module)
    # B with more leading axes than A would put a new axis before the batch axis
    w5 = np.random.default_rng(6).standard_normal((2, 1, 1, 6, 2)).astype(np.float32)
    with pytest.raises(NnccError, match=r"\(MatMul\): A \[1, 1, 4, 6\] and constant B \[2, 1, 1, 6, 2\] must broadcast"):
        import_onnx(one("MatMul", (1, 4, 6), [_const("w", w5)], ["w"]))


def test_matmul_constant_vector():
    v = np.random.default_rng(7).standard_normal(6).astype(np.float32)
    module = compare(one("MatMul", (2, 4, 6), [_const("v", v)], ["v"]), (2, 4, 6))
    assert "nn.dense" in ops_of(module)


def test_matmul_constant_left():
    a = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    m = model([helper.make_node("MatMul", ["a", "x"], ["y"])], (2, 4, 3), ["y"], [_const("a", a)])
    module = compare(m, (2, 4, 3))
    assert "nn.dense" in ops_of(module)


def test_matmul_runtime_both():
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]),
             helper.make_node("MatMul", ["x", "t"], ["y"])]
    module = compare(model(nodes, (2, 3, 4), ["y"]), (2, 3, 4))
    assert "nn.matmul" in ops_of(module)


# ---------------------------------------------------------------------------------------
# Split / Slice / Gather


@pytest.mark.parametrize("opset, form", [(11, "attr"), (13, "input"), (18, "num_outputs"), (13, "equal")])
def test_split(opset, form):
    outs = ["a", "b", "c"]
    if form == "attr":
        m = one("Split", (7, 3), opset=opset, outputs=outs, axis=1, split=[2, 4, 1])
    elif form == "input":
        m = one("Split", (3, 7), [_const("s", [1, 3, 3], np.int64)], ["s"], opset=opset, outputs=outs, axis=-1)
    elif form == "num_outputs":
        m = one("Split", (3, 7), opset=opset, outputs=outs, axis=2, num_outputs=3)
    else:
        m = one("Split", (6, 3), opset=opset, outputs=outs, axis=1)
    module = compare(m, m.graph.input[0].type.tensor_type.shape.dim[1:] and
                     tuple(d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim[1:]))
    assert ops_of(module).count("nn.gather") == 3


SLICES = [
    ([1], [3], [1], None),
    ([0, -3], [2, 100], [1, 2], None),
    ([-1], [-100], [2], [-2]),
    ([4, 1], [0, 5], [-1, 1], [-1, 2]),
    ([0], [9223372036854775807], [2], [3]),
]


@pytest.mark.parametrize("starts, ends, axes, steps", SLICES)
def test_slice(starts, ends, axes, steps):
    inits = [_const("st", starts, np.int64), _const("en", ends, np.int64), _const("ax", axes, np.int64)]
    names = ["st", "en", "ax"]
    if steps is not None:
        inits.append(_const("sp", steps, np.int64))
        names.append("sp")
    module = compare(one("Slice", (3, 5, 6), inits, names), (3, 5, 6))
    assert "nn.gather" in ops_of(module)


@pytest.mark.parametrize("starts, ends", [([0], [9223372036854775807]), ([-9223372036854775808], [2147483647])])
def test_slice_of_the_whole_batch_axis(starts, ends):
    inits = [_const("st", starts + [1], np.int64), _const("en", ends + [4], np.int64), _const("ax", [0, 2], np.int64)]
    module = compare(one("Slice", (3, 5), inits, ["st", "en", "ax"]), (3, 5))
    assert "nn.gather" in ops_of(module)


@pytest.mark.parametrize("starts, ends, steps", [([0], [3], [1]), ([1], [9223372036854775807], [1]),
                                                 ([-1], [-9223372036854775808], [-1])])
def test_slice_of_part_of_the_batch_axis_refused(starts, ends, steps):
    inits = [_const("st", starts, np.int64), _const("en", ends, np.int64), _const("ax", [0], np.int64),
             _const("sp", steps, np.int64)]
    with pytest.raises(NnccError, match=r"\(Slice\): slicing the batch axis .* would drop or reorder samples"):
        import_onnx(one("Slice", (3, 5), inits, ["st", "en", "ax", "sp"]))


@pytest.mark.parametrize("indices, axis", [([2, 0, -1], 1), ([[1, 1], [0, 3]], 2), (2, 1), ([[0], [-2]], -1)])
def test_gather_runtime_data(indices, axis):
    m = one("Gather", (3, 4, 5), [_const("i", indices, np.int64)], ["i"], axis=axis)
    module = compare(m, (3, 4, 5))
    assert "nn.gather" in ops_of(module) or "nn.reshape" in ops_of(module)


def test_gather_refusals():
    m = one("Gather", (3,), [_const("i", [0], np.int64)], ["i"], axis=0)
    with pytest.raises(NnccError, match=r"\(Gather\): operating on the batch axis"):
        import_onnx(m)


# ---------------------------------------------------------------------------------------
# ConvTranspose / DepthToSpace / SpaceToDepth

CONV_T = [
    dict(shape=(3, 5, 5), w=(3, 2, 3, 3), strides=[2, 2]),
    dict(shape=(3, 5, 5), w=(3, 2, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
    dict(shape=(4, 4, 6), w=(4, 1, 2, 3), strides=[1, 2], dilations=[2, 1], group=2, pads=[0, 1, 1, 0]),
    dict(shape=(2, 7), w=(2, 3, 4), strides=[3], pads=[2, 1], output_padding=[2]),
    dict(shape=(4, 6), w=(4, 2, 3), strides=[2], dilations=[2], group=4),
    dict(shape=(2, 4, 4), w=(2, 2, 3, 3), strides=[1, 1], pads=[3, 0, 2, 0]),
    dict(shape=(2, 5, 4), w=(2, 3, 3, 3), strides=[2, 2], auto_pad="SAME_UPPER"),
    dict(shape=(2, 5, 4), w=(2, 3, 3, 4), strides=[2, 3], auto_pad="SAME_LOWER"),
    dict(shape=(2, 5, 4), w=(2, 3, 3, 3), strides=[2, 2], output_shape=[8, 9]),
    dict(shape=(3, 6), w=(3, 2, 4), strides=[2], auto_pad="SAME_UPPER", output_padding=[1]),
]


@pytest.mark.parametrize("case", range(len(CONV_T)))
def test_conv_transpose(case):
    spec = dict(CONV_T[case])
    shape, wshape = spec.pop("shape"), spec.pop("w")
    rng = np.random.default_rng(case)
    w = rng.standard_normal(wshape).astype(np.float32)
    b = rng.standard_normal(wshape[1] * spec.get("group", 1)).astype(np.float32)
    module = compare(one("ConvTranspose", shape, [_const("w", w), _const("b", b)], ["w", "b"], **spec), shape)
    assert {"nn.gather", "nn.conv"} <= set(ops_of(module))


def test_conv_transpose_output_larger_than_natural_refused():
    w = np.ones((2, 3, 3, 2), np.float32)
    m = one("ConvTranspose", (2, 5, 4), [_const("w", w)], ["w"], strides=[2, 3], auto_pad="SAME_LOWER")
    with pytest.raises(NnccError, match=r"\(ConvTranspose\): output size 12 is larger than the transposed"):
        import_onnx(m)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space(mode):
    compare(one("DepthToSpace", (8, 3, 2), blocksize=2, mode=mode), (8, 3, 2))


def test_space_to_depth():
    compare(one("SpaceToDepth", (2, 4, 6), blocksize=2), (2, 4, 6))


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_space_to_depth_mode_opset28(mode):
    """opset 28's SpaceToDepth `mode`, against the ONNX reference implementation; and
    SpaceToDepth(DepthToSpace(x)) in the same mode is x."""
    from onnx.reference import ReferenceEvaluator

    def graph_model(nodes, channels, space):
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", channels, *space])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8, 2, 3])])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 28)], ir_version=14)

    x = np.random.default_rng(3).standard_normal((BATCH, 2, 4, 6)).astype(np.float32)
    m = graph_model([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2, mode=mode)], 2, (4, 6))
    ours = run_float(import_onnx(m), {"x": x})["y"]
    assert np.array_equal(ours, ReferenceEvaluator(m).run(None, {"x": x})[0])
    nodes = [helper.make_node("DepthToSpace", ["x"], ["d"], blocksize=2, mode=mode),
             helper.make_node("SpaceToDepth", ["d"], ["y"], blocksize=2, mode=mode)]
    z = np.random.default_rng(4).standard_normal((BATCH, 8, 2, 3)).astype(np.float32)
    assert np.array_equal(run_float(import_onnx(graph_model(nodes, 8, (2, 3))), {"x": z})["y"], z)


# ---------------------------------------------------------------------------------------
# fixed point, C-simulation and RTL: two designs (one Verilator build each). The Verilog back
# end takes one graph output whose inputs are valid in the same cycle, so the combinational
# operators are joined by one Concat and the multiply-accumulate ones form a chain.

n = helper.make_node


def selection_model():
    """Every combinational operator on one input, flattened and concatenated."""
    nodes = [
        n("Resize", ["x", "", "s2"], ["nearest"], mode="nearest", coordinate_transformation_mode="asymmetric",
          nearest_mode="floor"),
        n("Resize", ["x", "", "s2"], ["linear"], mode="linear"),
        n("ReduceSum", ["x", "ax1"], ["rsum"], keepdims=0),
        n("ReduceMean", ["x", "ax23"], ["rmean"], keepdims=1),
        n("ReduceMax", ["x", "ax3"], ["rmax"], keepdims=0),
        n("ReduceMin", ["x", "ax2"], ["rmin"], keepdims=1),
        n("Split", ["x", "sp"], ["split_a", "split_b"], axis=2),
        n("Slice", ["x", "st", "en", "axs", "stp"], ["slice"]),
        n("Gather", ["x", "gi"], ["gather"], axis=1),
        n("SpaceToDepth", ["x"], ["s2d"], blocksize=2),
        n("DepthToSpace", ["s2d"], ["d2s_crd"], blocksize=2, mode="CRD"),
        n("DepthToSpace", ["s2d"], ["d2s_dcr"], blocksize=2, mode="DCR"),
    ]
    inits = [
        _const("s2", [1, 1, 2, 2], np.float32), _const("ax1", [1], np.int64), _const("ax23", [2, 3], np.int64),
        _const("ax3", [3], np.int64), _const("ax2", [2], np.int64), _const("sp", [1, 3], np.int64),
        _const("st", [3], np.int64), _const("en", [0], np.int64), _const("axs", [3], np.int64),
        _const("stp", [-2], np.int64), _const("gi", [1, 0, 1], np.int64),
    ]
    outs = [o for node in nodes for o in node.output]
    nodes += [n("Flatten", [o], [o + "_flat"]) for o in outs]
    nodes.append(n("Concat", [o + "_flat" for o in outs], ["y"], axis=1))
    return model(nodes, (2, 4, 4), ["y"], inits, opset=18)


def mac_model():
    """A chain: grouped 2-D ConvTranspose, MatMul by a 3-D constant, MatMul by a matrix,
    1-D ConvTranspose."""
    rng = np.random.default_rng(7)
    nodes = [
        n("ConvTranspose", ["x", "wt", "bt"], ["convt"], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1],
          group=2),
        n("MatMul", ["convt", "wm3"], ["mm_const"]),
        n("MatMul", ["mm_const", "wm"], ["mm_dense"]),
        n("Reshape", ["mm_dense", "shape"], ["flat"]),
        n("ConvTranspose", ["flat", "w1"], ["y"], strides=[2], pads=[1, 0]),
    ]
    inits = [
        _const("wt", rng.standard_normal((2, 1, 3, 3)) * 0.5, np.float32), _const("bt", [0.1, -0.2], np.float32),
        _const("wm3", rng.standard_normal((2, 8, 3)) * 0.5, np.float32),
        _const("wm", rng.standard_normal((3, 4)) * 0.5, np.float32),
        _const("shape", [-1, 16, 4], np.int64), _const("w1", rng.standard_normal((16, 2, 3)) * 0.3, np.float32),
    ]
    return model(nodes, (2, 4, 4), ["y"], inits, opset=18)


HW_MODELS = {"selection": selection_model, "mac": mac_model}


@pytest.mark.parametrize("name", sorted(HW_MODELS))
def test_float_matches_onnxruntime_before_compiling(name):
    compare(HW_MODELS[name](), (2, 4, 4))


@pytest.mark.requires("verilator")
@pytest.mark.parametrize("name", sorted(HW_MODELS))
def test_fixed_csim_rtl_bit_exact(name, tmp_path):
    path = tmp_path / f"{name}.onnx"
    onnx.save(HW_MODELS[name](), path)
    design = nncc.compile(path, tmp_path / "design", calibration=None)
    x = np.random.default_rng(11).standard_normal((64, 2, 4, 4)).astype(np.float32)
    fixed = design.predict(x, engine="fixed")
    csim = design.predict(x, engine="csim")
    rtl = design.run_rtl(x)["y"]
    assert np.array_equal(fixed, csim)
    assert np.array_equal(fixed, rtl)
    schedule = design.report["schedule"]
    assert (design.rtl_stats["latency"], design.rtl_stats["ii"]) == (schedule["latency_cycles"], schedule["ii_cycles"])
    float_y = design.predict(x, engine="float")
    assert np.abs(fixed - float_y).max() < 0.01 * max(1.0, np.abs(float_y).max())  # 16-bit fixed point
    kinds = {op.name for op in design.design.walk()}
    assert "nn.gather" in kinds
    if name == "selection":
        assert {"fixed.reduce_sum", "fixed.reduce_max", "fixed.mul"} <= kinds
    else:
        assert "dataflow.pe" in kinds and "fixed.matmul" not in kinds


def test_runtime_matmul_fixed_equals_csim(tmp_path):
    """A run-time x run-time MatMul with leading dimensions (fixed.matmul) has no Verilog yet:
    fixed interpreter == C-simulation."""
    nodes = [n("Transpose", ["x"], ["t"], perm=[0, 1, 3, 2]), n("MatMul", ["x", "t"], ["y"])]
    path = tmp_path / "mm.onnx"
    onnx.save(model(nodes, (2, 4, 4), ["y"]), path)
    design = nncc.compile(path, tmp_path / "design", target="hls-cpp")
    x = np.random.default_rng(12).standard_normal((64, 2, 4, 4)).astype(np.float32)
    assert np.array_equal(design.predict(x, engine="fixed"), design.predict(x, engine="csim"))
    assert np.abs(design.predict(x, engine="fixed") - design.predict(x, engine="float")).max() < 0.05


def test_reduce_l2_reaches_fixed_point(tmp_path):
    """ReduceL2 imports as sqrt(reduce_sum(x * x)) (the square root a table): the float model
    matches onnxruntime and the fixed interpreter equals C-simulation."""
    path = tmp_path / "l2.onnx"
    onnx.save(one("ReduceL2", (3, 4), opset=17, axes=[2]), path)
    x = np.random.default_rng(13).standard_normal((64, 3, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    design = nncc.compile(path, tmp_path / "design", target="hls-cpp", calibration=tmp_path / "x.npy")
    ops = [op.name for op in design.model.walk()]
    assert "nn.reduce_sum" in ops and "nn.activation" in ops
    truth = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(design.predict(x, engine="float"), truth, rtol=1e-5, atol=1e-6)
    fixed = design.predict(x, engine="fixed")
    assert np.array_equal(fixed, design.predict(x, engine="csim"))
    assert np.abs(fixed - truth).max() < 0.05 * np.abs(truth).max()