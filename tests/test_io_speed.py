"""The faster featurizing, scoring, explaining and writing give exactly what the plain code gave.

Each reference below is the code as it was before the fast path replaced it,
kept here verbatim (or nearly: only names changed), and compared on synthetic
tickets, fuzzed values and hand-made edge cases. Nothing is timed.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import math
import random
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from effortnlp import batch
from effortnlp.analyzer import MODEL_DIR, EffortAnalyzer
from effortnlp.explain import (
    _GROUP_LABEL,
    MIN_CONTRIBUTION,
    _group_value,
    score_batch,
)
from effortnlp.features import (
    COUNT_CAP,
    DESCRIPTIONS,
    FEATURE_GROUPS,
    FEATURE_NAMES,
    NEUTRAL,
    featurize,
)
from effortnlp.model import EffortModel, PriorModel, _matrix, load_model
from effortnlp.schema import (
    MARKERS,
    Driver,
    EffortResult,
    MarkerHit,
    Ticket,
    Turn,
    band_for,
    marker_column,
)
from effortnlp.synthetic import generate_tickets

# ------------------------------------------------------------------ the plain code


def _plain_featurize(ticket: Ticket, hits) -> dict[str, float]:
    shout = re.compile(r"\b[A-Z]{3,}\b")
    counts = dict.fromkeys(MARKERS, 0)
    for h in hits:
        if h.label in counts:
            counts[h.label] += 1
    feats: dict[str, float] = {}
    for m in MARKERS:
        col = marker_column(m)
        feats[f"{col}_count"] = float(min(counts[m], COUNT_CAP))
        feats[f"{col}_any"] = 1.0 if counts[m] else 0.0
    customer_turns = customer_words = exclamations = shouting = 0
    agents: set[str] = set()
    for t in ticket.turns:
        if t.speaker == "customer":
            customer_turns += 1
            customer_words += len(t.text.split())
            exclamations += t.text.count("!")
            shouting += len(shout.findall(t.text))
        elif t.speaker == "agent" and t.agent_name and not t.is_bot:
            agents.add(t.agent_name.strip().lower())
    feats["customer_turns_log"] = math.log1p(customer_turns)
    feats["customer_words_log"] = math.log1p(customer_words)
    feats["extra_agents"] = float(min(max(len(agents) - 1, 0), COUNT_CAP))
    feats["exclamations"] = float(min(exclamations, 5))
    feats["shouting"] = float(min(shouting, 5))
    return feats


def _plain_matrix(feature_dicts) -> np.ndarray:
    return np.array([[d.get(f, 0.0) for f in FEATURE_NAMES] for d in feature_dicts], dtype=float)


def _plain_score_batch(model, tickets, hits_list, feats_list) -> list[EffortResult]:
    rows: list[dict[str, float]] = [dict(NEUTRAL)]
    plan: list[tuple[int, list[str]]] = []
    for feats in feats_list:
        own = len(rows)
        rows.append(feats)
        groups = [
            g for g, names in FEATURE_GROUPS.items() if any(feats[f] != NEUTRAL[f] for f in names)
        ]
        for g in groups:
            off = dict(feats)
            only = dict(NEUTRAL)
            for f in FEATURE_GROUPS[g]:
                off[f] = NEUTRAL[f]
                only[f] = feats[f]
            rows.append(off)
            rows.append(only)
        plan.append((own, groups))
    ces_all, p_all = model.predict(rows)
    baseline = float(ces_all[0])
    results = []
    for ticket, hits, feats, (own, groups) in zip(tickets, hits_list, feats_list, plan, strict=True):
        ces = float(ces_all[own])
        counts = dict.fromkeys(MARKERS, 0)
        for h in hits:
            if h.label in counts:
                counts[h.label] += 1
        raw = [
            0.5 * ((ces - float(ces_all[own + 2 * k + 1])) + (float(ces_all[own + 2 * k + 2]) - baseline))
            for k in range(len(groups))
        ]
        total = ces - baseline
        scale = total / sum(raw) if abs(sum(raw)) > 1e-9 and total * sum(raw) > 0 else 1.0
        drivers = []
        for g, r in zip(groups, raw, strict=True):
            contribution = r * scale
            if abs(contribution) < MIN_CONTRIBUTION:
                continue
            label = _GROUP_LABEL.get(g)
            evidence = tuple(h for h in hits if h.label == label) if label else ()
            if g == "agents_involved":
                evidence = tuple(h for h in hits if h.label == "TRANSFER" and h.source != "rule")
            drivers.append(Driver(g, contribution, _group_value(g, feats, counts), evidence,
                                  DESCRIPTIONS.get(g, "")))
        drivers.sort(key=lambda d: (d.contribution, d.name))
        results.append(EffortResult(ticket.ticket_id, ces, band_for(ces), float(p_all[own]), counts,
                                    tuple(drivers), tuple(hits), ticket.is_empty, baseline,
                                    len(ticket.turns)))
    return results


def _plain_drivers_cell(result: EffortResult, top: int) -> str:
    return json.dumps([d.to_cell() for d in result.drivers[:top]], separators=(",", ":"),
                      ensure_ascii=False)


def _plain_format_rows(rows, fmt: str) -> bytes:
    if fmt == "jsonl":
        return "".join(
            json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
        ).encode("utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow([batch._cell(r.get(c)) for c in batch.OUTPUT_COLUMNS])
    return buf.getvalue().encode("utf-8")


# ------------------------------------------------------------------ inputs


def _result_key(r: EffortResult) -> str:
    # repr: floats to the last bit (and NaN equal to itself), hits and drivers in full
    return repr((r.ticket_id, r.ces, r.band, r.p_high, r.counts, r.empty, r.baseline_ces, r.n_turns,
                 [(d.name, d.contribution, d.value, d.hits, d.description) for d in r.drivers],
                 r.hits))


AWKWARD_TEXTS = [
    "",
    "   ",
    "THIS IS UNACCEPTABLE!!! I WANT A REFUND",
    "all lower case, still waiting on hold",
    "ǅungla ABC abc",  # a titlecase letter: not islower()
    "ÀBC ÉTÉ ABC_DEF ABC1 1ABC",  # accents, underscores and digits at the word edges
    "ＡＢＣ fullwidth capitals",
    "İSTANBUL ŞİMDİ OK",
    "emoji 😀 ABC 😀",
    "AB CD EF",  # pairs of capitals, no shout
    "x" * 5000 + " WHY " * 200,
    "\u202eRTL OVERRIDE\u202c and\x00NUL",
    "tab\tSEPARATED\ttext\nNEWLINE",
]


def _hand_tickets() -> list[Ticket]:
    out = []
    for i, text in enumerate(AWKWARD_TEXTS):
        out.append(Ticket(f"h{i}", (Turn("customer", text), Turn("agent", text, agent_name=f" Ann{i % 2} "),
                                    Turn("agent", text, agent_name="Bob", is_bot=True),
                                    Turn("system", text), Turn("agent", "", agent_name="ann0"))))
    out.append(Ticket("empty", ()))
    out.append(Ticket("agents", tuple(Turn("agent", "hi", agent_name=n) for n in ("A", "B", "C", "D", "E", " a "))))
    out.append(Ticket("odd-speaker", (Turn("Customer", "I AM SHOUTING"), Turn("bot", "ABC"))))
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Synthetic tickets read as ``effortnlp score`` reads them, hand-made ones, and their hits."""
    from effortnlp.io import read_tickets
    from effortnlp.markers import MarkerFinder

    path = tmp_path_factory.mktemp("speed") / "synthetic.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in generate_tickets(120, seed=21)))
    tickets = list(read_tickets(path)) + _hand_tickets()
    finder = MarkerFinder.shared()
    hits = [finder.find(t) for t in tickets]
    # Made-up hits too: every label, some repeated, one unknown label, transfers of every source.
    extra = [
        MarkerHit(label, f"r{k}", 0, "customer", 0, 3, "ABC " * k, source=src)
        for k, (label, src) in enumerate(
            [(m, "rule") for m in MARKERS] + [("TRANSFER", "crossturn"), ("TRANSFER", "metadata"),
                                             ("REPEAT_INFO", "rule"), ("NOT_A_LABEL", "rule")]
        )
    ]
    for i in range(0, len(hits), 7):
        hits[i] = hits[i] + extra[: i % len(extra) + 1]
    return tickets, hits


