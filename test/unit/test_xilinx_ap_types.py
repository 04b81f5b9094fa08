"""The emitted C++ compiled against the real Xilinx ap_types headers (shipped in the
hls4ml wheel) gives exactly the outputs of the fixed-point interpreter (and of nncc's own
ap_fixed subset). Skipped when those headers are not installed."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import nncc
from nncc.runtime import csim

FIXTURES = Path(__file__).parent.parent / "fixtures"


def xilinx_ap_types() -> Path | None:
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "templates" / "vivado" / "ap_types"
    return folder if (folder / "ap_fixed.h").is_file() else None


@pytest.mark.parametrize("fixture, shape, mode", [("mlp", (16,), "lut"), ("cnn", (1, 16, 16), "pwl"), ("conv1d", (3, 32), "taylor")])
def test_xilinx_headers_give_identical_outputs(tmp_path, fixture, shape, mode):
    headers = xilinx_ap_types()
    if headers is None:
        pytest.skip("Xilinx ap_types headers not installed (pip install hls4ml==1.3.0 --no-deps)")
    design = nncc.compile(FIXTURES / f"{fixture}.onnx", tmp_path / "out", mode=mode)
    x = np.random.default_rng(3).standard_normal((500,) + shape).astype(np.float32)
    want = design.predict(x, engine="fixed").reshape(len(x), -1)
    ours = design.predict(x, engine="csim").reshape(len(x), -1)
    xilinx = csim.load(
        tmp_path / "out" / "hls_cpp", extra_flags=("-DNNCC_XILINX_AP_TYPES", "-Wno-unused-parameter"), include_dirs=(str(headers),)
    ).run([x])[0]
    assert np.array_equal(ours, want)
    assert np.array_equal(xilinx, want), f"{int(np.count_nonzero(xilinx != want))} values differ"
