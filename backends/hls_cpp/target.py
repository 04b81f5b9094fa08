"""`-t hls-cpp`: the HLS C++ back end as an xDSL output target (nncc-opt, xdsl-opt)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from nncc.backends.hls_cpp.emitter import SUPPORT_HEADERS, emit_project


@dataclass(frozen=True)
class HlsCppTarget(Target):
    """Print the emitted project of a prepared module: every file, each after a
    `// ----- <file name>` line (`files=design` prints only the header and the design)."""

    name = "hls-cpp"

    files: str = "design"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        project = emit_project(module)
        names = sorted(project)
        if self.files == "design":
            names = [n for n in names if n.endswith((".h", ".cpp")) and n not in SUPPORT_HEADERS and n != "tb.cpp"]
        elif self.files != "all":
            raise ValueError(f"hls-cpp: files must be 'design' or 'all', got '{self.files}'")
        for name in names:
            output.write(f"// ----- {name}\n")
            output.write(project[name])
