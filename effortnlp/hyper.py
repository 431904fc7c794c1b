"""One Hyperscan pass tells which regex rules may match in which turns of a ticket.

The regex rules run as Python ``re`` (their spans are ``re``'s); this module
only says where a search *may* find something, so that ``re`` runs on few
(rule, turn) pairs instead of on every turn a literal gate lets through.
Every pattern is translated into a Hyperscan expression over a small byte
alphabet that *over-approximates* it: whenever ``re`` finds a match in a
text, Hyperscan finds one in the text's encoding. It may find more (then
``re`` runs and finds nothing): never less. Without the ``hyperscan``
package (wheels exist for x86-64 Linux and macOS) nothing here is used.

The encoding (``Alphabet.encode``), one byte per character, so positions hold:

- an ASCII character is itself, but for ``\\x01`` (``SEP``), which is
  scanned as ``\\x83`` (see below; both are neither word nor space);
- a non-ASCII character is the byte of its class, by what ``re``'s Unicode
  classes say of it: ``_`` for a word character (``str.isalnum``: ``\\w``,
  which includes every ``\\d``), ``\\x82`` for whitespace
  (``str.isspace``: ``\\s``), ``\\x83`` for anything else; except the
  non-word characters the patterns name (``’``, ``—``, emoji), which get a
  byte each (``\\x84`` on) for precision;
- a text holding a character that ``re.IGNORECASE`` matches with an ASCII
  letter (``FOLD_ASCII``: ``İ ı ſ K``) is not encoded: every pattern may
  match in it.

The translation (``translate``) keeps the pattern's structure (sequences,
alternations, groups, repeats with their bounds) and replaces each piece:

- a character item (literal, class, ``.``, ``\\w``...) becomes the set of
  bytes of every character it matches: its ASCII characters are found by
  running the item itself (compiled with its flags) on all 128 of them, so
  case folding and ``re``'s own class semantics are exact there; for
  non-ASCII characters the set is widened as far as needed (a negated class,
  ``.``, a range reaching past ASCII, or a cased letter under
  ``IGNORECASE``: every non-ASCII byte; ``\\w``/``\\d``/``\\s`` and their
  negations: the bytes of the classes they contain; an uncased literal,
  which ``re`` compiles to an exact comparison even under ``IGNORECASE``:
  its own byte);
- lookarounds, ``\\B``, ``$`` and ``\\Z`` become nothing (a weaker pattern);
  atomic groups and possessive repeats become plain ones (``re`` matches a
  subset of what the plain form matches);
- ``\\b`` stays ``\\b``: Hyperscan's word characters are ASCII
  ``[A-Za-z0-9_]``, and the encoding maps exactly ``re``'s (Unicode) word
  characters onto them, so a boundary is at the same places; under
  ``re.ASCII`` it becomes nothing;
- a ``^`` (or ``\\A``) that can only be the first thing a match meets (before
  it only items that became nothing, and no repeat around it) becomes the
  byte ``\\x01`` that precedes every text in the scanned buffer (with
  ``re.MULTILINE``: that byte or ``\\n``); any other ``^`` becomes nothing;
- backreferences and conditionals are not translated: such a pattern stays on
  the literal gates (``Untranslatable``).

A ticket's turns are scanned in one buffer, ``\\x01`` before, between and
after them; no translated item matches that byte (a leading ``^`` aside,
which can only consume the one before the match's text), so no match
crosses it, and ``\\b`` sees it as a text's end. Each expression is
``(?:translation)[^\\x01]*\\x01``: Hyperscan reports each (expression, end
offset) once, so a text in which the translation matches is reported once,
at the ``\\x01`` that closes it.

Compiling the bundled rules takes seconds, so a compiled database is kept in
a cache directory (``EFFORTNLP_CACHE_DIR``, else ``$XDG_CACHE_HOME/effortnlp``
or ``~/.cache/effortnlp``), keyed by everything that went into it; Hyperscan
checks a loaded database against the running library and CPU. Set
``EFFORTNLP_HYPERSCAN=0`` to not use Hyperscan at all.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import os
import re
import threading
import time
from bisect import bisect_left
from collections.abc import Sequence
from pathlib import Path

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

import _sre

try:
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None


def available() -> bool:
    """Whether the Hyperscan pre-pass can be used (installed, and not switched off)."""
    return _hs is not None and os.environ.get("EFFORTNLP_HYPERSCAN", "1").strip().lower() not in ("0", "no", "false", "off")


#: Non-ASCII characters ``re.IGNORECASE`` matches with an ASCII character (a test checks every code point).
FOLD_ASCII = frozenset("\u0130\u0131\u017f\u212a")
#: The same, for ``in`` tests: a ``frozenset.isdisjoint(text)`` walks the text a character object at a time.
_FOLD_ASCII_CHARS = tuple(sorted(FOLD_ASCII))


def _holds_fold_ascii(text: str) -> bool:
    return any(ch in text for ch in _FOLD_ASCII_CHARS)

WORD, SPACE, OTHER = "_", "\x82", "\x83"
#: The byte around every text in the scanned buffer. A text's own ``\x01`` (rare) is scanned as ``OTHER``,
#: a character like it: neither word nor space.
SEP = "\x01"
_NAMED_BYTES = range(0x84, 0x100)

#: Classes of non-ASCII characters, as ``re`` sees them.
_W, _S, _O = "word", "space", "other"
_EVERY = frozenset((_W, _S, _O))

_REPEATS = tuple(
    op for op in (getattr(_c, n, None) for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")) if op is not None
)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_LEAVES = (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN)


class Untranslatable(ValueError):
    """A pattern this module does not translate (it keeps its literal gates)."""


def char_class(ch: str) -> str:
    """The class of a non-ASCII character: word (``\\w``, digits included), space (``\\s``) or other."""
    if ch.isalnum():
        return _W
    if ch.isspace():
        return _S
    return _O


class Alphabet:
    """The byte each character is scanned as (see the module docstring).

    ``named``: non-ASCII characters that get a byte of their own (only
    non-word ones: a word character must stay a Hyperscan word byte).
    """

    _ids = itertools.count()

    def __init__(self, named: Sequence[str] = ()):
        own = sorted({ch for ch in named if ord(ch) > 127 and ch not in FOLD_ASCII and char_class(ch) != _W})
        self.named = {ch: chr(b) for ch, b in zip(own, _NAMED_BYTES, strict=False)}
        self._class_byte = {_W: WORD, _S: SPACE, _O: OTHER}
        self._bytes: dict[str, bytes] = {}
        self.error_handler = f"effortnlp-hyper-{next(self._ids)}"
        codecs.register_error(self.error_handler, self._encode_error)

    def byte(self, ch: str) -> str:
        """The byte (as a latin-1 character) a non-ASCII, non-``FOLD_ASCII`` character is scanned as."""
        own = self.named.get(ch)
        return own if own is not None else self._class_byte[char_class(ch)]

    def bytes_of(self, classes: frozenset[str]) -> set[str]:
        """Every byte a character of these classes can be scanned as."""
        out = {self._class_byte[k] for k in classes}
        out.update(b for ch, b in self.named.items() if char_class(ch) in classes)
        return out

    def _encode_error(self, exc: UnicodeEncodeError) -> tuple[bytes, int]:
        cache = self._bytes
        out = []
        for ch in exc.object[exc.start : exc.end]:
            b = cache.get(ch)
            if b is None:
                b = cache[ch] = self.byte(ch).encode("latin-1")
            out.append(b)
        return b"".join(out), exc.end

    def encode(self, text: str) -> bytes | None:
        """The text as scanned, or ``None`` if it holds a ``FOLD_ASCII`` character (it cannot be scanned)."""
        if text.isascii():
            return text.encode("ascii")
        if _holds_fold_ascii(text):
            return None
        return text.encode("ascii", self.error_handler)


# -- translating a pattern ---------------------------------------------------------

_ASCII_SETS: dict[tuple[object, str, int], tuple[str, ...]] = {}


def _ascii_matches(op, av, flags: int) -> tuple[str, ...]:
    """The ASCII characters one item matches, found by running it (compiled with its flags) on each."""
    key = (op, repr(av), flags)
    found = _ASCII_SETS.get(key)
    if found is None:
        from re import _compiler  # type: ignore[attr-defined]

        sub = _sre_parse.SubPattern(_sre_parse.State(), [(op, av)])
        sub.state.flags = flags
        fullmatch = _compiler.compile(sub, flags).fullmatch
        found = _ASCII_SETS[key] = tuple(chr(c) for c in range(128) if fullmatch(chr(c)))
    return found


_CATEGORIES = {
    _c.CATEGORY_WORD: frozenset([_W]),
    _c.CATEGORY_NOT_WORD: frozenset([_S, _O]),
    _c.CATEGORY_DIGIT: frozenset([_W]),
    _c.CATEGORY_NOT_DIGIT: _EVERY,
    _c.CATEGORY_SPACE: frozenset([_S]),
    _c.CATEGORY_NOT_SPACE: frozenset([_W, _O]),
}
_NOT_CATEGORIES = (_c.CATEGORY_NOT_WORD, _c.CATEGORY_NOT_DIGIT, _c.CATEGORY_NOT_SPACE)


def _non_ascii(op, av, flags: int, alphabet: Alphabet) -> set[str]:
    """The bytes of every non-ASCII (non-``FOLD_ASCII``) character one item may match (more is fine)."""
    every = alphabet.bytes_of(_EVERY)
    icase = bool(flags & re.IGNORECASE)
    unicode = not flags & (re.ASCII | re.LOCALE)
    if op is _c.LITERAL:
        if av < 128:
            return set()  # under IGNORECASE also FOLD_ASCII characters, which are never scanned
        if icase and _sre.unicode_iscased(av):
            return every
        return {alphabet.byte(chr(av))}  # an uncased literal is compared exactly, even under IGNORECASE
    if op is not _c.IN:
        return every  # ".", a negated literal
    # ``re`` compiles a class with no cased letter to an exact test, even under IGNORECASE.
    exact = not icase or not unicode or not any(
        _sre.unicode_iscased(v) if o is _c.LITERAL else o is _c.RANGE and any(map(_sre.unicode_iscased, range(v[0], min(v[1], 127) + 1)))
        for o, v in av
    )
    out: set[str] = set()
    for o, v in av:
        if o is _c.LITERAL:
            if v >= 128:
                if not exact:
                    return every
                out.add(alphabet.byte(chr(v)))
        elif o is _c.RANGE:
            if v[1] >= 128:
                return every
        elif o is _c.CATEGORY and v in _CATEGORIES:
            if unicode:
                out |= alphabet.bytes_of(_CATEGORIES[v])
            elif v in _NOT_CATEGORIES:
                return every  # ASCII-only \W, \D, \S match every non-ASCII character
        else:
            return every  # NEGATE, and anything unexpected
    return out


def _class(chars: set[str]) -> str:
    if SEP in chars:  # a text's SEP character is scanned as OTHER
        chars = (chars - {SEP}) | {OTHER}
    if not chars:
        raise Untranslatable("an item that matches no character")
    body = "".join(f"\\x{ord(ch):02x}" for ch in sorted(chars))
    return body if len(chars) == 1 else f"[{body}]"


def _leaf(op, av, flags: int, alphabet: Alphabet) -> str:
    return _class(set(_ascii_matches(op, av, flags)) | _non_ascii(op, av, flags, alphabet))


def _empty(op, av) -> bool:
    """Items translated to nothing (zero width, no requirement kept)."""
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return True
    return op is _c.AT and av not in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING, _c.AT_BOUNDARY)


def _seq(items, flags: int, alphabet: Alphabet, leading: bool) -> str:
    """``leading``: nothing can have been consumed before these items (see the module docstring on ``^``)."""
    out = []
    for op, av in items:
        out.append(_item(op, av, flags, alphabet, leading))
        if not _empty(op, av):
            leading = False
    return "".join(out)


def _item(op, av, flags: int, alphabet: Alphabet, leading: bool) -> str:
    if op in _LEAVES:
        return _leaf(op, av, flags, alphabet)
    if op is _c.SUBPATTERN:
        _, add, delete, body = av
        return f"(?:{_seq(body, (flags | add) & ~delete, alphabet, leading)})"
    if _ATOMIC is not None and op is _ATOMIC:
        return f"(?:{_seq(av, flags, alphabet, leading)})"
    if op is _c.BRANCH:
        return "(?:" + "|".join(_seq(alt, flags, alphabet, leading) for alt in av[1]) + ")"
    if op in _REPEATS:
        lo, hi, body = av
        inner = f"(?:{_seq(body, flags, alphabet, False)})"
        if hi == _c.MAXREPEAT:
            return inner + ("*" if lo == 0 else "+" if lo == 1 else f"{{{lo},}}")
        return inner + ("?" if (lo, hi) == (0, 1) else f"{{{lo},{hi}}}")
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return ""
    if op is _c.AT:
        if av is _c.AT_BOUNDARY:
            return "" if flags & (re.ASCII | re.LOCALE) else r"\b"
        if av in (_c.AT_BEGINNING, _c.AT_BEGINNING_STRING) and leading:
            if av is _c.AT_BEGINNING and flags & re.MULTILINE:
                return f"(?:\\x{ord(SEP):02x}|\\x0a)"
            return f"\\x{ord(SEP):02x}"
        return ""
    raise Untranslatable(f"no translation for {op}")


def translate(pattern: re.Pattern[str], alphabet: Alphabet) -> str:
    """A Hyperscan expression matching (at least) wherever ``pattern`` matches, over ``alphabet``'s bytes."""
    if not isinstance(pattern.pattern, str):
        raise Untranslatable("a bytes pattern")
    try:
        tree = _sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error as exc:  # pragma: no cover - it compiled once already
        raise Untranslatable(str(exc)) from None
    return _seq(list(tree), tree.state.flags, alphabet, True)


