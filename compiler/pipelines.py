"""Named pass pipelines: ``build_<name>(options) -> list[ModulePass]``.

Pipelines are also discoverable from plugins through the ``nncc.pipelines``
entry-point group (name -> builder). ``pipeline_spec`` prints the equivalent
`nncc-opt -p` string so any run can be replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms import get_all_passes as xdsl_passes
from xdsl.utils.exceptions import ArgSpecParseError

from nncc.compiler.diagnostics import NnccError
from nncc.passes import get_all_passes


def build_nn_cleanup(options: Mapping[str, object] | None = None) -> list[ModulePass]:
    """Canonical `nn` form after import: canonicalize, fuse constant adds into biases,
    fold batch norms (again fusing adds that followed them), canonicalize, CSE."""
    from xdsl.transforms.canonicalize import CanonicalizePass
    from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination

    from nncc.passes.nn_fold_batchnorm import NnFoldBatchnormPass
    from nncc.passes.nn_fuse_bias import NnFuseBiasPass

    return [
        CanonicalizePass(),
        NnFuseBiasPass(),
        NnFoldBatchnormPass(),
        NnFuseBiasPass(),
        CanonicalizePass(),
        CommonSubexpressionElimination(),
    ]


BUILTIN_PIPELINES: dict[str, Callable[[Mapping[str, object] | None], list[ModulePass]]] = {
    "nn-cleanup": build_nn_cleanup,
}


def all_pipelines() -> dict[str, Callable]:
    """Built-in pipelines plus those of installed `nncc.pipelines` plugins.

    A plugin pipeline whose name is already taken is an error.
    """
    pipelines = dict(BUILTIN_PIPELINES)
    for ep in entry_points(group="nncc.pipelines"):
        if ep.name in pipelines:
            raise NnccError(f"pipeline '{ep.name}' from plugin '{ep.value}' is already defined")
        pipelines[ep.name] = ep.load()
    return pipelines


def all_pass_factories() -> dict[str, Callable[[], type[ModulePass]]]:
    """Every pass name usable in a `-p` spec: xDSL's, nncc's, and plugins'."""
    from xdsl.universe import Universe

    passes = dict(xdsl_passes())
    passes.update(Universe.get_multiverse().all_passes)
    passes.update(get_all_passes())
    return passes


def pipeline_spec(passes: list[ModulePass]) -> str:
    """The `-p` string equivalent to ``passes``."""
    return ",".join(str(p.spec()) for p in passes)


def parse_pipeline(spec: str) -> list[ModulePass]:
    """Parse a `-p` pass-pipeline string (named pipelines are not expanded here)."""
    try:
        return list(PassPipeline.parse_spec(all_pass_factories(), spec).passes)
    except (Exception, ArgSpecParseError) as err:  # ArgSpecParseError derives from BaseException
        raise NnccError(f"bad pass pipeline '{spec}': {err}") from None


def run_passes(passes: list[ModulePass], module: ModuleOp, ctx: Context) -> None:
    """Apply ``passes`` in order, verifying after each."""
    for p in passes:
        p.apply(ctx, module)
        module.verify()
