"""The fast paths of ``MarkerFinder.rule_hits`` give exactly what the plain ones give.

- ``MarkerFinder._tokenize`` first tokenizes, one by one, the whitespace
  chunks of a text the tokenizer has not seen (so that its cache holds them
  even when a special case earlier in the Doc would keep it from saving
  them): the Docs must be token for token those of a tokenizer that never
  caches anything.
- Turns where only phrases may match share a Doc
  (``MarkerFinder._phrase_spans_together``): ``rule_hits`` must equal the
  per-turn path (``turn_hits``, a Doc per turn) on tickets whose turns start
  and end with every kind of whitespace, special cases and phrases.
- ``IndexedFilter.answer`` is ``possible`` and ``possible_patterns`` in one.
- ``prefilter._trie_body`` (shared prefixes) matches where the flat alternation
  matches, and the like-number regex built with it where the flat one matches.
- ``MarkerFinder._resolve`` (negatives, then the longest span per label) is
  its plain form, on fuzzed spans of every rule, negatives of each scope included.
- The fold-character tests (``in`` per character) are the set tests they replace,
  and ``gates.scan_text`` its split-and-join form.
"""

from __future__ import annotations

import json
import re
import sys
import types

import pytest
import spacy
from conftest import turn_by_turn_hits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effortnlp.markers import MarkerFinder
from effortnlp.schema import Ticket, Turn
from effortnlp.synthetic import generate_tickets


def _key(hits) -> list[tuple]:
    return [(h.label, h.rule_id, h.turn, h.speaker, h.start, h.end, h.text, json.dumps(h.detail, sort_keys=True))
            for h in hits]


def _doc_key(doc) -> list[tuple]:
    return [(t.text, t.idx, t.whitespace_, t.lower_, t.norm_, t.like_num, t.is_space) for t in doc]


@pytest.fixture(scope="module")
def finder() -> MarkerFinder:
    return MarkerFinder(detectors=False)


@pytest.fixture(scope="module")
def tickets(tmp_path_factory) -> list[Ticket]:
    from effortnlp.io import read_tickets

    path = tmp_path_factory.mktemp("rule_speed") / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for rec in generate_tickets(300, seed=5):
            fh.write(json.dumps(rec) + "\n")
    return list(read_tickets(path))


def _uncached_tokenizer(vocab=None):
    """A tokenizer that never saves a chunk: every call tokenizes from scratch (the plain path)."""
    nlp = spacy.blank("en", vocab=vocab) if vocab is not None else spacy.blank("en")
    nlp.tokenizer.max_cache_size = 0
    return nlp.tokenizer


#: Chunks that hit special cases ("I'm", ":)", "e.g."), have affixes around one, or are plain words.
_WORDS = ["I'm", "i'm", "don't", "Can't", "we'll", "it's", ":)", "(e.g.", "e.g.", "U.S.", "a.m.", "y'all",
          "gonna", "cannot", "hold", "hold,", "hold.", "(hold)", "\"hold\"", "on", "for", "20", "20mins",
          "1,000", "#brand", "@acme", "e-mail", "re-sent", "again!!", "why?!", "—", "’", "x", "K", "\u0130",
          "naïve", "😀", "hold😀", "you're.", "(I'm", "I'm,", "don't!", "mins", "minutes", "'s", "''"]
_SPACES = [" ", " ", " ", "  ", "\n", "\t", "\u00a0", " \n ", ""]

_warm_stand_in = types.SimpleNamespace(_warm=set(), tokenizer=spacy.blank("en").tokenizer)
_plain = _uncached_tokenizer()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SPACES)), min_size=1, max_size=14))
def test_warmed_tokenizer_gives_the_plain_docs(parts):
    """One tokenizer warmed across every example (its cache grows as in a long run) against no cache."""
    text = "".join(w + s for w, s in parts)
    doc = MarkerFinder._tokenize(_warm_stand_in, text)
    assert _doc_key(doc) == _doc_key(_plain(text))
    assert doc.text == text


def test_warming_stops_at_the_cache_size():
    tok = spacy.blank("en").tokenizer
    tok.max_cache_size = 5
    stand_in = types.SimpleNamespace(_warm=set(), tokenizer=tok)
    texts = ["I'm on hold again", "still on hold for 20 mins :)", "why? why?! e.g. this", "x y z w v u"]
    for text in texts * 2:
        assert _doc_key(MarkerFinder._tokenize(stand_in, text)) == _doc_key(_plain(text))
    # the set stops growing once it holds the cache's size (it may pass it by one text's chunks)
    assert 5 <= len(stand_in._warm) < 5 + max(len(t.split()) for t in texts)


