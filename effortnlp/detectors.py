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
- ``crossturn.restated`` (REPEAT_INFO): the customer explains again, in other
  words, what they already wrote before the agent's reply: a customer turn
  sharing at least four content words, and at least 40% of its own, with an
  earlier one (@handles, links, and an email's greeting, sign-off and quoted
  reply left out); ``detail`` cites that turn.
- ``crossturn.unresolved_handoff`` / ``crossturn.unresolved_open_end``
  (UNRESOLVED): the ticket ends handed off elsewhere, or with the customer's
  last word not a thanks or a "that fixed it".
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from dataclasses import dataclass

from .gates import Branches, Gate, gate_text, lowered_twin, split_branches, turns_holding
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
        _rx(r"\b(?:phone|mobile|cell|contact|telephone|callback|registered)\s*(?:number|#|no\b)|\byour\s+(?:number|no\b)"),
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
            r"samsung|galaxy\s*\w*|pixel\s*\d*|linux|chromebook|apple watch|"
            r"netgear|linksys|tp-?link|d-?link|asus|arris|motorola|belkin|eero|orbi|nighthawk|ubiquiti|technicolor|actiontec)\b"
            # a router or modem named by its model code: "WRT 3200 ACM router", "my modem is a TG-1672"
            r"|(?-i:\b[A-Z]{2,}[- ]?\d{3,5}[A-Z]*)\s+(?:(?-i:[A-Z]{2,5})\s+)?(?:router|modem|gateway)\b"
            r"|\b(?:router|modem|gateway)\s+(?:is\s+(?:an?\s+|the\s+)?)?(?-i:[A-Z][A-Za-z]*[- ]?\d{2,5})"
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
        "time",
        _rx(r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)|\b(?:[01]?\d|2[0-3]):[0-5]\d\b"),
        _rx(r"\b(?:what|which)\s+(?:sort of\s+|kind of\s+|)time\b(?!\s+(?:zone|frame))|\bdeparture time\b|\btime of (?:travel|departure|your)\b"),
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

#: Slots whose question naming a value right after ("which model Apple Watch") narrows it down.
_NARROWING = frozenset({"device"})

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
#
# How a ticket ends decides UNRESOLVED. Resolution signals come in families
# (the family name is the ``resolved_by`` an ``ending`` reports):
#
# - ``customer_confirms``: the customer says it is fixed, done or received
#   ("that worked", "all sorted", "it's back up", "the refund came through").
# - ``agent_confirms``: the agent reports a completed action ("I've refunded
#   the charge", "that's been processed", "you should now see it") or reacts
#   to a fix ("glad to hear it's working"), and the customer does not contest.
# - ``customer_thanks``: the customer's last word is a plain acknowledgement
#   ("got it, thanks", "perfect", a thumbs-up) that contests nothing, after
#   an agent turn that did not hand the issue elsewhere.
# - ``answered``: the customer's last message asked something and the agent's
#   last word answers it (no question back, no handoff, no "we can't").
#
# Open signals keep it unresolved: still broken, a new question, "but",
# pending elsewhere ("we've passed it to...", "someone will be in touch").

_FIXED = _rx(
    r"\b(?:it\s+)?(?:worked|works (?:now|again|fine|perfectly|great)|working (?:now|again|fine|ok|okay|great|perfectly|properly)|"
    r"fixed|sorted|resolved|solved|all (?:good|set|done|clear|working)|answered|got it (?:working|sorted|fixed|now)|"
    r"(?:back )?up and running|problem solved|that did it|did the trick|(?:that|this)(?:'s| has)? done (?:it|the trick)|"
    r"issue is gone|(?:it'?s|is|are|they'?re|everything'?s) back (?:up|on|online|to normal|working)|"
    r"(?:received|got|get) (?:it|them|the (?:refund|email|code|link|money|credit|parcel|package|item|order|replacement))|"
    r"got it|arrived|came through|come through|went through|gone through|showing (?:up )?now|that (?:answers|helps|helped)|"
    r"answers my question|found it|working (?:just )?fine|(?:for|thanks for) (?:sorting|fixing|resolving|solving|sorting out|getting)|"
    r"managed (?:it|now|to (?:do|sort|fix|get))|all (?:is |)(?:good|sorted|fixed|resolved|solved) now|"
    # the customer solved it themself
    r"figured (?:it|this|that|everything)(?: all)? out|got (?:it|this|everything) (?:all )?figured out|"
    r"worked (?:it|this|that) out|all (?:i|we) (?:had|needed) to do was)\b"
)
_THANKS = _rx(
    r"\b(?:thanks|thank you|thank u|thankyou|thx|ty|tysm|tq\w*|cheers|appreciate(?:d)?|much appreciated|"
    r"you(?:'ve| have) been (?:very |so |really )?helpful|that'?s (?:very |so |really )?helpful)\b"
    "|[\U0001F44D\U0001F44C\U0001F64F\U0001F64C\U0001F60A\U0001F642\U0001F600\U0001F601\U0001F603\U0001F604"
    "\U0001F60D\u263A\u2764\U0001F499\U0001F49A\U0001F49B\U0001F49C\U0001F4AF\u2705\U0001F917]"
)
#: Acknowledgements that count only in a short message ("perfect!", "ok great"): longer, they are often sarcasm.
_WEAK_ACK = _rx(
    r"\b(?:perfect|great|awesome|brilliant|excellent|amazing|understood|makes sense|ok(?:ay)?|kk?|cool|noted|lovely|"
    r"fab|fantastic|wonderful|legend|you rock|superb|nice one|sweet|good to know|fair enough|gotcha|roger|"
    # a closing pleasantry answering the agent's ("have a good day" -> "you too")
    r"(?:and )?you too|(?:me|you) too|same to you|likewise|keep up the (?:good|great) work|no worries|no problem|"
    r"(?:have|enjoy) a (?:good|great|nice|lovely|wonderful) (?:day|night|evening|weekend|one|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b"
)
_SHORT_ACK_WORDS = 8
_OPEN = _rx(
    r"\?|\b(?:still|but|however|not|no|never|nothing|waiting|hopefully|if not|unless|yet|why|unacceptable|"
    r"ridiculous|useless|terrible|awful|worst|again|let me know|keep me (?:posted|updated)|look(?:ing)? forward|"
    r"will (?:try|wait|check|see|let you know|keep you|call|contact|email|dm|message|visit|go)|i'?ll (?:try|wait|check|see|let you know|"
    r"keep you|call|contact|email|dm|message|visit|go)|will do|fingers crossed)\b|n't\b"
)
#: A message that opens with thanks or a strong acknowledgement (after @handles).
_THANKS_FIRST = _rx(
    r"^\s*(?:@\w+\W*)*(?:(?:oh|ok(?:ay)?|ah|wow|yes|yay|great|perfect|brilliant|amazing|awesome|excellent|fantastic|lovely|"
    r"wonderful|superb|cool)\W+){0,2}(?:thanks|thank you|thank u|thankyou|thx|ty|cheers|many thanks|much appreciated)\b"
)
#: What still contests a message that opens with thanks.
_STRONG_OPEN = _rx(
    r"\?|\b(?:still|but|however|unacceptable|ridiculous|useless|terrible|awful|worst|"
    r"not (?:working|fixed|resolved|sorted|received|helpful|happy|good enough|what i)|"
    r"(?:doesn't|didn't|won't|isn't|hasn't|haven't|can't|cannot|couldn't|does not|did not|has not|have not) "
    r"(?:work|help|fix|arrive|receive|load|open|connect|get|see|find|been|answer|solve|resolve))\b"
)
#: Courtesies holding an open word ("no worries", "not at all"), removed before _OPEN is tried.
_COURTESY = _rx(
    r"\b(?:no (?:worries|problem|problems|prob|probs|rush|need|issue|issues|bother|stress|hurry)|not a problem|"
    r"not at all|(?:couldn't|could not) be happier|(?:can't|cannot) thank you enough|(?:don't|do not) worry|"
    r"nothing else|that'?s all(?: i needed)?|you(?:'ve| have) (?:not|never) let me down|"
    r"no,? (?:thanks|thank you|that'?s (?:everything|it|all|fine|great|perfect))|that'?s everything|"
    r"(?:can't|cannot) wait to|"
    # "thanks again" is no "broken again"
    r"(?:thanks|thank you|thank u|thx|ty|cheers)(?: so much| very much| both| all)? again|(?:once )?again,? (?:thanks|thank you)|"
    # past doubt the answer settled ("I wasn't sure it would...", "had no idea")
    r"(?:i|we) (?:wasn't|was not|wasnt|weren't|were not) sure|(?:i|we) had no idea|"
    r"(?:i|we) (?:didn't|did not) (?:realise|realize))\b"
)
_NEG_FIXED = _rx(r"\b(?:not|never|hasn't|haven't|isn't|wasn't|didn't|doesn't|still|un)\W*(?:\w+\W+){0,2}$")

