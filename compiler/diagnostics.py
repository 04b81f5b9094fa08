"""User-facing errors: one exception that carries every problem found at once."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(message: str) -> str:
    """Escape control characters (newlines from hostile node/tensor names, ...)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(message))


class NnccError(Exception):
    """A problem with the user's input (model, options, files), never a compiler bug.

    ``problems`` holds one line per problem; the CLI prints each on its own line and
    exits with status 1, without a traceback.
    """

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [one_line(p) for p in ([problems] if isinstance(problems, str) else problems)]
        if not self.problems:
            self.problems = ["unknown error"]
        super().__init__("\n".join(self.problems))


class ProblemList:
    """Collects problems during a phase and raises them together."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, message: str) -> None:
        """Record one problem (one line)."""
        self.problems.append(message)

    def raise_if_any(self) -> None:
        """Raise an NnccError with every recorded problem, if there is one."""
        if self.problems:
            raise NnccError(self.problems)
