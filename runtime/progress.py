"""Status lines on stderr for the steps a user waits on (g++ and Verilator builds, simulation
of a batch, Yosys, the phases of a compile).

A step announces itself only once it has run for ``DELAY`` seconds, so fast and cached steps
print nothing; the line says how long the last similar step took (steps whose messages differ
only in their numbers are similar; the times are kept in ``$NNCC_CACHE_DIR/step_times.json``,
else ``~/.cache/nncc``); when it ends it prints its time. Countable work shows a bar (redrawn
in place on a terminal, a line at 25 % steps otherwise). Everything goes to stderr, so JSON
or IR on stdout stays clean; ``configure(quiet=True)`` (the CLI's ``-q``) silences it all.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nncc.runtime.cache import cache_root

DELAY = 1.0
"""Seconds a step runs before its status line appears."""

_settings = {"quiet": False}


def configure(*, quiet: bool) -> None:
    """Turn every status line off (``quiet``) or on."""
    _settings["quiet"] = bool(quiet)


def _write(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _tty() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def _times_file() -> Path:
    return cache_root() / "step_times.json"


def step_kind(message: str) -> str:
    """The key under which a step's time is remembered: its message with numbers as ``#``."""
    return re.sub(r"\d+(\.\d+)?", "#", message)


def last_time(message: str) -> float | None:
    """Seconds the last step similar to ``message`` took, if one was recorded."""
    try:
        value = json.loads(_times_file().read_text()).get(step_kind(message))
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def _remember(message: str, seconds: float) -> None:
    """Record a step's time (best effort: an unwritable cache only loses the hint)."""
    path = _times_file()
    try:
        times = json.loads(path.read_text()) if path.is_file() else {}
        times = times if isinstance(times, dict) else {}
        times[step_kind(message)] = round(seconds, 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(times, sort_keys=True))
        os.replace(temporary, path)
    except (OSError, ValueError):
        pass


class _Step:
    def __init__(self, message: str, total: int | None):
        self.message = message
        self.total = total
        self.done = 0
        self.shown = False
        self.last_quarter = -1
        self.start = time.monotonic()
        self.previous = last_time(message)
        self.lock = threading.Lock()
        self.timer = threading.Timer(DELAY, self.show)
        self.timer.daemon = True

    def line(self) -> str:
        hint = f" (last time {self.previous:.1f} s)" if self.previous is not None else ""
        if not self.total:
            return f"{self.message}{hint} ..."
        filled = int(20 * self.done / self.total)
        return f"{self.message}{hint} [{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total}"

    def show(self) -> None:
        with self.lock:
            if self.shown or self.timer is None:
                return
            self.shown = True
            _write(("\r" + self.line()) if _tty() else self.line() + "\n")

    def advance(self, n: int) -> None:
        with self.lock:
            self.done = min(self.total or 0, self.done + n)
            if not self.shown:
                return
            if _tty():
                _write("\r" + self.line())
            elif self.total and 4 * self.done // self.total > self.last_quarter:
                self.last_quarter = 4 * self.done // self.total
                _write(self.line() + "\n")

    def finish(self, ok: bool) -> None:
        with self.lock:
            self.timer.cancel()
            self.timer = None
            if not self.shown:
                return
            seconds = time.monotonic() - self.start
            if ok:
                _remember(self.message, seconds)
            end = f"{self.message}: {'done' if ok else 'stopped'} in {seconds:.1f} s"
            _write(("\r" + end + " " * 30 + "\n") if _tty() else end + "\n")


@contextmanager
def status(message: str) -> Iterator[None]:
    """A step without a count: ``with status("running Yosys"): ...``."""
    with bar(message, None):
        yield


@contextmanager
def bar(message: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A step of ``total`` units; the body calls the yielded function with units done."""
    if _settings["quiet"]:
        yield lambda n: None
        return
    step = _Step(message, total)
    step.timer.start()
    ok = False
    try:
        yield step.advance
        ok = True
    finally:
        step.finish(ok)
