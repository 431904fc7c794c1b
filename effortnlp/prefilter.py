"""Turn prefilter: skip spaCy for a turn that no phrase or token pattern can match.

Most turns hold no phrase or token-pattern match at all, yet tokenizing a
turn (and running the matchers on it) costs far more than one C-level regex
search. ``TurnFilter.possible(low)`` says, from the lower-cased text alone,
whether the matchers *might* find something; when it says no, the turn is
not tokenized. It never says no to a turn the matchers would match:

Why a phrase needs its tokens' concatenation in the spaceless text
    The PhraseMatcher matches a run of consecutive Doc tokens whose ``LOWER``
    values are the phrase's tokens ``t1 … tn``. A Doc's text is its tokens'
    texts each followed by ``""`` or ``" "`` (spaCy splits at whitespace and
    keeps one space as a token's trailing whitespace; any other whitespace
    becomes a token of its own), and the tokenizer returns the text it was
    given. ``LOWER`` is ``str.lower`` of the token's text, and ``str.lower``
    maps a string character by character (the one contextual rule, Greek
    final sigma, only produces ``σ``/``ς``, which no rule's phrase holds:
    ``TurnFilter`` refuses phrases holding them). So ``low = text.lower()``
    holds ``t1 + s1 + t2 + … + tn`` with each ``s`` in ``("", " ")``, and
    ``low.replace(" ", "")`` holds ``t1 + t2 + … + tn``. All phrases (and
    the fixed parts of the token patterns) go into one character trie
    compiled to one regular expression: one search per turn.

Why a token pattern needs its ordered pieces
    A pattern token that must occur (no ``OP``, or ``+``/``{n,…}`` with
    n ≥ 1) with a ``LOWER`` value (or ``{"IN": [...]}``) is a Doc token
    whose lower-cased text is one of those strings; consecutive such tokens
    appear in ``low`` separated by ``""`` or ``" "`` (as above). A
    ``LIKE_NUM`` token's text holds an ASCII digit, a non-ASCII character
    or a number word of the language with commas/periods anywhere inside
    (spaCy's ``like_num`` strips them first). Anything else (optional or
    repeated-from-zero tokens, other attributes) is a gap of any length.
    The pieces between gaps must occur in order: each is searched from where
    the previous one *started* (not ended), which can only find more.

The text given to the filter must be the one given to the tokenizer (with
``’`` already replaced), lower-cased: ``low = text.replace("\u2019", "'").lower()``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: Characters ``str.lower`` picks by context (Greek sigma): strings holding
#: one cannot be tested as substrings of a lower-cased text.
CONTEXT_LOWER = frozenset("\u03c3\u03c2")

#: Trie keys are cut to this many characters (a prefix of a necessary
#: substring is necessary too; it bounds the regex's nesting depth).
MAX_KEY = 16

_MIN_ONE = re.compile(r"\{([1-9]\d*)(?:,\d*)?\}")


def trie_regex(strings: Iterable[str]) -> str:
    """A regex matching where any of ``strings`` starts (shortest string on each path only).

    >>> trie_regex(["abc", "abd", "ab", "x"])
    '(?:ab|x)'
    """
    root: dict[str, Any] = {}
    for s in strings:
        node = root
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        if "" in node:  # a string ends here: finding it is enough
            return ""
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items())]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root) if root else ""


def _lower_values(tok: dict[str, Any]) -> list[str] | None:
    """The lower-cased strings a pattern token's ``LOWER`` allows, if that is all it says about text."""
    value = tok.get("LOWER")
    if isinstance(value, str):
        words = [value]
    elif isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
        words = list(value["IN"])
    else:
        return None
    if not words or not all(isinstance(w, str) and w and w == w.lower() for w in words):
        return None  # a value that is not lower-case can never equal LOWER; keep it simple
    if any(not CONTEXT_LOWER.isdisjoint(w) for w in words):
        return None
    return words


def _required(op: Any) -> str | None:
    """``"one"`` (exactly one), ``"more"`` (at least one) or ``None`` (may be absent) for a token's OP."""
    if op is None:
        return "one"
    if op == "+" or (isinstance(op, str) and _MIN_ONE.fullmatch(op)):
        return "more"
    return None


