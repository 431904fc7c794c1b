"""The fast paths give exactly what the plain ones give.

``MarkerFinder.rule_hits`` (per ticket: literal-gated regexes, one tokenizer
call for all turns, matches mapped back by offset) against ``turn_hits`` turn
by turn (every regex on every turn, one Doc per turn), over a fixed synthetic
corpus, the hand-written marker examples and awkward texts; and the literal
gates (``effortnlp.gates``) against the regexes they guard. The ``finder``
here gates regexes by literals alone (``hyperscan=False``); the Hyperscan
pass (``effortnlp.hyper``) is compared with it here and in ``test_hyper``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import turn_by_turn_hits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effortnlp.gates import FOLD_SPECIAL, Gate, class_prefilter, gate_text, required_literals
from effortnlp.markers import MAX_CHUNK_CHARS, MarkerFinder
from effortnlp.schema import Ticket, Turn
from effortnlp.synthetic import generate_tickets

sys.path.insert(0, str(Path(__file__).resolve().parent))

AWKWARD = [
    "  leading space: I was transferred twice",
    "trailing space: I was transferred twice  ",
    "\nnewline first, on hold for 20 minutes\n",
    "tab\tseparated\ton hold for 40 minutes\t",
    "We\u2019ll pass this on to our billing team, I\u2019ve been on hold for 30 minutes",
    "\u017ftill waiting \u0130T IS RIDICULOUS, call us at 1-800-555-0100",
    "\u0131 was transferred; the number is \u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661",
    "THIS IS UNACCEPTABLE AND RIDICULOUS",
    "Contact Options are listed. Please reach out to @AcmeHelp.",
    "on hold for 20 minutes " * 3,
    "Thanks!\n\u2014 The Billing Team",
    "x",
    "   ",
    "",
]


def _hand_texts() -> list[str]:
    import test_markers as tm

    texts: list[str] = []
    for name in dir(tm):
        value = getattr(tm, name)
        if name.isupper() and isinstance(value, list):
            for item in value:
                items = item if isinstance(item, tuple) else (item,)
                texts += [s for s in items if isinstance(s, str) and " " in s]
    return texts + AWKWARD


def _build_tickets(tmp: Path) -> list[Ticket]:
    from effortnlp.io import read_tickets

    path = tmp / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for rec in generate_tickets(300, seed=11):
            fh.write(json.dumps(rec) + "\n")
    out = list(read_tickets(path))
    texts = _hand_texts()
    for i, text in enumerate(texts):
        out.append(Ticket(ticket_id=f"c{i}", turns=(Turn("customer", text), Turn("agent", text))))
    # several awkward turns in one ticket, and one ticket longer than a tokenizer block
    out.append(Ticket(ticket_id="mix", turns=tuple(Turn(("customer", "agent", "system")[i % 3], t)
                                                   for i, t in enumerate(texts))))
    long_turn = "word " * (MAX_CHUNK_CHARS // 5 + 10) + "I was transferred again"
    out.append(Ticket(ticket_id="long", turns=(Turn("customer", long_turn), Turn("agent", texts[0]),
                                               *[Turn("customer", t) for t in texts[:40]] * 20)))
    return out


def _key(hits) -> list[tuple]:
    return [(h.label, h.rule_id, h.turn, h.speaker, h.start, h.end, h.text, json.dumps(h.detail, sort_keys=True))
            for h in hits]


def _hyperscan_installed() -> bool:
    from effortnlp import hyper

    return hyper._hs is not None


#: Both ways of gating the regex rules: literals alone, and the Hyperscan pass.
PATHS = [False, pytest.param(True, marks=pytest.mark.skipif(not _hyperscan_installed(), reason="no hyperscan"))]


@pytest.fixture(scope="module")
def finder() -> MarkerFinder:
    """The regex rules gated by literals alone (the path without Hyperscan)."""
    return MarkerFinder(detectors=False, hyperscan=False)


@pytest.fixture(scope="module")
def hyper_finder() -> MarkerFinder:
    if not _hyperscan_installed():
        pytest.skip("no hyperscan")
    return MarkerFinder(detectors=False, hyperscan=True)


@functools.lru_cache(maxsize=1)
def _literal_finder() -> MarkerFinder:
    return MarkerFinder(detectors=False, hyperscan=False)


@pytest.fixture(scope="module")
def tickets(tmp_path_factory) -> list[Ticket]:
    return _build_tickets(tmp_path_factory.mktemp("equivalence"))


@pytest.mark.parametrize("which", ["finder", "hyper_finder"])
def test_rule_hits_equal_the_per_turn_path(which, tickets, request):
    finder = request.getfixturevalue(which)
    digest_fast, digest_ref = hashlib.sha256(), hashlib.sha256()
    n = 0
    for ticket in tickets:
        fast, ref = _key(finder.rule_hits(ticket)), _key(turn_by_turn_hits(finder, ticket))
        assert fast == ref, ticket.ticket_id
        digest_fast.update(repr(fast).encode())
        digest_ref.update(repr(ref).encode())
        n += len(fast)
    assert digest_fast.hexdigest() == digest_ref.hexdigest()
    assert n > 500  # the corpus exercises the rules


@pytest.mark.parametrize("which", ["finder", "hyper_finder"])
def test_rule_hits_of_a_batch_equal_ticket_by_ticket(which, tickets, request):
    """``rule_hits_many`` goes stage by stage over the batch; each ticket's hits stay its own."""
    finder = request.getfixturevalue(which)
    # tickets without a customer or agent turn with text sit between the others
    batch = [Ticket("none", ()), *tickets[:150], Ticket("sys", (Turn("system", "I was transferred"),)), *tickets[150:]]
    many = [_key(h) for h in finder.rule_hits_many(batch)]
    assert many == [_key(turn_by_turn_hits(finder, t)) for t in batch]
    assert many[0] == many[151] == [] and sum(map(len, many)) > 500


def test_find_all_equals_find_ticket_by_ticket(tickets):
    full = MarkerFinder()  # with the cross-turn detectors
    batch = [*tickets[:100], Ticket("none", ()), *tickets[100:]]
    many = [_key(h) for h in full.find_all(batch)]
    assert many == [_key(full.find(t)) for t in batch]
    assert [(t.ticket_id, _key(h)) for t, h in full.find_many(iter(batch), batch_size=7)] == [
        (t.ticket_id, k) for t, k in zip(batch, many, strict=True)
    ]
    assert sum(1 for h in many if any(k[1].startswith("crossturn.") for k in h)) > 20


def test_every_regex_rule_is_gated_or_known_ungated(finder):
    ungated = {rule.id for rule, gate in finder._regex_gates if not gate.sets and gate.prefilter is None}
    assert not ungated, f"add a 'requires' key to: {sorted(ungated)}"


