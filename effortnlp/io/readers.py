"""``read_tickets``: exported support tickets -> a stream of ``Ticket``.

Formats (``format=``; auto-detected when ``None``):

``jsonl``
    One ticket per record: ``{"ticket_id", "turns": [{"speaker", "text", ...}], ...}``.
    ``id`` is accepted for ``ticket_id``, ``role`` for ``speaker``, ``message``/
    ``content`` for ``text``; a turn given as a string is read as ``Speaker: text``.
    Other keys go to ``Ticket.meta`` (a ``meta`` object is merged in), other turn
    keys to ``Turn.meta``. Usually a ``.jsonl`` file or a ``.json`` array, but
    also a CSV/Parquet table with a ``turns`` column (JSON text or nested list).
``turns``
    One row per turn: ``ticket_id, speaker, text`` and optionally ``timestamp,
    channel, agent_name`` (names set by ``id_col``, ``speaker_col``, ``text_col``,
    ``timestamp_col``, ``channel_col``, ``agent_col``). A ticket's rows need not
    be contiguous. Two passes: the first reads only ids to learn each ticket's
    last row; the second streams rows and emits a ticket at its last row, so
    memory holds only the tickets still open. **Tickets come out in the order of
    their last row**; turns keep file order. Other columns go to ``Ticket.meta``
    when constant across the ticket's rows, else to ``Turn.meta``. A ticket must
    live in one file: in a directory, rows of a ticket already read from an
    earlier file are reported as duplicates.
``tickets``
    One row per ticket with a ``Speaker: text`` transcript (``transcript_col``,
    default ``transcript``; id ``id_col``). See ``speakers.parse_transcript``.
    Other columns go to ``Ticket.meta``.
``zendesk``, ``intercom``, ``freshdesk``, ``salesforce``, ``email``, ``transcript``
    Help-desk exports as the vendors produce them (``vendors``; docs/formats.md),
    with the normalised metadata of ``ticketmeta``.

Detection: the file type comes from the extension (``.csv``, ``.tsv``, ``.jsonl``/
``.ndjson``, ``.json``, ``.parquet``/``.pq``, ``.eml``, ``.mbox``; by content for
other names). A vendor export is recognised first (``vendors.detect``: its
record shape or columns); otherwise the format comes from the columns of the
CSV header / Parquet schema / first JSON object: a ``turns`` column means
``jsonl``; speaker and text columns mean ``turns``; a transcript column means
``tickets``. A ``.json`` file may be an array, JSONL, or one pretty-printed object.

Repeat contacts: with ``repeat_window`` (default ``7d``) the input is read twice
to link tickets of the same requester (``repeats``); ``"none"`` reads it once.

Policies:

* Every data row ends in a yielded ticket or a ``RowError``; with ``on_error=None``
  the first ``RowError`` raises ``InputError`` instead.
* Duplicate ticket ids (any format, across all files of one read): the first is
  kept; later ones are ``RowError`` s ("duplicate ticket_id, first seen at line N").
* A ticket with no turns or no text is still yielded.
* An empty file (no bytes, or only whitespace) is an ``InputError``; a CSV with
  only a header, a Parquet file with no rows or ``[]`` give zero tickets.
* In a directory, a file-level problem (unsupported type, empty, missing column)
  is a ``RowError`` with ``row=None`` and the other files are still read.
  Dot-files are skipped.
* Required columns are checked against the CSV header / Parquet schema; JSON
  records are sparse by nature, so there a missing id is a per-row error and a
  missing speaker or text is just empty.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from ..schema import Ticket, Turn, _new_turn, _TurnSlots, new_turn
from .errors import ErrorHandler, InputError, RowError, raise_row_error
from .records import (
    FILE_TYPES,
    Source,
    check_readable,
    first_columns,
    iter_records,
    list_directory,
    make_source,
    parquet_file,
    stdin_source,
)
from .repeats import DEFAULT_WINDOW, RepeatIndex, parse_window
from .speakers import Role, parse_transcript, resolve_speakers
from .text import clean_id, clean_meta, clean_optional, clean_text, json_loads
from .ticketmeta import LINK_FIELDS as _LINK_FIELDS
from .vendors import VENDOR_FORMATS
from .vendors import detect as detect_vendor
from .vendors import reader as vendor_reader

#: Ticket layouts ``read_tickets`` understands: ours, then the help-desk exports.
FORMATS: tuple[str, ...] = ("jsonl", "turns", "tickets", *VENDOR_FORMATS)

_TURN_SPEAKER_KEYS = ("speaker", "role")
_TURN_TEXT_KEYS = ("text", "message", "content")
_TURN_FIELDS = ("timestamp", "channel", "agent_name")


@dataclass(frozen=True)
class ColumnOptions:
    """Column names; ``explicit`` holds the ones the caller set (and so must exist)."""

    id_col: str = "ticket_id"
    speaker_col: str = "speaker"
    text_col: str = "text"
    timestamp_col: str = "timestamp"
    channel_col: str = "channel"
    agent_col: str = "agent_name"
    transcript_col: str = "transcript"
    explicit: frozenset[str] = frozenset()
    #: Set only by callers that build tickets without ``read_tickets`` (batch's
    #: raw-line path): the builders then attach repeat contacts themselves.
    repeat_window: str | None = None

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> ColumnOptions:
        options = dict(options)
        repeat_window = options.pop("repeat_window", None)
        if repeat_window is not None:
            try:
                parse_window(repeat_window)  # validate early
            except ValueError as exc:
                raise InputError(str(exc)) from exc
            repeat_window = str(repeat_window)
        allowed = set(cls.__dataclass_fields__) - {"explicit", "repeat_window"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise TypeError(
                f"unknown column option(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(sorted(allowed))}"
            )
        for key, value in options.items():
            if not isinstance(value, str) or not value:
                raise TypeError(f"{key} must be a non-empty column name, got {value!r}")
        return cls(**options, explicit=frozenset(options), repeat_window=repeat_window)

    def ticket_id(self, record: dict[str, Any]) -> tuple[str | None, str | None]:
        """``(id, key it came from)``; ``id`` stands in for ``ticket_id`` unless id_col was set."""
        if record.get(self.id_col) is not None or "id_col" in self.explicit:
            return clean_id(record.get(self.id_col)), self.id_col
        if "id" in record:
            return clean_id(record["id"]), "id"
        return None, None


# ------------------------------------------------------------------ public API


def read_tickets(
    path: str | os.PathLike[str],
    format: str | None = None,
    *,
    on_error: ErrorHandler | None = None,
    chunksize: int = 10_000,
    repeat_window: str | None = DEFAULT_WINDOW,
    **column_options: str,
) -> Iterator[Ticket]:
    """Stream the tickets of a file, a directory (recursively, sorted by path) or ``-`` (stdin JSONL).

    ``on_error`` receives a ``RowError`` per bad row; without it the first bad
    row raises ``InputError``. ``chunksize`` is the Parquet batch size (text
    files are streamed line by line). Column options: ``id_col``,
    ``speaker_col``, ``text_col``, ``timestamp_col``, ``channel_col``,
    ``agent_col``, ``transcript_col``. Each ticket's ``source`` is
    ``file:line`` (``file:row`` for Parquet) of its first row.

    ``repeat_window`` (``"7d"``; ``"48h"``, ``"2w"``...; ``0``/``"none"`` turns it
    off) links tickets of the same requester opened within that time, and
    explicit follow-ups, as ``meta["repeat_contacts"]``: the input is then read
    twice (stdin is spooled to a temporary file). See ``repeats``.

    Problems with the path, ``format`` or options raise here; everything else
    while iterating.
    """
    fmt = _check_format(format)
    options = ColumnOptions.from_kwargs(column_options)
    try:
        window = parse_window(repeat_window)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    if chunksize < 1:
        raise ValueError(f"chunksize must be at least 1, got {chunksize}")
    sources, is_dir = _resolve(path, fmt)
    if window is None:
        return _read_all(sources, is_dir, fmt, options, on_error, chunksize)
    return _read_linked(sources, is_dir, fmt, options, on_error, chunksize, window)


def _read_linked(sources, is_dir, fmt, options, on_error, chunksize, window) -> Iterator[Ticket]:
    """Pass 1 indexes requesters and times; pass 2 streams the tickets with their links."""
    for src in sources:
        if isinstance(src, Source):
            src.make_rereadable()
    try:
        first = _read_all(sources, is_dir, fmt, options, _drop, chunksize, close=False, for_index=True)
        index = RepeatIndex.build(first, window)
    except InputError:
        index = None  # pass 2 reports it where it belongs
    for ticket in _read_all(sources, is_dir, fmt, options, on_error, chunksize):
        yield index.attach(ticket) if index is not None else ticket


def _drop(_: RowError) -> None:
    pass


def count_input_rows(
    path: str | os.PathLike[str], format: str | None = None, **column_options: str
) -> int | None:
    """How many tickets a progress bar should expect, when that is cheap to know; else ``None``.

    Known for JSONL/``.json``-as-JSONL in the ``jsonl``/``tickets`` formats (non-blank
    lines, so bad and duplicate lines are included) and for Parquet (row count
    from the metadata; distinct ids for ``turns``). CSV and stdin give ``None``.
    """
    fmt = _check_format(format)
    options = ColumnOptions.from_kwargs(column_options)
    if str(path) == "-":
        return None
    sources, _ = _resolve(path)
    total = 0
    for src in sources:
        if isinstance(src, RowError):
            continue
        try:
            check_readable(src)
            file_fmt = fmt or _detect_format(src, options)
            if file_fmt in VENDOR_FORMATS:
                return None  # pages, grouped rows, mailboxes: lines are not tickets
            count = _count_source(src, file_fmt, options)
        except InputError:
            return None
        if count is None:
            return None
        total += count
    return total


# ------------------------------------------------------------------ plumbing


def _check_format(format: str | None) -> str | None:
    if format is None or format == "auto":
        return None
    if format not in FORMATS:
        raise InputError(f"unknown format {format!r}; expected one of: {', '.join(FORMATS)}")
    return format


def _resolve(
    path: str | os.PathLike[str], fmt: str | None = None
) -> tuple[list[Source | RowError], bool]:
    if str(path) == "-":
        return [stdin_source()], False
    p = Path(path)
    if p.is_dir():
        entries: list[Source | RowError] = []
        for file in list_directory(p):
            # Mail and call transcripts come as files of any name (.txt, .msg, none).
            if file.suffix.lower() in FILE_TYPES or fmt in ("email", "transcript"):
                entries.append(make_source(file))
            else:
                entries.append(
                    RowError(
                        str(file),
                        None,
                        f"unsupported file type {file.suffix or '(no extension)'!r}; "
                        f"expected one of {', '.join(FILE_TYPES)}",
                    )
                )
        if not any(isinstance(e, Source) for e in entries):
            raise InputError(f"directory {p} has no supported files ({', '.join(FILE_TYPES)})")
        return entries, True
    if not p.exists():
        raise InputError(f"input file {p} does not exist")
    if not p.is_file():
        raise InputError(f"input {p} is not a regular file or directory")
    try:
        return [make_source(p)], False
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from exc


def _read_all(
    sources: list[Source | RowError],
    is_dir: bool,
    fmt: str | None,
    options: ColumnOptions,
    on_error: ErrorHandler | None,
    chunksize: int,
    close: bool = True,
    for_index: bool = False,
) -> Iterator[Ticket]:
    """Every source's tickets; ``for_index``: only what ``RepeatIndex.build`` reads of them (see
    ``_index_ticket_from_nested_record``)."""
    handler = on_error or raise_row_error
    seen: dict[str, tuple[str, int]] = {}
    if is_dir and _is_mailbox(sources, fmt):
        # A folder of .eml/mbox files is one mailbox: threads span files.
        from .vendors.email import read_mailbox

        files = [s for s in sources if isinstance(s, Source)]
        for entry in sources:
            if isinstance(entry, RowError):
                handler(entry)
        try:
            yield from read_mailbox(files, handler, seen)
        finally:
            if close:
                for src in files:
                    src.close()
        return
    for src in sources:
        if isinstance(src, RowError):
            handler(src)
            continue
        try:
            yield from _read_source(src, fmt, options, handler, chunksize, seen, for_index)
        except InputError as exc:
            if not is_dir or on_error is None:
                raise
            # A file-level problem inside a directory: report it, read the rest.
            reason = str(exc).removeprefix(f"{src.name}: ").removeprefix(src.name + " ")
            handler(RowError(src.name, None, reason))
        finally:
            if close:
                src.close()


def _is_mailbox(sources: list[Source | RowError], fmt: str | None) -> bool:
    files = [s for s in sources if isinstance(s, Source)]
    if fmt is not None:
        return fmt == "email"
    return bool(files) and all(s.filetype in ("eml", "mbox") for s in files)


def _detect_format(src: Source, options: ColumnOptions) -> str:
    vendor = detect_vendor(src)
    if vendor is not None:
        return vendor
    columns = first_columns(src)
    if columns is None:
        return "jsonl"  # nothing parses as a record: let the jsonl reader report the rows
    names = set(columns)
    if "turns" in names:
        return "jsonl"
    if options.speaker_col in names and options.text_col in names:
        return "turns"
    if options.transcript_col in names:
        return "tickets"
    shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
    raise InputError(
        f"cannot tell the format of {src.name}: its columns are [{shown}]; expected "
        f"'turns' (jsonl), '{options.speaker_col}' + '{options.text_col}' (turns) or "
        f"'{options.transcript_col}' (tickets); pass format="
    )


def check_explicit_format(src: Source, fmt: str, options: ColumnOptions) -> None:
    """InputError when the first JSON record plainly belongs to another format than ``fmt``.

    JSON records are sparse, so a missing key proves nothing; but a record
    with a ``turns`` list read as ``--format turns`` (or ``tickets``) would
    quietly score every ticket as empty. Tables are checked by their header
    (``_require_columns``).
    """
    if fmt not in ("jsonl", "turns", "tickets") or src.filetype not in ("jsonl", "json"):
        return
    columns = first_columns(src)
    if not columns:
        return
    names = set(columns)
    looks = detect_vendor(src)
    if looks is None:
        if "turns" in names:
            looks = "jsonl"
        elif options.speaker_col in names and options.text_col in names:
            looks = "turns"
        elif options.transcript_col in names:
            looks = "tickets"
    if looks is not None and looks != fmt:
        shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
        raise InputError(
            f"{src.name} does not look like --format {fmt}: its first record has the keys "
            f"[{shown}] of the {looks!r} format; pass --format {looks} or leave --format out"
        )


def _require_columns(src: Source, required: list[str], options: ColumnOptions) -> None:
    if src.filetype not in ("csv", "tsv", "parquet"):
        return
    columns = first_columns(src)
    if columns is None:
        return
    names = set(columns)
    for col in required:
        if col in names:
            continue
        if col == options.id_col and "id_col" not in options.explicit and "id" in names:
            continue
        raise InputError(
            f"{src.name}: missing required column {col!r} (columns: {', '.join(columns)})"
        )


def _read_source(
    src: Source,
    fmt: str | None,
    options: ColumnOptions,
    on_error: ErrorHandler,
    chunksize: int,
    seen: dict[str, tuple[str, int]],
    for_index: bool = False,
) -> Iterator[Ticket]:
    check_readable(src)
    if fmt is not None:
        check_explicit_format(src, fmt, options)
    fmt = fmt or _detect_format(src, options)
    if fmt in VENDOR_FORMATS:
        yield from vendor_reader(fmt)(src, options, on_error, chunksize, seen)
        return
    if fmt == "turns":
        yield from _read_turns(src, options, on_error, chunksize, seen)
        return
    if fmt == "tickets":
        _require_columns(src, [options.id_col, options.transcript_col], options)
        build: Callable[..., Ticket | None] = _ticket_from_transcript_row
    else:
        _require_columns(src, [options.id_col, "turns"], options)
        build = _index_ticket_from_nested_record if for_index else _ticket_from_nested_record
    for row, record in iter_records(src, on_error, batch_size=chunksize):
        ticket_id, id_key = options.ticket_id(record)
        if ticket_id is None:
            on_error(RowError(src.name, row, f"missing {options.id_col}"))
            continue
        if _is_duplicate(src, row, ticket_id, seen, on_error):
            continue
        ticket = build(src, row, ticket_id, id_key, record, options, on_error)
        if ticket is not None:
            yield ticket


def _is_duplicate(
    src: Source, row: int, ticket_id: str, seen: dict[str, tuple[str, int]], on_error: ErrorHandler
) -> bool:
    first = seen.get(ticket_id)
    if first is None:
        seen[ticket_id] = (src.name, row)
        return False
    where = f"line {first[1]}" if first[0] == src.name else f"{first[0]}:{first[1]}"
    if src.filetype == "parquet" and first[0] == src.name:
        where = f"row {first[1]}"
    on_error(
        RowError(src.name, row, f"duplicate ticket_id, first seen at {where}", ticket_id=ticket_id)
    )
    return True


# ------------------------------------------------------------------ builders


def _make_turns(raw_turns: list[dict[str, Any]]) -> tuple[Turn, ...]:
    """Turns from dicts holding ``label``, ``text`` and optional fields, roles resolved per ticket."""
    roles = resolve_speakers([t["label"] for t in raw_turns])
    turns = []
    for raw, role in zip(raw_turns, roles, strict=True):
        is_bot = role.is_bot or bool(raw.get("is_bot"))
        speaker = "agent" if is_bot and role.speaker != "system" else role.speaker
        agent_name = raw.get("agent_name")
        if agent_name is None and speaker == "agent" and role.name:
            agent_name = role.name
        turns.append(
            new_turn(
                speaker,
                raw["text"],
                raw.get("timestamp"),
                raw.get("channel"),
                agent_name,
                is_bot,
                raw.get("speaker_raw", raw["label"]),
                raw.get("meta") or {},
            )
        )
    return tuple(turns)


def _first_present(record: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, str | None]:
    for key in keys:
        if key in record:
            return record[key], key
    return None, None


_TRUE = (True, "true", "True", 1)


def _nested_turn(turn: dict[str, Any]) -> dict[str, Any]:
    label, speaker_key = _first_present(turn, _TURN_SPEAKER_KEYS)
    text, text_key = _first_present(turn, _TURN_TEXT_KEYS)
    raw: dict[str, Any] = {"label": clean_optional(label), "text": clean_text(text)}
    for key in _TURN_FIELDS:
        raw[key] = clean_optional(turn.get(key))
    if turn.get("speaker_raw") is not None:
        # Our own output read back: speaker is canonical, the label is speaker_raw.
        raw["speaker_raw"] = clean_optional(turn["speaker_raw"])
    raw["is_bot"] = turn.get("is_bot") in _TRUE
    known = {speaker_key, text_key, "speaker_raw", "is_bot", "meta", *_TURN_FIELDS}
    meta = dict(turn["meta"]) if isinstance(turn.get("meta"), dict) else {}
    meta.update({k: clean_meta(v) for k, v in turn.items() if k not in known})
    raw["meta"] = meta
    return raw


_PLAIN_TURN_KEYS = frozenset({"speaker", "text", "timestamp", "channel", "agent_name", "is_bot"})
_JUST_DICT = {dict}
_JUST_STR = {str}
_JUST_NONE = {type(None)}
_STR_OR_NONE = {str, type(None)}


def _plain_nested_turns(turns_value: list[Any] | tuple[Any, ...]) -> tuple[Turn, ...] | None:
    """``_make_turns(map(_nested_turn, turns))`` for the usual turns, faster; ``None`` for the others.

    Usual: every turn a dict holding only ``speaker``, ``text``, ``timestamp``,
    ``channel`` and ``agent_name``, each a ``str`` or ``None``, and ``is_bot``.
    Then cleaning is stripping (``clean_optional``) or nothing
    (``clean_text``), there is no ``speaker_raw`` or meta, and no
    intermediate dicts are needed. The checks and cleaning go a field at a
    time over the whole ticket (``map``/``set``, which loop in C), roles are
    resolved once per distinct label, and each turn is then only built.
    """
    if not turns_value:
        return ()
    if set(map(type, turns_value)) != _JUST_DICT:
        return None
    keys = set().union(*turns_value)
    if not keys <= _PLAIN_TURN_KEYS:
        return None
    n = len(turns_value)
    get = dict.get
    texts = list(map(get, turns_value, repeat("text")))
    types = set(map(type, texts))
    if types != _JUST_STR:
        if not types <= _STR_OR_NONE:
            return None
        texts = ["" if t is None else t for t in texts]
    columns = []
    for key in ("speaker", "timestamp", "channel", "agent_name"):
        column = _stripped(list(map(get, turns_value, repeat(key)))) if key in keys else [None] * n
        if column is None:
            return None
        columns.append(column)
    labels, stamps, channels, agents = columns
    # One label has one role in a ticket, and the unknown label taken for the
    # customer is the first to appear (``resolve_speakers``): so the distinct
    # labels, in order of appearance, resolve to the roles the full list would.
    distinct = list(dict.fromkeys(labels))
    roles = zip(distinct, resolve_speakers(distinct), strict=True)
    if "is_bot" in keys:
        looks = {(label, bot): _look(role, bot) for label, role in roles for bot in (False, True)}
        bots = map(_TRUE.__contains__, map(get, turns_value, repeat("is_bot")))
        per_turn = list(map(looks.__getitem__, zip(labels, bots, strict=True)))
    else:
        plain_looks = {label: _look(role, False) for label, role in roles}
        per_turn = list(map(plain_looks.__getitem__, labels))
    columns = zip(per_turn, labels, texts, stamps, channels, agents, strict=True)
    if not _INLINE_NEW_TURN:
        make = new_turn
        return tuple(
            [
                make(speaker, text, stamp, channel, name if agent is None else agent, is_bot, label, {})
                for (speaker, is_bot, name), label, text, stamp, channel, agent in columns
            ]
        )
    # ``new_turn``'s body, inlined: the call alone is about a quarter of building a turn.
    out = []
    append = out.append
    for (speaker, is_bot, name), label, text, stamp, channel, agent in columns:
        t = _TurnSlots()
        t.speaker = speaker
        t.text = text
        t.timestamp = stamp
        t.channel = channel
        t.agent_name = name if agent is None else agent
        t.is_bot = is_bot
        t.speaker_raw = label
        t.meta = {}
        t.__class__ = Turn
        append(t)
    return tuple(out)


#: ``_plain_nested_turns`` inlines ``schema._new_turn`` when that is the ``new_turn`` in use
#: (it checked at import that it builds exactly what ``Turn`` builds).
_INLINE_NEW_TURN = new_turn is _new_turn


def _stripped(values: list[Any]) -> list[str | None] | None:
    """``clean_optional`` of a field's ``str``/``None`` values; ``None`` if one is of another type."""
    types = set(map(type, values))
    if types == _JUST_STR:
        out = list(map(str.strip, values))
        return out if all(out) else [v or None for v in out]
    if types <= _JUST_NONE:
        return values
    if types == _STR_OR_NONE:
        return [None if v is None else v.strip() or None for v in values]
    return None


