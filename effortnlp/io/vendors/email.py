"""E-mail threads: ``.eml`` files, mbox mailboxes, or a directory of them, read as one mailbox.

Messages are grouped into threads by ``References``/``In-Reply-To`` (falling
back to the normalised subject when a message has no ids) and ordered by
``Date``; each thread is a ticket whose id is the thread's first Message-ID.
The sender of the thread's first message is the customer (unless the address
looks like a help desk's -- support@, help@, noreply@ ... -- then the first
other sender is), every other sender an agent. Bodies are the text/plain part,
else the HTML part converted; quoted history (``>`` lines, "On ... wrote:",
"-----Original Message-----", Outlook ``From:/Sent:`` blocks) and signatures
(``-- ``, "Sent from my ...") are cut, so each message counts once.

A whole mailbox is held in memory while threading (messages, not Docs).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ...schema import Ticket
from .. import ticketmeta as tm
from ..errors import ErrorHandler, RowError
from ..records import Source
from .base import is_duplicate, make_turn
from .htmltext import html_to_text

NAME = "email"

_QUOTE_HEADS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*(Le|Am|El|Il|Op)\b.{0,300}\b(a écrit|schrieb|escribió|ha scritto|schreef)\s*:\s*$",
               re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{8,}\s*$"),
]
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject):\*?\s", re.IGNORECASE)
_SIGNATURE = [
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*Sent from my \w+", re.IGNORECASE),
    re.compile(r"^\s*Get Outlook for \w+", re.IGNORECASE),
]
_HELPDESK = re.compile(r"^(support|help|helpdesk|service|customerservice|care|noreply|no-reply|"
                       r"donotreply|info|team|hello|billing|sales)\b", re.IGNORECASE)
_SUBJECT_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|vs|tr)\s*(\[\d+\])?\s*:\s*|\[[^\]]*\]\s*)+",
                             re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")


def strip_quoted(text: str) -> str:
    """A message body without the quoted history and the signature under it."""
    if not isinstance(text, str):
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if any(p.match(line) for p in _QUOTE_HEADS) or (
            line.strip().startswith("On ") and not line.strip().endswith(":")
            and _QUOTE_HEADS[0].match(joined)
        ):
            break
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(x) for x in lines[i + 1 : i + 4]):
            break
        if any(p.match(line) for p in _SIGNATURE):
            break
        if line.lstrip().startswith(">"):
            continue
        out.append(line.rstrip())
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out).strip()


def _body(msg: Any) -> str:
    part = msg.get_body(preferencelist=("plain", "html")) if msg.is_multipart() else msg
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return strip_quoted(content)


def split_mbox(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    """``(first line, message bytes)`` per message of an mbox (``From `` separator lines)."""
    buf: list[bytes] = []
    start = 1
    previous_blank = True
    for lineno, line in enumerate(lines, 1):
        if line.startswith(b"From ") and previous_blank:
            if any(x.strip() for x in buf):
                yield start, b"".join(buf)
            buf, start = [], lineno + 1
            previous_blank = False
            continue
        if line.startswith(b">From "):
            line = line[1:]
        buf.append(line)
        previous_blank = not line.strip()
    if any(x.strip() for x in buf):
        yield start, b"".join(buf)


def _messages(src: Source) -> Iterator[tuple[int, bytes]]:
    with src.open() as fh:
        lines = list(fh)
    first = next((x for x in lines if x.strip()), b"")
    if first.startswith(b"From ") and not first.startswith(b"From: "):
        yield from split_mbox(lines)
    else:
        yield 1, b"".join(lines)


def _ids(value: Any) -> list[str]:
    return _MSGID.findall(str(value or ""))


def read(src: Source, options: Any, on_error: ErrorHandler, chunksize: int, seen: dict
         ) -> Iterator[Ticket]:
    yield from read_mailbox([src], on_error, seen)


def read_mailbox(sources: list[Source], on_error: ErrorHandler, seen: dict) -> Iterator[Ticket]:
    """All messages of the sources, threaded; one ticket per thread, in order of first message."""
    threads: dict[str, list[dict[str, Any]]] = {}
    thread_of: dict[str, str] = {}
    for src in sources:
        for row, raw in _messages(src):
            try:
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                if not (msg.get("From") or msg.get("Message-ID") or msg.get("Subject")):
                    raise ValueError("no From, Message-ID or Subject header")
                own = (_ids(msg.get("Message-ID")) or [None])[0]
                refs = _ids(msg.get("References")) + _ids(msg.get("In-Reply-To"))
                subject = _SUBJECT_PREFIX.sub("", str(msg.get("Subject") or "")).strip().lower()
                key = next((thread_of[r] for r in [*refs, own] if r and r in thread_of), None)
                if key is None and not own and not refs:
                    key = thread_of.get("subject:" + subject)
                if key is None:
                    key = refs[0] if refs else own or f"subject:{subject}|{src.name}:{row}"
                for r in [*refs, own]:
                    if r:
                        thread_of.setdefault(r, key)
                thread_of.setdefault("subject:" + subject, key)
                name, addr = email.utils.parseaddr(str(msg.get("From") or ""))
                threads.setdefault(key, []).append({
                    "src": src, "row": row, "from": addr.lower(), "name": name,
                    "at": tm.parse_time(msg.get("Date")), "text": _body(msg),
                    "subject": str(msg.get("Subject") or ""), "id": own,
                })
            except Exception as exc:  # noqa: BLE001 -- a broken message must not stop the mailbox
                on_error(RowError(src.name, row, f"unreadable e-mail message: {type(exc).__name__}: {exc}"))
    for key, messages in threads.items():
        ticket = _thread_ticket(key, messages)
        first = messages[0]
        if is_duplicate(first["src"], first["row"], ticket.ticket_id, seen, on_error):
            continue
        yield ticket


def _thread_ticket(key: str, messages: list[dict[str, Any]]) -> Ticket:
    def when(i: int) -> tuple[bool, float, int]:
        at = messages[i]["at"]
        return (at is None, at.timestamp() if at is not None else 0.0, i)

    order = sorted(range(len(messages)), key=when)
    messages = [messages[i] for i in order]
    senders = [m["from"] for m in messages]
    customer = next((s for s in senders if s and not _HELPDESK.match(s)), senders[0] if senders else "")
    turns = []
    for m in messages:
        is_customer = m["from"] == customer
        turns.append(make_turn(
            speaker="customer" if is_customer else "agent",
            text=m["text"],
            timestamp=None if m["at"] is None else m["at"].isoformat(),
            channel="email",
            agent_name=None if is_customer else (m["name"] or m["from"] or None),
            speaker_raw=m["from"] or None,
            meta={"message_id": m["id"]},
        ))
    root = messages[0]
    first_customer = next((m for m in messages if m["from"] == customer), root)
    ticket_id = key.strip("<>") if not key.startswith("subject:") else (root["id"] or key).strip("<>")
    meta = {
        tm.VENDOR: NAME,
        tm.CREATED_AT: None if root["at"] is None else root["at"].isoformat(),
        tm.CHANNEL: "email",
        tm.REQUESTER: tm.requester(None, customer, None, first_customer["name"]),
        "vendor_fields": {"subject": root["subject"]},
    }
    return Ticket(ticket_id, tuple(turns), meta, f"{root['src'].name}:{root['row']}")
