"""nncc: an ONNX to FPGA/ASIC inference-hardware compiler built on xDSL.

The package is laid out by compiler layer: ``nncc.compiler`` (importer, pipelines,
Python API), ``nncc.dialects`` (IR), ``nncc.passes`` (transformations),
``nncc.backends`` (emitters), ``nncc.runtime`` (reference interpreters and simulators)
and ``nncc.tools`` (command-line entry points).

``nncc.compile(model, output_dir, ...)`` and ``nncc.load(output_dir)`` return a
``Design`` (see ``nncc.compiler.design``); they are imported on first use so that
``import nncc`` stays cheap.
"""

__version__ = "0.1.0"


def __getattr__(name):
    if name in ("compile", "load", "Design"):
        from nncc.compiler import design

        return getattr(design, name)
    raise AttributeError(f"module 'nncc' has no attribute {name!r}")
