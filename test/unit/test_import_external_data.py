"""Importer tests of ONNX external data: tensors stored next to the model are read, but never
from outside the model's folder (relative escapes, absolute paths, symlinks), never for a
model given as bytes, and a missing file is one clear error. Every test checks the message
and, with `file_spy`, which files were actually opened.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, external_data_helper, helper, numpy_helper

from nncc.compiler.onnx import load as onnx_load
from nncc.compiler.onnx.importer import import_onnx
from nncc.runtime.interpreter import run_float

from helpers import gemm_relu_model, one_problem, onnx_model, problems_of



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
    model = gemm_relu_model()
    path = _save_external(model, tmp_path / "model")
    assert (tmp_path / "model" / "weights.bin").is_file()
    stored = onnx.load(str(path), load_external_data=False)
    assert all(t.data_location == TensorProto.EXTERNAL for t in stored.graph.initializer)
    module = import_onnx(path)
    assert str(module) == str(import_onnx(model))
    x = np.random.default_rng(1).standard_normal((5, 8)).astype(np.float32)
    np.testing.assert_array_equal(run_float(module, {"x": x})["y"], run_float(import_onnx(model), {"x": x})["y"])


def test_external_data_in_subfolder_imports(tmp_path):
    model = gemm_relu_model()
    path = _save_external(model, tmp_path / "model", location="data/weights.bin")
    assert (tmp_path / "model" / "data" / "weights.bin").is_file()
    assert str(import_onnx(path)) == str(import_onnx(model))  # the weights were read from data/


@pytest.mark.parametrize("location", ["../secret.bin", "sub/../../secret.bin", "./../secret.bin"])
def test_external_data_outside_folder_is_not_read(tmp_path, file_spy, location):
    folder = tmp_path / "model"
    path = _save_external(gemm_relu_model(), folder)
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
    path = _save_external(gemm_relu_model(), folder)
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
    path = _save_external(gemm_relu_model(), folder)
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
    path = _save_external(gemm_relu_model(), tmp_path / "model")
    (tmp_path / "model" / "weights.bin").unlink()
    problems = problems_of(path)
    assert problems == [f"tensor '{n}': external data file 'weights.bin' does not exist" for n in ("W", "b")]


def test_external_data_from_bytes_is_refused(tmp_path):
    path = _save_external(gemm_relu_model(), tmp_path / "model")
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
    model = onnx_model(nodes, [("x", ["N", 64])], [("y", ["N", 64])])
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