MODELS = ["prior", "default", "synthetic"]
_MODELS = {name: load_model(MODEL_DIR / name) for name in MODELS}


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    return load_model(MODEL_DIR / request.param)


# ------------------------------------------------------------------ features


def test_featurize_equals_the_plain_code(corpus):
    tickets, hits = corpus
    for t, h in zip(tickets, hits, strict=True):
        fast, slow = featurize(t, h), _plain_featurize(t, h)
        assert list(fast.items()) == list(slow.items()), t.ticket_id


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["customer", "agent", "system"]),
                          st.one_of(st.text(max_size=40),
                                    st.text(alphabet="ABCabc !_1ǅÀ\n", max_size=30)),
                          st.one_of(st.none(), st.text(alphabet="AaBb ", max_size=4)),
                          st.booleans()),
                max_size=8))
def test_featurize_equals_the_plain_code_on_fuzzed_turns(turns):
    ticket = Ticket("f", tuple(Turn(s, text, agent_name=a, is_bot=b) for s, text, a, b in turns))
    assert list(featurize(ticket, []).items()) == list(_plain_featurize(ticket, []).items())


# ------------------------------------------------------------------ models and drivers


def test_matrix_equals_the_plain_code():
    rows = [dict(NEUTRAL), {"transfer_count": 2.0}, {}, {"unknown": 5.0, "shouting": -0.0},
            {f: float(i) for i, f in enumerate(FEATURE_NAMES)}]
    for subset in (rows, rows[:1], rows[1:3], []):
        fast, slow = _matrix(subset), _plain_matrix(subset)
        assert fast.shape == slow.shape or (not subset and fast.size == slow.size == 0)
        assert fast.tobytes() == slow.tobytes()