def test_gates_never_skip_a_match(finder, tickets):
    """On every text of the corpus, a gate says "impossible" only where the regex finds nothing."""
    from effortnlp import detectors

    gates = [gate for _, gate in finder._regex_gates]
    for slot in detectors.SLOTS:
        gates += [Gate(slot.given), Gate(slot.asked)]
    texts = [t.text for tk in tickets[:200] for t in tk.turns] + _hand_texts()
    skipped = 0
    for text in texts:
        low = gate_text(text)
        for gate in gates:
            if not (gate.possible(low) and gate.possible_raw(text)):
                skipped += 1
                assert gate.regex.search(text) is None, (gate, text)
    assert skipped > 1000


@pytest.mark.parametrize(
    "pattern, flags, expected",
    [
        (r"\bcall(?:ed)? us\b", re.I, [{"call"}, {"ed"}][:1] + [{" us"}]),
        (r"(?:pass|forward) (?:this|it) on", re.I, [{" on"}, {"pass", "forward"}, {"this", "it"}]),
        (r"[Tt]his is", 0, [{"this is"}]),
        (r"X{7,}", 0, [{"xxxxxxx"}]),
        (r"__phone__|\+?\d{9}", 0, [{"__phone__", *"0123456789"}]),
        (r"\w+@\w+", 0, [{"@"}]),
        (r"(?:a|b\w+)c", 0, []),
        (r"[A-Z]{3,}", 0, []),
        (r"(?:help)?desk", 0, [{"desk"}]),
        (r"caf\u00e9 open", re.I, [{"caf"}, {" open"}]),
    ],
)
def test_required_literals(pattern, flags, expected):
    got = [set(s) for s in required_literals(re.compile(pattern, flags))]
    assert sorted(map(sorted, got)) == sorted(map(sorted, expected))


def test_gate_text_refuses_case_folding_surprises():
    assert gate_text("Hello 123") == "hello 123"
    assert gate_text("caf\u00e9") == "caf\u00e9"
    for ch in FOLD_SPECIAL:
        assert gate_text(f"a{ch}b") is None
    assert gate_text("\u0663 days") is None  # \d matches it, the digit gate tests 0-9
    # Every character re.IGNORECASE matches with an ASCII letter lower-cases onto it, or is refused.
    every = "".join(map(chr, range(0x80, 0x30000)))
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for m in re.finditer(letter, every, re.IGNORECASE):
            ch = m.group(0)
            assert letter in ch.lower() or gate_text(ch) is None, (letter, hex(ord(ch)))


@pytest.mark.parametrize("hyperscan", PATHS)
def test_explicit_requires_key(tmp_path, hyperscan):
    rule = {"id": "wait.rx", "label": "WAIT", "regex": r"(?:a|b\w+)zz", "requires": ["ZZ"]}
    (tmp_path / "w.jsonl").write_text(json.dumps(rule) + "\n")
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False, hyperscan=hyperscan)
    f.turn_filters()
    assert [g.sets for _, g in f._regex_gates] == [(frozenset({"zz"}),)]
    ticket = Ticket(ticket_id="t", turns=(Turn("customer", "bzzz azz"), Turn("customer", "nothing")))
    assert _key(f.rule_hits(ticket)) == _key(turn_by_turn_hits(f, ticket))
    assert [h.text for h in f.rule_hits(ticket)] == ["bzzz", "azz"]


@pytest.mark.parametrize(
    "pattern, flags, expected",
    [
        (r"(?-i:(?<!\w)[A-Z]{3,}(?: [A-Z]{3,})+)", re.I, ("[A-Z]{3}", 0)),
        (r"[a-c_]{2,}\d", re.I, ("[a-c_]{2}", re.I)),
        (r"\w{3,}", 0, None),
        (r"[^a]{3}", 0, None),
    ],
)
def test_class_prefilter(pattern, flags, expected):
    got = class_prefilter(re.compile(pattern, flags))
    assert (got.pattern, got.flags & re.I) == expected if expected else got is None


def test_detectors_equal_their_ungated_selves(finder, tickets, monkeypatch):
    """Cross-turn detectors with literal gates give what they give with every search run."""
    from effortnlp import detectors

    rule_hits = [finder.rule_hits(t) for t in tickets]
    fast = [_key(detectors.cross_turn_hits(t, h)) for t, h in zip(tickets, rule_hits, strict=True)]
    monkeypatch.setattr(detectors, "gate_text", lambda text: None)  # gates then always say "possible"
    slow = [_key(detectors.cross_turn_hits(t, h)) for t, h in zip(tickets, rule_hits, strict=True)]
    assert fast == slow
    assert sum(len(x) for x in fast) > 100


def test_token_matches_equal_plain_windows(finder, tickets):
    """The start PhraseMatcher and next-token checks only skip windows where no pattern matches."""
    starts = finder._matcher_starts
    assert starts
    n = 0
    for ticket in tickets:
        for turn in ticket.turns:
            if not turn.text:
                continue
            doc = finder.tokenizer(turn.text.replace("\u2019", "'"))
            plain = [
                (key, tok.i, tok.i + e)
                for tok in doc
                if tok.lower_ in starts
                for key, s, e in finder.matcher(doc[tok.i : tok.i + 12])
                if s == 0
            ]
            assert list(finder._token_matches(doc)) == plain, turn.text
            n += len(plain)
    assert n > 20


def test_content_words_equal_the_plain_set_comprehension(tickets):
    from effortnlp import detectors

    def plain(text):  # what detectors._content computed before the per-word cache
        return {
            detectors._stem(w)
            for w in detectors._WORD.findall(text.lower())
            if len(w) >= 4 and w not in detectors._STOP and not w.isdigit()
        }

    texts = [t.text[:5000] for tk in tickets for t in tk.turns if t.text]
    assert all(detectors._content(x) == plain(x) for x in texts)


# -- regex rules searched once over joined turns ----------------------------------

JOIN_PATTERNS = [
    (r"a\s*", 0), (r"\s+x", 0), (r"(?m)^\w+$", 0), (r"(?m)^[ \t]*team\b", re.I), (r"(?<=\s)x\w*", 0),
    (r"(?<![@#\w])[A-Z]{3,}", 0), (r"x(?!\s)", 0), (r"x(?=.)", 0), (r"\bfoo\b", re.I), (r"[^a]{3}", 0),
    (r"^x", 0), (r"x$", 0), (r"\Ax", 0), (r"a?", 0), (r"(a)\1", 0), (r"\W+", 0), (r".{2}", 0), (r"(?s).x", 0),
    (r"\bon hold\b[^\n.!?]{0,20}", re.I), (r"\d[\d\s().-]{3,}\d", 0),
]
JOIN_TEXTS = ["x", "a", " x", "x ", "foo\nbar", "ABC def", "\x00x\x00", "a\x00", "\n", "team x", " team\n", "aa  ", "12 34\n56"]


