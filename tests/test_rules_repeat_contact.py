"""REPEAT_CONTACT phrase families: hand-written positives and hard negatives.

Positives cover the customer saying they contacted / were told / were promised
before, chasing an unanswered message, "still" with no reply/refund/fix, being
stuck on hold or cut off, and the agent leaving them to come back or await a
callback. Negatives are the near misses: repeating a troubleshooting step,
symptoms that recur, confirming a requested DM, the courtesy sign-offs and
"try this and let us know".
"""

from __future__ import annotations

import pytest

from effortnlp.markers import MarkerFinder


def has_rc(finder: MarkerFinder, text: str, speaker: str) -> bool:
    return any(h.label == "REPEAT_CONTACT" for h in finder.turn_hits(text, speaker, 0))


CUSTOMER_POSITIVES = [
    # told / promised by staff before
    "Your rep told me the refund would be back on my card by Friday.",
    "The agent on the phone said it had been sorted, it hasn't.",
    "One of your advisors promised a replacement last month.",
    "Customer service treated me like a liar when I rang.",
    "The guy on the chat insisted there was nothing he could do.",
    # talked to several people
    "I've talked to four different reps and nobody can fix it.",
    "We have dealt with several agents about this bill.",
    "I have spoken to your billing team about this already.",
    "The advisor I spoke to hung up on me.",
    # counted attempts
    "Called them five times this week, no joy.",
    "I've emailed your support dozens of times.",
    "This is the fourth email I've sent about the same fault.",
    "Sixth time I'm asking for the invoice.",
    "Sent you several DMs, nothing back.",
    "How many times do I have to ring you before someone helps?",
    # chasing an unanswered message
    "No response to my DM from this morning.",
    "Still no answer to my email about the deposit.",
    "Are you going to reply or just ignore me?",
    "Can someone please respond to me?",
    "Why hasn't anyone got back to me?",
    "Hello, is anybody there?",
    # still + no refund / fix
    "Still no refund and it has been a fortnight.",
    "It still hasn't been fixed since my last tweet.",
    "The fault has still not been resolved.",
    # phone / chat effort
    "I'm stuck on hold again with your billing line.",
    "Been on hold for ages, can someone here help?",
    "Got disconnected from the live chat twice now.",
    "Three hours waiting for a callback that never came.",
    "Waited over an hour in the chat queue for an agent.",
    "Spent the last two hours trying to reach your refunds desk.",
    "I've been trying to call the branch all afternoon.",
    "I have been ringing continuously for 40 minutes.",
    # the issue is back after a fix
    "Once again it's down, same as last week.",
    "This isn't the first time I've had to chase you about a delivery.",
    "I'll have to call again tomorrow then.",
    # waiting on a promised reply / callback
    "I have been waiting on a callback from your claims people.",
    "Nobody ever rang me back after the engineer visit.",
    "The promised callback never materialised.",
    "Left you two voicemails this morning.",
    "She told me I'd get the voucher within a week.",
    "It's been ten days and still no word from your team.",
    "Please respond to my email from Tuesday.",
    "You closed my ticket without fixing anything.",
    "I sent a complaint form about three weeks ago.",
    "Visited the branch twice about this card.",
    "The engineer never turned up for the booked slot.",
    "Went into the shop only to be told they can't do it.",
    "Not one of the people from your company we have talked to could explain it.",
    # "again" with a contact verb
    "Do I need to ring the helpline again?",
    "I will reach out once more if the courier fails.",
    # unreached / not contacted / chasing words
    "Haven't heard a thing from your returns team.",
    "I was supposed to get a callback on Monday.",
    "I still have not been contacted about the claim.",
    "I can't get through to anyone at your call centre.",
    "Nobody is picking up at the depot.",
    "Just following up on the refund for my cancelled booking.",
    "Gentle reminder that the invoice is still wrong.",
    "When will someone actually get back to me?",
    "Why do I have to keep chasing you for this?",
    "My existing complaint is about the same charge.",
    "Case number 55512, please look at it.",
    "As advised by your agent I reset the modem, it did nothing.",
    "Two days and no reply to my message.",
    "The call got disconnected after forty minutes.",
    "Any response yet? It has been a while.",
    "We got told the replacement was on its way.",
    "Delivery window missed yet again.",
    "Once again the app has logged me out of my account.",
    "I was on the phone with billing support for ages.",
    # round 2: recurring issue, returning customer
    "Hello again, my router has dropped out overnight.",
    "Here we go again, the app will not open.",
    "The sound cut out for the fifth time tonight.",
    "Power went off third time this week.",
    "That's the 2nd faulty charger you have sent me.",
    "Lost signal three times today on the same street.",
    "The error is still there after the update.",
    "It's doing that again since this morning.",
    "My card got declined, it happened again last night.",
    "We've experienced this problem before with the old box.",
    # round 2: chasing / ignored
    "Any news so far about my claim?",
    "No reply yet, is anyone reading these?",
    "Judging by the lack of replies nobody cares.",
    "I still did not get the voucher code.",
    "Feel totally ignored at this point.",
    "Sent four msgs through the app, zero help.",
    "No answer to emails or calls, what now?",
    "This dispute dates back to March.",
    "Did you receive my photos in the DM?",
    "Same answer every time I ask about the bill.",
    "@brandhelp ??",
    "Fed up of texting you about this bill.",
    # round 2: staff / prior calls
    "Sitting on hold with your billing line.",
    "Can someone please answer the phone at the depot?",
    "You lot promised a technician on Monday.",
    "They rang me last week and said it was sorted.",
    "We complained to the duty manager at the time.",
    "Talked with a store manager who shrugged.",
    "Your shop staff said the warranty covers it.",
    "I have only emailed your customer services twice about this.",
    "I've had to reboot the box several times since Monday.",
    "Got declined again at the till with the same card.",
    "We were told on the phone that the fee would be waived.",
    "Sent an appeal last month and nothing happened.",
]

