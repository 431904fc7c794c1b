"""The fast paths of ``MarkerFinder.rule_hits`` give exactly what the plain ones give.

``MarkerFinder._tokenize`` first tokenizes, one by one, the whitespace chunks
of a text the tokenizer has not seen (so that its cache holds them even when
a special case earlier in the Doc would keep it from saving them): the Docs
must be token for token those of a tokenizer that never caches anything.
"""

from __future__ import annotations

import json
import types

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effortnlp.markers import MarkerFinder
from effortnlp.schema import Ticket
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


def test_rule_hits_equal_with_a_tokenizer_that_never_caches(finder, tickets, monkeypatch):
    fast = [_key(finder.rule_hits(t)) for t in tickets]
    assert sum(map(len, fast)) > 300
    monkeypatch.setattr(finder, "tokenizer", _uncached_tokenizer(finder.nlp.vocab))
    monkeypatch.setattr(finder, "_warm", set())
    assert [_key(finder.rule_hits(t)) for t in tickets] == fast
    assert not finder._warm  # a tokenizer that caches nothing is not warmed
