"""The HTML pages of results folders (a run's, a plan's, a PSA's report): one template
environment, charts embedded as data URIs, and one atomic write, so a reader never sees
half a page."""

from __future__ import annotations

import base64
from pathlib import Path

import jinja2

REPORT_FILE = "report.html"

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("sim.outputs", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
                          lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def png_src(png: Path) -> str:
    """A PNG as a data URI, so the page is one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(Path(png).read_bytes()).decode("ascii")


def render_page(template: str, **context) -> str:
    """One of sim/outputs/templates/ rendered (an undefined name is an error, not a blank)."""
    return _ENV.get_template(template).render(**context)


def write_page(folder: str | Path, html: str) -> Path:
    """Write `<folder>/report.html` through a temporary file, so a reader never sees half a report."""
    path = Path(folder) / REPORT_FILE
    tmp = path.with_name(f".{REPORT_FILE}.partial")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def chart_summary(draw) -> str:
    """A chart drawer's first docstring paragraph on one line: the words under the chart in the report
    (its first line alone cut sentences that run on)."""
    return " ".join((draw.__doc__ or "").strip().split("\n\n")[0].split())
