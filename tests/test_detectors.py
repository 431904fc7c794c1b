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


def test_long_ticket_is_handled(finder):
    # Speed is measured by `make bench`, not asserted here.
    turns = []
    for i in range(2000):
        turns.append(C(f"order number {100000 + i} still not here, any update?"))
        turns.append(A("Could you share your order number please?", name=f"agent{i % 3}"))
    hits = finder.find(ticket(*turns))
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


# -- endings: resolution families (hand-written) --------------------------------

RESOLVED_ENDINGS = [
    # customer confirms
    ((C("Router keeps dropping."), A("Try a factory reset."), C("That's done it, all sorted now!")), "customer_confirms"),
    ((C("Site is down."), A("We restarted the server."), C("Yep it's back up, cheers")), "customer_confirms"),
    ((C("Where is my refund?"), A("It was sent Monday."), C("It came through this morning, ta")), "customer_confirms"),
    ((C("Can't log in"), A("Clear your cookies."), C("Perfect, working fine now."), A("Great! Anything else?")),
     "customer_confirms"),
    # agent confirms a completed action
    ((C("I was charged twice."), A("I've refunded the second charge for you.")), "agent_confirms"),
    ((C("Please cancel my plan."), A("We have cancelled it; you should now see it in your account.")), "agent_confirms"),
    ((C("My address is wrong."), A("That's been updated now.")), "agent_confirms"),
    ((C("Booking on the 3rd please"), A("All done, you're rebooked on the 9am.")), "agent_confirms"),
    # plain acknowledgement, courtesy line or link after it
    ((C("Do you ship to Norway?"), A("Yes, within 5 days."), C("ok, makes sense, thanks")), "customer_thanks"),
    ((C("Which plan has roaming?"), A("The Plus plan."), C("Appreciate the help 👍"),
      A("Happy to help! DM us if you have any other questions.")), "customer_thanks"),
    ((C("Opening hours on Sunday?"), A("10 till 4."), C("perfect!")), "customer_thanks"),
]

UNRESOLVED_ENDINGS = [
    # still broken / contested
    ((C("App crashes"), A("Reinstall it."), C("Did that, still crashing")), "open_end"),
    ((C("No signal"), A("Restart the phone."), C("Thanks but it's not working")), "open_end"),
    ((C("Refund?"), A("It has been processed."), C("It hasn't arrived though, why?")), "open_end"),
    ((C("It worked for a day"), A("Glad to hear it's working!"), C("Not any more, it's broken again")), "open_end"),
    # pending elsewhere
    ((C("Order missing"), A("We've passed it to our delivery team, they will be in touch.")), "handoff"),
    ((C("Card blocked"), A("Please DM us your details."), C("ok thanks")), "handoff"),
    ((C("Bill wrong"), A("Thanks, we're looking into this for you.")), "pending"),
    ((C("Payment failed"), A("Someone will contact you within 48 hours."), C("Thank you, I will wait")), "handoff"),
    # no answer
    ((C("When is the sale?"),), "open_end"),
    ((C("Is the store open?"), A("Sorry, we are unable to say.")), "open_end"),
    # sarcasm is no thanks
    ((C("Refund?"), A("We can't refund that."),
      C("Great service as always, you lot never answer anything properly")), "open_end"),
]


@pytest.mark.parametrize(("turns", "family"), RESOLVED_ENDINGS)
def test_resolution_families(finder, turns, family):
    from effortnlp.detectors import ending

    t = ticket(*turns)
    end = ending(t.turns, finder.find(t))
    assert end.resolved and end.rule == family
    assert [h for h in finder.find(t) if h.label == "UNRESOLVED"] == []


@pytest.mark.parametrize(("turns", "rule"), UNRESOLVED_ENDINGS)
def test_unresolved_endings(finder, turns, rule):
    hits = crossturn(finder, ticket(*turns), "UNRESOLVED")
    assert hits and hits[0].rule_id == f"crossturn.unresolved_{rule}"


def test_confirmed_fix_settles_earlier_unresolved_hits(finder):
    t = ticket(C("The update didn't work."), A("Try safe mode."), C("Nothing helped."), A("Reinstall then."),
               C("That worked, all sorted!"))
    assert [h for h in finder.find(t) if h.label == "UNRESOLVED"] == []
    still = ticket(C("The update didn't work."), A("Try safe mode."), C("Nothing helped."))
    assert [h for h in finder.find(still) if h.label == "UNRESOLVED"]



