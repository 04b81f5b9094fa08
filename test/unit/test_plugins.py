"""Third-party plugins: a pass through `xdsl.universe`, a pipeline through `nncc.pipelines`.

The demo plugin in test/plugins is really installed (pip --target into a temporary
folder put on PYTHONPATH), so the environment of the test run is not changed.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PLUGIN = HERE.parent / "plugins" / "nncc_demo_plugin"
FIXTURES = HERE.parent / "fixtures"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(PLUGIN)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return site


def run(args, site=None, extra_site=None):
    env = dict(os.environ)
    paths = [str(p) for p in (site, extra_site) if p is not None]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=120)


RELU_IR = """func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = nn.relu %x : tensor<1x4xf32>
  func.return %y : tensor<1x4xf32>
}
"""


def test_nncc_opt_picks_up_plugin_pass(plugin_site, tmp_path):
    ir = tmp_path / "relu.mlir"
    ir.write_text(RELU_IR)
    without = run(["nncc-opt", str(ir), "-p", "demo-relu-to-clip"])
    assert without.returncode == 1 and "Unrecognized passes: ['demo-relu-to-clip']" in without.stderr
    with_plugin = run(["nncc-opt", str(ir), "-p", "demo-relu-to-clip"], plugin_site)
    assert with_plugin.returncode == 0, with_plugin.stderr
    assert "nn.clip %x {min = 0.000000e+00 : f64} : tensor<1x4xf32>" in with_plugin.stdout
    assert "nn.relu" not in with_plugin.stdout
    stock = run(["xdsl-opt", str(ir), "-p", "demo-relu-to-clip"], plugin_site)
    assert stock.returncode == 0 and "nn.clip" in stock.stdout


def test_nncc_import_uses_plugin_pipeline(plugin_site):
    proc = run(["nncc", "import", str(FIXTURES / "mlp.onnx"), "--pipeline", "demo-relu-clip", "--print-pipeline"], plugin_site)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "demo-relu-to-clip,canonicalize"
    assert proc.stdout.count("nn.clip") == 3 and "nn.relu" not in proc.stdout


def test_duplicate_pass_name_is_an_error(plugin_site, tmp_path):
    # a second installed distribution that defines nncc's own pass name again
    site = tmp_path / "dup"
    (site / "dup_plugin").mkdir(parents=True)
    (site / "dup_plugin" / "__init__.py").write_text(
        "from xdsl.universe import Universe\n"
        "from nncc.passes.nn_fuse_bias import NnFuseBiasPass\n"
        "U = Universe(all_dialects={}, all_passes={'nn-fuse-bias': lambda: NnFuseBiasPass}, all_targets={})\n"
    )
    info = site / "dup_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dup-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[xdsl.universe]\ndup = dup_plugin:U\n")
    ir = tmp_path / "relu.mlir"
    ir.write_text(RELU_IR)
    proc = run(["nncc-opt", str(ir)], site)
    assert proc.returncode == 1
    assert "Duplicate definition of nn-fuse-bias" in proc.stderr
    assert "Traceback" not in proc.stderr