def _look(role: Role, bot: bool) -> tuple[str, bool, str | None]:
    """A turn's ``speaker``, ``is_bot`` and default ``agent_name`` (``_make_turns``' rules)."""
    is_bot = role.is_bot or bot
    speaker = "agent" if is_bot and role.speaker != "system" else role.speaker
    return speaker, is_bot, role.name if speaker == "agent" and role.name else None


#: Value types ``clean_meta`` returns as they are (a float may be NaN, which it clears).
_META_AS_IS = {str, int, bool, type(None), list, dict}


def _record_meta(record: dict[str, Any], id_key: str | None) -> dict[str, Any]:
    """A nested record's ticket metadata: its ``meta`` object, then every other field but the id and turns."""
    meta = dict(record["meta"]) if isinstance(record.get("meta"), dict) else {}
    skip = (id_key, "turns", "meta")
    if set(map(type, record.values())) <= _META_AS_IS:  # JSON without floats: nothing to clean
        meta.update({k: v for k, v in record.items() if k not in skip})
    else:
        meta.update({k: clean_meta(v) for k, v in record.items() if k not in skip})
    return meta


def _ticket_from_nested_record(
    src: Source,
    row: int,
    ticket_id: str,
    id_key: str | None,
    record: dict[str, Any],
    options: ColumnOptions,
    on_error: ErrorHandler,
) -> Ticket | None:
    turns_value = record.get("turns")
    if isinstance(turns_value, str):  # a CSV cell holding JSON
        try:
            turns_value = json_loads(turns_value) if turns_value.strip() else []
        except ValueError as exc:
            on_error(RowError(src.name, row, f"turns is not valid JSON: {exc}", ticket_id))
            return None
    if turns_value is None:
        turns_value = []
    if not isinstance(turns_value, list | tuple):
        on_error(
            RowError(
                src.name, row, f"turns must be a list, got {type(turns_value).__name__}", ticket_id
            )
        )
        return None
    turns = _plain_nested_turns(turns_value)
    if turns is not None:
        meta = _record_meta(record, id_key)
        return _linked(src, Ticket(ticket_id, turns, meta, f"{src.name}:{row}"), options, "jsonl")
    raw_turns: list[dict[str, Any]] = []
    for i, turn in enumerate(turns_value):
        if isinstance(turn, dict):
            raw_turns.append(_nested_turn(turn))
        elif isinstance(turn, str):
            for line in parse_transcript(turn) or [None]:
                raw_turns.append(
                    {"label": line.label, "text": line.text, "timestamp": line.timestamp}
                    if line
                    else {"label": None, "text": ""}
                )
        else:
            on_error(
                RowError(
                    src.name, row, f"turn {i} is a {type(turn).__name__}, not an object", ticket_id
                )
            )
            return None
    meta = _record_meta(record, id_key)
    ticket = Ticket(ticket_id, _make_turns(raw_turns), meta, f"{src.name}:{row}")
    return _linked(src, ticket, options, "jsonl")