def test_finder_tokenizer_cache_size(finder):
    from effortnlp.markers import TOKENIZER_CACHE

    assert finder.tokenizer.max_cache_size == TOKENIZER_CACHE > 10_000


def test_rule_hits_equal_with_a_tokenizer_that_never_caches(finder, tickets, monkeypatch):
    fast = [_key(finder.rule_hits(t)) for t in tickets]
    assert sum(map(len, fast)) > 300
    monkeypatch.setattr(finder, "tokenizer", _uncached_tokenizer(finder.nlp.vocab))
    monkeypatch.setattr(finder, "_warm", set())
    assert [_key(finder.rule_hits(t)) for t in tickets] == fast
    assert not finder._warm  # a tokenizer that caches nothing is not warmed


# -- turns sharing a Doc for phrase matching -------------------------------------------


def test_joined_turns_equal_the_per_turn_path(finder, tickets):
    n = together = 0
    spy = finder._phrase_spans_together

    def counting(turns, ks, out):
        nonlocal together
        together += len(ks)
        return spy(turns, ks, out)

    finder._phrase_spans_together = counting
    try:
        for ticket in tickets:
            fast = _key(finder.rule_hits(ticket))
            assert fast == _key(turn_by_turn_hits(finder, ticket)), ticket.ticket_id
            n += len(fast)
    finally:
        del finder._phrase_spans_together
    assert n > 300 and together > 500  # most tokenized turns went through the joined path


def test_joined_turns_equal_unjoined(finder, tickets, monkeypatch):
    fast = [_key(finder.rule_hits(t)) for t in tickets]
    monkeypatch.setattr(finder, "_joinable", False)
    assert [_key(finder.rule_hits(t)) for t in tickets] == fast


def test_joinable_refuses_special_cases_mixing_whitespace():
    f = MarkerFinder.shared()
    assert f._joinable
    nlp = spacy.blank("en")
    assert all(not any(ch.isspace() for ch in k) or k.isspace() for k in nlp.tokenizer.rules)
    nlp.tokenizer.add_special_case("on\nhold", [{"ORTH": "on\nhold"}])
    assert not all(not any(ch.isspace() for ch in k) or k.isspace() for k in nlp.tokenizer.rules)


def _phrases() -> list[str]:
    f = MarkerFinder.shared()
    return sorted({p for r in f.rules for p in r.phrases if " " in p})[::23] + ["I'm on hold", "e.g. :)", "don't"]


_PHRASES = _phrases()
#: What a turn starts or ends with: mostly nothing, so that the words of a cut phrase meet at the separator
_EDGES = [*[""] * 12, " ", "  ", "\n", "\n\n", "\t", "\u00a0", " \n", "\n ", ".", "!", "\u2019"]


@st.composite
def _cut_tickets(draw) -> Ticket:
    """Turns holding a whole phrase each, and between two turns a phrase cut in two (ending one, opening the next)."""
    n = draw(st.integers(1, 6))
    straddle = [draw(st.sampled_from(_PHRASES)).split() for _ in range(n + 1)]
    cut = [draw(st.integers(0, len(w))) for w in straddle]
    turns = []
    for k in range(n):
        words = straddle[k][cut[k]:] + draw(st.sampled_from(_PHRASES)).split() + straddle[k + 1][: cut[k + 1]]
        case = draw(st.sampled_from([str, str, str, str.upper, str.title, lambda x: x.replace(" ", "\n")]))
        text = draw(st.sampled_from(_EDGES)) + case(" ".join(words)) + draw(st.sampled_from(_EDGES))
        turns.append(Turn(draw(st.sampled_from(["customer", "agent", "customer", "agent", "system"])), text))
    return Ticket(ticket_id="fz", turns=tuple(turns))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_cut_tickets())
def test_joined_turns_equal_the_per_turn_path_fuzzed(finder, ticket):
    assert _key(finder.rule_hits(ticket)) == _key(turn_by_turn_hits(finder, ticket))


