"""Cross-turn detectors: effort evidence that no single-turn pattern can see.

Plain Python over the turns of one ticket (and the rule hits already found).
Every detector is linear in the ticket length (a slot tracker keeps the last
turn that gave each piece of information; duplicate checks look back a fixed
number of turns). Each hit carries ``source="crossturn"`` and a ``rule_id``
under ``crossturn.``.

- ``crossturn.agent_change`` (TRANSFER): ``Turn.agent_name`` changes between
  agent turns.
- ``crossturn.agent_intro`` (TRANSFER): a new agent introduces themself
  ("Hi, this is Priya from billing") after another agent spoke.
- ``crossturn.reasked.<slot>`` (REPEAT_INFO): the agent asks for a piece of
  information the customer already gave earlier in the ticket; ``detail``
  holds ``cited_turn`` (the customer turn that gave it) and ``slot``.
- ``crossturn.reasked_content`` (REPEAT_INFO): the agent asks a question
  ("have you tried restarting it?", "which model is it?") whose content words
  the customer already used in an earlier turn; ``detail`` cites that turn.
- ``crossturn.repeated_message`` (REPEAT_INFO): the customer sends (nearly)
  the same message again.
- ``crossturn.unresolved_handoff`` / ``crossturn.unresolved_open_end``
  (UNRESOLVED): the ticket ends handed off elsewhere, or with the customer's
  last word not a thanks or a "that fixed it".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .schema import MarkerHit, Ticket, Turn

# -- information slots -------------------------------------------------------

_CODE = r"[#:]?\s*(?:is\s+|was\s+)?[A-Z0-9][A-Z0-9-]*\d[A-Z0-9-]*"
_NUM_MASK = r"(?:__number__|X{4,}|\d{4,})"


@dataclass(frozen=True)
class Slot:
    name: str
    given: re.Pattern[str]  # found in a customer turn: the value was given
    asked: re.Pattern[str]  # found in an agent turn (with an ask cue): it is asked for


def _rx(p: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(p, flags)


SLOTS: tuple[Slot, ...] = (
    Slot(
        "email",
        _rx(r"__email__|\b[\w.+-]+@[\w-]+\.[a-z]{2,}\b"),
        _rx(r"\be-?mail(?:\s+address|\s+id)?\b(?!\s+(?:us|them|me)\b)"),
    ),
    Slot(
        "phone",
        _rx(r"__phone__|\+?\d[\d\s().-]{8,}\d|\bX{7,}\b"),
        _rx(r"\b(?:phone|mobile|cell|contact|telephone|callback)\s*(?:number|#|no\b)"),
    ),
    Slot(
        "order_number",
        _rx(r"\border\s*(?:number|no\.?|#|num|id|ref)?\s*" + _CODE),
        _rx(r"\border\s*(?:number|#|no\b|id\b|details|confirmation)"),
    ),
    Slot(
        "account_number",
        _rx(r"\b(?:account|acct|a/c|membership|member|customer|loyalty)\s*(?:number|no\.?|#|num|id)\s*" + r"(?:" + _CODE + r"|" + _NUM_MASK + r")"),
        _rx(r"\b(?:account|acct|membership|member|customer|loyalty)\s*(?:number|#|no\b|id\b)"),
    ),
    Slot(
        "booking_reference",
        _rx(r"\b(?:booking|reservation|confirmation|pnr|record locator|itinerary)\s*(?:number|no\.?|#|code|ref|reference|id)?\s*" + _CODE),
        _rx(r"\b(?:booking|reservation|confirmation)\s*(?:number|#|no\b|code|ref|reference|details)|\brecord locator\b|\bpnr\b"),
    ),
    Slot(
        "case_number",
        _rx(r"\b(?:case|ticket|reference|ref|complaint|incident|claim|request|sr)\s*(?:number|no\.?|#|id)\s*" + _CODE),
        _rx(r"\b(?:case|ticket|reference|ref|complaint|incident|claim)\s*(?:number|#|no\b|id\b)"),
    ),
    Slot(
        "tracking_number",
        _rx(r"\b(?:tracking|consignment|parcel|shipment|waybill)\s*(?:number|no\.?|#|id|code)?\s*" + _CODE),
        _rx(r"\b(?:tracking|consignment|waybill)\s*(?:number|#|no\b|id\b|code|details)"),
    ),
    Slot(
        "date_of_birth",
        _rx(r"\b(?:date of birth|dob|d\.o\.b|born on)\b"),
        _rx(r"\b(?:date of birth|dob|d\.o\.b)\b"),
    ),
    Slot(
        "address",
        _rx(
            r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|close)\b"
            r"|\b(?:zip|zip code|postcode|post code|postal code)\s*(?:is\s+)?[:#]?\s*[A-Z0-9]{3,}"
            r"|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b",
            0,
        ),
        _rx(r"\b(?:address|zip|zip code|zipcode|postcode|post code|postal code)\b"),
    ),
    Slot(
        "name",
        _rx(r"\bmy (?:full )?name is\s+[A-Z]|\bname\s*:\s*[A-Z]"),
        _rx(r"\b(?:full name|your name|first and last name|name on the account|name on the booking)\b"),
    ),
    Slot(
        "device",
        _rx(
            r"\b(?:ps[345]|playstation\s*[345]?|xbox(?:\s*one|\s*series\s*[xs])?|nintendo switch|pc|iphone(?:\s*\d+)?|ipad|android|"
            r"macbook|mac|imac|windows(?:\s*\d+)?|ios\s*\d*|apple tv|roku|fire\s*tv|firestick|chromecast|smart tv|"
            r"samsung|galaxy\s*\w*|pixel\s*\d*|linux|chromebook|apple watch)\b"
        ),
        _rx(
            r"\b(?:what|which)\s+(?:\w+\s+)?(?:platform|console|device|devices|operating system|os|model|system|browser)\b"
            r"|\b(?:platform|console|device|operating system|model)\s+(?:are you|you're|you are|is it|do you)\b"
            r"|\blet us know (?:the|what|which) (?:platform|console|device)\b"
        ),
    ),
    Slot(
        "link",
        _rx(r"https?://(?!t\.co/)\S+"),
        _rx(r"\b(?:share|send|provide|what is|what's|need|dm us|dm)\s+(?:us\s+)?(?:your|the)\s+(?:channel(?:'s)?\s+|profile\s+|account\s+|video\s+|page\s+|website\s+|site\s+)?(?:url|link)\b"),
    ),
    Slot(
        "flight",
        _rx(r"\bflight\s*(?:number|no\.?|#)?\s*[A-Z]{0,3}\s?\d{2,4}\b"),
        _rx(r"\bflight\s*(?:number|#|no\b|details|info)|\b(?:which|what)\s+flight\b"),
    ),
)

#: An agent turn asks for something when it has one of these.
_ASK_CUE = _rx(
    r"\?|\b(?:please|pls|kindly|could you|can you|would you|share|provide|send|dm|confirm|let us know|"
    r"tell us|need|verify|include|mind|what|which)\b"
)
#: Phrases that mention a slot without asking for it ("delete the tweet with your email").
_NOT_ASK = _rx(
    r"\b(?:delete|remove|don't share|do not share|don't post|do not post|never share|not share|sent to your|"
    r"we(?:'ve| have) (?:sent|emailed)|check your|sent you an?)\b"
)

# -- agents ------------------------------------------------------------------

_INTRO = re.compile(
    r"\b(?:[Tt]his is|[Mm]y name is|[Ii]t's|[Ii]'m|[Ii] am)\s+([A-Z][a-z]{1,20})\b"
    r"(?:\s+(?:from|with|in|on|of|here)\b|\s*[,.!-]|\s+and\b)"
)
_NOT_NAMES = frozenset(
    {"Sorry", "So", "Not", "Here", "Happy", "Glad", "Afraid", "Unable", "Able", "Just", "Still", "Really",
     "Very", "Going", "Looking", "Checking", "The", "This", "That", "Also", "Now", "Back", "Currently"}
)

# -- endings -----------------------------------------------------------------

_FIXED = _rx(
    r"\b(?:it\s+)?(?:worked|works now|working now|working (?:again|fine|ok|okay|great|perfectly)|fixed|sorted|"
    r"resolved|solved|all good|all set|answered|got it working|back up and running|problem solved|that did it|"
    r"did the trick|got it sorted|issue is gone|received it|got it|arrived)\b"
)
_THANKS = _rx(
    r"\b(?:thanks|thank you|thank u|thx|ty|cheers|appreciate(?:d)?|perfect|great|awesome|brilliant|excellent|"
    r"amazing|helpful|will do|understood|makes sense|ok(?:ay)?|cool|noted|lovely|fab|fantastic|wonderful)\b"
)
_OPEN = _rx(
    r"\?|\b(?:still|but|however|not|no|never|nothing|waiting|hopefully|if not|unless|yet|why|unacceptable|"
    r"ridiculous|useless|terrible|awful|worst|again)\b|n't\b"
)
_NEG_FIXED = _rx(r"\b(?:not|never|hasn't|haven't|isn't|wasn't|didn't|doesn't|still|un)\W*(?:\w+\W+){0,2}$")


def cross_turn_hits(ticket: Ticket, rule_hits: list[MarkerHit]) -> list[MarkerHit]:
    """Hits from agent changes, re-asked information and the ticket's shape."""
    turns = ticket.turns
    out: list[MarkerHit] = []
    out.extend(_agent_changes(turns))
    out.extend(_reasked(turns))
    out.extend(_reasked_content(turns))
    out.extend(_repeated_messages(turns))
    out.extend(_unresolved(turns, rule_hits))
    return out


