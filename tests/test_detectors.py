"""Cross-turn detectors: agent changes, re-asked information, endings."""

from __future__ import annotations

import pytest

from effortnlp.markers import MarkerFinder
from effortnlp.schema import Ticket, Turn


@pytest.fixture(scope="module")
def finder() -> MarkerFinder:
    return MarkerFinder()


def ticket(*turns: Turn) -> Ticket:
    return Ticket("t1", tuple(turns))


def C(text: str) -> Turn:
    return Turn("customer", text)


def A(text: str, name: str | None = None) -> Turn:
    return Turn("agent", text, agent_name=name)


def crossturn(finder, t: Ticket, label: str):
    return [h for h in finder.find(t) if h.source == "crossturn" and h.label == label]


def test_agent_name_change_is_transfer(finder):
    t = ticket(C("My card was declined."), A("Let me check.", "Sam"), C("ok"), A("Hello, looking now.", "Ana"))
    hits = crossturn(finder, t, "TRANSFER")
    assert [h.turn for h in hits] == [3]
    assert hits[0].rule_id == "crossturn.agent_change"


def test_same_agent_name_is_not_transfer(finder):
    t = ticket(C("Hi"), A("Hello", "Sam"), C("ok"), A("Done", "Sam"))
    assert crossturn(finder, t, "TRANSFER") == []


def test_new_agent_introduction_is_transfer(finder):
    t = ticket(C("Refund please"), A("Sure, one moment."), C("?"), A("Hi, this is Priya from billing. I can help."))
    hits = crossturn(finder, t, "TRANSFER")
    assert [h.turn for h in hits] == [3] and hits[0].detail["agent"] == "Priya"


def test_first_agent_introduction_is_not_transfer(finder):
    t = ticket(C("Refund please"), A("Hi, this is Priya from billing. I can help."))
    assert crossturn(finder, t, "TRANSFER") == []


@pytest.mark.parametrize(
    ("given", "ask", "slot"),
    [
        ("My order number is 88412093 and it never came.", "Could you share your order number?", "order_number"),
        ("You can reach me at jo@example.com", "What is the email address on the account?", "email"),
        ("Booking reference ABC123X, flight tomorrow.", "Can you DM us your booking reference?", "booking_reference"),
        ("My phone number is 0207 946 0958.", "Please send us your phone number.", "phone"),
        ("It happens on my PS4 every time.", "Which platform are you playing on?", "device"),
    ],
)
def test_reasked_slot_cites_earlier_turn(finder, given, ask, slot):
    t = ticket(C(given), A("Sorry to hear that."), C("Any news?"), A(ask))
    hits = crossturn(finder, t, "REPEAT_INFO")
    assert hits, (given, ask)
    assert hits[0].turn == 3 and hits[0].detail == {"cited_turn": 0, "slot": slot}


def test_asked_first_then_given_is_not_repeat(finder):
    t = ticket(C("Where is my parcel?"), A("Could you share your order number?"), C("Order number 88412093"))
    assert crossturn(finder, t, "REPEAT_INFO") == []


def test_email_as_field_value_without_reask(finder):
    t = ticket(C("Name: Jo Bloggs\nEmail: jo@example.com\nIssue: login fails"), A("Thanks Jo, resetting your login now."))
    assert crossturn(finder, t, "REPEAT_INFO") == []


def test_repeated_customer_message(finder):
    msg = "My internet drops every evening around eight and the router lights go red"
    t = ticket(C(msg), A("Have you restarted it?"), C(msg + " again"))
    hits = crossturn(finder, t, "REPEAT_INFO")
    assert hits and hits[0].detail["cited_turn"] == 0


def test_unresolved_when_handed_off(finder):
    t = ticket(C("My bill is wrong."), A("Please DM us your account details."))
    hits = crossturn(finder, t, "UNRESOLVED")
    assert hits and hits[0].rule_id == "crossturn.unresolved_handoff"


def test_resolved_when_customer_confirms_fix(finder):
    t = ticket(C("App crashes"), A("Try reinstalling it."), C("That worked, thanks!"))
    assert crossturn(finder, t, "UNRESOLVED") == []


def test_unresolved_when_customer_still_complains(finder):
    t = ticket(C("App crashes"), A("Try reinstalling it."), C("Still crashing, this is useless"))
    hits = crossturn(finder, t, "UNRESOLVED")
    assert hits and hits[0].rule_id == "crossturn.unresolved_open_end"


def test_long_ticket_is_fast(finder):
    import time

    turns = []
    for i in range(2000):
        turns.append(C(f"order number {100000 + i} still not here, any update?"))
        turns.append(A("Could you share your order number please?", name=f"agent{i % 3}"))
    start = time.perf_counter()
    hits = finder.find(ticket(*turns))
    assert time.perf_counter() - start < 10
    assert any(h.label == "REPEAT_INFO" for h in hits)


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("My router keeps dropping wifi even after I restarted the router twice.", "Have you tried restarting the router?"),
        ("The app crashes on my Pixel phone whenever the camera opens.", "Are you using the camera on a Pixel phone?"),
    ],
)
def test_agent_reasks_content(finder, said, asked):
    t = ticket(C(said), A("Sorry about that."), C("Any ideas?"), A(asked))
    hits = [h for h in crossturn(finder, t, "REPEAT_INFO") if h.rule_id == "crossturn.reasked_content"]
    assert hits and hits[0].turn == 3 and hits[0].detail["cited_turn"] in (0, 2)


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("My router keeps dropping wifi in the evening.", "Have you tried updating the firmware?"),
        ("The router keeps dropping wifi.", "Thanks, we restarted the router on our side. Does it look better now"),
    ],
)
def test_new_question_is_not_reask(finder, said, asked):
    t = ticket(C(said), A(asked))
    assert not [h for h in crossturn(finder, t, "REPEAT_INFO") if h.rule_id == "crossturn.reasked_content"]
