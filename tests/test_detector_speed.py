"""The fast cross-turn detectors give exactly what their plain loops give.

``effortnlp.detectors`` reads a ticket through one shared ``_View`` (speaker
lists, joined lower-cased texts, customer word lists), skips turns with cheap
whole-ticket tests and literal gates, and runs its detectors in a cheaper
order. Each plain loop below is the detector as it was written before that
(every turn read, in order, no shared state); the fast ones must agree hit for
hit (all fields, ``detail`` included) on synthetic tickets, hand-made edge
cases and hypothesis-fuzzed tickets.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effortnlp import detectors as d
from effortnlp.gates import Gate, gate_text
from effortnlp.schema import Ticket, Turn
from effortnlp.synthetic import generate_tickets


def _key(hits) -> list[tuple]:
    return [(h.label, h.rule_id, h.turn, h.speaker, h.start, h.end, h.text, h.source,
             json.dumps(h.detail, sort_keys=True)) for h in hits]


# -- the plain loops ----------------------------------------------------------------


def plain_agent_changes(turns):
    out = []
    last_name = None
    seen_agent = False
    intro_names: set[str] = set()
    for i, t in enumerate(turns):
        if t.speaker != "agent" or t.is_bot:
            continue
        name = (t.agent_name or "").strip() or None
        if name and last_name and name.casefold() != last_name.casefold():
            out.append(d._hit("TRANSFER", "agent_change", i, t, 0, min(len(t.text), 80),
                              previous_agent=last_name, agent=name))
        elif seen_agent and not name:
            m = d._INTRO.search(t.text[:300])
            if m and m.group(1) not in d._NOT_NAMES and m.group(1).casefold() not in intro_names:
                out.append(d._hit("TRANSFER", "agent_intro", i, t, m.start(), m.end(), agent=m.group(1)))
        m0 = d._INTRO.search(t.text[:300])
        if m0 and m0.group(1) not in d._NOT_NAMES:
            intro_names.add(m0.group(1).casefold())
        if name:
            last_name = name
        seen_agent = True
    return out


def plain_reasked(turns):
    """Every slot's patterns on every turn; the hit cites the last customer turn that gave the slot."""
    gave: dict[str, list[int]] = {}
    out = []
    for i, t in enumerate(turns):
        text = t.text or ""
        if t.speaker == "customer":
            for slot in d.SLOTS:
                if slot.given.search(text):
                    gave.setdefault(slot.name, []).append(i)
        elif t.speaker == "agent":
            for slot in d.SLOTS:
                if slot.name not in gave:
                    continue
                m = slot.asked.search(text)
                if not m:
                    continue
                window = text[max(0, m.start() - 80) : m.end() + 80]
                if not d._ASK_CUE.search(window) or d._NOT_ASK.search(window):
                    continue
                if slot.name in d._NARROWING and slot.given.search(text[m.end() : m.end() + 40]):
                    continue
                out.append(d._hit("REPEAT_INFO", f"reasked.{slot.name}", i, t, m.start(), m.end(),
                                  cited_turn=gave[slot.name][-1], slot=slot.name))
    return out


def plain_content(text):
    return {d._stem(w) for w in d._WORD.findall(text.lower()) if len(w) >= 4 and w not in d._STOP and not w.isdigit()}


def plain_reasked_content(turns, min_overlap=2):
    seen: dict[str, int] = {}
    out = []
    for i, t in enumerate(turns):
        text = (t.text or "")[:5000]
        if t.speaker == "customer":
            for w in plain_content(text):
                seen[w] = i
        elif t.speaker == "agent" and seen and "?" in text:
            for m in d._SENT.finditer(text):
                q = m.group(0).strip()
                if not d._CHECK_Q.search(q):
                    continue
                words = plain_content(q)
                common = [w for w in words if w in seen]
                if len(common) >= min_overlap and len(common) * 2 >= len(words):
                    start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
                    out.append(d._hit("REPEAT_INFO", "reasked_content", i, t, start, m.end(),
                                      cited_turn=max(seen[w] for w in common), slot="content",
                                      words=sorted(common)))
                    break
    return out


