"""TRANSFER rule families: made-up sentences for each construction, and hard negatives."""

from __future__ import annotations

import pytest

from effortnlp.markers import MarkerFinder


def transfer_hits(finder: MarkerFinder, text: str, speaker: str) -> list[str]:
    return [h.rule_id for h in finder.turn_hits(text, speaker, 0) if h.label == "TRANSFER"]


POSITIVES = [
    # an expert / specialist / the other team takes it and "will review / get back to you"
    ("agent", "Thanks, I've sent the screenshots over to our specialist- they'll review them and reply shortly."),
    ("agent", "The engineers have the logs now and they will be in touch once they know more."),
    ("agent", "I've asked the hotel directly and they should be able to assist with the late checkout."),
    ("agent", "If the fare was booked through a partner, they would need to process the change."),
    ("agent", "She is on leave today, but she will get back to you first thing Monday."),
    ("agent", "We can have one of our engineers answer this on the forum thread."),
    ("agent", "I'll have an expert check the settings with you."),
    ("agent", "Our returns desk would have the best answer for that one."),
    # named colleagues / other companies taking over
    ("agent", "Priya will contact you tomorrow with the outcome."),
    ("agent", "Northwind Couriers will be in touch to rebook the delivery."),
    # check with / contact the partner company, seller, bank, manufacturer, store staff
    ("agent", "Please check directly with Lufthansa about the seat upgrade."),
    ("agent", "You could take it up with the retailer you bought it from."),
    ("agent", "Best to raise this with your mobile network provider."),
    ("agent", "Please give the seller a little more time to respond to your message."),
    ("agent", "Kindly contact your previous operator for the porting code."),
    ("agent", "You may wish to ask your IT administrator whether the port is blocked."),
    ("agent", "Could you file a claim with your travel insurance company?"),
    ("agent", "That item ships from the marketplace seller, so please wait for the seller to reply."),
    ("agent", "Please call Member Services on the number on the back of your card."),
    ("agent", "You can reach our Online Sales Advisors on the number below."),
    ("agent", "The duty managers at the station can help with that; are there any nearby?"),
    ("agent", "Please ask to speak with a manager in store and they will arrange it."),
    # sent to a store / branch / counter
    ("agent", "Please visit your nearest Acme store with the receipt so they can reactivate it."),
    ("agent", "Just pop into any of our branches and a colleague will sort the exchange."),
    ("agent", "The vouchers can be taken to a ticket counter at the airport for payment."),
    ("agent", "It sounds like a hardware fault; we suggest you visit a service centre to get it checked."),
    # a third party will have to act, or the item is sold / run by one
    ("agent", "Since it was booked as a package, the tour operator would need to make any changes."),
    ("agent", "The courier should be able to update you on the new slot."),
    ("agent", "That one is a question for your card issuer, I'm afraid."),
    ("agent", "The flight is operated by a partner airline, so changes go through them."),
    ("agent", "Please open a support case with the publisher."),
    ("agent", "Let me pass this over to my supervisor so she can approve it."),
    ("agent", "Honestly that is a question for Samsung rather than us."),
    ("agent", "I've sent your complaint up the chain today."),
    ("agent", "Have you already talked to the seller about a replacement?"),
    ("agent", "Please speak to the crew on your next leg and they will help."),
    # outside our network / remit
    ("agent", "The packet loss is outside of our network, so the game host would need to look at it."),
    # the customer reports being bounced between teams or companies
    ("customer", "The shop assistant advised me to contact you about the code."),
    ("customer", "I was told by the bank to speak to you about the payment."),
    ("customer", "They suggested I get in touch with you since it was your security desk."),
    ("customer", "Your phone support says to contact the vendor, the vendor says to call you."),
    ("customer", "We were told to call the airport ourselves."),
    ("customer", "I spoke with both the rep and a supervisor and nothing changed."),
    ("customer", "I've now been through five different advisors on the phone."),
    ("customer", "Got transferred four times before anyone picked up properly."),
    ("customer", "The garage referred me to you for the warranty."),
    ("customer", "The retailer keeps pointing me back to you."),
    ("customer", "Your phone line claims it's the bank's problem."),
    ("customer", "Honestly I'm just getting the runaround from everyone."),
    ("customer", "The airline insists it's the travel agent's responsibility."),
    ("customer", "Your supervisor at the desk was really dismissive."),
    ("customer", "Then the duty manager said it could not be done over the phone."),
    # round 2: a phone / chat / lending team or a live agent takes over
    ("agent", "For anything billing related, our live chat team are best placed to help: see the link."),
    ("agent", "Please ring the Home Lending team on the number below, they are open until 8pm."),
    ("agent", "Tap the button below to talk to an agent in real time."),
    ("agent", "You can speak with a representative on our toll free line."),
    ("agent", "Here is a link to our support team that will be able to sort the refund."),
    # the case is sent on again, or someone else is checking it
    ("agent", "Sorry for the wait, we've resubmitted your request again for processing."),
    ("agent", "We have forwarded your concerns to the store for a response."),
    ("agent", "I have a colleague checking on the order status right now."),
    ("agent", "I've asked a specialist to double check the settlement figures."),
    ("agent", "Our billing team are currently working on your refund."),
    # a store or baggage office, a partner's staff, and a customer looped back
    ("agent", "If possible, head in to your local branch with photo ID."),
    ("agent", "Please bring the broken case to the baggage services office before you leave the airport."),
    ("agent", "Our colleagues at Manchester Airport will arrange a taxi for you."),
    ("agent", "Please submit details to our fraud team using the form linked below."),
    ("agent", "It might be worth having someone from your college get in touch with us."),
    ("agent", "Your bank should be able to give you further advice on the charge."),
    ("customer", "Every link you send me just takes me back to customer support, who can't help."),
    ("agent", "I've informed our store management team who will make sure the shelves are checked today."),
]

