"""A built wheel works on its own (not only the editable install)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_installs_and_imports_a_model(tmp_path):
    wheels = tmp_path / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = wheels.glob("nncc-*.whl")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in (site / "nncc").iterdir()}
    assert {"compiler", "dialects", "passes", "backends", "runtime", "tools"} <= names
    assert not (site / "compiler").exists() and not (site / "tools").exists(), "no generic top-level packages"
    script = (
        "import nncc, sys; from pathlib import Path\n"
        f"assert Path(nncc.__file__).resolve().is_relative_to(Path({str(site)!r}).resolve()), nncc.__file__\n"
        "from nncc.tools.nncc import main\n"
        f"sys.exit(main(['run', {str(ROOT / 'test/fixtures/mlp.onnx')!r}, '--input', {str(ROOT / 'test/fixtures/mlp_input.npy')!r}]))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("output: shape [8, 5]")
    entry = (next(site.glob("nncc-*.dist-info")) / "entry_points.txt").read_text()
    assert "nncc = nncc.tools.nncc:main" in entry and "nncc-opt = nncc.tools.nncc_opt:main" in entry
    assert "[xdsl.universe]" in entry
