"""`nncc report`: the resource and timing table of a design, and Yosys synthesis of its
Verilog recorded in report.json (per layer and in total)."""

from __future__ import annotations

import json

from nncc.compiler.diagnostics import NnccError, one_line
from nncc.compiler.flow import write_folder
from nncc.runtime import progress

COLUMNS = ("LUT", "FF", "DSP", "BRAM", "CARRY")


def synthesize_design(design, *, family: str = "xc7") -> dict:
    """Run `synth_xilinx` on the design's Verilog; store the counts in report.json."""
    from nncc.runtime import synth

    if not design.has_verilog:
        raise NnccError(f"{design.folder}: no Verilog project to synthesize")
    folder = design.folder / "verilog"
    files = [folder / f"{design.top}.v", folder / "nncc_lib.v"]
    try:
        with progress.status(f"synthesizing the Verilog with Yosys (synth_xilinx -family {family}; minutes on large designs)"):
            result = synth.synthesize(files, design.top, family=family)
    except synth.SynthError as err:
        raise NnccError(f"synthesis failed: {err}") from None
    prefix = f"{design.top}__"
    layers = {}
    for name, info in sorted(result["modules"].items()):
        if name.startswith(prefix):
            layers[name[len(prefix):]] = {k: info["total"].get(k, 0) for k in COLUMNS}
    design.report["synthesis"] = {
        "tool": f"yosys {result.get('yosys', '')} synth_xilinx -family {family}".strip(),
        "family": family,
        "total": {k: result["total"].get(k, 0) for k in COLUMNS},
        "layers": layers,
        "seconds": round(float(result.get("seconds", 0.0)), 2),
    }
    files_out = {
        str(p.relative_to(design.folder)): p.read_bytes()
        for p in sorted(design.folder.rglob("*")) if p.is_file()
    }
    files_out["report.json"] = (json.dumps(design.report, indent=2, sort_keys=True) + "\n").encode()
    write_folder(design.folder, files_out)
    return design.report["synthesis"]


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def report_table(report: dict) -> str:
    """Terminal tables: layers (type, parallelism, error), the schedule, and resources per
    layer module and in total when synthesis has run."""
    rows = [("layer", "type", "reuse", "multipliers", "max |err|")]
    for entry in report.get("layers", []):
        rows.append((
            one_line(entry["name"])[:40], entry.get("type", ""), str(entry.get("reuse_factor", "")),
            str(entry.get("multipliers", "")), str(entry.get("max_abs_error", "")),
        ))
    lines = _table(rows)
    schedule = report.get("schedule", {})
    lines.append(f"latency {schedule.get('latency_cycles')} cycles, initiation interval {schedule.get('ii_cycles')} cycles")
    synth = report.get("synthesis")
    if synth:
        rows = [("module", *COLUMNS)]
        for name, counts in synth["layers"].items():
            rows.append((name, *(str(counts.get(c, 0)) for c in COLUMNS)))
        rows.append(("total", *(str(synth["total"].get(c, 0)) for c in COLUMNS)))
        lines.append("")
        lines.extend(_table(rows))
        lines.append(f"({synth['tool']}, {synth['seconds']} s)")
    return "\n".join(lines)