def plain_repeated_messages(turns, lookback=8):
    out = []
    recent: list[tuple[int, frozenset[str]]] = []
    for i, t in enumerate(turns):
        if t.speaker != "customer" or not t.text:
            continue
        words = frozenset(w for w in d._WORD.findall(t.text[:5000].lower()) if not w.isdigit())
        if len(words) >= 6:
            for j, prev in recent:
                if len(words & prev) / len(words | prev) >= 0.7:
                    out.append(d._hit("REPEAT_INFO", "repeated_message", i, t, 0, min(len(t.text), 80),
                                      cited_turn=j, slot="message"))
                    break
            recent.append((i, words))
            recent = recent[-lookback:]
    return out


def plain_reasked_own(turns, lookback=6, min_overlap=2):
    """As written: each agent turn tested on its own with the two literal gates, in turn order."""
    out = []
    asks: list[tuple[int, frozenset[str], bool]] = []
    last_customer = -1
    for i, t in enumerate(turns):
        if t.speaker == "customer":
            last_customer = i
            continue
        if t.speaker != "agent" or not t.text:
            continue
        low = gate_text(t.text[:5000])
        if not (Gate(d._DATA_REQUEST).possible(low) or Gate(d._TRY_Q).possible(low)):
            continue
        text = d._URL.sub(d._blank, t.text[:5000])
        found = False
        new = []
        for m in d._ASK_SENT.finditer(text):
            sent = m.group(0)
            q = d._TRY_Q.search(sent) if "?" in sent else None
            check = q is not None
            if not check and (not d._DATA_REQUEST.search(sent) or not d._REQUEST_CUE.search(sent)):
                continue
            words = d._ask_words(sent[q.start() :] if q else sent)
            if len(words) < (1 if check else min_overlap):
                continue
            new.append((i, words, check))
            if found:
                continue
            for j, prev, prev_check in asks:
                if j >= last_customer:
                    continue
                common = words & prev
                if (check and prev_check and common == words) or (
                    not check and len(common) >= min_overlap and len(common) * 2 >= len(words)
                ):
                    start = m.start() + (len(sent) - len(sent.lstrip()))
                    out.append(d._hit("REPEAT_INFO", "reasked_own", i, t, start, m.start() + len(sent.rstrip()),
                                      cited_turn=j, slot="request", words=sorted(common)))
                    found = True
                    break
        asks.extend(new)
        asks = asks[-lookback:]
    return out


def plain_already_done(turns):
    out = []
    reported = False
    reported_before_agent = False
    seen_agent = False
    for i, t in enumerate(turns):
        text = (t.text or "")[:5000]
        if t.speaker == "agent":
            seen_agent = True
            reported_before_agent = reported
            continue
        if t.speaker != "customer" or not text:
            continue
        if seen_agent and reported_before_agent:
            m = d._ALREADY_DONE.search(text)
            if m:
                out.append(d._hit("REPEAT_INFO", "already_done", i, t, m.start(), m.end(), slot="tried"))
        if not reported and d._TRIED.search(text):
            reported = True
    return out


PLAIN = {
    "_agent_changes": plain_agent_changes,
    "_reasked": plain_reasked,
    "_reasked_content": plain_reasked_content,
    "_repeated_messages": plain_repeated_messages,
    "_reasked_own": plain_reasked_own,
    "_already_done": plain_already_done,
}


# -- tickets ------------------------------------------------------------------------

LONG = "word " * 1100  # turns longer than the 5,000 characters most detectors read


def _cut(opening: str, phrase: str, tail: str) -> str:
    """A text whose 5,000 characters end with ``phrase``, then ``tail``: "tried" read, "triedly" in the text."""
    filler = 5000 - len(opening) - len(phrase)
    return opening + ("a " * filler)[:filler] + phrase + tail


#: Turns whose first 5,000 characters match what the whole text does not (at the cut, ``\b`` holds).
CUT = [
    ("customer", _cut("", " I've tried", "ly"), d._TRIED),
    ("agent", _cut("please ", " send us your", "self"), d._DATA_REQUEST),
    ("customer", _cut("", " already tried", "ly"), d._ALREADY_DONE),
    ("agent", _cut("", " have you tried", "ly?"), d._TRY_Q),
]
CUT_TURNS = [(speaker, text) for speaker, text, _ in CUT]