_VALUES = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 3.0, -0.0, math.log1p(1), math.log1p(25)]),
                    st.floats(-10, 10, allow_nan=False), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.fixed_dictionaries({f: _VALUES for f in FEATURE_NAMES}), min_size=1, max_size=12))
def test_predict_matrix_equals_predict(rows):
    for name in MODELS:
        model = _MODELS[name]
        a, b = _outcome(model.predict, rows), _outcome(model.predict_matrix, _plain_matrix(rows))
        assert a == b, name


def _outcome(f, *args):
    """What a call gives, as bytes, or the type of error it raises (NaN into scikit-learn)."""
    try:
        return [np.asarray(x).tobytes() for x in f(*args)]
    except ValueError as exc:
        return type(exc)


def test_score_batch_equals_the_plain_code(corpus, model):
    tickets, hits = corpus
    feats = [featurize(t, h) for t, h in zip(tickets, hits, strict=True)]
    for lo, hi in ((0, len(tickets)), (0, 1), (5, 6), (3, 40)):
        fast = score_batch(model, tickets[lo:hi], hits[lo:hi], feats[lo:hi])
        slow = _plain_score_batch(model, tickets[lo:hi], hits[lo:hi], feats[lo:hi])
        assert [_result_key(r) for r in fast] == [_result_key(r) for r in slow]
    assert score_batch(model, [], [], []) == []


def test_score_batch_of_a_model_without_predict_matrix_uses_dicts(corpus):
    tickets, hits = corpus

    class DictsOnly(EffortModel):
        """A model of someone else's: ``predict`` on dicts only."""

        calls: list[list] = []

        def predict(self, feature_dicts):
            self.calls.append(list(feature_dicts))
            return PriorModel().predict(feature_dicts)

    model = DictsOnly()
    feats = [featurize(t, h) for t, h in zip(tickets, hits, strict=True)]
    fast = score_batch(model, tickets, hits, feats)
    assert model.calls and all(isinstance(r, dict) for r in model.calls[0])
    assert [_result_key(r) for r in fast] == [
        _result_key(r) for r in _plain_score_batch(PriorModel(), tickets, hits, feats)
    ]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.fixed_dictionaries({f: _VALUES for f in FEATURE_NAMES}), min_size=1, max_size=6))
