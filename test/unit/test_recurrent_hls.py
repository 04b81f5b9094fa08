"""Recurrent layers in HLS C++, static form (one cell engine reused over the T time steps,
the state in registers): C-simulation equals the fixed-point interpreter bit for bit on
1,000 sequences at reuse factor 1 and above, and the schedule (latency = II = T x the
cell's latency) is in the IR."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from helpers import differing_bits, ops_of
from recurrent_support import fixture_path, fixture_steps, sequences

import nncc
from nncc.compiler.diagnostics import NnccError

SAMPLES = 1000
CASES = [("rnn_lstm_script", 1), ("rnn_lstm_dynamo", 4), ("rnn_gru_dynamo", 1), ("rnn_gru_script", 5),
         ("rnn_bilstm2_dynamo", 2)]

pytestmark = pytest.mark.requires("g++")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, private_cache):
    """(fixture, reuse factor) -> (design, inputs), each compiled once."""
    done = {}

    def get(name: str, reuse: int):
        if (name, reuse) not in done:
            out = tmp_path_factory.mktemp(f"{name}-rf{reuse}") / "design"
            design = nncc.compile(fixture_path(name), out, reuse_factor=reuse)
            done[name, reuse] = design, sequences(SAMPLES, fixture_steps(name), seed=21)
        return done[name, reuse]

    return get


@pytest.mark.parametrize(("name", "reuse"), CASES, ids=[f"{n}-rf{r}" for n, r in CASES])
def test_csim_equals_fixed_interpreter(compiled, name, reuse):
    design, x = compiled(name, reuse)
    fixed, csim = design.predict(x, engine="fixed"), design.predict(x, engine="csim")
    assert fixed.shape == csim.shape == (SAMPLES, 3) and np.unique(fixed).size > 100
    print(f"\n{name} rf {reuse}: {SAMPLES} sequences, {differing_bits(fixed, csim)} differing bits")
    assert np.array_equal(fixed, csim)


@pytest.mark.parametrize(("name", "reuse"), CASES, ids=[f"{n}-rf{r}" for n, r in CASES])
def test_static_schedule_in_the_ir(compiled, name, reuse):
    """Every recurrent layer records T x C cycles (C: its cell's latency, from input slice and
    state to the registered next state: the PEs of its matrix-vector products, each R cycles
    at reuse factor R, plus the state register); the design's II is the slowest layer's."""
    design, _ = compiled(name, reuse)
    scans = ops_of(design.design, "recurrent.scan")
    steps = fixture_steps(name)
    for scan in scans:
        timing = {k: v.value.data for k, v in scan.attributes["dataflow.schedule"].data.items()}
        pes = [op for op in scan.body.block.ops if op.name == "dataflow.pe"]
        assert pes and all(pe.reuse_factor.value.data == reuse for pe in pes)
        # the input and recurrent products run in parallel and feed the gates: C = R + 1
        assert timing == {"steps": steps, "cell_latency": reuse + 1, "latency": steps * (reuse + 1),
                          "ii": steps * (reuse + 1), "non_static": 0, "data_dependent": 0}
    module = {k: v.value.data for k, v in design.design.attributes["dataflow.schedule"].data.items()}
    assert module["ii"] == steps * (reuse + 1)


def test_config_file_reaches_the_recurrent_layer(tmp_path):
    """A `[layers."<LSTM node>"]` table of the config file applies to the recurrent layer:
    its width (the step's types), and its input / recurrent products' own reuse factors (the
    step's two processing elements); the design stays bit-exact in C-simulation. An op-type
    table names it as `recurrent.lstm` (or `lstm`)."""
    path = fixture_path("rnn_lstm_dynamo")
    layer = next(n.name for n in onnx.load(path).graph.node if n.op_type == "LSTM")
    config = tmp_path / "c.toml"
    config.write_text(f'[layers."{layer}"]\nwidth = 12\ninput_reuse_factor = 2\nrecurrent_reuse_factor = 3\n'
                      '[op_types."recurrent.lstm"]\nweight_width = 10\n')
    design = nncc.compile(path, tmp_path / "out", config=config)
    scan = ops_of(design.design, "recurrent.scan")[0]
    pes = [op for op in scan.walk() if op.name == "dataflow.pe"]
    assert sorted(p.reuse_factor.value.data for p in pes) == [2, 3]
    widths = {op.results[0].type.element_type.width.data for op in scan.walk()
              if op.name in ("fixed.activation", "fixed.lut", "fixed.pwl", "fixed.poly")}
    weights = {op.results[0].type.element_type.width.data for op in scan.walk() if op.name == "fixed.constant"
               and len(op.results[0].type.get_shape()) == 2}
    assert widths == {12} and weights == {10}
    assert scan.attributes["dataflow.schedule"].data["cell_latency"].value.data == 3 + 1
    x = sequences(200, fixture_steps("rnn_lstm_dynamo"), seed=5)
    assert np.array_equal(design.predict(x, engine="fixed"), design.predict(x, engine="csim"))


def test_product_reuse_factors_on_other_layers_are_refused(tmp_path):
    """`input_reuse_factor` names a recurrent layer's product: on a dense layer it is a clear
    error before any work."""
    path = fixture_path("rnn_lstm_dynamo")
    head = next(n.name for n in onnx.load(path).graph.node if n.op_type in ("Gemm", "MatMul"))
    with pytest.raises(NnccError, match="only a recurrent layer"):
        nncc.compile(path, tmp_path / "out", layers={head: {"input_reuse_factor": 2}})
    assert not (tmp_path / "out").exists()
