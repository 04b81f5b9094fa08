"""pytest configuration of the unit tests: the `*_support.py` helper modules next to the test
files are importable by name (with `--import-mode=importlib` pytest adds no folder to the path)."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
