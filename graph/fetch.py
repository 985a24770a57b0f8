"""Download studies from the ClinicalTrials.gov API v2 into a folder of raw pages.

This is the one module that talks to the network, and only when asked to.  It pages through
``GET {base_url}/studies`` and saves each page exactly as the API sent it
(``out/page-00001.json``...), so ``trialgraph build out/`` reads them with the ``ctgov`` reader.
It never follows a URL found in the data: the only token it sends back is the opaque
``nextPageToken``, and redirects are refused.

A fetch can be resumed.  After each page, ``out/.fetch-state.json`` records the next page token
and the counts; running the same fetch again continues from there.  Pages and the state are
written atomically (a temporary file, then ``os.replace``), so an interrupted run leaves either
the old file or the new one, never half of one.  Rate limits (429) and server errors (5xx) are
retried with exponential back-off, honouring ``Retry-After``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import orjson

from graph.errors import InputError, TrialgraphError
from graph.files import write_atomic
from graph.normalize.vocab import ENUMS, enum_value
from graph.progress import progress_bar

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
STATE_FILE = ".fetch-state.json"
#: The API's own ceiling for ``pageSize``.
MAX_PAGE_SIZE = 1000
#: The longest wait a ``Retry-After`` header can impose, in seconds.
MAX_RETRY_AFTER = 600.0
_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
_STATE_VERSION = 1
_STAGE = "fetching"


class FetchError(TrialgraphError):
    """The API could not be reached or kept failing; what was saved so far can be resumed."""


@dataclass(frozen=True)
class FetchResult:
    """What ``out`` holds after a fetch (over all runs of a resumed fetch)."""

    out: Path
    #: Page files written, and the studies in them.
    pages: int
    studies: int
    #: How many studies the API says match the query (``countTotal``), when it said.
    total_count: int | None
    #: True when nothing is left to fetch: the last page was reached, or ``max_studies``.
    complete: bool
    #: Pages downloaded by this call (0 when an earlier run had finished).
    fetched_pages: int


@dataclass(frozen=True)
class _State:
    """The resumable part of a fetch, kept in ``out/.fetch-state.json``."""

    query: dict[str, str | None]
    next_page_token: str | None = None
    pages: int = 0
    studies: int = 0
    total_count: int | None = None
    #: The API has no page after the last one saved.
    exhausted: bool = False


def _check_status(status: str | None) -> str | None:
    """``recruiting, not yet recruiting`` -> ``RECRUITING,NOT_YET_RECRUITING``."""
    if status is None or not status.strip():
        return None
    values = []
    for part in status.split(","):
        value, known = enum_value("status", part)
        if value is None:
            continue
        if not known:
            raise InputError(
                f"unknown trial status {part.strip()!r}",
                hint="use one or more of (comma-separated): " + ", ".join(ENUMS["status"]),
            )
        values.append(value)
    return ",".join(values) or None


def _check_base_url(base_url: str) -> str:
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise InputError(f"not an http(s) URL: {base_url!r}", hint=f"the API lives at {DEFAULT_BASE_URL}")
    return base_url.rstrip("/")


def _load_state(out: Path, query: dict[str, str | None]) -> _State:
    path = out / STATE_FILE
    if not path.exists():
        if any(out.glob("page-*.json")):
            raise InputError(
                f"{out} holds pages that no fetch of trialgraph's state describes",
                hint="fetch into another folder, or empty this one",
            )
        return _State(query=query)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        state = _State(**{k: v for k, v in raw.items() if k != "version"})
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(
            f"{path}: cannot read the state of an earlier fetch ({exc})",
            hint="delete the file to start the fetch again from the first page",
        ) from None
    if state.query != query:
        raise InputError(
            f"{out} holds a fetch of another query ({_describe(state.query)})",
            hint="fetch into another folder, or empty this one",
        )
    return state


def _save_state(out: Path, state: _State) -> None:
    data = {"version": _STATE_VERSION, **asdict(state)}
    write_atomic(out / STATE_FILE, json.dumps(data, indent=2).encode())


def _describe(query: dict[str, str | None]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in query.items() if v is not None)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asks us to wait, from ``Retry-After`` (seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _rejected(response: httpx.Response) -> InputError:
    """A readable error for a 4xx: the API says what is wrong in its body."""
    body = " ".join(response.text.split())[:300]
    return InputError(
        f"ClinicalTrials.gov refused the request ({response.status_code} {response.reason_phrase})"
        + (f": {body}" if body else ""),
        hint="check the query, condition and status options",
    )


def _parse_page(body: bytes) -> tuple[int, str | None, int | None]:
    """(studies on the page, next page token, total count); ``ValueError`` if not a page."""
    doc = orjson.loads(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("studies"), list):
        raise ValueError("the response is not an API v2 page (no 'studies' array)")
    token = doc.get("nextPageToken")
    total = doc.get("totalCount")
    return (
        len(doc["studies"]),
        token if isinstance(token, str) and token else None,
        total if isinstance(total, int) and not isinstance(total, bool) else None,
    )


@dataclass(frozen=True)
class _Retry:
    retries: int
    backoff: float

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        after = _retry_after(response) if response is not None else None
        return after if after is not None else self.backoff * (2**attempt)


def _get_page(
    client: httpx.Client, url: str, params: dict[str, str], retry: _Retry
) -> tuple[bytes, int, str | None, int | None]:
    """One page: (raw body, studies, next token, total count).  Retries 429, 5xx, network
    errors and unreadable bodies; raises :class:`InputError` for any other 4xx."""
    problem = ""
    for attempt in range(retry.retries + 1):
        response: httpx.Response | None = None
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as exc:
            problem = f"cannot reach {url} ({exc.__class__.__name__}: {exc})"
        else:
            status = response.status_code
            if status == 200:
                try:
                    return (response.content, *_parse_page(response.content))
                except ValueError as exc:
                    problem = f"unreadable page from {url}: {exc}"
            elif status == 429 or status >= 500:
                problem = f"{url} answered {status} {response.reason_phrase}"
            elif 300 <= status < 400:
                raise InputError(
                    f"{url} redirects elsewhere ({status}); trialgraph fetches only the base URL it is given",
                    hint="pass the final API address as the base URL",
                )
            else:
                raise _rejected(response)
        if attempt < retry.retries:
            time.sleep(retry.delay(attempt, response))
    raise FetchError(
        f"{problem} (tried {retry.retries + 1} times)",
        hint="run the same command again later: the fetch resumes after the last page saved",
    )


def _target(state: _State, max_studies: int | None) -> int | None:
    totals = [n for n in (state.total_count, max_studies) if n is not None]
    return min(totals) if totals else None


def fetch_ctgov(
    *,
    query: str | None,
    condition: str | None,
    status: str | None,
    max_studies: int | None,
    out: Path,
    base_url: str = DEFAULT_BASE_URL,
    page_size: int = 100,
    progress: bool = True,
    retries: int = 5,
    backoff: float = 1.0,
) -> FetchResult:
    """Save the studies matching ``query`` (``query.term``), ``condition`` (``query.cond``) and
    ``status`` (``filter.overallStatus``, comma-separated) as raw API pages in ``out``.

    Stops after ``max_studies`` (``None``: all of them).  Running it again with the same query
    and ``out`` resumes an interrupted fetch, or fetches nothing if it had finished.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"page size {page_size} is out of range", hint=f"use 1 to {MAX_PAGE_SIZE}")
    if max_studies is not None and max_studies < 1:
        raise InputError(f"max studies must be at least 1, not {max_studies}")
    if retries < 0 or backoff < 0:
        raise InputError("retries and backoff cannot be negative")
    search = {
        "base_url": _check_base_url(base_url),
        "query.term": query.strip() if query and query.strip() else None,
        "query.cond": condition.strip() if condition and condition.strip() else None,
        "filter.overallStatus": _check_status(status),
    }
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is not a folder", hint="pass a folder to fetch into")
    out.mkdir(parents=True, exist_ok=True)
    state = _load_state(out, search)
    state, fetched = _fetch_pages(out, state, max_studies, page_size, progress, _Retry(retries, backoff))
    return FetchResult(
        out=out,
        pages=state.pages,
        studies=state.studies,
        total_count=state.total_count,
        complete=state.exhausted or (max_studies is not None and state.studies >= max_studies),
        fetched_pages=fetched,
    )


