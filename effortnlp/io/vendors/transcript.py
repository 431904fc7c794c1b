"""Call-centre ASR transcripts: lower-case, little punctuation, ``agent:``/``caller:`` labels, fillers.

A text file is one call (ticket id = file name without extension); a
CSV/JSONL table read with ``--format transcript`` has one call per row
(``id_col``/``transcript_col``, as the ``tickets`` format). Optional header
lines before the first turn (``call_id:``, ``caller_id:``/``from:``/``phone:``,
``date:``/``start_time:``) give the id, the caller's number and the start time.

Each line is ``[timestamp] label: text``; a line without a label continues the
turn before. Known labels map as everywhere (``agent``, ``caller``,
``customer``...); diarisation labels (``spk_0``, ``speaker 1``, ``SPEAKER_00``,
``channel 1``, ``A``/``B``) are resolved per call: the first to speak is the
agent (an inbound call is answered by the agent), the others the caller.
Fillers (um, uh, erm, hmm...; not the backchannels uh-huh/mm-hmm) and stuttered repeats ("i i called") are removed
so the marker patterns see the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...schema import Ticket
from .. import ticketmeta as tm
from ..errors import ErrorHandler, RowError
from ..records import Source, iter_records
from ..speakers import classify_label
from ..text import clean_id, decode
from .base import is_duplicate, make_turn

NAME = "transcript"

_LINE = re.compile(
    r"^\s*(?:\[?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\]?\s*[-–]?\s*)?"
    r"(?P<label>[A-Za-z][\w .()-]{0,30}?)\s*:\s?(?P<text>.*)$"
)
_DIARISED = re.compile(r"^(spk|speaker|channel|ch|s)[ _-]?\d+$|^[ab]$", re.IGNORECASE)
_HEADER = re.compile(
    r"^\s*(?P<key>call[ _]?id|caller[ _]?id|from|phone|ani|date|start[ _]?time|started)\s*:\s*(?P<value>.+)$",
    re.IGNORECASE,
)
# Backchannels ("uh-huh", "mm-hmm") say yes and stay.
_FILLER = re.compile(r"(?<![\w-])(?:u+m+|u+h+m*|e+r+m+|e+r+|a+h+|h+m+|m+h*m+)(?![\w-])[,.]?\s*",
                     re.IGNORECASE)
_STUTTER = re.compile(r"\b(\w+)(?:\s+\1\b)+", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


def clean_asr(text: str) -> str:
    """Fillers and stuttered repeats out, spaces collapsed."""
    text = _FILLER.sub("", text)
    text = _STUTTER.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def _is_label(label: str) -> bool:
    return classify_label(label) is not None or bool(_DIARISED.match(label.strip()))


def looks_like_transcript(src: Source) -> bool:
    """A text file not named .csv/.tsv whose first labelled lines are ASR speaker labels."""
    if src.path is None or src.path.suffix.lower() in (".csv", ".tsv"):
        return False
    with src.open() as fh:
        head = [decode(line) for _, line in zip(range(20), fh, strict=False)]
    labelled = 0
    for line in head:
        if not line.strip() or _HEADER.match(line):
            continue
        m = _LINE.match(line)
        if not m or not _is_label(m.group("label")):
            return False
        labelled += 1
        if labelled >= 2:
            return True
    return labelled > 0


def parse_call(text: str, ticket_id: str, source: str) -> Ticket:
    header: dict[str, str] = {}
    raw: list[list[Any]] = []  # [label, [texts], ts]
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw:
            h = _HEADER.match(line)
            if h:
                header[re.sub(r"[ _]", "", h.group("key").lower())] = h.group("value").strip()
                continue
        m = _LINE.match(line)
        if m and _is_label(m.group("label")):
            raw.append([m.group("label").strip(), [m.group("text")], m.group("ts")])
        elif line.strip():
            if raw:
                raw[-1][1].append(line.strip())
            else:
                raw.append([None, [line.strip()], None])
    diarised: dict[str, str] = {}
    turns = []
    for label, texts, ts in raw:
        role = classify_label(label) if label else None
        if role is not None:
            speaker, is_bot = role.speaker, role.is_bot
        else:
            key = (label or "").strip().lower()
            if key not in diarised:
                diarised[key] = "agent" if not diarised else "customer"
            speaker, is_bot = diarised[key], False
        turns.append(make_turn(speaker=speaker, text=clean_asr(" ".join(texts)), timestamp=ts,
                          channel="phone", is_bot=is_bot, speaker_raw=label))
    call_id = header.get("callid")
    phone = header.get("callerid") or header.get("phone") or header.get("from") or header.get("ani")
    when = header.get("date") or header.get("starttime") or header.get("started")
    meta = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: tm.iso(when),
        tm.CHANNEL: "phone",
    }
    if tm.norm_phone(phone):
        meta[tm.REQUESTER] = tm.requester(None, None, phone, None)
    return Ticket(call_id or ticket_id, tuple(turns), meta, source)


def read(src: Source, options: Any, on_error: ErrorHandler, chunksize: int, seen: dict
         ) -> Iterator[Ticket]:
    is_table = src.filetype in ("jsonl", "json", "parquet") or (
        src.filetype in ("csv", "tsv") and src.path is not None
        and src.path.suffix.lower() in (".csv", ".tsv")
    )
    if not is_table:
        with src.open() as fh:
            text = decode(b"".join(fh))
        stem = Path(src.name).stem if src.path is not None else "call"
        ticket = parse_call(text, stem, f"{src.name}:1")
        if not is_duplicate(src, 1, ticket.ticket_id, seen, on_error):
            yield ticket
        return
    for row, record in iter_records(src, on_error, batch_size=chunksize):
        ticket_id, id_key = options.ticket_id(record)
        if ticket_id is None:
            on_error(RowError(src.name, row, f"missing {options.id_col}"))
            continue
        text = record.get(options.transcript_col)
        if not isinstance(text, str):
            on_error(RowError(src.name, row, f"missing {options.transcript_col}", ticket_id))
            continue
        ticket = parse_call(text, clean_id(ticket_id) or ticket_id, f"{src.name}:{row}")
        for k, v in record.items():
            if k not in (id_key, options.transcript_col) and ticket.meta.get(k) is None:
                ticket.meta[k] = v
        if not is_duplicate(src, row, ticket.ticket_id, seen, on_error):
            yield ticket