_DONE_VERBS = (
    r"refunded|cancell?ed|updated|reset|re-?booked|processed|credited|applied|added|removed|fixed|resolved|reinstated|"
    r"restored|unlocked|re-?activated|re-?sent|re-?issued|issued|corrected|changed|waived|reversed|approved|activated|"
    r"upgraded|extended|amended|adjusted|cleared|unblocked|unsuspended|released|sorted|renewed|replaced|deleted|merged|"
    r"refreshed|enabled|re-?enabled|disabled|dispatched|shipped|re-?shipped|completed|confirmed|arranged|taken care of"
)
#: The agent reports a completed action, or reacts to the customer's fix.
_AGENT_DONE = _rx(
    r"\b(?:i|we)(?:'ve| have)? (?:now |just |already |gone ahead and |successfully |been able to |managed to )*(?:"
    + _DONE_VERBS
    + r")\b(?! (?:to|with|for) (?:our|the|a|your)? ?(?:team|department|specialists?|experts?|colleagues?))"
    r"|\b(?:has|have|'s|is|are) (?:now |just |already |successfully )?(?:been )?(?:" + _DONE_VERBS + r")\b"
    r"(?! (?:to|with) (?:our|the|a) (?:team|department|specialists?|experts?))"
    r"|\byou should (?:now |then |already )?(?:see|be able to|have (?:it|them|access|received)|be all set|be good to go|be sorted|notice)"
    r"|\b(?:is|are|it'?s|should be|will be) (?:now |back )+(?:fixed|working|live|resolved|restored|active|showing|visible|available|"
    r"sorted|online|up|in your account|on your account)"
    r"|\ball (?:done|set|sorted)\b|\b(?:that|this|it) (?:should|will) (?:do it|do the trick|fix it|sort it)"
    r"|\b(?:glad|happy|great|good|pleased|nice|awesome) (?:to )?(?:hear|see|know|that|we could|it|you|everything)\b"
    r"(?:(?!\?).){0,60}?\b(?:work|working|worked|fixed|sorted|resolved|back|up and running|helped|help|all set|good|going|arrived|received|there|in)"
)
#: The agent's closing reacts to a good outcome or to thanks ("glad we could help",
#: "great to hear!", "you're welcome"): the customer's last word was a happy one.
_AGENT_GLAD = _rx(
    r"\b(?:glad|happy|pleased|delighted) (?:that )?(?:we|i)(?: were| was| could| can|'ve been| have been)+ (?:able to )?"
    r"(?:help|assist|sort|fix|resolve|get)"
    r"|\b(?:great|good|glad|happy|lovely|nice|pleased|awesome|fantastic|wonderful|brilliant) to (?:hear|see|read)"
    r"(?: (?:that|it|this))?\s*(?:[.!]|,? (?:[A-Z]\w*|:\)|\U0001F600|\U0001F60A)?\s*[.!]|$)"
    r"|\byou(?:'re| are) (?:very |most |so )?welcome\b|\bmy pleasure\b|\b(?:any ?time|no problem at all)[.!]"
    # the agent sees the trip worked out ("we see you made it", "thrilled to see you've arrived")
    r"|\b(?:see|seeing|looks like|glad|great|good|happy|pleased) (?:that )?you(?:'ve| have)? "
    r"(?:made it|got there|got home|arrived|landed|made (?:your|the) (?:connection|flight|train))"
)
#: The agent's last word leaves the issue pending ("looking into it", "under review").
_AGENT_PENDING = _rx(
    r"\b(?:looking into|investigating|(?:we|i)(?:'ll| will) (?:look|check|investigate|review|dig|find out)|"
    r"being (?:looked into|investigated|reviewed|worked on|processed)|under (?:review|investigation)|"
    r"(?:working on|work on) (?:it|this|a fix|the issue|resolving|getting)|(?:aware of|know about) (?:the|this|an|these) (?:issue|problem)s?|"
    r"(?:will|to) be (?:reviewed|investigated|looked at|looked into)|no (?:eta|timeframe|update) (?:yet|at this time)|"
    r"(?:will|'ll|should) (?:hear|receive|get) (?:back|an? (?:email|call|reply|response|update))|(?:hear|received?) from (?:them|the \w+ team)|"
    r"be patient|while we|in the meantime|one moment|right with you|keep (?:checking|an eye on)|(?:once|as soon as) (?:we|they|it's|the)|"
    r"we'?ve got you covered)\b"
)
#: The agent asks or cannot: its last word is no answer.
_AGENT_NOT_ANSWER = _rx(
    r"\?|\b(?:unfortunately|unable|can't|cannot|can not|won't be able|not able|don't have|do not have|not possible|"
    r"isn't possible|not available|sorry to hear|apologi[sz]e for|we'?re sorry|please|pls|kindly|dm|visit|contact|"
    r"reach out|check out|let us know|wait|in progress|visiting|replied|website)\b"
)
#: The agent closes an explanation with "hope this helps / clarifies".
_AGENT_HOPE = _rx(
    r"\b(?:hope|hoping) (?:this|that|it|the above|the info|the information) (?:helps|helped|clarifies|clears|answers|explains|"
    r"is (?:helpful|useful|clear)|makes (?:it |things )?(?:sense|clear))"
)
#: ... unless what it explained is a fix still to try, or a pointer to a guide.
_ADVICE = _rx(
    r"\?|\b(?:try|trying|suggest|recommend|advise|check|guide|tips|steps|troubleshoot\w*|restart|reboot|reset|clear|"
    r"reinstall|update|let (?:us|me) know|keep (?:us|me) posted|hopefully|fingers crossed|visit|call|report|"
    r"(?:may|might|will) need|need to|could|please|dm|contact|reach out)\b"
)
#: Words the explanation needs besides its links.
_HOPE_MIN_WORDS = 20
#: A fix still to try, or a reply sent elsewhere: no answer in the thread itself.
_TRY_IT = _rx(
    r"\b(?:try|trying|test|restart|reboot|reset|(?:log|sign) (?:out|in|back)|reinstall|clear|update|go ahead and|"
    r"replied|responded|sent you|let (?:us|me) know|keep (?:us|me) posted|"
    r"hope (?:this|that|it|everything|the \w+)(?: has| is|'s| was| will))\b"
)
_URL = re.compile(r"https?://\S+")
_QUESTION = _rx(
    r"\?|^\W*(?:@\w+\s+)*(?:hi|hello|hey)?\W*(?:what|when|where|which|who|why|how|is|are|can|could|do|does|did|will|would|should)\b"
)


# -- the ticket as the detectors read it ---------------------------------------

class _Parts:
    """Texts joined by newlines and lower-cased once, for locating gate literals in them.

    The joined texts (``joined``, ``low``) and where each one is in them (``starts``, ``ends``)
    are built on first use: where the scans (``_Scans``) locate the patterns, most tickets need none.
    """

    __slots__ = ("_ends", "_joined", "_low", "_starts", "longest", "texts")

    def __init__(self, texts: list[str]):
        self.texts = texts
        self.longest = max(map(len, texts), default=0)
        self._joined: str | None = None
        self._low: str | None | bool = False  # False: not yet lower-cased (gate_text may give None)
        self._starts: list[int] | None = None
        self._ends: list[int] = []

    @property
    def joined(self) -> str:
        """The texts joined by newlines."""
        if self._joined is None:
            self._joined = "\n".join(self.texts)
        return self._joined

    @property
    def low(self) -> str | None:
        """``gate_text`` of ``joined``."""
        if self._low is False:
            self._low = gate_text(self.joined)
        return self._low  # type: ignore[return-value]

    @property
    def starts(self) -> list[int]:
        """Where each text starts in ``joined`` (and in ``low``, where that is not ``None``)."""
        if self._starts is None:
            starts, ends = [], self._ends
            pos = 0
            for text in self.texts:
                starts.append(pos)
                pos += len(text)
                ends.append(pos)
                pos += 1
            self._starts = starts
        return self._starts

    @property
    def ends(self) -> list[int]:
        """Where each text ends in ``joined``."""
        if self._starts is None:
            self.starts  # noqa: B018 - builds both
        return self._ends

    def part(self, k: int) -> str | None:
        """The lower-cased text ``k`` as ``gate_text`` gives it (``None``: not to be gated)."""
        if self.low is None:
            return gate_text(self.texts[k])
        return self.low[self.starts[k] : self.ends[k]]

    def possible_head(self, gate: Gate, limit: int, start: int = 0) -> list[int]:
        """Positions ``k >= start`` where ``gate.possible(gate_text(texts[k][:limit]))``, ascending.

        Exactly what a per-text gate on each text's first ``limit`` characters
        lets through (for a detector that also reads those texts otherwise than
        with the gated pattern): ``possible`` on the whole texts, rechecked on
        the head of the texts longer than ``limit``.
        """
        texts = self.texts
        return [
            k
            for k in self.possible(gate, start)
            if len(texts[k]) <= limit or gate.possible(gate_text(texts[k][:limit]))
        ]

    def located(self, found: list[int], gate: Gate, limit: int | None = None, links: bool = False) -> list[int]:
        """Positions (ascending) of the texts where a pattern may match in what is read of them: the
        first ``limit`` characters (all, for ``None``), with links blanked if ``links`` (as
        ``_reasked_own`` reads them). ``found``: where a scan of the whole texts says it may match;
        ``gate``: the pattern's literal gate.

        The scan speaks for a text that is read whole and as it is (no longer than ``limit``, and
        holding no "http" when links are blanked): a match in what is read is a match in the text.
        For the others the literal gate on the first ``limit`` characters decides, as it did before
        there was a scan (a blanked link is a run of eight or more spaces, inside no literal of a match).
        """
        texts = self.texts
        odd: list[int] = []
        if limit is not None and self.longest > limit:
            odd = [k for k, text in enumerate(texts) if len(text) > limit]
        if links and "http" in self.joined:  # (``_URL`` is case-sensitive)
            odd += turns_holding(self.joined, self.starts, self.ends, ("http",))
        if not odd:
            return found
        odd_set = set(odd)
        keep = {k for k in found if k not in odd_set}
        keep.update(k for k in odd_set if gate.possible(gate_text(texts[k][:limit] if limit is not None else texts[k])))
        return sorted(keep)

    def possible(self, gate: Gate, start: int = 0) -> list[int] | range:
        """Positions ``k >= start`` of the texts where ``gate`` allows a match, ascending."""
        low = self.low
        if low is None:
            return [k for k in range(start, len(self.texts)) if gate.possible(gate_text(self.texts[k]))]
        # No ``gate.possible(self.low)`` first: locating the strongest set's strings already
        # scans the whole text for each of them once, and finds nothing where they are absent.
        if not start:
            return gate.possible_parts(low, self.starts, self.ends)
        if start >= len(self.texts):
            return []
        off = self.starts[start]  # (only the end of the joined text from there is searched)
        starts, ends = [p - off for p in self.starts[start:]], [p - off for p in self.ends[start:]]
        return [start + k for k in gate.possible_parts(low[off:], starts, ends)]