EDGE_TURNS = [
    ("customer", "I've tried restarting the router and I\u2019ve already reset it. My order number is A1234, email a.b@example.com"),
    ("agent", "Hi, this is Priya from billing. Have you tried restarting it? Could you confirm your order number?"),
    ("customer", "Yes I already did that, I\u2019ve done it twice. The order number is A1234."),
    ("agent", "Please DM us your email address and phone number. Which device are you using?"),
    ("customer", ""),
    ("agent", ""),
    ("system", "Chat transferred. order number 555"),
    ("customer", "   "),
    ("customer", "I already tried that \u2014 r\u00e9initialis\u00e9 \u00e0 deux reprises, \u0130stanbul \u017fo still broken \u0663\u0664"),
    ("agent", "Have you tried restarting it? https://example.com/help?x=1 Have you tried restarting it?"),
    ("customer", "my phone is an iPhone 12, call me on +44 7700 900123, zip code 90210, it was at 3pm"),
    ("agent", "I'm Sam. What model is the iPhone? Could you share your phone number, please?"),
    ("customer", "Yes I already did that, I\u2019ve done it twice. The order number is A1234."),
    ("agent", LONG + "Could you please confirm your order number and email address?"),
    ("customer", LONG + "I have already tried that, yes I did"),
    ("agent", "Have you tried restarting it? " + LONG),
    ("customer", "thanks, that worked!"),
    ("agent", "Glad to hear it's working now! Anything else?"),
    ("customer", "I restarted the router twice already and the modem lights keep flashing"),
    ("agent", "Sorry about that. Have you tried restarting the router? Are you seeing the modem lights flashing?"),
    # a request _reasked_own finds only with the link blanked (the link's "." breaks it in the raw text),
    # and the same in a turn longer than the 5,000 characters it reads, the request in them
    ("agent", "Could you send https://x.co/a your order number and email address?"),
    ("customer", "sure, it is A1234"),
    ("agent", "Could you send https://x.co/b your order number and email address? " + LONG),
    ("customer", "I already told you"),
    ("agent", "Could you kindly send HTTP://X.CO/A your order number and email address? Have you triedhttp://x.co"),
    *CUT_TURNS,
]


def _edge_tickets() -> list[Ticket]:
    out = []
    n = len(EDGE_TURNS)
    for r in range(n):  # every rotation, so each kind of turn comes first, last and in between
        turns = EDGE_TURNS[r:] + EDGE_TURNS[:r]
        out.append(Ticket(ticket_id=f"edge{r}", turns=tuple(Turn(s, t) for s, t in turns)))
    named = (Turn("agent", "Hello, I'm Dana."), Turn("customer", "hi, I've tried resetting it"),
             Turn("agent", "Hi, this is Priya from billing.", agent_name=None),
             Turn("agent", "Bot here", is_bot=True, agent_name="Bot"),
             Turn("agent", "Hi it's Sam, from support", agent_name="Sam"),
             Turn("customer", "I already tried that!"),
             Turn("agent", "Hi, I am Lee.", agent_name="lee "), Turn("agent", "Hey", agent_name="Lee"))
    out.append(Ticket(ticket_id="names", turns=named))
    out.append(Ticket(ticket_id="empty", turns=()))
    out.append(Ticket(ticket_id="one", turns=(Turn("customer", "x"),)))
    out.append(Ticket(ticket_id="agent-only", turns=(Turn("agent", "Could you confirm your order number?"),)))
    return out


@pytest.fixture(scope="module")
def tickets(tmp_path_factory) -> list[Ticket]:
    from effortnlp.io import read_tickets

    path = tmp_path_factory.mktemp("detector_speed") / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for seed in (5, 23):
            for rec in generate_tickets(200, seed=seed):
                rec["ticket_id"] = f"s{seed}-{rec['ticket_id']}"
                fh.write(json.dumps(rec) + "\n")
    return [*read_tickets(path), *_edge_tickets()]


@pytest.fixture(scope="module")
def rule_hits(finder, tickets):
    return [finder.rule_hits(t) for t in tickets]


