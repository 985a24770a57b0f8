"""Fuzzing the readers with mutated real files (issue 19): every case ends in exit 0, 1 or 2, with
no traceback and within a time bound, and the trials already in the store are all still there.

The originals are real records of every reader: ClinicalTrials.gov API v2 studies and an API page
(``../shared/data/ctgov-v2``), the website's download (two studies of
``../shared/data/ctgov-v2-pages/herniated-disc.json``, as the array the website writes), a bulk
zip of two studies, two ``<Trial>`` records of the ICTRP export, curated YAML from ``data/``, and
CTIS, EU register and ISRCTN records from ``../shared/data/ctrdata``.  A seeded
:class:`random.Random` mutates them (byte flips, truncations, spliced chunks, other encodings,
values of another type, deep nesting, huge strings, and each format's own hostile forms: alias
bombs, entity declarations, broken zip members), so every run makes the same cases.

Most cases run in this process, the way the CLI runs them: each file is read alone (to catch a
crash or a hang in a reader, with an alarm as the time bound), then the cases of one original are
built together into one store that already holds the five seed trials, through ``graph.build``
wrapped in the CLI's own error mapping (:func:`graph.commands.options.handles_errors`).  A case's exit code is
the one the CLI gives a build of that file alone: 2 when one of its records could not be read, 1
when one was quarantined, else 0.  A few cases go through the real ``trialgraph`` command in a
subprocess.  ``pytest -s tests/test_fuzz.py`` prints the counts.
"""

from __future__ import annotations

import io
import json
import random
import re
import signal
import subprocess
import sys
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from graph import sources
from graph.commands.options import handles_errors
from graph.errors import InputError, RecordError
from graph.model import TrialRecord
from graph.pipeline.report import BuildReport
from graph.pipeline.run import build
from graph.query.named import run as run_query
from graph.resolve.orgs import load_curated
from graph.store.base import Store
from graph.store.local import OxigraphStore
from graph.store.registry import open_store

from .conftest import CTGOV_DIR, ICTRP_FILE, SEED_DATA, SHARED_DATA

SEED = 19
#: Seconds a single read, or the build of one original's cases, may take before it is a hang
#: (generous: the machine is shared; a hang is minutes, not seconds).
READ_BOUND = 30
BUILD_BOUND = 300
CTRDATA = SHARED_DATA / "ctrdata"
PAGES = SHARED_DATA / "ctgov-v2-pages" / "herniated-disc.json"
#: The two smallest studies of the website download (by hand: 5.5 KB each).
DOWNLOAD_STUDIES = ("NCT05752838", "NCT04204720")
SEED_FILES = sorted(p for p in SEED_DATA.glob("*.yaml") if p.name != "organizations.yaml")
#: The five seed trials by one registry id each (read from the files in data/).
SEED_IDS = ("NCT02849613", "NCT04445454", "NCT07635758", "NL-OMON47582", "NCT01849237")


# -- originals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    reader: str
    kind: str  # json, yaml, xml or zip (a zip of json members)
    suffix: str
    data: bytes
    cases: int
    #: The members of a zip original.
    members: tuple[tuple[str, bytes], ...] = ()
    #: The registry ids that make its records' keys (renumbered per case, see :func:`renumber`).
    ids: tuple[str, ...] = ()


def _download() -> bytes:
    studies = json.loads(PAGES.read_bytes())
    chosen = [s for s in studies if s["protocolSection"]["identificationModule"]["nctId"] in DOWNLOAD_STUDIES]
    assert len(chosen) == 2
    return json.dumps(chosen, indent=2, ensure_ascii=False).encode()


def _ictrp_two_trials() -> bytes:
    text = ICTRP_FILE.read_text(encoding="utf-8")
    trials = re.findall(r"<Trial>.*?</Trial>", text, flags=re.DOTALL)[:2]
    return (
        "<?xml version='1.0' encoding='UTF-8' ?>\n<Trials_downloaded_from_ICTRP>\n" + "\n".join(trials)
    ).encode() + (b"\n</Trials_downloaded_from_ICTRP>\n")