# The tables keyed by a pattern (its gate, its lowered twin, its place on a scan) are keyed by its
# ``id``: hashing a compiled pattern hashes all of its compiled code each time (``re`` keeps no hash),
# thousands of instructions for the long ones, and they are looked up several times per ticket.
# Each entry holds its pattern, which keeps the ``id`` from being reused.

_GATES: dict[int, tuple[re.Pattern[str], Gate]] = {}


def _gate(regex: re.Pattern[str]) -> Gate:
    got = _GATES.get(id(regex))
    if got is None:
        got = _GATES[id(regex)] = (regex, Gate(regex))
    return got[1]


@functools.cache
def _slot_gates() -> tuple[tuple[Slot, Gate, Branches | None, tuple[Gate, ...]], ...]:
    """Each slot with the gate of its "given" pattern, and its "asked" pattern's alternatives and their gates.

    An "asked" pattern with top-level alternatives is gated per alternative
    (``effortnlp.gates.Branches``): a turn may match only where one of them
    may (one alternative with common words, "what ... device" or "your
    number", no longer lets every turn holding the other's words through),
    and is searched with just those (what they find there is what the whole
    pattern finds). Built on first use.
    """
    out = []
    for slot in SLOTS:
        split = split_branches(slot.asked)
        branches = Branches(slot.asked, *split) if split else None
        out.append((slot, _gate(slot.given), branches, branches.gates if branches else (_gate(slot.asked),)))
    return tuple(out)


class _Scans:
    """One Hyperscan scan per speaker (``effortnlp.hyper``) of the patterns the detectors locate turns by.

    The customer's: every slot's "given" pattern (its index is the slot's
    order), then ``_C_SCANNED``; the agent's: every alternative
    ``_slot_gates`` gates the "asked" patterns by (``steps[j]`` is the (slot
    order, alternative) of pattern ``j``), then ``_A_SCANNED``. A pattern
    Hyperscan cannot take keeps its literal gate (``on_scan`` leaves it out).
    """

    __slots__ = ("agent", "asked_on", "customer", "off_given", "on_scan", "steps")

    def __init__(self, hyper) -> None:
        slots = _slot_gates()
        given = [slot.given for slot, _, _, _ in slots]
        asked = [(order, b, g.regex) for order, (_, _, _, gates) in enumerate(slots) for b, g in enumerate(gates)]
        self.steps = [(order, b) for order, b, _ in asked]
        self.customer = hyper.RegexScan([*given, *_C_SCANNED])
        #: the orders of the slots whose "given" pattern is not on the scan
        self.off_given = frozenset(order for order in range(len(given)) if not self.customer.scanned[order])
        self.agent = hyper.RegexScan([*(rx for _, _, rx in asked), *_A_SCANNED])
        #: the (slot order, alternative) of the "asked" patterns on the scan
        self.asked_on = frozenset(step for step, on in zip(self.steps, self.agent.scanned[: len(asked)], strict=True) if on)
        #: (speaker, ``id`` of the pattern) -> its index on that speaker's scan, for the detectors' own
        #: patterns on it (module constants, alive as long as this; by ``id``: see ``_GATES``)
        self.on_scan: dict[tuple[str, int], int] = {}
        for side, scan, first, patterns in (("customer", self.customer, len(given), _C_SCANNED),
                                            ("agent", self.agent, len(asked), _A_SCANNED)):
            for j, rx in enumerate(patterns, first):
                if scan.scanned[j]:
                    self.on_scan[(side, id(rx))] = j


@functools.cache
def _slot_scans() -> _Scans | None:
    """The detectors' Hyperscan scans (``_Scans``); ``None`` without Hyperscan. Built on first use."""
    from . import hyper

    return _Scans(hyper) if hyper.available() else None


class _View:
    """One ticket's turns as the detectors read them, shared by all of them.

    The speaker lists come from one pass over the turns; the joined,
    lower-cased texts (``_Parts``), the customer turns' word lists and the
    two Hyperscan scans (``_Scans``) are built on first use, once. A detector
    asks ``c_may``/``a_may`` where a pattern may match: the scan tells where
    it can, the literal gates elsewhere.
    """

    __slots__ = (
        "_a_parts", "_a_scan", "_c_content", "_c_parts", "_c_scan", "_c_words", "agent", "customer", "spoken",
        "spoken_customer", "turns",
    )

    def __init__(self, turns: tuple[Turn, ...]):
        self.turns = turns
        #: (turn index, text) of the customer's and the agent's turns
        self.customer: list[tuple[int, str]] = []
        self.agent: list[tuple[int, str]] = []
        #: indices of the customer and agent turns with some non-blank text (what ``ending`` reads)
        self.spoken: list[int] = []
        self.spoken_customer: list[int] = []  # ... of them, the customer's
        add_customer, add_agent = self.customer.append, self.agent.append
        add_spoken, add_spoken_customer = self.spoken.append, self.spoken_customer.append
        for i, t in enumerate(turns):
            speaker = t.speaker
            if speaker == "customer":
                text = t.text or ""
                add_customer((i, text))
                if text and not text.isspace():  # the same as ``text.strip()`` being non-empty
                    add_spoken(i)
                    add_spoken_customer(i)
            elif speaker == "agent":
                text = t.text or ""
                add_agent((i, text))
                if text and not text.isspace():
                    add_spoken(i)
        self._c_parts: _Parts | None = None
        self._a_parts: _Parts | None = None
        self._c_words: list[list[str]] | None = None
        self._c_content: list[set[str]] | None = None
        self._c_scan: dict[int, list[int]] | None = None
        self._a_scan: dict[int, list[int]] | None = None

    @property
    def c_parts(self) -> _Parts:
        if self._c_parts is None:
            self._c_parts = _Parts([text for _, text in self.customer])
        return self._c_parts

    @property
    def a_parts(self) -> _Parts:
        if self._a_parts is None:
            self._a_parts = _Parts([text for _, text in self.agent])
        return self._a_parts

    def c_scan(self, scans: _Scans) -> dict[int, list[int]]:
        """The customer turns' scan (``_Scans.customer``): pattern index -> positions in ``customer``."""
        if self._c_scan is None:
            self._c_scan = scans.customer.scan(self.c_parts.texts)
        return self._c_scan

    def a_scan(self, scans: _Scans) -> dict[int, list[int]]:
        """The agent turns' scan (``_Scans.agent``): pattern index -> positions in ``agent``."""
        if self._a_scan is None:
            self._a_scan = scans.agent.scan(self.a_parts.texts)
        return self._a_scan

    def c_may(self, regex: re.Pattern[str], limit: int | None = None, start: int = 0) -> list[int]:
        """Positions ``k >= start`` in ``customer`` (ascending) of the turns where ``regex`` may match in the
        first ``limit`` characters: from the scan where it is on it, else from its literal gate."""
        scans = _slot_scans()
        j = scans.on_scan.get(("customer", id(regex))) if scans is not None else None
        if j is None:
            gate, parts = _gate(regex), self.c_parts
            return parts.possible_head(gate, limit, start) if limit is not None else list(parts.possible(gate, start))
        found = self.c_parts.located(self.c_scan(scans).get(j, []), _gate(regex), limit)
        return found[bisect_left(found, start) :] if start else found

    def a_may(
        self, regex: re.Pattern[str], limit: int | None = None, links: bool = False, gate: Gate | None = None
    ) -> list[int]:
        """Positions in ``agent`` (ascending) of the turns where ``regex`` may match in the first ``limit``
        characters, with links blanked if ``links`` (``_Parts.located``): from the scan where it is on
        it, else from its literal gate (``gate``, if given: the same gate locating other strings first)."""
        gate = gate or _gate(regex)
        scans = _slot_scans()
        j = scans.on_scan.get(("agent", id(regex))) if scans is not None else None
        if j is None:
            return self.a_parts.possible_head(gate, limit) if limit is not None else list(self.a_parts.possible(gate))
        return self.a_parts.located(self.a_scan(scans).get(j, []), gate, limit, links)

    @property
    def c_words(self) -> list[list[str]]:
        """The ``_WORD`` tokens of each customer turn's first 5,000 characters, lower-cased (as ``customer``)."""
        if self._c_words is None:
            texts = self.c_parts.texts
            self._c_words = _words_of([text[:5000] for text in texts] if self.c_parts.longest > 5000 else texts)
        return self._c_words

    @property
    def c_content(self) -> list[set[str]]:
        """The content words (``_content_of``) of each customer turn's ``c_words``. Do not mutate."""
        if self._c_content is None:
            self._c_content = list(map(_content_of, self.c_words))
        return self._c_content


