"""The text results' Jinja2 templates (``facecues/results/templates``) and the filters
they share: ``pct`` (71.4%), ``pp`` (+26.6 p.p.), ``points`` (a fraction in p.p., no
sign: 2), ``whole_pct`` (95%), ``thousands`` (4,096). Templates write Markdown as is:
no HTML escaping; whitespace as written, block tags on lines of their own vanish."""

from __future__ import annotations

from functools import cache

import jinja2

from facecues import literature
from facecues.results import estimates
from facecues.results.formatting import pct, pp


def points(x: float, digits: int = 0) -> str:
    """A fraction in percentage points, unsigned: 0.02 -> ``2``."""
    return f"{100 * x:.{digits}f}"


@cache
def environment() -> jinja2.Environment:
    """The templates' environment; globals ``paper`` (``facecues.literature``) and
    ``own`` (``facecues.results.estimates``, this project's thresholds)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("facecues.results", "templates"),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=pct,
        pp=pp,
        points=points,
        whole_pct=lambda x: f"{x:.0%}",
        thousands=lambda n: f"{n:,}",
    )
    env.globals.update(paper=literature, own=estimates)
    return env


def render(name: str, **context) -> str:
    """Template ``name`` rendered with ``context``."""
    return environment().get_template(name).render(**context)
