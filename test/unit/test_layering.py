"""Architecture meta-tests: the import direction between the code folders, and no dispatch on
layer op classes outside the ops themselves.

Import direction (an AST check of every `import`): tools -> compiler -> backends | passes ->
dialects; runtime -> dialects only; dialects import nothing else of nncc; back ends never
import passes (what they read is defined by a dialect).

Dispatch: generic code asks a layer op through the interfaces of `nncc.dialects.interfaces`;
it does not keep `{OpClass: handler}` tables or `isinstance` chains over op classes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ALLOWED_IMPORTS = {
    "tools": {"tools", "compiler", "backends", "passes", "dialects", "runtime"},
    "compiler": {"compiler", "backends", "passes", "dialects", "runtime"},
    "backends": {"backends", "dialects"},
    "passes": {"passes", "dialects"},
    "runtime": {"runtime", "dialects"},
    "dialects": {"dialects"},
}
"""Per code folder, the nncc folders its modules may import."""


def _imported_folders(tree: ast.AST) -> set[str]:
    """The nncc folders a module imports (plain and `from` imports, `importlib.import_module`
    of a literal name)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module if node.module != "nncc" else f"nncc.{node.names[0].name}")
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
              and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))):
            first = node.args[0] if isinstance(node.args[0], ast.Constant) else node.args[0].values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.append(first.value)
    folders = {name.split(".")[1] for name in names if name.startswith("nncc.")}
    return {f for f in folders if not f.startswith("__")}  # nncc.__version__ is no folder


def _sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


@pytest.mark.parametrize("folder", sorted(ALLOWED_IMPORTS))
def test_import_direction(folder):
    bad = []
    for path in _sources(folder):
        for target in sorted(_imported_folders(ast.parse(path.read_text())) - ALLOWED_IMPORTS[folder]):
            bad.append(f"{path.relative_to(ROOT)} imports nncc.{target}")
    assert not bad, "\n".join(bad)


def test_the_import_check_sees_every_kind_of_import():
    source = (
        "import nncc.passes.x\nfrom nncc.backends import y\nfrom nncc import runtime\n"
        "importlib.import_module('nncc.compiler.z')\nimportlib.import_module(f'nncc.tools.{n}')\n"
    )
    assert _imported_folders(ast.parse(source)) == {"passes", "backends", "runtime", "compiler", "tools"}


# ---------------------------------------------------------------------------------------
# dispatch over layer op classes

LAYER_DIALECTS = frozenset({"nn", "fixed", "pot_quant", "dataflow", "binary_complex"})
"""Modules whose `<module>.<Name>Op` attributes are layer op classes."""

DISPATCH_FOLDERS = ("passes", "backends", "runtime", "compiler")

MIGRATING: frozenset[str] = frozenset()
"""Files being moved onto the layer interfaces: exempt until they are merged. Shrink this
set; never grow it."""

PENDING_INTERFACES: dict[str, str] = {}
"""Files whose op-class tests wait for an interface on the `nn` ops (file -> what is missing).
Remove an entry as soon as the interface exists."""

CHAIN_LENGTH = 3
"""An if/elif chain testing this many different op classes is a dispatch chain."""


def _op_class(node: ast.AST, imported: set[str]) -> str | None:
    """``nn.DenseOp``-like attribute, or a bare ``DenseOp`` imported from a layer dialect."""
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in LAYER_DIALECTS
            and node.attr[:1].isupper()):
        return f"{node.value.id}.{node.attr}"
    if isinstance(node, ast.Name) and node.id in imported:
        return node.id
    return None


def _dialect_imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nncc.dialects."):
            if node.module.split(".")[2] in LAYER_DIALECTS:
                names.update(a.asname or a.name for a in node.names if a.name.endswith("Op"))
    return names


def _isinstance_classes(test: ast.AST, imported: set[str]) -> list[str]:
    """The op classes an `isinstance(x, ...)` call (or a boolean combination of them) tests."""
    found = []
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                and len(node.args) == 2:
            spec = node.args[1]
            items = spec.elts if isinstance(spec, ast.Tuple) else [spec]
            found.extend(c for c in (_op_class(i, imported) for i in items) if c)
    return found


def dispatch_findings(source: str) -> list[str]:
    """Where ``source`` dispatches on layer op classes: an `isinstance` against a tuple of
    two or more op classes, an if/elif chain over `CHAIN_LENGTH` or more op classes, or a
    dict literal keyed by two or more op classes."""
    tree = ast.parse(source)
    imported = _dialect_imports(tree)
    findings = []
    elif_bodies = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance" \
                and len(node.args) == 2 and isinstance(node.args[1], ast.Tuple):
            classes = [c for c in (_op_class(e, imported) for e in node.args[1].elts) if c]
            if len(classes) >= 2:
                findings.append(f"line {node.lineno}: isinstance over {', '.join(classes)}")
        elif isinstance(node, ast.Dict):
            keys = [c for c in (_op_class(k, imported) for k in node.keys if k is not None) if c]
            if len(keys) >= 2:
                findings.append(f"line {node.lineno}: table keyed by {', '.join(keys)}")
        elif isinstance(node, ast.If) and id(node) not in elif_bodies:
            classes, branch = [], node
            while isinstance(branch, ast.If):
                classes.extend(_isinstance_classes(branch.test, imported))
                if len(branch.orelse) == 1 and isinstance(branch.orelse[0], ast.If):
                    branch = branch.orelse[0]
                    elif_bodies.add(id(branch))
                else:
                    break
            if len(set(classes)) >= CHAIN_LENGTH:
                findings.append(f"line {node.lineno}: if/elif chain over {', '.join(dict.fromkeys(classes))}")
    return sorted(findings, key=lambda f: int(f.split(":")[0].split()[1]))


def test_the_dispatch_check_finds_tables_and_chains():
    source = (
        "from nncc.dialects.nn import ReluOp\n"
        "HANDLERS = {nn.DenseOp: f, fixed.ConvOp: g}\n"
        "if isinstance(op, (nn.ReluOp, nn.TanhOp)):\n    pass\n"
        "if isinstance(op, nn.DenseOp):\n    a()\nelif isinstance(op, fixed.ConvOp):\n    b()\n"
        "elif isinstance(op, ReluOp):\n    c()\n"
        "if isinstance(op, nn.ConstantOp):\n    d()\n"
    )
    found = dispatch_findings(source)
    assert [f.split(":")[0] for f in found] == ["line 2", "line 3", "line 5"], found


@pytest.mark.parametrize("folder", DISPATCH_FOLDERS)
def test_no_dispatch_on_layer_op_classes(folder):
    bad = []
    for path in _sources(folder):
        rel = path.relative_to(ROOT).as_posix()
        if rel in MIGRATING or rel in PENDING_INTERFACES:
            continue
        bad.extend(f"{rel} {finding}" for finding in dispatch_findings(path.read_text()))
    assert not bad, "ask the op through nncc.dialects.interfaces instead:\n" + "\n".join(bad)


def test_the_allowlists_name_existing_files_that_still_need_them():
    missing = sorted(r for r in MIGRATING | set(PENDING_INTERFACES) if not (ROOT / r).is_file())
    assert not missing, missing
    clean = sorted(r for r in PENDING_INTERFACES if not dispatch_findings((ROOT / r).read_text()))
    assert not clean, f"remove from PENDING_INTERFACES (no dispatch left): {clean}"
