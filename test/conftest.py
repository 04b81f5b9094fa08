"""Shared pytest set-up for every test under test/: the external tools a test needs.

A test that needs a tool says so with the `requires` marker (or, inside a fixture or a test,
with the `require_tool` fixture):

    pytestmark = pytest.mark.requires("verilator")

    @pytest.mark.requires("g++")
    def test_csim(...): ...

    @pytest.fixture(scope="module")
    def yosys(require_tool):
        require_tool("yosys")
        ...

Without the tool the test is skipped, except when the `CI` environment variable is set: then
it fails, so a CI machine that lost a tool cannot turn its tests green by skipping them. Icarus
Verilog stays optional everywhere (CI installs it on a best-effort basis): always a skip.
"""

from __future__ import annotations

import functools
import os
import shutil

import pytest

TOOLS = ("g++", "verilator", "yosys", "icarus")
"""The tools a test can require."""
OPTIONAL = frozenset({"icarus"})
"""Tools whose absence is a skip even in CI."""


@functools.cache
def tool_missing(name: str) -> str | None:
    """None if tool ``name`` (one of TOOLS) can be used here, else why not."""
    if name == "g++":
        return None if shutil.which("g++") else "g++ not found: apt-get install g++"
    if name in ("verilator", "icarus"):
        from nncc.runtime import rtlsim

        return rtlsim.available(name)
    if name == "yosys":
        from nncc.runtime import synth

        return synth.available()
    raise ValueError(f"require_tool: unknown tool {name!r} (one of {', '.join(TOOLS)})")


def require_tool(name: str) -> None:
    """Skip the running test if tool ``name`` is missing, or fail it in CI (see the module doc)."""
    why = tool_missing(name)
    if why is None:
        return
    if os.environ.get("CI") and name not in OPTIONAL:
        pytest.fail(f"needs {name}, which CI must provide: {why}", pytrace=False)
    pytest.skip(f"needs {name}: {why}")


@pytest.fixture(name="require_tool", scope="session")
def require_tool_fixture():
    """`require_tool(name)` for fixtures and tests (a fixture of any scope can use it)."""
    return require_tool


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "requires(*tools): the test needs these tools (g++, verilator, yosys, icarus); see test/conftest.py"
    )
    config.addinivalue_line(
        "markers", "sweep: a further case of a sweep whose smallest cases run in the suite; deselected by default "
        "(pyproject addopts), run with `pytest -m sweep` or bench/bench_sweeps.py"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Check the `requires` markers before any fixture of the test is set up."""
    for mark in item.iter_markers("requires"):
        for name in mark.args:
            require_tool(name)