def _zip(members: tuple[tuple[str, bytes], ...]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            # a fixed time stamp: the same members make the same bytes on every run
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 6, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def originals() -> list[Original]:
    zipped = tuple((p.name, p.read_bytes()) for p in (CTGOV_DIR / "NCT00973089.json", CTGOV_DIR / "NCT03418623.json"))
    study = (CTGOV_DIR / "NCT00973089.json").read_bytes()
    out = [
        Original("ctgov-study", "json", ".json", study, 25, ids=("NCT00973089",)),
        Original(
            "ctgov-study", "json", ".json", (CTGOV_DIR / "NCT03418623.json").read_bytes(), 25, ids=("NCT03418623",)
        ),
        Original(
            "ctgov-page", "json", ".json", (CTGOV_DIR / "NCT03281889_page.json").read_bytes(), 30, ids=("NCT03281889",)
        ),
        Original("ctgov-download", "json", ".json", _download(), 30, ids=DOWNLOAD_STUDIES),
        Original("ctgov-zip", "zip", ".zip", _zip(zipped), 30, zipped, ids=("NCT00973089", "NCT03418623")),
        Original("ictrp", "xml", ".xml", _ictrp_two_trials(), 40, ids=("ChiCTR2100050713", "CTIS2023-507385-11-00")),
        Original(
            "ctis", "json", ".json", (CTRDATA / "ctis-2023-508143-51-01.json").read_bytes(), 25, ids=("2023-508143",)
        ),
        Original(
            "euctr", "json", ".json", (CTRDATA / "euctr-2013-000615-24-BE.json").read_bytes(), 25, ids=("2013-000615",)
        ),
        Original("isrctn", "json", ".json", (CTRDATA / "isrctn-20343063.json").read_bytes(), 15, ids=("20343063",)),
        Original("isrctn", "json", ".json", (CTRDATA / "isrctn-61070850.json").read_bytes(), 15, ids=("61070850",)),
    ]
    out += [Original("curated", "yaml", ".yaml", (SEED_DATA / n).read_bytes(), 15) for n in _CURATED]
    return out


_CURATED = ("nct04445454.yaml", "resstore.yaml", "nct01849237.yaml")


def renumber(o: Original, n: int) -> Original:
    """The original with its registry ids renumbered for case ``n`` (their longest run of digits
    becomes 9 and then ``n``, so ``NCT00973089`` becomes ``NCT90000123``): every case is a record
    of its own rather than another version of an earlier case, so each one's graph is made,
    validated and written.  Curated cases keep the seeds' ids (their file name is their key) and
    so join the seed trials."""

    def new(ident: str) -> str:
        digits = max(re.findall(r"\d{5,}", ident), key=len)
        return ident.replace(digits, "9" + str(n).zfill(len(digits) - 1), 1)

    def apply(data: bytes) -> bytes:
        for ident in o.ids:
            data = data.replace(ident.encode(), new(ident).encode())
        return data

    members = tuple((name, apply(data)) for name, data in o.members)
    return replace(o, data=_zip(members) if members else apply(o.data), members=members)


# -- mutations -----------------------------------------------------------------------------------

Mutation = Callable[[Original, random.Random], bytes]


def flip_bytes(o: Original, rng: random.Random) -> bytes:
    data = bytearray(o.data)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def truncate(o: Original, rng: random.Random) -> bytes:
    return o.data[: rng.randrange(len(o.data))]


def splice(o: Original, rng: random.Random) -> bytes:
    start = rng.randrange(len(o.data))
    chunk = o.data[start : start + rng.randint(1, 200)]
    at = rng.randrange(len(o.data))
    return o.data[:at] + chunk + o.data[at:]


def encoding(o: Original, rng: random.Random) -> bytes:
    text = o.data.decode("utf-8")
    choice = rng.randrange(5)
    if choice == 0:
        return text.encode("utf-16")  # with a byte-order mark
    if choice == 1:
        return text.encode("utf-16-le")
    if choice == 2:
        return (text + "é").encode("latin-1", errors="replace")  # not UTF-8 where it is not ASCII
    if choice == 3:
        at = rng.randrange(len(o.data))
        return o.data[:at] + b"\xff\xfe\xc3" + o.data[at:]  # bytes that are no UTF-8
    return b"\xef\xbb\xbf" + o.data.replace(b"\n", b"\r\n")  # a BOM and CRLF line ends


#: Values another field's value is swapped for.
SWAPS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**70,
    1.5e308,
    "",
    " ",
    "N/A",
    "\u0000\u0007",
    "😀" * 3,
    "<script>alert(1)</script>",
    "contact: someone@example.org, +33 1 23 45 67 89",
    "9999-12-31",
    "2024-02-30",
    "-5",
    "NCT0000000",
    "   \n\t  ",
    [],
    {},
    [1, "a", None, {}],
    {"a": {"b": [None]}},
)
#: Placeholders a structured mutation puts in a document, replaced in its text afterwards.
DEEP = "FUZZ-DEEP-MARKER"
HUGE = "FUZZ-HUGE-MARKER"


