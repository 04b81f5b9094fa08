"""Runs the lit + FileCheck suite (test/**/*.mlir) as part of pytest."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_lit_suite():
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    lit = bin_dir / "lit"
    cmd = [str(lit)] if lit.exists() else [sys.executable, "-m", "lit"]
    proc = subprocess.run(
        cmd + ["-sv", "--timeout=120", str(HERE)], capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
    assert "Passed:" in proc.stdout
    assert "Failed" not in proc.stdout