AGENT_POSITIVES = [
    "I'd be happy to give you a call to set that up.",
    "We'll have one of our engineers call you this afternoon.",
    "If the parcel hasn't arrived by Friday, please contact us again.",
    "Please let us know if the refund is not showing within 5 working days.",
    "Let me know if the card hasn't reached you by the end of the week.",
    "Wait 48 hours and then let us know if you still can't log in.",
    "Please sign in again after a few hours and tell us if it persists, just let us know.",
    "Would you be available tomorrow afternoon for a quick chat?",
    "Once you have the new SIM, contact us and we'll activate it.",
    "We'll reach out once the investigation is complete.",
    "We will revert to you once the team confirms.",
    "You will be contacted by our claims desk within two days.",
    "Could we ring you this evening to go through it?",
    "Please await our email with the next steps.",
    "Once you have received the callback, let us know what they said.",
    "You shall hear from the network team soon.",
    "What's the best time to call you tomorrow?",
    "We're sorry this still hasn't been resolved for you.",
    "We have requested a callback from the billing desk.",
    "We'll DM you as soon as we have news.",
    "If you don't see the credit within 5 business days, please reach back out.",
    "Drop us a line if the engineer hasn't called by Thursday.",
    "Should it not arrive within 10 days, get back to us.",
    "Please wait 48 hours for the change to take effect, then try again.",
    "We'll keep you in the loop while the team investigates.",
    "We should have an answer for you shortly.",
    "Hello again! Did that reset help at all?",
    "Please stay tuned for an announcement.",
    "Keep checking the status page for updates.",
    "One of our specialists will contact you by Friday.",
    "Fill in the form and we will be in touch within a day.",
    "When you get home, DM us the serial number and we'll check.",
    "We tried to reach you by phone this morning.",
    "You can resubmit the request in 14 days.",
    "Our billing specialist will be back on Tuesday to look at this.",
    "Did you manage to speak with our returns team?",
]

CUSTOMER_NEGATIVES = [
    "I have tried this a few times and it still fails.",
    "Restarted the router several times, no change.",
    "It happened again when I opened the camera app.",
    "The app says: an error occurred, please try again later.",
    "I have messaged you as requested.",
    "I've sent you a DM with the details.",
    "The second time I opened it, the page loaded.",
    "I talked to my brother and he has the same problem.",
    "It crashes many times a day.",
    "I placed the order a few days ago.",
    "The first time I used it, it was fine.",
    "Any update on when the new model launches?",
    "Restarted twice and still nothing, any ideas?",
    "I contacted the seller twice about the missing part.",
    "Why has my payment been put on hold?",
    "My order is still on hold, can you explain why?",
    "The app says there is no ticket number for my flight.",
    "They reopened the terminal an hour later.",
    "Thanks once again for the quick help!",
    "Nobody called at my door, the parcel went to a neighbour.",
    "It worked the second time I tried it.",
    "My order was for the second time slot on Friday.",
    "I've never had this issue before with my phone.",
    "The outage has been going on since lunch.",
    "My brother said the store was closed.",
    "Just pick up the phone and ring your mum, honestly.",
    "Nobody told me there were two sizes.",
    "I was charged twice for one order.",
    "I tried restarting but nothing happened.",
]

AGENT_NEGATIVES = [
    "Try this and let us know how it goes.",
    "Let us know if you need anything else!",
    "If that doesn't work, please let us know.",
    "We'd love to get you back into your account.",
    "We expect our staff to be polite at all times.",
    "Please reconnect after 30 seconds and see if that helps.",
    "Feel free to reach out again if you have any other questions.",
    "If you don't see the option in settings, let us know.",
    "If the page does not load, please let us know which browser you use.",
    "Keep us posted!",
    "When you have a moment, try these steps and let us know.",
    "You can pick it up at the counter again tomorrow.",
]


@pytest.mark.parametrize("text", CUSTOMER_POSITIVES)
def test_customer_positive(finder, text):
    assert has_rc(finder, text, "customer")


@pytest.mark.parametrize("text", AGENT_POSITIVES)
def test_agent_positive(finder, text):
    assert has_rc(finder, text, "agent")


@pytest.mark.parametrize("text", CUSTOMER_NEGATIVES)
def test_customer_negative(finder, text):
    assert not has_rc(finder, text, "customer")


@pytest.mark.parametrize("text", AGENT_NEGATIVES)
def test_agent_negative(finder, text):
    assert not has_rc(finder, text, "agent")

