"""The streaming bulk load of a build (:class:`graph.store.bulkload.StreamingLoader`): what is
added arrives whole, however it is cut, and a load that fails says why instead of leaving the
build waiting for it."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.store.bulkload import StreamingLoader

G = "<https://example.org/record/1>"
LINES = [
    f'<https://example.org/trial/NCT01849237> <https://example.org/title> "Septic shock, Moscow" {G} .\n',
    f'<https://example.org/trial/NCT01849237> <https://example.org/title> "Ch\\u00f3c s\\u00e9ptico"@es {G} .\n',
    f"<https://example.org/trial/NCT01849237> <https://example.org/site> <https://example.org/site/1> {G} .\n",
    f'<https://example.org/site/1> <https://example.org/city> "Moscow" {G} .\n',
]


def test_n_quads_cut_anywhere_arrive_whole(tmp_path: Path) -> None:
    """Four lines sent in pieces of 7 bytes, most of them cut inside a line: four quads."""
    db = ox.Store(str(tmp_path / "db"))
    loader = StreamingLoader(db)
    text = "".join(LINES).encode()
    for i in range(0, len(text), 7):
        loader.add(text[i : i + 7])
    loader.close()
    assert len(db) == 4
    assert ox.Literal("Chóc séptico", language="es") in {q.object for q in db}


def test_a_line_longer_than_the_parser_buffer_goes_in_on_its_own(tmp_path: Path) -> None:
    db = ox.Store(str(tmp_path / "db"))
    loader = StreamingLoader(db)
    title = "x" * (StreamingLoader.LINE + 10)
    loader.add(LINES[0].encode())
    loader.add(f'<https://example.org/trial/2> <https://example.org/title> "{title}" {G} .\n'.encode())
    loader.close()
    assert len(db) == 2
    assert any(len(q.object.value) == len(title) for q in db)


def test_a_malformed_line_fails_the_load_with_the_parser_error(tmp_path: Path) -> None:
    db = ox.Store(str(tmp_path / "db"))
    loader = StreamingLoader(db)
    loader.add(LINES[0].encode())
    loader.add(b"<https://example.org/a> <https://example.org/b> unquoted text .\n")
    with pytest.raises(SyntaxError):
        loader.close()
    assert not loader.thread.is_alive()


def test_writing_after_the_load_failed_raises_instead_of_waiting(tmp_path: Path) -> None:
    """The load stops reading at its first bad line; what is added after it, far more than the
    loader's queue holds, must end in the load's error, not in a writer waiting for a load that
    has ended."""
    db = ox.Store(str(tmp_path / "db"))
    loader = StreamingLoader(db)
    outcome: list[BaseException] = []

    def write() -> None:
        try:
            loader.add(b"not n-quads at all\n")
            for _ in range(64):  # 64 batches of 392 KB: far more than the queue holds
                loader.add(LINES[3].encode() * 4000)
        except BaseException as exc:
            outcome.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(120)
    assert not writer.is_alive(), "the writer is still waiting for the load"
    assert len(outcome) == 1 and isinstance(outcome[0], SyntaxError)