def cross_turn_hits(ticket: Ticket, rule_hits: list[MarkerHit]) -> list[MarkerHit]:
    """Hits from agent changes, re-asked information and the ticket's shape."""
    turns = ticket.turns
    view = _View(turns)
    out: list[MarkerHit] = []
    out.extend(_agent_changes(turns, view))
    out.extend(_reasked(turns, view))
    out.extend(_reasked_content(turns, view=view))
    repeated = _repeated_messages(turns, view=view)
    out.extend(repeated)
    out.extend(_restated(turns, view=view, skip=frozenset([h.turn for h in repeated]) if repeated else frozenset()))
    out.extend(_reasked_own(turns, view=view))
    out.extend(_already_done(turns, view))
    out.extend(_unresolved(turns, rule_hits, view))
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


def _agent_changes(turns: tuple[Turn, ...], view: _View | None = None) -> list[MarkerHit]:
    v = view if view is not None else _View(turns)
    # Where every agent turn (bots aside) carries one and the same name, none is a hit: no name
    # differs from the last, and an introduction counts only in a turn without a name.
    names = {turns[i].agent_name for i, _ in v.agent if not turns[i].is_bot}
    if not names or (len(names) == 1 and (next(iter(names)) or "").strip()):
        return []
    # An introduction is a hit only in a turn without an agent name after another agent turn (bots
    # aside); where there is none, no introduction is looked for (what one would add to
    # ``intro_names`` is then never read).
    intro_at: set[int] = set()
    seen = False
    for i, _ in v.agent:
        t = turns[i]
        if t.is_bot:
            continue
        if seen and not (t.agent_name or "").strip():
            # The agent turns that may hold an introduction ("this is", "i'm", ...): _INTRO runs on those only, once.
            intro_at = {v.agent[k][0] for k in v.a_parts.possible(_gate(_INTRO))}
            break
        seen = True
    out: list[MarkerHit] = []
    last_name: str | None = None
    seen_agent = False
    intro_names: set[str] = set()
    for i, _ in v.agent:
        t = turns[i]
        # A bot handing the chat to the first human is how a chat starts, not a
        # hand-off of the issue between people: bots neither count nor reset.
        if t.is_bot:
            continue
        name = (t.agent_name or "").strip() or None
        m = _INTRO.search(t.text[:300]) if i in intro_at else None
        intro = m.group(1) if m and m.group(1) not in _NOT_NAMES else None
        if name and last_name and name.casefold() != last_name.casefold():
            out.append(_hit("TRANSFER", "agent_change", i, t, 0, min(len(t.text), 80),
                            previous_agent=last_name, agent=name))
        elif seen_agent and not name and intro and intro.casefold() not in intro_names:
            out.append(_hit("TRANSFER", "agent_intro", i, t, m.start(), m.end(), agent=intro))  # type: ignore[union-attr]
        if intro:
            intro_names.add(intro.casefold())
        if name:
            last_name = name
        seen_agent = True
    return out


def _reasked(turns: tuple[Turn, ...], view: _View | None = None) -> list[MarkerHit]:
    """Agent asks for a slot value the customer gave in an earlier turn.

    The hit cites the last customer turn before the ask that gave the slot.
    Linear, and the cheap tests first. Per slot: the literal gates of its
    "given" and "asked" patterns are tried on the customer and the agent
    turns' joined, lower-cased texts (``effortnlp.gates``); if both may
    match, the agent turns that hold the "asked" literals are located with
    ``str.find`` in the joined text and the pattern (with its ask-cue checks)
    runs on them; only for an agent turn that asks does the "given" pattern
    run, on the customer turns before it, the latest first, until one gives
    the slot. (The "given" patterns are the slow ones, and most of their gates
    let through any text with a digit.) With Hyperscan, one scan of the
    customer turns and one of the agent turns (``_slot_scans``) say where
    each pattern may match instead of the literal gates.
    """
    v = view if view is not None else _View(turns)
    customer, agent = v.customer, v.agent
    if not customer or not agent or agent[-1][0] < customer[0][0]:
        return []
    first = customer[0][0]
    found: list[tuple[int, int, MarkerHit]] = []  # (agent position, slot order, hit): sorted at the end
    scans = _slot_scans()
    given_at: dict[int, list[int]] = {}  # slot order -> customer positions where "given" may match
    asked_at: dict[tuple[int, int], list[int]] | None = None  # (slot order, alternative) -> agent positions
    if scans is not None:
        given_at = v.c_scan(scans)
    slots = _slot_gates()
    cue_twins = (_twin(_ASK_CUE), _twin(_NOT_ASK))
    if not all(cue_twins):
        cue_twins = None
    # the slots that may have been given: with the scan, those it found (and any not on it)
    orders = range(len(slots)) if scans is None else sorted({*(o for o in given_at if o < len(slots)), *scans.off_given})
    for order in orders:
        slot, given_gate, branches, asked_gates = slots[order]
        gives_at: set[int] | None = None  # from the scan; None: ask the literal gate
        if scans is not None and scans.customer.scanned[order]:
            gives_at = set(given_at.get(order, ()))
            if not gives_at:
                continue
        elif not given_gate.possible(v.c_parts.low):
            continue
        if scans is not None and asked_at is None:  # the agent turns are read once some slot was given
            steps = scans.steps
            asked_at = {steps[j]: ks for j, ks in v.a_scan(scans).items() if j < len(steps)}
        # agent position -> the alternatives of the "asked" pattern that may match there (ascending)
        picked: dict[int, list[int]] = {}
        for b, gate in enumerate(asked_gates):
            on_scan = scans is not None and (order, b) in scans.asked_on
            for k in asked_at.get((order, b), ()) if on_scan else v.a_parts.possible(gate):
                picked.setdefault(k, []).append(b)
        asks: list[tuple[int, re.Match[str]]] = []
        for k in sorted(picked):
            i, text = agent[k]
            if i < first:
                continue
            # (as in the ending: lowered twins on the lower-cased text where there are, positions only)
            asked = branches.regex(tuple(picked[k])) if branches else slot.asked
            low = gate_text(text)
            twin = _twin(asked) if low is not None else None
            m = twin.search(low) if twin is not None else asked.search(text)  # type: ignore[arg-type]
            if not m:
                continue
            if low is not None and cue_twins is not None:
                window = low[max(0, m.start() - 80) : m.end() + 80]
                ask_cue, not_ask = cue_twins
            else:
                window = text[max(0, m.start() - 80) : m.end() + 80]
                ask_cue, not_ask = _ASK_CUE, _NOT_ASK
            if not ask_cue.search(window) or not_ask.search(window):
                continue
            if slot.name in _NARROWING and slot.given.search(text[m.end() : m.end() + 40]):
                continue  # "which model iPhone": asks to narrow down what was said, not for it again
            asks.append((k, m))
        if not asks:
            continue
        # Latest ask first: each cites the last customer turn before it that gave the slot.
        p = len(customer) - 1  # customer turns above p come after the current ask, or do not give the slot
        gives = False  # whether customer[p] is known to give the slot
        for k, m in reversed(asks):
            i = agent[k][0]
            while p >= 0 and customer[p][0] > i:
                p -= 1
                gives = False
            while p >= 0 and not gives:
                possible = p in gives_at if gives_at is not None else given_gate.possible(v.c_parts.part(p))
                gives = possible and _search_in(slot.given, customer[p][1]) is not None
                if not gives:
                    p -= 1
            if p < 0:
                break  # no customer turn before this ask gave the slot, nor before the earlier asks
            found.append((k, order, _hit("REPEAT_INFO", f"reasked.{slot.name}", i, turns[i], m.start(), m.end(),
                                         cited_turn=customer[p][0], slot=slot.name)))
    found.sort(key=lambda x: x[:2])
    return [h for _, _, h in found]


_WORD = re.compile(r"[a-z0-9']+")
#: For ``bytes.translate``: the bytes of ``_WORD``'s characters and "\x00" kept, every other byte a space.
_WORD_BYTES = bytes(b if b == 0 or _WORD.fullmatch(chr(b)) else 32 for b in range(256))


def _words_of(texts: list[str]) -> list[list[str]]:
    """``[_WORD.findall(text.lower()) for text in texts]``, in one pass over the texts joined by "\x00".

    ``_WORD``'s characters are ASCII, and every byte of a non-ASCII character's UTF-8 encoding is
    0x80 or more: in the encoded lower-cased text its tokens are the runs of its characters' bytes,
    which ``bytes.translate`` (all other bytes to spaces) and ``split`` find several times faster
    than the regex (an unencodable lone surrogate becomes "?", no token byte either). Lower-casing
    the joined texts lower-cases each. A text holding "\x00" has its own ``findall``.
    """
    if not texts:
        return []
    joined = "\x00".join(texts)
    if joined.count("\x00") != len(texts) - 1:
        return [_WORD.findall(text.lower()) for text in texts]
    data = joined.lower().encode("utf-8", "replace").translate(_WORD_BYTES).decode("ascii")
    return [part.split() for part in data.split("\x00")]

