"""Typed errors.  Each names where the problem is and how to fix it; the CLI maps them to exit
codes (0 ok, 1 the data failed validation, 2 bad input or usage) and prints no traceback."""

from __future__ import annotations


class TrialgraphError(Exception):
    """Base class.  ``exit_code`` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\n  hint: {self.hint}" if self.hint else "")


class RecordError(TrialgraphError):
    """One source record is wrong.  Costs that record only."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        record: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = file
        if record:
            where += f": record {record}"
        if field:
            where += f": field {field}"
        super().__init__(f"{where}: {message}", hint=hint)
        self.file = file
        self.record = record
        self.field = field
        self.reason = message


class InputError(TrialgraphError):
    """A whole input (a file, a path, an option) cannot be used."""


class StoreError(TrialgraphError):
    """The store cannot be opened or written."""


class QueryError(TrialgraphError):
    """A query is unknown, malformed, or given wrong parameters."""


class ValidationFailed(TrialgraphError):
    exit_code = 1