def _nodes(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value under ``doc``, in document order."""
    out: list[tuple[Any, Any]] = []
    stack: list[Any] = [doc]
    while stack:
        node = stack.pop()
        items = (
            list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        )
        for key, value in reversed(items):
            out.append((node, key))
            stack.append(value)
    return out


def _huge(rng: random.Random) -> str:
    size = rng.choice((50_000, 300_000, 1_500_000))
    pattern = rng.choice(("a", "word ", "é", "x@y.example ", "+33 1 23 45 67 89 ", "&lt;br&gt;", "\u202e"))
    return (pattern * (size // len(pattern) + 1))[:size]


def _deep(rng: random.Random, kind: str) -> str:
    depth = rng.choice((100, 2_000, 50_000))
    if kind == "xml":
        return "<x>" * depth + "</x>" * depth
    opener = rng.choice("[{")
    if opener == "{":
        return '{"a":' * depth + "1" + "}" * depth if kind == "json" else "{a: " * depth + "1" + "}" * depth
    return "[" * depth + "]" * depth


def _structured(doc: Any, rng: random.Random) -> tuple[Any, str | None]:
    """``doc`` with one value replaced (in place): by a value of another type, by a marker for a
    deep or huge value, or by a sibling's value; and the marker used."""
    nodes = _nodes(doc)
    if not nodes:
        return rng.choice(SWAPS), None
    container, key = rng.choice(nodes)
    what = rng.randrange(4)
    if what == 0:
        container[key] = DEEP
        return doc, DEEP
    if what == 1:
        strings = [(c, k) for c, k in nodes if isinstance(c[k], str)]
        if strings:
            container, key = rng.choice(strings)
        container[key] = HUGE
        return doc, HUGE
    if what == 2 and isinstance(container, dict) and len(container) > 1:
        other = rng.choice(sorted(container))
        container[key] = container[other]
        return doc, None
    container[key] = rng.choice(SWAPS)
    return doc, None


def _fill(text: str, marker: str | None, kind: str, rng: random.Random) -> str:
    """The text with the placeholder replaced: a JSON string is a YAML double-quoted scalar too."""
    if marker is None:
        return text
    written = f'"{marker}"' if kind == "json" else marker
    value = _deep(rng, kind) if marker == DEEP else json.dumps(_huge(rng))
    return text.replace(written, value, 1)


def _values(doc: Any, rng: random.Random) -> tuple[Any, str | None]:
    """One to three value mutations; the first placeholder put in is the one filled."""
    marker = None
    for _ in range(rng.randint(1, 3)):
        doc, put = _structured(doc, rng)
        if marker is None:
            marker = put
        elif put is not None and put != marker:
            doc = json.loads(json.dumps(doc).replace(json.dumps(put), '""'))
    return doc, marker


def json_value(o: Original, rng: random.Random) -> bytes:
    doc, marker = _values(json.loads(o.data), rng)
    return _fill(json.dumps(doc, ensure_ascii=False), marker, "json", rng).encode("utf-8", "surrogatepass")


def yaml_value(o: Original, rng: random.Random) -> bytes:
    doc, marker = _values(yaml.safe_load(o.data), rng)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=10_000)
    return _fill(text, marker, "yaml", rng).encode("utf-8", "surrogatepass")


