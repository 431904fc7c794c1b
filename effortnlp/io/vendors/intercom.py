"""Intercom: conversations as ``GET /conversations/{id}`` returns them.

A record is a conversation object (``"type": "conversation"`` with
``source`` and ``conversation_parts``), or a list page (``{"type":
"conversation.list", "conversations": [...]}``). The ``source`` message is the
first turn; each ``conversation_parts`` part with a body and ``part_type``
``comment`` (or ``assign_and_reply``...) is a turn. ``author.type`` decides the
speaker: ``user``/``lead``/``contact`` -> customer, ``admin``/``team`` -> agent,
``bot`` -> agent with ``is_bot``. ``note`` parts are internal notes.
``assignment``-type parts (``assigned_to`` an ``admin`` or ``team``) become
``meta["assignments"]`` with field ``admin`` or ``team``. HTML bodies are
converted to text. ``created_at`` is Unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...schema import Ticket, Turn
from .. import ticketmeta as tm
from ..records import Source
from .base import BadRecord, as_dict, as_list, make_turn, text_id
from .htmltext import html_to_text

NAME = "intercom"
_CUSTOMER = frozenset({"user", "lead", "contact"})
_NOTES = frozenset({"note", "note_and_reopen"})
_SKIP_TEXT = frozenset({"close", "open", "snoozed", "unsnoozed", "timer_unsnooze", "participant_added",
                        "participant_removed", "conversation_rating_changed"})


def detect(record: dict[str, Any]) -> bool:
    if "conversation_parts" in record:
        return True
    convs = record.get("conversations")
    return (
        isinstance(convs, list) and bool(convs) and isinstance(convs[0], dict)
        and "conversation_parts" in convs[0]
    )


def build(record: dict[str, Any], src: Source, row: int) -> Iterator[Ticket]:
    if "conversation_parts" not in record and isinstance(record.get("conversations"), list):
        for conv in record["conversations"]:
            yield _conversation(as_dict(conv, "conversation"), src, row)
        return
    yield _conversation(record, src, row)


def _speaker(author: dict[str, Any]) -> tuple[str, bool]:
    kind = author.get("type")
    if kind in _CUSTOMER:
        return "customer", False
    if kind == "bot":
        return "agent", True
    return "agent", False


def _conversation(conv: dict[str, Any], src: Source, row: int) -> Ticket:
    ticket_id = text_id(conv.get("id"))
    if ticket_id is None:
        raise BadRecord("intercom conversation without an id")
    parts_obj = conv.get("conversation_parts")
    parts = parts_obj.get("conversation_parts") if isinstance(parts_obj, dict) else parts_obj
    parts = as_list(parts, f"conversation {ticket_id}: conversation_parts")
    source = as_dict(conv.get("source"), f"conversation {ticket_id}: source")
    channel = source.get("type")

    turns: list[Turn] = []
    notes: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    current: dict[str, str | None] = {
        "admin": text_id(conv.get("admin_assignee_id")) if not parts else None,
        "team": None,
    }

    def add_turn(author: dict[str, Any], body: Any, created: Any, part_id: Any, kind: str) -> None:
        text = html_to_text(body if isinstance(body, str) else None)
        if not text:
            return
        speaker, is_bot = _speaker(author)
        turns.append(
            make_turn(
                speaker=speaker,
                text=text,
                timestamp=tm.iso(created),
                channel=channel if speaker == "customer" else None,
                agent_name=author.get("name") if speaker == "agent" else None,
                is_bot=is_bot,
                speaker_raw=author.get("type"),
                meta={"part_id": text_id(part_id), "part_type": kind},
            )
        )

    author = as_dict(source.get("author"), "source.author")
    add_turn(author, source.get("body"), conv.get("created_at"), source.get("id"), "source")
    for part in parts:
        part = as_dict(part, f"conversation {ticket_id}: part")
        kind = part.get("part_type") or "comment"
        p_author = as_dict(part.get("author"), "part author")
        if kind in _NOTES:
            notes.append({"at": tm.iso(part.get("created_at")), "author": p_author.get("name"),
                          "text": html_to_text(part.get("body"))})
            continue
        target = part.get("assigned_to")
        if "assign" in kind and isinstance(target, dict):
            field = "team" if target.get("type") == "team" else "admin"
            to = text_id(target.get("id")) if target.get("type") != "nobody_admin" else None
            if to != current[field]:
                assignments.append({"at": tm.iso(part.get("created_at")), "field": field,
                                    "from": current[field], "to": to, "turn": len(turns)})
                current[field] = to
        if kind in _SKIP_TEXT:
            continue
        add_turn(p_author, part.get("body"), part.get("created_at"), part.get("id"), kind)

    contacts = as_dict(conv.get("contacts"), "contacts")
    contact_list = as_list(contacts.get("contacts"), "contacts.contacts")
    first_contact = as_dict(contact_list[0], "contact") if contact_list else {}
    customer_author = author if author.get("type") in _CUSTOMER else {}
    meta: dict[str, Any] = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: tm.iso(conv.get("created_at")),
        tm.CHANNEL: channel,
        tm.REQUESTER: tm.requester(
            first_contact.get("id") or customer_author.get("id"),
            first_contact.get("email") or customer_author.get("email"),
            first_contact.get("phone"),
            customer_author.get("name"),
        ),
    }
    meta[tm.ASSIGNMENTS] = assignments
    if notes:
        meta[tm.INTERNAL_NOTES] = notes
    meta["vendor_fields"] = {k: conv.get(k) for k in ("state", "open", "priority", "title")
                             if conv.get(k) is not None}
    return Ticket(ticket_id, tuple(turns), meta, f"{src.name}:{row}")
