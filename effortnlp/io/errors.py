"""The two kinds of reading problem: a whole input that cannot be read, and one bad row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class InputError(ValueError):
    """The input as a whole cannot be read: missing file, unknown format, missing column...

    The message is one user-facing line naming the file (and column); the CLI
    prints it and exits with code 2.
    """


@dataclass(frozen=True, slots=True)
class RowError:
    """One row or line that could not become (part of) a ticket.

    ``row`` is the 1-based *physical line number* for JSONL, JSON and CSV/TSV
    input, counting the CSV header as line 1 (so the first data row of a CSV is
    line 2, exactly what an editor shows; a quoted multi-line record is numbered
    by its first line). For Parquet it is the 0-based row index. It is ``None``
    when the problem concerns a whole file inside a directory (unsupported type,
    empty, unreadable).
    """

    source: str
    row: int | None
    reason: str
    ticket_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "row": self.row,
            "reason": self.reason,
            "ticket_id": self.ticket_id,
        }

    def __str__(self) -> str:
        where = self.source if self.row is None else f"{self.source}:{self.row}"
        return f"{where}: {self.reason}"


ErrorHandler = Callable[[RowError], None]


def raise_row_error(error: RowError) -> None:
    """The default handler: a bad row stops the read."""
    raise InputError(str(error))
