"""Negative importer tests: bad files, hostile external data, unsupported operators,
unsupported opsets and shapes, hostile names. Every test checks what the message
says (file, node name, op type, ...), not only that NnccError was raised.
"""

from __future__ import annotations

import builtins
import io
import os
import random
import re
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, external_data_helper, helper, numpy_helper
from xdsl.printer import Printer

from nncc.compiler.onnx import load as onnx_load
from nncc.compiler.onnx.load import MAX_OPSET
from nncc.compiler.context import make_context
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HOSTILE = '"; system("x"); //'

from import_errors_support import (  # noqa: F401
    vi,
    make,
    dense_model,
    problems_of,
    one_problem,
    printed_with_locations,
)

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
    data = dense_model().SerializeToString()
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
    model = make(
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
    message = one_problem(make(nodes, [("x", ["N", 6])], [("y", ["N", 6])]))
    assert message.startswith("node 'const_bias' (Constant): attribute 'value': cannot decode tensor")


# ---------------------------------------------------------------------------------------
# external data


def _save_external(model, folder: Path, location="weights.bin") -> Path:
    """Save a copy of ``model`` to folder/model.onnx with every tensor in ``location``."""
    (folder / location).parent.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    onnx.save_model(
        copy, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=location,
        size_threshold=0,
    )  # fmt: skip
    return path


def _relocate(path: Path, location: str) -> None:
    """Point every external-data entry of the model file at ``location``."""
    model = onnx.load(str(path), load_external_data=False)
    changed = 0
    for tensor in external_data_helper._get_all_tensors(model):
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
                changed += 1
    assert changed
    path.write_bytes(model.SerializeToString())


@pytest.fixture
def file_spy(monkeypatch):
    """Record every path opened through open/io.open/os.open, and fail if onnx's
    external-data loader is called at all."""
    opened: list[str] = []
    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open

    def spy(real):
        def wrapper(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)):
                opened.append(os.path.realpath(os.fsdecode(file)))
            return real(file, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "open", spy(real_open))
    monkeypatch.setattr(io, "open", spy(real_io_open))
    monkeypatch.setattr(os, "open", spy(real_os_open))

    def refuse(*args, **kwargs):
        raise AssertionError("external data must not be loaded")

    monkeypatch.setattr(onnx_load.external_data_helper, "load_external_data_for_model", refuse)
    return opened


def test_external_data_inside_folder_imports(tmp_path):
    model = dense_model()
    path = _save_external(model, tmp_path / "model")
    assert (tmp_path / "model" / "weights.bin").is_file()
    stored = onnx.load(str(path), load_external_data=False)
    assert all(t.data_location == TensorProto.EXTERNAL for t in stored.graph.initializer)
    module = import_onnx(path)
    assert str(module) == str(import_onnx(model))
    x = np.random.default_rng(1).standard_normal((5, 8)).astype(np.float32)
    np.testing.assert_array_equal(run_float(module, {"x": x})["y"], run_float(import_onnx(model), {"x": x})["y"])


def test_external_data_in_subfolder_imports(tmp_path):
    path = _save_external(dense_model(), tmp_path / "model", location="data/weights.bin")
    assert (tmp_path / "model" / "data" / "weights.bin").is_file()
    import_onnx(path)


@pytest.mark.parametrize("location", ["../secret.bin", "sub/../../secret.bin", "./../secret.bin"])
def test_external_data_outside_folder_is_not_read(tmp_path, file_spy, location):
    folder = tmp_path / "model"
    path = _save_external(dense_model(), folder)
    secret = tmp_path / "secret.bin"
    # a file that would load fine if it were read: the same bytes as the real weights
    secret.write_bytes((folder / "weights.bin").read_bytes())
    (folder / "sub").mkdir()
    _relocate(path, location)
    file_spy.clear()
    problems = problems_of(path)
    assert problems == [
        f"tensor '{name}': external data location '{location}' points outside the model's folder; refusing to read it"
        for name in ("W", "b")
    ]
    assert str(path.resolve()) in file_spy  # the spy sees the model file being read...
    assert str(secret.resolve()) not in file_spy  # ...but not the file outside the folder
    assert not any(p.endswith("secret.bin") for p in file_spy)


@pytest.mark.parametrize("location", ["/etc/passwd", "ABSOLUTE_SECRET"])
def test_external_data_absolute_path_is_refused(tmp_path, file_spy, location):
    folder = tmp_path / "model"
    path = _save_external(dense_model(), folder)
    if location == "ABSOLUTE_SECRET":
        secret = tmp_path / "secret.bin"
        secret.write_bytes((folder / "weights.bin").read_bytes())
        location = str(secret.resolve())
    _relocate(path, location)
    file_spy.clear()
    problems = problems_of(path)
    assert problems == [
        f"tensor '{name}': external data location '{location}' must be a relative path inside the model's folder"
        for name in ("W", "b")
    ]
    assert os.path.realpath(location) not in file_spy
    assert "/etc/passwd" not in file_spy