def test_joined_texts_stay_under_the_chunk_size(finder, monkeypatch):
    from effortnlp import markers

    monkeypatch.setattr(markers, "MAX_CHUNK_CHARS", 60)
    monkeypatch.setattr(finder, "_phrase_windows", dict.fromkeys(finder._phrase_windows))  # whole turns
    seen: list[str] = []
    tokenize = finder._tokenize
    monkeypatch.setattr(finder, "_tokenize", lambda text: seen.append(text) or tokenize(text))
    texts = ["I have been on hold for ages", "please escalate this to your manager", "as I said before",
             "transferred again and again", "x" * 70 + " as I said"]
    ticket = Ticket(ticket_id="cap", turns=tuple(Turn("customer", t) for t in texts))
    assert _key(finder.rule_hits(ticket)) == _key(turn_by_turn_hits(finder, ticket))
    assert len(seen) > 1 and all(len(t) <= 60 or "\n" not in t for t in seen)


# -- fold characters -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["plain", "caf\u00e9", "\u0130stanbul", "\u0131", "\u017ftill", "\u212aelvin",
                                  "x\u2019s", "", "\u212a"])
def test_fold_character_tests(text):
    from effortnlp import gates, hyper

    assert hyper._holds_fold_ascii(text) == (not hyper.FOLD_ASCII.isdisjoint(text))
    assert any(ch in text for ch in gates._FOLD_SPECIAL_CHARS) == (not gates.FOLD_SPECIAL.isdisjoint(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", "B", " ", "\n", "\t", "\r", "\u00a0", "\u2028", "\u3000", "\u2019",
                                         "'", "\x1c", "\x85", "\u200b", "\u0130", "\x00", "\U0001f600", "\u00e9"]),
               max_size=30))
def test_scan_text_is_the_split_form(text):
    from effortnlp.gates import scan_text

    low = text.lower()
    assert scan_text(low) == "".join(low.replace("\u2019", "'").split())


def test_every_whitespace_but_space_is_unprintable():
    """What ``scan_text``'s shortcut rests on."""
    assert all(not chr(c).isprintable() for c in range(sys.maxunicode + 1) if chr(c).isspace() and c != 0x20)


# -- IndexedFilter.answer ------------------------------------------------------------------


def test_filter_answer_is_possible_and_possible_patterns(finder, tickets):
    texts = [t.text for tk in tickets for t in tk.turns if t.text]
    texts += ["waited 3 days", "on hold for 20 mins", "why can't you", "they will contact you", "the team will look"]
    plains = [t.replace("\u2019", "'") for t in texts]
    masks, scanned = finder._literals.scan(texts, [p.lower() for p in plains])
    some = 0
    for mask, ns in zip(masks, scanned, strict=True):
        for pos, neg in finder._indexed_filters.values():
            for filt in (pos, neg):
                want = filt.possible_patterns(mask, ns) if filt.possible(mask, ns) else None
                assert filt.answer(mask, ns) == want
                some += bool(want)
    assert some > 20


def test_filter_answer_with_custom_patterns(tmp_path):
    rules = [
        {"id": "w.num", "label": "WAIT", "pattern": [{"LOWER": {"IN": ["waited", "queued"]}}, {"OP": "{0,2}"},
                                                     {"LIKE_NUM": True}, {"LOWER": {"IN": ["mins", "hours"]}}]},
        {"id": "w.any", "label": "WAIT", "pattern": [{"OP": "?"}, {"LIKE_NUM": True}]},
        {"id": "p.ph", "label": "REPEAT_INFO", "phrases": ["as i said"]},
        {"id": "x.not", "label": "NOT", "suppresses": ["WAIT"], "pattern": [{"IS_DIGIT": True}, {"LOWER": "x"}]},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False)
    texts = ["I waited 20 mins", "as I said", "nothing", "3 x", "queued for two hours", ""]
    masks, scanned = f._literals.scan(texts, [t.lower() for t in texts])
    for mask, ns in zip(masks, scanned, strict=True):
        for pair in f._indexed_filters.values():
            for filt in pair:
                want = filt.possible_patterns(mask, ns) if filt.possible(mask, ns) else None
                assert filt.answer(mask, ns) == want


def test_filter_answer_remembers_a_bounded_number_of_bit_sets(finder, monkeypatch):
    from effortnlp.prefilter import IndexedFilter

    pos = finder._indexed_filters["agent"][0]
    monkeypatch.setattr(IndexedFilter, "MAX_REMEMBERED", 3)
    monkeypatch.setattr(pos, "_by_bits", {})
    for bit in range(pos.touch.bit_length()):
        mask = 1 << bit
        want = pos.possible_patterns(mask, "") if pos.possible(mask, "") else None
        assert pos.answer(mask, "") == want
    assert len(pos._by_bits) == 3