def yaml_hostile(o: Original, rng: random.Random) -> bytes:
    """Forms a person would not write: an alias bomb, tags, tabs, a key given twice, a huge number."""
    text = o.data.decode()
    choice = rng.randrange(6)
    if choice == 0:
        bomb = ['b0: &b0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
        bomb += [f"b{n}: &b{n} [" + ", ".join([f"*b{n - 1}"] * 9) + "]" for n in range(1, rng.randint(4, 12))]
        return (text + "\n" + "\n".join(bomb) + "\n").encode()
    if choice == 1:
        return (text + "\nkeywords: !!python/object/apply:os.system ['echo hi']\n").encode()
    if choice == 2:
        return text.replace("  ", "\t", rng.randint(1, 5)).encode()
    if choice == 3:
        lines = text.splitlines()
        at = rng.randrange(len(lines))
        return "\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]]).encode()
    if choice == 4:
        return text.replace("enrollment: ", "enrollment: 1" + "0" * 400 + "#", 1).encode()
    return (text + "\nconditions: *nowhere\n").encode()


_LEAF = re.compile(rb"<(\w+)>([^<]*)</\1>")


def xml_value(o: Original, rng: random.Random) -> bytes:
    """One leaf element's text replaced: huge, deep, markup, control characters, or dropped."""
    leaves = list(_LEAF.finditer(o.data))
    m = rng.choice(leaves)
    choice = rng.randrange(5)
    if choice == 0:
        inner = _huge(rng).replace("&", "&amp;").replace("<", "&lt;").encode()
    elif choice == 1:
        inner = _deep(rng, "xml").encode()
    elif choice == 2:
        inner = b"&lt;br&gt;" * 50 + b"<![CDATA[<b>bold</b>]]>" + b"&#x1F600;"
    elif choice == 3:
        inner = b"\x01\x02 control"
    else:
        return o.data[: m.start()] + o.data[m.end() :]
    return o.data[: m.start(2)] + inner + o.data[m.end(2) :]


def xml_hostile(o: Original, rng: random.Random) -> bytes:
    choice = rng.randrange(4)
    body = o.data.split(b"?>", 1)[1]
    if choice == 0:
        lol = b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' + b"".join(
            b'<!ENTITY a%d "' % n + (b"&a%d;" % (n - 1) if n > 1 else b"&a;") * 10 + b'">' for n in range(1, 10)
        )
        return b"<?xml version='1.0'?>" + lol + b"]>" + body.replace(b"<TrialID>", b"<TrialID>&a9;", 1)
    if choice == 1:
        return b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body.replace(
            b"<TrialID>", b"<TrialID>&x;", 1
        )
    if choice == 2:
        return b"<?xml version='1.0' encoding='UTF-16'?>" + body  # declares what it is not
    return o.data.replace(b"</Trial>", b"", 1)


def zip_member(o: Original, rng: random.Random) -> bytes:
    members = list(o.members)
    i = rng.randrange(len(members))
    name, data = members[i]
    fake = Original("ctgov-study", "json", ".json", data, 0)
    members[i] = (name, rng.choice(JSON_MUTATIONS)(fake, rng))
    if rng.random() < 0.2:
        members.append(("notes/README.txt", b"not a study"))
    return _zip(tuple(members))


JSON_MUTATIONS: tuple[Mutation, ...] = (flip_bytes, truncate, splice, encoding, json_value, json_value, json_value)
MUTATIONS: dict[str, tuple[Mutation, ...]] = {
    "json": JSON_MUTATIONS,
    "yaml": (flip_bytes, truncate, splice, encoding, yaml_value, yaml_value, yaml_hostile, yaml_hostile),
    "xml": (flip_bytes, truncate, splice, encoding, xml_value, xml_value, xml_value, xml_hostile),
    "zip": (flip_bytes, truncate, zip_member, zip_member, zip_member),
}


@dataclass(frozen=True)
class Case:
    reader: str
    name: str
    operator: str
    data: bytes


def make_cases() -> list[Case]:
    rng = random.Random(SEED)
    cases = []
    for original in originals():
        for _ in range(original.cases):
            mutation = rng.choice(MUTATIONS[original.kind])
            n = len(cases)
            o = renumber(original, n)
            cases.append(
                Case(o.reader, f"{o.reader}-{n:03d}-{mutation.__name__}{o.suffix}", mutation.__name__, mutation(o, rng))
            )
    return cases


# -- running -------------------------------------------------------------------------------------


