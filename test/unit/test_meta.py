"""House-style invariants: registry names, docstrings, one lit test per pass, layering."""

import ast
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


LAYERS = ["tools", "compiler", "backends", "passes", "dialects"]
"""Import direction: a layer may import only layers to its right (runtime: dialects only)."""


def _nncc_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nncc."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("nncc."):
                    found.add(alias.name.split(".")[1])
    return found


def _allowed(layer: str) -> set[str]:
    if layer == "runtime":
        return {"runtime", "dialects"}
    allowed = set(LAYERS[LAYERS.index(layer):])
    if layer in ("tools", "compiler"):
        allowed.add("runtime")
    return allowed


@pytest.mark.parametrize("layer", LAYERS + ["runtime"])
def test_layering(layer):
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for target in _nncc_imports(path) - _allowed(layer):
            bad.append(f"{path.relative_to(ROOT)} imports nncc.{target}")
    assert not bad, "\n".join(bad)


def test_no_long_modules():
    long = []
    for layer in LAYERS + ["runtime"]:
        for path in (ROOT / layer).rglob("*.py"):
            n = len(path.read_text().splitlines())
            if n > 800:
                long.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not long


def test_every_package_is_in_pyproject():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {"nncc"}
    for layer in LAYERS + ["runtime"]:
        for init in (ROOT / layer).rglob("__init__.py"):
            found.add("nncc." + ".".join(init.parent.relative_to(ROOT).parts))
    assert found == listed
