"""ClinicalTrials.gov API v2 study JSON.

Four shapes reach this reader: a file holding one study (``{"protocolSection": ...}``), a page
of the API (``{"studies": [...], "nextPageToken": ...}``, as ``trialgraph fetch`` saves them), the
website's "Download -> JSON" (``ctg-studies.json``, a top-level array of studies), and the bulk
download, a ``.zip`` with one JSON file per study.  An archive is read member by member,
so memory stays flat however many studies it holds; a member's ``source_file`` is
``archive.zip!member.json``.

Each study maps to one :class:`graph.model.TrialRecord`.  A study that cannot be read (a field of
the wrong type, a malformed date, no ``protocolSection``) becomes one
:class:`graph.errors.RecordError` naming the file, the NCT id and the JSON path; the other
studies of the same page or archive still load.  An enumeration value outside the API v2
vocabulary is kept as text, with a warning on the record naming its JSON path.

Contact details are never read: ``centralContacts`` and the contacts of each location are
skipped, and the rule of :mod:`graph.contact` applies to every text read (a person's name or
affiliation holding a phone number or an e-mail address is dropped; an e-mail address elsewhere
is masked), with a warning naming the field.  A text longer than
:data:`graph.normalize.text.MAX_FIELD_CHARS` is cut, with a warning naming the field.  Id fields that
hold no id ("N/A", "none") are skipped with a warning.

This module reads the files (documents, pages, archives) and recognises them;
:mod:`graph.sources.ctgov_study` maps one study onto a record, and
:mod:`graph.sources.ctgov_json` reads its JSON values with their paths.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from graph.errors import RecordError
from graph.sources import ReadResult, SourceFormat, file_head, json_problem, kind_of, register
from graph.sources.ctgov_study import SOURCE, read_study

#: A study JSON larger than this inside an archive is refused rather than inflated in memory.
MAX_MEMBER_BYTES = 256 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_BOM = b"\xef\xbb\xbf"
_CORRUPT_HINT = "the file is truncated or corrupt: download it again, or remove it from the input"


# -- documents ------------------------------------------------------------------------------------


def _parse(data: bytes, source_file: str) -> Any:
    """The JSON document; raises :class:`RecordError` naming the line and column."""
    data = data.removeprefix(_BOM)
    try:
        return orjson.loads(data)
    except json.JSONDecodeError as exc:  # orjson's error is a subclass
        raise RecordError(
            json_problem(exc, data),
            file=source_file,
            hint=_CORRUPT_HINT,
        ) from None


def read_document(data: bytes, source_file: str) -> Iterator[ReadResult]:
    """The studies of one JSON document: a single study, an API page, or an array of studies."""
    try:
        doc = _parse(data, source_file)
    except RecordError as exc:
        yield exc
        return
    if isinstance(doc, dict) and "studies" in doc and "protocolSection" not in doc:
        studies = doc["studies"]
        if not isinstance(studies, list):
            yield RecordError(f"expected an array, found {kind_of(studies)}", file=source_file, field="studies")
            return
        for i, raw in enumerate(studies):
            yield read_study(raw, source_file, f"studies[{i}]")
    elif isinstance(doc, list):
        for i, raw in enumerate(doc):
            yield read_study(raw, source_file, f"[{i}]")
    elif isinstance(doc, dict):
        yield read_study(doc, source_file)
    else:
        yield RecordError(
            f"expected a study or an API page (a JSON object), found {kind_of(doc)}",
            file=source_file,
            hint=_CORRUPT_HINT,
        )


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".json")]


def zip_members(path: Path) -> int:
    """How many study members (``.json`` files) a zip holds; 0 when it cannot be opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            return len(_members(archive))
    except (zipfile.BadZipFile, OSError):
        return 0


def read_zip(path: Path, start: int = 0, stop: int | None = None) -> Iterator[ReadResult]:
    """The studies of a zip's ``.json`` members ``start`` to ``stop`` (all by default), so that
    several processes can share one archive."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield RecordError(f"not a readable zip archive ({exc})", file=str(path), hint=_CORRUPT_HINT)
        return
    with archive:
        for info in _members(archive)[start:stop]:
            source_file = f"{path}!{info.filename}"
            if info.file_size > MAX_MEMBER_BYTES:
                yield RecordError(
                    f"member is {info.file_size} bytes; studies larger than {MAX_MEMBER_BYTES} are refused",
                    file=source_file,
                )
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
                yield RecordError(f"cannot unpack this member ({exc})", file=source_file, hint=_CORRUPT_HINT)
                continue
            yield from read_document(data, source_file)


def read(path: Path) -> Iterator[ReadResult]:
    """Every study in ``path`` (a ``.json`` file or a ``.zip`` of them), in file order."""
    path = Path(path)
    if path.suffix.lower() == ".zip":
        yield from read_zip(path)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield RecordError(f"cannot read the file ({exc.strerror})", file=str(path))
        return
    yield from read_document(data, str(path))


# -- sniffing -------------------------------------------------------------------------------------


def _first_zip_member(head: bytes) -> str | None:
    """The name in the first local file header, without reading the central directory."""
    if len(head) < 30 or not head.startswith(_ZIP_MAGIC):
        return None
    (name_length,) = struct.unpack_from("<H", head, 26)
    return head[30 : 30 + name_length].decode("utf-8", "replace")


def _sniff_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(30 + 1024)
    except OSError:
        return False
    first = _first_zip_member(head)
    if first is None:
        return False
    if first.lower().endswith(".json"):
        return True
    # The first member is a folder or a README: fall back to the central directory.
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.lower().endswith(".json") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


#: Bytes of a ``.json`` file read to recognise it.
SNIFF_BYTES = 4096
#: Keys of which one is near the start of every API v2 document: a study, a page of the API,
#: or the website's download (an array of studies).
_SNIFF_KEYS = (b'"protocolSection"', b'"studies"')


def sniff(path: Path) -> bool:
    """A ``.json`` file starting with ``{`` or ``[`` that names ``protocolSection`` or
    ``studies`` in its first :data:`SNIFF_BYTES` bytes, or a ``.zip`` holding ``.json`` members."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _sniff_zip(path)
    if suffix != ".json":
        return False
    head = file_head(path, SNIFF_BYTES)
    if head is None:
        return False
    head = head.removeprefix(_BOM).lstrip()
    return head[:1] in (b"{", b"[") and any(key in head for key in _SNIFF_KEYS)


FORMAT = register(
    SourceFormat(
        name=SOURCE,
        description="ClinicalTrials.gov API v2 JSON: one study, an API page, the website download, or a zip of studies",
        sniff=sniff,
        read=read,
    )
)
