"""UNRESOLVED endings: resolved dialogs we used to flag, and the hard negatives that must stay open."""

from __future__ import annotations

import pytest

from effortnlp.schema import Ticket, Turn


def C(text: str) -> Turn:
    return Turn("customer", text)


def A(text: str) -> Turn:
    return Turn("agent", text)


def unresolved(finder, *turns: Turn) -> list:
    return [h for h in finder.find(Ticket("u1", tuple(turns))) if h.label == "UNRESOLVED"]


# -- a closing pleasantry answering the agent's ------------------------------------

@pytest.mark.parametrize("reply", ["You too!", "and you too :)", "Same to you", "Keep up the great work!",
                                   "Have a lovely evening", "likewise, enjoy your weekend"])
def test_a_pleasantry_after_an_answer_is_resolved(finder, reply):
    assert unresolved(finder, C("Does the 9:15 stop at Oldbridge?"), A("It does, platform two."),
                      C("Brilliant, I've booked it, thanks a lot"), A("No problem, have a good day!"), C(reply)) == []


def test_a_pleasantry_does_not_settle_a_handoff_or_a_complaint(finder):
    assert unresolved(finder, C("My parcel never came."), A("Please DM us your order number. Have a nice day!"),
                      C("You too"))
    assert unresolved(finder, C("My parcel never came."), A("Sorry about that."),
                      C("Still nothing arrived, have a nice day"))


# -- past doubt settled by the answer ---------------------------------------------

def test_past_doubt_then_thanks_is_resolved(finder):
    assert unresolved(finder, C("Can I pick up my tickets at any station?"), A("Yes, any staffed station with a machine."),
                      C("Great, I wasn't sure whether it had to be your own station. Thanks for the quick reply")) == []
    assert unresolved(finder, C("Can I pay in instalments?"), A("Yes, choose the monthly option at checkout."),
                      C("Oh I had no idea, cheers")) == []


def test_a_present_doubt_stays_open(finder):
    assert unresolved(finder, C("Can I pay in instalments?"), A("Yes, choose the monthly option at checkout."),
                      C("I'm still not sure where that option is"))


# -- the agent's glad closing with only a conditional offer ------------------------

def test_glad_closing_with_a_courtesy_offer_is_resolved(finder):
    assert unresolved(finder, C("Where is my money back?"), A("It went out on Friday."),
                      C("Finally got it today after three weeks, calling you was useless though"),
                      A("Great to hear! If you ever need us again, just DM us.")) == []


def test_glad_closing_that_hands_the_issue_on_stays_open(finder):
    assert unresolved(finder, C("Where is my money back?"), A("It went out on Friday."),
                      C("Nope, nothing here"),
                      A("Glad to help! Please call our refunds team on 0800 111 222 to trace it."))


# -- an explanation closed with "hope this helps" ----------------------------------

def test_explanation_with_hope_this_helps_is_resolved(finder):
    assert unresolved(finder, C("Why did my subscriber count drop overnight?"),
                      A("Counts are reviewed regularly to remove closed and spam accounts, so it is normal for the "
                        "number to go down a little after each review. We hope this clarifies things!")) == []
    assert unresolved(finder, C("Why was I charged a booking fee on a free ticket?"),
                      A("That fee covers the seat reservation, which is not part of the free fare and is charged "
                        "on every booking. More info: https://example.com/fees Hope that helps.")) == []


@pytest.mark.parametrize("agent", [
    # a fix still to try
    "You can try signing out and back in on the app, that usually resets the sync for most people. Hope this helps!",
    # only a pointer: the link replaces the answer
    "Hi there. Info here: https://example.com/help Hope this helps.",
    # pointer to another channel
    "For anything account related please call our support line, they are open every day from 8 until 8. Hope this helps!",
    # a question back
    "Sorry to hear the player keeps freezing on your television, is it on the latest version of the app? Hope this helps",
])
def test_hope_this_helps_after_advice_a_bare_link_or_a_question_stays_open(finder, agent):
    assert unresolved(finder, C("The player keeps freezing on my TV."), A(agent))


# -- glad closings with a name, and asking whether something still holds -------------

def test_glad_to_hear_with_a_name_is_resolved(finder):
    assert unresolved(finder, C("Is my replacement card on its way?"), A("It was posted yesterday."),
                      C("It turned up this morning"), A("Great to hear, Sam! Enjoy the rest of your day.")) == []


def test_asking_whether_something_still_holds_is_no_complaint(finder):
    assert unresolved(finder, C("Sunday trains: is it still the same timetable as last week?"),
                      A("Yes, no changes this weekend."), C("Brilliant, thanks")) == []
    assert unresolved(finder, C("Does that discount still apply in store?"), A("It does, until Monday."),
                      C("Great, thank you")) == []
    # a plain "still the same" is still a complaint
    assert unresolved(finder, C("The bill is still the same after your change."), A("Sorry about that."),
                      C("Thanks"))