def like_num_regex(number_words: Iterable[str]) -> str:
    """What every ``like_num`` token's lower-cased text holds: a digit, non-ASCII, or a number word.

    spaCy's English ``like_num`` strips a sign and every ``,``/``.`` before
    testing digits, fractions, ordinals and the word lists, so a word may
    have commas and periods between any two letters.
    """
    words = sorted({w.lower() for w in number_words if w})
    return "(?:" + "|".join(["[0-9]", "[^\\x00-\\x7f]", _trie_body(words, "[,.]*")]) + ")"


#: Anchor strings per token pattern at most (a piece with more uses its first token's words).
MAX_ANCHORS = 4000


class OrderedPieces:
    """A token pattern's necessary pieces, searched in order in the spaceless text.

    Each piece is a regex over ``low.replace(" ", "")``: a run of
    exactly-once ``LOWER`` tokens (their strings concatenated), or a
    ``LIKE_NUM`` token. ``anchor``: strings one of which every match's text
    holds (from the rarest-looking literal piece), or ``None``.
    """

    __slots__ = ("anchor", "pieces", "required")

    def __init__(self, pattern: Sequence[dict[str, Any]], like_num: str | None, common: frozenset[str] = frozenset()):
        pieces: list[str] = []
        literal: list[list[list[str]]] = []  # per literal piece: its tokens' words
        run: list[list[str]] = []  # consecutive exactly-once LOWER tokens

        def flush() -> None:
            if run:
                pieces.append("".join(_alternation(words) for words in run))
                literal.append(list(run))
                run.clear()

        for tok in pattern:
            need = _required(tok.get("OP"))
            words = _lower_values(tok) if need else None
            if words is not None:
                run.append(sorted(set(words)))
                if need == "more":  # what follows its first repeat is not fixed
                    flush()
                continue
            flush()
            if need and tok.get("LIKE_NUM") is True and like_num is not None:
                pieces.append(like_num)
        flush()
        self.pieces = tuple(re.compile(p) for p in pieces)
        self.anchor: tuple[str, ...] | None = None
        if literal:
            best = min(literal, key=lambda piece: _rarity(piece, common))
            self.anchor = tuple(_anchor_strings(best))
        #: per literal piece, strings one of which every match's spaceless text holds
        self.required: tuple[tuple[str, ...], ...] = tuple(tuple(_anchor_strings(piece)) for piece in literal)

    def possible(self, ns: str) -> bool:
        """Whether the pieces occur in order in ``ns`` (the lower-cased text without spaces)."""
        pos = 0
        for rx in self.pieces:
            m = rx.search(ns, pos)
            if m is None:
                return False
            pos = m.start()
        return True


def _alternation(words: Sequence[str]) -> str:
    """A regex for exactly ``words`` (see ``_trie_body``)."""
    return "(?:" + _trie_body(words) + ")"