def test_score_batch_equals_the_plain_code_on_fuzzed_features(feats):
    tickets = [Ticket(f"t{i}", (Turn("customer", "x"),)) for i in range(len(feats))]
    hits: list[list[MarkerHit]] = [[] for _ in feats]
    for name in MODELS:
        model = _MODELS[name]
        fast = _outcome_of_batch(score_batch, model, tickets, hits, feats)
        slow = _outcome_of_batch(_plain_score_batch, model, tickets, hits, feats)
        assert fast == slow, name


def _outcome_of_batch(f, *args):
    try:
        return [_result_key(r) for r in f(*args)]
    except (ValueError, OverflowError) as exc:  # NaN into scikit-learn; round(inf) of a driver
        return type(exc)


# ------------------------------------------------------------------ rows and writing


def test_rows_and_written_bytes_equal_the_plain_code(corpus):
    tickets, hits = corpus
    analyzer = EffortAnalyzer.load(MODEL_DIR / "default")
    results = analyzer.score_many(tickets)
    # quotes with every kind of text: unicode, quotes, newlines, long ones
    odd = Driver("frustration", -1.23456, 2.0, (MarkerHit("FRUSTRATION", "r", 1, "customer", 0, 9,
                                                        'say "hi",\n\tcafé 😀 ' + "x" * 300),))
    results.append(EffortResult("odd,\"id\"\n", 2.5, "high", 0.123456, {"WAIT": 2, "OTHER": 1},
                                (odd, odd), (), True, 6.0, 3))
    for top in (0, 1, 3, 10):
        rows = [r.to_row(top=top) for r in results]
        for r, row in zip(results, rows, strict=True):
            assert row["drivers"] == _plain_drivers_cell(r, top)
        for fmt in ("csv", "jsonl"):
            assert batch.format_rows(rows, fmt) == _plain_format_rows(rows, fmt)
    assert batch.format_rows([], "jsonl") == _plain_format_rows([], "jsonl") == b""


# ------------------------------------------------------------------ the run around it


def test_gc_is_frozen_only_while_scoring_and_left_as_found(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in generate_tickets(3, seed=2)))
    spec = batch.ScoreSpec(prior=True)
    seen = []
    real = batch.process

    def spy(work, spec):
        seen.append((gc.get_freeze_count() > 0, gc.isenabled()))
        return real(work, spec)

    assert gc.get_freeze_count() == 0
    with pytest.MonkeyPatch.context() as m:
        m.setattr(batch, "process", spy)
        batch.score_file(str(path), str(tmp_path / "a.csv"), spec=spec, n_process=1, quiet=True)
        assert seen == [(True, True)] and gc.get_freeze_count() == 0
        # a caller's own frozen objects, or a disabled GC, are left alone
        gc.freeze()
        try:
            frozen = gc.get_freeze_count()
            batch.score_file(str(path), str(tmp_path / "b.csv"), spec=spec, n_process=1, quiet=True)
            assert gc.get_freeze_count() == frozen
        finally:
            gc.unfreeze()
        gc.disable()
        try:
            batch.score_file(str(path), str(tmp_path / "c.csv"), spec=spec, n_process=1, quiet=True)
            assert gc.get_freeze_count() == 0 and not gc.isenabled()
        finally:
            gc.enable()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes() == (
        tmp_path / "c.csv"
    ).read_bytes()


