"""`python -m nncc.tools.gen_ops_table [README.md] [--check]`: write the supported-operators
table, generated from the importer registry (`nncc.compiler.onnx.support.render_table`),
into README.md between its marker comments; with ``--check``, only report (exit 1) when
the README's table differs from the registry.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nncc.compiler.onnx.support import readme_table, render_table, splice_readme

DEFAULT_README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    """Update (or ``--check``) the README's supported-operators table."""
    parser = argparse.ArgumentParser(prog="python -m nncc.tools.gen_ops_table", description=__doc__.splitlines()[0])
    parser.add_argument("readme", nargs="?", default=str(DEFAULT_README), help="README.md to update")
    parser.add_argument("--check", action="store_true", help="only check that the table is up to date")
    args = parser.parse_args(argv)
    path = Path(args.readme)
    text = path.read_text(encoding="utf-8")
    table = render_table()
    try:
        current = readme_table(text)
    except ValueError as err:
        print(f"error: {path}: {err}", file=sys.stderr)
        return 1
    if current == table:
        return 0
    if args.check:
        print(
            f"error: {path}: the supported-operators table is out of date; run python -m nncc.tools.gen_ops_table",
            file=sys.stderr,
        )
        return 1
    path.write_text(splice_readme(text, table), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
