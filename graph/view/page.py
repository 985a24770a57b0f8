"""The page: one self-contained UTF-8 file, our own Jinja template
(``graph/templates/view.html.j2``, autoescaped) because pyvis's templates fetch scripts from CDNs
and do not escape the heading.  The vis-network script is read from the pyvis package and
inlined, so the page loads nothing from the network; a Content-Security-Policy with the hashes of
the two inline scripts makes sure it cannot.

Registry text is data: it travels as JSON in a ``<script type="application/json">`` block, with
``<``, ``>`` and ``&`` escaped (:func:`script_json`), and the page's script renders it with
``textContent``."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import networkx as nx

from graph.constants import PACKAGE_DIR
from graph.errors import InputError
from graph.view.data import AGGREGATE_THRESHOLD, PHYSICS_THRESHOLD, view_data

TEMPLATE = "view.html.j2"
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def render_html(
    graph: nx.MultiDiGraph,
    *,
    title: str = "trialgraph",
    physics_threshold: int = PHYSICS_THRESHOLD,
    aggregate_threshold: int = AGGREGATE_THRESHOLD,
) -> str:
    """The page for a projection, as text.  Above ``aggregate_threshold`` nodes it opens
    aggregated; above ``physics_threshold`` the layout comes from Python alone."""
    import jinja2
    from markupsafe import Markup

    aggregate = graph.number_of_nodes() > aggregate_threshold
    physics = not aggregate and graph.number_of_nodes() <= physics_threshold
    payload = view_data(graph, title=title, physics=physics, aggregate=aggregate)
    vis_js = _vis_script()
    app_js = (STATIC_DIR / "view.js").read_text(encoding="utf-8")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template(TEMPLATE)
    return template.render(
        title=title,
        csp=_csp(vis_js, app_js),
        css=Markup((STATIC_DIR / "view.css").read_text(encoding="utf-8")),
        data_json=Markup(script_json(payload)),
        vis_js=Markup(vis_js),
        app_js=Markup(app_js),
    )


def script_json(value: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: ``<``, ``>`` and ``&`` are written as
    ``\\u003c``, ``\\u003e``, ``\\u0026``, so no text can close the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _vis_script() -> str:
    """vis-network 9.1.2 as shipped inside pyvis (Apache-2.0 or MIT, its licence header kept)."""
    import pyvis

    path = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    text = path.read_text(encoding="utf-8")
    if "</script" in text.lower():
        raise InputError(f"{path}: cannot be inlined (it contains '</script')")
    return text


def _csp(*scripts: str) -> str:
    """Only the page's own two scripts may run, nothing may be fetched."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
