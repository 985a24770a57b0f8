"""A register that exists only for the tests: what adding a register takes.

This module is the whole reader.  Registering it is one line: its dotted name in the
``TRIALGRAPH_READERS`` environment variable (a built-in reader instead gets one line in
``graph.sources._BUILTIN``).  Its files end in ``.example.json`` and hold
``{"trials": [{"id", "title", "status"}]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from graph.errors import RecordError
from graph.model import Identifier, TrialRecord
from graph.sources import ReadResult, SourceFormat, register

SOURCE = "example"


def sniff(path: Path) -> bool:
    return path.name.endswith(".example.json")


def read(path: Path) -> Iterator[ReadResult]:
    for item in json.loads(path.read_bytes())["trials"]:
        if not item.get("id"):
            yield RecordError("a trial with no id", file=str(path), field="id")
            continue
        yield TrialRecord(
            SOURCE,
            item["id"],
            str(path),
            [Identifier("OTHER", item["id"])],
            title=item.get("title"),
            status=item.get("status"),
        )


FORMAT = register(SourceFormat(SOURCE, "a register that exists only for the tests", sniff, read))
