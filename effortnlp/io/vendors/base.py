"""Shared plumbing of the vendor readers: one export record -> ``Ticket`` s, errors as ``RowError``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...schema import Ticket, Turn
from ..errors import ErrorHandler, RowError
from ..records import Source, iter_records


class BadRecord(ValueError):
    """A record that is not what the vendor's export documents; becomes a ``RowError``."""


def as_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRecord(f"{what} must be a list, got {type(value).__name__}")
    return value


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRecord(f"{what} must be an object, got {type(value).__name__}")
    return value


def text_id(value: Any) -> str | None:
    """An id as text; ``None`` for blanks and for values no id can be (objects, lists, booleans)."""
    if value is None or value == "" or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def is_duplicate(src, row, ticket_id, seen, on_error) -> bool:
    from ..readers import _is_duplicate

    return _is_duplicate(src, row, ticket_id, seen, on_error)


Builder = Callable[[dict[str, Any], Source, int], Iterator[Ticket]]


def read_records(
    src: Source,
    on_error: ErrorHandler,
    chunksize: int,
    seen: dict[str, tuple[str, int]],
    build: Builder,
) -> Iterator[Ticket]:
    """Each record (a JSON object per line, or a page of them) through ``build``.

    ``build`` yields tickets (a page record yields several) and raises
    ``BadRecord`` -- or any ``KeyError``/``TypeError``/``ValueError``/
    ``AttributeError`` from a record of the wrong shape -- which becomes one
    ``RowError`` for that record; tickets already yielded from a page stay.
    """
    for row, record in iter_records(src, on_error, batch_size=chunksize):
        current: str | None = None
        try:
            for ticket in build(record, src, row):
                current = ticket.ticket_id
                if is_duplicate(src, row, ticket.ticket_id, seen, on_error):
                    continue
                yield ticket
                current = None
        except (BadRecord, KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = str(exc) if isinstance(exc, BadRecord) else f"{type(exc).__name__}: {exc}"
            on_error(RowError(src.name, row, reason, ticket_id=current))


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float):
        return text_id(value)
    return None


def make_turn(
    speaker: str,
    text: Any,
    timestamp: Any = None,
    channel: Any = None,
    agent_name: Any = None,
    is_bot: bool = False,
    speaker_raw: Any = None,
    meta: dict[str, Any] | None = None,
) -> Turn:
    """A ``Turn`` whose fields have the documented types whatever the export held there."""
    return Turn(
        speaker=speaker,
        text=text if isinstance(text, str) else "",
        timestamp=_text_or_none(timestamp),
        channel=_text_or_none(channel),
        agent_name=_text_or_none(agent_name),
        is_bot=bool(is_bot),
        speaker_raw=_text_or_none(speaker_raw),
        meta=meta or {},
    )
