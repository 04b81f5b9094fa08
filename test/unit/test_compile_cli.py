"""`nncc compile`, `nncc simulate`, `nncc verify` and the Python API (`nncc.compile`, `nncc.load`,
`Design`): reproducible and atomic output folders, TOML/YAML configs, calibration, the report,
the simulation engines, first-divergence diagnosis, and hostile node names.

The command lines run as subprocesses (as a user runs them), with a private C-simulation cache.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import nncc
from nncc.compiler.diagnostics import NnccError

FIXTURES = Path(__file__).parent.parent / "fixtures"
MLP = FIXTURES / "mlp.onnx"
BIN = Path(sys.executable).parent
NOISE_WARNING = "warning: no --calibration data; calibrating on 1000 N(0,1) samples"
TYPE_RE = re.compile(r"q<\d+,-?\d+>")

needs_gxx = pytest.mark.requires("g++")


pytestmark = pytest.mark.usefixtures("private_cache")  # conftest.py


def nncc_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "nncc"), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def assert_user_error(proc: subprocess.CompletedProcess) -> list[str]:
    """Exit status 1, one `error:` line per problem, no traceback; returns the error lines."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert errors, proc.stderr
    return errors


def tree(folder: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path, name: str) -> list[str]:
    """Temporary siblings (`.name.*`) that an output folder `name` could have left behind."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


def report(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())


def layers(folder: Path) -> dict[str, dict]:
    return {entry["name"]: entry for entry in report(folder)["layers"]}


def write_npy(path: Path, shape, seed=0, scale=1.0) -> Path:
    np.save(path, (scale * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32))
    return path


def gemm_relu_gemm(names: dict[str, str], path: Path) -> Path:
    """input [N,4] -> Gemm(8) -> Relu -> Gemm(3), with the given node/tensor names."""
    rng = np.random.default_rng(7)
    inits = [
        numpy_helper.from_array(rng.uniform(-0.6, 0.6, (8, 4)).astype(np.float32), names["w1"]),
        numpy_helper.from_array(rng.uniform(-0.1, 0.1, (8,)).astype(np.float32), names["b1"]),
        numpy_helper.from_array(rng.uniform(-0.6, 0.6, (3, 8)).astype(np.float32), names["w2"]),
        numpy_helper.from_array(rng.uniform(-0.1, 0.1, (3,)).astype(np.float32), names["b2"]),
    ]
    nodes = [
        helper.make_node("Gemm", [names["x"], names["w1"], names["b1"]], [names["h"]], name=names["gemm1"], transB=1),
        helper.make_node("Relu", [names["h"]], [names["r"]], name=names["relu"]),
        helper.make_node("Gemm", [names["r"], names["w2"], names["b2"]], [names["y"]], name=names["gemm2"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, names.get("graph", "g"),
        [helper.make_tensor_value_info(names["x"], TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info(names["y"], TensorProto.FLOAT, ["N", 3])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


# ---------------------------------------------------------------------------------------
# reproducible, atomic output folders


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_compile_twice_gives_byte_identical_folders(tmp_path, model):
    for out in ("a", "b"):
        proc = nncc_cli("compile", FIXTURES / f"{model}.onnx", "-o", tmp_path / out)
        assert proc.returncode == 0, proc.stderr
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    expected = {
        "model.mlir", "design.mlir", "report.json", "hls_cpp/nncc_top.cpp", "hls_cpp/nncc_top.h", "hls_cpp/tb.cpp",
        "hls_cpp/build.tcl", "hls_cpp/nncc_ap_fixed.h", "hls_cpp/nncc_support.h", "hls_cpp/tb_data/inputs.txt",
        "hls_cpp/tb_data/expected.txt", "verilog/nncc_top.v", "verilog/tb.v", "verilog/nncc_lib.v",
        "verilog/tb_data/stimuli.hex", "verilog/tb_data/expected.hex",
    }
    assert expected <= set(a)
    assert all(name in expected or name.startswith("hls_cpp/nncc_") for name in a), sorted(a)
    assert set(b) == set(a)
    for name in a:
        assert a[name] == b[name], f"{name} differs between two identical compiles"


def test_compile_with_config_and_calibration_is_reproducible(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[layers."/fc2/Gemm"]\nwidth = 10\nint_bits = 5\n[activations]\nmode = "pwl"\n')
    calib = write_npy(tmp_path / "x.npy", (100, 16))
    for out in ("a", "b"):
        proc = nncc_cli("compile", MLP, "-o", tmp_path / out, "--config", config, "--calibration", calib)
        assert proc.returncode == 0, proc.stderr
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def unsupported_model(path: Path) -> Path:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    graph = helper.make_graph([helper.make_node("Sin", ["x"], ["y"], name="my sin")], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


@pytest.mark.parametrize("failure", ["unsupported-op", "bad-config-key", "bad-calibration"])
def test_failing_compile_leaves_no_folder_and_no_temp_sibling(tmp_path, failure):
    work = tmp_path / "work"
    work.mkdir()
    model, extra = MLP, []
    if failure == "unsupported-op":
        model = unsupported_model(tmp_path / "sin.onnx")
    elif failure == "bad-config-key":
        (tmp_path / "c.toml").write_text("[model]\nwidht = 12\n")
        extra = ["--config", tmp_path / "c.toml"]
    else:
        extra = ["--calibration", write_npy(tmp_path / "x.npy", (10, 7))]  # wrong input size
    proc = nncc_cli("compile", model, "-o", work / "out", *extra)
    assert proc.returncode != 0
    assert list(work.iterdir()) == []
    if failure == "unsupported-op":
        errors = assert_user_error(proc)
        assert any("'my sin'" in e and "Sin" in e for e in errors)
    elif failure == "bad-config-key":
        errors = assert_user_error(proc)
        assert any("widht" in e for e in errors)


def test_calibration_of_wrong_shape_is_a_user_error(tmp_path):
    proc = nncc_cli("compile", MLP, "-o", tmp_path / "out", "--calibration", write_npy(tmp_path / "x.npy", (10, 7)))
    errors = assert_user_error(proc)
    assert any("[10, 7]" in e for e in errors)


def test_existing_foreign_folder_is_refused_and_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    (out / "sub").mkdir()
    (out / "sub" / "data.bin").write_bytes(b"\x00\x01")
    before = tree(out)
    errors = assert_user_error(nncc_cli("compile", MLP, "-o", out))
    assert any("refusing" in e for e in errors)
    assert tree(out) == before
    assert leftovers(tmp_path, "out") == []


def test_existing_file_is_refused_and_untouched(tmp_path):
    out = tmp_path / "out"
    out.write_text("not a folder\n")
    assert_user_error(nncc_cli("compile", MLP, "-o", out))
    assert out.read_text() == "not a folder\n"
    assert leftovers(tmp_path, "out") == []


def test_earlier_output_is_replaced(tmp_path):
    out = tmp_path / "out"
    assert nncc_cli("compile", MLP, "-o", out).returncode == 0
    (out / "stale.txt").write_text("from an older run\n")
    proc = nncc_cli("compile", MLP, "-o", out, "--width", "12")
    assert proc.returncode == 0, proc.stderr
    assert not (out / "stale.txt").exists()
    assert layers(out)["/fc1/Gemm"]["type"].startswith("q<12,")
    assert leftovers(tmp_path, "out") == []
    fresh = tmp_path / "fresh"
    assert nncc_cli("compile", MLP, "-o", fresh, "--width", "12").returncode == 0
    assert tree(fresh) == tree(out)


# ---------------------------------------------------------------------------------------
# config files

LAYER = "/fc2/Gemm"  # a real node name of mlp.onnx
TOML_CONFIG = f"""
[layers."{LAYER}"]
width = 10
int_bits = 5

