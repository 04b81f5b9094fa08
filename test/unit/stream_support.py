"""Shared by the stream-mode tests: the "one beat less" check of FIFO sizing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import IntegerAttr, i64

from nncc.backends.verilog.emitter import emit_project
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.rtl import run_rtl


def assert_one_beat_less_stalls(design, fifos, x: np.ndarray, folder: Path) -> None:
    """For each FIFO of ``fifos`` in turn, the design with that FIFO one beat shallower (the
    others as sized) stalls on ``x``, raises its II or deadlocks (the testbench's cycle limit);
    every depth is restored afterwards."""
    ii = design.report["schedule"]["ii_cycles"]
    for i, fifo in enumerate(fifos):
        depth = fifo.depth.value.data
        assert depth > 1, f"{fifo.attributes.get('emit.name')}: a FIFO of depth {depth} has no beat to take away"
        fifo.depth = IntegerAttr(depth - 1, i64)
        try:
            project = folder / f"fifo{i}"
            project.mkdir(parents=True)
            for name, text in emit_project(design.design).items():
                (project / name).write_text(text)
            try:
                _, stats = run_rtl(design.design, project, x)
            except NnccError as err:  # the testbench's cycle limit: a deadlock
                assert "timed out" in str(err)
                continue
            assert stats["stalls"] > 0 or stats["ii"] > ii, (fifo.attributes, stats)
        finally:
            fifo.depth = IntegerAttr(depth, i64)
