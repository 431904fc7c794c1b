"""Find effort markers in a ticket: spaCy rules per turn, then cross-turn detectors.

The rules are data (``effortnlp/patterns/*.jsonl``), one JSON object a line::

    {"id": "transfer.pass_to_team", "label": "TRANSFER", "speaker": "agent",
     "phrases": ["(pass|forward) (this|it) to (our|the) (billing|tech) team"]}

- ``phrases``: fixed phrases for a ``PhraseMatcher`` on ``LOWER``. A phrase may
  hold alternations ``(a|b|)`` (an empty branch makes the group optional);
  they are expanded when the patterns load, so matching stays one fast
  ``PhraseMatcher`` pass however many variants a rule has.
- ``pattern``: a spaCy ``Matcher`` token pattern, for what needs number shapes
  or quantifiers. These are slower, so they run only on short windows that
  start at a token one of them can begin with.
- ``regex``: a Python regular expression (case-insensitive) searched in the
  raw turn text, for shapes tokens cannot express cheaply (``#brandsucks``
  hashtags, phone numbers, URLs). Keep these few and linear. Each runs only
  on turns where one Hyperscan pass says it may match (``effortnlp.hyper``,
  where the package is installed), else on turns holding a string of each
  set every match must contain one of (derived from the regex, see
  ``effortnlp.gates.spaceless_literals``, and found for all rules at once by
  ``effortnlp.scan``); where that cannot be derived, ``"requires": ["str",
  ...]`` lists strings (lower-case) one of which every match holds.
- ``speaker``: ``customer``, ``agent`` or ``any`` (default): whose turns the
  rule applies to ("as I said" is repeat info from a customer, a recap from an
  agent).
- ``target``: for CHANNEL_SWITCH, the channel it moves the customer to.
- ``label: "NOT"`` with ``suppresses: [labels]``: a hard negative. Any hit of
  those labels overlapping it (or, with ``"scope": "sentence"``, in the same
  sentence; with ``"scope": "turn"``, in the same turn) is dropped: "balance
  transfer", "callback URL", "we'll pass your feedback on to the team".

Every hit is turned into a ``MarkerHit`` while its Doc is alive; Docs are never
kept, which is what keeps memory flat on big dumps.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import spacy
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from .gates import (
    Branches,
    Gate,
    gate_text,
    join_separator,
    lowered_twin,
    scan_text,
    spaceless_literals,
    spaceless_short,
    split_branches,
)
from .prefilter import IndexedFilter, PhraseWindows, TurnFilter, like_num_regex
from .scan import LiteralIndex
from .schema import MARKERS, MarkerHit, Ticket, new_hit

NEGATIVE = "NOT"
_ALT = re.compile(r"\(([^()]*)\)")

#: No token pattern may match (``rule_hits``' ``only``, shared rather than made per turn)
_NOTHING: frozenset[str] = frozenset()

#: Chunks the tokenizer's cache may hold (spaCy's default is 10,000). Real chat dumps hold more
#: distinct chunks than that (names, numbers, typos, links), and past the limit a chunk is split by
#: the affix regexes again on every occurrence: on the real conversations a second pass costs a
#: third less with this. An entry takes about 0.2 KB, so the cache and the set of chunks warmed
#: for it (``_tokenize``) stay under about 30 MB (the vocabulary's lexemes grow with the dump anyway).
TOKENIZER_CACHE = 100_000

#: Longest text given to spaCy in one piece; longer turns are cut into windows
#: at whitespace (spaCy refuses texts over ``nlp.max_length`` and memory grows
#: with Doc size).
MAX_CHUNK_CHARS = 100_000


class PatternError(ValueError):
    """A pattern file is malformed."""


def expand_phrase(phrase: str) -> list[str]:
    """Expand ``(a|b|)`` alternations into every variant, whitespace-normalised.

    >>> expand_phrase("(pass|send) it (on|)")
    ['pass it on', 'pass it', 'send it on', 'send it']
    """
    parts = _ALT.split(phrase)
    # split() with one group alternates literal, group, literal, ...
    options = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    out: list[str] = []
    seen: set[str] = set()
    for combo in itertools.product(*options):
        text = " ".join("".join(combo).split())
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return out


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    speaker: str = "any"
    target: str | None = None
    suppresses: tuple[str, ...] = ()
    scope: str = "span"
    phrases: tuple[str, ...] = ()
    pattern: tuple[dict[str, Any], ...] | None = None
    regex: re.Pattern[str] | None = None
    requires: tuple[str, ...] = ()
    source_file: str = ""

    @classmethod
    def from_dict(cls, d: dict[str, Any], source_file: str = "") -> Rule:
        where = f"{source_file}: rule {d.get('id', '?')!r}"
        if "id" not in d or "label" not in d:
            raise PatternError(f"{where}: every pattern needs an 'id' and a 'label'")
        label = d["label"]
        if label not in MARKERS and label != NEGATIVE:
            raise PatternError(f"{where}: unknown label {label!r}")
        if sum(k in d for k in ("phrases", "pattern", "regex")) != 1:
            raise PatternError(f"{where}: give exactly one of 'phrases', 'pattern' or 'regex'")
        regex = None
        if "regex" in d:
            try:
                regex = re.compile(d["regex"], re.IGNORECASE)
            except re.error as exc:
                raise PatternError(f"{where}: bad regex ({exc})") from None
        speaker = d.get("speaker", "any")
        if speaker not in ("any", "customer", "agent"):
            raise PatternError(f"{where}: speaker must be customer, agent or any")
        phrases: tuple[str, ...] = ()
        if "phrases" in d:
            for p in d["phrases"]:
                depth = 0
                for ch in p:
                    depth += (ch == "(") - (ch == ")")
                    if depth > 1 or depth < 0:
                        raise PatternError(f"{where}: nested or unbalanced brackets in phrase {p[:60]!r} (flatten the alternation)")
                if depth:
                    raise PatternError(f"{where}: unbalanced brackets in phrase {p[:60]!r}")
            phrases = tuple(v for p in d["phrases"] for v in expand_phrase(p.lower()))
        return cls(
            id=d["id"],
            label=label,
            speaker=speaker,
            target=d.get("target"),
            suppresses=tuple(d.get("suppresses", ())),
            scope=d.get("scope", "span"),
            phrases=phrases,
            pattern=tuple(d["pattern"]) if "pattern" in d else None,
            regex=regex,
            requires=tuple(d.get("requires", ())),
            source_file=source_file,
        )


def default_pattern_dir() -> Path:
    return Path(str(resources.files("effortnlp") / "patterns"))


def load_rules(directory: str | Path | None = None) -> list[Rule]:
    """Read every ``*.jsonl`` pattern file in ``directory`` (default: the bundled ones)."""
    directory = Path(directory) if directory is not None else default_pattern_dir()
    rules: list[Rule] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PatternError(f"{path.name}:{lineno}: not JSON ({exc.msg})") from None
            rule = Rule.from_dict(d, f"{path.name}:{lineno}")
            if rule.id in seen:
                raise PatternError(f"{path.name}:{lineno}: duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            rules.append(rule)
    return rules


@dataclass
class _Span:
    rule: Rule
    start: int  # char offsets in the turn text
    end: int


@dataclass
class MarkerFinder:
    """Runs the rules over every turn and the cross-turn detectors over the ticket.

    Build once, call ``find(ticket)`` per ticket (or ``find_many``). Holds a
    ``spacy.blank("en")`` tokenizer, one ``PhraseMatcher`` and one ``Matcher``.
    """

    pattern_dir: str | Path | None = None
    detectors: bool = True
    #: Gate the regex rules with one Hyperscan pass per ticket (``effortnlp.hyper``);
    #: ``None``: when the package is installed (and ``EFFORTNLP_HYPERSCAN`` is not 0).
    #: (The detectors' slot patterns follow the package and the variable alone.)
    hyperscan: bool | None = None
    rules: list[Rule] = field(init=False)

    def __post_init__(self) -> None:
        self.rules = load_rules(self.pattern_dir)
        self.nlp = spacy.blank("en")
        self.nlp.max_length = MAX_CHUNK_CHARS * 2
        self.tokenizer = self.nlp.tokenizer
        self.tokenizer.max_cache_size = TOKENIZER_CACHE
        #: whitespace-delimited chunks already tokenized on their own (``_tokenize``)
        self._warm: set[str] = set()
        self._by_key: dict[int, Rule] = {}
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.matcher = Matcher(self.nlp.vocab)
        self._matcher_starts: set[str] | None = set()
        #: start word hash -> [(rule id, checks on the next tokens)] of the patterns starting with it
        self._start_checks: dict[int, list[tuple[str, tuple[tuple[frozenset[int], bool], ...]]]] = {}
        #: Matchers holding only some of the token patterns (those that can match at a window).
        self._sub_matchers: dict[tuple[str, ...], Matcher] = {}
        self._token_rules: dict[str, list[dict[str, Any]]] = {}
        self._start_hashes: frozenset[int] | None = None
        self._regex_rules: list[Rule] = []
        self._regex_gates: list[tuple[Rule, Gate]] = []
        #: rule id -> the separator its turns can be joined with for one search (None: turn by turn)
        self._join_sep: dict[str, str | None] = {}
        #: rule id -> its top-level alternatives, gated one by one (``effortnlp.gates.Branches``)
        self._branches: dict[str, Branches] = {}
        self._word_tokens: dict[str, list[str]] = {}
        for rule in self.rules:
            key = self.nlp.vocab.strings.add(rule.id)
            self._by_key[key] = rule
            if rule.regex is not None:
                self._regex_rules.append(rule)
                self._regex_gates.append((rule, Gate(rule.regex, rule.requires)))
                self._join_sep[rule.id] = join_separator(rule.regex)
                split = None if rule.requires else split_branches(rule.regex)
                if split is not None:
                    self._branches[rule.id] = Branches(rule.regex, *split)
            elif rule.phrases:
                self.phrase_matcher.add(rule.id, [self._phrase_doc(p) for p in rule.phrases])
            else:
                self.matcher.add(rule.id, [list(rule.pattern or ())])
                self._token_rules[rule.id] = list(rule.pattern or ())
                self._note_start(rule.pattern or (), rule.id)
        # Where a token pattern may start, found by one PhraseMatcher call per
        # Doc: its start word, followed by an allowed second word when every
        # pattern starting with that word needs one.
        self.start_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        if self._matcher_starts:
            strings = self.nlp.vocab.strings
            phrases: set[tuple[str, ...]] = set()
            for w in self._matcher_starts:
                options = self._start_checks.get(strings.add(w), [("", ())])
                if any(not checks or checks[0][1] for _, checks in options):
                    phrases.add((w,))
                else:
                    phrases.update((w, strings[h]) for _, checks in options for h in checks[0][0])
            self.start_matcher.add("__start__", [Doc(self.nlp.vocab, words=list(p)) for p in sorted(phrases)])
        self._filters: dict[str, tuple[TurnFilter, TurnFilter]] | None = None
        #: Whether turns can share a Doc for phrase matching (``_phrase_spans_together``): no
        #: special case of the tokenizer mixes whitespace with other characters.
        self._joinable = all(not any(ch.isspace() for ch in key) or key.isspace() for key in self.tokenizer.rules)
        self._build_regex_plan()
        if self.detectors and self._hyper:
            from .detectors import _slot_scans

            _slot_scans()  # built now rather than on the first ticket

    def _build_regex_plan(self) -> None:
        """Each regex rule's gate as bitmasks of one ``LiteralIndex`` (see ``effortnlp.scan``).

        Per rule (in rule order): ``(rule, alternatives)``, each alternative
        ``(index or None, literal sets, class prefilter or None)``; a rule
        without ``Branches`` has one alternative, ``None``, for the whole
        pattern. Literal sets are ``gates.spaceless_literals`` of the
        pattern (or of the alternative), else its ``gates.spaceless_short``
        sets (a digit, "@": the scan finds single characters as cheaply),
        or the rule's ``requires`` strings. Only a pattern with none of them
        keeps a class prefilter (``gates.class_prefilter``, on the raw text).

        With Hyperscan (``effortnlp.hyper``), every alternative it can
        translate is gated by its scan instead: it has no literal sets (its
        bits are 0) and is in ``_hyper``, not in ``_plan_quick``. There is
        one scan per speaker, of that speaker's turns with the patterns of
        that speaker's rules and of ``any`` rules (two smaller databases
        scan faster than one with every pattern).
        """
        from spacy.lang.en.stop_words import STOP_WORDS

        from . import hyper

        common = frozenset(STOP_WORDS)
        raw: list[tuple[Rule, list[tuple[int | None, tuple[frozenset[str], ...], re.Pattern[str] | None]]]] = []
        #: per speaker: the scan of its turns, and per pattern of the scan
        #: (position in the plan, position of the alternative)
        self._hyper: dict[str, tuple[hyper.RegexScan, list[tuple[int, int] | None]]] = {}
        on_hyper: set[tuple[int, int]] = set()
        if hyper.available() if self.hyperscan is None else self.hyperscan:
            for who in ("customer", "agent"):
                steps, regexes = [], []
                for r, (rule, _) in enumerate(self._regex_gates):
                    if rule.speaker not in ("any", who):
                        continue
                    branches = self._branches.get(rule.id)
                    if branches is None:
                        steps.append((r, 0))
                        regexes.append(rule.regex)
                    else:
                        for a, g in enumerate(branches.gates):
                            steps.append((r, a))
                            regexes.append(g.regex)
                scan = hyper.RegexScan(regexes)
                self._hyper[who] = (scan, steps)
                on_hyper.update(step for step, on in zip(steps, scan.scanned, strict=True) if on)
            # an "any" rule's alternative is on the scan only if both speakers' scans have it
            for scan, steps in self._hyper.values():
                on_hyper.difference_update(step for step, on in zip(steps, scan.scanned, strict=True) if not on)
            for _, steps in self._hyper.values():
                steps[:] = [step if step in on_hyper else None for step in steps]
        for r, (rule, gate) in enumerate(self._regex_gates):
            branches = self._branches.get(rule.id)
            if (r, 0) in on_hyper and branches is None:
                alts = [(None, (), None)]
            elif rule.requires:
                alts = [(None, (frozenset(scan_text(q.lower()) for q in rule.requires),), None)]
                if "" in alts[0][1][0]:
                    alts = [(None, (), None)]
            elif branches is None:
                sets = spaceless_literals(rule.regex, common=common) or spaceless_short(rule.regex)
                alts = [(None, sets, None if sets else gate.prefilter)]
            else:
                alts = []
                for k, g in enumerate(branches.gates):
                    if (r, k) in on_hyper:
                        alts.append((k, (), None))
                        continue
                    sets = spaceless_literals(g.regex, common=common) or spaceless_short(g.regex)
                    alts.append((k, sets, None if sets else g.prefilter))
            raw.append((rule, alts))
        index = self._literals = LiteralIndex()
        bits: dict[frozenset[str], int] = {}
        plan = []
        for rule, alts in raw:
            steps = []
            for k, sets, pre in alts:
                need = 0
                for lits in sets:
                    if lits not in bits:
                        bits[lits] = index.group(sorted(lits))
                    need |= bits[lits]
                steps.append((k, need, pre))
            plan.append((rule, steps))
        self._regex_plan = plan
        #: (rule id, picked alternatives) -> (the regex to run, its lowered twin or None)
        self._twins: dict[tuple[str, tuple[int | None, ...]], tuple[re.Pattern[str], re.Pattern[str] | None]] = {}
        #: per speaker: (position in the plan, position of the alternative, the bits it needs)
        self._plan_quick: dict[str, list[tuple[int, int, int]]] = {"any": [], "customer": [], "agent": []}
        for r, (rule, steps) in enumerate(plan):
            for a, (_, need, _) in enumerate(steps):
                if (r, a) not in on_hyper:
                    self._plan_quick[rule.speaker].append((r, a, need))
        #: per speaker: (positive rules' filter, negative rules' filter), looked up in the same index
        self._indexed_filters = {
            who: (IndexedFilter(pos, index.group), IndexedFilter(neg, index.group))
            for who, (pos, neg) in self.turn_filters().items()
        }
        index.build()
        #: per speaker: where in a turn its phrases may match (``None``: tokenize whole turns)
        self._phrase_windows: dict[str, PhraseWindows | None] = {}
        for who, (pos, neg) in self.turn_filters().items():
            windows = PhraseWindows(pos.phrases + neg.phrases)
            self._phrase_windows[who] = windows if windows.usable and not (pos.always or neg.always) else None

    def turn_filters(self) -> dict[str, tuple[TurnFilter, TurnFilter]]:
        """Per speaker: (positive rules' filter, negative rules' filter) for skipping tokenization.

        See ``effortnlp.prefilter`` for why a turn they rule out has no match.
        ``rule_hits`` uses them through ``IndexedFilter`` (their strings are
        looked for in the same scan as the regex gates' literals).
        """
        if self._filters is None:
            from spacy.lang.en.stop_words import STOP_WORDS

            like_num = _like_num_regex(self.nlp)
            out: dict[str, tuple[TurnFilter, TurnFilter]] = {}
            for who in ("customer", "agent"):
                pair = []
                for negative in (False, True):
                    rules = [
                        r
                        for r in self.rules
                        if r.regex is None and r.speaker in ("any", who) and (r.label == NEGATIVE) == negative
                    ]
                    # a phrase Doc's LOWER values: its words (tokens), lower-cased
                    phrases = [[w.lower() for w in self._phrase_words(p)] for r in rules for p in r.phrases]
                    patterns = [(r.id, list(r.pattern)) for r in rules if r.pattern is not None]
                    pair.append(TurnFilter(phrases, patterns, like_num, STOP_WORDS))
                out[who] = (pair[0], pair[1])
            self._filters = out
        return self._filters

    def _phrase_doc(self, phrase: str) -> Doc:
        """A Doc for a pattern phrase, tokenised exactly as the tokenizer would.

        spaCy's tokenizer splits on whitespace first and tokenises each piece
        on its own, so caching the tokens of each distinct word and building
        the Doc from them gives the same tokens at a fraction of the cost
        (expanded alternations repeat the same few hundred words).
        """
        return Doc(self.nlp.vocab, words=self._phrase_words(phrase))

    def _phrase_words(self, phrase: str) -> list[str]:
        """The token texts of a pattern phrase (see ``_phrase_doc``)."""
        cache = self._word_tokens
        words: list[str] = []
        for w in phrase.split():
            toks = cache.get(w)
            if toks is None:
                toks = cache[w] = [t.text for t in self.tokenizer(w)]
            words.extend(toks)
        return words

    def _note_start(self, pattern: Iterable[dict[str, Any]], rule_id: str = "") -> None:
        """Remember which lower-cased words a token pattern can start with.

        A pattern whose first token is not a fixed word (or set of words)
        could start anywhere; then the matcher runs on whole turns.
        """
        pattern = list(pattern)
        first = pattern[0] if pattern else {}
        if self._matcher_starts is None:
            return
        op = first.get("OP")
        lower = first.get("LOWER")
        if op in ("?", "*") or lower is None:
            self._matcher_starts = None
            return
        if isinstance(lower, str):
            words = [lower]
        elif isinstance(lower, dict) and "IN" in lower:
            words = list(lower["IN"])
        else:
            self._matcher_starts = None
            return
        self._matcher_starts.update(w.lower() for w in words)
        # What the next tokens must be (while their positions are fixed), for
        # skipping windows no pattern can match: (LOWER hashes, or LIKE_NUM).
        strings = self.nlp.vocab.strings
        checks: list[tuple[frozenset[int], bool]] = []
        rest = pattern[1:] if op is None else []
        for k, tok in enumerate(rest):
            tok_op = tok.get("OP")
            this = _token_check(tok, strings)
            if this is None:
                break
            if tok_op is None or tok_op == "+" or _min_one(tok_op):
                checks.append(this)
                if tok_op is not None:  # a repeat: later positions vary
                    break
                continue
            # optional (?, *, {0,n}): the next position holds this token or the following one
            nxt = rest[k + 1] if k + 1 < len(rest) else None
            after = _token_check(nxt, strings) if nxt is not None else None
            if after is not None and (nxt.get("OP") is None or nxt.get("OP") == "+" or _min_one(nxt["OP"])):
                checks.append((this[0] | after[0], this[1] or after[1]))
            break
        for w in words:
            self._start_checks.setdefault(strings.add(w), []).append((rule_id, tuple(checks)))

    @classmethod
    def shared(cls, pattern_dir: str | Path | None = None) -> MarkerFinder:
        """One finder per pattern directory (and file contents) per process.

        Building the matchers takes a moment; a finder is read-only once
        built, so analyzers, commands and tests can share it.
        """
        directory = Path(pattern_dir) if pattern_dir is not None else default_pattern_dir()
        stamp = tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.jsonl"))
        )
        return _shared_finder(str(directory.resolve()), stamp)

    # -- per turn -------------------------------------------------------------

    def _spans(self, doc, speaker: str, only: frozenset[str] | None = None) -> list[_Span]:
        """Phrase and token-pattern matches in a Doc (``only``: the token patterns that may match)."""
        spans: list[_Span] = []
        for key, s, e in self.phrase_matcher(doc):
            spans.append(_Span(self._by_key[key], doc[s].idx, doc[e - 1].idx + len(doc[e - 1])))
        if len(self.matcher) and (only is None or only):
            for key, s, e in self._token_matches(doc, only):
                spans.append(_Span(self._by_key[key], doc[s].idx, doc[e - 1].idx + len(doc[e - 1])))
        return [sp for sp in spans if sp.rule.speaker in ("any", speaker)]

    def _token_matches(self, doc, only: frozenset[str] | None = None) -> Iterator[tuple[int, int, int]]:
        """Token-pattern matches; with ``only``, of those patterns alone (the others cannot match in ``doc``)."""
        if self._matcher_starts is None:
            if only is None:
                yield from self.matcher(doc)
            else:
                yield from self._sub_matcher(tuple(r for r in self._token_rules if r in only))(doc)
            return
        # The start words (with their second word where one is required),
        # found by the start PhraseMatcher instead of a loop over the tokens.
        window = 12
        starts = self.start_matcher(doc)
        if not starts:
            return
        n = len(doc)
        start_checks = self._start_checks
        for i in sorted({s for _, s, _ in starts}):
            options = start_checks.get(doc[i].lower)
            if options is None:
                matcher = self.matcher if only is None else self._sub_matcher(tuple(r for r in self._token_rules if r in only))
            else:
                ids: list[str] = []
                for rule_id, checks in options:
                    if only is not None and rule_id not in only:
                        continue
                    for j, (allowed, num) in enumerate(checks, i + 1):
                        if j >= n or (doc[j].lower not in allowed and not (num and doc[j].like_num)):
                            break
                    else:
                        ids.append(rule_id)  # this pattern may match here
                if not ids:
                    continue  # none can: skip the window
                matcher = self._sub_matcher(tuple(ids))
            span = doc[i : i + window]
            for key, s, e in matcher(span):
                if s == 0:  # only matches anchored at the start word
                    yield key, i + s, i + e

    def _sub_matcher(self, ids: tuple[str, ...]) -> Matcher:
        """A Matcher with only these token patterns (the cost of a call grows with the patterns)."""
        matcher = self._sub_matchers.get(ids)
        if matcher is None:
            if set(ids) == set(self._token_rules):
                matcher = self.matcher
            else:
                matcher = Matcher(self.nlp.vocab)
                for rule_id in self._token_rules:  # in rule order, like the full matcher
                    if rule_id in ids:
                        matcher.add(rule_id, [self._token_rules[rule_id]])
            self._sub_matchers[ids] = matcher
        return matcher

    def turn_hits(self, text: str, speaker: str, turn: int) -> list[MarkerHit]:
        """Rule hits in one turn's text, negatives applied."""
        spans: list[_Span] = []
        for rule in self._regex_rules:
            if rule.speaker in ("any", speaker):
                spans.extend(_Span(rule, m.start(), m.end()) for m in rule.regex.finditer(text))
        offset = 0
        # Curly apostrophes become straight ones (same length, so offsets hold):
        # "we’ll" then tokenizes like the patterns' "we'll".
        for chunk in _chunks(text.replace("\u2019", "'"), MAX_CHUNK_CHARS):
            doc = self.tokenizer(chunk)
            for sp in self._spans(doc, speaker):
                spans.append(_Span(sp.rule, sp.start + offset, sp.end + offset))
            offset += len(chunk)
        return self._resolve(spans, text, speaker, turn)

    def _resolve(self, spans: list[_Span], text: str, speaker: str, turn: int) -> list[MarkerHit]:
        negs = [sp for sp in spans if sp.rule.label == NEGATIVE]
        if negs:
            negs = [_sentence_span(sp, text) if sp.rule.scope == "sentence" else sp for sp in negs]
            kept = [
                sp
                for sp in spans
                if sp.rule.label != NEGATIVE
                and not any(
                    sp.rule.label in n.rule.suppresses
                    and (n.rule.scope == "turn" or (n.start < sp.end and sp.start < n.end))
                    for n in negs
                )
            ]
        else:  # the usual case: nothing to suppress
            kept = list(spans)
        # Several rules of one label often overlap the same words: keep the longest.
        if len(kept) > 1:
            kept.sort(key=_longest_first)
        out: list[MarkerHit] = []
        last_end: dict[str, int] = {}
        for sp in kept:
            rule = sp.rule
            if sp.start < last_end.get(rule.label, -1):
                continue
            last_end[rule.label] = sp.end
            detail = {"target": rule.target} if rule.target else {}
            out.append(new_hit(rule.label, rule.id, turn, speaker, sp.start, sp.end, text[sp.start : sp.end], "rule", detail))
        return out

    # -- per ticket -----------------------------------------------------------

    def rule_hits(self, ticket: Ticket) -> list[MarkerHit]:
        """The rule hits of every turn: what ``turn_hits`` gives turn by turn, faster (``rule_hits_many``)."""
        return self.rule_hits_many([ticket])[0]

    def rule_hits_many(self, tickets: Sequence[Ticket]) -> list[list[MarkerHit]]:
        """``[rule_hits(t) for t in tickets]``: the rule hits of every turn of each ticket.

        One scan of each ticket (``effortnlp.scan.LiteralIndex``) finds which
        literals each turn holds: the regex rules' literal sets (without
        Hyperscan) and the turn filters' strings. A regex rule runs only on
        the turns Hyperscan says it may match in, or that hold a string of
        each of its sets (``_regex_spans``); a turn is tokenized
        only if its speaker's filter says a phrase or token pattern may
        match in it (or, when a positive regex hit is in the turn, that a
        negative rule may), and then matched with only the token patterns
        that may match. Turns no rule hit skip the resolving step. Turns in
        which only phrases may match (most of them) share a Doc
        (``_phrase_spans_together``), and of those only the runs of chunks
        where a phrase's key is found (``prefilter.PhraseWindows``) are
        tokenized; the other turns get a Doc each. Either way
        the tokenizer's cache is first given the chunks it lacks
        (``_tokenize``): spaCy stops saving chunks in a Doc after its first
        special case ("I'm"), which would make long Docs several times slower.

        The batch goes stage by stage (every ticket's literal scan, then every
        ticket's regex rules, then tokenizing and resolving ticket by ticket):
        each stage's automata and tables then stay in the CPU's caches, about
        a tenth faster than one ticket at a time. Each ticket's hits are the same.
        """
        staged = [self._scan_turns(ticket) for ticket in tickets]
        regex_spans: list[dict[int, list[_Span]]] = [{} for _ in staged]
        for s, spans in zip(staged, regex_spans, strict=True):
            if s is not None:
                self._regex_spans(s[0], spans, s[1], s[3])
        return [
            self._token_and_resolve(s, spans) if s is not None else []
            for s, spans in zip(staged, regex_spans, strict=True)
        ]

    def _scan_turns(self, ticket: Ticket):
        """``(turns, masks, scanned, lows)`` of a ticket's customer and agent turns with text (``None``: none)."""
        turns = [
            (i, t.text, t.speaker)
            for i, t in enumerate(ticket.turns)
            if t.text and t.speaker in ("customer", "agent")
        ]
        if not turns:
            return None
        lows = [t[1].lower() for t in turns]  # no character lower-cases to or from "’"
        masks, scanned = self._literals.scan([t[1] for t in turns], lows)
        return turns, masks, scanned, lows

    def _token_and_resolve(self, staged, spans: dict[int, list[_Span]]) -> list[MarkerHit]:
        """A ticket's phrase and token matches, merged with its regex ``spans`` and resolved into hits."""
        turns, masks, scanned, lows = staged
        filters = self._indexed_filters
        #: per tokenized turn (position in ``turns``): its phrase and token-pattern spans
        token_spans: dict[int, list[_Span]] = {}
        #: pieces (turn, start, end) of the turns where only phrases may match: tokenized together
        together: list[tuple[int, int, int]] = []
        for k, (_, text, speaker) in enumerate(turns):
            pos, neg = filters[speaker]
            mask, ns = masks[k], scanned[k]
            # pos.possible() or (a positive regex hit and neg.possible()); the patterns both let through
            names = pos.answer(mask, ns)
            if names is not None:
                names += neg.answer(mask, ns) or ()
            elif (regex_found := spans.get(k)) and any(sp.rule.label != NEGATIVE for sp in regex_found):
                names = neg.answer(mask, ns)
            if names is None:
                continue  # no phrase or token pattern can match here
            only = frozenset(names) if names else _NOTHING
            if len(text) > MAX_CHUNK_CHARS:
                token_spans[k] = self._turn_token_spans(text, speaker, only)
            elif only or not self._joinable:
                token_spans[k] = self._spans(self._tokenize(text.replace("\u2019", "'")), speaker, only)
            elif (windows := self._phrase_windows.get(speaker)) is not None and len(lows[k]) == len(text):
                together.extend((k, a, b) for a, b in windows.windows(text, ns))
            else:
                together.append((k, 0, len(text)))
        if together:
            self._phrase_spans_together(turns, together, token_spans)
        hits: list[MarkerHit] = []
        for k in sorted(spans.keys() | token_spans.keys()) if spans else sorted(token_spans):
            found = token_spans.get(k)
            regex_found = spans.get(k)
            if regex_found:
                found = regex_found + found if found else regex_found
            if found:
                i, text, speaker = turns[k]
                hits.extend(self._resolve(found, text, speaker, i))
        return hits

    def _phrase_spans_together(
        self, turns: list[tuple[int, str, str]], pieces: list[tuple[int, int, int]], out: dict[int, list[_Span]]
    ) -> None:
        """Phrase matches in ``pieces`` of turns (no token pattern may match in them), one Doc for many.

        A piece ``(k, start, end)`` is ``turns[k]``'s text from ``start`` to
        ``end``: the whole turn, or a run of its whitespace-separated chunks
        (``prefilter.PhraseWindows``) that every phrase match of the turn is
        in; a turn's pieces come in order and do not overlap. Spans go to
        ``out[k]`` with offsets in the turn's text.

        Each Doc and each matcher call has a fixed cost of several microseconds,
        more than tokenizing a short turn's words; so the turns are joined,
        ``\\n`` between them, into texts of up to ``MAX_CHUNK_CHARS``, and the
        matches mapped back by offset into ``out`` (per turn, in the order
        ``_spans`` gives them). That finds exactly what a Doc per turn finds:

        - spaCy splits a text at whitespace and tokenizes each chunk on its
          own, so every chunk of a turn has the same tokens in the joined text,
          at the same offsets from the turn's start. Special cases are then
          also matched across chunks (``Tokenizer._apply_special_cases``), but
          with this tokenizer's special cases (``_joinable`` checks) a
          multi-token one holds no whitespace token, so none reaches across
          the whitespace token between two turns, and where spans overlap
          within one turn, they are the ones they are in its own Doc. Only
          whitespace tokens differ: the separator, merged with a turn's
          leading or trailing whitespace;
        - a phrase's tokens are a phrase's words tokenized, never whitespace,
          so a phrase match never takes in a whitespace token: it starts and
          ends inside one turn, and the PhraseMatcher (which walks from each
          token along the tokens that continue some phrase) reports per turn
          the same matches in the same order.
        """
        texts = [turns[k][1][a:b].replace("\u2019", "'") for k, a, b in pieces]
        phrase_matcher, by_key = self.phrase_matcher, self._by_key
        n = len(pieces)
        lo = 0
        while lo < n:
            # as many turns as fit in one text of MAX_CHUNK_CHARS (at least one)
            hi, size = lo + 1, len(texts[lo])
            while hi < n and size + 1 + len(texts[hi]) <= MAX_CHUNK_CHARS:
                size += 1 + len(texts[hi])
                hi += 1
            starts = []
            pos = 0
            for text in texts[lo:hi]:
                starts.append(pos)
                pos += len(text) + 1
            doc = self._tokenize("\n".join(texts[lo:hi]))
            for key, s, e in phrase_matcher(doc):
                a = doc[s].idx
                j = bisect_right(starts, a) - 1
                rule = by_key[key]
                k, base, _ = pieces[lo + j]
                if rule.speaker == "any" or rule.speaker == turns[k][2]:
                    last = doc[e - 1]
                    off = starts[j] - base
                    spans = out.get(k)
                    if spans is None:
                        spans = out[k] = []
                    spans.append(_Span(rule, a - off, last.idx + len(last) - off))
            lo = hi

    def _tokenize(self, text: str) -> Doc:
        """``self.tokenizer(text)``, with its cache first given the chunks it lacks.

        spaCy's tokenizer splits a text at whitespace and looks each chunk up
        in a cache of chunk -> tokens; a chunk not there is split by its
        prefix, suffix and infix rules (slow, Python regexes) and saved. But
        once a chunk of a Doc hits a special case ("I'm", "don't", ":)"),
        nothing later in that Doc is saved (a flag set for the whole Doc;
        spaCy issue #1250), so a word that mostly follows one is split again
        on every turn. Tokenizing the chunks not seen before first, in a
        text of their own, roughly halves the tokenizer's time on chat turns.
        The cache only ever holds what tokenizing the chunk finds anyway, so
        the Doc is the same.

        That text holds only chunks of word characters and hyphens that are
        no special case themselves (those are looked up before the cache,
        nothing to save): one tokenizer call for them all (a Doc costs more
        than a short word). A chunk with other characters may hold a special
        case behind punctuation ("(I'm", "e.g.,") and is tokenized on its own.

        Only chunks up to the tokenizer's ``max_cache_size`` are warmed: it
        stops saving there, and the set of warmed chunks stays bounded.
        """
        warm, tokenizer = self._warm, self.tokenizer
        if len(warm) < tokenizer.max_cache_size:
            chunks = text.split()  # at str.isspace, like the tokenizer
            if not warm.issuperset(chunks):
                specials = tokenizer.rules
                plain: list[str] = []
                for chunk in chunks:
                    if chunk not in warm:
                        warm.add(chunk)
                        if chunk in specials:
                            continue
                        if _MAY_HIDE_SPECIAL.search(chunk):
                            tokenizer(chunk)
                        else:
                            plain.append(chunk)
                if plain:
                    tokenizer(" ".join(plain))
        return tokenizer(text)

    def _regex_spans(
        self, turns: list[tuple[int, str, str]], spans: dict[int, list[_Span]], masks: list[int], lows: list[str]
    ) -> None:
        """Regex rule matches, appended to ``spans`` per turn (position in ``turns``) in rule order.

        Each speaker's turns are scanned once by Hyperscan (``_hyper``,
        ``effortnlp.hyper``): a rule (or, for a ``Branches`` rule, each of
        its alternatives) on that scan runs only on the turns it reports.
        Any other runs only on the turns of its speaker that hold a string of
        each of its literal sets (found by the scan of ``effortnlp.scan``)
        and match its class prefilter, for one without literals. If more
        than half the speaker's turns pass and no match can cross a
        separator (``effortnlp.gates.join_separator``), the rule searches
        the turns joined into one text, matches mapped back by offset: one
        call instead of many. A ``Branches`` rule searches with the pattern
        of only the alternatives that passed somewhere in the ticket, which
        finds what the whole pattern finds there.
        """
        texts = [t[1] for t in turns]
        twins = self._twins
        members: dict[str, list[int]] = {"any": list(range(len(turns))), "customer": [], "agent": []}
        for k, t in enumerate(turns):
            members[t[2]].append(k)
        # The alternatives that may run: the bits they need are in their speaker's turns.
        plan = self._regex_plan
        candidates: dict[int, list[int]] = {}
        for who, quick in self._plan_quick.items():
            if quick and members[who]:
                whole = 0
                for k in members[who]:
                    whole |= masks[k]
                for r, a, need in quick:
                    if whole & need == need:
                        candidates.setdefault(r, []).append(a)
        # ... or Hyperscan says they may match in some turn of their speaker's.
        scanned: dict[tuple[int, int], list[int]] = {}
        for who, (scan, steps) in self._hyper.items():
            ks = members[who]
            if not ks:
                continue
            for i, found in scan.scan([texts[k] for k in ks]).items():
                step = steps[i]
                if step is None:
                    continue
                mine = [ks[p] for p in found]
                got = scanned.get(step)
                if got is None:
                    scanned[step] = mine
                    r, a = step
                    alts = candidates.get(r)
                    if alts is None:
                        candidates[r] = [a]
                    elif a not in alts:
                        alts.append(a)
                        alts.sort()
                else:  # an "any" rule: found in both speakers' turns
                    scanned[step] = sorted(got + mine)
        groups: dict[str, _Group] = {}
        safe: list[bool] | None = None
        for r in sorted(candidates):
            rule, alts = plan[r]
            who = rule.speaker
            ks = members[who]
            picked: list[int | None] = []
            found: set[int] = set()
            for a in candidates[r]:
                k_alt, need, pre = alts[a]
                mine = scanned.get((r, a))
                if mine is None:
                    mine = [k for k in ks if masks[k] & need == need] if need else ks
                if pre is not None:
                    mine = [k for k in mine if pre.search(texts[k])]
                if mine:
                    picked.append(k_alt)
                    found.update(mine)
            if not picked:
                continue
            key = (rule.id, tuple(picked))
            pair = twins.get(key)
            if pair is None:
                regex = rule.regex if picked[0] is None else self._branches[rule.id].regex(key[1])  # type: ignore[arg-type]
                pair = twins[key] = (regex, lowered_twin(regex))
            regex, twin = pair
            if safe is None:
                # Regexes run as their lowered twins (``gates.lowered_twin``) on the lower-cased
                # texts where that is safe: the same spans, about twice as fast.
                safe = [t.isascii() or gate_text(t) is not None for t in texts]
            sep = self._join_sep[rule.id]
            if sep is not None and 2 * len(found) > len(ks):
                group = groups.get(who)
                if group is None:
                    group = groups[who] = _Group(turns, who, lows, safe)
                starts = group.starts
                if twin is not None and group.safe:
                    matches = twin.finditer(group.joined_low(sep))
                else:
                    matches = regex.finditer(group.joined(sep))
                for m in matches:
                    s = m.start()
                    j = bisect_right(starts, s) - 1
                    off = starts[j]
                    spans.setdefault(group.index[j], []).append(_Span(rule, s - off, m.end() - off))
                continue
            for k in sorted(found):
                matches = twin.finditer(lows[k]) if twin is not None and safe[k] else regex.finditer(texts[k])
                for m in matches:
                    spans.setdefault(k, []).append(_Span(rule, m.start(), m.end()))

    def _turn_token_spans(self, text: str, speaker: str, only: frozenset[str] | None = None) -> list[_Span]:
        """Phrase and token matches of one turn, tokenized on its own (in windows if long)."""
        out: list[_Span] = []
        offset = 0
        for chunk in _chunks(text.replace("\u2019", "'"), MAX_CHUNK_CHARS):
            doc = self.tokenizer(chunk)
            for sp in self._spans(doc, speaker, only):
                out.append(_Span(sp.rule, sp.start + offset, sp.end + offset))
            offset += len(chunk)
        return out

    def find(self, ticket: Ticket) -> list[MarkerHit]:
        """All hits in a ticket, ordered by turn then position."""
        return self.find_all([ticket])[0]

    def find_all(self, tickets: Sequence[Ticket]) -> list[list[MarkerHit]]:
        """``[find(t) for t in tickets]``, faster on a batch.

        Every ticket's rule hits come first (``rule_hits_many``), then the
        cross-turn detectors ticket by ticket: each stage's tables stay in the
        CPU's caches (about 15% faster than alternating per ticket).
        """
        return [self._finish(t, hits) for t, hits in zip(tickets, self.rule_hits_many(tickets), strict=True)]

    def _finish(self, ticket: Ticket, hits: list[MarkerHit]) -> list[MarkerHit]:
        """A ticket's rule ``hits`` plus its cross-turn and metadata hits, ordered by turn then position."""
        bots = {i for i, t in enumerate(ticket.turns) if t.is_bot}
        if bots:
            # A bot routing the chat to a person ("connecting you with an agent")
            # is how a chat starts, not a hand-off of the issue.
            hits = [h for h in hits if not (h.label == "TRANSFER" and h.turn in bots)]
        if self.detectors:
            from .detectors import cross_turn_hits

            hits.extend(cross_turn_hits(ticket, hits))
        from .metadata import merge_metadata_hits  # export metadata: transfers, repeats, channels

        hits = merge_metadata_hits(ticket, hits)
        hits.sort(key=lambda h: (h.turn, h.start, h.label))
        return hits

    def find_many(self, tickets: Iterable[Ticket], batch_size: int = 500) -> Iterator[tuple[Ticket, list[MarkerHit]]]:
        """``(ticket, find(ticket))`` for each ticket, found a batch at a time (``find_all``)."""
        it = iter(tickets)
        while batch := list(itertools.islice(it, batch_size)):
            yield from zip(batch, self.find_all(batch), strict=True)


#: A character around which a chunk may hide a special case behind affixes ("(I'm", "e.g.,", ":))").
_MAY_HIDE_SPECIAL = re.compile(r"[^\w\-]")


def _longest_first(sp: _Span) -> tuple[int, int]:
    return (sp.start, sp.start - sp.end)


_SENT_END = re.compile(r"[.!?\n]")
#: How far a sentence-scoped negative looks for its sentence's ends.
_SENT_REACH = 300


def _sentence_span(sp: _Span, text: str) -> _Span:
    """Widen a span to the sentence around it (bounded, so long texts stay cheap)."""
    lo = max(0, sp.start - _SENT_REACH)
    before = [m.end() for m in _SENT_END.finditer(text, lo, sp.start)]
    start = before[-1] if before else lo
    m = _SENT_END.search(text, sp.end, min(len(text), sp.end + _SENT_REACH))
    end = m.start() if m else min(len(text), sp.end + _SENT_REACH)
    return _Span(sp.rule, start, end)


@functools.lru_cache(maxsize=8)
def _shared_finder(directory: str, stamp: tuple) -> MarkerFinder:
    return MarkerFinder(pattern_dir=directory)


def _like_num_regex(nlp) -> str | None:
    """``prefilter.like_num_regex`` for the tokenizer's ``LIKE_NUM``, if it is spaCy's English one."""
    from spacy.attrs import LIKE_NUM
    from spacy.lang.en import lex_attrs

    if nlp.vocab.lex_attr_getters.get(LIKE_NUM) is not lex_attrs.like_num:
        return None
    return like_num_regex([*lex_attrs._num_words, *lex_attrs._ordinal_words])


def _token_check(tok: dict[str, Any], strings) -> tuple[frozenset[int], bool] | None:
    """What a token pattern accepts, if it is only a LOWER value/set or LIKE_NUM: (hashes, like_num)."""
    keys = set(tok) - {"OP"}
    value = tok.get("LOWER")
    if keys == {"LOWER"} and isinstance(value, str):
        return frozenset([strings.add(value)]), False
    if keys == {"LOWER"} and isinstance(value, dict) and set(value) == {"IN"}:
        return frozenset(strings.add(w) for w in value["IN"]), False
    if keys == {"LIKE_NUM"} and tok["LIKE_NUM"] is True:
        return frozenset(), True
    return None


def _min_one(op: str) -> bool:
    """A ``{n}`` / ``{n,m}`` / ``{n,}`` quantifier with n >= 1."""
    m = re.fullmatch(r"\{(\d+)(?:,\d*)?\}", op)
    return bool(m) and int(m.group(1)) >= 1


class _Group:
    """The turns one speaker's rules run on: texts, positions in ``turns``, offsets in the joined text.

    Every separator is one character, so the offsets hold for any of them.
    """

    __slots__ = ("index", "lows", "safe", "starts", "texts")

    def __init__(
        self,
        turns: list[tuple[int, str, str]],
        who: str,
        lows: list[str] | None = None,
        safe: list[bool] | None = None,
    ):
        mine = [k for k, t in enumerate(turns) if who == "any" or t[2] == who]
        self.texts = [turns[k][1] for k in mine]
        self.index = mine
        #: the texts lower-cased, and whether all of them are safe for lowered twins
        self.lows = [lows[k] for k in mine] if lows is not None else [t.lower() for t in self.texts]
        self.safe = all(safe[k] for k in mine) if safe is not None else False
        self.starts: list[int] = []
        pos = 0
        for text in self.texts:
            self.starts.append(pos)
            pos += len(text) + 1

    def joined(self, sep: str) -> str:
        return sep.join(self.texts)

    def joined_low(self, sep: str) -> str:
        return sep.join(self.lows)


def _chunks(text: str, size: int) -> Iterator[str]:
    """Cut text into pieces of at most ``size`` chars, at whitespace when possible."""
    if len(text) <= size:
        yield text
        return
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            if cut > start:
                end = cut + 1
        yield text[start:end]
        start = end


def count_hits(hits: Iterable[MarkerHit]) -> dict[str, int]:
    """Hits per marker label, every label present."""
    counts = dict.fromkeys(MARKERS, 0)
    for h in hits:
        if h.label in counts:
            counts[h.label] += 1
    return counts
