"""The real labelled conversations: loading, joining and the marker report."""

from __future__ import annotations

import pytest

from effortnlp import realdata
from effortnlp.markers import MarkerFinder

DATA = realdata.real_data_dir()
needs_data = pytest.mark.skipif(DATA is None, reason="../shared/data/real not present")


def test_real_data_dir_env_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("EFFORTNLP_REAL_DATA", str(tmp_path))
    got = realdata.real_data_dir()
    assert got is None or got != tmp_path


def test_main_without_data_exits_zero(monkeypatch, capsys):
    monkeypatch.setattr(realdata, "real_data_dir", lambda: None)
    assert realdata.main([]) == 0
    assert "not found" in capsys.readouterr().out


def test_marker_report_counts():
    from effortnlp.schema import Ticket, Turn

    class Fake:
        def find(self, ticket):
            from effortnlp.schema import MarkerHit

            return [MarkerHit("TRANSFER", "x", 0, "agent", 0, 1, "x")] if ticket.ticket_id == "a" else []

    pairs = [
        (Ticket("a", (Turn("agent", "x"),)), {"transfer": True}),
        (Ticket("b", (Turn("agent", "x"),)), {"transfer": True}),
        (Ticket("c", (Turn("agent", "x"),)), {"transfer": False}),
    ]
    rep = realdata.marker_report(Fake(), pairs)
    assert rep["transfer"]["tp"] == 1 and rep["transfer"]["fn"] == 1 and rep["transfer"]["fp"] == 0
    assert rep["transfer"]["precision"] == 1.0 and rep["transfer"]["recall"] == 0.5


def test_fire_rates_shares():
    from effortnlp.schema import MarkerHit, Ticket, Turn

    class Fake:
        def find(self, ticket):
            return [MarkerHit("TRANSFER", "r1", 0, "agent", 0, 1, "x")] * 2 if ticket.ticket_id == "a" else []

    tickets = [Ticket(i, (Turn("agent", "x"),)) for i in ("a", "b", "c", "d")]
    n, labels, rules = realdata.fire_rates(Fake(), tickets)
    assert n == 4 and labels == {"TRANSFER": 0.25} and rules == {"r1": 0.25}
    assert realdata.fire_rates(Fake(), []) == (0, {}, {})


@pytest.mark.real
@needs_data
def test_load_labelled_joins_all():
    pairs = realdata.load_labelled(DATA)
    assert len(pairs) == 100
    for ticket, label in pairs:
        assert ticket.turns and all(t.speaker in ("customer", "agent", "system") for t in ticket.turns)
        assert ticket.ticket_id.endswith(str(label["id"]))


@pytest.mark.real
@needs_data
def test_report_on_real_data():
    pairs = realdata.load_labelled(DATA)
    rep = realdata.marker_report(MarkerFinder(), pairs)
    assert set(rep) == set(realdata.LABELLED)
    assert rep["channel_switch"]["f1"] >= 0.75
    assert rep["transfer"]["f1"] >= 0.8 and rep["repeat_contact"]["f1"] >= 0.68


SUMMARY_CASES = [
    ("transfer", "Agent says they will escalate it to the billing team.", True),
    ("transfer", "Agent asks the customer to contact their bank about the charge.", True),
    ("transfer", "Agent asks to DM the order number.", False),
    ("repeat_contact", "Customer says they have already called twice.", True),
    ("repeat_contact", "Agent says they will get back with an update.", True),
    ("repeat_contact", "Customer asks how to reset a password.", False),
    ("repeat_info", "Customer says they already provided the order number.", True),
    ("repeat_info", "Agent asks for the order number.", False),
    ("channel_switch", "Agent asks to DM the account email.", True),
    ("channel_switch", "Agent explains the refund policy.", False),
]


@pytest.mark.parametrize("col,summary,expected", SUMMARY_CASES)
def test_summary_cues(col, summary, expected):
    assert (realdata.summary_votes([summary])[col] == 1.0) is expected


