"""C-simulation: build an emitted HLS C++ project with g++ into a shared library once
(cached by the hash of its sources and flags) and run whole batches through its C ABI
(`nncc_run_batch`: blocks of samples layer by layer, dense layers on the exact vectorized
kernel of nncc_csim.h; `extra_flags=["-DNNCC_REFERENCE_TOP"]` runs every sample through the
synthesizable top function instead, with the same results bit for bit)."""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from nncc.runtime.cache import cache_root

CXXFLAGS = ("-std=c++17", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra")


class CsimError(Exception):
    """The C++ project does not compile or cannot be run."""


def cache_dir() -> Path:
    """Where built libraries are kept ($NNCC_CACHE_DIR, else ~/.cache/nncc/csim)."""
    return cache_root() / "csim"


def _sources(project: Path) -> list[Path]:
    return sorted(p for p in project.iterdir() if p.suffix in (".cpp", ".h") and p.name != "tb.cpp")


def build(project: str | os.PathLike, *, extra_flags: Sequence[str] = (), include_dirs: Sequence[str] = ()) -> Path:
    """Compile the design in ``project`` (everything but tb.cpp) into a cached shared library."""
    project = Path(project)
    sources = _sources(project)
    if not any(p.suffix == ".cpp" for p in sources):
        raise CsimError(f"{project}: no C++ design found")
    compiler = shutil.which(os.environ.get("CXX", "g++"))
    if compiler is None:
        raise CsimError("no C++ compiler found (install g++ or set CXX)")
    flags = list(CXXFLAGS) + list(extra_flags) + [f"-I{d}" for d in include_dirs] + [f"-I{project}"]
    digest = hashlib.sha256()
    digest.update(" ".join([compiler] + flags).encode())
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for d in include_dirs:
        for header in sorted(Path(d).glob("*.h")):
            digest.update(header.read_bytes())
    target = cache_dir() / f"{digest.hexdigest()[:24]}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        out = Path(tmp) / target.name
        _compile([compiler, *flags], [p for p in sources if p.suffix == ".cpp"], Path(tmp), out, project)
        os.replace(out, target)
    return target


PARTS = ("1", "2")
"""A generated top file guarded by ``NNCC_PART`` is compiled once per part, in parallel."""


def _compile(command: list[str], cpp: list[Path], tmp: Path, out: Path, project: Path) -> None:
    """Compile ``cpp`` to object files in parallel (each file split into its ``NNCC_PART``s
    when it has them), then link them into the shared library ``out``."""
    jobs = []
    compile_only = [f for f in command if f != "-shared"]
    for path in cpp:
        parts = PARTS if b"NNCC_PART" in path.read_bytes() else (None,)
        for part in parts:
            obj = tmp / f"{path.stem}.{part or 0}.o"
            define = [f"-DNNCC_PART={part}"] if part else []
            jobs.append(subprocess.Popen([*compile_only, *define, "-c", str(path), "-o", str(obj)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    errors = [job.communicate()[1] for job in jobs]
    failed = [err for job, err in zip(jobs, errors) if job.returncode != 0]
    if failed:
        raise CsimError(f"g++ failed on {project}:\n{failed[0][-4000:]}")
    objects = sorted(str(o) for o in tmp.glob("*.o"))
    proc = subprocess.run([command[0], "-shared", *objects, "-o", str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise CsimError(f"g++ failed to link {project}:\n{proc.stderr[-4000:]}")


class CsimDesign:
    """A built design: ``run({input: array}) -> [output arrays]`` for a whole batch."""

    def __init__(self, library: Path):
        self.library = library
        self._lib = ctypes.CDLL(str(library))
        self._lib.nncc_run_batch.restype = ctypes.c_int
        self._lib.nncc_run_batch.argtypes = [
            ctypes.POINTER(ctypes.POINTER(ctypes.c_double)),
            ctypes.POINTER(ctypes.POINTER(ctypes.c_double)),
            ctypes.c_long,
        ]
        self._lib.nncc_input_size.restype = ctypes.c_long
        self._lib.nncc_output_size.restype = ctypes.c_long
        self.num_inputs = self._lib.nncc_num_inputs()
        self.num_outputs = self._lib.nncc_num_outputs()
        self.input_sizes = [self._lib.nncc_input_size(i) for i in range(self.num_inputs)]
        self.output_sizes = [self._lib.nncc_output_size(i) for i in range(self.num_outputs)]
        self._lib.nncc_layer_name.restype = ctypes.c_char_p
        self._lib.nncc_layer_size.restype = ctypes.c_long
        self._lib.nncc_trace_batch.restype = ctypes.c_int
        self.layer_names = [self._lib.nncc_layer_name(i).decode() for i in range(self._lib.nncc_num_layers())]
        self.layer_sizes = [self._lib.nncc_layer_size(i) for i in range(len(self.layer_names))]

    def _flatten(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], int]:
        if len(inputs) != self.num_inputs:
            raise CsimError(f"the design has {self.num_inputs} inputs, got {len(inputs)}")
        batch = None
        flat = []
        for x, size in zip(inputs, self.input_sizes):
            x = np.ascontiguousarray(np.asarray(x, np.float64).reshape(len(x), -1))
            if x.shape[1] != size:
                raise CsimError(f"input has {x.shape[1]} values per sample, the design expects {size}")
            batch = x.shape[0] if batch is None else batch
            if x.shape[0] != batch:
                raise CsimError("inputs have different batch sizes")
            flat.append(x)
        return flat, batch or 0

    def _call(self, fn, inputs: Sequence[np.ndarray], sizes: Sequence[int]) -> list[np.ndarray]:
        flat, batch = self._flatten(inputs)
        outs = [np.zeros((batch, size), np.float64) for size in sizes]
        ptr = ctypes.POINTER(ctypes.c_double)
        in_ptrs = (ptr * max(1, len(flat)))(*[x.ctypes.data_as(ptr) for x in flat])
        out_ptrs = (ptr * max(1, len(outs)))(*[y.ctypes.data_as(ptr) for y in outs])
        status = fn(in_ptrs, out_ptrs, batch)
        if status != 0:
            raise CsimError(f"the design returned status {status}")
        return outs

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run batch-first inputs (in port order); outputs are float64 [batch, size]."""
        return self._call(self._lib.nncc_run_batch, inputs, self.output_sizes)

    def trace(self, inputs: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """Every layer's values ([batch, size] float64), keyed by the layer's C name."""
        outs = self._call(self._lib.nncc_trace_batch, inputs, self.layer_sizes)
        return dict(zip(self.layer_names, outs))


def load(project: str | os.PathLike, **build_options) -> CsimDesign:
    """Build (or reuse) and load the design in ``project``."""
    return CsimDesign(build(project, **build_options))


def run_named(design: CsimDesign, inputs: Mapping[str, np.ndarray], in_names, out_names, out_shapes):
    """Run with inputs/outputs keyed by graph name; outputs reshaped to batch + shape."""
    outs = design.run([inputs[n] for n in in_names])
    return {n: y.reshape((y.shape[0],) + tuple(s[1:])) for n, y, s in zip(out_names, outs, out_shapes)}
