"""The one Jinja environment factory of the back ends: strict undefined, no autoescape,
trimmed blocks, templates loaded from the back end's package."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import jinja2


@lru_cache(maxsize=None)
def environment(package: str, filters: tuple[tuple[str, Callable], ...]) -> jinja2.Environment:
    """The environment of one back end (``package`` holds templates/)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(dict(filters))
    return env


def render_with(package: str, filters: Mapping[str, Callable], template: str, **views) -> str:
    """Render ``template`` of ``package`` with frozen views."""
    return environment(package, tuple(sorted(filters.items()))).get_template(template).render(**views)
