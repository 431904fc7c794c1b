"""The values that flow through effortnlp: tickets in, marker hits, drivers and results out.

All are frozen dataclasses so a result can be shared and cached without anyone
changing it behind the caller's back; ``to_dict`` builds plain JSON-ready dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

#: Marker labels, in the order they appear as output columns.
MARKERS: tuple[str, ...] = (
    "TRANSFER",
    "REPEAT_CONTACT",
    "REPEAT_INFO",
    "CHANNEL_SWITCH",
    "UNRESOLVED",
    "FRUSTRATION",
    "WAIT",
)

#: Canonical speaker roles. Bots are agents with ``Turn.is_bot`` set.
SPEAKERS: tuple[str, ...] = ("customer", "agent", "system")

#: Targets a CHANNEL_SWITCH hit can carry in ``detail["target"]``.
CHANNEL_TARGETS: tuple[str, ...] = ("dm", "phone", "email", "web", "chat", "store", "other")

#: Longest quote kept in a scored row's ``drivers`` cell.
QUOTE_CHARS = 120

#: Effort bands, from the CES 2.0 scale (7 = effortless).
BANDS: tuple[str, ...] = ("low", "medium", "high")


def marker_column(label: str) -> str:
    """Output column name for a marker label: ``REPEAT_INFO`` -> ``repeat_info``."""
    return label.lower()


@dataclass(frozen=True, slots=True)
class Turn:
    """One message in a ticket.

    ``speaker`` is canonical (``customer``/``agent``/``system``); the label as it
    appeared in the input is kept in ``speaker_raw``.
    """

    speaker: str
    text: str
    timestamp: str | None = None
    channel: str | None = None
    agent_name: str | None = None
    is_bot: bool = False
    speaker_raw: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"speaker": self.speaker, "text": self.text}
        for key in ("timestamp", "channel", "agent_name", "speaker_raw"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        if self.is_bot:
            d["is_bot"] = True
        if self.meta:
            d["meta"] = dict(self.meta)
        return d


class _TurnSlots:
    """``Turn``'s memory layout without its frozen ``__setattr__`` (see ``new_turn``)."""

    __slots__ = Turn.__slots__


def _new_turn(speaker, text, timestamp, channel, agent_name, is_bot, speaker_raw, meta) -> Turn:
    t = _TurnSlots()
    t.speaker = speaker
    t.text = text
    t.timestamp = timestamp
    t.channel = channel
    t.agent_name = agent_name
    t.is_bot = is_bot
    t.speaker_raw = speaker_raw
    t.meta = meta
    t.__class__ = Turn
    return t  # type: ignore[return-value]


def _check_new_turn():
    """``_new_turn`` when it builds exactly what ``Turn`` builds on this interpreter, else ``Turn``
    (a field added to ``Turn`` but not to ``_new_turn``, a layout the assignment refuses...)."""
    args = ("agent", "hi", "t", "chat", "Ann", True, "Agent", {"k": 1})
    if tuple(f.name for f in fields(Turn)) != _new_turn.__code__.co_varnames[:8]:
        return Turn
    try:
        t = _new_turn(*args)
        same = type(t) is Turn and t == Turn(*args) and t.meta is args[-1]
    except Exception:  # noqa: BLE001 -- any doubt: the plain constructor
        return Turn
    return _new_turn if same else Turn


#: ``Turn(speaker, text, timestamp, channel, agent_name, is_bot, speaker_raw, meta)``, every
#: field given, in about half the time. A frozen dataclass's ``__init__`` sets each field
#: with ``object.__setattr__``, a slow generic call, and the readers build one ``Turn`` per
#: message (~35 a ticket): so the fields are stored into a plain twin with the same slots
#: and the object is then made a ``Turn``, which CPython allows between classes of one
#: layout. The result is an ordinary ``Turn`` (equal, hashed, frozen, printed the same).
new_turn = _check_new_turn()


@dataclass(frozen=True, slots=True)
class Ticket:
    """A support ticket: an id, its turns in order, and whatever else the input carried.

    ``source`` says where it came from (``file:line`` or ``file:row``) so errors
    and results can point back at the input.
    """

    ticket_id: str
    turns: tuple[Turn, ...]
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    source: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when no turn has any non-blank text."""
        return not any(t.text and t.text.strip() for t in self.turns)

    @property
    def n_words(self) -> int:
        return sum(len(t.text.split()) for t in self.turns)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"ticket_id": self.ticket_id, "turns": [t.to_dict() for t in self.turns]}
        if self.meta:
            d["meta"] = dict(self.meta)
        return d


@dataclass(frozen=True, slots=True)
class MarkerHit:
    """One piece of effort evidence.

    ``turn`` is the 0-based turn index; ``start``/``end`` are character offsets
    into that turn's text and ``text`` the quoted span. ``rule_id`` names the
    pattern or detector that fired. ``source`` is ``rule`` (a spaCy pattern),
    ``crossturn`` (plain-Python logic over several turns), ``metadata`` (fields
    of the export) or ``classifier``. ``detail`` carries extra evidence: the
    channel ``target``, the ``cited_turn`` a repeat refers to, a ``probability``,
    the metadata ``field`` and ``values``.
    """

    label: str
    rule_id: str
    turn: int
    speaker: str
    start: int
    end: int
    text: str
    source: str = "rule"
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "label": self.label,
            "rule_id": self.rule_id,
            "turn": self.turn,
            "speaker": self.speaker,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "source": self.source,
        }
        if self.detail:
            d["detail"] = dict(self.detail)
        return d


class _HitSlots:
    """``MarkerHit``'s memory layout without its frozen ``__setattr__`` (see ``new_hit``)."""

    __slots__ = MarkerHit.__slots__