def _join_cases(tickets):
    groups = [[t.text for t in tk.turns if t.text] for tk in tickets[:150]]
    groups += [JOIN_TEXTS, JOIN_TEXTS[::-1], [a + b for a in JOIN_TEXTS for b in JOIN_TEXTS], _hand_texts()]
    return [g for g in groups if g]


def test_join_separator_finds_what_each_text_finds(finder, tickets):
    """Where ``join_separator`` allows it, one search of the joined texts gives each text's matches."""
    from bisect import bisect_right

    from effortnlp.gates import join_separator

    patterns = [re.compile(p, fl) for p, fl in JOIN_PATTERNS] + [r.regex for r, _ in finder._regex_gates]
    joinable = 0
    for rx in patterns:
        sep = join_separator(rx)
        if sep is None:
            continue
        joinable += 1
        for texts in _join_cases(tickets):
            per_text = [(k, m.start(), m.end()) for k, t in enumerate(texts) for m in rx.finditer(t)]
            starts, pos = [], 0
            for t in texts:
                starts.append(pos)
                pos += len(t) + 1
            joined = []
            for m in rx.finditer(sep.join(texts)):
                k = bisect_right(starts, m.start()) - 1
                joined.append((k, m.start() - starts[k], m.end() - starts[k]))
            assert joined == per_text, (rx.pattern, sep, texts[:3])
    assert joinable >= 12


def test_join_separator_refuses(finder):
    from effortnlp.gates import join_separator

    for p in (r"^x", r"x$", r"\Ax", r"a?", r"(a)\1", r"\W+", r"[^a]{3}", r"(?s).x"):
        assert join_separator(re.compile(p)) is None, p
    assert join_separator(re.compile(r"(?m)^x")) == "\n"
    assert join_separator(re.compile(r"a\s*")) == "\x00"


@pytest.mark.parametrize("hyperscan", PATHS)
def test_rule_hits_equal_per_turn_with_every_regex_path(tmp_path, tickets, hyperscan):
    """Custom regex rules for every path of ``_regex_spans`` (found by literal, joined, turn by turn; any speaker)."""
    rules = [
        {"id": "a.lit", "label": "WAIT", "regex": r"\b(?:on hold|waited)\s+(?:for\s+)?\w+", "speaker": "any"},
        {"id": "a.caps", "label": "FRUSTRATION", "regex": r"(?-i:[A-Z]{3,}(?: [A-Z]{2,})*)", "speaker": "any"},
        {"id": "c.caps", "label": "FRUSTRATION", "regex": r"(?-i:[A-Z]{2,}\s*!)", "speaker": "customer"},
        {"id": "a.line", "label": "TRANSFER", "regex": r"(?m)^(?-i:[A-Z]\w+) team\b", "speaker": "agent"},
        {"id": "a.notjoin", "label": "UNRESOLVED", "regex": r"(?-i:[A-Z]{2}[^a-z]{2})", "speaker": "agent"},
        {"id": "c.sets", "label": "REPEAT_INFO", "regex": r"\b(?:as|like) i (?:said|told you)\b", "speaker": "customer"},
        {"id": "x.not", "label": "NOT", "suppresses": ["FRUSTRATION"], "regex": r"(?-i:USA|UK)", "speaker": "any"},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False, hyperscan=hyperscan)
    f.turn_filters()
    assert f._join_sep["a.caps"] == "\x00" and f._join_sep["a.notjoin"] is None
    extra = [Ticket(ticket_id="nul", turns=(Turn("customer", "ABC\x00DEF"), Turn("agent", "\x00\nBilling team\x00"),
                                            Turn("customer", "AB !"), Turn("agent", "USA TODAY"),
                                            Turn("customer", "as I said\non hold for ages"))),
             Ticket(ticket_id="agent-only", turns=(Turn("agent", "ZZZ"), Turn("agent", "Some team"))),
             Ticket(ticket_id="customer-only", turns=(Turn("customer", "WHY!"),))]
    n = 0
    for ticket in [*tickets, *extra]:
        fast = _key(f.rule_hits(ticket))
        assert fast == _key(turn_by_turn_hits(f, ticket)), ticket.ticket_id
        n += len(fast)
    assert n > 200


# -- JSONL records -> Tickets --------------------------------------------------------

def _ticket_key(t: Ticket):
    return (t.ticket_id, t.source, json.dumps(t.meta, sort_keys=True, default=str),
            [(turn, json.dumps(turn.to_dict(), sort_keys=True, default=str)) for turn in t.turns])


def _slow_turns(turns):
    from effortnlp.io import readers

    return readers._make_turns([readers._nested_turn(t) for t in turns])


@pytest.mark.parametrize("path", ["data/sample/tickets.jsonl", "data/fixtures/tickets.jsonl",
                                  "data/fixtures/tickets.json", "data/fixtures/turns.jsonl"])
def test_read_tickets_equal_without_the_plain_turn_path(path, monkeypatch, tmp_path):
    from effortnlp.io import readers
    from effortnlp.io.errors import RowError

    root = Path(__file__).resolve().parent.parent

    def read(p):
        errors: list[RowError] = []
        return [_ticket_key(t) for t in readers.read_tickets(p, on_error=errors.append)], [str(e) for e in errors]

    corpus = tmp_path / "synthetic.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in generate_tickets(150, seed=5)))
    for p in (root / path, corpus):
        fast = read(p)
        with monkeypatch.context() as m:
            m.setattr(readers, "_plain_nested_turns", lambda turns: None)
            slow = read(p)
        assert fast == slow
        assert fast[0]


def test_batch_raw_lines_equal_without_the_plain_turn_path(monkeypatch):
    from effortnlp import batch
    from effortnlp.io import readers

    path = Path(__file__).resolve().parent.parent / "data" / "sample" / "tickets.jsonl"
    lines = path.read_bytes().splitlines()
    parser = batch._JsonlParser(batch.ScoreSpec())
    chunk = batch.LinesChunk(source=str(path), start=1, lines=lines, fmt="jsonl")

    def parse():
        return [(n, i, t and _ticket_key(t), [str(e) for e in errs]) for n, i, t, errs in parser.parse(chunk)]

    fast = parse()
    monkeypatch.setattr(readers, "_plain_nested_turns", lambda turns: None)
    assert fast == parse()
    assert len(fast) > 10


_VALUES = st.one_of(st.none(), st.text(" \t\nab:AgentBot_-()", max_size=8),
                    st.sampled_from(["customer", "Agent", " agent (Sam) ", "Bot", "system", "Sarah", "", "  ",
                                     "true", "True", "1"]),
                    st.integers(-1, 2), st.booleans(), st.floats(allow_nan=True, allow_infinity=False))
