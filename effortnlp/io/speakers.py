"""Speaker labels -> canonical roles, and ``Speaker: text`` transcripts -> turns.

Known labels (case-insensitive, whitespace trimmed, ``_``/``-`` read as spaces,
surrounding brackets ignored) map as follows:

* customer: customer, user, client, caller, end user, requester, consumer,
  visitor, contact;
* agent: agent, rep, representative, advisor/adviser, support, admin, staff,
  operator, csr, specialist, assistant, supervisor, manager, customer
  service/support/care, live/human/support agent;
* agent with ``is_bot=True``: bot, chatbot, virtual agent/assistant, automated,
  ai (assistant/agent), ivr;
* system: system, note, internal note, event, automation, automated message,
  notification.

A label like ``Agent (Sarah)`` or ``Agent Sarah`` takes its role from the first
word and gives ``Sarah`` as the agent's name.

**Unknown labels** (usually people's names, e.g. ``Sarah:``) are resolved per
ticket, and one label always gets one role within a ticket:

* if the ticket has a label that maps to ``customer``, every unknown label is
  an ``agent`` -- a named person talking to the customer;
* otherwise the *first* unknown label to appear is the ``customer`` and later
  unknown labels are ``agent`` s. Tickets, chats and emails are opened by the
  customer far more often than not, and an agent-only ticket (``Agent:`` /
  ``Bot:`` + a name) is talking to someone.

An unknown label resolved to ``agent`` also becomes the turn's ``agent_name``
when the input gives none, so an agent change stays visible. A missing speaker
counts as an unknown label. ``Turn.speaker_raw`` always keeps the label as given.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple


class Role(NamedTuple):
    speaker: str
    is_bot: bool = False
    name: str | None = None


_CUSTOMER = Role("customer")
_AGENT = Role("agent")
_BOT = Role("agent", True)
_SYSTEM = Role("system")

_LABELS: dict[str, Role] = {}
for _words, _role in (
    (
        "customer|user|client|caller|end user|enduser|requester|consumer|visitor|contact",
        _CUSTOMER,
    ),
    (
        "agent|rep|representative|advisor|adviser|support|admin|staff|operator|csr|"
        "specialist|assistant|supervisor|manager|customer service|customer support|"
        "customer care|live agent|human agent|support agent|service agent",
        _AGENT,
    ),
    (
        "bot|chatbot|chat bot|virtual agent|virtual assistant|automated|ai|ai assistant|"
        "ai agent|ivr|automated assistant",
        _BOT,
    ),
    (
        "system|note|internal note|private note|event|automation|automated message|"
        "system message|notification",
        _SYSTEM,
    ),
):
    for _word in _words.split("|"):
        _LABELS[_word] = _role

#: First words that fix the role of a longer label ("Agent Sarah", "Customer (Bob)").
_PREFIXES = {
    w: _LABELS[w]
    for w in (
        "agent rep representative advisor adviser operator specialist csr supervisor "
        "customer caller client user requester bot chatbot system"
    ).split()
}

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_label(label: str | None) -> str:
    """The lookup key of a label: lower case, ``_``/``-``/runs of spaces -> one space."""
    if not label:
        return ""
    text = label.strip().strip("[]<>").strip().rstrip(":").strip()
    return _SEPARATORS.sub(" ", text).strip().lower()


@functools.lru_cache(maxsize=4096)  # labels repeat on every row of an export
def classify_label(label: str | None) -> Role | None:
    """The role of a known label, or ``None`` for an unknown (or missing) one."""
    key = normalise_label(label)
    if not key:
        return None
    if key in _LABELS:
        return _LABELS[key]
    raw = label.strip() if label else ""
    if "(" in raw and raw.endswith(")"):
        head, _, rest = raw.partition("(")
        role = _LABELS.get(normalise_label(head))
        if role is not None:
            return role._replace(name=rest[:-1].strip() or None)
    first, _, rest = key.partition(" ")
    role = _PREFIXES.get(first)
    if role is not None and rest:
        name = raw.split(None, 1)[1].strip(" -:") if len(raw.split(None, 1)) > 1 else None
        return role._replace(name=name or None)
    return None


def resolve_speakers(labels: list[str | None]) -> list[Role]:
    """Roles for one ticket's speaker labels, resolving unknown labels as the module says."""
    roles = [classify_label(label) for label in labels]
    has_customer = any(r is not None and r.speaker == "customer" for r in roles)
    first_unknown: str | None = None
    resolved: list[Role] = []
    for label, role in zip(labels, roles, strict=True):
        if role is not None:
            resolved.append(role)
            continue
        key = normalise_label(label)
        if first_unknown is None and not has_customer:
            first_unknown = key
        if not has_customer and key == first_unknown:
            resolved.append(_CUSTOMER)
        else:
            name = label.strip() if label and label.strip() else None
            resolved.append(Role("agent", False, name))
    return resolved


# ---------------------------------------------------------------- transcripts

_TIMESTAMP = re.compile(
    r"""^\s*(?:
        [\[(](?P<bracketed>[^\])]*\d[^\])]*)[\])]           # [10:32], (2024-01-02 10:32)
      | (?P<bare>\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(?::\d{2})?
        | \d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?)       # 10:32, 10:32 PM
    )\s*""",
    re.VERBOSE,
)
_LABEL = re.compile(r"^\s*(?P<label>[^:\n]{1,40}?)\s*:(?:\s|$)(?P<text>.*)$", re.DOTALL)
_NAME_WORD = re.compile(r"^[^\W\d_][\w.'’]*$")


def _is_speaker_label(label: str) -> bool:
    if classify_label(label) is not None:
        return True
    # An unknown prefix must look like a name ("Sarah", "John Smith"), so that
    # "Order number: 123" or "https://..." inside a message continues the turn.
    words = label.split()
    return (
        1 <= len(words) <= 3
        and not any(ch.isdigit() for ch in label)
        and all(_NAME_WORD.match(w) and w[0].isupper() for w in words)
    )


class TranscriptLine(NamedTuple):
    label: str | None
    text: str
    timestamp: str | None


def parse_transcript(transcript: str) -> list[TranscriptLine]:
    """Split ``Speaker: text`` lines into turns.

    A line starts a turn when it begins (after an optional ``[timestamp]``) with
    a speaker label: a known role label or a name of one to three capitalised
    words without digits. Any other line continues the previous turn; text
    before the first label becomes a turn with no speaker. Turn text is stripped.
    """
    turns: list[list] = []  # [label, lines, timestamp]
    for line in transcript.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        rest, timestamp = line, None
        ts = _TIMESTAMP.match(line)
        if ts:
            timestamp = ts.group("bracketed") or ts.group("bare")
            rest = line[ts.end() :]
        match = _LABEL.match(rest)
        if match and _is_speaker_label(match.group("label")):
            turns.append([match.group("label").strip(), [match.group("text")], timestamp])
        elif turns:
            turns[-1][1].append(line)
        elif line.strip():
            turns.append([None, [line], None])
    return [
        TranscriptLine(label, "\n".join(lines).strip(), timestamp)
        for label, lines, timestamp in turns
    ]
