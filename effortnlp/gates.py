"""Literal gates: skip a regular expression on texts where it cannot match.

Most of the patterns' time goes into *starting* a regex search on a text that
holds nothing it could match (each search is a Python call, and patterns that
open with an alternation or a ``\\b`` get no fast literal scan from ``re``).
For each pattern we derive, once, a few sets of literal strings such that
every match contains at least one string of every set; a text whose
lower-cased form contains none of a set's strings is skipped with a handful
of C-fast ``str.__contains__`` tests. The results do not change: a gate only
skips searches that would have found nothing.

How the sets are derived (``required_literals``): walk the parsed pattern
(``re._parser``); a run of consecutive literal characters is required; a
group, and a repeat of at least one, pass on what their body requires; an
alternation requires, for each branch, one of that branch's requirements (the
union of the branches' strongest sets); anything else (classes, ``\\w``,
lookarounds, optional parts) requires nothing. Gating compares lower-cased
strings, which is sound for ASCII literals with or without ``re.IGNORECASE``
(a case-sensitive match is also a case-insensitive one) except for the three
characters that ``re`` folds onto ASCII letters while ``str.lower`` does not
(``İ``, ``ı``, ``ſ``): texts holding one of them, or a non-ASCII digit (``\\d``
requires "one of 0-9"), are never gated (``gate_text`` returns ``None``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

#: Characters ``re.IGNORECASE`` matches with an ASCII letter although
#: ``str.lower`` does not map them onto it ("İ".lower() is two characters).
FOLD_SPECIAL = frozenset("\u0130\u0131\u017f")
#: The same, for ``in`` tests: a ``frozenset.isdisjoint(text)`` walks the text a character object at a time.
_FOLD_SPECIAL_CHARS = tuple(sorted(FOLD_SPECIAL))

#: A Unicode digit that is not 0-9 (``\\d`` matches it; the digit gate tests 0-9 only).
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")

#: At most this many literal sets are tested per pattern (strongest first).
MAX_SETS = 3

_REPEATS = tuple(
    op for op in (getattr(_c, n, None) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")) if op is not None
)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)


def gate_text(text: str) -> str | None:
    """The lower-cased text literal gates are tested on, or ``None`` if gating is unsafe for it."""
    low = text.lower()
    if text.isascii():
        return low
    if len(low) != len(text) or any(ch in text for ch in _FOLD_SPECIAL_CHARS) or _OTHER_DIGIT.search(text):
        return None
    return low


def _char(op, av) -> str | None:
    """The lower-cased ASCII character an item always matches, if it is one fixed character."""
    if op is _c.LITERAL:
        ch = chr(av)
        return ch.lower() if ch.isascii() else None
    if op is _c.IN and av and all(o is _c.LITERAL for o, _ in av):
        chars = {chr(v).lower() for _, v in av}
        if len(chars) == 1:
            (ch,) = chars
            return ch if ch.isascii() else None
    return None


_DIGITS = frozenset("0123456789")


def _is_digit(op, av) -> bool:
    """``\\d``, ``[0-9]`` or a class of some digits (``[4-9]``): it needs one of 0-9.

    Texts with non-ASCII digits are never gated.
    """
    if op is not _c.IN or not av:
        return False
    for o, v in av:
        if o is _c.LITERAL:
            if not 48 <= v <= 57:
                return False
        elif o is _c.RANGE:
            if not (48 <= v[0] <= v[1] <= 57):
                return False
        elif not (o is _c.CATEGORY and v is _c.CATEGORY_DIGIT):
            return False  # NEGATE and anything else
    return True


def _strength(lits: frozenset[str]) -> tuple[int, int]:
    """Longer strings are rarer; "a digit" counts as a three-letter string (rarer than "st")."""
    return (min(3 if x in _DIGITS else len(x) for x in lits), -len(lits))


def _minimise(lits: Iterable[str]) -> frozenset[str]:
    """Drop strings containing a shorter string of the set (the shorter one is enough)."""
    out: list[str] = []
    for s in sorted(set(lits), key=len):
        if not any(o in s for o in out):
            out.append(s)
    return frozenset(out)


def _requirements(items) -> list[frozenset[str]]:
    """Sets of strings: every match of ``items`` contains one string of each set."""
    reqs: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            reqs.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        ch = _char(op, av)
        if ch is not None:
            run.append(ch)
            continue
        flush()
        if op is _c.SUBPATTERN:
            reqs.extend(_requirements(av[-1]))
        elif _ATOMIC is not None and op is _ATOMIC:
            reqs.extend(_requirements(av))
        elif op in _REPEATS and av[0] >= 1:
            body = list(av[2])
            one = _char(*body[0]) if len(body) == 1 else None
            if one is not None:  # x{7,}: seven x's in a row
                reqs.append(frozenset([one * min(av[0], 8)]))
            else:
                reqs.extend(_requirements(body))
        elif _is_digit(op, av):
            reqs.append(_DIGITS)
        elif op is _c.BRANCH:
            union: list[str] = []
            for alt in av[1]:
                alt_reqs = _requirements(alt)
                if not alt_reqs:
                    break
                union.extend(max(alt_reqs, key=_strength))
            else:
                reqs.append(_minimise(union))
    flush()
    return reqs


def _useful(lits: frozenset[str]) -> bool:
    """Worth testing: strings of two characters or more, digits, or single punctuation marks."""
    return all(len(x) >= 2 or x in _DIGITS or not (x.isalnum() or x.isspace()) for x in lits)


def required_literals(pattern: str | re.Pattern[str], flags: int = 0) -> tuple[frozenset[str], ...]:
    """Literal sets every match of ``pattern`` holds one string of (lower-cased), strongest first.

    An empty tuple means no gate could be derived (the pattern always runs).
    """
    if isinstance(pattern, re.Pattern):
        pattern, flags = pattern.pattern, pattern.flags
    try:
        tree = _sre_parse.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - an unparsable pattern just gets no gate
        return ()
    sets = [s for s in dict.fromkeys(_requirements(tree)) if s and _useful(s)]
    sets.sort(key=_strength, reverse=True)
    return tuple(sets[:MAX_SETS])


def class_prefilter(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """For a pattern without literals: a cheap regex every match's text also matches.

    The first required run of a character class (``[A-Z]{3,}`` gives
    ``[A-Z]{3}``), with the case sensitivity in force there. ``None`` if
    there is none (or the class is not a plain set of characters and ranges).
    """
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001
        return None
    return _first_run(list(tree), bool(pattern.flags & re.IGNORECASE))


def _first_run(items, ignorecase: bool) -> re.Pattern[str] | None:
    for op, av in items:
        if op is _c.SUBPATTERN:
            _, add, delete, body = av
            icase = (ignorecase or bool(add & re.IGNORECASE)) and not (delete & re.IGNORECASE)
            found = _first_run(list(body), icase)
            if found is not None:
                return found
        elif op in _REPEATS and av[0] >= 2 and len(av[2]) == 1 and av[2][0][0] is _c.IN:
            parts = []
            for o, v in av[2][0][1]:
                if o is _c.LITERAL:
                    parts.append(re.escape(chr(v)))
                elif o is _c.RANGE:
                    parts.append(f"{re.escape(chr(v[0]))}-{re.escape(chr(v[1]))}")
                else:
                    parts = []
                    break
            if parts:
                return re.compile(f"[{''.join(parts)}]{{{min(av[0], 8)}}}", re.IGNORECASE if ignorecase else 0)
    return None


class Gate:
    """A compiled regex with its literal gate.

    ``possible(low)`` is the cheap test (``low`` from ``gate_text``; ``None``
    means "cannot tell", so True). ``requires`` (strings, any one of which
    every match holds) replaces derivation for patterns it cannot handle.
    """

    __slots__ = ("_others", "_strongest", "_tuples", "prefilter", "regex", "sets")

    def __init__(self, regex: re.Pattern[str], requires: Iterable[str] | None = None):
        self.regex = regex
        if requires:
            self.sets: tuple[frozenset[str], ...] = (_minimise(r.lower() for r in requires),)
        else:
            self.sets = required_literals(regex)
        # Fewest strings first: the cheapest test, and often the one that fails.
        self._tuples = tuple(sorted((tuple(sorted(x)) for x in self.sets), key=len))
        #: For patterns without literals: searched in the raw text (``possible_raw``).
        self.prefilter = None if self.sets else class_prefilter(regex)
        # For ``possible_parts``: the strongest set is located with str.find, the others tested per part.
        self._strongest = tuple(sorted(self.sets[0])) if self.sets else ()
        self._others = tuple(t for t in self._tuples if t != self._strongest)

    def possible_raw(self, text: str) -> bool:
        return self.prefilter is None or self.prefilter.search(text) is not None

    def possible(self, low: str | None) -> bool:
        if low is None:
            return True
        contains = low.__contains__
        for lits in self._tuples:
            if not any(map(contains, lits)):
                return False
        return True

    def possible_parts(self, low: str, starts: list[int], ends: list[int]) -> list[int]:
        """Which parts ``low[starts[k]:ends[k]]`` of a joined text may hold a match: ``k`` ascending.

        The same as ``[k for k ... if possible(low[starts[k]:ends[k]])]``, but
        the strongest set's strings are located with a few ``str.find`` calls
        on the whole text instead of testing every part.
        """
        if not self._strongest:
            return list(range(len(starts)))
        found = turns_holding(low, starts, ends, self._strongest)
        others = self._others
        if not others:
            return found
        out = []
        for k in found:
            part = low[starts[k] : ends[k]]
            contains = part.__contains__
            for lits in others:
                if not any(map(contains, lits)):
                    break
            else:
                out.append(k)
        return out

    def locating(self, lits: frozenset[str]) -> Gate:
        """The same gate, its ``possible_parts`` locating ``lits`` (one of its sets) first.

        For a caller that knows the strongest set by length is common in its
        texts ("the"): what any of the gates allows is the same.
        """
        if lits not in self.sets:
            raise ValueError(f"not a set of {self!r}: {sorted(lits)}")
        gate = Gate.__new__(Gate)
        gate.regex, gate.sets, gate._tuples, gate.prefilter = self.regex, self.sets, self._tuples, self.prefilter
        gate._strongest = tuple(sorted(lits))
        gate._others = tuple(t for t in self._tuples if t != gate._strongest)
        return gate

    def __repr__(self) -> str:
        return f"Gate({self.regex.pattern[:40]!r}, sets={[sorted(s) for s in self.sets]})"


def turns_holding(low: str, starts: list[int], ends: list[int], lits: Iterable[str]) -> list[int]:
    """Positions ``k`` of the parts ``low[starts[k]:ends[k]]`` holding one of ``lits``, ascending.

    Parts are in order and do not overlap. One ``find`` per string, plus one
    per part it occurs in (after a hit, the search resumes at the next part).
    """
    found: set[int] = set()
    n = len(starts)
    find = low.find
    for lit in lits:
        size = len(lit)
        p = find(lit)
        while p >= 0:
            k = bisect_right(starts, p) - 1
            if k >= 0 and p + size <= ends[k]:
                found.add(k)
                if k + 1 >= n:
                    break
                p = find(lit, starts[k + 1])
            else:
                p = find(lit, p + 1)
    return sorted(found)


# -- joining texts -------------------------------------------------------------
#
# A regex can search many texts joined into one (one call instead of one per
# text) when no match can cross, or notice, the separator: ``join_separator``
# picks a one-character separator ``c`` (``"\x00"`` or ``"\n"``) such that
#
# - no character-consuming item of the pattern (lookarounds included) can
#   match ``c``: a match, a lookahead or a lookbehind then stops at the
#   separator exactly as it stops at the end or start of a text, and no match
#   can start on it;
# - the pattern cannot match the empty string (an empty match could sit on
#   the separator);
# - its anchors behave at the separator as at a text's ends: ``\b``/``\B``
#   always (``c`` is not a word character); ``^``/``$`` only with
#   ``re.MULTILINE`` and ``c == "\n"``; ``\A``/``\Z`` and non-multiline
#   ``^``/``$`` never;
# - nothing else (backreferences, conditionals) appears.
#
# Then ``finditer`` over the joined text finds, in each text, exactly the
# matches it finds in that text alone (offsets shifted).

_JOIN_SEPARATORS = ("\x00", "\n")
_LEAVES = (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN)
_MULTILINE_ANCHORS = (_c.AT_BEGINNING, _c.AT_END)


#: (op, repr of its argument, flags, char) -> whether that one item matches the char
_LEAF_CACHE: dict[tuple[object, str, int, str], bool] = {}


def _leaf_matches(op, av, flags: int, ch: str) -> bool:
    """Whether one parsed item (a literal, class or ``.``) matches ``ch`` (compiled once per distinct item)."""
    key = (op, repr(av), flags, ch)
    found = _LEAF_CACHE.get(key)
    if found is None:
        from re import _compiler  # type: ignore[attr-defined]

        sub = _sre_parse.SubPattern(_sre_parse.State(), [(op, av)])
        sub.state.flags = flags
        found = _LEAF_CACHE[key] = _compiler.compile(sub, flags).fullmatch(ch) is not None
    return found


def _join_safe(items, flags: int, ch: str) -> bool:
    for op, av in items:
        if op is _c.SUBPATTERN:
            _, add, delete, body = av
            if not _join_safe(body, (flags | add) & ~delete, ch):
                return False
        elif op in _REPEATS:
            if not _join_safe(av[2], flags, ch):
                return False
        elif op is _c.BRANCH:
            if not all(_join_safe(alt, flags, ch) for alt in av[1]):
                return False
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if not _join_safe(av[1], flags, ch):
                return False
        elif _ATOMIC is not None and op is _ATOMIC:
            if not _join_safe(av, flags, ch):
                return False
        elif op is _c.AT:
            if av in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
                continue
            if not (av in _MULTILINE_ANCHORS and flags & re.MULTILINE and ch == "\n"):
                return False
        elif op in _LEAVES:
            if _leaf_matches(op, av, flags, ch):
                return False
        else:
            return False
    return True


def join_separator(pattern: re.Pattern[str]) -> str | None:
    """A separator that texts can be joined with for one search of ``pattern``, or ``None``."""
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
        if tree.getwidth()[0] < 1:
            return None
        for ch in _JOIN_SEPARATORS:
            if _join_safe(list(tree), tree.state.flags, ch):
                return ch
    except Exception:  # noqa: BLE001 - anything unexpected: search text by text
        return None
    return None


# -- top-level alternatives ------------------------------------------------------
#
# A pattern ``A|B|C`` finds, at each position, the first alternative that
# matches there, so where some alternatives cannot match anywhere in a text
# (their literal gates rule them out), ``finditer`` of the others, joined in
# the same order, finds exactly the same matches. ``Branches`` gates each
# alternative on its own: one weak alternative no longer makes the gate of the
# whole pattern weak, and the search runs only the alternatives that can match.

_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_UNSPLITTABLE = re.compile(r"\(\?P[<=]|\(\?\(|\(\?#|\\[1-9]|\(\?<\w|\\g")


_FLAG_BITS = {"a": re.ASCII, "i": re.IGNORECASE, "L": re.LOCALE, "m": re.MULTILINE, "s": re.DOTALL, "u": re.UNICODE}


def split_branches(pattern: re.Pattern[str]) -> tuple[list[str], int] | None:
    """The top-level alternatives of ``pattern``'s source, and the flags to compile each with.

    Leading global inline flags (``(?i)``) become flags.
    ``None`` when it has fewer than two, or anything that ties alternatives
    together or that this reader does not follow: group names or references,
    conditionals, verbose mode.
    """
    source = pattern.pattern
    if not isinstance(source, str) or pattern.flags & re.VERBOSE:
        return None
    flags = pattern.flags
    m = _GLOBAL_FLAGS.match(source)
    if m:
        if "x" in m.group():
            return None
        for ch in m.group()[2:-1]:
            flags |= _FLAG_BITS[ch]
        source = source[m.end():]
    if _UNSPLITTABLE.search(source):
        return None
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: "]" right after "[" or "[^" is a literal
            i += 1
            if i < n and source[i] == "^":
                i += 1
            if i < n and source[i] == "]":
                i += 1
            while i < n and source[i] != "]":
                i += 2 if source[i] == "\\" else 1
            i += 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    if len(parts) < 2 or depth != 0:
        return None
    try:
        for part in parts:
            re.compile(part, flags)
    except re.error:
        return None
    return parts, flags


class Branches:
    """A regex's top-level alternatives, each with its ``Gate``.

    ``pick(low, text)`` gives the alternatives that may match in a text (by
    index, ascending) and ``regex(picked)`` the pattern of just those, which
    finds in that text what the whole pattern finds.
    """

    __slots__ = ("_compiled", "alts", "flags", "gates", "whole")

    def __init__(self, regex: re.Pattern[str], alts: list[str], flags: int):
        self.whole = regex
        self.alts = alts
        self.flags = flags
        self.gates = tuple(Gate(re.compile(a, flags)) for a in alts)
        self._compiled: dict[tuple[int, ...], re.Pattern[str]] = {tuple(range(len(alts))): regex}

    def pick(self, low: str | None, text: str) -> tuple[int, ...]:
        return tuple(k for k, g in enumerate(self.gates) if g.possible(low) and g.possible_raw(text))

    def regex(self, picked: tuple[int, ...]) -> re.Pattern[str]:
        rx = self._compiled.get(picked)
        if rx is None:
            rx = self._compiled[picked] = re.compile("|".join(self.alts[k] for k in picked), self.flags)
        return rx


# -- spaceless literal sets ------------------------------------------------------
#
# ``required_literals`` stops a run of literals at every ``\s+`` or
# alternation, so a pattern like ``\b(?:the|your)\s+(?:old|previous)\s+agent``
# is gated on "agent" alone. ``spaceless_literals`` derives sets for the text
# *with every whitespace character removed* (``scan_text``): there, whitespace
# items match the empty string, and runs of items that match a small finite
# set of strings multiply out ("theold", "yourprevious", ...), which makes
# far rarer strings. Sound for the same reason as before: the match's text,
# lower-cased, with ``’`` read as ``'`` and its whitespace removed, is a
# contiguous piece of the scanned text, and it holds one string of each set.
#
# Each item is summarised (after Russ Cox's trigram-index analysis) as
#   exact   the finite set of strings it can match (``None``: too many / unknown)
#   prefix  strings every match starts with one of (``None``: unknown)
#   suffix  strings every match ends with one of
#   reqs    sets of strings every match holds one string of each

#: Most strings a product of two sets may hold (beyond it, the parts stay apart).
SPACELESS_CAP = 256
#: Most strings any derived set may hold.
SPACELESS_MAX = 2000
#: A set is worth looking for only if all its strings have at least this many characters.
SPACELESS_MIN = 3
#: At most this many sets per pattern (strongest first).
MAX_SPACELESS_SETS = 4


class _Info:
    __slots__ = ("exact", "prefix", "reqs", "suffix")

    def __init__(self, exact=None, prefix=None, suffix=None, reqs=()):
        self.exact: frozenset[str] | None = exact
        self.prefix: frozenset[str] | None = exact if exact is not None else prefix
        self.suffix: frozenset[str] | None = exact if exact is not None else suffix
        self.reqs: list[frozenset[str]] = list(reqs)


_EMPTY = frozenset([""])
_UNKNOWN = _Info()


def scan_char(ch: str) -> str | None:
    """The string a text character becomes in ``scan_text`` (``None``: cannot say for a pattern literal)."""
    if ch.isspace():
        return ""
    if ch == "\u2019":
        return "'"
    if ch.isascii():
        return ch.lower()
    if ch.lower() == ch == ch.upper():  # no case: emoji, punctuation
        return ch
    return None


def scan_text(low: str) -> str:
    """The form of a lower-cased text that spaceless sets are looked for in.

    That is ``"".join(low.replace("\u2019", "'").split())``; but most texts
    hold no whitespace other than spaces, and every other whitespace
    character is non-printable, so a text that is printable once its spaces
    are gone is done without splitting it into words.
    """
    s = low.replace("\u2019", "'").replace(" ", "")
    return s if s.isprintable() else "".join(s.split())


def _product(a: frozenset[str], b: frozenset[str]) -> frozenset[str] | None:
    if len(a) * len(b) > SPACELESS_CAP:
        return None
    return frozenset(x + y for x in a for y in b)


def _concat(a: _Info, b: _Info) -> _Info:
    if a.exact is not None and b.exact is not None:
        both = _product(a.exact, b.exact)
        if both is not None:
            return _Info(exact=both)
    reqs = a.reqs + b.reqs
    for part in (a, b):
        if part.exact is not None:
            reqs.append(part.exact)
    if a.suffix is not None and b.prefix is not None:
        joint = _product(a.suffix, b.prefix)
        if joint is not None:
            reqs.append(joint)
    if a.exact is not None:
        prefix = _product(a.exact, b.prefix) if b.prefix is not None else None
        prefix = prefix if prefix is not None else a.exact
    else:
        prefix = a.prefix
    if b.exact is not None:
        suffix = _product(a.suffix, b.exact) if a.suffix is not None else None
        suffix = suffix if suffix is not None else b.exact
    else:
        suffix = b.suffix
    return _Info(prefix=prefix, suffix=suffix, reqs=reqs)


def _seq(items) -> _Info:
    info = _Info(exact=_EMPTY)
    for op, av in items:
        info = _concat(info, _item(op, av))
    return info


def _class_strings(av) -> frozenset[str] | None:
    out: set[str] = set()
    for o, v in av:
        if o is _c.LITERAL:
            s = scan_char(chr(v))
            if s is None:
                return None
            out.add(s)
        elif o is _c.RANGE:
            lo, hi = v
            if hi - lo > 10:
                return None
            for code in range(lo, hi + 1):
                s = scan_char(chr(code))
                if s is None:
                    return None
                out.add(s)
        elif o is _c.CATEGORY and v is _c.CATEGORY_SPACE:
            out.add("")
        elif o is _c.CATEGORY and v is _c.CATEGORY_DIGIT:
            out.update(_DIGITS)  # texts with other digits are never gated (gate_text)
        else:
            return None  # NEGATE, \w, ...
        if len(out) > 12:
            return None
    return frozenset(out) if out else None


def _powers(body: frozenset[str], lo: int, hi: int) -> frozenset[str] | None:
    out: set[str] = set()
    cur = _EMPTY
    for k in range(hi + 1):
        if k >= lo:
            out.update(cur)
        if k < hi:
            nxt = _product(cur, body)
            if nxt is None:
                return None
            cur = nxt
    return frozenset(out) if len(out) <= SPACELESS_MAX else None


def _item(op, av) -> _Info:
    if op is _c.LITERAL:
        s = scan_char(chr(av))
        return _UNKNOWN if s is None else _Info(exact=frozenset([s]))
    if op is _c.IN:
        strings = _class_strings(av)
        return _UNKNOWN if strings is None else _Info(exact=strings)
    if op is _c.AT or op in (_c.ASSERT, _c.ASSERT_NOT):
        return _Info(exact=_EMPTY)  # zero width
    if op is _c.SUBPATTERN:
        return _seq(av[-1])
    if _ATOMIC is not None and op is _ATOMIC:
        return _seq(av)
    if op in _REPEATS:
        lo, hi, body = av[0], av[1], _seq(av[2])
        if body.exact == _EMPTY:
            return _Info(exact=_EMPTY)
        if body.exact is not None and hi <= 3:
            powers = _powers(body.exact, lo, hi)
            if powers is not None:
                return _Info(exact=powers)
        if lo == 0:
            return _UNKNOWN
        reqs = [*body.reqs, *([body.exact] if body.exact is not None else [])]
        return _Info(prefix=body.prefix, suffix=body.suffix, reqs=reqs)
    if op is _c.BRANCH:
        alts = [_seq(alt) for alt in av[1]]
        if all(a.exact is not None for a in alts):
            union = frozenset().union(*(a.exact for a in alts))
            if len(union) <= SPACELESS_MAX:
                return _Info(exact=union)
        prefix = suffix = None
        if all(a.prefix is not None for a in alts):
            prefix = frozenset().union(*(a.prefix for a in alts))
        if all(a.suffix is not None for a in alts):
            suffix = frozenset().union(*(a.suffix for a in alts))
        best: list[str] = []
        for a in alts:
            own = [s for s in (*a.reqs, a.prefix, a.suffix) if s and "" not in s]
            if not own:
                break
            best.extend(max(own, key=_sl_strength))
        else:
            return _Info(prefix=prefix, suffix=suffix, reqs=[frozenset(best)])
        return _Info(prefix=prefix, suffix=suffix)
    return _UNKNOWN


def _sl_strength(lits: frozenset[str]) -> tuple[int, int]:
    """Longer strings are rarer (digits get no bonus here: the scan looks for strings), then fewer strings."""
    return (min(map(len, lits)), -len(lits))


def _spaceless_useful(lits: frozenset[str]) -> bool:
    return bool(lits) and len(lits) <= SPACELESS_MAX and all(len(x) >= SPACELESS_MIN for x in lits)


def _spaceless_sets(pattern: str | re.Pattern[str], flags: int = 0) -> list[frozenset[str]]:
    """Every set derived for ``pattern`` (see above), before any is picked."""
    if isinstance(pattern, re.Pattern):
        pattern, flags = pattern.pattern, pattern.flags
    try:
        tree = _sre_parse.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - an unparsable pattern just gets no gate
        return []
    info = _seq(list(tree))
    sets = [*info.reqs]
    if info.exact is not None:
        sets.append(info.exact)
    else:
        sets.extend(s for s in (info.prefix, info.suffix) if s is not None)
    return [s for s in sets if s and "" not in s]


def spaceless_literals(
    pattern: str | re.Pattern[str], flags: int = 0, common: frozenset[str] = frozenset()
) -> tuple[frozenset[str], ...]:
    """Sets of strings every match holds one of each of, in ``scan_text`` form; strongest first.

    Only sets whose strings all have ``SPACELESS_MIN`` characters or more;
    each set minimised (a string holding a shorter one of the set is dropped).
    A set holding a string of ``common`` (frequent words: it would pass
    nearly every text) is dropped when another set is not. An empty tuple:
    nothing useful could be derived.
    """
    found = {_minimise(s) for s in _spaceless_sets(pattern, flags) if _spaceless_useful(s)}
    # A set every string of another set holds a string of adds nothing ("0day" given "0days").
    kept = [a for a in found if not any(b != a and all(any(x in y for x in a) for y in b) for b in found)]
    rare = [a for a in kept if common.isdisjoint(a)]
    if rare:
        kept = rare
    return tuple(sorted(kept, key=lambda s: (_strength(s), sorted(s)), reverse=True)[:MAX_SPACELESS_SETS])


def spaceless_short(pattern: str | re.Pattern[str], flags: int = 0) -> tuple[frozenset[str], ...]:
    """For a pattern ``spaceless_literals`` finds nothing for: sets of short strings, however short (a digit, "@").

    Each derived set (at most three), minimised; sets with a character that
    is not a letter first (digits and signs are rarer in text than letters).
    Sets holding a word of one or two letters ("at", "on") are left out:
    they would pass nearly every text. Empty if nothing useful was derived.
    """
    sets = [s for s in dict.fromkeys(_minimise(s) for s in _spaceless_sets(pattern, flags)) if len(s) <= 64]
    sets = [s for s in sets if not any(x.isalpha() and len(x) <= 2 for x in s)]
    sets.sort(key=lambda s: (all(x.isalpha() for x in s), -min(map(len, s)), len(s), sorted(s)))
    return tuple(sets[:3])


# -- lowered twins -----------------------------------------------------------------
#
# ``re.IGNORECASE`` makes every character comparison fold case, and keeps ``re``
# from its fast literal scans: the same pattern with its letters lower-cased,
# compiled without the flag and searched in the lower-cased text, runs about
# twice as fast and finds the same spans, provided that
#
# - the pattern's letters are ASCII (other characters, like ``’`` or emoji,
#   have no case) and it has no inline flags or escapes that name
#   characters by code (``\x41``), so lower-casing its source outside
#   escapes lower-cases exactly its literals and class members;
# - the text is one ``gate_text`` accepts: ``str.lower`` keeps its length
#   (offsets hold) and it has none of the characters ``re`` folds onto an ASCII
#   letter although ``str.lower`` does not.
#
# Then a text character matches a lower-cased literal (or class) exactly when
# it matches the original one ignoring case. ``rule_hits`` uses the twin on
# such texts and the original pattern on any other.

_NO_TWIN = re.compile(r"\\[xuUN0]|\(\?[aiLmsux]*-?[imsx]+[:)]|\(\?[aiLmsux]+[:)]")


def lowered_twin(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The case-sensitive twin of an ``IGNORECASE`` pattern for lower-cased text, or ``None``."""
    source = pattern.pattern
    if not (pattern.flags & re.IGNORECASE) or not isinstance(source, str):
        return None
    if not source.isascii() and any(not ch.isascii() and not (ch.lower() == ch == ch.upper()) for ch in source):
        return None  # a non-ASCII letter: its case folding is not str.lower's
    if _NO_TWIN.search(source):
        return None
    out: list[str] = []
    i = 0
    while i < len(source):
        if source[i] == "\\":
            out.append(source[i : i + 2])
            i += 2
        else:
            out.append(source[i].lower())
            i += 1
    try:
        return re.compile("".join(out), pattern.flags & ~re.IGNORECASE)
    except re.error:
        return None