def test_confirmed_fix_before_a_closing_thanks_settles_earlier_failures(finder):
    # "that worked" is not in the final message, which only declines more help
    t = ticket(C("The app crashes when I open my basket."), A("Please clear the cache and retry."),
               C("Still crashing, no change."), A("Then reinstall it from the store."),
               C("Reinstalling fixed it, cheers"), A("Lovely! Anything else today?"), C("No that's all, thanks"))
    assert [h for h in finder.find(t) if h.label == "UNRESOLVED"] == []
    # without the confirmation the failure stands
    open_ = ticket(C("The app crashes when I open my basket."), A("Please clear the cache and retry."),
                   C("Still crashing, no change."), A("Then reinstall it from the store."), C("ok thanks"))
    assert [h for h in finder.find(open_) if h.label == "UNRESOLVED"]


@pytest.mark.parametrize("closing", ["Glad we were able to help!", "Great to hear!", "You're very welcome, enjoy the show."])
def test_agent_closing_on_a_happy_note_is_resolved(finder, closing):
    t = ticket(C("My voucher code was rejected at checkout."), A("I've had a look and it works on orders over ten pounds."),
               C("Ahh ok, never read the small print"), A(closing))
    assert crossturn(finder, t, "UNRESOLVED") == []


def test_agent_glad_does_not_override_a_handoff_or_pending_closing(finder):
    handoff = ticket(C("My voucher code was rejected at checkout."),
                     A("Glad to help! Please call our vouchers team on 0800 123 456 to get it reissued."))
    assert crossturn(finder, handoff, "UNRESOLVED")
    sad = ticket(C("My voucher code was rejected at checkout."), A("Could you tell me the code?"),
                 C("It's ABC123 and it still fails"), A("Sorry to hear that, we're looking into it."))
    assert crossturn(finder, sad, "UNRESOLVED")


def test_a_message_opening_with_thanks_is_not_contested_by_a_stray_not(finder):
    happy = ticket(C("Where can I find my booking reference?"), A("It's in the confirmation email, top right."),
                   C("Thank you so much! I would not have spotted that."))
    assert crossturn(finder, happy, "UNRESOLVED") == []
    still = ticket(C("Where can I find my booking reference?"), A("It's in the confirmation email, top right."),
                   C("Thanks, but it's still not there."))
    assert crossturn(finder, still, "UNRESOLVED")
    asks = ticket(C("Where can I find my booking reference?"), A("It's in the confirmation email, top right."),
                  C("Thanks. Which email though, the receipt?"))
    assert crossturn(finder, asks, "UNRESOLVED")

def test_answered_question_without_contest_is_resolved(finder):
    t = ticket(C("Do the trains run on Boxing Day?"), A("They run a Sunday timetable on Boxing Day."))
    assert crossturn(finder, t, "UNRESOLVED") == []
    link = ticket(C("Do the trains run on Boxing Day?"), A("Please check the journey planner at https://example.com/plan"))
    assert crossturn(finder, link, "UNRESOLVED")


@pytest.mark.parametrize(
    "closing",
    ["No, that's everything, thanks.", "no thanks, that's all", "Perfect, thanks! Can't wait to try it."],
)
def test_declining_more_help_after_a_fix_is_not_unresolved(closing):
    ticket = Ticket(
        "r",
        (
            Turn("customer", "My order is missing two items."),
            Turn("agent", "I've added the missing items to your account."),
            Turn("customer", "Perfect, thanks so much."),
            Turn("agent", "If there's anything else, just let us know."),
            Turn("customer", closing),
        ),
    )
    assert not [h for h in MarkerFinder.shared().find(ticket) if h.label == "UNRESOLVED"]


def test_bot_handing_over_to_the_first_person_is_not_a_transfer():
    t = Ticket(
        "b",
        (
            Turn("agent", "Hi, I'm the virtual assistant. Let me connect you to an agent.", agent_name="Max", is_bot=True),
            Turn("customer", "My bill is wrong."),
            Turn("agent", "Hi there! Sam here, thanks for contacting us.", agent_name="Sam"),
            Turn("agent", "I've corrected the bill.", agent_name="Sam"),
        ),
    )
    assert not [h for h in MarkerFinder.shared().find(t) if h.label == "TRANSFER"]


