"""Effort evidence from the export's metadata (``Ticket.meta``, shape in ``io.ticketmeta``).

Every hit has ``source="metadata"``, ``speaker="system"``, ``start == end == 0``
(it quotes no transcript text; ``text`` is a readable summary; ``turn`` is
where it applies, ``-1`` for a ticket without turns) and ``detail["field"]`` /
``detail["values"]`` naming the field and the values that show the effort.

- ``metadata.assignment`` (TRANSFER): an ownership change in
  ``meta["assignments"]`` from one group/assignee/team/agent to another (a first
  assignment, from nobody, is not a transfer; a group and an assignee change at
  the same moment are one transfer, the group named first). The hit sits on
  the first agent turn after the change.
- ``metadata.stations`` (TRANSFER): without assignment history, Zendesk's
  ``group_stations``/``assignee_stations`` metrics: ``n`` stations are ``n - 1``
  transfers.
- ``metadata.channel_change`` (CHANNEL_SWITCH): a customer turn comes in on a
  different ``Turn.channel`` than the customer's previous turn (agent replies
  are ignored: help desks log the agent's tool, not the customer's channel).
- ``metadata.linked_channel`` (CHANNEL_SWITCH): an earlier linked contact of the
  same requester came in on another channel than this ticket.
- ``metadata.repeat_contact`` (REPEAT_CONTACT): one per linked earlier ticket
  in ``meta["linked_contacts"]`` (same requester within the window, or an
  explicit follow-up); ``values`` holds the linked ticket id.

``merge_metadata_hits`` adds these to a ticket's other hits; when the ticket
has assignment history (``assignments``, even empty, or ``stations``) it drops
the cross-turn agent-change/intro TRANSFER hits, which only guess at what the
history states.
"""

from __future__ import annotations

from typing import Any

from .io import ticketmeta as tm
from .schema import CHANNEL_TARGETS, MarkerHit, Ticket

#: Station counts above this are capped (a corrupt metric must not make a million hits).
MAX_STATIONS = 20
_FIELD_ORDER = {"group_id": 0, "team": 1, "assignee_id": 2, "admin": 3, "agent": 4}
_CROSSTURN_TRANSFER = ("crossturn.agent_change", "crossturn.agent_intro")
_CHANNEL_TARGET = {
    "email": "email", "mail": "email", "outbound_email": "email", "forwarded_email": "email",
    "web": "web", "portal": "web", "web_form": "web", "api": "web", "web_widget": "chat",
    "chat": "chat", "messenger": "chat", "conversation": "chat", "native_messaging": "chat",
    "sunshine_conversations": "chat", "mobihelp": "chat",
    "voice": "phone", "phone": "phone", "phone_call": "phone", "call": "phone", "sms": "dm",
    "twitter": "dm", "facebook": "dm", "instagram": "dm", "whatsapp": "dm", "social": "dm",
    "any_channel": "other",
}


def channel_target(channel: Any) -> str:
    """A vendor channel name as one of ``schema.CHANNEL_TARGETS``."""
    target = _CHANNEL_TARGET.get(str(channel).strip().lower().replace(" ", "_"), "other")
    return target if target in CHANNEL_TARGETS else "other"


def _hit(label: str, rule: str, ticket: Ticket, turn: int, text: str, **detail: Any) -> MarkerHit:
    if not ticket.turns:
        turn = -1
    # Nobody said it: the export recorded it. "system" keeps it from reading as a quote.
    return MarkerHit(label=label, rule_id=f"metadata.{rule}", turn=turn, speaker="system",
                     start=0, end=0, text=text, source="metadata", detail=detail)


def _anchor(ticket: Ticket, turn: Any) -> int:
    """The first agent turn at or after ``turn`` (else the last turn before it)."""
    n = len(ticket.turns)
    k = turn if isinstance(turn, int) and turn >= 0 else 0
    for i in range(min(k, n), n):
        if ticket.turns[i].speaker == "agent":
            return i
    return max(0, min(k, n - 1))


def _first_customer_turn(ticket: Ticket) -> int:
    return next((i for i, t in enumerate(ticket.turns) if t.speaker == "customer"), 0)