_KEYS = st.sampled_from(["speaker", "text", "timestamp", "channel", "agent_name", "is_bot", "role", "message",
                         "speaker_raw", "meta", "other"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=6),
                          st.dictionaries(st.sampled_from(["speaker", "text", "timestamp", "agent_name"]),
                                          st.one_of(st.none(), st.text(max_size=6)), max_size=4)),
                max_size=6))
def test_plain_nested_turns_equal_the_general_path(turns):
    from effortnlp.io import readers

    fast = readers._plain_nested_turns(turns)
    if fast is not None:
        slow = _slow_turns(turns)
        assert [(t, t.meta) for t in fast] == [(t, t.meta) for t in slow]


# Plain turns only (so the fast path is taken), with what varies inside a ticket: labels
# known and unknown (one name in two spellings), bots flagged several ways, padded and
# blank fields, fields present on some turns only.
_LABELS = st.sampled_from(["customer", "Customer ", "agent", "Agent (Sam)", "Agent Kim", "bot", "System",
                           "Sarah", " sarah", "Bob", "", "  ", None])
_PADDED = st.one_of(st.none(), st.sampled_from(["", " ", "2024-01-01T10:00:00Z", " 10:32 ", "chat", "Ann",
                                                 " Ann ", "\tx\n"]))
_PLAIN_TURN = st.fixed_dictionaries(
    {},
    optional={"speaker": _LABELS, "text": st.one_of(st.none(), st.text(" ab!\n", max_size=5)),
              "timestamp": _PADDED, "channel": _PADDED, "agent_name": _PADDED,
              "is_bot": st.sampled_from([True, False, "true", "True", "yes", 1, 0, 1.0, None])})


@settings(max_examples=500, deadline=None)
@given(st.lists(_PLAIN_TURN, max_size=12))
def test_plain_nested_turns_equal_the_general_path_on_plain_turns(turns):
    from effortnlp.io import readers

    fast = readers._plain_nested_turns(turns)
    assert fast is not None
    slow = _slow_turns(turns)
    assert [(t, t.meta, type(t)) for t in fast] == [(t, t.meta, type(t)) for t in slow]


def test_plain_nested_turns_refuses_what_is_not_plain():
    from effortnlp.io import readers

    plain = {"speaker": "customer", "text": "hi"}
    for odd in ({"speaker": "customer", "text": 5}, {"speaker": 3, "text": "hi"}, {"text": "hi", "timestamp": 1.5},
                {"text": "hi", "channel": ["chat"]}, {"text": "hi", "agent_name": b"Ann"}, {"text": "hi", "meta": {}},
                {"role": "agent", "text": "hi"}, {"speaker": "agent", "message": "hi"}, "Agent: hi", None):
        assert readers._plain_nested_turns([plain, odd]) is None, odd
    assert readers._plain_nested_turns([]) == ()


_META_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=4),
                         st.lists(st.floats(allow_nan=True), max_size=2), st.binary(max_size=3), st.datetimes(),
                         st.dates(), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["ticket_id", "id", "turns", "meta", "channel", "ces", "x"]), _META_VALUES,
                       max_size=6),
       st.sampled_from(["ticket_id", "id", None]),
       st.one_of(st.none(), st.integers(), st.dictionaries(st.sampled_from(["channel", "x", "ticket_id", "y"]),
                                                           _META_VALUES, max_size=3)))
def test_record_meta_equals_the_plain_code(record, id_key, inner):
    from effortnlp.io import readers
    from effortnlp.io.text import clean_meta

    if inner is not None:
        record["meta"] = inner
    plain = dict(record["meta"]) if isinstance(record.get("meta"), dict) else {}
    plain.update({k: clean_meta(v) for k, v in record.items() if k not in (id_key, "turns", "meta")})
    assert repr(list(readers._record_meta(record, id_key).items())) == repr(list(plain.items()))


def test_new_turn_builds_a_plain_turn():
    import platform
    from dataclasses import FrozenInstanceError

    from effortnlp import schema
    from effortnlp.schema import new_turn

    if platform.python_implementation() == "CPython":  # the fast one is in use, not the fallback
        assert new_turn is schema._new_turn
    args = ("agent", "hello", None, "chat", "Ann", False, "Agent", {"k": [1]})
    fast, slow = new_turn(*args), Turn(*args)
    assert type(fast) is Turn and fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.meta is args[-1] and fast.to_dict() == slow.to_dict()
    with pytest.raises(FrozenInstanceError):
        fast.text = "changed"


def test_new_hit_builds_a_plain_marker_hit():
    import platform
    from dataclasses import FrozenInstanceError

    from effortnlp import schema
    from effortnlp.schema import MarkerHit, new_hit

    if platform.python_implementation() == "CPython":
        assert new_hit is schema._new_hit
    args = ("CHANNEL_SWITCH", "channel_switch.dm", 4, "agent", 10, 22, "please DM us", "rule", {"target": "dm"})
    fast, slow = new_hit(*args), MarkerHit(*args)
    assert type(fast) is MarkerHit and fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.detail is args[-1] and fast.to_dict() == slow.to_dict()
    with pytest.raises(FrozenInstanceError):
        fast.start = 0


def test_batch_raw_lines_link_repeat_contacts_as_read_tickets_does(tmp_path):
    from effortnlp import batch
    from effortnlp.io import readers

    recs = list(generate_tickets(30, seed=8))
    for i, r in enumerate(recs):  # the same requesters back within days, in shuffled order
        r["customer_id"] = f"C{i % 4}"
        r["created_at"] = f"2024-03-{1 + (i * 7) % 20:02d}T10:00:00Z"
    lines = [json.dumps(r) for r in recs]
    lines[3] = "{not json"
    lines[5] = json.dumps({"ticket_id": "bad", "customer_id": "C1", "turns": [1]})
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n")
    spec = batch.ScoreSpec(prior=True, columns=(("repeat_window", "7d"),), chunk_size=7)
    plan = batch._LinesPlan(str(path), "jsonl", spec)
    parsed = [(n, t) for chunk in plan.chunks() for n, _, t, _ in plan.parser.parse(chunk)]
    tickets = [_ticket_key(t) for _, t in parsed if t is not None]
    assert tickets == [_ticket_key(t) for t in readers.read_tickets(path, on_error=lambda e: None)]
    assert sum("repeat_contacts" in t.meta for _, t in parsed if t is not None) > 10
    assert [n for n, t in parsed if t is None] == [4, 6]


# -- cross-turn detectors ------------------------------------------------------------