def test_person_to_person_change_after_a_bot_is_still_a_transfer():
    t = Ticket(
        "b2",
        (
            Turn("agent", "Connecting you with an agent.", agent_name="Max", is_bot=True),
            Turn("agent", "Sam here.", agent_name="Sam"),
            Turn("agent", "Priya from billing here.", agent_name="Priya"),
        ),
    )
    assert [h.rule_id for h in MarkerFinder.shared().find(t) if h.label == "TRANSFER"] == ["crossturn.agent_change"]


# -- the customer explains again (crossturn.restated) ------------------------


def restated(finder, t: Ticket):
    return [h for h in crossturn(finder, t, "REPEAT_INFO") if h.rule_id == "crossturn.restated"]


def test_customer_explaining_again_in_other_words_is_repeat_info(finder):
    t = ticket(
        C("My broadband keeps dropping every evening and the router shows a red light."),
        A("Sorry to hear that. Which package are you on?"),
        C("Fibre 100. Like I explained, the router light turns red each evening and the broadband drops."),
    )
    hits = restated(finder, t)
    assert len(hits) == 1
    h = hits[0]
    assert h.turn == 2 and h.detail["cited_turn"] == 0
    assert {"broadband", "router", "light"} <= set(h.detail["words"])  # content words, crudely stemmed
    # the quoted evidence is the sentence that says it again, not the whole turn
    assert h.text == "Like I explained, the router light turns red each evening and the broadband drops."


def test_a_new_detail_is_not_a_restatement(finder):
    t = ticket(
        C("My broadband keeps dropping every evening and the router shows a red light."),
        A("Sorry to hear that. Which package are you on?"),
        C("Fibre 100, the one with the free phone line and sports channels bundled in."),
    )
    assert restated(finder, t) == []


def test_handles_and_links_are_not_shared_words(finder):
    link = "https://t.co/AbCdEfGh12 https://example.com/support/article/12345"
    t = ticket(
        C(f"@SkyReachHelp @SkyReachAirways {link} booking"),
        A("@cust Hi there, how can we help?"),
        C(f"@SkyReachHelp @SkyReachAirways {link} luggage"),
    )
    assert restated(finder, t) == []


def test_a_quoted_email_reply_is_not_a_restatement(finder):
    first = "The invoice for March charged me twice for the premium subscription renewal."
    reply = (
        "Thanks, attached is the statement you asked for.\n\n"
        "On Tue, 4 Mar 2025 at 10:12, Dana Smith <dana@example.com> wrote:\n"
        f"> {first}\n"
    )
    t = ticket(C(first), A("Could you send us the bank statement?"), C(reply))
    assert restated(finder, t) == []
    # ... the same words written out as the customer's own are one
    t2 = ticket(C(first), A("Could you send us the bank statement?"),
                C("As I said, March's invoice charged me twice for the premium subscription renewal."))
    assert [h.turn for h in restated(finder, t2)] == [2]


def test_an_exact_repeat_is_counted_once(finder):
    msg = "My internet drops every evening around eight and the router lights go red"
    t = ticket(C(msg), A("Have you restarted it?"), C(msg + " again"))
    info = crossturn(finder, t, "REPEAT_INFO")
    assert [h.rule_id for h in info] == ["crossturn.repeated_message"]


def test_the_agent_restating_is_not_the_customer_repeating(finder):
    t = ticket(
        C("My broadband keeps dropping every evening and the router shows a red light."),
        A("So your broadband drops every evening and the router light is red. Let me check the line."),
        A("I can see the broadband dropping each evening; the router light goes red when it does."),
    )
    assert restated(finder, t) == []


def test_a_message_split_in_two_is_not_a_restatement(finder):
    t = ticket(
        C("My broadband keeps dropping every evening and the router shows a red light."),
        C("Every evening the broadband drops and the router light goes red, it is driving me mad."),
        A("Sorry to hear that. Let me run a line test."),
    )
    assert restated(finder, t) == []


def test_an_email_greeting_and_signature_are_not_restated(finder):
    t = ticket(
        C("Dear Clearwater Utilities,\n\nMy meter reading was estimated far too high.\n\nKind regards,\nEmma Muller\n07700 900123"),
        A("Hello Emma, could you send us a photo of the meter?"),
        C("Dear Clearwater Utilities,\n\nPhoto attached as requested.\n\nKind regards,\nEmma Muller\n07700 900123"),
    )
    assert restated(finder, t) == []