def test_external_data_symlink_escaping_folder_is_refused(tmp_path, file_spy):
    folder = tmp_path / "model"
    path = _save_external(dense_model(), folder)
    secret = tmp_path / "secret.bin"
    secret.write_bytes((folder / "weights.bin").read_bytes())
    (folder / "link.bin").symlink_to(secret)
    _relocate(path, "link.bin")
    file_spy.clear()
    problems = problems_of(path)
    assert len(problems) == 2
    assert all("'link.bin' points outside the model's folder" in p for p in problems)
    assert str(secret.resolve()) not in file_spy


def test_external_data_missing_file(tmp_path):
    path = _save_external(dense_model(), tmp_path / "model")
    (tmp_path / "model" / "weights.bin").unlink()
    problems = problems_of(path)
    assert problems == [f"tensor '{n}': external data file 'weights.bin' does not exist" for n in ("W", "b")]


def test_external_data_from_bytes_is_refused(tmp_path):
    path = _save_external(dense_model(), tmp_path / "model")
    problems = problems_of(path.read_bytes())
    assert len(problems) == 2
    assert all("cannot be loaded from an in-memory model" in p and "'weights.bin'" in p for p in problems)


def test_external_data_in_constant_attribute_outside_folder(tmp_path, file_spy):
    rng = np.random.default_rng(3)
    value = numpy_helper.from_array(rng.standard_normal(64).astype(np.float32), "cvalue")
    nodes = [
        helper.make_node("Constant", [], ["c"], name="big_const", value=value),
        helper.make_node("Add", ["x", "c"], ["y"], name="add"),
    ]
    model = make(nodes, [("x", ["N", 64])], [("y", ["N", 64])])
    folder = tmp_path / "model"
    folder.mkdir()
    external_data_helper.convert_model_to_external_data(
        model, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0, convert_attribute=True
    )
    # onnx itself refuses to write a '..' location, so edit it into the proto afterwards
    (tensor,) = [t for t in external_data_helper._get_all_tensors(model) if t.HasField("data_location")]
    assert tensor.name == "cvalue" and tensor.data_location == TensorProto.EXTERNAL
    for entry in tensor.external_data:
        if entry.key == "location":
            entry.value = "../secret.bin"
    (tmp_path / "secret.bin").write_bytes(np.zeros(64, np.float32).tobytes())
    path = folder / "model.onnx"
    path.write_bytes(model.SerializeToString())  # onnx.save refuses the '..' too
    file_spy.clear()
    message = one_problem(path)
    assert "'../secret.bin' points outside the model's folder" in message
    assert str((tmp_path / "secret.bin").resolve()) not in file_spy


# ---------------------------------------------------------------------------------------
# unsupported operators


def test_all_unsupported_operators_listed_together():
    hidden = 5
    inits = [
        numpy_helper.from_array(np.zeros((1, 4 * hidden, 8), np.float32), "lstm_W"),
        numpy_helper.from_array(np.zeros((1, 4 * hidden, hidden), np.float32), "lstm_R"),
        numpy_helper.from_array(np.array([1, 0], np.int64), "idx"),
    ]
    nodes = [
        helper.make_node("LSTM", ["seq", "lstm_W", "lstm_R"], ["lstm_y"], name="encoder_lstm", hidden_size=hidden),
        helper.make_node("Einsum", ["x", "x"], ["ein"], name="pairwise_einsum", equation="bij,bkj->bik"),
        helper.make_node("FancyOp", ["x"], ["fancy"], name="my_custom", domain="com.example"),
        helper.make_node("Equal", ["x", "x"], ["gathered"], name="runtime_equal"),
        helper.make_node("Relu", ["x"], ["ok"], name="fine_relu"),
        helper.make_node("Einsum", ["x", "x"], ["ein2"], equation="bij,bkj->bik"),  # unnamed
    ]
    model = make(
        nodes,
        [("seq", [3, "N", 8]), ("x", ["N", 3, 4])],
        [("lstm_y", None), ("ein", None), ("fancy", None), ("gathered", None), ("ok", None), ("ein2", None)],
        inits,
        extra_opsets=[("com.example", 1)],
    )
    problems = problems_of(model)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "node 'encoder_lstm' (LSTM): unsupported operator" in text
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
    model = make(nodes, [("x", ["N", 3, 4])], [("y", None)], [t for t in inits if t.name in inputs])
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
    model = make(nodes, [("x", ["N", 2])], [("y", ["N", 2])])
    assert one_problem(model) == "node 'hard_max' (Hardmax): unsupported operator"