def _plain_reasked(turns):
    """``detectors._reasked`` as first written: every slot pattern on every turn, no gates."""
    from effortnlp import detectors as d

    given: dict[str, int] = {}
    out = []
    for i, t in enumerate(turns):
        text = t.text or ""
        if t.speaker == "customer":
            for slot in d.SLOTS:
                if slot.given.search(text):
                    given[slot.name] = i
        elif t.speaker == "agent" and given:
            for slot in d.SLOTS:
                if slot.name not in given:
                    continue
                m = slot.asked.search(text)
                if not m:
                    continue
                window = text[max(0, m.start() - 80) : m.end() + 80]
                if not d._ASK_CUE.search(window) or d._NOT_ASK.search(window):
                    continue
                out.append(d._hit("REPEAT_INFO", f"reasked.{slot.name}", i, t, m.start(), m.end(),
                                  cited_turn=given[slot.name], slot=slot.name))
    return out


SLOT_TURNS = [
    ("customer", "My order number is 12345 and my email is a.b@example.com"),
    ("agent", "Could you please confirm your order number?"),
    ("customer", "Call me on +44 7700 900123, account number 99887766. Flight BA 286, DOB on file."),
    ("agent", "Please DM us your email address and phone number so we can check."),
    ("system", "order number 555 noted"),
    ("agent", "What is your account number? Which device are you on?"),
    ("customer", "ORDER #A1234 again, my name is Jo, iPhone 12, https://x.example/p, ticket number 4455"),
    ("agent", "Can you send the link and your full name? What's the flight number? Ticket number please?"),
    ("agent", "We've sent you an email; don't share your order number here."),
    ("customer", ""),
    ("agent", "\u0130 please share your email address \u0663"),
]


def test_reasked_equals_the_plain_loop(tickets):
    from effortnlp import detectors

    extra = [Ticket(ticket_id=f"s{n}", turns=tuple(Turn(s, t) for s, t in SLOT_TURNS[n:] + SLOT_TURNS[:n]))
             for n in range(len(SLOT_TURNS))]
    extra.append(Ticket(ticket_id="agent-first", turns=tuple(Turn(s, t) for s, t in SLOT_TURNS[1:2] + SLOT_TURNS[:1])))
    extra.append(Ticket(ticket_id="no-agent", turns=(Turn("customer", SLOT_TURNS[0][1]),)))
    n = 0
    for ticket in [*tickets, *extra]:
        fast = _key(detectors._reasked(ticket.turns))
        assert fast == _key(_plain_reasked(ticket.turns)), ticket.ticket_id
        n += len(fast)
    assert n > 30


def test_possible_parts_equal_testing_every_part(finder, tickets):
    """``Gate.possible_parts`` (literals located by str.find in the joined text) == ``possible`` per part."""
    from effortnlp import detectors

    gates = [gate for _, gate in finder._regex_gates]
    for slot in detectors.SLOTS:
        gates += [detectors._gate(slot.given), detectors._gate(slot.asked)]
    gates.append(Gate(re.compile(r"ab\ncd|xy"), None))  # a literal holding the joiner
    groups = [[t.text for t in tk.turns] for tk in tickets[:200]]
    groups += [["ab", "cd xy", "", "x", "y", "xy"], ["the", "team", "", "your"], JOIN_TEXTS]
    checked = 0
    for texts in groups:
        low = "\n".join(texts).lower()
        starts, ends, pos = [], [], 0
        for t in texts:
            starts.append(pos)
            ends.append(pos + len(t))
            pos += len(t) + 1
        for gate in gates:
            expected = [k for k, t in enumerate(texts) if gate.possible(t.lower())]
            assert gate.possible_parts(low, starts, ends) == expected, (gate, texts[:2])
            checked += len(expected)
    assert checked > 1000


# -- turn prefilter (effortnlp.prefilter) --------------------------------------------

def _fixture_texts() -> list[str]:
    from effortnlp.io import read_tickets

    root = Path(__file__).resolve().parent.parent / "data"
    texts: list[str] = []
    for path in sorted(p for p in (root / "fixtures").rglob("*") if p.is_file() and p.suffix != ".txt"):
        try:
            texts += [t.text for tk in read_tickets(path, on_error=lambda e: None) for t in tk.turns if t.text]
        except Exception:  # noqa: BLE001 - a fixture of a format that is not auto-detected
            continue
    texts += [t.text for tk in read_tickets(root / "sample" / "tickets.jsonl") for t in tk.turns if t.text]
    return texts


def _assert_filter_sound(finder: MarkerFinder, text: str) -> tuple[int, int]:
    """A filter that rules a turn out is never wrong: the matchers find nothing of that kind there.

    Returns (speakers ruled out for positive rules, speakers checked).
    """
    low = text.replace("\u2019", "'").lower()
    skipped = 0
    for who, (pos, neg) in finder.turn_filters().items():
        p_ok, n_ok = pos.possible(low), neg.possible(low)
        if p_ok and n_ok:
            continue
        skipped += not p_ok
        labels = [sp.rule.label for sp in finder._turn_token_spans(text, who)]
        if not p_ok:
            assert all(x == "NOT" for x in labels), (who, text, labels)
        if not n_ok:
            assert "NOT" not in labels, (who, text, labels)
    return skipped, 2


def test_turn_filter_never_rules_out_a_match(finder, tickets):
    texts = [t.text for tk in tickets for t in tk.turns if t.text] + _fixture_texts() + _hand_texts()
    skipped = checked = 0
    for text in texts:
        s, c = _assert_filter_sound(finder, text)
        skipped, checked = skipped + s, checked + c
    assert skipped > 0.4 * checked  # it does skip (most turns hold no phrase at all)


def test_indexed_filter_answers_no_more_than_the_turn_filter(finder, tickets):
    """``IndexedFilter`` (literals from the shared scan) rules out a turn only where ``TurnFilter`` does.

    It may rule out fewer (whitespace other than spaces is removed too), never more; and the patterns
    it lets through include every pattern ``TurnFilter`` lets through whose anchor is present.
    """
    texts = [t.text for tk in tickets[:300] for t in tk.turns if t.text] + _fixture_texts() + _hand_texts()
    plains = [t.replace("\u2019", "'") for t in texts]
    masks, scanned = finder._literals.scan(texts, [p.lower() for p in plains])
    base = finder.turn_filters()
    agree = 0
    for text, plain, mask, ns in zip(texts, plains, masks, scanned, strict=True):
        low = plain.lower()
        for who, pair in finder._indexed_filters.items():
            for indexed, old in zip(pair, base[who], strict=True):
                if indexed.possible(mask, ns):
                    agree += old.possible(low)
                else:
                    assert not old.possible(low), (who, text)
                    agree += 1
    assert agree > 0.95 * 4 * len(texts)


