"""Salesforce: ``EmailMessage`` rows and ``LiveChatTranscript`` bodies (Data Loader CSV or SOQL JSON).

``EmailMessage`` (``SELECT Id, ParentId, Incoming, TextBody, HtmlBody,
MessageDate, FromAddress, FromName FROM EmailMessage``): one row per message,
grouped into a ticket per ``ParentId`` (the Case), ordered by ``MessageDate``.
``Incoming`` true is the customer; outgoing messages are agents named by
``FromName``/``FromAddress``, and a change of that agent is an ``agent``
assignment. Quoted history and signatures are cut as for e-mail. A ticket is
emitted at its case's last row (two passes, as the ``turns`` format), so rows
need not be sorted.

``LiveChatTranscript`` (``SELECT Id, CaseId, ContactId, LiveChatVisitorId,
Body, StartTime FROM LiveChatTranscript``): one row per chat; ``Body`` is the
HTML transcript (``Chat Started: ...``, ``Agent NAME``, ``( 1m 5s ) NAME:
text`` lines, ``Chat Transferred From A To B``). Lines by a name announced as
an agent are agent turns, the rest the visitor's; each agent change is an
``agent`` assignment.

A SOQL REST response (``{"records": [...]}``, each with ``attributes.type``)
is read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...schema import Ticket, Turn
from .. import ticketmeta as tm
from ..errors import ErrorHandler, RowError
from ..records import Source, iter_records
from .base import BadRecord, is_duplicate, make_turn, text_id
from .email import strip_quoted
from .htmltext import html_to_text

NAME = "salesforce"
_EMAIL_COLS = {"ParentId", "Incoming"}
_CHAT_MARKERS = {"ChatKey", "LiveChatVisitorId", "LiveChatButtonId", "LiveChatDeploymentId"}
_CHAT_LINE = re.compile(r"^\(\s*(?P<ts>(?:\d+h\s*)?(?:\d+m\s*)?\d+s)\s*\)\s*(?P<name>[^:]{1,80}?):\s?(?P<text>.*)$")
_AGENT_LINE = re.compile(r"^Agent\s+(?P<name>[^:]{1,80})$")
_TRANSFER_LINE = re.compile(r"^Chat Transferred From\s+(?P<a>.+?)\s+To\s+(?P<b>.+?)\.?$", re.IGNORECASE)


def detect_columns(columns: list[str]) -> bool:
    names = set(columns)
    return (_EMAIL_COLS <= names and bool({"TextBody", "HtmlBody"} & names)) or (
        "Body" in names and bool(_CHAT_MARKERS & names)
    )


def detect(record: dict[str, Any]) -> bool:
    kind = _kind(record)
    if kind:
        return True
    records = record.get("records")
    return isinstance(records, list) and bool(records) and isinstance(records[0], dict) and bool(
        _kind(records[0])
    )


def _kind(record: dict[str, Any]) -> str | None:
    attrs = record.get("attributes")
    if isinstance(attrs, dict) and attrs.get("type") in ("EmailMessage", "LiveChatTranscript"):
        return attrs["type"]
    if detect_columns(list(record)):
        return "EmailMessage" if "ParentId" in record else "LiveChatTranscript"
    return None


def _flat(src: Source, on_error: ErrorHandler, chunksize: int) -> Iterator[tuple[int, dict[str, Any]]]:
    for row, record in iter_records(src, on_error, batch_size=chunksize):
        if "records" in record and isinstance(record["records"], list):
            for r in record["records"]:
                if isinstance(r, dict):
                    yield row, r
        else:
            yield row, record


def _true(value: Any) -> bool:
    return value in (True, 1) or str(value).strip().lower() in ("true", "1", "yes")


def read(src: Source, options: Any, on_error: ErrorHandler, chunksize: int, seen: dict
         ) -> Iterator[Ticket]:
    src.make_rereadable()
    last: dict[str, int] = {}
    n = 0
    for _, record in _flat(src, lambda e: None, chunksize):
        n += 1
        if _kind(record) == "EmailMessage" and text_id(record.get("ParentId")):
            last[text_id(record.get("ParentId"))] = n
    open_cases: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    n = 0
    for row, record in _flat(src, on_error, chunksize):
        n += 1
        kind = _kind(record)
        try:
            if kind == "LiveChatTranscript":
                ticket = _chat(record, src, row)
                if not is_duplicate(src, row, ticket.ticket_id, seen, on_error):
                    yield ticket
                continue
            if kind != "EmailMessage":
                raise BadRecord("not an EmailMessage or LiveChatTranscript record")
            case = text_id(record.get("ParentId"))
            if case is None:
                raise BadRecord("EmailMessage without a ParentId")
        except (BadRecord, KeyError, TypeError, ValueError, AttributeError) as exc:
            on_error(RowError(src.name, row, str(exc), text_id(record.get("Id"))))
            continue
        rows = open_cases.get(case)
        if rows is None:
            if is_duplicate(src, row, case, seen, on_error):
                continue
            rows = open_cases[case] = []
        rows.append((row, record))
        if last.get(case) == n:
            yield from _guarded_case(case, open_cases.pop(case), src, on_error)
    for case, rows in open_cases.items():
        yield from _guarded_case(case, rows, src, on_error)


def _guarded_case(case, rows, src, on_error) -> Iterator[Ticket]:
    try:
        ticket = _email_case(case, rows, src)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        on_error(RowError(src.name, rows[0][0], f"case {case}: {type(exc).__name__}: {exc}", case))
        return
    yield ticket


def _email_case(case: str, rows: list[tuple[int, dict[str, Any]]], src: Source) -> Ticket:
    def when(item: tuple[int, dict[str, Any]]) -> tuple[bool, float, int]:
        at = tm.parse_time(item[1].get("MessageDate"))
        return (at is None, at.timestamp() if at else 0.0, item[0])

    rows = sorted(rows, key=when)
    turns: list[Turn] = []
    assignments = []
    agent = None
    requester = None
    for _, r in rows:
        incoming = _true(r.get("Incoming"))
        text = r.get("TextBody") or html_to_text(r.get("HtmlBody"))
        name = r.get("FromName") or r.get("FromAddress")
        if incoming and requester is None:
            requester = r
        if not incoming and name and name != agent:
            if agent is not None:
                assignments.append({"at": tm.iso(r.get("MessageDate")), "field": "agent",
                                    "from": agent, "to": name, "turn": len(turns)})
            agent = name
        turns.append(make_turn(
            speaker="customer" if incoming else "agent",
            text=strip_quoted(text or ""),
            timestamp=tm.iso(r.get("MessageDate")),
            channel="email",
            agent_name=None if incoming else name,
            speaker_raw="Incoming" if incoming else "Outgoing",
            meta={"message_id": text_id(r.get("Id"))},
        ))
    req = requester or {}
    meta: dict[str, Any] = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: tm.iso(rows[0][1].get("MessageDate")),
        tm.CHANNEL: "email",
        tm.REQUESTER: tm.requester(None, req.get("FromAddress"), None, req.get("FromName")),
        "vendor_fields": {"Subject": rows[0][1].get("Subject")},
    }
    meta[tm.ASSIGNMENTS] = assignments
    return Ticket(case, tuple(turns), meta, f"{src.name}:{rows[0][0]}")


def _chat(record: dict[str, Any], src: Source, row: int) -> Ticket:
    ticket_id = text_id(record.get("Id"))
    if ticket_id is None:
        raise BadRecord("LiveChatTranscript without an Id")
    body = record.get("Body")
    if not isinstance(body, str):
        raise BadRecord(f"LiveChatTranscript {ticket_id} has no Body")
    agents: set[str] = set()
    current = None
    raw: list[list[Any]] = []  # [name, [text], ts]
    assignments = []

    def switch(name: str) -> None:
        nonlocal current
        agents.add(name.casefold())
        if current is not None and name.casefold() != current.casefold():
            assignments.append({"at": None, "field": "agent", "from": current, "to": name,
                                "turn": len(raw)})
        current = name

    for line in html_to_text(body).split("\n"):
        line = line.strip()
        if not line:
            continue
        m = _CHAT_LINE.match(line)
        if m:
            raw.append([m.group("name").strip(), [m.group("text")], m.group("ts")])
            continue
        t = _TRANSFER_LINE.match(line)
        if t:
            agents.add(t.group("a").casefold())
            switch(t.group("b").strip())
            continue
        a = _AGENT_LINE.match(line)
        if a:
            switch(a.group("name").strip())
            continue
        if line.startswith(("Chat Started:", "Chat Origin:", "Chat Ended", "Chat Transferred")):
            continue
        if raw:
            raw[-1][1].append(line)
    turns = []
    for name, texts, ts in raw:
        is_agent = name.casefold() in agents
        turns.append(make_turn(
            speaker="agent" if is_agent else "customer",
            text="\n".join(texts).strip(),
            timestamp=ts,
            channel="chat",
            agent_name=name if is_agent else None,
            speaker_raw=name,
        ))
    meta: dict[str, Any] = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: tm.iso(record.get("StartTime") or record.get("CreatedDate")),
        tm.CHANNEL: "chat",
        tm.REQUESTER: tm.requester(text_id(record.get("ContactId") or record.get("LiveChatVisitorId")),
                                   record.get("SuppliedEmail") or record.get("Email"), None, None),
        "vendor_fields": {k: record.get(k) for k in ("CaseId", "Status", "OwnerId") if record.get(k)},
    }
    meta[tm.ASSIGNMENTS] = assignments
    return Ticket(ticket_id, tuple(turns), meta, f"{src.name}:{row}")