def named_characters(patterns: Sequence[re.Pattern[str]]) -> list[str]:
    """The non-ASCII characters the patterns hold as literals (candidates for a byte of their own)."""
    found: set[str] = set()

    def walk(items) -> None:
        for op, av in items:
            if op is _c.LITERAL and av > 127:
                found.add(chr(av))
            elif op is _c.IN:
                found.update(chr(v) for o, v in av if o is _c.LITERAL and v > 127)
            elif op is _c.SUBPATTERN:
                walk(av[-1])
            elif op is _c.BRANCH:
                for alt in av[1]:
                    walk(alt)
            elif op in _REPEATS:
                walk(av[2])
            elif _ATOMIC is not None and op is _ATOMIC:
                walk(av)

    for p in patterns:
        if isinstance(p.pattern, str) and not p.pattern.isascii():
            try:
                walk(list(_sre_parse.parse(p.pattern, p.flags)))
            except re.error:  # pragma: no cover
                continue
    return sorted(found)


# -- the database -------------------------------------------------------------------


def cache_dir() -> Path | None:
    """Where compiled databases are kept (``None``: nowhere, compile every time)."""
    where = os.environ.get("EFFORTNLP_CACHE_DIR")
    if where:
        return Path(where)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            home = Path.home()
        except RuntimeError:  # no home directory
            return None
        if home == Path("/"):
            return None
        base = str(home / ".cache")
    return Path(base) / "effortnlp"