#: A question that checks something the customer may already have said.
_CHECK_ASKS = (
    r"(?:have you (?:already )?(?:tried|checked|done|restarted|reinstalled|updated|reset|cleared|"
    r"power cycled|rebooted|logged|signed|attempted|been able)|did you (?:try|check|restart|reinstall|update|reset|clear|"
    r"attempt)|were you able to|are you (?:using|on|streaming|trying|playing|connected|seeing|getting)|"
    r"is (?:it|this|the \w+) (?:happening|occurring|on|with|the)|does (?:it|this) happen|"
    r"(?:can|could) you (?:confirm|tell us|let us know) (?:if|whether|what|which|when)|"
    r"what (?:time|model|version|device|platform|browser|router|error|message)|which (?:model|version|device|platform|browser|app|station|store|flight|train))"
)
_CHECK_Q = _rx(r"^\W*(?:\w+[,!]\s+)?" + _CHECK_ASKS)
#: What every ``_CHECK_Q`` match holds. Without anchor or ``\b`` it matches wherever a stretch of text
#: does, whatever surrounds it: a question that ``_CHECK_Q`` matches lies in a turn where this does.
_CHECK_BODY = _rx(_CHECK_ASKS)
_SENT = re.compile(r"[^.!?\n]*\?")
_SENT_END = re.compile(r"[.!?\n]")