def _request_params(state: _State, size: int) -> dict[str, str]:
    params = {k: v for k, v in state.query.items() if v is not None and k != "base_url"}
    params.update(format="json", pageSize=str(size))
    if state.next_page_token:
        params["pageToken"] = state.next_page_token
    else:
        params["countTotal"] = "true"
    return params


def _fetch_pages(
    out: Path, state: _State, max_studies: int | None, page_size: int, progress: bool, retry: _Retry
) -> tuple[_State, int]:
    """Fetch until the last page or ``max_studies``; returns the final state and the pages fetched."""
    url = f"{state.query['base_url']}/studies"
    fetched = 0
    headers = {"Accept": "application/json", "User-Agent": "trialgraph (ClinicalTrials.gov API v2 client)"}
    with (
        httpx.Client(timeout=_TIMEOUT, headers=headers, follow_redirects=False) as client,
        progress_bar(disabled=not progress) as report,
    ):
        report(_STAGE, state.studies, _target(state, max_studies))
        while not state.exhausted and (max_studies is None or state.studies < max_studies):
            size = page_size if max_studies is None else min(page_size, max_studies - state.studies)
            body, count, token, total = _get_page(client, url, _request_params(state, size), retry)
            if token is not None and (count == 0 or token == state.next_page_token):
                raise FetchError(
                    f"{url} returned {'an empty page' if count == 0 else 'the same page token twice'}"
                    " but says more pages follow",
                    hint="the API misbehaves: try again later",
                )
            write_atomic(out / f"page-{state.pages + 1:05d}.json", body)
            state = replace(
                state,
                next_page_token=token,
                pages=state.pages + 1,
                studies=state.studies + count,
                total_count=state.total_count if total is None else total,
                exhausted=token is None,
            )
            _save_state(out, state)
            fetched += 1
            report(_STAGE, state.studies, _target(state, max_studies))
    return state, fetched