def _hit(label: str, rule: str, turn: int, t: Turn, start: int, end: int, **detail) -> MarkerHit:
    return MarkerHit(
        label=label,
        rule_id=f"crossturn.{rule}",
        turn=turn,
        speaker=t.speaker,
        start=start,
        end=end,
        text=t.text[start:end],
        source="crossturn",
        detail=detail,
    )


def _agent_changes(turns: tuple[Turn, ...]) -> list[MarkerHit]:
    out: list[MarkerHit] = []
    last_name: str | None = None
    seen_agent = False
    intro_names: set[str] = set()
    for i, t in enumerate(turns):
        if t.speaker != "agent":
            continue
        name = (t.agent_name or "").strip() or None
        if name and last_name and name.casefold() != last_name.casefold():
            out.append(_hit("TRANSFER", "agent_change", i, t, 0, min(len(t.text), 80),
                            previous_agent=last_name, agent=name))
        elif seen_agent and not name:
            m = _INTRO.search(t.text[:300])
            if m and m.group(1) not in _NOT_NAMES and m.group(1).casefold() not in intro_names:
                out.append(_hit("TRANSFER", "agent_intro", i, t, m.start(), m.end(), agent=m.group(1)))
        m0 = _INTRO.search(t.text[:300])
        if m0 and m0.group(1) not in _NOT_NAMES:
            intro_names.add(m0.group(1).casefold())
        if name:
            last_name = name
        seen_agent = True
    return out


