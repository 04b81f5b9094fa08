"""Fuzz `nncc import` and `nncc compile` with mutated ONNX models.

    python bench/fuzz_import.py --cases 10000 --seed 1 > fuzz.json
    python bench/fuzz_import.py --seed 1 --case 4711          # replay one case (prints its stderr)

Each case takes a valid seed model (the bundled test/fixtures/*.onnx and small onnx.helper
models), applies one mutation from ``fuzz_mutations.MUTATIONS`` (chosen by the case's own
rng, so a case is reproducible from (seed, case) alone), writes it to a fresh folder and
runs ``nncc import MODEL -o OUT.mlir`` and, if that succeeds, ``nncc compile MODEL -o DIR
--calibration CAL.npy`` (HLS C++ and Verilog, no g++/Verilator) through the CLI's own
``main(argv)`` in this process. A case is

- ``ok``: both commands succeed; the emitted C++/Verilog must contain no hostile name
  verbatim;
- ``clean_error``: a command exits with status 1 and only ``error: ...`` lines;
- a failure otherwise: "internal error" (an uncaught non-NnccError exception), a Python
  traceback, an exception escaping ``main``, a timeout, a half-written output left behind
  after a failed command, or a hostile name in the emitted code.

One JSON document goes to stdout: cases, per-mutation counts, totals and every failure
with its seed, case number, mutation and first error line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzz_mutations as fm  # noqa: E402
import fuzz_seeds  # noqa: E402

from nncc.tools.nncc import main as nncc_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CODE_SUFFIXES = (".cpp", ".h", ".v", ".sv", ".tcl")
CAL_SAMPLES = 4


class CaseTimeout(BaseException):
    """Raised by SIGALRM; a BaseException so that nncc's `except Exception` does not hide it."""


def seed_models() -> dict[str, bytes]:
    """Name -> serialized valid model: the bundled fixtures and the onnx.helper models."""
    seeds = {p.stem: p.read_bytes() for p in sorted((ROOT / "test" / "fixtures").glob("*.onnx"))}
    for fn in (fuzz_seeds.tiny_mlp, fuzz_seeds.tiny_cnn, fuzz_seeds.tiny_shapes):
        seeds[fn.__name__] = fn().SerializeToString()
    return seeds


def _pick_mutation(rng: random.Random, exclude=()) -> str:
    names = [n for n in fm.MUTATIONS if n not in exclude]
    return rng.choices(names, weights=[fm.MUTATIONS[n][1] for n in names])[0]


def _calibration(data: bytes, rng: random.Random) -> np.ndarray:
    """A tiny calibration batch shaped like the model's first input (if it can be read)."""
    shape = [3]
    with contextlib.suppress(Exception):
        model = onnx.ModelProto.FromString(data)
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        if dims and all(0 < d <= 4096 for d in dims[1:]) and int(np.prod(dims[1:] or [1])) <= 100_000:
            shape = dims[1:]
    gen = np.random.default_rng(rng.randrange(2**32))
    return gen.standard_normal([CAL_SAMPLES, *shape]).astype(np.float32)


COMPILE_OPTIONS = {
    "--width": ["1", "2", "4", "8", "12", "24", "32", "48", "64", "65", "0", "-3"],
    "--weight-width": ["1", "2", "3", "8", "32", "64", "70"],
    "--reuse-factor": ["0", "1", "2", "3", "7", "64", "100000", "-1"],
    "--target-ii": ["1", "4", "1000", "0"],
    "--activation": ["lut", "pwl", "taylor", "cordic"],
    "--table-bits": ["0", "1", "4", "8", "12", "40"],
    "--rounding": ["rnd", "trn", "x"],
    "--overflow": ["sat", "wrap", "x"],
    "--pot": ["1", "2", "4", "8", "0", "-2"],
    "--pot-terms": ["1", "2", "3", "0"],
    "--pot-prune": ["0", "0.5", "0.99", "1.0", "1.5", "nan"],
    "--target": ["all", "hls-cpp", "verilog", "vhdl"],
}
"""Option values a compile may get (half of the cases get one to three of them)."""


def _compile_options(rng: random.Random) -> list[str]:
    if rng.random() < 0.5:
        return []
    argv = []
    for option in rng.sample(sorted(COMPILE_OPTIONS), rng.randint(1, 3)):
        argv += [option, rng.choice(COMPILE_OPTIONS[option])]
    return argv


def _run(argv: list[str], timeout: float) -> tuple[int | None, str, str]:
    """(exit status or None if an exception escaped, stdout, stderr) of nncc main(argv)."""
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _handle_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = nncc_main(argv)
    except CaseTimeout:
        return None, out.getvalue(), err.getvalue() + f"\ntimeout after {timeout} s"
    except BaseException as exc:  # noqa: BLE001 - anything escaping main is a failure
        return None, out.getvalue(), err.getvalue() + f"\nescaped main: {type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return rc, out.getvalue(), err.getvalue()


