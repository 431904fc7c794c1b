"""The Hyperscan pass (``effortnlp.hyper``) never misses a text a regex matches in.

The translation's soundness rests on facts about ``re`` checked here over
every code point (which characters fold onto ASCII, which are ``\\w``/``\\s``,
that uncased literals compare exactly), on Hyperscan's word bytes, and is
then fuzzed: random patterns of every construct against hostile texts, the
bundled rules against texts made of their own words, and the rule hits of a
finder with the pass against one without it.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import turn_by_turn_hits
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from effortnlp import hyper
from effortnlp.markers import MarkerFinder
from effortnlp.schema import Ticket, Turn

sys.path.insert(0, str(Path(__file__).resolve().parent))

needs_hyperscan = pytest.mark.skipif(hyper._hs is None, reason="no hyperscan")

#: Every non-ASCII code point, lone surrogates included (a str can hold them).
ALL = "".join(map(chr, range(128, 0x110000)))


def test_fold_ascii_is_every_character_re_folds_onto_ascii():
    found = set(re.findall("[\x00-\x7f]", ALL, re.IGNORECASE))
    for c in range(128):
        found.update(re.findall(re.escape(chr(c)), ALL, re.IGNORECASE))
        found.update(re.findall(f"[{re.escape(chr(c))}]", ALL, re.IGNORECASE))
    assert found == hyper.FOLD_ASCII


def test_char_class_is_re_s_view_of_every_character():
    word = set(re.findall(r"\w", ALL))
    space = set(re.findall(r"\s", ALL))
    digit = set(re.findall(r"\d", ALL))
    assert word == {ch for ch in ALL if hyper.char_class(ch) == "word"}
    assert space == {ch for ch in ALL if hyper.char_class(ch) == "space"}
    assert digit <= word and not word & space


def test_uncased_literals_match_only_themselves_ignoring_case():
    """``re`` compiles an uncased literal (and a class of uncased ones) to an exact comparison."""
    import _sre

    uncased = [ch for ch in ALL[::997] if not _sre.unicode_iscased(ord(ch))]
    named = hyper.named_characters([r.regex for r in MarkerFinder.shared().rules if r.regex is not None])
    assert "\u2019" in named
    for ch in [*named, *uncased[:120]]:
        assert re.findall(re.escape(ch), ALL, re.IGNORECASE) == [ch]
        assert re.findall(f"[{re.escape(ch)}\u2019]", ALL, re.IGNORECASE) == sorted({ch, "\u2019"})


@needs_hyperscan
def test_encoding_keeps_re_s_word_and_space_characters():
    alphabet = hyper.Alphabet(["\u2019", "\u2014", "\u00a0", "\U0001f620", "\u00e9"])
    assert "\u00e9" not in alphabet.named  # a word character is scanned as "_"
    safe = "".join(ch for ch in ALL if ch not in hyper.FOLD_ASCII)
    enc = alphabet.encode(safe)
    assert len(enc) == len(safe)
    words = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
    spaces = {ord(hyper.SPACE), ord(alphabet.named["\u00a0"])}
    for ch, b in zip(safe, enc, strict=True):
        assert (b in words) == ch.isalnum(), hex(ord(ch))
        assert (b in spaces) == ch.isspace(), hex(ord(ch))
    assert alphabet.encode("a\u0130b") is None and alphabet.encode("\u212a") is None


@needs_hyperscan
def test_hyperscan_word_bytes_are_ascii_word_characters():
    """``\\b`` is kept: Hyperscan must see a boundary exactly next to the bytes that are not ``[A-Za-z0-9_]``."""
    hs = hyper._hs
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(expressions=[rb"\x61\b[\x00-\xff]"], ids=[0])
    hits: list[int] = []
    for b in range(256):
        hits.clear()
        db.scan(bytes([0x61, b]), match_event_handler=lambda *a: hits.append(1))
        is_word = chr(b).isascii() and (chr(b).isalnum() or chr(b) == "_")
        assert bool(hits) != is_word, b


# -- translating --------------------------------------------------------------------------


def _tr(pattern: str, flags: int = re.IGNORECASE) -> str:
    return hyper.translate(re.compile(pattern, flags), hyper.Alphabet(["\u2019"]))


def test_translate_pieces():
    assert _tr("ab") == r"[\x41\x61][\x42\x62]"
    assert _tr("(?-i:a)b") == r"(?:\x61)[\x42\x62]"
    assert _tr(r"\bx\b", 0) == r"\b\x78\b"
    assert _tr(r"(?a)\bx\b", 0) == r"\x78"  # an ASCII-only \b is not Hyperscan's: dropped
    assert _tr(r"^x", 0) == r"\x01\x78"
    assert _tr(r"(?m)^x", 0) == r"(?:\x01|\x0a)\x78"
    assert _tr(r"(?:^|y)x", 0) == r"(?:\x01|\x79)\x78"
    assert _tr(r"y^x", 0) == r"\x79\x78"  # not the first thing a match meets
    assert _tr(r"^^x", 0) == r"\x01\x78"  # the first ^ only
    assert _tr(r"(?:^)?x|(?:^)+x", 0) == r"(?:(?:)?\x78|(?:)+\x78)"
    assert _tr(r"(?=a)(?<!b)x$\Z\B", 0) == r"\x78"
    assert _tr("\u2019", 0) == r"\x84" and _tr("[\u2019']", re.I) == r"[\x27\x84]"
    assert _tr("[\u2019a]", re.I).startswith(r"[\x41\x5f\x61\x82\x83\x84")  # a cased member: every non-ASCII byte
    assert _tr(r"\d", 0) == r"[\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x5f]"
    assert _tr("\x01", 0) == r"\x83"  # a text's own separator character is scanned as OTHER
    with pytest.raises(hyper.Untranslatable):
        _tr(r"(a)\1")
    with pytest.raises(hyper.Untranslatable):
        _tr(r"(a)?(?(1)b|c)")


# -- fuzzing ---------------------------------------------------------------------------------

#: Text characters: ASCII of every kind, the separator, and non-ASCII ones of every class and fold.
TEXT_CHARS = list("aAbBkKsSiI_1 \n\t.!?'-@#") + [
    "\x01", "\x00", "\x1f", "\x7f", "\u00e9", "\u00c9", "\u00df", "\u1e9e", "\u0663", "\u00b2", "\u00bd", "\u00a0",
    "\u2003", "\u2028", "\u2019", "\u2014", "\u2026", "\U0001f620", "\u20ac", "\u212a", "\u017f", "\u0131", "\u0130",
    "\u01c5", "\u00b5", "\u03bc", "\u0345", "\u03b9", "\u00ff", "\u00fe", "\ud800", "\u0300",
]
_LIT = ["a", "b", "k", "s", "i", "A", "K", " ", "\n", "'", "\u2019", "\u00e9", "\u00df", "\u0663", "\u00a0", "_",
        "-", ".", "\x01", "\u017f", "\u00b5", "\U0001f620", "1"]
_CLASS_MEMBERS = ["a", "b", "k", "s", "A-C", "a-f", "0-9", "\\w", "\\W", "\\d", "\\D", "\\s", "\\S", "\u2019", "'",
                  "\u00e0-\u00f6", "\u0660-\u0669", "\u00e9", "\\-", "_", "\\x01", "\u017f", " "]
_SHORT = ["\\w", "\\W", "\\d", "\\D", "\\s", "\\S", ".", "^", "$", "\\A", "\\Z", "\\b", "\\B"]


def _atoms():
    return st.one_of(
        st.sampled_from(_LIT).map(re.escape),
        st.sampled_from(_SHORT),
        st.tuples(st.booleans(), st.lists(st.sampled_from(_CLASS_MEMBERS), min_size=1, max_size=4)).map(
            lambda t: "[" + ("^" if t[0] else "") + "".join(t[1]) + "]"
        ),
    )


def _extend(inner):
    group = inner.map(lambda x: f"(?:{x})")
    return st.one_of(
        st.lists(inner, min_size=2, max_size=4).map("".join),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),
        st.tuples(group, st.sampled_from(["?", "*", "+", "{2}", "{0,3}", "{1,2}", "*?", "+?", "??", "{1,3}?",
                                          "*+", "++", "?+", "{0,2}+"])).map("".join),
        inner.map(lambda x: f"({x})"),
        inner.map(lambda x: f"(?>{x})"),
        inner.map(lambda x: f"(?={x})"),
        inner.map(lambda x: f"(?!{x})"),
        st.sampled_from(_LIT).map(lambda c: f"(?<={re.escape(c)})"),
        st.sampled_from(_LIT).map(lambda c: f"(?<!{re.escape(c)})"),
        st.tuples(st.sampled_from(["i", "-i", "a", "m", "s", "i-s", "ms"]), inner).map(lambda t: f"(?{t[0]}:{t[1]})"),
    )


_PATTERNS = st.recursive(_atoms(), _extend, max_leaves=8)
_FLAGS = st.sampled_from([0, re.I, re.I | re.M, re.I | re.S, re.A, re.I | re.A, re.M | re.S])
_TEXTS = st.lists(st.lists(st.sampled_from(TEXT_CHARS), max_size=10).map("".join), min_size=1, max_size=4)


def _assert_sound(patterns: list[re.Pattern[str]], texts: list[str], scan: hyper.RegexScan | None = None) -> int:
    """Every (pattern, text) where ``re`` finds a match is reported by the scan. Returns how many matched."""
    scan = scan or hyper.RegexScan(patterns)
    got = scan.scan(texts)
    matched = 0
    for i, rx in enumerate(patterns):
        for k, text in enumerate(texts):
            if rx.search(text) is not None:
                matched += 1
                if scan.scanned[i]:
                    assert k in got.get(i, ()), (rx.pattern, rx.flags, text, hyper.translate(rx, scan.alphabet))
    return matched


@needs_hyperscan
@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_PATTERNS, _FLAGS, _TEXTS)
def test_random_patterns_are_never_missed(source, flags, texts):
    try:
        rx = re.compile(source, flags)
    except (re.error, ValueError, OverflowError):
        assume(False)
        return
    texts = [*texts, *(t.upper() for t in texts), *(t.lower() for t in texts)]
    _assert_sound([rx], texts)


@needs_hyperscan
def test_random_pattern_corner_cases():
    """Cases the fuzzing found or that are easy to get wrong, each against texts built to match."""
    cases = [
        (r"^\W*(?:@\w+\s+)*(?:\?+|hello\?+)[\s?!]*$", re.I, ["?", "  @bob ??!", "\u2019?", "\x01?", "x\n?"]),
        (r"(?m)^[ \t]*the team$", re.I, ["x\nthe team", "the team\n", "\x01the team"]),
        (r"\bk\b", re.I, ["\u212a", "a k", "\u00e9k", "k\u00e9", "k\u2019"]),
        (r"s+", re.I, ["\u017f", "S"]),
        (r"[\u2019']s\b", re.I, ["it\u2019s", "it's", "\u2019s\u00e9"]),
        (r"\d+ days", 0, ["\u0663\u0664 days", "2 days", "\u00b2 days"]),
        (r"(?a:\w+)\b", 0, ["\u00e9a\u00e9", "a"]),
        (r"a(?=b)|(?<!x)c", 0, ["ab", "c", "xc"]),
        (r"(?>a+)ab|a++b", 0, ["aab", "ab"]),
        (r"(?s:.)x|.x", 0, ["\nx", "\u2028x"]),
        (r"[^a-z]{2}", re.I, ["\u00e9\u00e9", "\x01\x01", "K\u212a"]),
        (r"\ba\b", 0, ["\x01a\x01", "a", "\u00e9a"]),
    ]
    for source, flags, texts in cases:
        assert _assert_sound([re.compile(source, flags)], texts) > 0, source


def _bundled_regexes(f: MarkerFinder, who: str = "any") -> list[re.Pattern[str]]:
    """The patterns of the bundled regex rules (each alternative of a ``Branches`` rule), of one speaker's scan."""
    out = []
    for rule in f.rules:
        if rule.regex is None or rule.speaker not in ("any", who):
            continue
        branches = f._branches.get(rule.id)
        out.extend([rule.regex] if branches is None else [g.regex for g in branches.gates])
    return out


