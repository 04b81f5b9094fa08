"""The README's supported-operators table is generated from the importer registry."""

from __future__ import annotations

from pathlib import Path

from nncc.compiler.onnx import ops as onnx_ops
from nncc.compiler.onnx import quant as onnx_quant
from nncc.compiler.onnx.support import (
    BEGIN_MARKER,
    END_MARKER,
    OpSupport,
    readme_table,
    registry,
    render_table,
    splice_readme,
    support,
    support_of,
)
from nncc.tools import gen_ops_table

ROOT = Path(__file__).resolve().parents[2]


def test_readme_table_equals_the_registry():
    assert readme_table((ROOT / "README.md").read_text(encoding="utf-8")) == render_table(), (
        "README.md's supported-operators table is stale: run python -m nncc.tools.gen_ops_table"
    )


def test_registry_holds_every_importer():
    keys = set(registry())
    assert set(onnx_ops.IMPORTERS) <= keys and set(onnx_quant.QUANT_IMPORTERS) <= keys
    for key, fn in registry().items():
        assert onnx_ops.importer_for(key) is not None, key
        assert callable(fn)


def test_every_row_states_its_hardware_support():
    # the importers of this module state their rows; an entry without one shows "?"
    for key in list(onnx_ops.IMPORTERS) + list(onnx_quant.QUANT_IMPORTERS):
        row = support_of(registry()[key])
        assert row.becomes and row.hardware in (True, False), key
    table = render_table()
    assert "| Gemm | `nn.dense` | yes | constant B (transB 0/1)" in table
    assert "| QONNX Quant | `nn.fake_quant`, `nn.fake_quant_axis`, `nn.sign` (1 bit) | yes |" in table


def test_row_of_an_unannotated_importer_falls_back_to_its_docstring():
    def import_thing(ctx):
        """Thing: does things.

        More text."""

    assert support_of(import_thing) == OpSupport("", None, "Thing: does things.")
    annotated = support("nn.thing", hardware=False, notes="a | b")(import_thing)
    assert support_of(annotated) == OpSupport("nn.thing", False, "a | b")


def test_generator_updates_and_checks_a_readme(tmp_path):
    readme = tmp_path / "README.md"
    stale = f"# x\n\n{BEGIN_MARKER}\n| old |\n{END_MARKER}\n\nafter\n"
    readme.write_text(stale)
    assert gen_ops_table.main([str(readme), "--check"]) == 1
    assert readme.read_text() == stale
    assert gen_ops_table.main([str(readme)]) == 0
    text = readme.read_text()
    assert readme_table(text) == render_table() and text.endswith("<!-- END supported-ops -->\n\nafter\n")
    assert gen_ops_table.main([str(readme), "--check"]) == 0
    assert splice_readme(text, render_table()) == text
