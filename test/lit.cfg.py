# lit configuration for nncc's IR-level tests (run through pytest: test/test_lit.py).
import os
import sys

import lit.formats

config.name = "nncc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["lit.cfg.py", "fixtures", "unit", "plugins"]
bin_dir = os.path.dirname(sys.executable)  # the venv's bin: nncc, nncc-opt, filecheck
config.environment["PATH"] = os.pathsep.join([bin_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%fixtures", os.path.join(config.test_source_root, "fixtures")))
config.substitutions.append(
    (
        "NNCC_ROUNDTRIP",
        "nncc-opt %s --split-input-file --print-op-generic | nncc-opt --split-input-file | filecheck %s",
    )
)