@functools.lru_cache(maxsize=1)
def _bundled_scans() -> list[tuple[list[re.Pattern[str]], hyper.RegexScan]]:
    """Per speaker, the patterns and the scan of ``MarkerFinder``'s own."""
    from effortnlp import detectors

    f = MarkerFinder(detectors=False, hyperscan=True)
    given = [slot.given for slot, _, _, _ in detectors._slot_gates()]
    asked = [g.regex for _, _, _, gates in detectors._slot_gates() for g in gates]
    return [*((_bundled_regexes(f, who), f._hyper[who][0]) for who in ("customer", "agent")),
            (given, hyper.RegexScan(given)), (asked, hyper.RegexScan(asked))]


def _rule_fragments() -> list[str]:
    from effortnlp import detectors

    f = MarkerFinder.shared()
    patterns = [*_bundled_regexes(f), *(p for slot in detectors.SLOTS for p in (slot.given, slot.asked))]
    words = sorted({w for rx in patterns for w in re.findall(r"[a-z']{2,}", rx.pattern.lower())})
    return words[::2] + ["__email__", "__phone__", "a.b@c.de", "+1 (555) 010-0199", "#A12-345", "XXXXXXX", "1234"]


@needs_hyperscan
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.sampled_from(_rule_fragments()),
                                   st.sampled_from([" ", " ", "  ", "\n", "\t", "\u00a0", "\u2019", "'", ".", "?", "!",
                                                    "3", "MY", "I", "\x01", "@", "#", "\u2014", "\u212a", "\u00e9"]),
                                   st.text(max_size=3)), max_size=25).map("".join), min_size=1, max_size=3))
