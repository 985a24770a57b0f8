"""The view as files: the page for the store (or a focus or a query) written atomically, and its
PNG snapshot rendered by headless Chromium with the network off."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from graph.errors import InputError
from graph.files import write_atomic
from graph.network.projection import project
from graph.store.base import Store
from graph.view.page import render_html


def write_view(
    store: Store,
    output: Path,
    *,
    focus: str | None = None,
    depth: int = 1,
    query: str | None = None,
    params: dict[str, str] | None = None,
    title: str | None = None,
    png: Path | None = None,
) -> Path:
    """Write the view of the store (or of a focus or query, see :func:`graph.network.projection.project`)
    to ``output``, atomically.  With ``png``, also a snapshot rendered by headless Chromium."""
    graph = project(store, focus=focus, depth=depth, query=query, params=params)
    heading = title or _default_title(focus, depth, query, params)
    html = render_html(graph, title=heading)
    path = write_atomic(Path(output), html.encode("utf-8"))
    if png is not None:
        snapshot(path, Path(png))
    return path


def _default_title(focus: str | None, depth: int, query: str | None, params: Mapping[str, str] | None) -> str:
    if focus is not None:
        return f"trialgraph: {focus} and {depth} step{'s' if depth != 1 else ''} around"
    if query is not None:
        shown = ", ".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        return f"trialgraph: {query}" + (f" ({shown})" if shown else "")
    return "trialgraph: trials, sponsors, sites and conditions"


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    raise InputError("cannot make a PNG: no Chromium found", hint="install it (Debian: apt-get install chromium)")


def snapshot(html: Path, png: Path, *, width: int = 1600, height: int = 1000, wait_ms: int = 20000) -> Path:
    """Render ``html`` to ``png`` with headless Chromium, network off (every host resolves to
    nothing, no proxy is reachable), after the page has had ``wait_ms`` of virtual time to lay
    out and draw."""
    chromium = find_chromium()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="trialgraph-png-") as tmp:
        shot = Path(tmp) / "shot.png"
        cmd = [
            chromium,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={tmp}/profile",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={wait_ms}",
            f"--screenshot={shot}",
            Path(html).resolve().as_uri(),
        ]
        env = {**os.environ, "LANG": os.environ.get("LANG", "C.UTF-8")}
        proc = subprocess.run(cmd, capture_output=True, timeout=180, check=False, env=env)
        if proc.returncode != 0 or not shot.exists():
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise InputError(f"Chromium could not render {html} to PNG: {detail[0]}")
        write_atomic(png, shot.read_bytes())
    return png