def test_rule_hits_equal_per_turn_without_the_filter(finder, tickets, monkeypatch):
    """Turns the filter skips give what tokenizing them gives, through ``rule_hits`` as a whole."""
    fast = [_key(finder.rule_hits(t)) for t in tickets]
    from effortnlp import prefilter

    monkeypatch.setattr(prefilter.IndexedFilter, "possible", lambda self, mask, ns: True)
    monkeypatch.setattr(prefilter.IndexedFilter, "possible_patterns", lambda self, mask, ns: tuple(n for n, _, _ in self.entries))
    monkeypatch.setattr(prefilter.IndexedFilter, "answer", lambda self, mask, ns: tuple(n for n, _, _ in self.entries))
    assert fast == [_key(finder.rule_hits(t)) for t in tickets]


def _fuzz_fragments() -> list[str]:
    f = MarkerFinder.shared()
    phrases = sorted({p for r in f.rules for p in r.phrases})
    words: set[str] = set()
    for r in f.rules:
        for tok in r.pattern or ():
            value = tok.get("LOWER")
            words.update([value] if isinstance(value, str) else value.get("IN", []) if isinstance(value, dict) else [])
    special = ["cannot", "gonna", "don't", "can't", "won\u2019t", "I\u2019ve", "we\u2019ll", "y'all", "\u0130",
               "\u212a", "\u03a3", "\u03c2", "!!", "?!", "!?", "#", "-", ".", ",", "e-mail", "U.S.", ":)", "\n",
               "\t", "  ", "\u00a0", "5", "20", "1,000", "3rd", "two", "tw,o", "\u0663", "\u00b2", "+", "mins",
               "(", ")", "'", "\u2019", "\"", "x", "A", "ON", "Hold", "'ll"]
    return phrases[::7] + sorted(words) + special


_FRAGMENTS = _fuzz_fragments()
_CASES = (str, str.upper, str.title, str.swapcase, lambda s: s.replace(" ", ""), lambda s: s.replace(" ", "  "),
          lambda s: s.replace("'", "\u2019"), lambda s: s.replace(" ", "\n"))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_FRAGMENTS), st.sampled_from(_CASES),
                          st.sampled_from(["", " ", " ", " ", "  ", "\n", "-", "'", ".", "!"])),
                min_size=1, max_size=12))
def test_turn_filter_never_rules_out_a_match_fuzzed(parts):
    text = "".join(case(frag) + sep for frag, case, sep in parts)
    _assert_filter_sound(MarkerFinder.shared(), text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789,./+-~\u00b1\u00b2\u0663 abcdefghilmnorstuvwxyzTHOENI\u0130\u212a", max_size=12))
def test_like_num_regex_holds_for_every_like_num_text(text):
    from spacy.lang.en.lex_attrs import like_num

    from effortnlp.markers import _like_num_regex

    rx = re.compile(_like_num_regex(MarkerFinder.shared().nlp))
    if like_num(text):
        assert rx.search(text.lower().replace(" ", "")), text


def test_like_num_regex_number_words():
    from spacy.lang.en.lex_attrs import _num_words, _ordinal_words, like_num

    from effortnlp.markers import _like_num_regex

    rx = re.compile(_like_num_regex(MarkerFinder.shared().nlp))
    for w in [*_num_words, *_ordinal_words]:
        for text in (w, w.upper(), "+" + w, w[:1] + "." + w[1:], w[:2] + ",," + w[2:] + "."):
            assert not like_num(text) or rx.search(text.lower()), text


def test_turn_filter_with_custom_token_patterns(tmp_path, tickets):
    """Token patterns of every shape the filter reads (and some it does not) give the same hits filtered."""
    rules = [
        {"id": "w.num", "label": "WAIT", "pattern": [{"LOWER": {"IN": ["waited", "queued"]}}, {"OP": "{0,2}"},
                                                     {"LIKE_NUM": True}, {"LOWER": {"IN": ["mins", "hours"]}}]},
        {"id": "w.plus", "label": "WAIT", "speaker": "customer",
         "pattern": [{"LOWER": "still"}, {"LOWER": "waiting", "OP": "+"}, {"LOWER": "for"}]},
        {"id": "t.neg", "label": "TRANSFER", "speaker": "agent",
         "pattern": [{"LOWER": "pass"}, {"LOWER": "it", "OP": "!"}, {"LOWER": {"IN": ["on", "along"]}}]},
        {"id": "t.other", "label": "TRANSFER", "pattern": [{"LOWER": {"NOT_IN": ["a"]}}, {"LOWER": "team"}]},
        {"id": "f.isnum", "label": "FRUSTRATION", "pattern": [{"IS_DIGIT": True}, {"LOWER": "times"}]},
        {"id": "f.q", "label": "FRUSTRATION", "speaker": "customer", "pattern": [{"TEXT": "?"}, {"ORTH": "!"}]},
        {"id": "u.two", "label": "UNRESOLVED", "pattern": [{"LOWER": "still"}, {"LOWER": "not", "OP": "{2,3}"}]},
        {"id": "x.not", "label": "NOT", "suppresses": ["WAIT"], "phrases": ["(on|in) (the|a) queue"]},
        {"id": "p.ph", "label": "REPEAT_INFO", "speaker": "customer", "phrases": ["(as|like) i (said|told you)"]},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False)
    f.turn_filters()
    texts = ["I waited 20 mins", "queued for twenty hours in a queue", "still waiting waiting for", "pass it on",
             "pass x along", "the team", "5 times!", "3 TIMES", "why?!", "why? !", "still not not", "as I said",
             "Like i told you", "waited\n\n3 hours", "WAITED 3hours", "QUEUED forty-two mins"]
    extra = [Ticket(ticket_id=f"x{i}", turns=(Turn("customer", t), Turn("agent", t))) for i, t in enumerate(texts)]
    n = 0
    for ticket in [*tickets[:150], *extra]:
        fast = _key(f.rule_hits(ticket))
        assert fast == _key(turn_by_turn_hits(f, ticket)), ticket.ticket_id
        n += len(fast)
    for text in texts:
        _assert_filter_sound(f, text)
    assert n > 20
    pos, _ = f.turn_filters()["customer"]
    assert pos.always  # "f.q" says nothing about LOWER: every customer turn is tokenized
    assert not f.turn_filters()["agent"][0].always


def test_ordered_pieces():
    from effortnlp.prefilter import OrderedPieces, TurnFilter, trie_regex

    op = OrderedPieces([{"LOWER": {"IN": ["on", "in"]}}, {"LOWER": "hold"}, {"OP": "*"}, {"LOWER": "mins"}], None)
    assert [p.pattern for p in op.pieces] == ["(?:in|on)(?:hold)", "(?:mins)"]
    assert op.possible("onhold20mins") and op.possible("inholdmins") and not op.possible("minsonhold")
    assert trie_regex(["abc", "abd", "ab", "x"]) == "(?:ab|x)"
    f = TurnFilter([["as", "i", "said"], ["?", "!"]],
                   [[{"LOWER": "waited"}, {"LIKE_NUM": True}, {"LOWER": {"IN": ["mins", "hours"]}}]],
                   "(?:[0-9]|two)")
    assert f.possible("as i said") and f.possible("asisaid") and f.possible("why? !")
    assert f.possible_patterns("waited 2 hours") == ("0",) and f.possible_patterns("as i said") == ()
    assert not f.possible("as i say") and not f.possible("waited hours")
    assert f.possible("waited 2 hours") and f.possible("waited two mins") and not f.possible("2 hours waited")


# -- regex rules gated alternative by alternative (gates.Branches) ---------------------

@pytest.mark.parametrize(
    "pattern, expected",
    [
        (r"a|b", ["a", "b"]),
        (r"(a|b)c", None),
        (r"[|]x|y", ["[|]x", "y"]),
        (r"[]|]x|y", ["[]|]x", "y"]),
        (r"[^]|]|z", ["[^]|]", "z"]),
        (r"\|a|b", [r"\|a", "b"]),
        (r"(?i)a|b", ["a", "b"]),
        (r"(?-i:A|B)|c", ["(?-i:A|B)", "c"]),
        (r"(?P<x>a)|b", None),
        (r"(a)\1|b", None),
        (r"(?#x|y)a|b", None),
        (r"a", None),
    ],
)
def test_split_branches(pattern, expected):
    from effortnlp.gates import split_branches

    got = split_branches(re.compile(pattern))
    assert (got[0] if got else None) == expected
    if got and pattern.startswith("(?i)"):
        assert got[1] & re.IGNORECASE


_ALT_PIECES = ["on hold", r"\bcall(?:ed)? us\b", r"(?-i:[A-Z]{2,})", r"\d+ times", "x|y", "[|(]", r"\(", "a?",
               r"(?:again|once more)", r"[^a-z]{2}", r"\bthe\b", r"(?m)^team", r"$", "é", r"\w+@\w+"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALT_PIECES), min_size=2, max_size=5),
       st.text(alphabet="on hold call us AB 3 times x y|([ again the\nteam é@", max_size=40),
       st.booleans())