# -- the detectors against their plain loops ---------------------------------------------


@pytest.fixture(params=["hyperscan", "literal gates"])
def scans(request, monkeypatch):
    """The detectors locating turns with their Hyperscan scans (where installed), or with literal gates alone."""
    if request.param == "hyperscan" and d._slot_scans() is None:
        pytest.skip("no hyperscan")
    if request.param == "literal gates":
        monkeypatch.setattr(d, "_slot_scans", lambda: None)
    return request.param


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_detector_equals_its_plain_loop(name, tickets, scans):
    fast = getattr(d, name)
    n = 0
    for ticket in tickets:
        want = _key(PLAIN[name](ticket.turns))
        assert _key(fast(ticket.turns)) == want, ticket.ticket_id
        assert _key(fast(ticket.turns, view=d._View(ticket.turns))) == want, ticket.ticket_id
        n += len(want)
    assert n >= 3  # the corpus exercises every detector


def test_cross_turn_hits_equal_the_plain_loops(tickets, rule_hits, scans):
    """The whole: the plain detectors, then ``_unresolved`` (rule hits changed in place the same way)."""
    total = 0
    for ticket, hits in zip(tickets, rule_hits, strict=True):
        plain_hits = list(hits)
        repeated = PLAIN["_repeated_messages"](ticket.turns)
        want = [h for name in ("_agent_changes", "_reasked", "_reasked_content") for h in PLAIN[name](ticket.turns)]
        want += repeated + d._restated(ticket.turns, skip=frozenset(h.turn for h in repeated))
        want += [h for name in ("_reasked_own", "_already_done") for h in PLAIN[name](ticket.turns)]
        want += d._unresolved(ticket.turns, plain_hits)
        fast_hits = list(hits)
        got = d.cross_turn_hits(ticket, fast_hits)
        assert _key(got) == _key(want), ticket.ticket_id
        assert _key(fast_hits) == _key(plain_hits), ticket.ticket_id
        total += len(got)
    assert total > 300


def test_ending_equals_its_ungated_self(tickets, rule_hits, scans, monkeypatch):
    """The ending's gated patterns, their lowered twins (and its shared turn lists) change nothing it decides."""
    assert d._readings()[1] is not None  # every pattern _reading lowers has its twin
    fast = [d.ending(t.turns, h) for t, h in zip(tickets, rule_hits, strict=True)]
    # every gate then says "possible", and every text is read as it is, with the patterns themselves
    monkeypatch.setattr(d, "gate_text", lambda text: None)
    slow = [d.ending(t.turns, h) for t, h in zip(tickets, rule_hits, strict=True)]
    assert fast == slow
    assert len({e.rule for e in fast if e}) >= 5


CASED_TURN = st.builds(lambda t, case: Turn(t.speaker, case(t.text), agent_name=t.agent_name, is_bot=t.is_bot),
                       st.deferred(lambda: TURN), st.sampled_from([str, str.upper, str.title, str.swapcase]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CASED_TURN, max_size=10))
def test_ending_equals_its_ungated_self_fuzzed(turns):
    turns = tuple(turns)
    fast = d.ending(turns, [])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(d, "gate_text", lambda text: None)
        assert d.ending(turns, []) == fast


def test_edge_turns_hold_a_request_only_a_blanked_link_makes():
    raw = "Could you send https://x.co/a your order number and email address?"
    assert not d._DATA_REQUEST.search(raw) and d._DATA_REQUEST.search(d._URL.sub(d._blank, raw))
    assert (("agent", raw)) in EDGE_TURNS


@pytest.mark.parametrize("speaker, text, rx", CUT, ids=["tried", "request", "already", "try_q"])
def test_may_reads_the_first_characters_of_a_long_turn(speaker, text, rx, scans):
    assert rx.search(text[:5000]) and not rx.search(text)  # the premise
    v = d._View((Turn(speaker, "hello"), Turn(speaker, text)))
    assert (v.c_may(rx, 5000) if speaker == "customer" else _agent_may(v, rx, 5000, True)) == [1]


