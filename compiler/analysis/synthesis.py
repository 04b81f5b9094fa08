"""`nncc report`: the resource and timing tables of a design: the analytic estimate
(nncc.compiler.analysis.estimate, from design.mlir, no synthesis) and, with `--synth`, Yosys synthesis
of its Verilog, both per layer (Verilog modules grouped by the layer they belong to, in layer
order) and in total, side by side with their ratio; recorded in report.json."""

from __future__ import annotations

import json

from nncc.compiler.diagnostics import NnccError, one_line
from nncc.compiler.flow import write_folder
from nncc.runtime import progress

COLUMNS = ("LUT", "FF", "DSP", "BRAM", "CARRY")
COMPARED = ("LUT", "FF", "DSP", "BRAM")


def design_estimate(design) -> dict:
    """The analytic estimate of a design (see nncc.compiler.analysis.estimate, and
    estimate_stream for io = stream); NnccError if the design has no Verilog view (the
    estimate prices the Verilog back end's constructs)."""
    from nncc.backends.verilog.emitter import VerilogEmissionError
    from nncc.compiler.analysis.estimate import estimate_module

    try:
        return estimate_module(design.design)
    except VerilogEmissionError as err:
        raise NnccError(f"{design.folder}: no resource estimate: {err}") from None


def group_by_layer(result: dict, top: str, layer_of: dict[str, str]) -> tuple[dict, dict]:
    """Yosys counts (synth.synthesize's result) -> per Verilog module ({name: {layer, counts}},
    by emit.name) and per layer (the modules of a layer added up, in layer order, the top
    module's own logic last)."""
    from nncc.compiler.analysis.estimate import TOP_GROUP

    prefix = f"{top}__"
    modules = {}
    for name, info in result["modules"].items():
        if name.startswith(prefix):  # a layer module (library modules are inside them)
            short = name[len(prefix):]
            modules[short] = {"layer": layer_of.get(short, short), **{k: info["total"].get(k, 0) for k in COLUMNS}}
    order = {name: i for i, name in enumerate(layer_of)}
    modules = dict(sorted(modules.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
    modules[TOP_GROUP] = {"layer": TOP_GROUP, **{k: result["modules"][top]["self"].get(k, 0) for k in COLUMNS}}
    layers: dict[str, dict] = {}
    for counts in modules.values():
        group = layers.setdefault(counts["layer"], dict.fromkeys(COLUMNS, 0))
        for k in COLUMNS:
            group[k] += counts[k]
    return modules, layers


def synthesize_design(design, *, family: str = "xc7") -> dict:
    """Run `synth_xilinx` on the design's Verilog; store the counts per Verilog module and
    per layer in report.json, with the estimate and their ratio (when the design has an
    estimate: io = stream designs have none yet)."""
    from nncc.compiler.analysis.estimate import module_layers
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
    modules, layers = group_by_layer(result, design.top, module_layers(design.design))
    measured = {"total": {k: result["total"].get(k, 0) for k in COLUMNS}, "layers": layers}
    # report.json is written with sorted keys: layers are lists (in layer order), not objects
    design.report["synthesis"] = {
        "tool": f"yosys {result.get('yosys', '')} synth_xilinx -family {family}".strip(),
        "family": family,
        "total": measured["total"],
        "layers": as_rows(layers),
        "modules": modules,
        "seconds": round(float(result.get("seconds", 0.0)), 2),
    }
    estimate = None
    if family == "xc7":  # the estimate is calibrated for 7-series
        try:
            estimate = design_estimate(design)
        except NnccError:  # no estimate of this design (no Verilog view): the measurement alone
            design.report.pop("estimate", None)
            design.report.pop("estimate_vs_synthesis", None)
    if estimate is not None:
        design.report["estimate"] = {**estimate, "layers": as_rows(estimate["layers"])}
        compared = compare(estimate, measured)
        design.report["estimate_vs_synthesis"] = {"layers": as_rows(compared["layers"]), "total": compared["total"]}
    files_out = {
        str(p.relative_to(design.folder)): p.read_bytes()
        for p in sorted(design.folder.rglob("*")) if p.is_file()
    }
    files_out["report.json"] = (json.dumps(design.report, indent=2, sort_keys=True) + "\n").encode()
    write_folder(design.folder, files_out)
    return design.report["synthesis"]


def as_rows(layers: dict[str, dict]) -> list[dict]:
    """{layer: cells} (in layer order) -> [{"layer": name, **cells}] for report.json."""
    return [{"layer": name, **cells} for name, cells in layers.items()]


def from_rows(layers) -> dict[str, dict]:
    """The inverse of as_rows (a dict, as older reports have, is returned as it is)."""
    if isinstance(layers, dict):
        return layers
    return {row["layer"]: {k: v for k, v in row.items() if k != "layer"} for row in layers}


def ratio(estimated: float, measured: float) -> float | None:
    """estimate / measured (1.0 when both are 0; None when only the measurement is 0)."""
    if measured == 0:
        return 1.0 if estimated == 0 else None
    return round(estimated / measured, 3)


def compare(estimate: dict, synthesis: dict) -> dict:
    """Per layer (the estimate's order) and in total: estimate, measured and their ratio of
    LUT / FF / DSP / BRAM."""
    def row(est: dict, meas: dict) -> dict:
        return {k: {"estimate": est.get(k, 0), "measured": meas.get(k, 0), "ratio": ratio(est.get(k, 0), meas.get(k, 0))}
                for k in COMPARED}

    layers = {name: row(est, synthesis["layers"].get(name, {})) for name, est in estimate["layers"].items()}
    for name, meas in synthesis["layers"].items():
        if name not in layers:
            layers[name] = row({}, meas)
    return {"layers": layers, "total": row(estimate["total"], synthesis["total"])}


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _ratio_text(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def resource_lines(report: dict, estimate: dict | None) -> list[str]:
    """Per-layer resource rows: the estimate alone, Yosys alone, or both with their ratio."""
    synth = report.get("synthesis")
    if synth:
        synth = {**synth, "layers": from_rows(synth["layers"])}
    if estimate is not None:
        estimate = {**estimate, "layers": from_rows(estimate["layers"])}
    if estimate is not None and synth and "modules" in synth and synth.get("family") == "xc7":
        compared = compare(estimate, synth)
        rows = [("layer", *(f"{k} est / yosys (ratio)" for k in COMPARED))]
        for name, cells in [*compared["layers"].items(), ("total", compared["total"])]:
            rows.append((one_line(name)[:40], *(
                f"{cells[k]['estimate']} / {cells[k]['measured']} ({_ratio_text(cells[k]['ratio'])})" for k in COMPARED)))
        return _table(rows) + [f"(estimate: {estimate['model']}; measured: {synth['tool']}, {synth['seconds']} s)"]
    if synth:
        rows = [("layer", *COLUMNS)]
        for name, counts in [*synth["layers"].items(), ("total", synth["total"])]:
            rows.append((one_line(name)[:40], *(str(counts.get(c, 0)) for c in COLUMNS)))
        return _table(rows) + [f"({synth['tool']}, {synth['seconds']} s)"]
    if estimate is not None:
        rows = [("layer", *COMPARED)]
        for name, counts in [*estimate["layers"].items(), ("total", estimate["total"])]:
            rows.append((one_line(name)[:40], *(str(counts.get(c, 0)) for c in COMPARED)))
        return _table(rows) + [f"(estimate: {estimate['model']}; `nncc report DIR --synth` measures with Yosys)"]
    return []


def report_table(report: dict, estimate: dict | None = None) -> str:
    """Terminal tables: layers (type, parallelism, error), the schedule, and resources per
    layer and in total (the estimate, Yosys' counts when synthesis has run, or both)."""
    rows = [("layer", "type", "reuse", "multipliers", "max |err|")]
    for entry in report.get("layers", []):
        rows.append((
            one_line(entry["name"])[:40], entry.get("type", ""), str(entry.get("reuse_factor", "")),
            str(entry.get("multipliers", "")), str(entry.get("max_abs_error", "")),
        ))
    lines = _table(rows)
    schedule = report.get("schedule", {})
    lines.append(f"latency {schedule.get('latency_cycles')} cycles, initiation interval {schedule.get('ii_cycles')} cycles")
    fifos = (report.get("stream") or {}).get("fifos", [])
    if fifos:
        rows = [("stream FIFO", "depth", "width", "bits", "memory", "max occupancy")]
        rows += [(one_line(f["name"])[:40], str(f["depth"]), str(f["width_bits"]), str(f["bits"]), f.get("memory", ""),
                  str(f["max_occupancy"])) for f in fifos]
        rows.append(("total", "", "", str(sum(f["bits"] for f in fifos)), "", ""))
        lines += ["", *_table(rows)]
    resources = resource_lines(report, estimate)
    if resources:
        lines.append("")
        lines.extend(resources)
    return "\n".join(lines)
