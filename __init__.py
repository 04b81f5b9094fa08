"""nncc: an ONNX to FPGA/ASIC inference-hardware compiler built on xDSL.

The package is laid out by compiler layer: ``nncc.compiler`` (importer, pipelines,
Python API), ``nncc.dialects`` (IR), ``nncc.passes`` (transformations),
``nncc.backends`` (emitters), ``nncc.runtime`` (reference interpreter and simulators)
and ``nncc.tools`` (command-line entry points).
"""

__version__ = "0.1.0"