def test_view_lists_equal_the_plain_comprehensions(tickets):
    for ticket in tickets:
        turns = ticket.turns
        v = d._View(turns)
        assert v.customer == [(i, t.text or "") for i, t in enumerate(turns) if t.speaker == "customer"]
        assert v.agent == [(i, t.text or "") for i, t in enumerate(turns) if t.speaker == "agent"]
        spoken = [i for i, t in enumerate(turns) if t.speaker in ("customer", "agent") and t.text and t.text.strip()]
        assert v.spoken == spoken
        assert v.spoken_customer == [i for i in spoken if turns[i].speaker == "customer"]
        assert v.c_words == [d._WORD.findall((t.text or "")[:5000].lower()) for t in turns if t.speaker == "customer"]


# -- the pieces ------------------------------------------------------------------------


def _slot_and_detector_gates() -> list[Gate]:
    gates = [d._gate(rx) for rx in (d._INTRO, d._DATA_REQUEST, d._TRY_Q, d._ALREADY_DONE, d._TRIED)]
    gates.append(d._request_gate())  # _DATA_REQUEST's, locating its verbs first
    assert d._request_gate()._strongest != d._gate(d._DATA_REQUEST)._strongest
    for _, given_gate, _, asked_gates in d._slot_gates():
        gates += [given_gate, *asked_gates]
    gates.append(Gate(re.compile(r"ab\ncd|xy")))  # a literal holding the joiner
    gates.append(Gate(re.compile(r"\w+")))  # no literals at all
    return gates


def _check_parts(texts: list[str], gates: list[Gate]) -> None:
    parts = d._Parts(texts)
    for gate in gates:
        assert list(parts.possible(gate)) == [k for k, x in enumerate(texts) if gate.possible(gate_text(x))]
        head = [k for k, x in enumerate(texts) if gate.possible(gate_text(x[:40]))]
        assert parts.possible_head(gate, 40) == head
        for start in {1, len(texts) // 2, max(len(texts) - 1, 0), len(texts), len(texts) + 1}:
            want = [k for k, x in enumerate(texts) if k >= start and gate.possible(gate_text(x))]
            assert list(parts.possible(gate, start)) == want
            assert parts.possible_head(gate, 40, start) == [k for k in head if k >= start]
        for k, x in enumerate(texts):
            low = parts.part(k)
            assert low is None or low == gate_text(x)


def test_parts_locate_exactly_what_per_text_gates_allow(tickets):
    gates = _slot_and_detector_gates()
    groups = [[t.text for t in tk.turns if t.speaker == side] for tk in tickets[:150] for side in ("customer", "agent")]
    groups += [["ab", "cd xy", "", "x", "y", "xy"], ["the", "your", "", "\u0130 your"], ["\u017f", "order 12"]]
    for texts in groups:
        _check_parts(texts, gates)


TEXT = st.lists(st.sampled_from([*"ab xy.?!\n0123\u0130\u017f\u2019'", "your", "the", "order", "have you ", "tried",
                                 "this is", "I'm", "phone", "number"]), max_size=20).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXT, max_size=6))
def test_parts_fuzzed(texts):
    _check_parts(texts, _slot_and_detector_gates())


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ?.!\n\u2019?")), max_size=80))
def test_questions_equal_sent_finditer(text):
    assert d._questions(text) == [(m.start(), m.end(), m.group(0)) for m in d._SENT.finditer(text)]


# -- fuzzed tickets ----------------------------------------------------------------------

PHRASES = [
    "I've tried restarting it", "I already did that", "yes I have", "I\u2019ve already tried that",
    "Have you tried restarting it?", "Did you try clearing the cache?", "Could you confirm your order number?",
    "Please DM us your email address", "my order number is A12345", "email me at jo@example.com",
    "call me on +44 7700 900123", "What device are you using?", "I'm on an iPhone 12", "which model is it?",
    "my account number is 12345678", "Hi, this is Priya from billing.", "I'm Sam,", "thanks, that worked",
    "still not working", "no worries", "We've refunded the charge.", "we're looking into it", "glad to hear it!",
    "https://example.com/x?y=1", "the router keeps dropping", "r\u00e9initialis\u00e9", "\u0130", "", "   ", "?",
    "I restarted the router twice", "Have you tried restarting the router?", "Is the modem light flashing?",
    "@brand the router keeps dropping", "Dear Jo,\nthe router keeps dropping", "\nKind regards,\nJo", "> quoted: reply",
    "www.example.com", "at 10:30",
]
TURN = st.builds(
    lambda speaker, parts, name, bot: Turn(speaker, " ".join(parts), agent_name=name, is_bot=bot),
    st.sampled_from(["customer", "agent", "agent", "customer", "system"]),
    st.lists(st.sampled_from(PHRASES), max_size=4),
    st.sampled_from([None, None, "Ann", "ann", "Bob ", " "]),
    st.sampled_from([False, False, False, True]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CASED_TURN, max_size=12))
