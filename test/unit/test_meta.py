"""House-style invariants: registry names, docstrings, one lit test per pass (the import
direction is checked in test_layering.py)."""

import dataclasses
from pathlib import Path

import pytest

from nncc.compiler.pipelines import all_pipelines
from nncc.dialects.fixed import FIXED
from nncc.dialects.nn import NN
from nncc.passes import get_all_passes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name, factory", sorted(get_all_passes().items()))
def test_pass_registry_and_docs(name, factory):
    cls = factory()
    assert cls.name == name
    assert cls.__doc__ and cls.__doc__.strip()
    assert (ROOT / "test" / "passes" / f"{name}.mlir").is_file(), f"pass {name} has no lit test"
    module_file = ROOT / "passes" / (name.replace("-", "_") + ".py")
    assert module_file.is_file(), "one pass per file, named after the pass"
    for field in dataclasses.fields(cls):
        assert field.name in (cls.__doc__ or "") or field.metadata.get("doc"), f"option {field.name} undocumented"


@pytest.mark.parametrize("op", sorted(NN.operations, key=lambda o: o.name), ids=lambda o: o.name)
def test_op_docstrings(op):
    doc = op.__doc__ or ""
    assert doc.strip(), f"{op.name} has no docstring"
    assert "Example" in doc or op.name in doc, f"{op.name} docstring has no IR example"
    assert op.__name__.endswith("Op")


def test_every_op_is_in_the_roundtrip_test():
    text = (ROOT / "test" / "dialects" / "nn" / "roundtrip.mlir").read_text()
    missing = [op.name for op in NN.operations if f"{op.name} " not in text]
    assert not missing


@pytest.mark.parametrize("kind, mark", [("roundtrip", "{} "), ("invalid", "CHECK: Operation does not verify: {}: ")])
def test_every_fixed_op_is_in_the_lit_tests(kind, mark):
    """test/dialects/fixed/roundtrip.mlir prints every fixed op; invalid.mlir breaks each one."""
    text = (ROOT / "test" / "dialects" / "fixed" / f"{kind}.mlir").read_text()
    missing = [op.name for op in FIXED.operations if mark.format(op.name) not in text]
    assert not missing


def test_pipelines_are_documented():
    for name, builder in all_pipelines().items():
        assert builder.__doc__, name


CODE_FOLDERS = ("tools", "compiler", "backends", "passes", "dialects", "runtime")
"""The folders installed as subpackages of `nncc` (file sizes: test_sizes.py)."""


def test_every_package_is_in_pyproject():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"nncc"}
    for folder in CODE_FOLDERS:
        for init in (ROOT / folder).rglob("__init__.py"):
            found.add("nncc." + ".".join(init.parent.relative_to(ROOT).parts))
    assert found == listed