def _reasked(turns: tuple[Turn, ...]) -> list[MarkerHit]:
    """Agent asks for a slot value the customer gave in an earlier turn."""
    given: dict[str, int] = {}  # slot -> last customer turn that gave it
    out: list[MarkerHit] = []
    for i, t in enumerate(turns):
        text = t.text or ""
        if t.speaker == "customer":
            for slot in SLOTS:
                if slot.given.search(text):
                    given[slot.name] = i
        elif t.speaker == "agent" and given:
            for slot in SLOTS:
                if slot.name not in given:
                    continue
                m = slot.asked.search(text)
                if not m:
                    continue
                window = text[max(0, m.start() - 80) : m.end() + 80]
                if not _ASK_CUE.search(window) or _NOT_ASK.search(window):
                    continue
                out.append(_hit("REPEAT_INFO", f"reasked.{slot.name}", i, t, m.start(), m.end(),
                                cited_turn=given[slot.name], slot=slot.name))
    return out


_WORD = re.compile(r"[a-z0-9']+")

#: A question that checks something the customer may already have said.
_CHECK_Q = _rx(
    r"^\W*(?:\w+[,!]\s+)?(?:have you (?:already )?(?:tried|checked|done|restarted|reinstalled|updated|reset|cleared|"
    r"power cycled|rebooted|logged|signed|attempted|been able)|did you (?:try|check|restart|reinstall|update|reset|clear|"
    r"attempt)|were you able to|are you (?:using|on|streaming|trying|playing|connected|seeing|getting)|"
    r"is (?:it|this|the \w+) (?:happening|occurring|on|with|the)|does (?:it|this) happen|"
    r"(?:can|could) you (?:confirm|tell us|let us know) (?:if|whether|what|which|when)|"
    r"what (?:time|model|version|device|platform|browser|router|error|message)|which (?:model|version|device|platform|browser|app|station|store|flight|train))"
)
_SENT = re.compile(r"[^.!?\n]*\?")
_STOP = frozenset(
    "about above after again also any anything are been before being both can could did does doing done don't each from "
    "have having here how into just let like make more most much need only other our please same should some still such "
    "than that the their them then there these they this those through time very want was were what when where which "
    "while will with would you your you're yours able sure know thanks thank help happen happening issue problem error "
    "working work trying tried try using used use check checked yes also currently already".split()
)