def _index_ticket_from_nested_record(
    src: Source,
    row: int,
    ticket_id: str,
    id_key: str | None,
    record: dict[str, Any],
    options: ColumnOptions,
    on_error: ErrorHandler,
) -> Ticket | None:
    """What the repeat-contact index reads of ``_ticket_from_nested_record``'s ticket, cheaply.

    ``RepeatIndex.build`` reads a ticket's id, a few meta keys and its first
    turn's timestamp and channel. When every turn is an object (the usual
    export), the full builder keeps one turn per object, in order, with those
    two fields from ``_nested_turn``: so this builds only the first turn (its
    speaker and text left out), skipping the cleaning and speaker resolution
    of every other turn, and only the meta keys the index reads, with the
    values the full meta has (``_link_meta``). Anything else goes to the full
    builder.
    """
    turns_value = record.get("turns")
    if turns_value.__class__ is not list or (turns_value and set(map(type, turns_value)) != _JUST_DICT):
        return _ticket_from_nested_record(src, row, ticket_id, id_key, record, options, on_error)
    turns: tuple[Turn, ...] = ()
    if turns_value:
        first = turns_value[0]  # its timestamp and channel cleaned as ``_nested_turn`` does
        stamp, channel = clean_optional(first.get("timestamp")), clean_optional(first.get("channel"))
        turns = (Turn("customer", "", stamp, channel),)
    return Ticket(ticket_id, turns, _link_meta(record, id_key), f"{src.name}:{row}")


