"""Turn a ticket and its marker hits into a flat feature dict.

Features come in *groups*; a group is what an explanation calls a driver. Each
marker label is a group (its capped count and a presence flag), plus groups for
the ticket's shape (how long the customer had to keep writing) and its tone.
Every feature is 0 for a ticket with no evidence of effort, except the shape
features, whose neutral value is a typical ticket's (see ``NEUTRAL``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from .schema import MARKERS, MarkerHit, Ticket, marker_column

#: Counts above this add nothing: the tenth "still waiting" says no more than the third.
COUNT_CAP = 3

#: Group name -> features in it. Order is the order of drivers in reports.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    **{marker_column(m): (f"{marker_column(m)}_count", f"{marker_column(m)}_any") for m in MARKERS},
    "conversation_length": ("customer_turns_log", "customer_words_log"),
    "agents_involved": ("extra_agents",),
    "tone": ("exclamations", "shouting"),
}

FEATURE_NAMES: tuple[str, ...] = tuple(f for fs in FEATURE_GROUPS.values() for f in fs)

#: The value a feature takes when its group is "switched off" for an explanation:
#: no markers, and a short ordinary exchange (one customer message of ~25 words).
NEUTRAL: dict[str, float] = dict.fromkeys(FEATURE_NAMES, 0.0) | {
    "customer_turns_log": math.log1p(1),
    "customer_words_log": math.log1p(25),
}

DESCRIPTIONS: dict[str, str] = {
    "transfer": "handed to another agent, team or company",
    "repeat_contact": "had to contact more than once, or left to come back",
    "repeat_info": "had to repeat information already given",
    "channel_switch": "asked to continue on another channel",
    "unresolved": "issue not resolved at the end",
    "frustration": "customer expressed frustration",
    "wait": "customer waited (on hold, no reply)",
    "conversation_length": "how much the customer had to write",
    "agents_involved": "more than one agent involved",
    "tone": "exclamation marks and shouting",
}

_SHOUT = re.compile(r"\b[A-Z]{3,}\b")
#: Every shouted word holds three capitals in a row: texts without are not searched.
_CAPS_RUN = re.compile(r"[A-Z]{3}")

_MARKER_FEATURES = tuple((m, f"{marker_column(m)}_count", f"{marker_column(m)}_any") for m in MARKERS)


def featurize(ticket: Ticket, hits: Iterable[MarkerHit]) -> dict[str, float]:
    """Feature dict of one ticket: marker counts, shape and tone."""
    counts = dict.fromkeys(MARKERS, 0)
    for h in hits:
        if h.label in counts:
            counts[h.label] += 1
    feats: dict[str, float] = {}
    for m, count_name, any_name in _MARKER_FEATURES:
        n = counts[m]
        feats[count_name] = float(min(n, COUNT_CAP))
        feats[any_name] = 1.0 if n else 0.0

    customer_turns = 0
    customer_words = 0
    exclamations = 0
    shouting = 0
    agents: set[str] = set()
    for t in ticket.turns:
        speaker = t.speaker
        if speaker == "customer":
            text = t.text
            customer_turns += 1
            customer_words += len(text.split())
            exclamations += text.count("!")
            # islower(): no capital at all (the common case in chat and call text).
            if not text.islower() and _CAPS_RUN.search(text):
                shouting += len(_SHOUT.findall(text))
        elif speaker == "agent" and t.agent_name and not t.is_bot:
            agents.add(t.agent_name.strip().lower())
    feats["customer_turns_log"] = math.log1p(customer_turns)
    feats["customer_words_log"] = math.log1p(customer_words)
    feats["extra_agents"] = float(min(max(len(agents) - 1, 0), COUNT_CAP))
    feats["exclamations"] = float(min(exclamations, 5))
    feats["shouting"] = float(min(shouting, 5))
    return feats


def group_of(feature: str) -> str:
    for group, names in FEATURE_GROUPS.items():
        if feature in names:
            return group
    raise KeyError(feature)