def test_fuzzed_tickets(turns):
    turns = tuple(turns)
    for name, plain in PLAIN.items():
        assert _key(getattr(d, name)(turns)) == _key(plain(turns)), name
    assert d.ending(turns, []) == d.ending(turns, [], d._View(turns))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TURN, max_size=12))
def test_final_turns_equal_their_plain_filters(turns):
    """``_final_turns`` slices what the ending once filtered out of every spoken turn."""
    turns = tuple(turns)
    v = d._View(turns)
    spoken, cust = v.spoken, v.spoken_customer
    assert spoken == [i for i, t in enumerate(turns) if t.speaker in ("customer", "agent") and (t.text or "").strip()]
    if not cust:
        return
    last_c = cust[-1]
    prev_a = next((i for i in reversed(spoken) if i < last_c and turns[i].speaker == "agent"), None)
    run = [i for i in cust if prev_a is None or i > prev_a]
    closing = [i for i in spoken if i > last_c]
    assert d._final_turns(turns, spoken, cust) == (last_c, prev_a, run, closing)


def test_reasked_equals_its_plain_loop_either_way(scans, tickets):
    """``_reasked`` gated by the Hyperscan scans (where installed) or by the literal gates alone."""
    n = 0
    for ticket in tickets:
        want = _key(PLAIN["_reasked"](ticket.turns))
        assert _key(d._reasked(ticket.turns)) == want, ticket.ticket_id
        n += len(want)
    assert n >= 3


def test_reasked_cites_the_last_giving_turn_before_each_ask():
    """Several asks, giving turns between them: each ask cites the latest before it (slow "given" path)."""
    turns = (
        Turn("customer", "call me on 0770 090 0123"),
        Turn("agent", "Could you share your phone number, please?"),
        Turn("customer", "nothing"),
        Turn("customer", "it's 0770 090 0999"),
        Turn("agent", "Please confirm your phone number."),
        Turn("agent", "And your phone number again?"),
    )
    got = d._reasked(turns)
    assert [(h.turn, h.detail["cited_turn"]) for h in got] == [(1, 0), (4, 3), (5, 3)]
    assert _key(got) == _key(plain_reasked(turns))
    gave = [0, 3]
    assert [gave[bisect_left(gave, h.turn) - 1] for h in got] == [h.detail["cited_turn"] for h in got]


OWN = st.lists(st.sampled_from([*"ab >:\n@.", "wrote:", "On Mon, Jo wrote:", "-- Original Message", "From: x",
                                "http://x.io", "www.x", "router", "broadband", "evening", "Dear Jo,", "Hi ", "\nThanks",
                                "\nKind regards,\nJo", "\nBest"]), max_size=16).map("".join)


@settings(max_examples=400, deadline=None)
@given(OWN)
def test_own_text_unblanked_has_the_same_words(text):
    """``_restated`` reads a turn's content words from ``_own_text(text, blank=False)``, and the shared ones
    where that is the turn's first 5,000 characters: the words of ``_own_text(text)`` either way."""
    own, unblanked = d._own_text(text), d._own_text(text, blank=False)
    assert d._words_of([unblanked]) == d._words_of([own])
    if unblanked == text[:5000]:
        assert own == text[:5000]