# -- the customer gave what the agent asked for, and the agent acted on it -----------

def test_agent_acts_on_the_detail_it_asked_for(finder):
    assert unresolved(finder, C("I'd like to move my seat to the front row."), A("Which flight is that for?"),
                      C("BA 123 on Friday"), A("Thanks, your seat has now moved to row one for that flight.")) == []
    assert unresolved(finder, C("Is dinner included on my flight?"), A("Which route are you flying?"),
                      C("Leeds to Rome"), A("A light meal and drinks are served free on that route, enjoy the trip.")) == []


@pytest.mark.parametrize("agent", [
    "Thanks, please restart the app and log back in, then test it again.",
    "Thanks, we've just replied to you over in direct messages.",
    "Thanks, unfortunately we can't change the seat once you have checked in.",
])
def test_agent_acting_on_the_detail_with_a_fix_to_try_or_elsewhere_stays_open(finder, agent):
    assert unresolved(finder, C("My run history is missing."), A("Which phone do you have?"), C("A Pixel 6"), A(agent))


# -- the agent says the message the customer asked about is fake ----------------------

@pytest.mark.parametrize("agent", [
    "Thanks for flagging this. That text isn't from us, it's a phishing attempt. Please forward it to our email address so we can block the sender.",
    "This email is not genuine and looks like a scam, so please don't click any links in it.",
])
def test_agent_confirming_a_fake_message_resolves(finder, agent):
    assert unresolved(finder, C("I keep getting texts saying my card is blocked, is this real?"), A(agent)) == []


def test_asking_whether_it_is_a_scam_stays_open(finder):
    assert unresolved(finder, C("I keep getting texts saying my card is blocked."),
                      A("Could this be a phishing text? Can you send us a screenshot?"))


def test_agent_seeing_the_trip_worked_out_resolves(finder):
    assert unresolved(finder, C("Will the 6pm connection wait for us? We're still on the tarmac"),
                      A("It's holding for a few minutes, hurry!"), C("Running now, hope they wait"),
                      A("Looks like you made it! Enjoy the flight.")) == []


# -- "thanks again" and other closing courtesies ---------------------------------------

def test_thanks_again_is_no_broken_again(finder):
    assert unresolved(finder, C("How do I open a support case?"), A("Use the New request button on the portal."),
                      C("Found it - all sorted now! Thanks again.")) == []
    assert unresolved(finder, C("Router keeps dropping."), A("Try a factory reset."),
                      C("Did that, it's dropping again"))


@pytest.mark.parametrize("reply", ["No worries :)", "Me too! Have a nice Sunday."])
def test_short_courtesy_replies_acknowledge(finder, reply):
    assert unresolved(finder, C("Why was my train late yesterday?"),
                      A("A signal fault near the station held it for ten minutes, sorry for the delay."), C(reply)) == []


@pytest.mark.parametrize("reply", ["Got it all figured out now, thanks for the help!",
                                   "All I had to do was sign out and back in, cheers"])
def test_customer_solving_it_themself_resolves(finder, reply):
    assert unresolved(finder, C("My controller won't pair."), A("Which console do you have?"), C("The newest one"),
                      A("Hold the pair button for ten seconds."), C(reply)) == []


def test_not_figured_out_stays_open(finder):
    assert unresolved(finder, C("My controller won't pair."), A("Hold the pair button for ten seconds."),
                      C("Still haven't figured it out, it just blinks"))


# -- a question holding a "not" is still a question the agent can answer ---------------

def test_question_with_a_negation_answered_is_resolved(finder):
    assert unresolved(finder, C("Why isn't the 8:10 stopping at Millbrook today?"),
                      A("It's running fast to recover time after an earlier signal fault on the line.")) == []


def test_answer_that_sends_the_customer_elsewhere_stays_open(finder):
    assert unresolved(finder, C("What happens to my seat reservation now the train is cancelled?"),
                      A("It moves to the next service and you can claim for the delay by visiting the operator's site."))
    assert unresolved(finder, C("Why isn't my refund showing yet?"),
                      A("Thanks for the details, I have just replied to you in private messages."))
    # a plain "still broken" in the question keeps it open
    assert unresolved(finder, C("Why is the app still not working after the update?"),
                      A("The update changed the login screen for everyone this week."))


# -- hoped-for or pending outcomes are no confirmation ----------------------------------

def test_agent_hoping_it_is_resolved_is_no_confirmation(finder):
    assert unresolved(finder, C("I can't book a delivery slot, the site errors."), A("Could you DM us your details?"),
                      C("Done, sent them over"), A("I hope this has now been resolved for you, have a nice day!"))


def test_thanks_for_a_pending_promise_before_a_sign_off_stays_open(finder):
    assert unresolved(finder, C("Is there a fix for the printer bug?"),
                      A("Not yet, we'll post an update as soon as the fix is out."), C("Thank you, will watch for it."),
                      A("Please rate the help you got today in our short survey."))