def _questions(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, sentence)`` of each ``_SENT`` match in ``text``, found in linear time.

    A match is the run of text since the last ``[.!?\n]`` (or the start)
    up to and including a "?". ``_SENT.finditer`` finds the same, but tries
    every start inside a sentence that holds no "?" (scanning it to its end
    each time): quadratic in long sentences.
    """
    out = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        if text[end - 1] == "?":
            out.append((start, end, text[start:end]))
        start = end
    return out
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
    return _content_of(_WORD.findall(text.lower()))


#: word -> ``_content_word(word)``, for the words met so far (emptied when it grows past ``_CONTENT_MAX``):
#: a plain dict read with ``map`` is the cheapest lookup per word.
_CONTENT: dict[str, str | None] = {}
_CONTENT_MAX = 1 << 16


def _content_of(words: list[str]) -> set[str]:
    """The content words (stemmed) among ``_WORD`` tokens."""
    try:
        out = set(map(_CONTENT.__getitem__, words))
    except KeyError:  # a word not met before
        if len(_CONTENT) > _CONTENT_MAX:
            _CONTENT.clear()
        new = {w: _content_word(w) for w in words}
        _CONTENT.update(new)
        out = set(new.values())
    out.discard(None)
    return out  # type: ignore[return-value]


@functools.lru_cache(maxsize=1 << 16)
def _content_word(w: str) -> str | None:
    """The stem of a content word; None for short words, stop words and numbers."""
    return _stem(w) if len(w) >= 4 and w not in _STOP and not w.isdigit() else None


def _reasked_content(turns: tuple[Turn, ...], min_overlap: int = 2, view: _View | None = None) -> list[MarkerHit]:
    """Agent asks (as a check question) about things the customer already said.

    Linear: one running map of content word -> last customer turn using it;
    each agent question is compared with it. The agent's check questions are
    found first, in the turns where ``_CHECK_BODY`` may match: most tickets
    have none, and then no customer turn needs its content words (nor does any
    after the last question).
    """
    v = view if view is not None else _View(turns)
    questions: list[tuple[int, list[tuple[int, int, str]]]] = []  # (agent turn, its check questions)
    agent = v.agent
    # the turns that may hold a check question: where the scan says _CHECK_BODY may match (without
    # the scan, every turn: its "?" test below costs less than the literal gate)
    for k in v.a_may(_CHECK_BODY) if _slot_scans() is not None else range(len(agent)):
        i, text = agent[k]
        if "?" in text:  # every _SENT match ends in "?"
            qs = [(a, b, q) for a, b, q in _questions(text[:5000]) if _CHECK_Q.search(q.strip())]
            if qs:
                questions.append((i, qs))
    if not questions:
        return []
    customer = v.customer
    seen: dict[str, int] = {}
    out: list[MarkerHit] = []
    k = 0  # the next customer turn (position in ``customer``) to add to ``seen``
    for i, qs in questions:
        while k < len(customer) and customer[k][0] < i:
            for w in v.c_content[k]:
                seen[w] = customer[k][0]
            k += 1
        if not seen:
            continue
        for a, b, q in qs:
            words = _content(q.strip())
            common = [w for w in words if w in seen]
            if len(common) >= min_overlap and len(common) * 2 >= len(words):
                start = a + (len(q) - len(q.lstrip()))
                out.append(_hit("REPEAT_INFO", "reasked_content", i, turns[i], start, b,
                                cited_turn=max(seen[w] for w in common), slot="content",
                                words=sorted(common)))
                break
    return out


def _repeated_messages(turns: tuple[Turn, ...], lookback: int = 8, view: _View | None = None) -> list[MarkerHit]:
    """The customer sends (nearly) the same message again (Jaccard >= 0.7, 6+ words)."""
    v = view if view is not None else _View(turns)
    out: list[MarkerHit] = []
    recent: list[tuple[int, set[str], int]] = []  # (turn, its words, how many)
    customer = v.customer
    for k, tokens in enumerate(v.c_words):
        if len(tokens) < 6:  # fewer than six words even before numbers and repeats are dropped
            continue
        words = set(tokens)
        numbers = list(filter(str.isdigit, words))
        if numbers:
            words.difference_update(numbers)
        n = len(words)
        if n >= 6:
            i, text = customer[k]
            # |A & B| / |A | B| <= min(|A|, |B|) / max(|A|, |B|): below 0.7 (in integers, exactly) where
            # the sizes differ too much, and then the quotient computed below is below 0.7 as well (it
            # is a fraction of small integers other than 7/10, far more than a rounding error off it).
            lo, hi = (7 * n + 9) // 10, 10 * n // 7
            for j, prev, m in recent:
                if m < lo or m > hi:
                    continue
                common = len(words & prev)
                if common / (n + m - common) >= 0.7:  # |A & B| / |A | B|
                    out.append(_hit("REPEAT_INFO", "repeated_message", i, turns[i], 0, min(len(text), 80),
                                    cited_turn=j, slot="message"))
                    break
            recent.append((i, words, n))
            if len(recent) > lookback:
                del recent[0]
    return out


#: Left out when comparing what the customer wrote: @handles and links (every
#: tweet of a thread names the brand) ...
_NOT_OWN = re.compile(r"@\w+|https?://\S+|www\.\S+")
#: ``_NOT_OWN``'s handles: in a text without "http" or "www." it finds just what that does.
_HANDLE = re.compile(r"@\w+")
#: ... and an email's quoted earlier messages, from the first quote line on.
_QUOTE_START = re.compile(
    r"^[ \t]*(?:>|on\b.{0,300}\bwrote:[ \t]*$|-{2,}[ \t]*original message|from:[ \t])", re.IGNORECASE | re.MULTILINE
)
#: ... and an email's greeting line and its sign-off with the signature under it.
_GREETING = re.compile(
    r"\A[ \t]*(?:dear|hi|hello|hey|hiya|good (?:morning|afternoon|evening)|to whom)\b[^\n]{0,60}\n", re.IGNORECASE
)
_SIGN_OFF = re.compile(
    r"\n[ \t]*(?:thanks|thank you|many thanks|regards|kind regards|best regards|warm regards|best|cheers|sincerely|"
    r"yours sincerely|yours faithfully|yours truly|best wishes|all the best)\b[^\n]{0,30}(?:\n|\Z)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def _own_text(text: str, blank: bool = True) -> str:
    """The customer's own words of a turn: no quoted reply or sign-off, no greeting, @handles or links
    (those blanked: the offsets stay; or, without ``blank``, each made one space: the same words,
    found without a Python call per handle)."""
    text = text[:5000]
    if ">" in text or ":" in text:  # every _QUOTE_START match holds one
        m = _QUOTE_START.search(text)
        if m:
            text = text[: m.start()]
    if "\n" in text:  # every _SIGN_OFF and _GREETING match holds one
        m = _SIGN_OFF.search(text)
        if m:
            text = text[: m.start()]
        m = _GREETING.match(text)
        if m:
            text = " " * m.end() + text[m.end() :]
    if "@" in text:
        # (only handles without "http" or "www.": the narrower pattern finds the same, several times faster)
        text = (_NOT_OWN if "http" in text or "www." in text else _HANDLE).sub(_blank if blank else " ", text)
    elif "http" in text or "www." in text:
        text = _NOT_OWN.sub(_blank if blank else " ", text)
    return text


def _restated(
    turns: tuple[Turn, ...],
    min_overlap: int = 4,
    share: float = 0.4,
    lookback: int = 8,
    view: _View | None = None,
    skip: frozenset[int] = frozenset(),
) -> list[MarkerHit]:
    """The customer explains again what they already wrote, in other words.

    A customer turn is a restatement when it shares at least ``min_overlap``
    content words, and at least ``share`` of its own content words, with one
    of the customer's last ``lookback`` turns written before the agent's last
    reply (the one sharing most is cited): the agent answered, and the
    customer had to say it again. Turns in ``skip`` (already hit as a repeated message) are
    compared but not hit again. The quoted evidence is the sentence holding
    most of the shared words. Linear: a fixed window of earlier turns.
    """
    v = view if view is not None else _View(turns)
    if len(v.customer) < 2:
        return []
    agent_at = [i for i, _ in v.agent]
    out: list[MarkerHit] = []
    recent: list[tuple[int, set[str], int]] = []  # (turn, its content words, how many)
    # The turns _own_text changes: none where no turn holds a character it looks for (most chats),
    # else those it gives other words (unblanked: a turn whose own text is its first 5,000 characters
    # has the shared content words); those are read in one pass (_words_of).
    texts = v.c_parts.texts
    joined = v.c_parts.joined
    odd: dict[int, str] = {}  # position -> own text (unblanked), for the turns _own_text changes
    if "@" in joined or ">" in joined or ":" in joined or "www." in joined or "http" in joined or (
        joined.count("\n") >= len(texts)  # (one between each two turns)
    ):
        for k, text in enumerate(texts):
            own = _own_text(text, blank=False)
            if own != text[:5000]:
                odd[k] = own
    if odd:
        own_words = dict(zip(odd, map(_content_of, _words_of(list(odd.values()))), strict=True))
        # the content words each turn is compared by: its own text's for those, else the shared ones
        # (``c_content``: not built for the others where no detector needed them yet)
        if v._c_content is not None:
            contents = list(v._c_content)
            for k, words in own_words.items():
                contents[k] = words
        else:
            contents = [own_words[k] if k in own_words else _content_of(tokens) for k, tokens in enumerate(v.c_words)]
    else:
        contents = v.c_content
    for k, (i, text) in enumerate(v.customer):
        words = contents[k]
        size = len(words)
        # Only what was written before the agent's last reply is restated (not a message split in two).
        # Turns in ``skip`` are compared with later turns, never hit themselves.
        if size >= min_overlap and i not in skip:
            replied = agent_at[bisect_left(agent_at, i) - 1] if agent_at and agent_at[0] < i else -1
            need = share * size
            best, cited = 0, -1
            for j, prev, n_prev in recent:
                if j >= replied:
                    break  # (``recent`` is in turn order: the rest came after the reply too)
                # A turn with fewer words than the hit needs shares too few: it decides nothing (the most
                # shared, cited when a hit, is in a turn with at least that many).
                if n_prev >= min_overlap and n_prev >= need:
                    n = len(words & prev)
                    if n >= best:
                        best, cited = n, j
            if best >= min_overlap and best >= need:
                common = words & next(prev for j, prev, _ in recent if j == cited)
                sent = max(_SENTENCE.finditer(_own_text(text) if k in odd else text[:5000]),
                           key=lambda m: len(_content(m.group(0)) & common))
                start = sent.start() + (len(sent.group(0)) - len(sent.group(0).lstrip()))
                out.append(_hit("REPEAT_INFO", "restated", i, turns[i], start,
                                sent.start() + len(sent.group(0).rstrip()),
                                cited_turn=cited, slot="message", words=sorted(common)))
        if words:  # (a turn without content words takes no place in the window)
            recent.append((i, words, size))
            if len(recent) > lookback:
                del recent[0]
    return out


#: An agent sentence that asks the customer for a piece of their information
#: ("please DM us your postcode", "could you provide the order number and email?").
_ASK_SENT = re.compile(r"[^.!?\n]+[.!?\n]?")
_REQUEST_VERB = r"\b(?:dm|send|share|provide|confirm|give|tell|let (?:us|me) know|include|verify|forward|drop)\b"
_DATA_REQUEST = _rx(_REQUEST_VERB + r"[^.!?\n]{0,40}?\b(?:your|the)\b")
#: What the agent turns' scan looks for in ``_DATA_REQUEST``'s stead: every match of that is one of
#: this, which lets through about the same turns, and Hyperscan finds an unbounded gap far more
#: cheaply than one of at most 40 characters.
_DATA_REQUEST_SCAN = _rx(_REQUEST_VERB + r"[^.!?\n]*\b(?:your|the)\b")
#: ... said to the customer: a question or a polite request, not "we'll share the feedback".
_REQUEST_CUE = _rx(r"\?|\b(?:please|pls|kindly|can you|could you|would you|request you|if you|feel free|mind)\b")
#: Words of an agent's request that say nothing about what is asked for.
_ASK_STOP = frozenset(
    "sorry apologies apologize apologise hear trouble inconvenience assist assistance further look into details detail "
    "send share provide kindly confirm message direct private follow following link below here team glad happy "
    "able information info look looking please thanks thank check dm'ing note informed".split()
)


#: A troubleshooting question; asked again with nothing new in it, it re-asks ("have you tried another browser?").
_TRY_Q = _rx(
    r"\b(?:have you (?:already |also |)(?:tried|checked|restarted|reinstalled|updated|reset|cleared|rebooted|power cycled)|"
    r"did you (?:try|check|restart|reinstall|update|reset|clear)|are you able to (?:try|use|test|connect))\b"
)


@functools.cache
def _request_gate() -> Gate:
    """``_DATA_REQUEST``'s gate, locating its verbs ("send", "confirm", ...) in the joined agent turns
    first: its other set, "the" or "your", is in nearly every turn. Built on first use."""
    gate = _gate(_DATA_REQUEST)
    verbs = [s for s in gate.sets if "the" not in s]
    return gate.locating(verbs[0]) if verbs else gate


def _ask_words(sentence: str) -> frozenset[str]:
    return frozenset(w for w in _content(sentence) if w not in _ASK_STOP)


_APOS = "['\u2019]"
#: The customer says they already did what the agent suggests ("I've already tried that", "yes I did").
_ALREADY_DONE = _rx(
    r"\b(?:already|i" + _APOS + r"?ve|i have)\s+(?:already\s+|also\s+)?(?:done|tried|checked|did)\s+"
    r"(?:that|this|all that|all of (?:that|this)|everything|those|these|it)\b"
    r"|\b(?:done|tried|checked|did)\s+(?:that|this|all that|everything|those|these|it)\s+"
    r"(?:already|before|twice|several times|a few times|multiple times)\b"
    r"|\b(?:i" + _APOS + r"?ve|i have|i)\s+(?:already|also)\s+(?:tried|done|did|checked|restarted|reinstalled|re-installed|rebooted|"
    r"reset|updated|cleared|uninstalled|turned|unplugged|logged out|signed out|power cycled|followed)\b"
    r"|\balready\s+(?:tried|restarted|reinstalled|rebooted|reset|updated|cleared|uninstalled|unplugged|power cycled|followed)\b"
    r"|\b(?:yes|yeah|yep|yup|yea)\W{0,3}(?:i have|i did|i" + _APOS + r"?ve (?:done|tried)|already|i already|i" + _APOS + r"?ve already)\b"
    r"|\b(?:has|have)\s+been\s+(?:restarted|rebooted|reset|reinstalled|updated|cleared|power cycled)\s+"
    r"(?:several|multiple|many|a few|numerous|countless|\d+)\s+times\b"
)
#: The customer reports something they did to fix it ("I've tried resetting", "I restarted it", "went through every setting").
_TRIED = _rx(
    r"\b(?:i|i" + _APOS + r"?ve|ive|i have|we|we" + _APOS + r"?ve|we have)\s+(?:already\s+|also\s+|even\s+|just\s+|then\s+)?"
    r"(?:tried|restarted|rebooted|reset|reinstalled|re-installed|uninstalled|deleted|cleared|power cycled|powered off|"
    r"unplugged|logged out|signed out|updated|followed|checked|went through|gone through|done everything|did everything|"
    r"turned (?:it|the \w+|my \w+) (?:off|on))\b"
    r"|\b(?:has|have|had)\s+(?:already\s+)?been\s+(?:restarted|rebooted|reset|reinstalled|updated|cleared|power cycled|unplugged|checked)\b"
)

#: The detectors' own patterns on the Hyperscan scans (``_Scans``), besides the slots', for the customer
#: turns and for the agent turns. (``_INTRO`` is searched in a turn's first 300 characters only, and seldom:
#: it keeps its literal gate.)
_C_SCANNED = (_TRIED, _ALREADY_DONE)
_A_SCANNED = (_DATA_REQUEST_SCAN, _TRY_Q, _CHECK_BODY)


def _already_done(turns: tuple[Turn, ...], view: _View | None = None) -> list[MarkerHit]:
    """The customer answers "already did that" to a suggestion about what they had already reported trying.

    "I've already tried that" repeats information only when the agent's
    suggestion came after the customer had told what they tried; as a first
    answer to a fresh suggestion it is new information. So a customer turn
    saying it is a hit when an agent turn lies between it and the first
    customer turn that reported trying something. Linear, cheap tests first:
    the scan (``_View.c_may``) locates the customer turns that may say either.
    """
    v = view if view is not None else _View(turns)
    customer = v.customer
    if _slot_scans() is None:
        if not _gate(_ALREADY_DONE).possible(v.c_parts.low):  # (without the scan, the cheapest test)
            return []
    elif not v.c_may(_ALREADY_DONE, 5000):
        return []
    # The first customer turn that reports trying something, and the first agent turn after it.
    reported = None
    for k in v.c_may(_TRIED, 5000):
        i, text = customer[k]
        if _TRIED.search(text[:5000]):
            reported = i
            break
    if reported is None:
        return []
    agent_after = next((i for i, _ in v.agent if i > reported), None)
    if agent_after is None:
        return []
    # customer positions from k0 on: the turns after it (an agent turn's index is no customer turn's)
    k0 = bisect_left(customer, (agent_after,))
    after = v.c_may(_ALREADY_DONE, 5000, start=k0)
    out: list[MarkerHit] = []
    for k in after:
        i, text = customer[k]
        m = _ALREADY_DONE.search(text[:5000])
        if m:
            out.append(_hit("REPEAT_INFO", "already_done", i, turns[i], m.start(), m.end(), slot="tried"))
    return out


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group(0))


def _reasked_own(
    turns: tuple[Turn, ...], lookback: int = 6, min_overlap: int = 2, view: _View | None = None
) -> list[MarkerHit]:
    """The agent asks again what it already asked, after the customer replied in between.

    Each agent request sentence (a question, or one opening with "please",
    "could you", "let us know", ...) is compared with the last ``lookback``
    request sentences of earlier agent turns: a hit when at least
    ``min_overlap`` of its content words, and at least half of them, were in
    one asked before a customer turn that precedes this one. Linear: a
    fixed-size window of earlier requests.
    """
    v = view if view is not None else _View(turns)
    # The agent turns that may ask something this detector compares: those where
    # _DATA_REQUEST or _TRY_Q may match in the first 5,000 characters, links blanked
    # (the others are skipped, as if read and found asking nothing).
    requests = v.a_may(_DATA_REQUEST_SCAN, 5000, links=True, gate=_request_gate())  # (the gate: _DATA_REQUEST's)
    cands = sorted({*requests, *v.a_may(_TRY_Q, 5000, links=True)})
    if len(cands) < 2:
        return []  # a re-ask needs a request in an earlier agent turn
    c_index = [i for i, _ in v.customer]
    out: list[MarkerHit] = []
    asks: list[tuple[int, frozenset[str], bool]] = []  # (agent turn, content words, a "have you tried" question)
    as_is = (_TRY_Q, _DATA_REQUEST, _REQUEST_CUE)
    twins = tuple(map(_twin, as_is))
    lowered = twins if all(twins) else None  # (as ``_reading``: the lower-cased sentence, read by the twins)
    for k in cands:
        i, text = v.agent[k]
        if not text:
            continue
        t = turns[i]
        n = bisect_left(c_index, i)  # customer turns before this one
        last_customer = c_index[n - 1] if n else -1
        text = text[:5000]
        if "http" in text:  # every _URL match starts with it
            text = _URL.sub(_blank, text)  # same offsets, no sentence breaks inside links
        found = False
        new: list[tuple[int, frozenset[str], bool]] = []
        low = gate_text(text) if lowered is not None else None
        try_q, request, cue = as_is if low is None else lowered  # type: ignore[misc]
        for m in _ASK_SENT.finditer(text):
            sent = m.group(0)
            read = sent if low is None else low[m.start() : m.end()]
            q = try_q.search(read) if "?" in sent else None
            check = q is not None
            if not check and (not request.search(read) or not cue.search(read)):
                continue
            words = _ask_words(sent[q.start() :] if q else sent)
            if len(words) < (1 if check else min_overlap):
                continue
            new.append((i, words, check))
            if found:
                continue
            for j, prev, prev_check in asks:
                if j >= last_customer:  # no customer turn since that request
                    continue
                common = words & prev
                if (check and prev_check and common == words) or (
                    not check and len(common) >= min_overlap and len(common) * 2 >= len(words)
                ):
                    start = m.start() + (len(sent) - len(sent.lstrip()))
                    out.append(_hit("REPEAT_INFO", "reasked_own", i, t, start, m.start() + len(sent.rstrip()),
                                    cited_turn=j, slot="request", words=sorted(common)))
                    found = True
                    break
        asks.extend(new)
        asks = asks[-lookback:]
    return out


_HANDOFF_LABELS = frozenset({"TRANSFER", "CHANNEL_SWITCH", "REPEAT_CONTACT"})
#: Open words that still count after a "that worked" in the same message ("worked, but not for long").
_STILL_OPEN = _rx(r"\?|\b(?:still|not|no|never|nothing|waiting|unless|why|again|unacceptable|ridiculous|useless)\b|n't\b")
#: Families whose resolution also settles earlier "didn't work" hits in the ticket.
_SETTLING = frozenset({"customer_confirms", "agent_confirms", "agent_confirms_fake"})
#: The agent tells the customer a message they got is not genuine: that answers "is this real?",
#: whatever address it then gives to report it to.
_FAKE = _rx(
    r"\b(?:phishing|spoof(?:ed|ing)?|fraudulent|(?:is|be|was|a|likely|potential) (?:a )?scam|"
    r"(?:not|isn't|wasn't|aren't|weren't) (?:a |an )?(?:legitimate|genuine|authentic|official)|"
    r"(?:not|isn't|wasn't|aren't|weren't) (?:from|sent by) us)\b"
)


@dataclass(frozen=True)
class Ending:
    """How a ticket ends: ``resolved``, the family or rule that decided, and where."""

    resolved: bool
    rule: str
    turn: int
    start: int = 0
    end: int = 0
    via: str | None = None


# The ending's patterns are long alternations that ``re`` tries at every
# position, folding case at each. Their lowered twins (``gates.lowered_twin``:
# lower-cased, without ``IGNORECASE``) find the same spans in the lower-cased
# text (``gate_text``) about three times faster; a text that ``gate_text``
# cannot lower is read by the patterns themselves (``_reading``). A match found
# so gives positions only (its text is the lower-cased one). Where a pattern
# reads a whole agent turn (``_search``), its literal gate (a few ``in`` tests
# on the lower-cased text) first rules most texts out.

_TWINS: dict[int, tuple[re.Pattern[str], re.Pattern[str] | None]] = {}  # (by ``id``: see ``_GATES``)


def _twin(regex: re.Pattern[str]) -> re.Pattern[str] | None:
    got = _TWINS.get(id(regex))
    if got is None:
        got = _TWINS[id(regex)] = (regex, lowered_twin(regex))
    return got[1]


def _search(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``regex.search(text)`` (positions only), skipped where its literal gate rules a match out."""
    low = gate_text(text)
    if low is None:
        return regex.search(text)
    if not _gate(regex).possible(low):
        return None
    twin = _twin(regex)
    return twin.search(low) if twin is not None else regex.search(text)