def _link_meta(record: dict[str, Any], id_key: str | None) -> dict[str, Any]:
    """``_record_meta`` cut down to the keys the repeat index reads (``ticketmeta.LINK_FIELDS``).

    The same values under those keys (the ``meta`` object's, then the record's
    own fields cleaned, the id excepted), without copying and cleaning the
    rest: a record's other fields (scores, labels, notes) can be many.
    """
    inner = record.get("meta")
    meta = {k: inner[k] for k in _LINK_FIELDS.intersection(inner)} if isinstance(inner, dict) else {}
    for key in _LINK_FIELDS.intersection(record):
        if key != id_key:
            meta[key] = clean_meta(record[key])
    return meta


def _ticket_from_transcript_row(
    src: Source,
    row: int,
    ticket_id: str,
    id_key: str | None,
    record: dict[str, Any],
    options: ColumnOptions,
    on_error: ErrorHandler,
) -> Ticket:
    transcript = clean_text(record.get(options.transcript_col))
    raw_turns = [
        {"label": line.label, "text": line.text, "timestamp": line.timestamp}
        for line in parse_transcript(transcript)
    ]
    meta = {
        k: clean_meta(v) for k, v in record.items() if k not in (id_key, options.transcript_col)
    }
    ticket = Ticket(ticket_id, _make_turns(raw_turns), meta, f"{src.name}:{row}")
    return _linked(src, ticket, options, "tickets")