class Hang(Exception):
    pass


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raises :class:`Hang` in this thread after ``seconds`` (a regex or a parser loop included:
    both give signal handlers their turn)."""

    def alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def as_cli(fn: Callable[[], Any]) -> tuple[Any, int | None]:
    """``fn()`` under the CLI's error mapping: (its value, None), or (None, the exit code the CLI
    gives its error).  Any other exception is a crash and propagates."""
    try:
        return handles_errors(fn)(), None
    except SystemExit as exc:
        return None, int(exc.code or 0)


@dataclass
class Outcome:
    case: Case
    path: Path
    keys: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    exit_code: int | None = None
    crash: str | None = None
    hang: str | None = None
    seconds: float = 0.0


def read_alone(outcome: Outcome) -> None:
    started = time.perf_counter()
    try:
        with time_bound(READ_BOUND):
            items, code = as_cli(lambda: list(sources.read_all([outcome.path])))
    except Hang as exc:
        outcome.hang = f"read: {exc}"
        return
    except Exception:
        outcome.crash = "read: " + traceback.format_exc()
        return
    finally:
        outcome.seconds = time.perf_counter() - started
    if code is not None:
        outcome.exit_code = code
        return
    for item in items:
        if isinstance(item, RecordError):
            outcome.errors.append(str(item))
        else:
            assert isinstance(item, TrialRecord)
            outcome.keys.add(f"{item.source}/{item.record_id}")
            outcome.warnings.extend(str(w) for w in item.warnings)


def build_cases(outcomes: list[Outcome], store: OxigraphStore) -> tuple[BuildReport | None, int | None, str | None]:
    """One build of the files (report, CLI exit code of an error that stopped it, crash)."""
    paths = [o.path for o in outcomes]
    try:
        with time_bound(BUILD_BOUND):
            report, code = as_cli(lambda: build(paths, store, workers=1))
    except Hang as exc:
        return None, None, f"hang: {exc}"
    except Exception:
        return None, None, traceback.format_exc()
    return report, code, None


def case_exit(outcome: Outcome, report: BuildReport) -> int:
    """The exit code of a build of this case alone, from the build of its group."""
    name = str(outcome.path)
    if any(e.file == name or e.file.startswith(name + "!") for e in report.errors):
        return 2
    return 1 if outcome.keys & set(report.quarantined) else 0


def seed_state(store: Store) -> dict[str, set[str]]:
    """Each seed registry id -> the trials that hold it (the named query ``identifiers``), and
    each seed record graph -> its triples (as N-Triples lines)."""
    state: dict[str, set[str]] = {}
    for ident in SEED_IDS:
        state[ident] = {str(row[0]) for row in run_query(store, "identifiers", {"id": ident}).rows}
    stems = {"/" + p.stem for p in SEED_FILES}
    for name in store.named_graphs():
        if "/graph/curated/" in str(name) and any(str(name).endswith(stem) for stem in stems):
            state[str(name)] = {f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in store.graph(name)}
    return state


def losses(before: dict[str, set[str]], store: Store) -> list[str]:
    after = seed_state(store)
    lost = []
    for key, values in before.items():
        if not after.get(key):
            lost.append(f"{key}: gone")
        elif key.startswith("http") and not values <= after[key]:
            lost.append(f"{key}: {len(values - after[key])} triples gone")
    return lost


@dataclass
class Campaign:
    outcomes: list[Outcome]
    builds: int
    #: Records written to the store (loaded or replaced) over all builds.
    loaded: int
    crashes: list[str]
    hangs: list[str]
    losses: list[str]
    seconds: float
    #: What the readers and builds wrote on standard error (the CLI's error lines among it).
    stderr: str = ""

    def counts(self) -> Counter[int | None]:
        return Counter(o.exit_code for o in self.outcomes)


def run_campaign(folder: Path) -> Campaign:
    started = time.process_time()
    store_path = folder / "store"
    store = open_store(store_path)
    assert isinstance(store, OxigraphStore)
    seeded = build([SEED_DATA], store, workers=1)
    assert seeded.exit_code == 0 and len(seeded.loaded) == 5
    before = seed_state(store)
    assert all(before[i] for i in SEED_IDS)
    crashes: list[str] = []
    hangs: list[str] = []
    lost: list[str] = []
    done: list[Outcome] = []
    for case in make_cases():
        path = folder / "cases" / case.reader / case.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.data)
        outcome = Outcome(case, path)
        read_alone(outcome)
        if outcome.crash:
            crashes.append(f"{case.name}: {outcome.crash}")
        elif outcome.hang:
            hangs.append(f"{case.name}: {outcome.hang}")
        else:
            done.append(outcome)
    builds = loaded = 0
    for group in _chunks([o for o in done if o.exit_code is None], 40):
        report, code, crash = build_cases(group, store)
        builds += 1
        if crash or code is not None:
            # find the case that took the group down: each case alone
            for outcome in group:
                alone, alone_code, alone_crash = build_cases([outcome], store)
                builds += 1
                if alone_crash:
                    crashes.append(f"{outcome.case.name}: build: {alone_crash}")
                elif alone_code is not None:
                    crashes.append(f"{outcome.case.name}: one file stopped the whole build (exit {alone_code})")
                else:
                    assert alone is not None
                    outcome.exit_code = case_exit(outcome, alone)
        else:
            assert report is not None
            loaded += len(report.loaded)
            for outcome in group:
                outcome.exit_code = case_exit(outcome, report)
        lost += losses(before, store)
    store.close()
    return Campaign(done, builds, loaded, crashes, hangs, lost, time.process_time() - started)


def _chunks(items: list[Outcome], size: int) -> Iterator[list[Outcome]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    captured = io.StringIO()
    with redirect_stderr(captured):
        result = run_campaign(tmp_path_factory.mktemp("fuzz"))
    result.stderr = captured.getvalue()
    counts = result.counts()
    print(
        f"\nfuzz: {len(result.outcomes) + len(result.crashes) + len(result.hangs)} cases, "
        f"exit 0: {counts[0]}, exit 1: {counts[1]}, exit 2: {counts[2]}; {len(result.crashes)} crashes, "
        f"{len(result.hangs)} hangs, {len(result.losses)} losses; {result.builds} builds wrote "
        f"{result.loaded} records, "
        f"{result.seconds:.1f} s CPU in this process"
    )
    by_operator = Counter((o.case.operator, o.exit_code) for o in result.outcomes)
    print("by operator:", dict(sorted(by_operator.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))))
    return result


# -- the assertions ------------------------------------------------------------------------------


def test_the_cases_are_the_same_every_run() -> None:
    first, second = make_cases(), make_cases()
    assert [(c.name, c.data) for c in first] == [(c.name, c.data) for c in second]
    assert len(first) == sum(o.cases for o in originals()) >= 300


def test_the_originals_load(tmp_path: Path) -> None:
    """Unmutated, every original is read by its reader without an error (they are records their
    registries published): the cases start from sound files.  Records per original, by hand: one
    study, a page of one, the download's two, the zip's two, two ICTRP trials, one record each
    for the rest."""
    expected = {"ctgov-page": 1, "ctgov-download": 2, "ctgov-zip": 2, "ictrp": 2}
    for n, o in enumerate(originals()):
        path = tmp_path / f"original-{n}{o.suffix}"
        path.write_bytes(o.data)
        fmt = sources.format_for(path)
        assert fmt is not None and fmt.name == o.reader.split("-")[0], o.reader
        items = list(fmt.read(path))
        assert all(isinstance(i, TrialRecord) for i in items), [str(i) for i in items]
        assert len(items) == expected.get(o.reader, 1), o.reader


def test_no_crash(campaign: Campaign) -> None:
    assert campaign.crashes == []


def test_nothing_on_stderr(campaign: Campaign) -> None:
    """No traceback, and no library warning either (rdflib logs an IRI it cannot write)."""
    assert campaign.stderr == ""


def test_no_hang(campaign: Campaign) -> None:
    assert campaign.hangs == []


def test_no_loss_of_the_trials_already_in_the_store(campaign: Campaign) -> None:
    assert campaign.losses == []


def test_every_case_ends_in_0_1_or_2(campaign: Campaign) -> None:
    assert {o.exit_code for o in campaign.outcomes} <= {0, 1, 2}
    counts = campaign.counts()
    # the mutations reach past the parsers: some cases load, some are refused
    assert counts[0] > 20 and counts[2] > 20, counts


def test_every_error_names_its_file_on_its_first_line(campaign: Campaign) -> None:
    for o in campaign.outcomes:
        for error in o.errors:
            first = error.splitlines()[0]
            assert first.startswith(str(o.path)), error[:300]
            assert len(first) < 1_000, first[:300]  # a huge value is never echoed whole


def test_warnings_never_echo_a_huge_value(campaign: Campaign) -> None:
    long = [w[:200] for o in campaign.outcomes for w in o.warnings if len(w) > 500]
    assert long == []


def test_every_reader_and_mutation_ran(campaign: Campaign) -> None:
    readers = {o.case.reader for o in campaign.outcomes}
    assert readers == {o.reader for o in originals()}
    operators = {o.case.operator for o in campaign.outcomes}
    assert operators == {m.__name__ for ms in MUTATIONS.values() for m in ms}


def test_mutated_organisation_files_load_or_are_refused_with_their_name(tmp_path: Path) -> None:
    """data/organizations.yaml, mutated like the curated records: each either loads or is an
    InputError (exit 2) whose first line names the file, never another exception."""
    original = Original("organizations", "yaml", ".yaml", (SEED_DATA / "organizations.yaml").read_bytes(), 0)
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    for n in range(60):
        mutation = rng.choice(MUTATIONS["yaml"])
        path = tmp_path / f"organizations-{n}.yaml"
        path.write_bytes(mutation(original, rng))
        try:
            load_curated(path)
            outcomes["loaded"] += 1
        except InputError as exc:
            outcomes["refused"] += 1
            first = str(exc).splitlines()[0]
            assert first.startswith(str(path)) and len(first) < 1_000, first[:300]
    assert outcomes["loaded"] > 5 and outcomes["refused"] > 5, outcomes


# -- through the real command --------------------------------------------------------------------


def trialgraph(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "graph", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_cli_build_of_one_case_per_reader(campaign: Campaign, tmp_path: Path) -> None:
    """A folder with the first case of each reader, built by the command: its exit code is the
    worst of the cases' own, with no traceback; each unreadable case is named."""
    chosen = {}
    for o in campaign.outcomes:
        chosen.setdefault(o.case.reader, o)
    folder = tmp_path / "cases"
    folder.mkdir()
    for o in chosen.values():
        (folder / o.path.name).write_bytes(o.case.data)
    done = trialgraph("build", folder, "--store", tmp_path / "store", "--quiet")
    codes = {o.exit_code for o in chosen.values()}
    expected = 2 if 2 in codes else 1 if 1 in codes else 0
    assert done.returncode == expected, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for o in chosen.values():
        if o.exit_code == 2:
            assert str(folder / o.path.name) in done.stderr


