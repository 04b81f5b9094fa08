"""The `xdsl.universe` entry point: nncc's dialects and passes for any xDSL driver.

With nncc installed, stock `xdsl-opt` sees them too; `nncc-opt` loads the same
universe together with every other installed plugin.
"""

from __future__ import annotations

from xdsl.universe import Universe

from nncc.compiler.context import nncc_dialect_factories
from nncc.passes import get_all_passes



def _hls_cpp_target():
    from nncc.backends.hls_cpp.target import HlsCppTarget

    return HlsCppTarget


def _verilog_target():
    from nncc.backends.verilog.target import VerilogTarget

    return VerilogTarget


NNCC_UNIVERSE = Universe(
    all_dialects=nncc_dialect_factories(),
    all_passes=get_all_passes(),
    all_targets={"hls-cpp": _hls_cpp_target, "verilog": _verilog_target},
)