def _compile(expressions: list[bytes], ids: list[int]):
    db = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    db.compile(expressions=expressions, ids=ids, elements=len(ids), flags=0)
    return db


#: A database that took longer than this to compile is kept in the cache.
CACHE_AFTER_SECONDS = 0.3
#: The cache keeps this many databases (the most recently used).
CACHE_KEEP = 8


def _load_or_compile(expressions: list[bytes], ids: list[int]):
    """The compiled database, from the cache when it holds it (and it loads)."""
    key = hashlib.sha256(repr((getattr(_hs, "__version__", ""), expressions, ids)).encode()).hexdigest()[:32]
    where = cache_dir()
    path = where / f"hyper-{key}.db" if where is not None else None
    if path is not None and path.exists():
        try:
            db = _hs.loadb(path.read_bytes(), _hs.HS_MODE_BLOCK)
            db.scratch = _hs.Scratch(db)
            os.utime(path)
            return db
        except Exception:  # noqa: BLE001 - another library version or CPU, a damaged file: compile again
            pass
    started = time.perf_counter()
    db = _compile(expressions, ids)
    if path is not None and time.perf_counter() - started > CACHE_AFTER_SECONDS:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(_hs.dumpb(db))
            os.replace(tmp, path)
            kept = sorted(path.parent.glob("hyper-*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in kept[CACHE_KEEP:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # no cache: compile next time again
    return db


class RegexScan:
    """Which of many regexes may match in which of many texts, in one Hyperscan scan.

    ``RegexScan(patterns)``; ``scanned[i]`` says whether pattern ``i`` is
    on the scan (the others: ``Untranslatable``, or refused by Hyperscan).
    ``scan(texts)`` gives, per pattern on the scan that may match in some
    text, the positions of those texts, ascending.
    """

    def __init__(self, patterns: Sequence[re.Pattern[str]]):
        if _hs is None:
            raise RuntimeError("hyperscan is not installed")
        self.alphabet = Alphabet(named_characters(patterns))
        frame = f"[^\\x{ord(SEP):02x}]*\\x{ord(SEP):02x}"
        expressions: dict[int, bytes] = {}
        for i, p in enumerate(patterns):
            try:
                expressions[i] = f"(?:{translate(p, self.alphabet)}){frame}".encode("ascii")
            except Untranslatable:
                continue
        ids = sorted(expressions)
        try:
            self._db = _load_or_compile([expressions[i] for i in ids], ids) if ids else None
        except _hs.error:
            # Find what Hyperscan refuses (a huge bounded repeat, ...): those stay off the scan.
            ok = []
            for i in ids:
                try:
                    _compile([expressions[i]], [i])
                    ok.append(i)
                except _hs.error:
                    continue
            ids = ok
            self._db = _load_or_compile([expressions[i] for i in ids], ids) if ids else None
        self.scanned = [i in set(ids) for i in range(len(patterns))]
        self._ids = ids
        self._local = threading.local()  # Hyperscan's scratch space: one per thread

    def _scratch(self):
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = _hs.Scratch(self._db)
        return scratch

    def scan(self, texts: Sequence[str]) -> dict[int, list[int]]:
        """Pattern index -> positions of the texts it may match in (ascending); patterns with none left out."""
        n = len(texts)
        if self._db is None or not n:
            return {}
        joined = SEP.join(texts)
        unsafe: list[int] = []
        if joined.count(SEP) == n - 1 and (joined.isascii() or not _holds_fold_ascii(joined)):
            data = (SEP + joined + SEP).encode("ascii", self.alphabet.error_handler)
        else:  # a text holds the separator, or cannot be scanned
            sep, other = SEP.encode("ascii"), OTHER.encode("latin-1")
            parts = []
            for k, text in enumerate(texts):
                b = self.alphabet.encode(text)
                if b is None:
                    unsafe.append(k)
                    b = other * len(text)
                parts.append(b.replace(sep, other))
            data = sep + sep.join(parts) + sep
        hits: list[tuple[int, int]] = []
        add = hits.append
        self._db.scan(data, match_event_handler=lambda i, s, e, f, c: add((i, e)), scratch=self._scratch())
        out: dict[int, list[int]] = {}
        if hits:
            # text k's closing separator ends at offset ends[k]
            ends = [a + k + 2 for k, a in enumerate(itertools.accumulate(map(len, texts)))]
            for i, e in hits:
                k = bisect_left(ends, e)
                got = out.get(i)
                if got is None:
                    out[i] = [k]
                elif got[-1] != k:
                    got.append(k)
            for got in out.values():
                if len(got) > 1:
                    got.sort()
        if unsafe:
            for i in self._ids:
                out[i] = sorted(set(out.get(i, ())) | set(unsafe))
        return out
