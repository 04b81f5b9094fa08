"""`nncc-opt`: xDSL's optimizer driver with every nncc dialect and pass (and plugins).

Dialects, passes and targets come from all installed `xdsl.universe` entry points,
nncc's own included; a name defined twice is an error. Usage mirrors `mlir-opt`:
`nncc-opt in.mlir -p 'nn-fold-batchnorm,canonicalize'`. Named pipelines (`nncc.compiler.pipelines`,
plugins' too) are accepted wherever a pass fits, with their options:
`nncc-opt in.mlir -p 'nn-to-fixed{width=8},fixed-to-dataflow'`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from xdsl.utils.exceptions import DiagnosticException, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from nncc.compiler.context import nncc_dialect_factories
from nncc.compiler.diagnostics import NnccError
from nncc.compiler.pipelines import expand_pipelines
from nncc.passes import get_all_passes


class NnccOptMain(xDSLOptMain):
    """xDSLOptMain with nncc's dialects and passes guaranteed present."""

    version_format = "nncc-opt (xdsl {xdsl_version})"

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        for name, factory in nncc_dialect_factories().items():
            if name not in self.ctx.registered_dialect_names:
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        for name, factory in get_all_passes().items():
            self.available_passes.setdefault(name, factory)

    def setup_pipeline(self) -> None:
        if self.args.passes:
            self.args.passes = expand_pipelines(self.args.passes)
        super().setup_pipeline()


def main(args: Sequence[str] | None = None) -> int:
    """Entry point of the `nncc-opt` console script: errors as one message, status 1."""
    try:
        NnccOptMain(description="nncc modular optimizer driver", args=args).run()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except (ParseError, DiagnosticException) as err:
        print(f"nncc-opt: {err}", file=sys.stderr)
        for note in getattr(err, "__notes__", []):
            print(note, file=sys.stderr)
        return 1
    except NnccError as err:
        print(f"nncc-opt: error: {err}", file=sys.stderr)
        return 1
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(f"nncc-opt: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