[op_types.dense]
weight_width = 8
"""
YAML_CONFIG = f"""
layers:
  "{LAYER}":
    width: 10
    int_bits: 5
op_types:
  dense:
    weight_width: 8
"""


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    """mlp compiled with the TOML config, with the YAML config, and with none."""
    root = tmp_path_factory.mktemp("configured")
    (root / "c.toml").write_text(TOML_CONFIG)
    (root / "c.yaml").write_text(YAML_CONFIG)
    for out, extra in (("toml", ["--config", root / "c.toml"]), ("yaml", ["--config", root / "c.yaml"]), ("plain", [])):
        proc = nncc_cli("compile", MLP, "-o", root / out, *extra)
        assert proc.returncode == 0, proc.stderr
    return root


def test_layer_override_changes_that_layer_only(configured):
    plain, toml = layers(configured / "plain"), layers(configured / "toml")
    assert plain[LAYER]["type"] != "q<10,5>"
    assert toml[LAYER]["type"] == "q<10,5>"
    for name in ("/fc1/Gemm", "/fc3/Gemm", "/fc4/Gemm"):
        assert toml[name]["type"].startswith("q<16,")
    design = (configured / "toml" / "design.mlir").read_text()
    casts = [line for line in design.splitlines() if "fixed.cast" in line and f'nncc.layer = "{LAYER}"' in line]
    assert len(casts) == 1 and casts[0].rstrip().split("->")[-1].strip().startswith("tensor<1x32x!fixed.q<10, 5>>")
    assert "q<10, 5>" not in (configured / "plain" / "design.mlir").read_text()
    assert "ap_fixed<10, 5, AP_RND, AP_SAT>" in (configured / "toml" / "hls_cpp" / "nncc_top.h").read_text()


def test_op_type_override_changes_weight_types(configured):
    plain, toml = layers(configured / "plain"), layers(configured / "toml")
    dense = [name for name, entry in toml.items() if "weight_type" in entry]
    assert sorted(dense) == ["/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm", "/fc4/Gemm"]
    for name in dense:
        assert plain[name]["weight_type"].startswith("q<16,")
        assert toml[name]["weight_type"].startswith("q<8,")
    design = (configured / "toml" / "design.mlir").read_text()
    assert re.search(r"tensor<32x64xi8>.*!fixed\.q<8, -?\d+>", design)


def test_yaml_config_equals_toml_config(configured):
    assert tree(configured / "yaml") == tree(configured / "toml")


BAD_CONFIG = """
[model]
widht = 16
width = 99
rounding = "up"