def _trie_body(words: Iterable[str], sep: str = "") -> str:
    """An alternation matching exactly ``words`` (``sep`` between any two characters), prefixes shared.

    ``re`` tries a flat alternation's branches one by one at every position
    of a search; with shared prefixes it tries one branch per first
    character, and the deeper ones only where those match: a search of the
    like-number piece runs about four times faster. The same strings match,
    so a search finds a match at the same positions.

    >>> _trie_body(["hold", "holding", "on"])
    'hold(?:ing)?|on'
    """
    root: dict[str, Any] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any], first: bool) -> str:
        alts = [("" if first else sep) + re.escape(ch) + emit(child, False) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        if first:
            return "|".join(alts) if "" not in node else "(?:" + "|".join(alts) + ")?"
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:  # a word ends here: what follows is optional
            return "(?:" + body + ")?" if len(body) > 1 or sep else body + "?"
        return body

    return emit(root, True)


def _anchor_strings(piece: list[list[str]]) -> list[str]:
    """The concatenations of a literal piece's tokens (the first tokens only, if there are too many)."""
    out = [""]
    for words in piece:
        if len(out) * len(words) > MAX_ANCHORS:
            break
        out = [a + w for a in out for w in words]
    return out


def _rarity(piece: list[list[str]], common: frozenset[str]) -> tuple[int, int]:
    """Sort key, rarest first, for picking the piece a pattern is anchored on.

    What matters is how often a piece's weakest string turns up as a substring
    of a spaceless text: short strings do everywhere, and a string made of
    common words ("you", "to"+"the") more than its length says. So: the
    weakest string's length, less 2 when all its words are common (longest
    first), then the fewest strings.
    """
    strings = list(itertools.product(*piece))
    weakest = min(sum(map(len, combo)) - (2 if all(w in common for w in combo) else 0) for combo in strings)
    return (-weakest, len(strings))


class TurnFilter:
    """Can a turn (lower-cased) hold a match of these phrases or token patterns?

    ``phrases``: each phrase as the lower-cased texts of its tokens (what the
    PhraseMatcher compares); ``patterns``: spaCy ``Matcher`` token patterns,
    or ``(name, pattern)`` pairs;
    ``like_num``: from ``like_num_regex`` for the tokenizer's language, or
    ``None`` to treat ``LIKE_NUM`` tokens as gaps; ``common``: frequent words
    (stop words), only used to pick the piece a pattern is anchored on.

    One search of a trie of every phrase's key and every pattern's anchor
    strings over the spaceless text; a hit on an anchor is checked with the
    whole pattern's ordered pieces before it counts. ``always`` is set when
    something cannot be tested (then every turn is possible).
    """

    def __init__(
        self,
        phrases: Iterable[Sequence[str]],
        patterns: Iterable[Sequence[dict[str, Any]] | tuple[str, Sequence[dict[str, Any]]]] = (),
        like_num: str | None = None,
        common: Iterable[str] = (),
    ):
        self.always = False
        common = frozenset(common)
        #: key -> None (a phrase: a hit is enough) or the patterns anchored on it
        owners: dict[str, list[OrderedPieces] | None] = {}
        #: the phrases, as given (``PhraseWindows`` reads them)
        self.phrases: list[list[str]] = [list(tokens) for tokens in phrases]
        for tokens in self.phrases:
            key = "".join(tokens)
            if not key or not _testable(key):
                self.always = True
                continue
            owners[key[:MAX_KEY]] = None
        self.n_phrases = len(owners)
        self.unanchored: list[OrderedPieces] = []
        #: (name, pieces) of each pattern, in the order given
        self.patterns: list[tuple[str, OrderedPieces]] = []
        for k, item in enumerate(patterns):
            name, pattern = item if isinstance(item, tuple) else (str(k), item)
            op = OrderedPieces(pattern, like_num, common)
            self.patterns.append((name, op))
            if not op.pieces:
                self.always = True  # nothing required: it may match anywhere
            elif op.anchor is None or not all(map(_testable, op.anchor)):
                self.unanchored.append(op)
            else:
                for a in op.anchor:
                    a = a[:MAX_KEY]
                    if a not in owners:
                        owners[a] = []
                    mine = owners[a]
                    if mine is not None and op not in mine:
                        mine.append(op)
        self.owners = owners
        self._trie: re.Pattern[str] | None | bool = False
        # The trie finds the shortest key at a position: for an anchor, the
        # longer keys starting with it (which may belong to phrases or other patterns).
        ordered = sorted(owners)
        self._longer: dict[str, tuple[str, ...]] = {}
        for k, mine in owners.items():
            if mine is not None:
                i = bisect.bisect_left(ordered, k)
                ext = []
                while i < len(ordered) and ordered[i].startswith(k):
                    ext.append(ordered[i])
                    i += 1
                self._longer[k] = tuple(ext)

    @property
    def trie(self) -> re.Pattern[str] | None:
        """Every key in one regex (built on first use: ``IndexedFilter`` does without it)."""
        if self._trie is False:
            self._trie = re.compile(trie_regex(self.owners)) if self.owners else None
        return self._trie  # type: ignore[return-value]

    def possible(self, low: str) -> bool:
        """False only if no phrase and no pattern can match a text whose lower-cased form is ``low``."""
        if self.always:
            return True
        ns = low.replace(" ", "")
        if self.trie is not None:
            m = self.trie.search(ns)
            if m is not None:
                return self._confirm(ns, m)
        return bool(self.unanchored) and any(p.possible(ns) for p in self.unanchored)

    def possible_patterns(self, low: str) -> tuple[str, ...]:
        """The names of the patterns that may match (all of them if ``always``)."""
        if self.always:
            return tuple(name for name, _ in self.patterns)
        ns = low.replace(" ", "")
        return tuple(name for name, p in self.patterns if p.possible(ns))

    def _confirm(self, ns: str, m: re.Match[str]) -> bool:
        """A trie hit: a phrase's key, or an anchor whose pattern's pieces are all there."""
        owners, longer, search = self.owners, self._longer, self.trie.search  # type: ignore[union-attr]
        refuted: set[int] = set()
        while m is not None:
            key = m.group()
            if owners[key] is None:
                return True
            a = m.start()
            for k in longer[key]:
                if ns.startswith(k, a):
                    mine = owners[k]
                    if mine is None:
                        return True
                    for p in mine:
                        if id(p) not in refuted:
                            if p.possible(ns):
                                return True
                            refuted.add(id(p))
            m = search(ns, a + 1)
        return any(p.possible(ns) for p in self.unanchored)


def _testable(key: str) -> bool:
    """A key can be looked for in the spaceless lower-cased text (see the module docstring).

    It holds no whitespace (no phrase token does; a pattern asking for a
    whitespace token is left to the tokenizer) and no context-dependent lower case.
    """
    return not any(ch.isspace() for ch in key) and CONTEXT_LOWER.isdisjoint(key)


class IndexedFilter:
    """A ``TurnFilter`` whose strings are looked for by a ``scan.LiteralIndex``.

    The filter's phrase keys become one group of the index (one bit), and
    each literal piece of a token pattern another (a pattern can match only
    where all of its pieces' bits are set; then its pieces are checked in order). Given a turn's bits and its
    scanned text (``gates.scan_text``: lower-cased, every whitespace
    character removed, which can only make more keys and pieces appear than
    the spaceless text of ``TurnFilter``, so what it rules out stays ruled
    out), it answers what ``TurnFilter`` answers, without a regex search.
    """

    __slots__ = ("_by_bits", "_names", "always", "entries", "phrase_bit", "touch")

    #: ``answer`` remembers this many bit combinations at most
    MAX_REMEMBERED = 4096

    def __init__(self, base: TurnFilter, group) -> None:
        self.always = base.always
        keys = sorted(k for k, owner in base.owners.items() if owner is None)
        self.phrase_bit = group(keys) if keys else 0
        #: (name, pieces, the bits of its literal pieces' strings: all must be there; 0: none to look for)
        self.entries: list[tuple[str, OrderedPieces, int]] = []
        for name, op in base.patterns:
            need = 0
            if op.pieces and op not in base.unanchored:
                for strings in op.required:
                    keys = sorted({x[:MAX_KEY] for x in strings})
                    if keys and all(map(_testable, keys)):
                        need |= group(keys)
            self.entries.append((name, op, need))
        #: every bit the answers depend on
        self.touch = self.phrase_bit
        for _, _, need in self.entries:
            self.touch |= need
        self._names = tuple(name for name, _, _ in self.entries)
        #: ``mask & touch`` -> (phrase bit set, the (name, pieces) whose bits are all set)
        self._by_bits: dict[int, tuple[bool, tuple[tuple[str, OrderedPieces], ...]]] = {}

    def answer(self, mask: int, scanned: str) -> tuple[str, ...] | None:
        """``None`` if ``possible`` says no, else what ``possible_patterns`` says: in one go.

        Each pattern's pieces are searched once (asking ``possible`` and then
        ``possible_patterns`` searches them twice), and which patterns have
        all their bits set is looked up by the bits that matter.
        """
        if self.always:
            return self._names
        bits = mask & self.touch
        known = self._by_bits.get(bits)
        if known is None:
            known = (bool(bits & self.phrase_bit), tuple((name, op) for name, op, need in self.entries if bits & need == need))
            if len(self._by_bits) < self.MAX_REMEMBERED:
                self._by_bits[bits] = known
        phrase, candidates = known
        names = tuple(name for name, op in candidates if op.possible(scanned)) if candidates else ()
        return names if names or phrase else None

    def possible(self, mask: int, scanned: str) -> bool:
        """False only if no phrase and no pattern of the filter can match in the turn."""
        if self.always or mask & self.phrase_bit:
            return True
        for _, op, need in self.entries:
            if mask & need == need and op.possible(scanned):
                return True
        return False

    def possible_patterns(self, mask: int, scanned: str) -> tuple[str, ...]:
        """The names of the patterns that may match (all of them if ``always``)."""
        if self.always:
            return tuple(name for name, _, _ in self.entries)
        return tuple(name for name, op, need in self.entries if mask & need == need and op.possible(scanned))


class PhraseWindows:
    """Where in a turn phrase matches can be: the runs of whitespace-separated chunks worth tokenizing.

    A phrase match's tokens, lower-cased and joined without spaces, are the
    phrase's key (``TurnFilter``: its words joined, cut at ``MAX_KEY``) and
    then the rest of the phrase; in the turn's scanned form
    (``gates.scan_text``) they sit where the match's first token starts. So
    every match starts in a chunk where a key is found (one Aho-Corasick pass
    over the scanned text) and ends within the phrase's spaceless length of
    that start. spaCy tokenizes each chunk on its own, so a run of whole chunks
    cut from the turn has the tokens it has in the turn: the PhraseMatcher
    finds in the runs exactly the matches it finds in the whole turn, in the
    same order, and far fewer characters are tokenized.

    ``phrases``: each phrase as the lower-cased texts of its tokens.
    ``usable`` is false when some phrase cannot be looked for this way (a
    key ``_testable`` refuses): then callers tokenize whole turns.

    >>> w = PhraseWindows([["on", "hold"], ["call", "back"]])
    >>> text = "I was put on hold for ages and nobody would call me back"
    >>> [text[a:b] for a, b in w.windows(text, "".join(text.lower().split()))]
    ['on hold']
    """

    __slots__ = ("_automaton", "usable")

    def __init__(self, phrases: Iterable[Sequence[str]]):
        import ahocorasick

        #: key -> (its length, the longest spaceless length of a phrase with that key)
        lengths: dict[str, tuple[int, int]] = {}
        self.usable = True
        for tokens in phrases:
            whole = "".join(tokens)
            if not whole or not _testable(whole):
                self.usable = False
                continue
            key = whole[:MAX_KEY]
            old = lengths.get(key, (0, 0))[1]
            lengths[key] = (len(key), max(old, len(whole)))
        self._automaton = None
        if self.usable and lengths:
            automaton = ahocorasick.Automaton()
            for key, value in lengths.items():
                automaton.add_word(key, value)
            automaton.make_automaton()
            self._automaton = automaton

    def windows(self, text: str, scanned: str) -> list[tuple[int, int]]:
        """``(start, end)`` in ``text`` of each run of chunks a phrase match may be in, in order.

        ``scanned``: ``gates.scan_text`` of ``text.lower()``, which must be
        as long as ``text`` (``gates.gate_text`` accepts the text), so
        that the scanned form's characters are the text's non-space ones.
        """
        automaton = self._automaton
        if automaton is None:
            return []
        runs: list[tuple[int, int]] = []
        chunks: list[str] = []
        ends: list[int] = []
        last = -1
        for e, (key_len, longest) in automaton.iter(scanned):
            if last < 0:
                chunks = text.split()
                ends = list(itertools.accumulate(map(len, chunks)))  # scanned end of each chunk
                last = len(chunks) - 1
            s = e - key_len + 1
            runs.append((bisect.bisect_right(ends, s), min(bisect.bisect_right(ends, s + longest - 1), last)))
        if not runs:
            return []
        # Found by end, so a longer key's run may start before a shorter one's found earlier.
        runs.sort()
        merged: list[list[int]] = []
        for first, upto in runs:
            if merged and first <= merged[-1][1] + 1:
                if upto > merged[-1][1]:
                    merged[-1][1] = upto
            else:
                merged.append([first, upto])
        if len(text) == ends[-1] + last:
            # n chunks and n - 1 whitespace characters: one between each two (the usual turn),
            # so chunk k starts at its scanned start + k
            return [(ends[a] - len(chunks[a]) + a, ends[b] + b) for a, b in merged]
        # Else chunk k starts where what is left after k splits starts (``split`` drops the
        # whitespace before it): one call in C per end of a run, not a match object per chunk.
        n = len(text)
        out = []
        for a, b in merged:
            start = n - len(text.split(None, a)[-1])
            end = n - len(text.split(None, b)[-1]) + len(chunks[b])
            out.append((start, end))
        return out