def test_bundled_rules_are_never_missed_fuzzed(texts):
    """Texts built from the rules' own words, odd whitespace, case and apostrophes."""
    texts = [*texts, *(t.upper() for t in texts), *(t.title() for t in texts)]
    for regexes, scan in _bundled_scans():
        _assert_sound(regexes, texts, scan)


@needs_hyperscan
def test_bundled_rules_are_all_on_the_scan_and_never_missed_on_the_corpus():
    import test_speed_equivalence as tse

    from effortnlp.synthetic import generate_tickets

    texts = [t["text"] for rec in generate_tickets(150, seed=5) for t in rec["turns"]]
    texts += tse._hand_texts() + tse._fixture_texts()
    matched = 0
    for regexes, scan in _bundled_scans():
        assert all(scan.scanned)  # no bundled rule (nor slot pattern) needs the literal gates
        for start in range(0, len(texts), 40):
            matched += _assert_sound(regexes, texts[start : start + 40], scan)
    assert matched > 300


# -- the finder with and without the pass --------------------------------------------------


@needs_hyperscan
def test_rule_hits_equal_with_and_without_hyperscan(tmp_path):
    import test_speed_equivalence as tse

    tickets = tse._build_tickets(tmp_path)
    on, off = MarkerFinder(detectors=False, hyperscan=True), MarkerFinder(detectors=False, hyperscan=False)
    assert on._hyper and not off._hyper
    n = 0
    for ticket in tickets:
        hits = tse._key(on.rule_hits(ticket))
        assert hits == tse._key(off.rule_hits(ticket)), ticket.ticket_id
        n += len(hits)
    assert n > 500