# -- _resolve ------------------------------------------------------------------------------


def _plain_resolve(spans, text: str, speaker: str, turn: int):
    """``MarkerFinder._resolve`` as it was written first."""
    from effortnlp.markers import NEGATIVE, _sentence_span
    from effortnlp.schema import MarkerHit

    negs = [_sentence_span(sp, text) if sp.rule.scope == "sentence" else sp for sp in spans if sp.rule.label == NEGATIVE]
    pos = [sp for sp in spans if sp.rule.label != NEGATIVE]
    kept = []
    for sp in pos:
        if any(sp.rule.label in n.rule.suppresses and (n.rule.scope == "turn" or (n.start < sp.end and sp.start < n.end))
               for n in negs):
            continue
        kept.append(sp)
    kept.sort(key=lambda sp: (sp.start, -(sp.end - sp.start)))
    out = []
    last_end: dict[str, int] = {}
    for sp in kept:
        if sp.start < last_end.get(sp.rule.label, -1):
            continue
        last_end[sp.rule.label] = sp.end
        detail = {"target": sp.rule.target} if sp.rule.target else {}
        out.append(MarkerHit(label=sp.rule.label, rule_id=sp.rule.id, turn=turn, speaker=speaker, start=sp.start,
                             end=sp.end, text=text[sp.start:sp.end], source="rule", detail=detail))
    return out


def _resolve_rules():
    f = MarkerFinder.shared()
    negs = [r for r in f.rules if r.label == "NOT"]
    by_scope = {r.scope: r for r in negs}
    pos = [r for r in f.rules if r.label != "NOT"]
    targeted = [r for r in pos if r.target]
    from effortnlp.markers import Rule

    labels = sorted({r.label for r in pos})
    turn_scoped = Rule(id="x.not_turn", label="NOT", suppresses=tuple(labels[::2]), scope="turn", phrases=("x",))
    return [*sorted(by_scope.values(), key=lambda r: r.id), turn_scoped, *negs[::9], *pos[::17], *targeted[:3]]


_RULES = _resolve_rules()
_TEXT = "I was transferred. Then on hold!\nThey said call back? As I said, thanks for your message. " * 2


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_RULES), st.integers(0, len(_TEXT) - 1), st.integers(1, 40)), max_size=10))
def test_resolve_is_the_plain_resolve(items):
    from effortnlp.markers import _Span

    spans = [_Span(rule, a, min(a + n, len(_TEXT))) for rule, a, n in items]
    got = MarkerFinder.shared()._resolve(list(spans), _TEXT, "agent", 3)
    assert [(h.label, h.rule_id, h.start, h.end, h.text, h.detail) for h in got] == [
        (h.label, h.rule_id, h.start, h.end, h.text, h.detail) for h in _plain_resolve(spans, _TEXT, "agent", 3)]


def test_resolve_rules_cover_every_scope():
    assert {r.scope for r in _RULES if r.label == "NOT"} == {"sentence", "span", "turn"}
    assert any(r.target for r in _RULES)


# -- alternations with shared prefixes ---------------------------------------------------


def _flat(words, sep=""):
    return "|".join(sep.join(re.escape(ch) for ch in w) for w in sorted(words, key=lambda w: (-len(w), w)))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet="abn.,'+", min_size=0, max_size=5), min_size=1, max_size=8),
       st.text(alphabet="abn.,'+ x", max_size=25), st.sampled_from(["", "[,.]*"]))
def test_trie_alternation_finds_what_the_flat_one_finds(words, text, sep):
    from effortnlp.prefilter import _trie_body

    flat, trie = re.compile(f"(?:{_flat(words, sep)})"), re.compile(f"(?:{_trie_body(words, sep)})")
    for pos in range(len(text) + 1):
        a, b = flat.search(text, pos), trie.search(text, pos)
        assert (a and a.start()) == (b and b.start()), (words, text, pos)
        assert bool(flat.fullmatch(text, pos)) == bool(trie.fullmatch(text, pos))