_LAZY_INDEXES: dict[tuple, RepeatIndex | None] = {}


def _linked(src: Any, ticket: Ticket, options: ColumnOptions, fmt: str) -> Ticket:
    """Repeat contacts for tickets built outside ``read_tickets`` (``options.repeat_window`` set).

    ``read_tickets`` links its tickets itself and never sets the option. A caller
    that parses raw lines of a file (batch scoring) does: the index of that file
    is built once per process on first use, by a ``read_tickets`` pass.
    """
    index = warm_repeat_index(src.name, fmt, options)
    return index.attach(ticket) if index is not None else ticket


def warm_repeat_index(path: str, fmt: str, options: ColumnOptions) -> RepeatIndex | None:
    """The repeat index ``_linked`` uses for ``path``, built now if it is not yet.

    A caller that forks workers over raw lines can call this in the parent first,
    so the workers inherit one index instead of each building its own.
    """
    window = options.repeat_window
    if window is None or parse_window(window) is None:
        return None
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns, fmt, options)
    if key not in _LAZY_INDEXES:
        cols = {k: getattr(options, k) for k in options.explicit}
        try:
            file_fmt = _check_format(fmt)
            sources, is_dir = _resolve(p, file_fmt)
            plain = ColumnOptions.from_kwargs(cols)  # the same columns, no repeat window
            tickets = _read_all(sources, is_dir, file_fmt, plain, _drop, 10_000, for_index=True)
            index: RepeatIndex | None = RepeatIndex.build(tickets, parse_window(window))
        except InputError:
            index = None
        _LAZY_INDEXES.clear()  # one file at a time
        _LAZY_INDEXES[key] = index
    return _LAZY_INDEXES[key]