[activations]
mode = "cubic"

[layers."/fc1/Gemm"]
int_bits = "five"
colour = 3

[extra]
x = 1
"""


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_bad_config_keys_and_values_reported_at_once(tmp_path, suffix):
    config = tmp_path / f"bad{suffix}"
    if suffix == ".toml":
        config.write_text(BAD_CONFIG)
    else:
        config.write_text(
            "model: {widht: 16, width: 99, rounding: up}\nactivations: {mode: cubic}\n"
            'layers: {"/fc1/Gemm": {int_bits: five, colour: 3}}\nextra: {x: 1}\n'
        )
    errors = assert_user_error(nncc_cli("compile", MLP, "-o", tmp_path / "out", "--config", config))
    text = "\n".join(errors)
    for needle in ("'widht'", "width must be an integer in [2, 32], got 99", "rounding must be one of",
                   "mode must be one of", "int_bits must be an integer", "'colour'", "[extra]"):
        assert needle in text, f"{needle!r} not reported in:\n{text}"
    assert len(errors) == 7
    assert not (tmp_path / "out").exists() and leftovers(tmp_path, "out") == []


def test_unknown_layer_and_op_type_reported_at_once(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[layers."/nope/Gemm"]\nwidth = 10\n[layers."/also/missing"]\nwidth = 9\n[op_types.denser]\nweight_width = 8\n')
    errors = assert_user_error(nncc_cli("compile", MLP, "-o", tmp_path / "out", "--config", config))
    text = "\n".join(errors)
    assert "'/nope/Gemm'" in text and "'/also/missing'" in text and "'denser'" in text
    assert len(errors) == 3
    assert not (tmp_path / "out").exists()


def test_all_config_problems_reported_at_once(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[model]\nwidht = 16\n[layers."/nope/Gemm"]\nwidth = 10\n')
    errors = assert_user_error(nncc_cli("compile", MLP, "-o", tmp_path / "out", "--config", config))
    text = "\n".join(errors)
    assert "'widht'" in text and "'/nope/Gemm'" in text


def test_bad_hls_top_is_reported_without_traceback(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[hls]\ntop = "a\\"; system(1); //"\n')
    errors = assert_user_error(nncc_cli("compile", MLP, "-o", tmp_path / "out", "--config", config))
    assert any("top" in e for e in errors)
    assert not (tmp_path / "out").exists() and leftovers(tmp_path, "out") == []


# ---------------------------------------------------------------------------------------
# calibration and the report


def test_calibration_file_is_used_without_warning(tmp_path):
    calib = write_npy(tmp_path / "calib.npy", (200, 16), seed=3)
    proc = nncc_cli("compile", MLP, "-o", tmp_path / "out", "--calibration", calib)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    assert report(tmp_path / "out")["calibration"] == {"source": "calib.npy", "samples": 200}
    # The testbench data are the first calibration samples.
    first = (tmp_path / "out" / "hls_cpp" / "tb_data" / "inputs.txt").read_text().split()
    assert int(first[0]) == 64
    assert float(first[1]) == float(np.load(calib)[0, 0])


def test_python_api_takes_calibration_arrays(tmp_path):
    """`nncc.compile(calibration=...)` takes the array itself (or a dict by input name): the
    same design as from the file; a wrong shape is the same user error."""
    import nncc
    from nncc.compiler.diagnostics import NnccError

    calib = write_npy(tmp_path / "calib.npy", (200, 16), seed=3)
    x = np.load(calib)
    from_file = nncc.compile(MLP, tmp_path / "file", calibration=calib, target="hls-cpp")
    for name, given in (("array", x), ("dict", {"input": x})):
        design = nncc.compile(MLP, tmp_path / name, calibration=given, target="hls-cpp")
        assert design.report["calibration"] == {"source": "arrays given to compile()", "samples": 200}
        assert (tmp_path / name / "design.mlir").read_text() == (tmp_path / "file" / "design.mlir").read_text()
    with pytest.raises(NnccError, match="calibration"):
        nncc.compile(MLP, tmp_path / "bad", calibration=x[:, :7], target="hls-cpp")
    assert not (tmp_path / "bad").exists()


def test_default_calibration_warns(tmp_path):
    proc = nncc_cli("compile", MLP, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert NOISE_WARNING in proc.stderr
    cal = report(tmp_path / "out")["calibration"]
    assert cal["source"].startswith("N(0,1)") and cal["samples"] == 1000


def test_report_has_types_errors_and_saturation(configured):
    rep = report(configured / "plain")
    assert rep["model"] == "mlp.onnx" and rep["target"] == "all"
    entries = rep["layers"]
    names = [e["name"] for e in entries]
    assert names[0] == "input" and {"/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm", "/fc4/Gemm", "/Softmax"} <= set(names)
    for entry in entries:
        assert TYPE_RE.fullmatch(entry["type"]), entry
        assert 0 <= entry["mean_abs_error"] <= entry["max_abs_error"], entry
        assert entry["saturated"] == 0, entry  # calibrated ranges plus a margin bit
    for name in ("/fc1/Gemm", "/fc4/Gemm"):
        by = {e["name"]: e for e in entries}
        assert TYPE_RE.fullmatch(by[name]["weight_type"]) and TYPE_RE.fullmatch(by[name]["accumulator_type"])
    out = rep["outputs"]["output"]
    assert 0 <= out["mean_abs_error"] <= out["max_abs_error"] < 0.05
    assert out["argmax_agreement"] >= 0.99


def test_report_counts_saturation(tmp_path):
    """Too few integer bits for /fc1/Gemm (calibrated range is several units): it saturates,
    and the report says how often, with the error that causes."""
    config = tmp_path / "c.toml"
    config.write_text('[layers."/fc1/Gemm"]\nint_bits = 1\n')
    proc = nncc_cli("compile", MLP, "-o", tmp_path / "out", "--config", config)
    assert proc.returncode == 0, proc.stderr
    by = layers(tmp_path / "out")
    fc1 = by["/fc1/Gemm"]
    assert fc1["type"] == "q<16,1>"
    assert fc1["saturated"] > 0
    assert fc1["max_abs_error"] > 1.0
    assert by["input"]["saturated"] == 0


# ---------------------------------------------------------------------------------------
# simulate and verify


@needs_gxx
def test_simulate_engines(tmp_path, configured):
    x = write_npy(tmp_path / "x.npy", (37, 16), seed=11)
    design = configured / "plain"
    ys = {}
    for engine in ("float", "fixed", "csim"):
        out = tmp_path / f"y_{engine}.npy"
        proc = nncc_cli("simulate", design, "--input", x, "--engine", engine, "-o", out)
        assert proc.returncode == 0, proc.stderr
        ys[engine] = np.load(out)
        assert ys[engine].shape == (37, 5)
    proc = nncc_cli("run", MLP, "--input", x, "-o", tmp_path / "y_run.npy")
    assert proc.returncode == 0, proc.stderr
    assert np.array_equal(ys["float"], np.load(tmp_path / "y_run.npy"))
    assert np.array_equal(ys["fixed"], ys["csim"])
    assert np.abs(ys["fixed"] - ys["float"]).max() < 0.05
    assert_user_error(nncc_cli("simulate", design, "--input", x, "--engine", "gpu"))
    assert_user_error(nncc_cli("simulate", tmp_path, "--input", x))  # not a design folder


def corrupt_first_weight(text: str, layer: str) -> str:
    """Move the first raw value of ``layer``'s int16 weight array far away (still a valid int16),
    in every form the C++ holds it: the integer list (synthesis) and, where present, the base64
    text that C-simulation decodes at start-up."""
    name = re.search(rf"int16_t (w\d+_{layer}_raw)\[", text).group(1)

    def moved(value: int) -> int:
        return value - 20000 if value > 0 else value + 20000

    count = 0
    listed = re.compile(rf"(const int16_t {name}\[\d+\] = \{{\s*)(-?\d+)")
    text, n = listed.subn(lambda m: m.group(1) + str(moved(int(m.group(2)))), text, count=1)
    count += n
    blob = re.compile(rf'(decode_base64\(\s*)((?:"[A-Za-z0-9+/=]*"\s*)+)(,\s*{name}\s*,)')

    def rewrite(m: re.Match) -> str:
        raw = np.frombuffer(base64.b64decode("".join(re.findall(r'"([^"]*)"', m.group(2)))), "<i2").copy()
        raw[0] = moved(int(raw[0]))
        return f'{m.group(1)}"{base64.b64encode(raw.tobytes()).decode()}"{m.group(3)}'

    uses_blob = "decode_base64(" in text
    text, n = blob.subn(rewrite, text, count=1)
    assert n == 1 or not uses_blob, f"base64 form of {name} not found"
    count += n
    assert count >= 1, f"weight array {name} not found in the generated C++"
    return text


@needs_gxx
def test_verify_passes_then_names_the_corrupted_layer(tmp_path):
    out = tmp_path / "out"
    assert nncc_cli("compile", MLP, "-o", out).returncode == 0
    proc = nncc_cli("verify", out, "--samples", "300", "--no-rtl")
    assert proc.returncode == 0, proc.stderr
    assert "0 differing" in proc.stdout

    cpp = out / "hls_cpp" / "nncc_top.cpp"
    text = cpp.read_text()
    corrupted = corrupt_first_weight(text, "fc2_Gemm")
    assert corrupted != text
    cpp.write_text(corrupted)

    proc = nncc_cli("verify", out, "--samples", "300", "--no-rtl")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "fixed != csim" in proc.stderr
    divergence = [line for line in proc.stderr.splitlines() if line.startswith("first divergence at layer")]
    assert len(divergence) == 1, proc.stderr
    # The first layer that reads the weight; earlier layers still match.
    assert "fc2" in divergence[0] and "fc1" not in divergence[0]


# ---------------------------------------------------------------------------------------
# hostile names

HOSTILE = '"; system("x"); // */ /* \n#include "pwned.h"\n $env(HOME) [exec rm -rf /] \\'
# Fragments of the hostile name that must not survive (sanitized identifiers such as
# `w1_gemm1_system_x_include_pwned_h` are harmless).
FORBIDDEN = ('system("x")', '"; system', "*/", "/*", "pwned.h", "$env(HOME)", "[exec", "rm -rf")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    keys = ("x", "h", "r", "y", "w1", "b1", "w2", "b2", "gemm1", "relu", "gemm2", "graph")
    names = {k: f"{k}{HOSTILE}{i}" for i, k in enumerate(keys)}
    model = gemm_relu_gemm(names, root / "hostile.onnx")
    proc = nncc_cli("compile", model, "-o", root / "out")
    assert proc.returncode == 0, proc.stderr
    return root / "out", names, proc


def test_hostile_names_do_not_reach_generated_code(hostile):
    out, names, _ = hostile
    files = sorted((out / "hls_cpp").glob("*.cpp")) + sorted((out / "hls_cpp").glob("*.h")) + [out / "hls_cpp" / "build.tcl"]
    assert {p.name for p in files} >= {"nncc_top.cpp", "nncc_top.h", "tb.cpp", "build.tcl"}
    for path in files:
        text = path.read_text()
        for bad in FORBIDDEN:
            assert bad not in text, f"{bad!r} in {path.name}"
        includes = {line.strip() for line in text.splitlines() if "#include" in line}
        assert all(re.fullmatch(r'#include [<"][\w.]+[>"]', line) for line in includes), includes
    # The names survive, exactly, where they are data: the report and the IR locations.
    by = layers(out)
    assert {names["gemm1"], names["gemm2"]} <= set(by)


@needs_gxx
def test_hostile_names_csim_equals_fixed(hostile, tmp_path):
    out, _, _ = hostile
    design = nncc.load(out)
    x = np.random.default_rng(4).standard_normal((500, 4)).astype(np.float32)
    fixed, csim = design.predict(x, "fixed"), design.predict(x, "csim")
    assert fixed.shape == (500, 3)
    assert np.array_equal(fixed, csim)
    assert design.first_mismatch(x[:50]) is None
    proc = nncc_cli("verify", out, "--samples", "200", "--no-rtl")
    assert proc.returncode == 0, proc.stderr


def test_hostile_output_name_is_escaped_in_compile_summary(hostile):
    _, _, proc = hostile
    assert not any(line.startswith("#include") for line in proc.stdout.splitlines()), proc.stdout


def test_input_layer_keeps_its_onnx_name(tmp_path):
    names = {k: k for k in ("h", "r", "w1", "b1", "w2", "b2", "gemm1", "relu", "gemm2")}
    names.update(x="input.1", y="output")  # "input.1" is what torch.onnx.export often names inputs
    model = gemm_relu_gemm(names, tmp_path / "m.onnx")
    design = nncc.compile(model, tmp_path / "out")
    by = {e["name"]: e for e in design.report["layers"]}
    assert "input.1" in by and "max_abs_error" in by["input.1"]
    trace = design.trace(np.ones((2, 4), np.float32))
    assert {"float", "fixed"} <= set(trace["input.1"])


# ---------------------------------------------------------------------------------------
# Python API


@needs_gxx
def test_python_api(tmp_path):
    calib = write_npy(tmp_path / "calib.npy", (300, 16), seed=8)
    design = nncc.compile(MLP, tmp_path / "out", calibration=calib, width=16, mode="lut")
    assert isinstance(design, nncc.Design)
    assert design.folder == tmp_path / "out" and design.top == "nncc_top"
    assert design.report["calibration"]["source"] == "calib.npy"

    x = np.random.default_rng(9).standard_normal((64, 16)).astype(np.float32)
    y = {engine: design.predict(x, engine=engine) for engine in ("float", "fixed", "csim")}
    for value in y.values():
        assert value.shape == (64, 5)
    sess = ort.InferenceSession(str(MLP), providers=["CPUExecutionProvider"])
    (ref,) = sess.run(None, {"input": x})
    assert np.abs(y["float"] - ref).max() <= 1e-5
    assert np.array_equal(y["fixed"], y["csim"])
    assert np.abs(y["fixed"] - ref).max() < 0.05
    assert set(design.run(x, "fixed")) == {"output"}

    trace = design.trace(x)
    for name in ("input", "/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm", "/fc4/Gemm", "/Softmax"):
        assert {"float", "fixed"} <= set(trace[name]), name
        f, q = trace[name]["float"], trace[name]["fixed"]
        assert f.shape == q.shape and f.shape[0] == 64
        assert np.abs(f - q).max() <= 0.01 * max(1.0, np.abs(f).max()), name
    assert design.first_mismatch(x) is None

    loaded = nncc.load(tmp_path / "out")
    assert loaded.report == design.report
    assert np.array_equal(loaded.predict(x, "csim"), y["csim"])

    with pytest.raises(NnccError, match="unknown engine"):
        design.predict(x, engine="gpu")
    with pytest.raises(NnccError):
        nncc.load(tmp_path)  # not a design folder
    with pytest.raises(NnccError, match="unknown compile options"):
        nncc.compile(MLP, tmp_path / "other", colour=3)
    assert not (tmp_path / "other").exists()
    with pytest.raises(NnccError):
        design.predict(np.zeros((2, 7), np.float32), engine="fixed")


def test_python_api_temporary_folder_and_config(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(TOML_CONFIG)
    design = nncc.compile(MLP, config=config)
    assert design.folder.is_dir() and (design.folder / "report.json").is_file()
    assert {e["name"]: e for e in design.report["layers"]}[LAYER]["type"] == "q<10,5>"
    shutil.rmtree(design.folder.parent)
