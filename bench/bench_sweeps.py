#!/usr/bin/env python
"""Benchmark: the further cases of the RTL sweeps, the ones the default suite leaves out.

Usage::

    python bench/bench_sweeps.py [-k EXPRESSION] [--cache DIR]

Each RTL or synthesis sweep of the test suite (`test_rtl_bitexact.py`, `test_pot_bitexact.py`,
`test_sparse_bitexact.py`, `test_recurrent_rtl.py`, `test_sparse_cluster.py`,
`test_synth_reuse.py`) keeps its smallest cases in the default suite, which must stay within
its time budget on a 2-core CI machine, and marks the others `sweep` (the bigger cnn designs, a
second reuse factor of an encoding the suite already runs, the second exporter of a recurrent
fixture, Yosys at reuse factors 2 and 8). This script runs exactly those cases with pytest
(`-m sweep`), with the same assertions as the suite: fixed-point interpreter == g++
C-simulation == Verilator bit for bit, measured latency / II == predicted, Yosys DSPs ==
planned multipliers.

Prints ONE JSON document on stdout: per test its outcome and seconds, and the totals;
pytest's own progress goes to stderr. ``--cache`` sets $NNCC_CACHE_DIR (default: a fresh
temporary folder, so every Verilator build is timed cold). Exits non-zero when a case fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cases(report: Path) -> list[dict]:
    """One entry per test case of a JUnit XML report."""
    out = []
    for case in ET.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
        out.append({"test": f"{case.get('classname')}::{case.get('name')}", "outcome": outcome,
                    "seconds": round(float(case.get("time", 0.0)), 2)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", default="", help="only the sweep cases matching this pytest -k expression")
    parser.add_argument("--cache", default="", help="$NNCC_CACHE_DIR for the builds (default: a fresh temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nncc-sweeps-") as tmp:
        report = Path(tmp) / "junit.xml"
        env = dict(os.environ, NNCC_CACHE_DIR=args.cache or str(Path(tmp) / "cache"))
        command = [sys.executable, "-m", "pytest", "-m", "sweep", "-p", "no:cacheprovider", f"--junitxml={report}",
                   "-o", "junit_family=xunit1", "test/unit"]
        if args.k:
            command += ["-k", args.k]
        print("running: " + " ".join(command[2:]), file=sys.stderr, flush=True)
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, env=env, stdout=sys.stderr, check=False)
        seconds = time.perf_counter() - start
        results = cases(report) if report.exists() else []
    counts = {k: sum(r["outcome"] == k for r in results) for k in ("passed", "failed", "error", "skipped")}
    print(json.dumps({"bench": "sweeps", "pytest_exit": proc.returncode, "seconds": round(seconds, 1), **counts,
                      "cases": results}, indent=1))
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
