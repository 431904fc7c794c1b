"""REPEAT_INFO rules and detectors: made-up sentences, positives and hard negatives."""

from __future__ import annotations

import pytest

from effortnlp.markers import MarkerFinder
from effortnlp.schema import Ticket, Turn


def rule_ids(finder: MarkerFinder, text: str, speaker: str = "customer") -> set[str]:
    return {h.rule_id for h in finder.turn_hits(text, speaker, 0) if h.label == "REPEAT_INFO"}


POSITIVES = [
    # had to explain it to several people / start over
    ("explained_to_many", "I have explained this to four different agents now."),
    ("explained_to_many", "Told my problem to like 5 of your reps and nothing."),
    ("explained_to_many", "Why do I have to repeat myself every time I ring?"),
    ("explained_to_many", "Now I need to explain the whole story to someone else."),
    ("explained_to_many", "So I'm meant to explain everything all over again?"),
    ("explained_to_many", "Not telling my story to another agent."),
    # sent / given again
    ("resent", "Ok I've sent the screenshots again, hope it works this time."),
    ("resent", "I posted it twice in the thread above."),
    ("resent", "I already gave you all the details you asked for."),
    ("resent", "i have sent you everything, what else do you want"),
    ("resent", "You should already have my phone number on file."),
    ("resent", "You have all my details, just fix it."),
    ("resent", "Here it is once again: the code on the box."),
    ("resent", "Sharing the link one more time."),
    # pointing back to what was already said
    ("refer_back", "Please refer to my previous messages, it's all there."),
    ("refer_back", "Scroll up to my first tweet."),
    ("refer_back", "Still waiting on a reply to my earlier question."),
    ("refer_back", "Can you answer my original question please"),
    ("refer_back", "Look at the screenshot again, it shows the charge."),
    ("refer_back", "Maybe read my tweet again before replying."),
    # re-explaining after being misread
    ("misread", "That's not what I asked."),
    ("misread", "That isn't what I said at all"),
    ("misread", "I'm not asking for a refund, I want the item."),
    ("misread", "But I'm asking about the Tuesday train, not Monday."),
    ("misread", "What I'm asking is whether the fee applies to me."),
    ("misread", "You misunderstood, the app opens but won't load."),
    ("misread", "you are clearly not reading what I write"),
    ("misread", "I never said the parcel was damaged."),
    ("misread", "Back to my original question: when does it ship?"),
    ("misread", "No, I'm talking about the charge from March."),
    ("as_i_said", "Ive already answered both of those questions."),
    # the information is already there
    ("already_there", "It's all in my first tweet, please read it."),
    ("already_there", "I put everything in the DM yesterday."),
    ("already_there", "As mentioned above, the card was charged twice."),
    ("already_there", "See above for the booking details."),
    ("already_there", "The serial is in the above screenshot."),
    ("explained_to_many", "Spent an hour on chat explaining the whole situation again."),
    ("refer_back", "Check the first screenshot I sent, the error is there."),
    ("refer_back", "It's the address which I gave you earlier."),
    ("refer_back", "You still haven't answered any of my questions."),
    ("refer_back", "Could you just answer my question?"),
]

AGENT_POSITIVES = [
    "Could you send us the screenshot again please?",
    "Sorry to ask again, which store was it?",
    "I know you've already provided this, but can you confirm the postcode?",
    "Please resend the confirmation email so we can check.",
    "Kindly fill in the form again using the link below.",
]

AGENT_NEGATIVES = [
    "We can resend the tickets to a different email address.",
    "Please try it again after the update.",
    "DM us again if you need anything else.",
    "We'll send the replacement again once it is back in stock.",
]


@pytest.mark.parametrize("text", AGENT_POSITIVES)
def test_agent_asks_again_positive(finder, text):
    assert rule_ids(finder, text, "agent"), text


@pytest.mark.parametrize("text", AGENT_NEGATIVES)
def test_agent_asks_again_negative(finder, text):
    assert rule_ids(finder, text, "agent") == set(), text