def test_branch_subsets_find_what_the_whole_finds(pieces, text, icase):
    """Dropping the alternatives that cannot match in a text leaves ``finditer`` unchanged there."""
    from effortnlp.gates import Branches, split_branches

    source = "|".join(p if "|" not in p or p.startswith("(") else f"(?:{p})" for p in pieces)
    try:
        whole = re.compile(source, re.IGNORECASE if icase else 0)
    except re.error:
        return
    split = split_branches(whole)
    assert split is not None
    branches = Branches(whole, *split)
    picked = branches.pick(gate_text(text), text)
    live = tuple(k for k, alt in enumerate(split[0]) if re.search(alt, text, split[1]))
    assert set(live) <= set(picked)  # a gate never drops an alternative that matches
    expected = [m.span() for m in whole.finditer(text)]
    if not picked:  # the caller skips the search
        assert expected == []
        return
    assert [m.span() for m in branches.regex(picked).finditer(text)] == expected
    if live:
        assert [m.span() for m in branches.regex(live).finditer(text)] == expected


@pytest.mark.parametrize("hyperscan", PATHS)
def test_rule_hits_equal_per_turn_with_branched_regexes(tmp_path, tickets, hyperscan):
    rules = [
        {"id": "b.wait", "label": "WAIT", "speaker": "customer",
         "regex": r"\bon hold\b[^.]{0,20}|\bwaited (?:for )?\d+ \w+|(?-i:[A-Z]{4,})|\bstill waiting"},
        {"id": "b.any", "label": "REPEAT_CONTACT",
         "regex": r"(?i)\b(?:called|emailed) (?:you )?(?:twice|again)\b|\b(?:second|third|[2-9](?:nd|rd|th)) time\b"},
        {"id": "b.agent", "label": "TRANSFER", "speaker": "agent",
         "regex": r"\bpass (?:this|it) on\b|(?m:^(?-i:[A-Z]\w+) team$)|\b(?:colleague|specialist)s?\b"},
        {"id": "b.req", "label": "FRUSTRATION", "regex": r"(?:a|b\w+)zz|\bugh+\b", "requires": ["zz", "ugh"]},
        {"id": "b.not", "label": "NOT", "suppresses": ["WAIT"], "regex": r"\bhold music\b|\bqueue position\b"},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False, hyperscan=hyperscan)
    f.turn_filters()
    assert set(f._branches) == {"b.wait", "b.any", "b.agent", "b.not"}  # "b.req" has a requires key: one piece
    extra = [Ticket(ticket_id="b", turns=(Turn("customer", "I was ON HOLD for ages, LISTENING to hold music"),
                                          Turn("agent", "I'll pass this on\nBilling team"),
                                          Turn("customer", "called you twice, the 3rd time now \u0130 waited 40 minutes"),
                                          Turn("customer", "bzzz ugh, still waiting \u0663")))]
    n = 0
    for ticket in [*tickets, *extra]:
        fast = _key(f.rule_hits(ticket))
        assert fast == _key(turn_by_turn_hits(f, ticket)), ticket.ticket_id
        n += len(fast)
    assert n > 100


# -- the shared literal scan (effortnlp.scan) ------------------------------------------


def _plan_regexes(f: MarkerFinder):
    """(rule id, the regex of one gated alternative, its bits, its class prefilter) for every regex rule."""
    for rule, alts in f._regex_plan:
        for k, need, pre in alts:
            rx = rule.regex if k is None else re.compile(f._branches[rule.id].alts[k], f._branches[rule.id].flags)
            yield rule.id, rx, need, pre


def _assert_scan_sound(f: MarkerFinder, texts: list[str]) -> int:
    """Where an alternative's regex matches a text, the scan lets it run there. Returns the skips."""
    masks = f._literals.turn_masks(texts, [t.replace("\u2019", "'").lower() for t in texts])
    skipped = 0
    for text, mask in zip(texts, masks, strict=True):
        for rule_id, rx, need, pre in _plan_regexes(f):
            allowed = mask & need == need and (pre is None or pre.search(text) is not None)
            if not allowed:
                skipped += 1
                assert rx.search(text) is None, (rule_id, text)
    return skipped


