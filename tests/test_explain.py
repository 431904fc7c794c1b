"""Drivers: contributions in CES points, backed by the hits that produced them."""

import pytest
from conftest import make_ticket

from effortnlp import EffortAnalyzer, read_tickets
from effortnlp.schema import Ticket, Turn

BAD = make_ticket(
    "bad",
    ("customer", "This is the third time I'm contacting you about this and I'm really frustrated."),
    ("agent", "I'm sorry. I'll pass this to our billing team, they will get back to you."),
    ("customer", "As I already said, I gave you my order number twice. Still not sorted."),
)
GOOD = make_ticket("good", ("customer", "How do I reset my password?"), ("agent", "Use the link on the login page."), ("customer", "Worked, thanks!"))


@pytest.fixture(scope="module", params=["prior", "synthetic"])
def analyzer(request):
    from effortnlp.analyzer import MODEL_DIR

    return EffortAnalyzer.load(MODEL_DIR / request.param)


def test_drivers_add_up_to_score_minus_baseline(analyzer):
    r = analyzer.explain(BAD)
    assert r.drivers
    assert sum(d.contribution for d in r.drivers) == pytest.approx(r.ces - r.baseline_ces, abs=0.05 * len(r.drivers) + 1e-6)


def test_effort_markers_lower_the_score_and_carry_evidence(analyzer):
    bad, good = analyzer.explain(BAD), analyzer.explain(GOOD)
    assert bad.ces < good.ces
    assert bad.p_high > good.p_high
    by_name = {d.name: d for d in bad.drivers}
    assert by_name["repeat_contact"].contribution < 0
    hit = by_name["repeat_contact"].hits[0]
    assert hit.turn == 0 and "third time" in hit.text.lower()


def test_saturated_score_still_has_drivers():
    """A ticket at the floor (CES 1) must still say why."""
    prior = EffortAnalyzer.prior()
    r = prior.explain(BAD)
    assert r.ces == pytest.approx(1.0) or r.ces < 2.5
    assert len([d for d in r.drivers if d.contribution < 0]) >= 3


def test_empty_ticket_is_scored_and_flagged(analyzer):
    results = list(analyzer.score([Ticket("e", ()), Ticket("w", (Turn("customer", "  \n "),))]))
    assert [r.ticket_id for r in results] == ["e", "w"]
    assert all(r.empty for r in results)
    assert all(1 <= r.ces <= 7 for r in results)


def test_public_api_streams_results_in_input_order(tmp_path):
    path = tmp_path / "t.jsonl"
    import json

    path.write_text("".join(json.dumps(t.to_dict()) + "\n" for t in (GOOD, BAD, GOOD.__class__("g2", GOOD.turns))))
    analyzer = EffortAnalyzer.load()
    results = analyzer.score(read_tickets(path))
    assert not isinstance(results, list)
    assert [r.ticket_id for r in results] == ["good", "bad", "g2"]
