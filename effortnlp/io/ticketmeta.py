"""The normalised ticket metadata the vendor readers write and ``effortnlp.metadata`` reads.

Every vendor reader (``effortnlp.io.vendors``) fills these ``Ticket.meta`` keys
when its export has the facts; anything else it keeps goes under
``meta["vendor_fields"]``. Other readers may set them too (a plain JSONL ticket
with ``customer_id``/``created_at`` gets ``requester``/``created_at`` read from
those fields by ``requester_keys``/``created_at``).

``vendor``
    ``"zendesk"``, ``"intercom"``, ``"freshdesk"``, ``"salesforce"``, ``"email"``,
    ``"transcript"``.
``created_at``
    When the ticket was opened, ISO 8601 in UTC (``2024-03-01T09:00:00+00:00``).
``channel``
    The channel the ticket came in on, as the vendor names it (``email``,
    ``web``, ``chat``, ``voice``...). Turns carry their own ``Turn.channel``.
``requester``
    ``{"id": str|None, "email": str|None, "phone": str|None, "name": str|None}``;
    ``email`` lower-cased, ``phone`` reduced to ``+`` and digits.
``assignments``
    Ownership changes in order: ``[{"at": ISO|None, "field": F, "from": str|None,
    "to": str|None, "turn": k}]``, ``field`` one of ``group_id``, ``assignee_id``
    (Zendesk), ``team``, ``admin`` (Intercom), ``agent`` (Salesforce chat/email
    agents). ``turn`` is the index of the first turn after the change (the
    number of turns before it). A first assignment has ``from: None``. Present
    (possibly empty) only when the export carries the assignment history, so an
    empty list means "known: never reassigned".
``stations``
    ``{"group_stations": n, "assignee_stations": n}`` from Zendesk ticket
    metrics: how many groups/assignees the ticket passed through.
``followup_of``
    Ticket ids this ticket follows up (Zendesk ``via.source.rel == "follow_up"``
    / ``via_followup_source_id``).
``internal_notes``
    Private notes kept out of ``Ticket.turns``: ``[{"at", "author", "text"}]``.
``repeat_contacts`` / ``linked_contacts``
    Set by the reader's repeat-contact pass (``repeats``), never by a vendor
    reader: the ids of earlier tickets this one repeats, and per link
    ``{"ticket_id", "created_at", "channel", "link": "requester"|"followup"}``.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import re
from typing import Any

VENDOR = "vendor"
CREATED_AT = "created_at"
CHANNEL = "channel"
REQUESTER = "requester"
ASSIGNMENTS = "assignments"
STATIONS = "stations"
FOLLOWUP_OF = "followup_of"
INTERNAL_NOTES = "internal_notes"
REPEAT_CONTACTS = "repeat_contacts"
LINKED_CONTACTS = "linked_contacts"

#: Plain-record fields read as the requester / the opening time when no ``requester`` is set.
_ID_FIELDS = ("requester_id", "customer_id", "contact_id", "user_id")
_EMAIL_FIELDS = ("requester_email", "customer_email", "email", "from_email")
_PHONE_FIELDS = ("requester_phone", "customer_phone", "phone")
_CREATED_FIELDS = ("created_at", "createdDate", "CreatedDate", "opened_at", "date", "timestamp")
_FOLLOWUP_FIELDS = ("via_followup_source_id", "followup_of", "follow_up_of")
#: Every key ``requester_keys``, ``created_at`` and ``followup_ids`` read (and ``channel``):
#: the repeat-contact index pass keeps only these of a ticket's metadata.
LINK_FIELDS: frozenset[str] = frozenset(
    (CHANNEL, REQUESTER, VENDOR, FOLLOWUP_OF)
    + _ID_FIELDS + _EMAIL_FIELDS + _PHONE_FIELDS + _CREATED_FIELDS + _FOLLOWUP_FIELDS
)


def requester(
    id: Any = None, email: Any = None, phone: Any = None, name: Any = None
) -> dict[str, str | None]:
    return {
        "id": None if id in (None, "") else str(id),
        "email": norm_email(email),
        "phone": norm_phone(phone),
        "name": None if not name else str(name).strip() or None,
    }


def norm_email(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    _, addr = email.utils.parseaddr(value)
    addr = addr.strip().lower()
    return addr if "@" in addr else None


def norm_phone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) < 6:
        return None
    return ("+" if text.startswith("+") else "") + digits


_UNIX_TIME = re.compile(r"\d{9,13}(\.\d+)?")
_TZ_NO_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def parse_time(value: Any) -> _dt.datetime | None:
    """A timestamp as an aware UTC datetime: ISO 8601, RFC 2822 (e-mail), Unix seconds/ms.

    Naive times are taken as UTC. Unparseable -> ``None``.
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        dt = value
    elif isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return _dt.datetime.fromtimestamp(seconds, _dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = str(value).strip()
        if _UNIX_TIME.fullmatch(text):
            return parse_time(float(text))
        iso = _TZ_NO_COLON.sub(r"\1:\2", text.replace("Z", "+00:00"))
        try:
            dt = _dt.datetime.fromisoformat(iso)
        except ValueError:
            try:
                dt = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
            if dt is None:
                return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_dt.UTC)
    return dt.astimezone(_dt.UTC)


def iso(value: Any) -> str | None:
    """``parse_time`` as ISO 8601 text, or ``None``."""
    dt = parse_time(value)
    return None if dt is None else dt.isoformat()


def _first(meta: dict[str, Any], fields: tuple[str, ...]) -> Any:
    for key in fields:
        value = meta.get(key)
        if value not in (None, ""):
            return value
    return None


def requester_keys(meta: dict[str, Any]) -> list[str]:
    """Keys that identify the requester across tickets: ``id:``, ``email:``, ``phone:``.

    Ids are namespaced by ``vendor`` (a Zendesk user 12 is not an Intercom contact 12).
    """
    req = meta.get(REQUESTER)
    if not isinstance(req, dict):
        req = requester(
            _first(meta, _ID_FIELDS), _first(meta, _EMAIL_FIELDS), _first(meta, _PHONE_FIELDS)
        )
    keys = []
    if req.get("id"):
        keys.append(f"id:{meta.get(VENDOR) or 'plain'}:{req['id']}")
    if req.get("email"):
        keys.append(f"email:{req['email']}")
    if req.get("phone"):
        keys.append(f"phone:{req['phone']}")
    return keys


def created_at(meta: dict[str, Any], first_turn_time: str | None = None) -> _dt.datetime | None:
    return parse_time(_first(meta, _CREATED_FIELDS)) or parse_time(first_turn_time)


def followup_ids(meta: dict[str, Any]) -> list[str]:
    value = meta.get(FOLLOWUP_OF)
    if value is None:
        value = _first(meta, _FOLLOWUP_FIELDS)
    if value is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in values:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if v not in (None, ""):
            out.append(str(v))
    return out