NEGATIVES = [
    # contacting twice is a repeat contact, not repeated information
    "I emailed them twice about it last week.",
    "I dm'd you guys three times.",
    # first explanations and ordinary questions
    "My question is, can I change the date of my flight?",
    "Do you have the number for the lost property office?",
    "If you have the address of the depot please send it.",
    "Can you send it again? The code expired.",
    "I'll check my email again later tonight.",
    "I never asked for this subscription and want a refund.",
    "I didn't ask to be upgraded.",
    "Sorry for the misunderstanding, all sorted now.",
    "Here it is, the photo of the damaged box.",
    "I read the article but it didn't help.",
    "I've explained the situation in the form.",
    "The courier was unable to clarify where the parcel is.",
    "I'll explain it to my son when he is home.",
    "What is the answer to my question about fees?",
    "Wish the gate agent would have explained it that way.",
]


@pytest.mark.parametrize(("rule", "text"), POSITIVES)
def test_repeat_info_positive(finder, rule, text):
    # overlapping hits of one label keep one rule id, so only the label is asserted
    assert rule_ids(finder, text), (rule, text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_repeat_info_negative(finder, text):
    assert rule_ids(finder, text) == set(), text


@pytest.mark.parametrize(
    "text",
    ["That's not what I asked.", "I have explained this to four different agents now.", "You have all my details."],
)
def test_agent_recaps_are_not_repeat_info(finder, text):
    assert rule_ids(finder, text, "agent") == set()


# -- cross-turn detectors ------------------------------------------------------


def C(text: str) -> Turn:
    return Turn("customer", text)


def A(text: str) -> Turn:
    return Turn("agent", text)


def crossturn(finder: MarkerFinder, *turns: Turn) -> list:
    return [h for h in finder.find(Ticket("t1", tuple(turns))) if h.source == "crossturn" and h.label == "REPEAT_INFO"]


def test_agent_asks_again_for_what_it_asked_before(finder):
    hits = crossturn(
        finder,
        C("The blender I ordered is missing a part."),
        A("Sorry! Could you DM us the product code and the postcode of your home address?"),
        C("Done, just sent them over."),
        A("Thanks. Can you please send the product code and your postcode?"),
    )
    own = [h for h in hits if h.rule_id == "crossturn.reasked_own"]
    assert [(h.turn, h.detail["cited_turn"]) for h in own] == [(3, 1)]


def test_agent_repeating_a_request_before_any_reply_is_not_reasking(finder):
    hits = crossturn(
        finder,
        C("The blender I ordered is missing a part."),
        A("Could you DM us the product code and the postcode of your home address?"),
        A("Can you please send the product code and your postcode?"),
    )
    assert not [h for h in hits if h.rule_id == "crossturn.reasked_own"]


def test_agent_follow_up_on_another_detail_is_not_reasking(finder):
    hits = crossturn(
        finder,
        C("My parcel never came."),
        A("Could you please DM us your tracking code?"),
        C("Sent."),
        A("Thanks! Could you also confirm the delivery address and a phone number?"),
        C("ok"),
        A("We'll share your feedback with the courier team, please bear with us."),
    )
    assert not [h for h in hits if h.rule_id == "crossturn.reasked_own"]


def test_agent_asks_for_a_time_the_customer_gave(finder):
    hits = crossturn(
        finder,
        C("I want to travel from Leeds to York next Friday, leaving around 9.30am or 10am."),
        A("What time would you like to travel?"),
    )
    assert [(h.rule_id, h.detail["cited_turn"]) for h in hits] == [("crossturn.reasked.time", 0)]


@pytest.mark.parametrize("ask", ["Please provide your number.", "Kindly DM your registered number for a check."])
def test_agent_asks_again_for_the_phone_number(finder, ask):
    hits = crossturn(finder, C("No signal here since Monday. My line is XXXXXXXXXXX"), A(ask))
    assert [h.rule_id for h in hits] == ["crossturn.reasked.phone"]


def test_your_hash_is_not_a_phone_number_request(finder):
    hits = crossturn(finder, C("My line is XXXXXXXXXXX"), A("Please note your #500 bonus was used for data."))
    assert not [h for h in hits if h.rule_id == "crossturn.reasked.phone"]


def test_narrowing_the_device_down_is_not_reasking(finder):
    hits = crossturn(finder, C("The app crashes on my iPhone every time."), A("Which model iPhone are you on?"))
    assert not [h for h in hits if h.rule_id == "crossturn.reasked.device"]
    hits = crossturn(finder, C("The app crashes on my iPhone every time."), A("Which device are you using?"))
    assert [h.rule_id for h in hits] == ["crossturn.reasked.device"]


def test_already_tried_what_was_reported_before(finder):
    hits = crossturn(
        finder,
        C("My speaker keeps dropping the wifi. I've rebooted it and reset the router twice."),
        A("Sorry about that! Could you try restarting the speaker and the router?"),
        C("Yes I have, that's what I wrote."),
    )
    assert [(h.rule_id, h.turn) for h in hits if h.rule_id == "crossturn.already_done"] == [("crossturn.already_done", 2)]


@pytest.mark.parametrize("reply", ["I've already tried that, no luck.", "Yes I did", "Tried that already."])
def test_already_tried_a_fresh_suggestion_is_new_information(finder, reply):
    hits = crossturn(
        finder,
        C("My speaker keeps dropping the wifi since this morning."),
        A("Sorry about that! Could you try restarting the speaker and the router?"),
        C(reply),
    )
    assert hits == []
    assert rule_ids(finder, reply) == set()


def test_agent_asks_again_for_a_router_model_given(finder):
    hits = crossturn(
        finder,
        C("Speeds drop on wifi only. I have a Netgear XR500 router at home."),
        A("Thanks. What model router are you using?"),
    )
    assert [h.rule_id for h in hits] == ["crossturn.reasked.device"]


def test_agent_repeats_a_troubleshooting_question_after_the_reply(finder):
    hits = crossturn(
        finder,
        C("Your checkout page gives an error when I pay."),
        A("Sorry! Have you tried clearing the cache in another browser?"),
        C("It's not my side, the server returns an error."),
        A("We tested it and it's fine here, have you tried another browser?"),
    )
    own = [h for h in hits if h.rule_id == "crossturn.reasked_own"]
    assert [(h.turn, h.detail["cited_turn"]) for h in own] == [(3, 1)]


def test_a_new_troubleshooting_question_is_not_reasking(finder):
    hits = crossturn(
        finder,
        C("Your checkout page gives an error when I pay."),
        A("Sorry! Have you tried another browser?"),
        C("Yes, same error."),
        A("Thanks. Have you tried using a different card?"),
    )
    assert not [h for h in hits if h.rule_id == "crossturn.reasked_own"]


def _detector_calls(n: int) -> tuple[int, bool]:
    """Function calls (Python and C) made by ``_reasked_own`` and ``_already_done`` on ``n`` turn pairs."""
    import sys

    from effortnlp.detectors import _already_done, _reasked_own

    turns = []
    for k in range(n):
        turns.append(C(f"I've restarted the router {k} times and checked cable {k}. Yes I did that already."))
        turns.append(A(f"Could you DM us your postcode and the serial number {k}? Have you tried another cable {k}?"))
    turns = tuple(turns)
    _reasked_own(turns[:4]), _already_done(turns[:4])  # lazily built tables are not counted
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        found = bool(_reasked_own(turns)) and bool(_already_done(turns))
    finally:
        sys.setprofile(None)
    return calls, found


def test_detectors_stay_linear_on_long_tickets():
    # Counted, not timed: four times the turns may cost about four times the calls, not sixteen.
    small, found_small = _detector_calls(250)
    large, found_large = _detector_calls(1000)
    assert found_small and found_large
    assert large < 5 * small