def test_workers_inherit_the_repeat_index_and_score_as_one_process(tmp_path):
    recs = list(generate_tickets(40, seed=4))
    for i, r in enumerate(recs):  # the same requester back within days, in shuffled order
        r["customer_id"] = f"C{i % 5}"
        r["created_at"] = f"2024-03-{1 + (i * 7) % 20:02d}T10:00:00Z"
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    spec = batch.ScoreSpec(prior=True, columns=(("repeat_window", "7d"),), chunk_size=7)
    outs = []
    for n in (1, 2):
        out = tmp_path / f"n{n}.jsonl"
        batch.score_file(str(path), str(out), spec=spec, n_process=n, quiet=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b'"repeat_contact":0' in outs[0] and b'"repeat_contact":1' in outs[0]


# -- the repeat-contact index pass reads only what the index needs ------------------------------


def _index_both_ways(path):
    from effortnlp.io.readers import ColumnOptions, _drop, _read_all, _resolve
    from effortnlp.io.repeats import RepeatIndex, parse_window

    options = ColumnOptions.from_kwargs({})
    out = []
    for for_index in (False, True):
        sources, is_dir = _resolve(path, None)
        tickets = _read_all(sources, is_dir, None, options, _drop, 10_000, for_index=for_index)
        out.append(RepeatIndex.build(tickets, parse_window("7d")).links)
    return out


def _repeat_records():
    """Tickets of a few requesters, close in time, in every turn shape the reader takes."""
    base = [
        {"ticket_id": "a1", "customer_id": "C1", "created_at": "2024-03-01T09:00:00Z",
         "turns": [{"speaker": "customer", "text": "hi", "timestamp": " 2024-03-01T09:00:00Z "}]},
        {"ticket_id": "a2", "customer_id": "C1",
         "turns": [{"speaker": "customer", "text": "again", "timestamp": "2024-03-02T09:00:00Z", "channel": " email "}]},
        {"ticket_id": "a3", "email": "X@Example.com", "turns": [{"user": "again", "timestamp": "2024-03-03T09:00:00Z"}]},
        {"ticket_id": "a4", "email": "x@example.com", "channel": "chat",
         "turns": [{"speaker": "agent", "text": "hello", "timestamp": 1709542800, "meta": {"k": 1}},
                   "Customer: still broken"]},
        {"ticket_id": "a5", "customer_id": "C1", "turns": ["Customer: third time", {"speaker": "agent", "text": "ok"}],
         "created_at": "2024-03-04T10:00:00Z"},
        {"ticket_id": "a6", "customer_id": "C1", "turns": [], "created_at": "2024-03-05T10:00:00Z"},
        {"ticket_id": "a7", "customer_id": "C1", "turns": [{"speaker": "customer", "text": "x"}, 5]},
        {"ticket_id": "a8", "customer_id": "C1", "turns": "not a list", "created_at": "2024-03-05T11:00:00Z"},
        {"ticket_id": "a9", "customer_id": "C1", "followup_of": "a1",
         "turns": [{"speaker": "customer", "text": "follow", "timestamp": "  "}], "created_at": "2024-03-06T10:00:00Z"},
        {"ticket_id": "a1", "customer_id": "C2", "turns": [{"speaker": "customer", "text": "dup"}]},
        {"ticket_id": "b1", "meta": {"requester": {"id": "u9", "email": None, "phone": None, "name": None}},
         "turns": [{"speaker": "customer", "text": "hi", "timestamp": "2024-03-01T09:00:00Z"}]},
        {"ticket_id": "b2", "meta": {"requester": {"id": "u9", "email": None, "phone": None, "name": None}},
         "turns": [{"speaker": "customer", "text": "hi", "timestamp": "2024-03-03T09:00:00Z"}]},
        {"ticket_id": "c1", "customer_id": "C3",
         "turns": [{"speaker": "customer", "text": "hi", "timestamp": "2024-04-01T09:00:00Z", "channel": "chat"},
                   {"speaker": "agent", "text": "later", "timestamp": "2024-04-20T09:00:00Z", "channel": "email"}]},
        {"ticket_id": "c2", "customer_id": "C3",
         "turns": [{"speaker": "customer", "text": "again", "timestamp": "2024-04-05T09:00:00Z"},
                   {"speaker": "agent", "text": "ok", "timestamp": "2024-04-30T09:00:00Z"}]},
    ]
    return base


def test_index_pass_equals_the_full_read(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _repeat_records()) + "not json\n[1]\n{}\n")
    full, light = _index_both_ways(path)
    assert full == light
    assert len(full) >= 4  # the records do link


