"""`-t verilog`: the Verilog back end as an xDSL output target (nncc-opt, xdsl-opt)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from nncc.backends.verilog.emitter import LIBRARY, emit_project


@dataclass(frozen=True)
class VerilogTarget(Target):
    """Print the emitted Verilog of a prepared, tiled module: the design (`files=design`,
    default) or every file (`files=all`), each after a `// ----- <file name>` line."""

    name = "verilog"

    files: str = "design"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        project = emit_project(module)
        if self.files == "design":
            names = [n for n in sorted(project) if n not in (LIBRARY, "tb.v")]
        elif self.files == "all":
            names = sorted(project)
        else:
            raise ValueError(f"verilog: files must be 'design' or 'all', got '{self.files}'")
        for name in names:
            output.write(f"// ----- {name}\n")
            output.write(project[name])
