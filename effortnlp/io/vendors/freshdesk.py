"""Freshdesk: tickets with conversations, as ``GET /api/v2/tickets/{id}?include=conversations``.

The ticket's ``description_text`` (else ``description`` HTML) is the
requester's opening turn; each conversation is a turn: ``incoming: true`` ->
customer, else agent (``user_id`` as the agent). ``private: true``
conversations are internal notes. ``source`` codes become channel names
(ticket: 1 email, 2 portal, 3 phone, 7 chat, 9 feedback_widget, 10
outbound_email; conversation: 0 reply -- the ticket's channel --, 5 twitter,
7 facebook, 8 forwarded_email, 9 phone...). A ``requester`` object
(``include=requester``) gives the e-mail/phone. Freshdesk keeps no
reassignment history in this API: transfers come from the text only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...schema import Ticket, Turn
from .. import ticketmeta as tm
from ..records import Source
from .base import BadRecord, as_dict, as_list, make_turn, text_id
from .htmltext import html_to_text

NAME = "freshdesk"
TICKET_SOURCES = {1: "email", 2: "portal", 3: "phone", 4: "forum", 5: "twitter", 6: "facebook",
                  7: "chat", 8: "mobihelp", 9: "feedback_widget", 10: "outbound_email",
                  11: "ecommerce", 12: "bot"}
CONVERSATION_SOURCES = {1: "email", 2: "note", 3: "twitter", 5: "twitter", 6: "survey", 7: "facebook",
                        8: "forwarded_email", 9: "phone", 10: "mobihelp", 11: "ecommerce"}


def detect(record: dict[str, Any]) -> bool:
    convs = record.get("conversations")
    if isinstance(convs, list) and convs and isinstance(convs[0], dict):
        return "incoming" in convs[0] or "body_text" in convs[0]
    return "description_text" in record and "requester_id" in record


def build(record: dict[str, Any], src: Source, row: int) -> Iterator[Ticket]:
    yield _ticket(record, src, row)


def _source(value: Any, table: dict[int, str]) -> str | None:
    try:
        return table.get(int(value), str(value))
    except (TypeError, ValueError):
        return None if value is None else str(value)


def _ticket(t: dict[str, Any], src: Source, row: int) -> Ticket:
    ticket_id = text_id(t.get("id"))
    if ticket_id is None:
        raise BadRecord("freshdesk ticket without an id")
    channel = _source(t.get("source"), TICKET_SOURCES)
    requester_id = text_id(t.get("requester_id"))
    turns: list[Turn] = []
    notes: list[dict[str, Any]] = []
    opening = t.get("description_text") or html_to_text(t.get("description"))
    if opening:
        turns.append(make_turn("customer", opening.strip(), tm.iso(t.get("created_at")), channel,
                          speaker_raw="requester", meta={"conversation_id": None}))
    for c in as_list(t.get("conversations"), f"ticket {ticket_id}: conversations"):
        c = as_dict(c, f"ticket {ticket_id}: conversation")
        text = c.get("body_text") or html_to_text(c.get("body"))
        text = (text or "").strip()
        at = tm.iso(c.get("created_at"))
        user = text_id(c.get("user_id"))
        if c.get("private"):
            notes.append({"at": at, "author": user, "text": text})
            continue
        incoming = c.get("incoming") in (True, "true", 1)
        code = c.get("source")
        conv_channel = channel if code in (0, "0", None) else _source(code, CONVERSATION_SOURCES)
        turns.append(
            make_turn(
                speaker="customer" if incoming else "agent",
                text=text,
                timestamp=at,
                channel=conv_channel,
                agent_name=None if incoming else (f"agent {user}" if user else None),
                speaker_raw="incoming" if incoming else "outgoing",
                meta={"conversation_id": text_id(c.get("id"))},
            )
        )
    req = as_dict(t.get("requester"), "requester")
    meta: dict[str, Any] = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: tm.iso(t.get("created_at")),
        tm.CHANNEL: channel,
        tm.REQUESTER: tm.requester(requester_id, req.get("email") or t.get("email"),
                                   req.get("phone") or req.get("mobile") or t.get("phone"),
                                   req.get("name") or t.get("name")),
    }
    if notes:
        meta[tm.INTERNAL_NOTES] = notes
    meta["vendor_fields"] = {k: t.get(k) for k in ("subject", "status", "priority", "group_id",
                                                   "responder_id", "tags") if t.get(k) is not None}
    return Ticket(ticket_id, tuple(turns), meta, f"{src.name}:{row}")