def test_literal_scan_never_skips_a_match(finder, tickets):
    texts = [t.text for tk in tickets[:200] for t in tk.turns if t.text] + _fixture_texts() + _hand_texts()
    skipped = _assert_scan_sound(finder, texts)
    assert skipped > 0.5 * len(texts) * len(list(_plan_regexes(finder)))  # the scan does skip most searches


def _literal_fragments() -> list[str]:
    f = MarkerFinder.shared()
    words = sorted({w for rule, alts in f._regex_plan for w in re.findall(r"[a-z']{2,}", rule.regex.pattern.lower())})
    return words[::3]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_literal_fragments()),
                          st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "\u2019", "'", ".", "?", "!", "3", "MY", "I"]),
                          st.text(max_size=4)), max_size=30))
def test_literal_scan_never_skips_a_match_fuzzed(parts):
    """Text built from the patterns' own words, odd whitespace, case and apostrophes: a skip is never wrong."""
    text = "".join(parts)
    _assert_scan_sound(_literal_finder(), [text, text.upper(), text.title()])


def test_literal_index_groups():
    from effortnlp.scan import LiteralIndex

    idx = LiteralIndex()
    a, b = idx.group(["callback", "ringback"]), idx.group(["agent"])
    idx.build()
    masks, scanned = idx.scan(["Call\nBACK later", "an Agent", "\u0130 agent", "nothing", ""])
    assert masks == [a, b, a | b, 0, 0]  # "İ" cannot be gated: every bit
    assert scanned[0] == "callbacklater"
    with pytest.raises(ValueError):
        idx.group([""])


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (r"\b(?:the|your)\s+(?:old|previous)\s+agent", [{"theoldagent", "thepreviousagent", "youroldagent", "yourpreviousagent"}]),
        (r"call(?:ed)?\s+back", [{"callback", "calledback"}]),
        (r"as i (said|mentioned)", [{"asisaid", "asimentioned"}]),
        (r"\bdm\b", []),  # too short to look for
        (r"[A-Z]{3,}", []),
        (r"(?:it['’]s|its) been \d+ days", None),  # checked below
    ],
)
def test_spaceless_literals(pattern, expected):
    from effortnlp.gates import spaceless_literals

    got = [set(s) for s in spaceless_literals(re.compile(pattern, re.IGNORECASE))]
    if expected is not None:
        assert got == expected
    else:
        assert any({"it'sbeen0", "itsbeen9"} <= s for s in got) and any("0days" in s for s in got)


@pytest.mark.parametrize(
    "pattern, scanned, expected",
    [
        (r"\b(?:call|at|on)\b[^\n.]{0,20}?(?:\+?\d[\d\s().-]{7,}\d|__phone__)", "callusat0800123456", True),
        (r"\b(?:call|at|on)\b[^\n.]{0,20}?(?:\+?\d[\d\s().-]{7,}\d|__phone__)", "callusonthe__phone__line", True),
        (r"\b(?:call|at|on)\b[^\n.]{0,20}?(?:\+?\d[\d\s().-]{7,}\d|__phone__)", "callusanytime", False),
        (r"\b(?:at|to)\b[ :]*(?:__email__|[\w.+-]+@[\w-]+.[\w.]+)", "writetous@example.com", True),
        (r"\b(?:at|to)\b[ :]*(?:__email__|[\w.+-]+@[\w-]+.[\w.]+)", "writetous", False),
    ],
)
def test_spaceless_short(pattern, scanned, expected):
    from effortnlp.gates import spaceless_short

    short = spaceless_short(re.compile(pattern, re.IGNORECASE))
    assert short
    assert all(any(x in scanned for x in lits) for lits in short) is expected


def _assert_twins_equal(f: MarkerFinder, texts: list[str]) -> int:
    """On every text ``gate_text`` accepts, each lowered twin finds the original pattern's spans."""
    from effortnlp.gates import lowered_twin

    checked = 0
    for rule in f._regex_rules:
        twin = lowered_twin(rule.regex)
        if twin is None:
            continue
        for text in texts:
            if gate_text(text) is None:
                continue
            want = [m.span() for m in rule.regex.finditer(text)]
            assert [m.span() for m in twin.finditer(text.lower())] == want, (rule.id, text)
            checked += bool(want)
    return checked


def test_lowered_twins_find_the_same_spans(finder, tickets):
    texts = [t.text for tk in tickets[:150] for t in tk.turns if t.text] + _fixture_texts() + _hand_texts()
    assert _assert_twins_equal(finder, texts) > 100  # matches were compared, not only misses


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_literal_fragments()),
                          st.sampled_from([" ", "\n", "\u2019", "'", ".", "?", "!", "3", "MY", "I", "K", "\u212a", "É"]),
                          st.text(max_size=4)), max_size=30))
def test_lowered_twins_fuzzed(parts):
    text = "".join(parts)
    _assert_twins_equal(MarkerFinder.shared(), [text, text.upper(), text.title()])


@pytest.mark.parametrize("pattern", [r"(?i)abc", r"(?-i:ABC)x", r"\x41", r"(?m)^a", r"a(?s:.)b", "caf\u00c9"])
def test_no_lowered_twin_where_case_is_not_plain(pattern):
    from effortnlp.gates import lowered_twin

    assert lowered_twin(re.compile(pattern, re.IGNORECASE)) is None


def test_lowered_twin_of_a_class():
    from effortnlp.gates import lowered_twin

    twin = lowered_twin(re.compile(r"[A-Z]{2}\S+\b", re.IGNORECASE))
    assert twin is not None and twin.pattern == r"[a-z]{2}\S+\b" and not twin.flags & re.IGNORECASE


@pytest.mark.parametrize("hyperscan", PATHS)
def test_custom_regex_rules_with_odd_literals(tmp_path, tickets, hyperscan):
    """A NUL, a curly apostrophe, spaces and capitals in a rule's literals: gated soundly, same hits."""
    rules = [
        {"id": "x.nul", "label": "WAIT", "regex": "on\x00hold"},
        {"id": "x.curly", "label": "REPEAT_INFO", "speaker": "customer", "regex": r"I\s+already\s+told\s+you\u2019"},
        {"id": "x.req", "label": "TRANSFER", "regex": r"(?:\w+ ){2}Billing Team", "requires": ["Billing Team"]},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False, hyperscan=hyperscan)
    texts = ["on\x00hold again", "I already  told you\u2019 twice", "put you to our billing  team",
             "please talk to the BILLING TEAM", "nothing here"]
    extra = [Ticket(ticket_id=f"o{i}", turns=(Turn("customer", t), Turn("agent", t))) for i, t in enumerate(texts)]
    n = 0
    for ticket in [*tickets[:50], *extra]:
        fast = _key(f.rule_hits(ticket))
        assert fast == _key(turn_by_turn_hits(f, ticket)), ticket.ticket_id
        n += len(fast)
    assert n >= 3