def _read_turns(
    src: Source,
    options: ColumnOptions,
    on_error: ErrorHandler,
    chunksize: int,
    seen: dict[str, tuple[str, int]],
) -> Iterator[Ticket]:
    _require_columns(src, [options.id_col, options.speaker_col, options.text_col], options)
    optional = {
        "timestamp": options.timestamp_col,
        "channel": options.channel_col,
        "agent_name": options.agent_col,
    }
    explicit_optional = [
        col
        for key, col in (
            ("timestamp_col", options.timestamp_col),
            ("channel_col", options.channel_col),
            ("agent_col", options.agent_col),
        )
        if key in options.explicit
    ]
    _require_columns(src, explicit_optional, options)
    src.make_rereadable()

    # Pass 1: ids only (one column for Parquet), to learn where each ticket ends.
    id_columns = None
    if src.filetype == "parquet":
        columns = first_columns(src) or []
        id_columns = [options.id_col if options.id_col in columns else "id"]
    last_row: dict[str, int] = {}
    for row, record in iter_records(src, lambda e: None, batch_size=chunksize, columns=id_columns):
        ticket_id, _ = options.ticket_id(record)
        if ticket_id is not None:
            last_row[ticket_id] = row

    # Pass 2: stream the rows, emitting each ticket at its last row.
    known = {options.speaker_col, options.text_col, *optional.values()}
    open_tickets: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for row, record in iter_records(src, on_error, batch_size=chunksize):
        ticket_id, id_key = options.ticket_id(record)
        if ticket_id is None:
            on_error(RowError(src.name, row, f"missing {options.id_col}"))
            continue
        rows = open_tickets.get(ticket_id)
        if rows is None:
            if _is_duplicate(src, row, ticket_id, seen, on_error):
                continue
            rows = open_tickets[ticket_id] = []
        extra = {k: clean_meta(v) for k, v in record.items() if k not in known and k != id_key}
        turn = {
            "label": clean_optional(record.get(options.speaker_col)),
            "text": clean_text(record.get(options.text_col)),
            **{key: clean_optional(record.get(col)) for key, col in optional.items()},
            "meta": extra,
        }
        rows.append((row, turn))
        if last_row.get(ticket_id) == row:
            yield _ticket_from_turn_rows(src, ticket_id, open_tickets.pop(ticket_id))
    # Only if the file changed between the passes: flush what is left, oldest first.
    for ticket_id, rows in open_tickets.items():
        yield _ticket_from_turn_rows(src, ticket_id, rows)


