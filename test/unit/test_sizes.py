"""Layout: no file over 600 lines and no function over 80 lines, anywhere in the repository
(source, benches, tests)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

SKIPPED_PARTS = {".venv", ".hls4ml-venv", "build", "Output", "__pycache__", ".git"}
"""Not the repository's code: virtual environments (the project's and the hls4ml bench's), build
output, lit output, caches."""


def _python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIPPED_PARTS & set(p.relative_to(ROOT).parts)
                  and "egg-info" not in str(p))


def long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, lines) of every function or method longer than the limit, its
    decorators and docstring included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            length = node.end_lineno - first + 1
            if length > MAX_FUNCTION_LINES:
                found.append((node.name, first, length))
    return found


def test_the_function_check_measures_whole_functions():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}\n") == [("f", 1, MAX_FUNCTION_LINES + 1)]
    assert long_functions(f"def f():\n{body[: body.rindex(chr(10))]}\n") == []


def test_no_file_over_the_limit():
    bad = []
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        lines = path.read_text().count("\n")
        if lines > MAX_FILE_LINES:
            bad.append(f"{rel}: {lines} lines")
    assert not bad, "\n".join(bad)


def test_no_function_over_the_limit():
    bad = []
    for path in _python_files():
        rel = path.relative_to(ROOT).as_posix()
        bad.extend(f"{rel}:{line} {name}: {n} lines" for name, line, n in long_functions(path.read_text()))
    assert not bad, "\n".join(bad)