def test_without_the_package_the_literal_gates_are_used(monkeypatch):
    """No hyperscan (a platform without wheels) or EFFORTNLP_HYPERSCAN=0: the literal path, same hits."""
    import test_speed_equivalence as tse

    texts = tse._hand_texts()
    tickets = [Ticket(ticket_id=f"h{i}", turns=(Turn("customer", t), Turn("agent", t))) for i, t in enumerate(texts)]
    want = [tse._key(turn_by_turn_hits(MarkerFinder.shared(), t)) for t in tickets]
    monkeypatch.setattr(hyper, "_hs", None)
    assert not hyper.available()
    f = MarkerFinder(detectors=False)
    assert not f._hyper and f._plan_quick["customer"]
    assert [tse._key(f.rule_hits(t)) for t in tickets] == want
    monkeypatch.undo()
    monkeypatch.setenv("EFFORTNLP_HYPERSCAN", "0")
    assert not hyper.available() and not MarkerFinder(detectors=False)._hyper


@needs_hyperscan
def test_untranslatable_rules_keep_their_literal_gates(tmp_path):
    rules = [
        {"id": "r.backref", "label": "FRUSTRATION", "regex": r"\b(\w+) \1\b"},
        {"id": "r.plain", "label": "WAIT", "regex": r"\bon hold\b|\bwaited\b"},
        {"id": "r.anyref", "label": "REPEAT_INFO", "speaker": "any", "regex": r"(as i said|told you) \1|again and again"},
    ]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rules))
    f = MarkerFinder(pattern_dir=tmp_path, detectors=False, hyperscan=True)
    quick = {r for who in f._plan_quick.values() for r, _, _ in who}
    assert quick == {0, 2}  # the backreferences stay on the literal plan (r.anyref's second branch goes on the scan)
    import test_speed_equivalence as tse

    texts = ["the the end", "on hold, waited", "as I said as i said", "again and again", "told you told you"]
    for i, text in enumerate(texts):
        ticket = Ticket(ticket_id=str(i), turns=(Turn("customer", text), Turn("agent", text)))
        assert tse._key(f.rule_hits(ticket)) == tse._key(turn_by_turn_hits(f, ticket)), text