def _ticket_from_turn_rows(
    src: Source, ticket_id: str, rows: list[tuple[int, dict[str, Any]]]
) -> Ticket:
    turns = [turn for _, turn in rows]
    # Columns with one value across the ticket are ticket metadata (customer tier,
    # csat, queue...); the rest stay on their turns.
    keys: dict[str, None] = {}
    for turn in turns:
        keys.update(dict.fromkeys(turn["meta"]))
    ticket_meta = {}
    for key in keys:
        values = [turn["meta"].get(key) for turn in turns]
        if all(v == values[0] for v in values):
            ticket_meta[key] = values[0]
            for turn in turns:
                turn["meta"].pop(key, None)
    return Ticket(ticket_id, _make_turns(turns), ticket_meta, f"{src.name}:{rows[0][0]}")


def _count_source(src: Source, fmt: str, options: ColumnOptions) -> int | None:
    if src.filetype == "parquet":
        pf = parquet_file(src)
        if fmt != "turns":
            return pf.metadata.num_rows
        columns = pf.schema_arrow.names
        id_col = options.id_col if options.id_col in columns else "id"
        if id_col not in columns:
            return None
        ids: set[Any] = set()
        for batch in pf.iter_batches(columns=[id_col]):
            ids.update(batch.column(0).to_pylist())
        ids.discard(None)
        return len(ids)
    if fmt == "turns" or src.filetype not in ("jsonl", "json"):
        return None
    with src.open() as fh:
        head = fh.read(64)  # type: ignore[attr-defined]
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
            return None  # a JSON array: counting means parsing
        fh.seek(0)  # type: ignore[attr-defined]
        return sum(1 for line in fh if line.strip())
