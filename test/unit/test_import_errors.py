"""Negative importer tests: bad files, unsupported operators, unsupported opsets and
shapes, hostile names (hostile external data: test_import_external_data.py). Every test checks what the message
says (file, node name, op type, ...), not only that NnccError was raised.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from nncc.compiler.onnx import load as onnx_load
from nncc.compiler.onnx.load import MAX_OPSET
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

from helpers import gemm_relu_model, one_problem, onnx_model, problems_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = '"; system("x"); //'


# ---------------------------------------------------------------------------------------
# unreadable files


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"this is plain text, not an ONNX model\n", id="text"),
        pytest.param(bytes(range(256)) * 4, id="all-bytes"),
        pytest.param(np.random.default_rng(7).bytes(1000), id="random"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, id="png-header"),
        pytest.param(b'{"graph": {"node": []}}', id="json"),
        pytest.param(b"\xff" * 40, id="ff"),
        pytest.param(b"\x00" * 40, id="zeros"),
    ],
)
def test_garbage_file(tmp_path, content):
    path = tmp_path / "garbage.onnx"
    path.write_bytes(content)
    message = one_problem(path)
    assert message.startswith(f"{path}: not a valid ONNX model")
    # the same bytes in memory name no file
    assert one_problem(content).startswith("<bytes>: not a valid ONNX model")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    assert one_problem(path) == f"{path}: file is empty, not an ONNX model"
    assert one_problem(b"") == "<bytes>: file is empty, not an ONNX model"


@pytest.mark.parametrize("as_str", [False, True])
def test_missing_file(tmp_path, as_str):
    path = tmp_path / "does-not-exist.onnx"
    assert one_problem(str(path) if as_str else path) == f"{path}: no such file"


def test_directory_is_not_a_model(tmp_path):
    assert one_problem(tmp_path) == f"{tmp_path}: no such file"


def test_truncated_model_every_cut_point():
    data = gemm_relu_model().SerializeToString()
    seen = set()
    for cut in range(len(data)):
        try:
            import_onnx(data[:cut])
        except NnccError as err:
            assert len(err.problems) == 1
            message = err.problems[0]
            assert message.startswith("<bytes>: "), message
            assert "empty" in message or "not a valid ONNX model" in message, message
            seen.add("empty" if "empty" in message else "invalid")
        else:
            pytest.fail(f"a model cut at byte {cut} of {len(data)} imported without error")
    assert seen == {"empty", "invalid"}
    import_onnx(data)  # the whole model is fine


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.25, 0.75, 0.9, 0.99])
@pytest.mark.parametrize("fixture", ["cnn.onnx", "shapes.onnx"])
def test_truncated_fixture_file(tmp_path, fixture, fraction):
    data = (FIXTURES / fixture).read_bytes()
    cuts = {int(len(data) * fraction), len(data) // 2, len(data) - 1, 1}
    for cut in sorted(cuts):
        path = tmp_path / f"cut{cut}.onnx"
        path.write_bytes(data[:cut])
        message = one_problem(path)
        assert message.startswith(f"{path}: not a valid ONNX model"), message


@pytest.mark.parametrize("fixture", ["mlp.onnx", "cnn.onnx", "shapes.onnx", "conv1d.onnx"])
def test_corrupted_bytes_never_crash(fixture):
    """Random byte corruption: the importer either succeeds or raises NnccError."""
    data = (FIXTURES / fixture).read_bytes()
    rng = random.Random(f"nncc-{fixture}")
    errors = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # corrupted weights may be NaN
        for _ in range(150):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            try:
                import_onnx(bytes(mutated))
            except NnccError as err:
                errors += 1
                assert all("\n" not in p for p in err.problems)
    assert errors > 0


def test_initializer_with_inconsistent_raw_data():
    tensor = numpy_helper.from_array(np.ones(8, np.float32), "bias")
    tensor.dims[:] = [6]  # 8 floats of raw data for 6 elements
    model = onnx_model(
        [helper.make_node("Add", ["x", "bias"], ["y"], name="add")], [("x", ["N", 6])], [("y", ["N", 6])], [tensor]
    )
    message = one_problem(model)
    assert message.startswith("initializer 'bias': cannot decode tensor")


def test_constant_with_inconsistent_raw_data():
    tensor = numpy_helper.from_array(np.ones(8, np.float32), "v")
    tensor.dims[:] = [6]
    nodes = [
        helper.make_node("Constant", [], ["bias"], name="const_bias", value=tensor),
        helper.make_node("Add", ["x", "bias"], ["y"], name="add"),
    ]
    message = one_problem(onnx_model(nodes, [("x", ["N", 6])], [("y", ["N", 6])]))
    assert message.startswith("node 'const_bias' (Constant): attribute 'value': cannot decode tensor")


# ---------------------------------------------------------------------------------------
# unsupported operators


def test_all_unsupported_operators_listed_together():
    hidden = 5
    inits = [
        numpy_helper.from_array(np.zeros((1, hidden, 8), np.float32), "rnn_W"),
        numpy_helper.from_array(np.zeros((1, hidden, hidden), np.float32), "rnn_R"),
        numpy_helper.from_array(np.array([1, 0], np.int64), "idx"),
    ]
    nodes = [
        helper.make_node("RNN", ["seq", "rnn_W", "rnn_R"], ["rnn_y"], name="encoder_rnn", hidden_size=hidden),
        helper.make_node("Einsum", ["x", "x"], ["ein"], name="pairwise_einsum", equation="bij,bkj->bik"),
        helper.make_node("FancyOp", ["x"], ["fancy"], name="my_custom", domain="com.example"),
        helper.make_node("Equal", ["x", "x"], ["gathered"], name="runtime_equal"),
        helper.make_node("Relu", ["x"], ["ok"], name="fine_relu"),
        helper.make_node("Einsum", ["x", "x"], ["ein2"], equation="bij,bkj->bik"),  # unnamed
    ]
    model = onnx_model(
        nodes,
        [("seq", [3, "N", 8]), ("x", ["N", 3, 4])],
        [("rnn_y", None), ("ein", None), ("fancy", None), ("gathered", None), ("ok", None), ("ein2", None)],
        inits,
        extra_opsets=[("com.example", 1)],
    )
    problems = problems_of(model)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "node 'encoder_rnn' (RNN): unsupported operator" in text
    assert "node 'pairwise_einsum' (Einsum): unsupported operator" in text
    assert "node 'Einsum_5' (Einsum): unsupported operator" in text
    assert "node 'my_custom' (FancyOp): unsupported operator domain 'com.example'" in text
    assert (
        "node 'runtime_equal' (Equal): supported only on compile-time constants "
        "(shape computations), but an input is computed at run time"
    ) in text
    assert "fine_relu" not in text


@pytest.mark.parametrize(
    "op_type,inputs,attrs",
    [
        ("Expand", ["x", "shape"], {}),
        ("Cast", ["x"], {"to": TensorProto.FLOAT}),
    ],
)
def test_fold_only_op_on_runtime_data(op_type, inputs, attrs):
    inits = [
        numpy_helper.from_array(np.array([1, 0], np.int64), "idx"),
        numpy_helper.from_array(np.array([1, 3, 4], np.int64), "shape"),
        numpy_helper.from_array(np.array([1], np.int64), "starts"),
        numpy_helper.from_array(np.array([2], np.int64), "ends"),
    ]
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="relu"),
        helper.make_node(
            op_type, [("r" if i == "x" else i) for i in inputs], ["y"], name=f"bad_{op_type.lower()}", **attrs
        ),
    ]
    model = onnx_model(nodes, [("x", ["N", 3, 4])], [("y", None)], [t for t in inits if t.name in inputs])
    assert one_problem(model) == (
        f"node 'bad_{op_type.lower()}' ({op_type}): supported only on compile-time constants "
        "(shape computations), but an input is computed at run time"
    )


def test_unsupported_downstream_of_folded_shape_is_still_reported():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Cast", ["s"], ["sf"], name="cast", to=TensorProto.FLOAT),
        helper.make_node("Add", ["x", "sf"], ["a"], name="add"),
        helper.make_node("Hardmax", ["a"], ["y"], name="hard_max"),
    ]
    model = onnx_model(nodes, [("x", ["N", 2])], [("y", ["N", 2])])
    assert one_problem(model) == "node 'hard_max' (Hardmax): unsupported operator"


def test_importer_problems_are_listed_together():
    """Nodes whose operator is supported but whose attributes are not: all reported."""
    w = numpy_helper.from_array(np.ones((1, 4), np.float32), "W")
    nodes = [
        helper.make_node("Gemm", ["x", "W"], ["g"], name="gemm_transA", transA=1),
        helper.make_node("Transpose", ["z"], ["zt"], name="transpose_batch", perm=[1, 0, 2]),
        helper.make_node("Relu", ["zt"], ["t"], name="relu_sequence_first"),
        helper.make_node("Softmax", ["z"], ["s"], name="softmax_batch", axis=0),
        helper.make_node("Flatten", ["z"], ["f"], name="flatten_merge", axis=2),
        helper.make_node("Pad", ["z", "pads"], ["p"], name="pad_wrap", mode="wrap"),
        helper.make_node("Relu", ["g"], ["y"], name="after_failed"),  # skipped: its input failed
    ]
    pads = numpy_helper.from_array(np.array([0, 1, 0, 0, 1, 0], np.int64), "pads")
    model = onnx_model(
        nodes,
        [("x", ["N", 3]), ("z", ["N", 3, 4])],
        [("y", [3, 4]), ("t", [3, "N", 4]), ("s", ["N", 3, 4]), ("f", ["N*3", 4]), ("p", ["N", 5, 4])],
        [w, pads],
        opset=19,
    )
    problems = problems_of(model)
    assert problems == [
        "node 'gemm_transA' (Gemm): transA=1 would transpose the batch axis",
        "node 'relu_sequence_first' (Relu): input 0 ('zt') has its batch axis at position 1 (a sequence-first tensor); "
        "only Transpose, Squeeze, Unsqueeze, Gather, Slice, Reshape may read it",
        "node 'softmax_batch' (Softmax): softmax over the batch axis is not supported",
        "node 'flatten_merge' (Flatten): flatten axis 2 of shape [1, 3, 4] would merge the batch axis",
        "node 'pad_wrap' (Pad): pad mode 'wrap' is not supported",
    ]


def test_runtime_weight_is_reported():
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_rt_weight")]
    model = onnx_model(nodes, [("x", ["N", 2, 8]), ("w", [1, 2, 3])], [("y", ["N", 1, 6])])
    assert one_problem(model) == (
        "node 'conv_rt_weight' (Conv): weight W (input 1) must be a compile-time constant"
    )


# ---------------------------------------------------------------------------------------
# opsets


@pytest.mark.parametrize("opset", [0, MAX_OPSET + 1])
def test_unsupported_opset(opset):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    model = onnx_model(nodes, [("x", ["N", 4])], [("y", ["N", 4])], opset=opset, ir_version=10)
    expected = f"opset {opset} is not supported (supported: 1 to {MAX_OPSET})"
    assert one_problem(model) == expected
    assert one_problem(model.SerializeToString()) == expected


def test_failed_opset_upgrade_is_one_clear_error():
    # Upsample-7 has no scales input; an Upsample whose 'scales' attribute is missing cannot
    # be converted, and the converter's failure becomes one NnccError line.
    nodes = [helper.make_node("Upsample", ["x"], ["y"], mode="nearest")]
    model = onnx_model(nodes, [("x", ["N", 1, 2, 2])], [("y", ["N", 1, 4, 4])], opset=7, ir_version=10)
    message = str(pytest.raises(NnccError, onnx_load.load_model, model).value)
    assert message.startswith("cannot upgrade the model from opset 7 to opset 13 with the ONNX version converter: ")


def test_failed_opset_upgrade_lists_unsupported_nodes_instead():
    nodes = [
        helper.make_node("Upsample", ["x"], ["u"], name="up", mode="nearest"),
        helper.make_node("Relu", ["u"], ["y"], name="relu"),
    ]
    model = onnx_model(nodes, [("x", ["N", 1, 2, 2])], [("y", ["N", 1, 4, 4])], opset=7, ir_version=10)
    assert one_problem(model) == "node 'up' (Upsample): unsupported operator"


@pytest.mark.parametrize("opset", [7, 11, 21, MAX_OPSET])
def test_supported_opset_bounds(opset):
    """Opsets at and inside the supported range import, with the right semantics (an opset
    below NATIVE_MIN_OPSET is upgraded first)."""
    model = onnx_model([helper.make_node("Relu", ["x"], ["y"])], [("x", ["N", 4])], [("y", ["N", 4])], opset=opset)
    _, version = onnx_load.load_model(model)
    assert version == (onnx_load.UPGRADE_TARGET if opset < onnx_load.NATIVE_MIN_OPSET else opset)
    module = import_onnx(model)
    assert [op.name for op in module.walk() if op.name.startswith("nn.")] == ["nn.relu"]
    x = np.random.default_rng(opset).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(run_float(module, {"x": x})["y"], np.maximum(x, 0))


def test_no_default_opset():
    model = onnx_model([helper.make_node("Relu", ["x"], ["y"])], [("x", ["N", 4])], [("y", ["N", 4])])
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    assert one_problem(model) == "model imports no default ONNX opset"


