"""One pass over a ticket tells which of thousands of literal strings each turn holds.

Every regex rule is gated on sets of strings its matches must hold
(``effortnlp.gates.spaceless_literals``). Testing those sets rule by rule
costs a Python call per string per text; with a couple of hundred rules that
was most of the scoring time. Here every string of every gate goes into one
Aho-Corasick automaton (``pyahocorasick``, C), the ticket's turns are scanned
once, and each turn gets a bitmask: one bit per *set* of strings (a gate's
literal set, the turn filter's phrase keys, a token pattern's anchors), set
when the turn holds any string of it. A gate is then one integer test per
turn, ``mask & need == need``.

The scanned form of a turn is ``gates.scan_text`` of its lower-cased text:
``’`` read as ``'`` and every whitespace character removed. A turn whose
lower-cased text cannot be trusted for gating (``gates.gate_text`` returns
``None``: characters ``re`` case-folds onto ASCII letters although
``str.lower`` does not, or non-ASCII digits) gets every bit set, so every gate
passes on it: gating only ever skips searches that find nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import reduce
from operator import itemgetter, or_

import ahocorasick

from .gates import gate_text, scan_text

_payload = itemgetter(1)


class LiteralIndex:
    """Bitmasks of which groups of strings each text holds a string of.

    ``group(strings)`` registers a group and returns its bit; a string may be
    in several groups. After ``build()``, ``turn_masks(texts)`` gives per
    text the bits of the groups it holds a string of. Gates then use one
    bit per literal set: a gate passes a text when ``mask & need == need``.

    >>> idx = LiteralIndex()
    >>> agent, callback = idx.group(["agent"]), idx.group(["callback", "ringback"])
    >>> idx.build()
    >>> idx.turn_masks(["Please hold for an agent", "call  back later"]) == [agent, callback]
    True
    """

    def __init__(self) -> None:
        self._payload: dict[str, int] = {}
        self._bits = 0
        self._automaton = None

    @property
    def all(self) -> int:
        """Every bit: the mask of a text that cannot be gated."""
        return (1 << self._bits) - 1

    def group(self, strings: Iterable[str]) -> int:
        """A new bit, set for texts holding one of ``strings`` (scanned form, non-empty)."""
        strings = list(strings)
        if not strings or not all(strings):
            raise ValueError("a literal group needs non-empty strings")
        bit = 1 << self._bits
        self._bits += 1
        for s in strings:
            self._payload[s] = self._payload.get(s, 0) | bit
        self._automaton = None
        return bit

    def build(self) -> None:
        if not self._payload:
            return
        automaton = ahocorasick.Automaton()
        for s, bits in self._payload.items():
            automaton.add_word(s, bits)
        automaton.make_automaton()
        self._automaton = automaton

    def turn_masks(self, texts: Sequence[str], lows: Sequence[str] | None = None) -> list[int]:
        """Per text, the bits of the groups its scanned form holds a string of."""
        return self.scan(texts, lows)[0]

    def scan(self, texts: Sequence[str], lows: Sequence[str] | None = None) -> tuple[list[int], list[str]]:
        """Per text, the bits of the groups its scanned form holds a string of, and that scanned form.

        ``lows``: the texts already lower-cased (``’`` replaced or not), to
        save doing it again. A text ``gates.gate_text`` refuses gets every
        bit (its scanned form is still the true one).
        """
        n = len(texts)
        if lows is None:
            lows = [t.lower() for t in texts]
        scanned = [scan_text(low) for low in lows]
        if not n or not self._payload:
            return [0] * n, scanned
        if self._automaton is None:
            self.build()
        unsafe = [k for k, text in enumerate(texts) if not text.isascii() and gate_text(text) is None]
        # Per text, OR of the payloads of every string found: map/reduce keep the loop in C.
        it = self._automaton.iter  # type: ignore[union-attr]
        masks = [reduce(or_, map(_payload, it(s)), 0) if s else 0 for s in scanned]
        if unsafe:
            every = self.all
            for k in unsafe:
                masks[k] = every
        return masks, scanned
