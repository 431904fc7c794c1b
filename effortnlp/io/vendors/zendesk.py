"""Zendesk: tickets with their comments (and audits / metric sets when present).

Accepted records (JSONL lines, a JSON array, or one JSON document):

* a ticket object as the Tickets API / incremental export gives it, with the
  ticket's ``comments`` (``GET /api/v2/tickets/{id}/comments``) and optionally
  ``audits`` (``GET /api/v2/tickets/{id}/audits``) and ``metric_set`` merged in;
* ``{"ticket": {...}, "comments": [...], "audits": [...], "metric_set": {...}}``
  -- the API responses side by side;
* a page ``{"tickets": [...], "users": [...], "metric_sets": [...]}`` (incremental
  export with ``include=users,metric_sets``); each ticket still needs ``comments``
  (or ``audits`` with Comment events) to have turns.

Speakers: a comment by the ``requester_id`` (or by a sideloaded user with role
``end-user``) is the customer, everyone else an agent. ``public: false``
comments are internal notes: kept out of the turns, listed in
``meta["internal_notes"]``. Text is ``plain_body``, else ``body``, else
``html_body`` converted. ``group_id``/``assignee_id`` Change events of the
audits become ``meta["assignments"]``; ``group_stations``/``assignee_stations``
of the metric set ``meta["stations"]``; ``via.source.rel == "follow_up"`` or
``via_followup_source_id`` ``meta["followup_of"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...schema import Ticket, Turn
from .. import ticketmeta as tm
from ..records import Source
from .base import BadRecord, as_dict, as_list, make_turn, text_id
from .htmltext import html_to_text

NAME = "zendesk"
_ASSIGN_FIELDS = ("group_id", "assignee_id")


def detect(record: dict[str, Any]) -> bool:
    if isinstance(record.get("ticket"), dict) and "requester_id" in record["ticket"]:
        return True
    tickets = record.get("tickets")
    if isinstance(tickets, list) and tickets and isinstance(tickets[0], dict):
        return "requester_id" in tickets[0]
    comments = record.get("comments")
    return (
        "requester_id" in record
        and isinstance(comments, list)
        and (not comments or (isinstance(comments[0], dict) and "author_id" in comments[0]))
    ) or ("requester_id" in record and isinstance(record.get("audits"), list))


def build(record: dict[str, Any], src: Source, row: int) -> Iterator[Ticket]:
    users = {text_id(u.get("id")): u for u in as_list(record.get("users"), "users") if isinstance(u, dict)}
    if "tickets" in record and "requester_id" not in record:
        metrics = {
            text_id(m.get("ticket_id")): m
            for m in as_list(record.get("metric_sets"), "metric_sets")
            if isinstance(m, dict)
        }
        for ticket in as_list(record["tickets"], "tickets"):
            ticket = as_dict(ticket, "ticket")
            yield _ticket(ticket, ticket.get("comments"), ticket.get("audits"),
                          ticket.get("metric_set") or metrics.get(text_id(ticket.get("id"))),
                          users, src, row)
        return
    if isinstance(record.get("ticket"), dict):
        ticket = record["ticket"]
    else:
        ticket = record
    yield _ticket(ticket, record.get("comments", ticket.get("comments")),
                  record.get("audits", ticket.get("audits")),
                  record.get("metric_set", ticket.get("metric_set")), users, src, row)


def _ticket(ticket, comments, audits, metric_set, users, src, row) -> Ticket:
    ticket_id = text_id(ticket.get("id"))
    if ticket_id is None:
        raise BadRecord("zendesk ticket without an id")
    requester_id = text_id(ticket.get("requester_id"))
    audits = [as_dict(a, f"ticket {ticket_id}: audit") for a in as_list(audits, f"ticket {ticket_id}: audits")]
    comment_list = as_list(comments, f"ticket {ticket_id}: comments")
    if comments is None:  # comments only inside the audits
        for audit in audits:
            for ev in as_list(audit.get("events"), "audit events"):
                if isinstance(ev, dict) and ev.get("type") in ("Comment", "VoiceComment"):
                    comment_list.append({"created_at": audit.get("created_at"), "via": audit.get("via"), **ev})
    turns: list[Turn] = []
    notes: list[dict[str, Any]] = []
    turn_times: list[Any] = []
    for c in comment_list:
        c = as_dict(c, f"ticket {ticket_id}: comment")
        author = text_id(c.get("author_id"))
        text = c.get("plain_body") or c.get("body")
        text = html_to_text(text if text else c.get("html_body"))
        at = tm.iso(c.get("created_at"))
        if c.get("public", True) is False:
            notes.append({"at": at, "author": author, "text": text})
            continue
        role = (users.get(author) or {}).get("role")
        is_customer = author == requester_id if role is None else role == "end-user"
        via = as_dict(c.get("via"), "comment via")
        user = users.get(author) or {}
        turns.append(
            make_turn(
                speaker="customer" if is_customer else "agent",
                text=text,
                timestamp=at,
                channel=via.get("channel"),
                agent_name=None if is_customer else (user.get("name") or (f"agent {author}" if author else None)),
                speaker_raw="requester" if is_customer else (role or "agent"),
                meta={"author_id": author, "comment_id": text_id(c.get("id"))},
            )
        )
        turn_times.append(tm.parse_time(c.get("created_at")))

    assignments = []
    for audit in audits:
        at = tm.parse_time(audit.get("created_at"))
        for ev in as_list(audit.get("events"), "audit events"):
            if not isinstance(ev, dict) or ev.get("field_name") not in _ASSIGN_FIELDS:
                continue
            if ev.get("type") not in ("Change", "Create"):
                continue
            before = sum(1 for t in turn_times if t is not None and at is not None and t < at)
            assignments.append({
                "at": None if at is None else at.isoformat(),
                "field": ev["field_name"],
                "from": text_id(ev.get("previous_value")),
                "to": text_id(ev.get("value")),
                "turn": before,
            })

    via = as_dict(ticket.get("via"), "via")
    source = as_dict(via.get("source"), "via.source")
    source_from = as_dict(source.get("from"), "via.source.from")
    followup = []
    if ticket.get("via_followup_source_id") is not None:
        followup.append(text_id(ticket["via_followup_source_id"]))
    if source.get("rel") == "follow_up" and source_from.get("ticket_id") is not None:
        fid = text_id(source_from["ticket_id"])
        if fid not in followup:
            followup.append(fid)
    requester_user = users.get(requester_id) or {}
    meta: dict[str, Any] = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: tm.iso(ticket.get("created_at")),
        tm.CHANNEL: via.get("channel"),
        tm.REQUESTER: tm.requester(
            requester_id,
            requester_user.get("email") or source_from.get("address"),
            requester_user.get("phone") or source_from.get("phone"),
            requester_user.get("name") or source_from.get("name"),
        ),
    }
    if audits:  # the audits are the assignment history, even when nothing changed
        meta[tm.ASSIGNMENTS] = assignments
    if isinstance(metric_set, dict):
        stations = {k: metric_set[k] for k in ("group_stations", "assignee_stations") if isinstance(metric_set.get(k), int)}
        if stations:
            meta[tm.STATIONS] = stations
    if followup:
        meta[tm.FOLLOWUP_OF] = followup
    if notes:
        meta[tm.INTERNAL_NOTES] = notes
    meta["vendor_fields"] = {
        k: ticket.get(k) for k in ("subject", "status", "priority", "tags", "group_id", "assignee_id")
        if ticket.get(k) is not None
    }
    return Ticket(ticket_id, tuple(turns), meta, f"{src.name}:{row}")