def test_like_num_regex_is_the_flat_one(tickets):
    from spacy.lang.en.lex_attrs import _num_words, _ordinal_words

    from effortnlp.gates import scan_text
    from effortnlp.prefilter import like_num_regex

    words = sorted({w.lower() for w in [*_num_words, *_ordinal_words] if w})
    flat = re.compile("(?:" + "|".join(["[0-9]", "[^\\x00-\\x7f]", _flat(words, "[,.]*")]) + ")")
    trie = re.compile(like_num_regex([*_num_words, *_ordinal_words]))
    texts = [scan_text(t.text.lower()) for tk in tickets[:100] for t in tk.turns if t.text]
    texts += [w for w in words] + ["t,w,o", "fi.ft.h", "twentyfirst", "x" * 30 + "ninety", "nine", "ninet", "é"]
    for text in texts:
        for pos in range(0, len(text) + 1, 7):
            a, b = flat.search(text, pos), trie.search(text, pos)
            assert (a and a.start()) == (b and b.start()), (text, pos)


# -- phrase windows: only the runs of chunks a phrase match may be in are tokenized


def test_phrase_windows_cover_the_phrases_and_nothing_else():
    from effortnlp.prefilter import PhraseWindows

    w = PhraseWindows([["on", "hold"], ["call", "back"], ["put", "me", "through", "to"], ["ugh"]])
    text = "I was put on hold for ages and nobody would call me back"
    assert [text[a:b] for a, b in w.windows(text, "".join(text.lower().split()))] == ["on hold"]
    # a short key found inside a longer phrase's run: the run starts at the longer phrase
    text = "Your colleague put me through to someone who then hung up"
    assert [text[a:b] for a, b in w.windows(text, "".join(text.lower().split()))] == ["put me through to"]
    # whitespace other than one space between chunks: the same runs, found by offsets
    text = "  Your\tcolleague  put me\n\nthrough   to someone on\u00a0hold "
    got = [text[a:b] for a, b in w.windows(text, "".join(text.lower().split()))]
    assert got == ["put me\n\nthrough   to", "on\u00a0hold"]
    assert w.windows("nothing here", "nothinghere") == []
    assert not PhraseWindows([["\u03c3\u03b5"]]).usable  # a context-dependent lower case cannot be looked for


_WORDS = ["I", "was", "on", "hold", "again", "(put", "me", "through", "to)", "call", "back!", "ugh", "don't", "e.g.",
          "transferred", "twice", ":)", "\u00c9t\u00e9", "\u0130stanbul", "as", "said", "before,"]
_SEPS = [" ", " ", " ", " ", "  ", "\n", "\t", "\u00a0", " \n "]
#: Phrases longer than their key (``prefilter.MAX_KEY`` characters without spaces): a run must reach their end
_LONG_PHRASES = [p for p in _PHRASES if len(p.replace(" ", "")) > 24]


@st.composite
def _windowed_tickets(draw) -> Ticket:
    """Turns of rule phrases, their words and other words, run together or split by every kind of whitespace."""
    turns = []
    for _ in range(draw(st.integers(1, 4))):
        item = st.one_of(st.sampled_from(_LONG_PHRASES), st.sampled_from(_PHRASES), st.sampled_from(_WORDS))
        parts = draw(st.lists(item, min_size=1, max_size=8))
        words = " ".join(parts).split(" ")
        text = "".join(w + draw(st.sampled_from(_SEPS)) for w in words)
        case = draw(st.sampled_from([str, str, str.upper, str.title]))
        text = draw(st.sampled_from(["", "", " ", "\n"])) + case(text)[: draw(st.integers(1, 400))]
        turns.append(Turn(draw(st.sampled_from(["customer", "agent"])), text))
    return Ticket(ticket_id="win", turns=tuple(turns))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(_windowed_tickets())
def test_phrase_windows_equal_whole_turns_fuzzed(finder, ticket):
    assert _key(finder.rule_hits(ticket)) == _key(turn_by_turn_hits(finder, ticket))


def test_phrase_windows_equal_whole_turns(finder, tickets, monkeypatch):
    pieces = whole = 0
    spy = finder._phrase_spans_together

    def counting(turns, ks, out):
        nonlocal pieces, whole
        pieces += sum(b - a for _, a, b in ks)
        whole += sum(len(turns[k][1]) for k in {k for k, _, _ in ks})
        return spy(turns, ks, out)

    monkeypatch.setattr(finder, "_phrase_spans_together", counting)
    fast = [_key(finder.rule_hits(t)) for t in tickets]
    assert sum(map(len, fast)) > 300
    assert 0 < pieces < whole / 2  # far fewer characters tokenized
    monkeypatch.setattr(finder, "_phrase_windows", dict.fromkeys(finder._phrase_windows))
    assert [_key(finder.rule_hits(t)) for t in tickets] == fast