def _stem(w: str) -> str:
    """Crude suffix strip so "restarted" and "restarting" meet."""
    for suf in ("ing", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)]
    return w


def _content(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if len(w) >= 4 and w not in _STOP and not w.isdigit()}


def _reasked_content(turns: tuple[Turn, ...], min_overlap: int = 2) -> list[MarkerHit]:
    """Agent asks (as a check question) about things the customer already said.

    Linear: one running map of content word -> last customer turn using it;
    each agent question is compared with it.
    """
    seen: dict[str, int] = {}
    out: list[MarkerHit] = []
    for i, t in enumerate(turns):
        text = (t.text or "")[:5000]
        if t.speaker == "customer":
            for w in _content(text):
                seen[w] = i
        elif t.speaker == "agent" and seen:
            for m in _SENT.finditer(text):
                q = m.group(0).strip()
                if not _CHECK_Q.search(q):
                    continue
                words = _content(q)
                common = [w for w in words if w in seen]
                if len(common) >= min_overlap and len(common) * 2 >= len(words):
                    start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
                    out.append(_hit("REPEAT_INFO", "reasked_content", i, t, start, m.end(),
                                    cited_turn=max(seen[w] for w in common), slot="content",
                                    words=sorted(common)))
                    break
    return out


def _repeated_messages(turns: tuple[Turn, ...], lookback: int = 8) -> list[MarkerHit]:
    """The customer sends (nearly) the same message again (Jaccard >= 0.7, 6+ words)."""
    out: list[MarkerHit] = []
    recent: list[tuple[int, frozenset[str]]] = []
    for i, t in enumerate(turns):
        if t.speaker != "customer" or not t.text:
            continue
        words = frozenset(w for w in _WORD.findall(t.text[:5000].lower()) if not w.isdigit())
        if len(words) >= 6:
            for j, prev in recent:
                if len(words & prev) / len(words | prev) >= 0.7:
                    out.append(_hit("REPEAT_INFO", "repeated_message", i, t, 0, min(len(t.text), 80),
                                    cited_turn=j, slot="message"))
                    break
            recent.append((i, words))
            recent = recent[-lookback:]
    return out


_HANDOFF_LABELS = frozenset({"TRANSFER", "CHANNEL_SWITCH", "REPEAT_CONTACT"})


def _unresolved(turns: tuple[Turn, ...], rule_hits: list[MarkerHit]) -> list[MarkerHit]:
    """Judge the ending: handed off elsewhere, or no thanks / "fixed" from the customer."""
    last_c = last_a = None
    for i, t in enumerate(turns):
        if t.text and t.text.strip():
            if t.speaker == "customer":
                last_c = i
            elif t.speaker == "agent":
                last_a = i
    if last_c is None:
        return []
    ct = turns[last_c]
    tail = ct.text[-600:]
    fixed = _FIXED.search(tail)
    if fixed and not _NEG_FIXED.search(tail[: fixed.start()]):
        return []
    if last_a is not None:
        handoff = [h for h in rule_hits if h.turn == last_a and h.label in _HANDOFF_LABELS]
        if handoff:
            h = handoff[0]
            return [_hit("UNRESOLVED", "unresolved_handoff", last_a, turns[last_a], h.start, h.end,
                         via=h.label)]
    if last_a is not None and last_a > last_c:
        # The agent had the last word: judge the customer's last message.
        if _THANKS.search(tail) and not _OPEN.search(tail):
            return []
    elif _THANKS.search(tail) and not _OPEN.search(tail):
        return []
    return [_hit("UNRESOLVED", "unresolved_open_end", last_c, ct, 0, min(len(ct.text), 80))]
