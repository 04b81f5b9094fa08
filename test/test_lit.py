"""Runs the lit + FileCheck suite (test/**/*.mlir) as part of pytest: one pytest item per file.

lit runs once per session, over the files of the selected items only (so `-k roundtrip`
runs just those), with `--output` writing a JSON report; each item then asserts the result
of its own file and shows lit's output for it when it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SUITE = "nncc"  # config.name in test/lit.cfg.py
EXCLUDES = {"fixtures", "unit", "plugins"}  # config.excludes in test/lit.cfg.py (folders)
PASSING = {"PASS", "XFAIL"}
SKIPPED = {"UNSUPPORTED", "SKIPPED", "EXCLUDED"}


def lit_files() -> list[str]:
    """Every lit test file, relative to test/ (POSIX), the way lit names it after `::`."""
    files = (p.relative_to(HERE) for p in HERE.rglob("*.mlir"))
    return sorted(p.as_posix() for p in files if not EXCLUDES & set(p.parts[:-1]))


def lit(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """lit (this interpreter's) with ``args``; the venv's bin first on PATH (nncc-opt, filecheck)."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [str(bin_dir / "lit")] if (bin_dir / "lit").exists() else [sys.executable, "-m", "lit"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=timeout, cwd=HERE)


@pytest.fixture(scope="session")
def lit_results(request, tmp_path_factory) -> dict[str, dict]:
    """test file -> lit's JSON record of it ({"code", "output", ...}), for the selected files."""
    selected = [item.callspec.params["path"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_lit" and hasattr(item, "callspec")]
    report = tmp_path_factory.mktemp("lit") / "results.json"
    proc = lit("-q", "--timeout=120", f"--output={report}", *(str(HERE / f) for f in sorted(set(selected))))
    if not report.exists():
        pytest.fail(f"lit wrote no report (exit {proc.returncode}):\n{proc.stdout[-5000:]}{proc.stderr[-5000:]}")
    prefix = f"{SUITE} :: "
    tests = json.loads(report.read_text())["tests"]
    return {t["name"].removeprefix(prefix): t for t in tests if t["name"].startswith(prefix)}


@pytest.mark.parametrize("path", lit_files())
def test_lit(lit_results, path):
    if path not in lit_results:
        pytest.fail(f"lit did not run {path} (ran: {', '.join(sorted(lit_results)) or 'nothing'})")
    result = lit_results[path]
    if result["code"] in SKIPPED:
        pytest.skip(f"lit: {result['code']}")
    assert result["code"] in PASSING, f"lit: {result['code']}\n{result['output'][-20000:]}"


def test_every_lit_file_is_collected():
    """The files above are the ones lit discovers itself (no test silently left out)."""
    proc = lit("--show-tests", str(HERE), timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = sorted(line.strip().removeprefix(f"{SUITE} :: ") for line in proc.stdout.splitlines()
                   if line.strip().startswith(f"{SUITE} :: "))
    assert found == lit_files()