def plain_own_text(text, blank=True):
    """``_own_text`` as first written: every "@", "http" and "www." blanked by ``_NOT_OWN`` (or one space each)."""
    text = text[:5000]
    m = d._QUOTE_START.search(text)
    if m:
        text = text[: m.start()]
    m = d._SIGN_OFF.search(text)
    if m:
        text = text[: m.start()]
    m = d._GREETING.match(text)
    if m:
        text = " " * m.end() + text[m.end() :]
    return d._NOT_OWN.sub(d._blank if blank else " ", text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*"ab @'_:.\n/", "\u00e9", "@jo", "@Jo_2", "@jo's", "x@y.com", "http", "http://x.io/@a",
                                 "https://", "www.", "www.@x", "On Mon, Jo wrote:", "\nThanks", "Dear Jo,\n"]),
                max_size=16).map("".join))
def test_own_text_equals_its_plain_reading(text):
    """``_own_text`` blanks handles with the narrower ``_HANDLE`` where no link can be: the same text."""
    assert d._own_text(text) == plain_own_text(text)
    assert d._own_text(text, blank=False) == plain_own_text(text, blank=False)


def plain_restated(turns, min_overlap=4, share=0.4, lookback=8):
    """``_restated`` read plainly: every customer turn through ``_own_text``, every earlier one compared."""
    cust = [(i, t.text or "") for i, t in enumerate(turns) if t.speaker == "customer"]
    words = [d._content(d._own_text(text)) for _, text in cust]
    out = []
    for k, (i, text) in enumerate(cust):
        if len(cust) < 2 or len(words[k]) < min_overlap:
            continue
        replied = max((j for j, t in enumerate(turns[:i]) if t.speaker == "agent"), default=-1)
        window = [(j, w) for (j, _), w in zip(cust[:k], words[:k], strict=True) if w][-lookback:]
        scored = [(len(words[k] & w), j) for j, w in window if j < replied]
        if not scored:
            continue
        best, cited = max(scored)
        if best >= min_overlap and best >= share * len(words[k]):
            common = words[k] & dict(window)[cited]
            own = d._own_text(text)
            sent = max(d._SENTENCE.finditer(own), key=lambda m: len(d._content(m.group(0)) & common))
            start = sent.start() + len(sent.group(0)) - len(sent.group(0).lstrip())
            out.append(d._hit("REPEAT_INFO", "restated", i, turns[i], start, sent.start() + len(sent.group(0).rstrip()),
                              cited_turn=cited, slot="message", words=sorted(common)))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TURN, max_size=12))
def test_restated_equals_its_plain_reading(turns):
    turns = tuple(turns)
    assert _key(d._restated(turns, view=d._View(turns))) == _key(plain_restated(turns))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TURN, max_size=12))
def test_restated_after_the_content_words_were_built_equals_its_plain_reading(turns):
    """``_restated`` where another detector already built every turn's ``c_content`` (it reads those)."""
    turns = tuple(turns)
    view = d._View(turns)
    view.c_content  # noqa: B018 - built first, as ``_reasked_content`` may
    assert _key(d._restated(turns, view=view)) == _key(plain_restated(turns))


def test_restated_on_the_corpus_equals_its_plain_reading(tickets):
    n = 0
    for ticket in tickets:
        want = plain_restated(ticket.turns)
        assert _key(d._restated(ticket.turns)) == _key(want), ticket.ticket_id
        view = d._View(ticket.turns)
        view.c_content  # noqa: B018 - as after ``_reasked_content``
        assert _key(d._restated(ticket.turns, view=view)) == _key(want), ticket.ticket_id
        n += len(want)
    assert n >= 3


# -- where the scans say a pattern may match -------------------------------------------------


def test_pattern_tables_key_by_identity():
    """The gates, twins and scan places are kept by the pattern's ``id`` (hashing a pattern reads all its
    compiled code): each entry holds its pattern, and an equal pattern compiled apart gets its own, equal, entry."""
    for rx in (d._FIXED, d._INTRO, d._ASK_CUE):
        gate, twin = d._gate(rx), d._twin(rx)
        assert d._gate(rx) is gate and gate.regex is rx and d._GATES[id(rx)][0] is rx
        assert d._twin(rx) is twin and d._TWINS[id(rx)][0] is rx
        again = re.compile(rx.pattern + "(?:)", rx.flags)  # equal in what it matches, another object
        assert d._gate(again) is not gate and d._gate(again).regex is again
        assert d._gate(again).sets == gate.sets
        assert (d._twin(again) is None) == (twin is None)
    scans = d._slot_scans()
    if scans is not None:
        ids = {id(rx): ("customer", rx) for rx in d._C_SCANNED} | {id(rx): ("agent", rx) for rx in d._A_SCANNED}
        for (side, key), j in scans.on_scan.items():
            assert ids[key][0] == side
            scan, first, patterns = ((scans.customer, len(d.SLOTS), d._C_SCANNED) if side == "customer"
                                     else (scans.agent, len(scans.steps), d._A_SCANNED))
            assert patterns[j - first] is ids[key][1] and scan.scanned[j]

