"""The Jinja environment of the Verilog back end."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from nncc.backends.verilog.filters import FILTERS


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Strict environment loading templates/ from the installed package."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nncc.backends.verilog", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(FILTERS)
    return env


def render(template: str, **views) -> str:
    """Render one template with frozen views."""
    return environment().get_template(template).render(**views)