def _search_in(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``regex.search(text)`` (positions only), as its lowered twin where there is one and ``gate_text`` allows."""
    twin = _twin(regex)
    low = gate_text(text) if twin is not None else None
    return regex.search(text) if low is None else twin.search(low)  # type: ignore[union-attr]


@dataclass(frozen=True)
class _Reading:
    """The patterns the ending reads a customer's last words and an agent's report with."""

    courtesy: re.Pattern[str]
    thanks_first: re.Pattern[str]
    strong_open: re.Pattern[str]
    open: re.Pattern[str]
    thanks: re.Pattern[str]
    fixed: re.Pattern[str]
    neg_fixed: re.Pattern[str]
    still_open: re.Pattern[str]
    agent_done: re.Pattern[str]
    hoped: re.Pattern[str]


@functools.cache
def _readings() -> tuple[_Reading, _Reading | None]:
    """The patterns as they are, and their lowered twins (``None`` if one has none). Built on first use."""
    as_is = _Reading(_COURTESY, _THANKS_FIRST, _STRONG_OPEN, _OPEN, _THANKS, _FIXED, _NEG_FIXED, _STILL_OPEN,
                     _AGENT_DONE, _HOPED)
    twins = [_twin(regex) for regex in vars(as_is).values()]
    return as_is, (_Reading(*twins) if all(twins) else None)  # type: ignore[arg-type]


def _reading(text: str) -> tuple[str, _Reading]:
    """``text`` lower-cased with the lowered twins, where ``gate_text`` allows it; else as it is with the patterns."""
    as_is, lowered = _readings()
    low = gate_text(text) if lowered is not None else None
    return (text, as_is) if low is None else (low, lowered)


def _contests(text: str) -> bool:
    text, r = _reading(text)
    text = r.courtesy.sub(" ", text)
    if r.thanks_first.match(text):
        # "Thanks so much! I'd never have found it" opens with thanks: only a
        # question or a plain "still broken" contests it, not any stray "not".
        return r.strong_open.search(text) is not None
    return r.open.search(text) is not None


def _acknowledges(text: str) -> bool:
    """A thanks, or a short "ok great" / thumbs-up."""
    tail, r = _reading(text[-600:])
    if r.thanks.search(tail):
        return True
    words = [w for w in text.split() if not w.startswith(("@", "http"))]
    return len(words) <= _SHORT_ACK_WORDS and bool(_WEAK_ACK.search(" ".join(words)))


def _confirmed_fix(text: str) -> re.Match[str] | None:
    """A "that worked" in the text not negated just before ("still not fixed") nor contested after (positions only)."""
    text, r = _reading(text)
    for m in r.fixed.finditer(text):
        if r.neg_fixed.search(text[: m.start()]):
            continue
        if r.still_open.search(r.courtesy.sub(" ", text[m.end() :])):
            continue
        return m
    return None


#: A completed action only hoped for or conditional ("I hope it has been resolved", "once it's refunded").
_HOPED = _rx(r"\b(?:hope|hoping|hopefully|if|once|when|until|as soon as|whether)\b[^.!?\n]*$")


def _agent_done(text: str) -> re.Match[str] | None:
    """A completed action the agent reports, not hoped for nor contested just before (positions only)."""
    text, r = _reading(text)
    for m in r.agent_done.finditer(text):
        if r.still_open.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        if r.hoped.search(text[max(0, m.start() - 80) : m.start()]):
            continue
        return m
    return None


#: An offer for later ("DM us if you have any questions", "reach back out anytime").
_OFFER = _rx(r"\b(?:if|should you|whenever|any ?time|in the future|anything else|any other|any more|any further|further questions)\b")
_SENT_BOUND = re.compile(r"[.!?\n]")


def _courtesy_offer(text: str, h: MarkerHit) -> bool:
    """The hit's sentence is a conditional offer, not a handoff (CHANNEL_SWITCH / REPEAT_CONTACT only)."""
    if h.label == "TRANSFER":
        return False
    before = [m.end() for m in _SENT_BOUND.finditer(text, max(0, h.start - 200), h.start)]
    start = before[-1] if before else max(0, h.start - 200)
    m = _SENT_BOUND.search(text, h.end, h.end + 200)
    return bool(_OFFER.search(text[start : m.start() if m else h.end + 200]))


def _transfers(hits: list[MarkerHit] | None) -> bool:
    return any(h.label == "TRANSFER" for h in hits or ())


def _explains(text: str) -> bool:
    """An explanation closed with "hope this helps": no advice to try, no pointer, enough words of its own."""
    if _ADVICE.search(text) or _AGENT_PENDING.search(text):
        return False
    words = [w for w in _URL.sub(" ", text).split() if not w.startswith(("@", "^", "*"))]
    return len(words) >= _HOPE_MIN_WORDS


def _final_turns(
    turns: tuple[Turn, ...], spoken: list[int], cust: list[int]
) -> tuple[int, int | None, list[int], list[int]]:
    """The turns the ending reads (of ``spoken``, and of its customer turns ``cust``; ``cust`` not empty):
    the last customer turn, the agent turn before it (``None``: none), the customer turns after that
    one (the final run) and the turns after the last customer turn (the agent's closing).

    Both lists are ascending: what comes before or after a turn is a slice of them, not a filter.
    """
    last_c = cust[-1]
    p = bisect_left(spoken, last_c)  # (last_c is one of them)
    prev_a = next((i for i in reversed(spoken[:p]) if turns[i].speaker == "agent"), None)
    run = cust[bisect_left(cust, prev_a) :] if prev_a is not None else cust[:]
    return last_c, prev_a, run, spoken[p + 1 :]


def ending(turns: tuple[Turn, ...], rule_hits: list[MarkerHit], view: _View | None = None) -> Ending | None:
    """Judge how the ticket ends (None without a customer turn).

    Linear in the ticket: one pass for the turn indices, then only the final
    customer run, the agent turn it answers and the agent's closing turns are read.
    """
    v = view if view is not None else _View(turns)
    spoken = v.spoken  # customer and agent turns with some non-blank text
    cust = v.spoken_customer
    if not cust:
        return None
    last_c, prev_a, run, closing = _final_turns(turns, spoken, cust)
    handoffs: dict[int, list[MarkerHit]] = {}
    for h in rule_hits:
        if h.label in _HANDOFF_LABELS:
            handoffs.setdefault(h.turn, []).append(h)
    last_text = turns[last_c].text[-600:]
    contest = _contests(last_text)

    # 1. The customer says it is fixed / done / received.
    for i in reversed(run):
        m = _confirmed_fix(turns[i].text[-600:])
        if m and (i == last_c or not contest):
            off = max(0, len(turns[i].text) - 600)
            return Ending(True, "customer_confirms", i, m.start() + off, m.end() + off)
        if contest if i == last_c else _contests(turns[i].text[-600:]):  # (the last message's is judged above)
            break
    # 2. The agent reports a completed action the customer does not contest.
    for i in [*closing, *([prev_a] if prev_a is not None and not contest else [])]:
        if any(h.label == "TRANSFER" for h in handoffs.get(i, ())):
            continue
        m = _agent_done(turns[i].text)
        if m:
            return Ending(True, "agent_confirms", i, m.start(), m.end())
    # 2b. The agent's closing reacts to a good outcome or to thanks, handing nothing on.
    for i in closing:
        if _search(_AGENT_PENDING, turns[i].text):
            continue
        if any(not _courtesy_offer(turns[i].text, h) for h in handoffs.get(i, ())):
            continue
        m = _search(_AGENT_GLAD, turns[i].text)
        if m:
            return Ending(True, "agent_glad", i, m.start(), m.end())
    # 2d. The agent's last word says the message the customer asked about is fake.
    if closing and "?" not in turns[closing[-1]].text and not _transfers(handoffs.get(closing[-1])):
        m = _search(_FAKE, turns[closing[-1]].text)
        if m:
            return Ending(True, "agent_confirms_fake", closing[-1], m.start(), m.end())
    # 2c. The agent's last word is an explanation closed with "hope this helps".
    m = _AGENT_HOPE.search(turns[closing[-1]].text) if closing else None
    if m:
        # the agent's last run, after any turn that handed the issue on
        final = [i for i in closing if i > max((j for j in closing if _transfers(handoffs.get(j))), default=-1)]
        if final and final[-1] == closing[-1] and _explains(" ".join(turns[i].text for i in final)):
            return Ending(True, "agent_explains", closing[-1], m.start(), m.end())
    thanked = not contest and any(_acknowledges(turns[i].text) for i in run)
    # 3. Handed elsewhere: in the agent turn the customer answered, or in the closing
    #    turns (after the customer's thanks only a transfer counts there: a link or
    #    "reach back out if..." is a courtesy).
    if closing:
        for i in closing:
            hs = [h for h in handoffs.get(i, ()) if not (thanked and _courtesy_offer(turns[i].text, h))]
            if hs:
                return Ending(False, "handoff", i, hs[0].start, hs[0].end, via=hs[0].label)
    elif prev_a is not None and handoffs.get(prev_a):
        h = handoffs[prev_a][0]
        return Ending(False, "handoff", prev_a, h.start, h.end, via=h.label)
    # 4. Pending: the agent's last word says it is still being looked at.
    #    (or the word the customer thanked, when the agent then only signs off)
    last_a = closing[-1] if closing else prev_a
    for i in (last_a, prev_a if closing and prev_a is not None else None):
        m = _search(_AGENT_PENDING, turns[i].text) if i is not None else None
        if m:
            return Ending(False, "pending", i, m.start(), m.end())
    # 5. A plain thanks that contests nothing.
    if thanked:
        return Ending(True, "customer_thanks", last_c)
    # 6. The customer asked, the agent answered last.
    asked = " ".join(turns[i].text[-600:] for i in run)
    if closing and _QUESTION.search(asked) and not _STRONG_OPEN.search(_COURTESY.sub(" ", asked.replace("?", " "))):
        text = " ".join(turns[i].text for i in closing)
        if len(text.split()) >= 6 and not _AGENT_NOT_ANSWER.search(text) and not _URL.search(text):
            return Ending(True, "answered", closing[-1])
    # 6b. The customer gave what the agent asked for, and the agent's last word acts on it.
    if closing and prev_a is not None and "?" in turns[prev_a].text and not _contests(asked.replace("?", " ")):
        text = " ".join(turns[i].text for i in closing)
        if (
            len(text.split()) >= 6
            and not _AGENT_NOT_ANSWER.search(text)
            and not _URL.search(text)
            and not _TRY_IT.search(text)
        ):
            return Ending(True, "answered_request", closing[-1])
    return Ending(False, "open_end", last_c, 0, min(len(turns[last_c].text), 80))


def _last_confirmed_fix(turns: tuple[Turn, ...], rule_hits: list[MarkerHit]) -> int | None:
    """The last customer turn after the last UNRESOLVED rule hit that confirms a fix ("that worked"), if any.

    For a ticket that ends well without the final message saying so ("that
    worked" two turns before a closing "nope, that's all, thanks"): the earlier
    "still not working" was settled by the confirmation.
    """
    last_open = max((h.turn for h in rule_hits if h.label == "UNRESOLVED"), default=None)
    if last_open is None:
        return None
    for i in range(len(turns) - 1, last_open, -1):
        t = turns[i]
        if t.speaker == "customer" and t.text and _confirmed_fix(t.text[-600:]):
            return i
    return None


def _unresolved(turns: tuple[Turn, ...], rule_hits: list[MarkerHit], view: _View | None = None) -> list[MarkerHit]:
    """UNRESOLVED from the ending; a confirmed fix also drops earlier UNRESOLVED rule hits.

    Those are removed from ``rule_hits`` in place: "that didn't work" in turn 3 is
    no longer open once the customer says "all sorted" in turn 7.
    """
    end = ending(turns, rule_hits, view)
    if end is None:
        return []
    if end.resolved:
        settled = end.turn if end.rule in _SETTLING else _last_confirmed_fix(turns, rule_hits)
        if settled is not None:
            rule_hits[:] = [h for h in rule_hits if not (h.label == "UNRESOLVED" and h.turn <= settled)]
        return []
    detail = {"via": end.via} if end.via else {}
    return [_hit("UNRESOLVED", f"unresolved_{end.rule}", end.turn, turns[end.turn], end.start, end.end, **detail)]