def _verdict(rc, stderr: str) -> str | None:
    """None if the command succeeded or failed cleanly; otherwise why it is a failure."""
    if rc is None or "Traceback" in stderr or "internal error" in stderr:
        lines = [l for l in stderr.splitlines() if "internal error" in l or "escaped" in l or "timeout" in l]
        return (lines or stderr.strip().splitlines()[-1:] or ["?"])[0][:300]
    if rc not in (0, 1):
        return f"exit status {rc}"
    if rc == 1 and not any(l.startswith("error: ") for l in stderr.splitlines()):
        return "exit status 1 without an error message"
    return None


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def _hostile_in_code(out_dir: Path) -> str | None:
    needles = [n for n in fm.HOSTILE_NAMES if len(n.strip()) >= 4 and not n.isalnum()]
    for path in sorted(out_dir.rglob("*")):
        if path.suffix in CODE_SUFFIXES and path.is_file():
            text = path.read_text(errors="replace")
            for needle in needles:
                if needle in text:
                    return f"hostile name {needle[:40]!r} verbatim in {path.relative_to(out_dir)}"
    return None


def run_case(seed: int, case: int, seeds: dict[str, bytes], work: Path, timeout: float, exclude=()) -> dict:
    """Mutate, import and compile one case; return its record. ``exclude``: mutations not
    to pick (the same case with another ``exclude`` is another case)."""
    rng = random.Random(f"{seed}:{case}")
    base = rng.choice(sorted(seeds))
    mutation = _pick_mutation(rng, exclude)
    folder = work / f"case{case}"
    folder.mkdir()
    try:
        model = onnx.ModelProto.FromString(seeds[base])
        data = fm.MUTATIONS[mutation][0](model, rng, folder)
        (folder / "model.onnx").write_bytes(data)
        np.save(folder / "cal.npy", _calibration(data, rng))
        options = _compile_options(rng)
        keep = {p.name for p in folder.iterdir()}
        record = {"case": case, "base": base, "mutation": mutation, "options": " ".join(options), "outcome": "ok"}
        steps = [("import", ["import", str(folder / "model.onnx"), "-o", str(folder / "out.mlir")], "out.mlir"),
                 ("compile", ["compile", str(folder / "model.onnx"), "-o", str(folder / "out"),
                              "--calibration", str(folder / "cal.npy"), *options], "out")]
        for step, argv, product in steps:
            rc, _, stderr = _run(argv, timeout)
            problem = _verdict(rc, stderr)
            if problem is None and rc == 1 and _leftovers(folder, keep):
                problem = f"left behind after a failed {step}: {_leftovers(folder, keep)}"
            if problem is None and rc == 0 and step == "compile":
                problem = _hostile_in_code(folder / "out")
            if problem is not None:
                return {**record, "outcome": "failure", "step": step, "problem": problem,
                        "stderr_tail": stderr.strip().splitlines()[-3:]}
            if rc == 1:
                first = next(l for l in stderr.splitlines() if l.startswith("error: "))
                return {**record, "outcome": "clean_error", "step": step, "error": first[:200]}
            keep.add(product)
        return record
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fuzz(cases: int, seed: int, *, first: int = 0, timeout: float = 120.0, progress=None, exclude=()) -> dict:
    """Run cases ``first .. first+cases-1`` of ``seed``; return the JSON summary.
    ``exclude`` names mutations to leave out (the test suite leaves out the slow deep graphs)."""
    seeds = seed_models()
    totals, per_mutation = Counter(), defaultdict(Counter)
    failures, errors, steps = [], Counter(), Counter()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nncc-fuzz-") as tmp:
        for case in range(first, first + cases):
            record = run_case(seed, case, seeds, Path(tmp), timeout, exclude)
            totals[record["outcome"]] += 1
            steps[f"{record['outcome']} at {record.get('step', 'compile')}"] += 1
            per_mutation[record["mutation"]][record["outcome"]] += 1
            if record["outcome"] == "failure":
                failures.append({"seed": seed, **record,
                                 "repro": f"python bench/fuzz_import.py --seed {seed} --case {case}"})
                if progress:
                    print(f"FAILURE case {case} ({record['mutation']}): {record['problem']}", file=sys.stderr)
            elif record["outcome"] == "clean_error":
                errors[record["error"][:60]] += 1
            if progress and (case - first + 1) % progress == 0:
                print(f"{case - first + 1}/{cases} {dict(totals)} {time.monotonic() - start:.0f} s", file=sys.stderr)
    return {
        "seed": seed, "first_case": first, "cases": cases, "ok": totals["ok"],
        "clean_error": totals["clean_error"], "failures": totals["failure"],
        "seconds": round(time.monotonic() - start, 1),
        "per_mutation": {m: dict(c) for m, c in sorted(per_mutation.items())},
        "per_step": dict(sorted(steps.items())),
        "frequent_errors": dict(errors.most_common(15)),
        "failure_list": failures,
    }


def _replay(seed: int, case: int, timeout: float) -> int:
    seeds = seed_models()
    with tempfile.TemporaryDirectory(prefix="nncc-fuzz-") as tmp:
        record = run_case(seed, case, seeds, Path(tmp), timeout)
    print(json.dumps(record, indent=2))
    return 1 if record["outcome"] == "failure" else 0


def _handle_alarm(signum, frame):
    raise CaseTimeout()


def main(argv=None) -> int:
    """Command line: run the fuzzer and print the JSON summary (status 1 if any failure)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--first", type=int, default=0, help="number of the first case (to split a run)")
    p.add_argument("--case", type=int, help="replay this one case and print its record")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per command before it is a failure")
    p.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit of this process")
    p.add_argument("--progress", type=int, default=250, help="progress line on stderr every N cases")
    args = p.parse_args(argv)
    limit = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    if args.case is not None:
        return _replay(args.seed, args.case, args.timeout)
    summary = fuzz(args.cases, args.seed, first=args.first, timeout=args.timeout, progress=args.progress)
    print(json.dumps(summary, indent=2))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