NEGATIVES = [
    # forwarding feedback or praise is not handing the issue over
    ("agent", "We've fed this back to the branch so they know about it."),
    ("agent", "We'll pass your kind words on to the crew."),
    # the same team continuing, or the customer's own people
    ("agent", "We will contact you by email within 24 hours."),
    ("agent", "If your daughter has an account she can contact us directly."),
    ("agent", "They should be available to buy in stores from Friday."),
    ("agent", "Once installed, they should work on all your devices."),
    ("agent", "Is that the friend who said they can't log in either?"),
    # stores that are not a hand-off
    ("agent", "Keep an eye out on the App Store for the next update."),
    ("agent", "You can visit our online store to see the full range."),
    ("agent", "Which store did you visit so we can look into it?"),
    ("agent", "Please visit our help site for the steps."),
    # told to do things that are not going elsewhere
    ("customer", "You told me to call back in an hour and I did."),
    ("customer", "The app said to restart my phone, which I did."),
    ("customer", "The task manager says it is still running."),
    ("customer", "I want to speak to the same person I spoke to yesterday."),
    ("agent", "We'll be in touch with an update shortly."),
    ("agent", "You'll need to contact us by phone to close the account."),
    ("agent", "Your bank may take up to five working days to show the refund."),
    ("agent", "Did you visit the branch on Friday or Saturday?"),
    ("agent", "Your parcel has been handed over to the courier this morning."),
    ("agent", "Is the link redirecting you to a blank page?"),
    ("agent", "I've spoken to my colleagues in that store and they are restocking today."),
    ("customer", "I spoke to my sister about the plan and she loves it."),
    ("agent", "Your kids will love it, they can check out the new levels."),
    ("agent", "Please find the store details below."),
    ("customer", "The app tells me to go to settings and there's nothing there."),
    ("customer", "The error says to contact support."),
    ("customer", "My manager said I can take the day off."),
    ("customer", "He said it was a software issue."),
    # the agent consulting someone on the customer's behalf is not a hand-off
    ("agent", "We've just spoken with the store manager, who confirmed the stock is in."),
    ("agent", "That's a question for you to decide, there is no wrong answer."),
    ("agent", "We can't see your order from here, can you DM the number?"),
    # Forwarding a suggestion to the product team is left to fire: the provided
    # labels count "forwarded your feedback to our dev team" as a transfer,
    # whatever the labels README's clarification says.
    ("agent", "Open Device Manager to update the driver and restart."),
    ("customer", "Lots of people have been told to contact the phone maker about this bug."),
    ("customer", "The coat was in stock but was waiting to be sent to another store."),
    ("agent", "Our team is aware of the outage and we'll keep you posted."),
    ("customer", "I've been waiting to speak to a representative for hours."),
    ("agent", "Are you referring to a Windows or Office activation error?"),
    ("agent", "One of the team will reply to you first thing tomorrow."),
    ("agent", "We'd recommend visiting our help centre for the full steps."),
]


@pytest.mark.parametrize("speaker,text", POSITIVES)
def test_transfer_positive(finder, speaker, text):
    assert transfer_hits(finder, text, speaker), text


@pytest.mark.parametrize("speaker,text", NEGATIVES)
def test_transfer_negative(finder, speaker, text):
    assert not transfer_hits(finder, text, speaker), (text, transfer_hits(finder, text, speaker))