def _new_hit(label, rule_id, turn, speaker, start, end, text, source, detail) -> MarkerHit:
    h = _HitSlots()
    h.label = label
    h.rule_id = rule_id
    h.turn = turn
    h.speaker = speaker
    h.start = start
    h.end = end
    h.text = text
    h.source = source
    h.detail = detail
    h.__class__ = MarkerHit
    return h  # type: ignore[return-value]


def _check_new_hit():
    """``_new_hit`` when it builds exactly what ``MarkerHit`` builds on this interpreter, else ``MarkerHit``."""
    args = ("TRANSFER", "r.id", 2, "agent", 3, 9, "passed", "rule", {"target": "dm"})
    if tuple(f.name for f in fields(MarkerHit)) != _new_hit.__code__.co_varnames[:9]:
        return MarkerHit
    try:
        h = _new_hit(*args)
        same = type(h) is MarkerHit and h == MarkerHit(*args) and h.detail is args[-1] and hash(h) == hash(MarkerHit(*args))
    except Exception:  # noqa: BLE001 -- any doubt: the plain constructor
        return MarkerHit
    return _new_hit if same else MarkerHit


#: ``MarkerHit(label, rule_id, turn, speaker, start, end, text, source, detail)``, every field
#: given, faster: the rule stage makes one per hit (as ``new_turn`` does for ``Turn``).
new_hit = _check_new_hit()


@dataclass(frozen=True, slots=True)
class Driver:
    """A feature group that moved the score, with the hits behind it.

    ``contribution`` is in CES points: negative means more effort (lower CES)
    than a ticket without this driver.
    """

    name: str
    contribution: float
    value: float
    hits: tuple[MarkerHit, ...] = ()
    description: str = ""

    def to_cell(self) -> dict[str, Any]:
        """The compact form in a scored row: name, contribution and the first quote."""
        cell: dict[str, Any] = {"name": self.name, "contribution": round(self.contribution, 3)}
        if self.hits:
            hit = self.hits[0]
            quote = " ".join(hit.text.split())
            cell["turn"] = hit.turn
            cell["quote"] = quote if len(quote) <= QUOTE_CHARS else quote[: QUOTE_CHARS - 1] + "…"
        return cell

    def to_dict(self, *, evidence: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "contribution": round(self.contribution, 3),
            "value": self.value,
        }
        if self.description:
            d["description"] = self.description
        if evidence:
            d["evidence"] = [
                {"turn": h.turn, "speaker": h.speaker, "text": h.text, "rule_id": h.rule_id}
                | ({"detail": dict(h.detail)} if h.detail else {})
                for h in self.hits
            ]
        return d


@dataclass(frozen=True, slots=True)
class EffortResult:
    """The score of one ticket and why."""

    ticket_id: str
    ces: float
    band: str
    p_high: float
    counts: dict[str, int]
    drivers: tuple[Driver, ...] = ()
    hits: tuple[MarkerHit, ...] = ()
    empty: bool = False
    baseline_ces: float | None = None
    n_turns: int = 0

    def to_row(self, *, top: int = 3) -> dict[str, Any]:
        """The flat output row written by ``effortnlp score``."""
        row: dict[str, Any] = {
            "ticket_id": self.ticket_id,
            "ces": round(self.ces, 3),
            "band": self.band,
            "p_high": round(self.p_high, 4),
        }
        counts = self.counts
        for label, column in _MARKER_COLUMNS:
            row[column] = int(counts.get(label, 0))
        row["drivers"] = _compact_json([d.to_cell() for d in self.drivers[:top]])
        row["empty"] = self.empty
        return row

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "ces": round(self.ces, 3),
            "band": self.band,
            "p_high": round(self.p_high, 4),
            "baseline_ces": None if self.baseline_ces is None else round(self.baseline_ces, 3),
            "empty": self.empty,
            "n_turns": self.n_turns,
            "counts": {marker_column(k): int(v) for k, v in self.counts.items()},
            "drivers": [d.to_dict() for d in self.drivers],
            "hits": [h.to_dict() for h in self.hits],
        }


_MARKER_COLUMNS: tuple[tuple[str, str], ...] = tuple((m, marker_column(m)) for m in MARKERS)
#: ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, without building
#: an encoder per call.
_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

#: A CES at or below this (rounded: 1-3, the "disagree" answers) is high effort.
HIGH_EFFORT_MAX = 3
#: A CES at or above this (rounded: 5-7, the "agree" answers) is low effort.
LOW_EFFORT_MIN = 5


def band_for(ces: float) -> str:
    """CES 2.0 bands on the rounded score: 1-3 high effort, 4 medium, 5-7 low."""
    if ces >= LOW_EFFORT_MIN - 0.5:
        return "low"
    if ces < HIGH_EFFORT_MAX + 0.5:
        return "high"
    return "medium"