@needs_hyperscan
def test_compiled_databases_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("EFFORTNLP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(hyper, "CACHE_AFTER_SECONDS", 0.0)
    patterns = [re.compile(r"\bon hold\b", re.I), re.compile(r"waited \d+", re.I)]
    first = hyper.RegexScan(patterns)
    files = list(tmp_path.glob("hyper-*.db"))
    assert len(files) == 1
    monkeypatch.setattr(hyper, "_compile", lambda *a: pytest.fail("compiled again"))
    again = hyper.RegexScan(patterns)
    texts = ["ON HOLD", "waited 30", "nothing"]
    assert again.scan(texts) == first.scan(texts) == {0: [0], 1: [1]}
    files[0].write_bytes(b"not a database")
    monkeypatch.undo()
    monkeypatch.setenv("EFFORTNLP_CACHE_DIR", str(tmp_path))
    assert hyper.RegexScan(patterns).scan(texts) == {0: [0], 1: [1]}  # a damaged file: compiled again


@needs_hyperscan
def test_scan_maps_matches_to_their_texts():
    scan = hyper.RegexScan([re.compile(r"^ab", re.I), re.compile(r"b\b"), re.compile(r"x")])
    texts = ["ab", "cab", "\x01ab", "AB\u0130", "", "b\u00e9", "b\u2019"]
    got = scan.scan(texts)
    assert got[0] == [0, 3]  # "İ": every pattern may match in that text
    assert got[1] == [0, 1, 2, 3, 6]
    assert got[2] == [3]


@needs_hyperscan
def test_threads_scan_with_their_own_scratch():
    from concurrent.futures import ThreadPoolExecutor

    scan = hyper.RegexScan([re.compile(r"\bon hold\b", re.I), re.compile(r"(?:waited|queued) \d+", re.I)])
    texts = ["I was ON HOLD", "waited 30 minutes " * 200, "nothing here " * 300, "queued 5"] * 5
    want = scan.scan(texts)
    with ThreadPoolExecutor(4) as pool:
        assert all(got == want for got in pool.map(lambda _: scan.scan(texts), range(200)))
