"""Recurrent layers in HLS C++, static form (one cell engine reused over the T time steps,
the state in registers): C-simulation equals the fixed-point interpreter bit for bit on
1,000 sequences at reuse factor 1 and above, and the schedule (latency = II = T x the
cell's latency) is in the IR."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import differing_bits, ops_of
from recurrent_support import fixture_path, fixture_steps, sequences

import nncc

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
                          "ii": steps * (reuse + 1)}
    module = {k: v.value.data for k, v in design.design.attributes["dataflow.schedule"].data.items()}
    assert module["ii"] == steps * (reuse + 1)