def test_index_pass_equals_the_full_read_synthetic(tmp_path):
    from effortnlp.synthetic import generate_tickets

    rng = random.Random(5)
    rows = []
    for t in generate_tickets(150, 11):
        t = dict(t)
        t["customer_id"] = f"C{rng.randint(1, 12)}"  # few requesters: many links
        t["created_at"] = f"2024-03-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
        rows.append(t)
    path = tmp_path / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    full, light = _index_both_ways(path)
    assert full == light and len(full) > 50


# -- the index pass keeps only the metadata the index reads ------------------------------------


class _Reads(dict):
    """A dict that records the keys read from it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def test_link_fields_are_every_key_the_index_reads():
    from effortnlp.io import ticketmeta as tm
    from effortnlp.io.repeats import RepeatIndex, parse_window
    from effortnlp.schema import Ticket, Turn

    for meta in ({}, {"requester": {"id": "1"}}, {"customer_id": "", "email": "a@b.c", "phone": "123456"}):
        reads = _Reads(meta)
        RepeatIndex.build([Ticket("t", (Turn("customer", "x", None, None),), reads)], parse_window("7d"))
        assert reads.read <= tm.LINK_FIELDS
    assert {tm.CHANNEL, tm.REQUESTER, tm.VENDOR, tm.FOLLOWUP_OF, "customer_id", "created_at"} <= tm.LINK_FIELDS


_META_KEYS = ["channel", "requester", "vendor", "followup_of", "customer_id", "email", "phone", "created_at",
              "timestamp", "via_followup_source_id", "ticket_id", "id", "company", "ces", "meta", "turns"]
_META_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2_000_000_000), st.floats(allow_nan=True),
    st.sampled_from(["", " ", "C1", "x@Example.com", "+1 555 0100", "2024-03-01T09:00:00Z", "1709542800",
                     "chat", "a1", "\ufffd"]),
    st.lists(st.sampled_from(["a1", "", None, 3]), max_size=3),
    st.fixed_dictionaries({}, optional={"id": st.sampled_from(["u1", None, ""]),
                                        "email": st.sampled_from(["x@y.z", None])}),
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(_META_KEYS), _META_VALUES, max_size=8),
    st.dictionaries(st.sampled_from(_META_KEYS), _META_VALUES, max_size=5) | st.none() | st.just("x"),
    st.sampled_from([None, "ticket_id", "id", "customer_id"]),
)
def test_link_meta_equals_the_full_meta_on_the_link_fields(record, inner, id_key):
    from effortnlp.io import readers
    from effortnlp.io import ticketmeta as tm

    if inner is not None:
        record = {**record, "meta": inner}
    full = readers._record_meta(record, id_key)
    light = readers._link_meta(record, id_key)
    assert set(light) <= tm.LINK_FIELDS

    def same(a, b):  # NaN is NaN
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))

    assert all(same(full.get(k), light.get(k)) for k in tm.LINK_FIELDS)
    assert {k for k in full if k in tm.LINK_FIELDS} == set(light)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(['\\', 'u', 'd', '8', '0', 'D', 'a', 'f', 'x', ' ', '"']), max_size=30))
def test_surrogate_escape_check_is_the_regex(text):
    from effortnlp.io.text import _SURROGATE_ESCAPE, has_surrogate_escape

    assert has_surrogate_escape(text) == (_SURROGATE_ESCAPE.search(text) is not None)


def test_index_pass_equals_the_full_read_hostile_meta(tmp_path):
    rows = [
        {"ticket_id": "h1", "customer_id": "C1", "created_at": "2024-03-01T09:00:00Z", "ces": float("nan"),
         "turns": [{"speaker": "customer", "text": "hi"}]},
        {"ticket_id": "h2", "meta": {"customer_id": "C1", "created_at": "2024-03-02T09:00:00Z"},
         "customer_id": "C1", "turns": [{"speaker": "customer", "text": "again"}]},
        {"ticket_id": "h3", "meta": {"customer_id": "C1"}, "created_at": float("nan"),
         "turns": [{"speaker": "customer", "text": "x", "timestamp": "2024-03-02T10:00:00Z"}]},
        {"ticket_id": "h4", "meta": "not an object", "customer_id": "C1", "channel": float("nan"),
         "turns": [{"speaker": "customer", "text": "x", "timestamp": "2024-03-02T11:00:00Z", "channel": "web"}]},
        {"id": "h5", "customer_id": "C\ud800", "created_at": "2024-03-02T12:00:00Z", "turns": []},
        {"ticket_id": "h6", "customer_id": "C\udfff", "created_at": "2024-03-02T13:00:00Z", "turns": []},
        {"ticket_id": "h7", "followup_of": ["h1", 2.0, None], "turns": []},
    ]
    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    full, light = _index_both_ways(path)
    assert full == light
    assert full["h2"] and full["h6"] and full["h7"]


# -- drivers and results built without the frozen dataclasses' __init__ --------------------------


def test_fast_built_drivers_and_results_are_the_real_ones(corpus, model):
    import dataclasses

    from effortnlp import explain

    assert explain._new_driver is explain._new_driver_fast
    assert explain._new_result is explain._new_result_fast
    tickets, hits = corpus
    feats = [featurize(t, h) for t, h in zip(tickets, hits, strict=True)]
    results = score_batch(model, tickets, hits, feats)
    assert any(r.drivers for r in results)
    for r in results:
        for obj, cls in [(r, EffortResult), *((d, Driver) for d in r.drivers)]:
            values = [getattr(obj, f.name) for f in dataclasses.fields(cls)]
            assert type(obj) is cls and obj == cls(*values) and repr(obj) == repr(cls(*values))
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(obj, dataclasses.fields(cls)[1].name, 1.0)
    # A fast constructor that does not match its class (a field added, renamed...) is not used.
    assert explain._checked(lambda name, contribution, value, hits: None, Driver) is Driver
    assert explain._checked(explain._new_driver_fast, EffortResult) is EffortResult


_SPACES = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u2029\u3000\ufeff\u200bax"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_SPACES), max_size=8))
def test_blank_line_checks_are_strip(text):
    # The readers tell blank lines by ``isspace`` (no copy of the line) where they used ``strip``.
    assert (not text.strip()) == (not text or text.isspace())
    raw = text.encode("utf-8")
    assert (not raw.strip()) == (not raw or raw.isspace())


_TURN_FIELD = st.one_of(st.none(), st.sampled_from(["", " ", "chat", " Ann ", "2024-01-01T10:00:00Z"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries(
    {"text": st.one_of(st.none(), st.text(" ab!\n", max_size=5))},
    optional={"speaker": st.sampled_from(["customer", "Agent (Sam)", "bot", "Sarah", "", None]),
              "timestamp": _TURN_FIELD, "channel": _TURN_FIELD, "agent_name": _TURN_FIELD,
              "is_bot": st.sampled_from([True, False, "true", None])}), max_size=8))
def test_plain_nested_turns_inlined_equal_new_turn(turns):
    from effortnlp.io import readers

    assert readers._INLINE_NEW_TURN
    inlined = readers._plain_nested_turns(turns)
    readers._INLINE_NEW_TURN = False
    try:
        called = readers._plain_nested_turns(turns)
    finally:
        readers._INLINE_NEW_TURN = True
    assert inlined is not None and called is not None
    assert [(t, t.meta, type(t), repr(t)) for t in inlined] == [(t, t.meta, type(t), repr(t)) for t in called]
    assert all(t.meta is not u.meta for t, u in zip(inlined[1:], inlined, strict=False))  # one dict each
