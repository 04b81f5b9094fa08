"""The folder nncc keeps its caches in: ``$NNCC_CACHE_DIR``, else ``~/.cache/nncc`` (built
C-simulation libraries, RTL simulators, Yosys results, the progress lines' step times)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$NNCC_CACHE_DIR``, else ``~/.cache/nncc`` (read at every call: tests point it elsewhere)."""
    return Path(os.environ.get("NNCC_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "nncc"))