def test_summary_probe_on_fake_dir(tmp_path):
    import json

    from effortnlp.schema import MarkerHit

    folder = tmp_path / "tweetsumm"
    folder.mkdir()
    rows = [
        {"conversation_id": "a", "turns": [{"turn_index": 0, "speaker": "agent", "text": "x"}],
         "abstractive_summaries": ["Agent will escalate to the tech team.", "Agent escalates it."]},
        {"conversation_id": "b", "turns": [{"turn_index": 0, "speaker": "agent", "text": "x"}],
         "abstractive_summaries": ["Agent explains the policy.", "Agent answers."]},
        {"conversation_id": "c", "turns": [{"turn_index": 0, "speaker": "agent", "text": "x"}],
         "abstractive_summaries": ["Agent will escalate.", "Agent answers."]},
        {"conversation_id": "d", "turns": [{"turn_index": 0, "speaker": "agent", "text": "x"}],
         "abstractive_summaries": ["Agent escalates."]},
    ]
    (folder / "dialogs.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")

    class Fake:
        def find(self, ticket):
            fires = ticket.ticket_id in ("tweetsumm:b", "tweetsumm:c")
            return [MarkerHit("TRANSFER", "x", 0, "agent", 0, 1, "x")] if fires else []

    probe = realdata.summary_probe(Fake(), tmp_path, exclude={"tweetsumm:d"})
    t = probe["transfer"]
    # a and c are weak positives (half or more of the summaries), b a weak negative, d excluded.
    assert (t["pos"], t["neg"], t["tp"], t["fp"]) == (2, 1, 1, 1)
    assert t["miss_ids"] == ["tweetsumm:a"] and t["extra_ids"] == ["tweetsumm:b"]
    assert t["recall"] == 0.5 and t["precision"] == 0.5
    assert "transfer" in realdata.format_probe(probe)


@pytest.mark.real
@needs_data
def test_probe_on_real_data_runs():
    pairs = realdata.load_labelled(DATA)
    probe = realdata.summary_probe(MarkerFinder.shared(), DATA, exclude={t.ticket_id for t, _ in pairs})
    assert probe["transfer"]["pos"] > 50 and probe["channel_switch"]["recall"] >= 0.7
    assert probe["transfer"]["recall"] >= 0.75


def _fake_real_dir(tmp_path):
    import json

    folder = tmp_path / "tweetsumm"
    folder.mkdir()
    rows = [
        {"conversation_id": "a", "turns": [{"turn_index": 0, "speaker": "customer", "text": "my router is down"},
                                           {"turn_index": 1, "speaker": "agent", "text": "we'll pass this to our tech team"}]},
        {"conversation_id": "b", "turns": [{"turn_index": 0, "speaker": "customer", "text": "thanks, all fixed"}]},
        {"conversation_id": "c", "turns": [{"turn_index": 0, "speaker": "customer", "text": "hello"}]},
    ]
    (folder / "dialogs.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return tmp_path


def test_load_labelled_other_file_with_prefixed_ids(tmp_path):
    import json

    d = _fake_real_dir(tmp_path)
    labels = tmp_path / "mine.jsonl"
    labels.write_text(
        "\n".join(json.dumps(r) for r in [
            {"id": "tweetsumm:b", "transfer": False, "ces": 7},
            {"source": "tweetsumm", "id": "a", "transfer": True, "ces": 3},
            {"id": "tweetsumm:zzz", "transfer": True, "ces": 1},  # no such dialog: left out
        ]),
        encoding="utf-8",
    )
    pairs = realdata.load_labelled(d, labels)
    assert [t.ticket_id for t, _ in pairs] == ["tweetsumm:b", "tweetsumm:a"]


def test_ces_rank_orders_prior_scores(tmp_path):
    import json

    d = _fake_real_dir(tmp_path)
    labels = tmp_path / "mine.jsonl"
    rows = [{"id": "tweetsumm:a", "ces": 2}, {"id": "tweetsumm:b", "ces": 7}, {"id": "tweetsumm:c", "ces": 6}]
    labels.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    pairs = realdata.load_labelled(d, labels)
    r = realdata.ces_rank(MarkerFinder.shared(), pairs)
    # the handed-over ticket scores lowest, as labelled; the other two tie on the prior
    assert r is not None and r["rho"] > 0.5
    assert realdata.ces_rank(MarkerFinder.shared(), pairs[:2]) is None
    assert "Spearman" in realdata.format_ces(MarkerFinder.shared(), pairs)
