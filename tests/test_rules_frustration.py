"""FRUSTRATION rules: one made-up example per family, and the hard negatives.

Frustration is anger, exasperation or sarcasm at the product or the service,
in customer turns (not at third parties, not at oneself, not polite hedges).
"""

from __future__ import annotations

import pytest

from effortnlp.markers import MarkerFinder


def frustrated(finder: MarkerFinder, text: str, speaker: str = "customer") -> bool:
    return any(h.label == "FRUSTRATION" for h in finder.turn_hits(text, speaker, 0))


POSITIVES = [
    # lexicon and idioms
    "Honestly this app is a load of crap.",
    "Your stupid update wiped my playlists.",
    "I'm at my wit's end with this router.",
    "Absolutely disguisted by the state of the order.",
    "This is not ok, the bill doubled overnight.",
    "Getting passed from pillar to post by your agents.",
    "Another canned response, brilliant.",
    "I really regret switching to this plan.",
    "What the hell is going on with my parcel",
    "The signal here is so bad I can't make calls.",
    "Your staff treated me like a criminal at the desk.",
    "You guys really messed up my booking.",
    "Stop messing me around and give a date.",
    "I expected better from a company this size.",
    "You've ruined our holiday with this mix-up.",
    "I'm so upset with how this was handled.",
    "I'll be reporting you to trading standards.",
    "It's been 3 weeks and still no refund.",
    "Rang four times and no one is answering.",
    "The app is getting worse with every update.",
    # weaker idioms
    "Sort your website out, it crashes every day.",
    "Happening again and again, every single time I log in.",
    "On hold 40 minutes and counting.",
    # sarcasm
    "Thanks for yet another reference number.",
    "Oh joy, the train is cancelled again.",
    "That's not frustrating at all.",
    "A heads up would have been nice.",
    "Great customer service... not.",
    "Well done, five hours late /sarcasm",
    "Lost my bag again, how convenient.",
    "And surprise surprise, nothing has been dispatched.",
    # threats to leave, switch or cancel
    "I'm seriously considering cancelling my broadband contract.",
    "Time to find a new provider I think.",
    "Looks like I'll be switching providers next month.",
    "We'll take our business elsewhere.",
    "You just lost a loyal customer.",
    "I will never fly with you again.",
    "Might be time to say goodbye to you lot.",
    "Ditching you guys as soon as my contract ends.",
    # rhetorical questions at the company
    "How many more times do I have to explain this?",
    "Why does it take so long to get a reply?",
    "Why is it so difficult to change an address?",
    "How hard can it be to send a replacement?",
    "Is it too much to ask for a working login?",
    "Isn't that what we pay you for?",
    "Do you even read the messages people send?",
    "Why can't you just refund the charge?",
    "Why don't your agents ever call back?",
    "How long do I have to wait for an engineer?",
    "What kind of service is this?",
    "How is that acceptable?",
    "Is that my fault?",
    "How are you still in business?",
    "Why won't you accept a photo of the receipt?",
    "Why do I always have to chase you for updates?",
    # interjections, hashtags, emoji, punctuation, shouting
    "Seriously? A third delay this week.",
    "Come on guys, sort the wifi.",
    "Still no parcel #fedup",
    "Two hours in the queue #lesigh",
    "Charged twice for the same order 😡",
    "The app logged me out again 🙄",
    "Why was my order cancelled???",
    "I have NEVER had this problem before.",
    "I was told it would be fixed and it is STILL broken.",
    # round 2: let down, complaint lexicon, demands for accountability
    "Honestly I feel so let down by the whole airline.",
    "The offer on your homepage is completely misleading.",
    "Your broadband has been really fucky all week.",
    "I'm really upset about how the engineer visit went.",
    "Another poor performance from the evening service.",
    "Driver says one thing, app says another, get your story straight.",
    "I showed the receipt at the desk and they did nothing.",
    "The bank must do a lot better than this.",
    "That rep needs to be disciplined for the way he spoke.",
    "Hearing the same answer again from your team.",
    "It doesn't make me want to renew next year.",
    # round 2: questions at the company
    "So what was the point of paying for express shipping?",
    "Why has it taken so long to refund a cancelled trip?",
    "Three hours in the queue, where is your customer service?",
    "Why not just admit the parcel is lost?",
    # round 2: sarcasm
    "Wifi out again on my day off, well played.",
    "Really glad I'm paying extra for the premium plan then.",
    "Bins left all over the pavement, lovely start to my morning.",
    "Oh the driver was sick, that makes it all okay then.",
    "C'mon, a month for a new charger?",
    "#thanksbutnothanks",
    "Box arrived empty and I won't buy anything again from here.",
    "Charged twice this month. Fix it!",
    "Refused a refund after a death in the family, this ain't right.",
]

NEGATIVES = [
    # polite hedges and thanks
    "Thankyou so much for all your help x",
    "Sorry to be a pain, but could you check the order again?",
    "I hate to bother you but is there an update?",
    "Sorry if this is a stupid question, where is the reset button?",
    "Honestly not bad service at all, just a slow queue.",
    "It was no hassle at all, thanks.",
    "I can't believe how quick that was, thank you!",
    # self-directed and third parties
    "I feel so stupid, I typed the wrong postcode.",
    "Terrible weather here, so we'll travel tomorrow.",
    "Worst case I can collect it on Monday.",
    "The file went to the trash folder by mistake.",
    # neutral questions and statements that share words with the rules
    "How long will it take for the refund to arrive?",
    "How many times can I change my username?",
    "Why can't I see my order history?",
    "I want to cancel my order, I bought the wrong size.",
    "I need to cancel my card, it was stolen.",
    "How do I switch to a different plan?",
    "My phone keeps switching networks on the train.",
    "I don't use that email address anymore.",
    "Great service as always, thank you!",
    "Is there a way to move to a new seat?",
    "The lights don't come on when I plug it in.",
    "We take security seriously at home too.",
    "Just wanted to say the LOL Surprise big surprise arrived.",
    "Please DM me the form. I have ALWAYS loved your stores.",
    "Is anyone else's app asking for a code?",
    "It's been 3 days since I ordered and it arrived today, lovely.",
    # round 2 hard negatives
    "I think I got a phishing scam email pretending to be you.",
    "This seller looks like a scam, can you check the listing?",
    "Do you have an INTERNET ONLY plan?",
    "Notes from the call #notes",
    "Is there a way to start the day with an alarm on the app?",
    "I'm not upset at all, thanks for sorting it.",
    "The screen flickers on startup, please fix it!",
    "How do I fix it? The guide didn't say.",
]


@pytest.mark.parametrize("text", POSITIVES)
def test_frustration_positive(finder: MarkerFinder, text: str) -> None:
    assert frustrated(finder, text), text


@pytest.mark.parametrize("text", NEGATIVES)
def test_frustration_negative(finder: MarkerFinder, text: str) -> None:
    assert not frustrated(finder, text), text


@pytest.mark.parametrize("text", ["This is ridiculous.", "Why can't you just refund me?", "😡"])
def test_frustration_is_customer_only(finder: MarkerFinder, text: str) -> None:
    assert frustrated(finder, text, "customer")
    assert not frustrated(finder, text, "agent")


def test_curly_apostrophes(finder: MarkerFinder) -> None:
    assert frustrated(finder, "Why can\u2019t you just fix it?")
    assert frustrated(finder, "I\u2019m at my wit\u2019s end.")
