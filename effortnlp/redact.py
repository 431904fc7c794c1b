"""Mask personal data in what effortnlp prints: e-mail addresses, phone, card and
account numbers, long digit runs.

Redaction is applied to *outputs only*. Markers are always found on the
original text, and a hit's ``start``/``end`` keep pointing into it; the HTML
renderer splits a turn at the hit boundaries first and masks each piece with
the PII ranges found on the whole turn (:func:`redact_segment`), so a span
boundary cutting through an address cannot leak half of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from .schema import EffortResult, MarkerHit, Ticket

#: Digit runs at least this long are masked even when nothing else says what they are.
LONG_DIGITS = 6

#: Columns of a scored row that are identifiers or our own vocabulary, never personal data.
KEEP_COLUMNS: frozenset[str] = frozenset({"ticket_id", "band", "drivers"})


class PII(NamedTuple):
    start: int
    end: int
    kind: str  # EMAIL, ACCOUNT, CARD, PHONE, NUMBER

    @property
    def mask(self) -> str:
        return f"[{self.kind}]"


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_ACCOUNT = re.compile(
    r"\b(?:account|acct|a/c|sort\s+code|routing|member(?:ship)?|policy|customer\s+(?:id|no|number))"
    r"(?:\s+(?:no\.?|number|num|id|#))?\s*[:#]?\s*"
    r"(?P<value>(?=(?:[a-z-]*\d){4})[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)",
    re.IGNORECASE,
)
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,5}(?![\w-])"
)
_DATE = re.compile(r"\d{4}[.-]\d{1,2}[.-]\d{1,2}|\d{1,2}[.-]\d{1,2}[.-]\d{2,4}")
_DIGITS = re.compile(rf"(?<!\d)\d{{{LONG_DIGITS},}}(?!\d)")


def _candidates(text: str) -> Iterable[PII]:
    """Every match of every detector, most specific first."""
    for m in _EMAIL.finditer(text):
        yield PII(m.start(), m.end(), "EMAIL")
    for m in _IBAN.finditer(text):
        yield PII(m.start(), m.end(), "ACCOUNT")
    for m in _ACCOUNT.finditer(text):
        yield PII(m.start("value"), m.end("value"), "ACCOUNT")
    for m in _CARD.finditer(text):
        yield PII(m.start(), m.end(), "CARD")
    for m in _PHONE.finditer(text):
        digits = sum(c.isdigit() for c in m.group())
        if 7 <= digits <= 15 and not _DATE.fullmatch(m.group()):
            yield PII(m.start(), m.end(), "PHONE")
    for m in _DIGITS.finditer(text):
        yield PII(m.start(), m.end(), "NUMBER")


def find_pii(text: str) -> list[PII]:
    """Non-overlapping PII ranges in ``text``, in order; earlier detectors win overlaps."""
    if not text or not any(c.isdigit() or c == "@" for c in text):
        return []
    taken: list[PII] = []
    for cand in _candidates(text):
        if all(cand.end <= t.start or cand.start >= t.end for t in taken):
            taken.append(cand)
    return sorted(taken)


def redact_segment(text: str, start: int, end: int, pii: list[PII] | None = None) -> str:
    """``text[start:end]`` with every PII range of ``text`` it touches masked.

    ``pii`` is ``find_pii(text)`` on the *whole* text, computed once per turn.
    """
    if pii is None:
        pii = find_pii(text)
    out: list[str] = []
    pos = start
    for p in pii:
        if p.end <= start or p.start >= end:
            continue
        if p.start > pos:
            out.append(text[pos : p.start])
        out.append(p.mask)
        pos = max(pos, min(p.end, end))
    out.append(text[pos:end])
    return "".join(out)


def redact_text(text: str) -> str:
    """``text`` with all personal data masked."""
    return redact_segment(text, 0, len(text))


def redact_value(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else value


def redact_row(row: Mapping[str, Any], keep: Iterable[str] = KEEP_COLUMNS) -> dict[str, Any]:
    """A copy of an output row with every text value masked, except identifier columns."""
    keep = set(keep)
    return {k: v if k in keep else redact_value(v) for k, v in row.items()}


def redact_hit(hit: MarkerHit, turn_text: str | None = None) -> MarkerHit:
    """A copy of ``hit`` with its quoted text masked; offsets still index the original turn.

    With ``turn_text``, PII is found on the whole turn, so an address the span
    only partly covers is masked too.
    """
    if turn_text is not None and turn_text[hit.start : hit.end] == hit.text:
        text = redact_segment(turn_text, hit.start, hit.end)
    else:
        text = redact_text(hit.text)
    detail = hit.detail
    if detail:
        detail = {k: redact_value(v) for k, v in detail.items()}
    return replace(hit, text=text, detail=detail)


def _turn_text(ticket: Ticket | None, hit: MarkerHit) -> str | None:
    if ticket is not None and 0 <= hit.turn < len(ticket.turns):
        return ticket.turns[hit.turn].text
    return None


def redact_result(result: EffortResult, ticket: Ticket | None = None) -> EffortResult:
    """A copy of ``result`` whose quoted evidence is masked (scores unchanged)."""

    def red(h: MarkerHit) -> MarkerHit:
        return redact_hit(h, _turn_text(ticket, h))

    drivers = tuple(replace(d, hits=tuple(red(h) for h in d.hits)) for d in result.drivers)
    return replace(result, drivers=drivers, hits=tuple(red(h) for h in result.hits))


def redact_ticket(ticket: Ticket) -> Ticket:
    """A copy of ``ticket`` with every turn's text and agent name masked (for display only)."""
    turns = tuple(
        replace(t, text=redact_text(t.text), agent_name=redact_value(t.agent_name)) for t in ticket.turns
    )
    return replace(ticket, turns=turns)
