"""Cross-ticket repeat contacts: the same requester coming back within a window.

``read_tickets(..., repeat_window="7d")`` reads the input twice. The first pass
(``RepeatIndex.build``) keeps, per ticket, only its id, opening time, channel,
requester keys (``ticketmeta.requester_keys``: vendor id, normalised e-mail,
phone) and follow-up links; the second pass streams the tickets as usual and
``RepeatIndex.attach`` sets ``meta["repeat_contacts"]`` (linked ticket ids) and
``meta["linked_contacts"]`` (id, time, channel, link kind) on each ticket that
has any.

A ticket B repeats an earlier ticket A when they share a requester key and B
was opened at most ``window`` after A (never before it; equal times count in
input order), or when B names A as the ticket it follows up
(``via_followup_source_id``), whatever the time between them. Only the later
ticket gets the link: the repeat is the effort of coming back. At most
``MAX_LINKS`` links are kept per ticket, the most recent ones.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..schema import Ticket
from . import ticketmeta as tm

DEFAULT_WINDOW = "7d"
MAX_LINKS = 20
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_window(value: Any) -> _dt.timedelta | None:
    """``"7d"``, ``"48h"``, ``"30m"``, ``"2w"``, ``"90s"`` or a number of days; ``0``/``none`` -> ``None``."""
    if value is None or value is False:
        return None
    if isinstance(value, _dt.timedelta):
        return value if value.total_seconds() > 0 else None
    text = str(value).strip().lower()
    if text in ("", "0", "none", "off", "no", "false"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw]?)", text)
    if not m:
        raise ValueError(f"repeat window {value!r}: expected e.g. 7d, 48h, 30m, 2w, or 0/none")
    seconds = float(m.group(1)) * _UNITS[m.group(2) or "d"]
    return _dt.timedelta(seconds=seconds) if seconds > 0 else None


@dataclass
class _Entry:
    ticket_id: str
    order: int
    at: _dt.datetime | None
    channel: str | None
    keys: list[str]
    followup_of: list[str]


@dataclass
class RepeatIndex:
    """ticket id -> its links to earlier tickets (only tickets that have links are stored)."""

    window: _dt.timedelta
    links: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def build(cls, tickets: Iterable[Ticket], window: _dt.timedelta) -> RepeatIndex:
        entries: dict[str, _Entry] = {}
        for order, t in enumerate(tickets):
            if t.ticket_id in entries:
                continue  # a duplicate: the reader keeps the first
            first_time = t.turns[0].timestamp if t.turns else None
            channel = t.meta.get(tm.CHANNEL)
            if channel is None and t.turns:
                channel = t.turns[0].channel
            entries[t.ticket_id] = _Entry(
                t.ticket_id,
                order,
                tm.created_at(t.meta, first_time),
                None if channel is None else str(channel),
                tm.requester_keys(t.meta),
                tm.followup_ids(t.meta),
            )
        by_key: dict[str, list[_Entry]] = {}
        for e in entries.values():
            if e.at is None:
                continue
            for key in e.keys:
                by_key.setdefault(key, []).append(e)
        found: dict[str, dict[str, str]] = {}  # later id -> {earlier id: link kind}
        for group in by_key.values():
            if len(group) < 2:
                continue
            group.sort(key=lambda e: (e.at, e.order))
            for i, later in enumerate(group):
                j = i - 1
                while j >= 0 and later.at - group[j].at <= window:
                    found.setdefault(later.ticket_id, {}).setdefault(group[j].ticket_id, "requester")
                    j -= 1
        for e in entries.values():
            for source in e.followup_of:
                if source != e.ticket_id:
                    found.setdefault(e.ticket_id, {})[source] = "followup"
        index = cls(window)
        for later_id, earlier in found.items():
            links = []
            for earlier_id, kind in earlier.items():
                other = entries.get(earlier_id)
                links.append(
                    {
                        "ticket_id": earlier_id,
                        "created_at": None if other is None or other.at is None else other.at.isoformat(),
                        "channel": None if other is None else other.channel,
                        "link": kind,
                    }
                )
            links.sort(key=lambda d: (d["created_at"] or "", d["ticket_id"]))
            index.links[later_id] = links[-MAX_LINKS:]
        return index

    def attach(self, ticket: Ticket) -> Ticket:
        """The ticket with ``repeat_contacts``/``linked_contacts`` set (in place) when it has links."""
        links = self.links.get(ticket.ticket_id)
        if links:
            ticket.meta[tm.REPEAT_CONTACTS] = [d["ticket_id"] for d in links]
            ticket.meta[tm.LINKED_CONTACTS] = [dict(d) for d in links]
        return ticket