def test_importer_problems_are_listed_together():
    """Nodes whose operator is supported but whose attributes are not: all reported."""
    w = numpy_helper.from_array(np.ones((1, 4), np.float32), "W")
    nodes = [
        helper.make_node("Gemm", ["x", "W"], ["g"], name="gemm_transA", transA=1),
        helper.make_node("Transpose", ["z"], ["t"], name="transpose_batch", perm=[1, 0, 2]),
        helper.make_node("Softmax", ["z"], ["s"], name="softmax_batch", axis=0),
        helper.make_node("Flatten", ["z"], ["f"], name="flatten_merge", axis=2),
        helper.make_node("Pad", ["z", "pads"], ["p"], name="pad_wrap", mode="wrap"),
        helper.make_node("Relu", ["g"], ["y"], name="after_failed"),  # skipped: its input failed
    ]
    pads = numpy_helper.from_array(np.array([0, 1, 0, 0, 1, 0], np.int64), "pads")
    model = make(
        nodes,
        [("x", ["N", 3]), ("z", ["N", 3, 4])],
        [("y", [3, 4]), ("t", [3, "N", 4]), ("s", ["N", 3, 4]), ("f", ["N*3", 4]), ("p", ["N", 5, 4])],
        [w, pads],
        opset=19,
    )
    problems = problems_of(model)
    assert problems == [
        "node 'gemm_transA' (Gemm): transA=1 would transpose the batch axis",
        "node 'transpose_batch' (Transpose): perm [1, 0, 2] moves the batch axis",
        "node 'softmax_batch' (Softmax): softmax over the batch axis is not supported",
        "node 'flatten_merge' (Flatten): flatten axis 2 of shape [1, 3, 4] would merge the batch axis",
        "node 'pad_wrap' (Pad): pad mode 'wrap' is not supported",
    ]


def test_runtime_weight_is_reported():
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_rt_weight")]
    model = make(nodes, [("x", ["N", 2, 8]), ("w", [1, 2, 3])], [("y", ["N", 1, 6])])
    assert one_problem(model) == (
        "node 'conv_rt_weight' (Conv): weight W (input 1) must be a compile-time constant"
    )


# ---------------------------------------------------------------------------------------
# opsets


@pytest.mark.parametrize("opset", [0, MAX_OPSET + 1])
def test_unsupported_opset(opset):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    model = make(nodes, [("x", ["N", 4])], [("y", ["N", 4])], opset=opset, ir_version=10)
    expected = f"opset {opset} is not supported (supported: 1 to {MAX_OPSET})"
    assert one_problem(model) == expected
    assert one_problem(model.SerializeToString()) == expected


def test_failed_opset_upgrade_is_one_clear_error():
    # Upsample-7 has no scales input; an Upsample whose 'scales' attribute is missing cannot
    # be converted, and the converter's failure becomes one NnccError line.
    nodes = [helper.make_node("Upsample", ["x"], ["y"], mode="nearest")]
    model = make(nodes, [("x", ["N", 1, 2, 2])], [("y", ["N", 1, 4, 4])], opset=7, ir_version=10)
    message = str(pytest.raises(NnccError, onnx_load.load_model, model).value)
    assert message.startswith("cannot upgrade the model from opset 7 to opset 13 with the ONNX version converter: ")


def test_failed_opset_upgrade_lists_unsupported_nodes_instead():
    nodes = [
        helper.make_node("Upsample", ["x"], ["u"], name="up", mode="nearest"),
        helper.make_node("Relu", ["u"], ["y"], name="relu"),
    ]
    model = make(nodes, [("x", ["N", 1, 2, 2])], [("y", ["N", 1, 4, 4])], opset=7, ir_version=10)
    assert one_problem(model) == "node 'up' (Upsample): unsupported operator"


@pytest.mark.parametrize("opset", [7, 11, 21, MAX_OPSET])
def test_supported_opset_bounds(opset):
    import_onnx(make([helper.make_node("Relu", ["x"], ["y"])], [("x", ["N", 4])], [("y", ["N", 4])], opset=opset))


def test_no_default_opset():
    model = make([helper.make_node("Relu", ["x"], ["y"])], [("x", ["N", 4])], [("y", ["N", 4])])
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    assert one_problem(model) == "model imports no default ONNX opset"