def transfer_hits(ticket: Ticket) -> list[MarkerHit]:
    meta = ticket.meta
    out: list[MarkerHit] = []
    assignments = [a for a in meta.get(tm.ASSIGNMENTS) or () if isinstance(a, dict)]
    moments: dict[Any, list[dict[str, Any]]] = {}
    for i, a in enumerate(assignments):
        if a.get("from") in (None, "") or a.get("from") == a.get("to"):
            continue
        key = a.get("at") if a.get("at") is not None else ("turn", a.get("turn"), i)
        moments.setdefault(key, []).append(a)
    for changes in moments.values():
        changes.sort(key=lambda a: _FIELD_ORDER.get(a.get("field"), 9))
        a = changes[0]
        values = [a.get("from"), a.get("to")]
        detail: dict[str, Any] = {"field": a.get("field"), "values": values}
        if a.get("at"):
            detail["at"] = a["at"]
        if len(changes) > 1:
            detail["also"] = [{"field": c.get("field"), "values": [c.get("from"), c.get("to")]}
                              for c in changes[1:]]
        text = f"{a.get('field')}: {values[0]} → {values[1] if values[1] is not None else 'nobody'}"
        out.append(_hit("TRANSFER", "assignment", ticket, _anchor(ticket, a.get("turn")), text, **detail))
    stations = meta.get(tm.STATIONS)
    if not assignments and isinstance(stations, dict):
        field, n = max(((k, v) for k, v in stations.items() if isinstance(v, int)),
                       key=lambda kv: kv[1], default=(None, 0))
        transfers = max(0, min(n, MAX_STATIONS) - 1)
        for k in range(transfers):
            out.append(_hit("TRANSFER", "stations", ticket, _first_customer_turn(ticket),
                            f"{field}: {n} (transfer {k + 1} of {transfers})", field=field, values=[n]))
    return out


def channel_hits(ticket: Ticket) -> list[MarkerHit]:
    out: list[MarkerHit] = []
    previous = None
    for i, t in enumerate(ticket.turns):
        if t.speaker != "customer" or not t.channel:
            continue
        if previous is not None and t.channel != previous:
            out.append(_hit("CHANNEL_SWITCH", "channel_change", ticket, i,
                            f"channel: {previous} → {t.channel}", field="channel",
                            values=[previous, t.channel], target=channel_target(t.channel)))
        previous = t.channel
    own = ticket.meta.get(tm.CHANNEL)
    if own:
        for link in ticket.meta.get(tm.LINKED_CONTACTS) or ():
            other = link.get("channel") if isinstance(link, dict) else None
            if other and other != own:
                out.append(_hit("CHANNEL_SWITCH", "linked_channel", ticket, _first_customer_turn(ticket),
                                f"channel: {other} (#{link.get('ticket_id')}) → {own}",
                                field="channel", values=[other, own], target=channel_target(own),
                                linked_ticket=link.get("ticket_id")))
    return out


def repeat_hits(ticket: Ticket) -> list[MarkerHit]:
    links = ticket.meta.get(tm.LINKED_CONTACTS)
    if not links:
        links = [{"ticket_id": i, "link": "requester"} for i in ticket.meta.get(tm.REPEAT_CONTACTS) or ()]
    out = []
    for link in links:
        if not isinstance(link, dict):
            continue
        followup = link.get("link") == "followup"
        field = "via_followup_source_id" if followup else "requester"
        when = f" on {link['created_at'][:10]}" if link.get("created_at") else ""
        text = (f"follow-up of #{link.get('ticket_id')}" if followup
                else f"same requester opened #{link.get('ticket_id')}{when}")
        detail = {"field": field, "values": [link.get("ticket_id")]}
        if link.get("created_at"):
            detail["linked_created_at"] = link["created_at"]
        out.append(_hit("REPEAT_CONTACT", "repeat_contact", ticket, _first_customer_turn(ticket),
                        text, **detail))
    return out


def metadata_hits(ticket: Ticket) -> list[MarkerHit]:
    """All metadata hits of a ticket (empty when its meta has none of the facts)."""
    if not ticket.meta:
        return []
    return transfer_hits(ticket) + channel_hits(ticket) + repeat_hits(ticket)


def has_assignment_history(ticket: Ticket) -> bool:
    """True when the export says who owned the ticket when (even if nobody changed)."""
    return tm.ASSIGNMENTS in ticket.meta or tm.STATIONS in ticket.meta


def merge_metadata_hits(ticket: Ticket, hits: list[MarkerHit]) -> list[MarkerHit]:
    """``hits`` plus the metadata hits; assignment history replaces the guessed agent changes.

    When the export carries the ticket's assignment history, the cross-turn
    ``agent_change``/``agent_intro`` TRANSFER hits (guesses from agent names and
    introductions) are dropped: a real reassignment is already a metadata hit,
    and a second agent answering without one is not a transfer.
    """
    extra = metadata_hits(ticket)
    if has_assignment_history(ticket):
        hits = [h for h in hits if h.rule_id not in _CROSSTURN_TRANSFER]
    return hits + extra if extra else hits