READ = st.lists(st.sampled_from([
    "Could you send ", "your", "the ", "order number", "have you tried", "Did you try ", "which model", "is it on",
    "I've tried", "I already did that", "yes I have", "http://x.co/a ", "http://x.co/a", "HTTPS://Y.IO ", "www.z", "?", ".", "!", "\n",
    " ", "x", "\u2019", "\u0130", "\u212a", "restarted", "reset ", "it",
]), max_size=24).map("".join)


def _agent_may(v, rx, limit, links):
    """``a_may`` as ``_reasked_own`` asks it: for ``_DATA_REQUEST``, of the pattern scanned in its stead."""
    if rx is d._DATA_REQUEST:
        return v.a_may(d._DATA_REQUEST_SCAN, limit, links=links, gate=d._request_gate())
    return v.a_may(rx, limit, links=links)


def _read(text: str, limit: int | None, links: bool) -> str:
    text = text[:limit] if limit is not None else text
    return d._URL.sub(d._blank, text) if links and "http" in text else text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(READ, max_size=5), st.sampled_from([None, 12, 5000]))
def test_may_holds_every_turn_a_pattern_matches_in(texts, limit):
    """``c_may``/``a_may`` (scans or literal gates) never leave out a turn the pattern matches in, as read:
    the first ``limit`` characters, links blanked or not; nor one holding a check question (``_CHECK_BODY``)."""
    turns = tuple(Turn(side, x) for side in ("customer", "agent") for x in texts)
    for mode in ("hyperscan", "literal gates"):
        with pytest.MonkeyPatch.context() as mp:
            if mode == "literal gates":
                mp.setattr(d, "_slot_scans", lambda: None)
            v = d._View(turns)
            for rx in d._C_SCANNED:
                got = v.c_may(rx, limit)
                assert got == sorted(set(got))
                for start in range(len(texts) + 1):
                    assert v.c_may(rx, limit, start) == [k for k in got if k >= start]
                assert {k for k, x in enumerate(texts) if rx.search(_read(x, limit, False))} <= set(got), (mode, rx)
            for rx in (*d._A_SCANNED, d._DATA_REQUEST):
                for links in (False, True):
                    got = _agent_may(v, rx, limit, links)
                    assert got == sorted(set(got))
                    assert {k for k, x in enumerate(texts) if rx.search(_read(x, limit, links))} <= set(got), (mode, rx)
            got = set(v.a_may(d._CHECK_BODY))
            for k, x in enumerate(texts):
                if any(d._CHECK_Q.search(q.strip()) for _, _, q in d._questions(x[:5000])):
                    assert k in got, mode


def test_check_q_is_its_body_after_an_opening():
    assert d._CHECK_Q.pattern == r"^\W*(?:\w+[,!]\s+)?" + d._CHECK_BODY.pattern
    assert d._CHECK_Q.flags == d._CHECK_BODY.flags


WORDY = st.lists(st.one_of(st.text(max_size=6), st.sampled_from(
    ["don't", "It\u2019s", "\u0130stanbul", "\u212a", "\u03a3\u0391\u03a3 ", "\x00", "\ud800", "\udfff", "12ab", "A'B", " \n\t"]
)), max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(WORDY, max_size=6))
def test_words_of_equals_findall(texts):
    """``_words_of``: the ``_WORD`` tokens of each lower-cased text, Unicode, lone surrogates and "\\x00" included."""
    assert d._words_of(texts) == [d._WORD.findall(text.lower()) for text in texts]
