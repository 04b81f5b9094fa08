"""Rendering for the verilog back end (the shared environment with its filters)."""

from __future__ import annotations

from nncc.backends.verilog.filters import FILTERS
from nncc.backends.render import render_with


def render(template: str, **views) -> str:
    """Render one template with frozen views."""
    return render_with("nncc.backends.verilog", FILTERS, template, **views)