HOSTILE = {
    "deep.json": b'{"protocolSection": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "utf16.json": json.dumps({"protocolSection": {"identificationModule": {"nctId": "NCT09999999"}}}).encode("utf-16"),
    "bomb.yaml": (
        "identifiers: [{registry: NCT, value: NCT09999998}]\n"
        + 'k0: &k0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]\n'
        + "".join(f"k{n}: &k{n} [" + ", ".join([f"*k{n - 1}"] * 9) + "]\n" for n in range(1, 12))
    ).encode(),
    "deep.yaml": b"identifiers: " + b"[" * 100_000 + b"\n",
    "lol.xml": b'<?xml version="1.0"?><!DOCTYPE Trials_downloaded_from_ICTRP [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY a%d "' % n + (b"&a%d;" % (n - 1) if n > 1 else b"&a;") * 10 + b'">' for n in range(1, 10))
    + b"]><Trials_downloaded_from_ICTRP><Trial><TrialID>&a9;</TrialID></Trial></Trials_downloaded_from_ICTRP>",
    "truncated.zip": _zip((("a.json", (CTGOV_DIR / "NCT00973089.json").read_bytes()),))[:-30],
}


def test_cli_refuses_hostile_files_and_keeps_the_store(tmp_path: Path) -> None:
    """Deep nesting, another encoding, an alias bomb, an entity bomb and a truncated zip, built by
    the command into a store that holds the seeds: each is named and refused (exit 2), nothing
    hangs or prints a traceback, and the five seed trials are still there."""
    store = tmp_path / "store"
    assert trialgraph("build", SEED_DATA, "--store", store, "--quiet").returncode == 0
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, data in HOSTILE.items():
        (folder / name).write_bytes(data)
    done = trialgraph("build", folder, "--store", store, "--quiet", timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for name in HOSTILE:
        assert f"skipped {folder / name}" in done.stderr, name
    after = seed_state(open_store(store, read_only=True))
    assert all(after[ident] for ident in SEED_IDS), after


# -- found by this suite, kept as regressions ----------------------------------------------------


def test_regression_a_huge_value_is_cut_in_the_error_that_quotes_it(tmp_path: Path) -> None:
    """A 50,000-character MeSH id in a curated file: the error quoted it whole (a 50 KB line)."""
    text = (SEED_DATA / "nct04445454.yaml").read_text(encoding="utf-8")
    assert "mesh: D018352" in text  # Coronavirus Infection, line 37 of the seed
    path = tmp_path / "huge.yaml"
    path.write_text(text.replace("mesh: D018352", "mesh: " + "D" * 50_000, 1), encoding="utf-8")
    (error,) = sources.read_all([path])
    assert isinstance(error, RecordError)
    first = str(error).splitlines()[0]
    assert len(first) < 300
    assert "'" + "D" * 79 + "…' is not a MeSH descriptor" in first


def test_regression_an_unknown_responsible_party_type_is_cut_in_the_warning(tmp_path: Path) -> None:
    """NCT00973089 names its responsible party by type; a 100,000-character type without a name
    was echoed whole in the warning."""
    doc = json.loads((CTGOV_DIR / "NCT00973089.json").read_bytes())
    party = doc["protocolSection"]["sponsorCollaboratorsModule"]["responsibleParty"]
    party.clear()
    party["type"] = "a" * 100_000
    path = tmp_path / "party.json"
    path.write_text(json.dumps(doc))
    (record,) = sources.read_all([path])
    assert isinstance(record, TrialRecord)
    (warning,) = [w for w in record.warnings if "responsible party" in w]
    assert warning.endswith("responsible party of type '" + "a" * 79 + "…' has no name; skipped")


@pytest.mark.parametrize(
    "original", [CTGOV_DIR / "NCT00973089.json", CTRDATA / "isrctn-20343063.json"], ids=["ctgov", "ctrdata"]
)
def test_regression_json_that_is_not_utf8_says_so(tmp_path: Path, original: Path) -> None:
    """UTF-16 (a byte-order mark FF FE, then two bytes a character) was "not valid JSON: str is
    not valid UTF-8: surrogates not allowed at line 1, column 1"."""
    text = original.read_text(encoding="utf-8")
    path = tmp_path / original.name
    path.write_bytes(text.encode("utf-16"))
    assert sources.format_for(path) is None  # no reader takes a UTF-16 file: "not a format"
    reader = sources.formats()["ctgov" if original.parent == CTGOV_DIR else "isrctn"]
    (error,) = reader.read(path)
    assert isinstance(error, RecordError)
    assert "not UTF-8 text (byte 0): save the file as UTF-8" in str(error)


def test_regression_a_control_character_in_curated_yaml_is_an_error_at_its_line(tmp_path: Path) -> None:
    """YAML forbids most C0 control characters; PyYAML refused U+0019 while the loader was being
    made, outside the reader's error handling (a traceback).  "title: a" is 8 characters, so the
    character is on line 3, column 9."""
    path = tmp_path / "control.yaml"
    path.write_bytes(b"identifiers:\n  - {registry: NCT, value: NCT04445454}\ntitle: a\x19b\n")
    (error,) = sources.read_all([path])
    assert isinstance(error, RecordError)
    assert str(error).startswith(
        f"{path}: record control: not valid YAML: the character U+0019 is not allowed in YAML text (line 3, column 9)"
    )


def test_regression_a_huge_record_id_is_cut_where_an_error_names_the_record(tmp_path: Path) -> None:
    """An NCT id of 100,003 characters named the record in the error (a 100 KB first line)."""
    doc = json.loads((CTGOV_DIR / "NCT00973089.json").read_bytes())
    doc["protocolSection"]["identificationModule"]["nctId"] = "NCT" + "1" * 100_000
    path = tmp_path / "id.json"
    path.write_text(json.dumps(doc))
    (error,) = sources.read_all([path])
    assert isinstance(error, RecordError)
    assert str(error).startswith(f"{path}: record NCT{'1' * 76}…: field protocolSection.identificationModule.nctId: ")
    assert len(str(error).splitlines()[0]) < 400


def test_regression_a_mesh_id_that_is_no_mesh_id_mints_no_iri(tmp_path: Path) -> None:
    """A MeSH term whose id was text ("word word") became the IRI .../condition/mesh-word word,
    which rdflib logs as invalid and no RDF syntax can write.  NCT00973089 lists its conditions'
    MeSH terms under derivedSection.conditionBrowseModule.meshes."""
    doc = json.loads((CTGOV_DIR / "NCT00973089.json").read_bytes())
    meshes = doc["derivedSection"]["conditionBrowseModule"]["meshes"]
    first = meshes[0]["id"]
    meshes[0]["id"] = "word word"
    path = tmp_path / "mesh.json"
    path.write_text(json.dumps(doc))
    (record,) = sources.read_all([path])
    assert isinstance(record, TrialRecord)
    ids = {c.mesh for c in record.conditions if c.mesh}
    assert "word word" not in ids and first not in ids
    assert "derivedSection.conditionBrowseModule.meshes[0].id: 'word word' is not a MeSH id; the term is left out" in (
        record.warnings
    )


def test_regression_a_huge_value_in_the_organisation_file_is_cut_in_its_error(tmp_path: Path) -> None:
    """A 300,000-character country of an organisation was quoted whole in the error."""
    path = tmp_path / "organizations.yaml"
    path.write_text("organizations:\n  - name: Medfiles\n    country: " + "Z" * 300_000 + "\n")
    with pytest.raises(InputError) as caught:
        load_curated(path)
    assert str(caught.value) == f"{path}: organizations[0] (Medfiles): 'country' '{'Z' * 79}…' is not a country"
