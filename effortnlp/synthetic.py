"""Synthetic support tickets with effort events and a documented effort model.

We may not ship real conversation text, so the bundled model, the demo dump
(``data/sample``) and the benchmark corpus are generated here. Every ticket is a
chat, email thread, call transcript or social-media thread from one of seven
domains (telecom, airline, retail, banking, SaaS, utilities, gaming), with
customer-effort events written in many phrasings -- explicit, implicit and
cross-turn -- and *hard negatives* that use the same words without the effort
("balance transfer", "callback URL", "as I mentioned" from an agent recapping,
"let us know if you need anything else", a team name in a signature).

How a ticket is made
--------------------
1. **Case difficulty.** Each ticket draws a tier -- ``smooth`` (45%),
   ``bumpy`` (33%) or ``rough`` (22%) -- because effort events cluster: a case
   that needs a transfer is also likelier to need a second contact and to end
   unresolved. Per tier, each event family has a probability of happening at
   least once and a probability of each further occurrence (``EVENT_RATES``).
   Frustration is drawn last, likelier the more other events happened.
2. **Conversation.** A skeleton (opening, issue statement, identification,
   troubleshooting, the sampled events in a random order, resolution or not,
   closing) is written as beats, then realised in the channel's format: live
   chat (bot greeting, agent joins, short turns, a new ``agent_name`` after a
   transfer), email (greetings, signatures, quoted replies, auto-replies), call
   transcript (ASR-like: lower case, no punctuation, fillers, spelled-out
   emails) or social (public @-posts of <= 280 characters, moving to DM).
3. **Truth.** ``truth`` counts the events actually written into the text.
4. **Label.** The CES survey answer comes from the effort model below.

The effort model (exact)
------------------------
A latent score on the CES 2.0 scale (7 = effortless) starts near "strongly
agree" and loses points per effort event::

    latent = 6.6
             - 0.80 * min(transfer, 3)
             - 0.90 * min(repeat_contact, 3)
             - 0.70 * min(repeat_info, 3)
             - 0.70 * min(channel_switch, 2)
             - 0.40 * min(wait, 3)
             - 1.50 * unresolved
             - 1.10 * frustration
             - 0.02 * min(max(n_turns - 8, 0), 30)        # long back-and-forth

    answer = latent + Normal(0, 0.75)
    with probability 0.03 the answer is replaced by a uniform draw from 1..7
    ces    = clip(round(answer), 1, 7)
    effort = "high" if ces <= 3, "medium" if ces == 4, "low" if ces >= 5

Why these weights. Dixon, Toman & DeLisi (*The Effortless Experience*, 2013)
name the drivers of customer effort: having to contact the company again
(the strongest "do" driver, so ``repeat_contact`` weighs most among the
counted events), being transferred, repeating information, switching
channels, and generic or slow service; and they found about two thirds of
effort is how the interaction *felt*. So the outcome and feel terms --
an unresolved issue and visible frustration -- weigh most, waiting weighs
least per occurrence, and counts saturate (a fourth transfer adds little the
third did not). The numbers are our judgement on that ranking, placed on the
anchors of ``data/real/GUIDELINES.md`` (7 = one short exchange, 5 = some
back and forth or a redirect, 3 = redirected, repeated, or left open,
1 = all of that and angry); they are **not** fitted to any data or model.
The noise is deliberate: survey answers are not a function of the transcript
(mood, expectations, careless answers), so no model should reach a perfect
score on these labels.

Public API: :func:`generate_tickets`, :func:`latent_ces`,
:func:`phrasing_counts`, and the CLI ``python -m effortnlp.synthetic``.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from random import Random
from typing import Any

from .schema import band_for

CHANNELS: tuple[str, ...] = ("chat", "email", "call", "social")
TRUTH_KEYS: tuple[str, ...] = (
    "transfer",
    "repeat_contact",
    "repeat_info",
    "channel_switch",
    "unresolved",
    "frustration",
    "wait",
)

# --------------------------------------------------------------------------
# The effort model
# --------------------------------------------------------------------------

BASELINE_CES = 6.6
#: CES points lost per event, and the count at which each family saturates.
EVENT_WEIGHTS: dict[str, float] = {
    "transfer": 0.80,
    "repeat_contact": 0.90,
    "repeat_info": 0.70,
    "channel_switch": 0.70,
    "wait": 0.40,
    "unresolved": 1.50,
    "frustration": 1.10,
}
EVENT_CAPS: dict[str, int] = {
    "transfer": 3,
    "repeat_contact": 3,
    "repeat_info": 3,
    "channel_switch": 2,
    "wait": 3,
    "unresolved": 1,
    "frustration": 1,
}
LENGTH_WEIGHT = 0.02
LENGTH_FREE_TURNS = 8
LENGTH_CAP_TURNS = 30
NOISE_SD = 0.75
CARELESS_RATE = 0.03

#: Case-difficulty tiers and their shares.
TIERS: tuple[tuple[str, float], ...] = (("smooth", 0.45), ("bumpy", 0.33), ("rough", 0.22))
#: Per tier and event family: (P(at least one), P(each further one)).
EVENT_RATES: dict[str, dict[str, tuple[float, float]]] = {
    "smooth": {
        "transfer": (0.04, 0.0),
        "repeat_contact": (0.05, 0.0),
        "repeat_info": (0.04, 0.0),
        "channel_switch": (0.08, 0.0),
        "wait": (0.08, 0.0),
        "unresolved": (0.05, 0.0),
    },
    "bumpy": {
        "transfer": (0.28, 0.10),
        "repeat_contact": (0.32, 0.15),
        "repeat_info": (0.25, 0.15),
        "channel_switch": (0.28, 0.10),
        "wait": (0.30, 0.15),
        "unresolved": (0.32, 0.0),
    },
    "rough": {
        "transfer": (0.60, 0.35),
        "repeat_contact": (0.70, 0.40),
        "repeat_info": (0.55, 0.35),
        "channel_switch": (0.45, 0.25),
        "wait": (0.55, 0.35),
        "unresolved": (0.72, 0.0),
    },
}
#: Frustration: base rate per tier plus this much per other event family present.
FRUSTRATION_BASE = {"smooth": 0.02, "bumpy": 0.10, "rough": 0.30}
FRUSTRATION_PER_EVENT = 0.10


def latent_from_truth(truth: dict[str, Any], n_turns: int) -> float:
    """The latent CES (before noise) for a ticket's event counts and length."""
    score = BASELINE_CES
    for key, weight in EVENT_WEIGHTS.items():
        score -= weight * min(int(truth.get(key, 0)), EVENT_CAPS[key])
    extra = min(max(n_turns - LENGTH_FREE_TURNS, 0), LENGTH_CAP_TURNS)
    return score - LENGTH_WEIGHT * extra


def latent_ces(ticket: dict[str, Any]) -> float:
    """The latent CES of a generated ticket (its ``truth`` and number of turns)."""
    return latent_from_truth(ticket["truth"], len(ticket["turns"]))


def survey_answer(latent: float, rng: Random) -> int:
    """Turn a latent score into the 1-7 answer a customer would give."""
    if rng.random() < CARELESS_RATE:
        return rng.randint(1, 7)
    return max(1, min(7, round(latent + rng.gauss(0.0, NOISE_SD))))


# --------------------------------------------------------------------------
# World: domains, companies, people, issues
# --------------------------------------------------------------------------

FIRST_NAMES = (
    "Maria", "James", "Aisha", "Tom", "Priya", "Lukas", "Sofia", "Daniel", "Chen", "Fatima",
    "Oliver", "Grace", "Mateo", "Hannah", "Yusuf", "Emma", "Kwame", "Lena", "Ravi", "Chloe",
    "Diego", "Nora", "Samuel", "Ines", "Hiroshi", "Zoe", "Omar", "Julia", "Patrick", "Amara",
    "Ben", "Elif", "Marcus", "Sara", "Ivan", "Leila", "Noah", "Mia", "Tariq", "Erin",
)
LAST_NAMES = (
    "Garcia", "Smith", "Okafor", "Nguyen", "Patel", "Müller", "Rossi", "Kowalski", "Haddad",
    "Brown", "Silva", "Johansson", "Kim", "O'Neill", "Fischer", "Dubois", "Mensah", "Tanaka",
    "Ahmed", "Clarke", "Novak", "Reyes", "Schmidt", "Walker", "Costa", "Lee", "Ibrahim", "Evans",
)
AGENT_NAMES = (
    "Maria", "Kevin", "Aylin", "Jordan", "Beatriz", "Sam", "Nadia", "Chris", "Tomasz", "Leah",
    "Marco", "Anita", "Jamal", "Ruth", "Felix", "Keiko", "Dev", "Lucia", "Owen", "Hana",
    "Rosa", "Ahmed", "Claire", "Viktor", "Imani", "Pete", "Alba", "Joel", "Mei", "Sean",
)
EMAIL_HOSTS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.co.uk")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTHS_LONG = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)

# One domain: companies (name, @handle, currency), what identifies the customer,
# teams a case can be handed to, third parties, products, troubleshooting
# questions with answers, and issues (opening, fix, pending lines).
DOMAINS: dict[str, dict[str, Any]] = {
    "telecom": {
        "companies": (("Brightwave Mobile", "BrightwaveHelp", "$"), ("Nordtel", "NordtelCares", "€"),
                      ("Fibrelink Broadband", "FibrelinkSupport", "£")),
        "id_label": "account number", "id_kind": "acct",
        "teams": ("Billing", "Technical Support", "Network Operations", "Retentions", "Porting"),
        "partners": ("the phone manufacturer", "the engineer contractor Openreach", "your previous provider"),
        "products": ("Unlimited Plus plan", "Fibre 500 package", "SIM-only 30GB plan", "Home Hub 4 router",
                     "Galaxy S23 handset", "Family Share plan"),
        "qa": (("Have you tried restarting the device?", "yes, twice already"),
               ("Are the lights on the router solid or flashing?", "the internet one is flashing orange"),
               ("Is this happening at home or everywhere?", "mostly at home, it's fine in town"),
               ("Which postcode is the service at?", "it's {postcode}"),
               ("Are you using the SIM in the phone it came with?", "yes, same phone as always")),
        "issues": (
            {"open": ("My internet keeps dropping every evening, sometimes for an hour at a time.",
                      "the broadband has been cutting out since {date}, I work from home so this is a problem",
                      "My {product} disconnects constantly and the speed is nowhere near what I pay for."),
             "fix": ("I've reset the line from our side and the connection looks stable now. Could you check?",
                     "There was a fault on the line which I've cleared. Your speed should be back to normal."),
             "pending": ("I've raised a fault with the network team but I can't give you a time for the fix yet.",)},
            {"open": ("I was charged {amount} on my last bill but my plan is {amount2} a month.",
                      "why is my bill {amount} this month? nothing changed on my account",
                      "There's a roaming charge on my bill from {date} but I wasn't abroad."),
             "fix": ("I can see the overcharge. I've applied a credit of the difference to your account.",
                     "That charge was applied by mistake, I've removed it and you'll see the corrected bill."),
             "pending": ("I'm not able to remove that charge myself, it needs a billing review.",)},
            {"open": ("I want to keep my number when I move to the {product}.",
                      "My new SIM arrived but it still says no service.",
                      "I'm trying to activate the eSIM and the QR code doesn't work."),
             "fix": ("I've activated the SIM on our side. Restart the phone and you should have signal in a few minutes.",
                     "I've sent a fresh eSIM code to your email. Scan that one and it will work."),
             "pending": ("The activation is stuck in our system and I can't push it through from here.",)},
            {"open": ("I'd like to cancel my contract, I'm moving abroad on {date}.",
                      "How do I upgrade to the {product}? The app gives me an error."),
             "fix": ("That's done for you now, and you'll get a confirmation email shortly.",),
             "pending": ("I can't process that today, the request has to be reviewed first.",)},
        ),
    },
    "airline": {
        "companies": (("SkyReach Airways", "SkyReachAir", "$"), ("Aurora Air", "AuroraAirHelp", "€"),
                      ("Coastal Jet", "CoastalJet", "£")),
        "id_label": "booking reference", "id_kind": "pnr",
        "teams": ("Baggage Services", "Refunds", "Reservations", "Customer Relations", "Loyalty"),
        "partners": ("the travel agent you booked with", "our codeshare partner Atlas Airlines",
                     "the airport lost property office", "your travel insurer"),
        "products": ("flight {flight}", "return trip to {city}", "Economy Flex fare", "Premium seat upgrade",
                     "SkyMiles Gold membership"),
        "qa": (("Which flight was it and on what date?", "{flight} on {date}"),
               ("Did you report it at the airport desk?", "yes, they gave me a reference slip"),
               ("Was the booking made on our website or through an agent?", "on your website"),
               ("How many passengers are on the booking?", "two adults"),
               ("Can you describe the bag?", "black hard case suitcase, red ribbon on the handle")),
        "issues": (
            {"open": ("My bag didn't arrive on {flight} from {city}.",
                      "It's been days and my suitcase is still missing after flight {flight}.",
                      "Our luggage was left behind in {city} and nobody can tell us where it is."),
             "fix": ("Good news, your bag has been located and will be delivered to your address tomorrow.",
                     "I've traced the bag, it's at the airport and the courier will drop it off today."),
             "pending": ("The bag is still being traced and I don't have an update on where it is.",)},
            {"open": ("My flight {flight} was cancelled and I want a refund, not a voucher.",
                      "I requested a refund for a cancelled flight on {date} and haven't received it."),
             "fix": ("I've processed the refund of {amount} to your original card. It can take 5-7 days to show.",),
             "pending": ("The refund request is in the queue but it hasn't been approved yet.",)},
            {"open": ("I need to change the name on my booking, it's misspelled.",
                      "Can I move my {flight} flight to a day later? The website won't let me.",
                      "I paid for a seat on {flight} and was moved without explanation."),
             "fix": ("I've made that change for you and reissued the ticket at no cost.",
                     "All done, your new itinerary has been emailed to you."),
             "pending": ("I can't change that booking from here, it needs a fare review.",)},
            {"open": ("My SkyMiles from the {city} trip were never added to my account.",),
             "fix": ("I've added the missing miles manually, they'll show within 24 hours.",),
             "pending": ("Missing miles claims take a while and I can't add them myself.",)},
        ),
    },
    "retail": {
        "companies": (("Cartwell", "CartwellHelp", "$"), ("Maple & Main", "MapleMainCare", "£"),
                      ("Shopora", "ShoporaSupport", "€"), ("HomeNest", "HomeNestHelp", "$")),
        "id_label": "order number", "id_kind": "order",
        "teams": ("Returns", "Refunds", "Delivery", "Marketplace Sellers", "Warranty"),
        "partners": ("the seller", "the courier ParcelNow", "the manufacturer", "your card issuer"),
        "products": ("standing desk", "air fryer", "wireless headphones", "linen duvet set", "running shoes",
                     "coffee machine", "kids' bike", "4K monitor", "office chair"),
        "qa": (("When was the order placed?", "on {date}"),
               ("Does the tracking show anything?", "it just says in transit since {date}"),
               ("Is the item unused and in its original packaging?", "yes, I haven't even opened it"),
               ("Which size or colour did you order?", "the grey one, medium"),
               ("Can you send a photo of the damage?", "sure, attached"),
               ("Is the {product} still under warranty?", "I think so, I got it in {month}")),
        "issues": (
            {"open": ("My order hasn't arrived, tracking says delivered but there's nothing here.",
                      "I ordered a {product} on {date} and it still hasn't shown up.",
                      "Where is my {product}? It was supposed to be here {weekday}."),
             "fix": ("I've arranged a replacement to go out today by express delivery at no cost.",
                     "I've issued a full refund of {amount}, you'll see it in 3-5 business days."),
             "pending": ("I've opened an investigation with the courier, but I can't refund until it closes.",)},
            {"open": ("The {product} arrived damaged, the box was crushed.",
                      "I received the wrong item, I ordered a {product} and got something else.",
                      "One part of the {product} is missing from the box."),
             "fix": ("I'm sorry about that. I've sent a prepaid return label and a replacement is on its way.",
                     "I've refunded the item and you don't need to send it back."),
             "pending": ("I've logged the damage report but I can't confirm a replacement yet.",)},
            {"open": ("I returned the {product} two weeks ago and still have no refund.",
                      "How long does a refund take? I sent the {product} back on {date}."),
             "fix": ("The return was received and I've released the refund of {amount} now.",),
             "pending": ("The warehouse hasn't checked the return in, so the refund can't be released yet.",)},
            {"open": ("I was charged twice for the same order.",
                      "The discount code didn't apply at checkout and I paid full price."),
             "fix": ("You're right, I've refunded the duplicate charge of {amount}.",
                     "I've applied the discount as a partial refund of {amount}."),
             "pending": ("I can see two charges, but one may be a pending authorisation, so I can't refund it.",)},
        ),
    },
    "banking": {
        "companies": (("Harbor Bank", "HarborBankHelp", "$"), ("Kestrel Bank", "KestrelBank", "£"),
                      ("Novo Finance", "NovoFinance", "€")),
        "id_label": "customer number", "id_kind": "cust",
        "teams": ("Fraud", "Disputes", "Cards", "Mortgages", "Account Security"),
        "partners": ("the merchant", "the payment provider PayFlow", "the credit reference agency"),
        "products": ("debit card", "credit card", "savings account", "mobile banking app", "overdraft",
                     "current account"),
        "qa": (("Is the card still in your possession?", "yes it's here with me"),
               ("When did you last use the card?", "on {date} at a supermarket"),
               ("Which version of the app are you on?", "the latest one, I updated it yesterday"),
               ("Do you recognise the merchant name?", "no, never heard of it"),
               ("What's the amount of the payment?", "{amount}")),
        "issues": (
            {"open": ("There's a payment of {amount} on my {product} I don't recognise.",
                      "Someone has used my card, I can see payments I didn't make.",
                      "I was charged {amount} by a merchant I've never used."),
             "fix": ("I've blocked the card, ordered a new one and refunded the payment while we investigate.",),
             "pending": ("I've raised a dispute but the outcome depends on the merchant's response.",)},
            {"open": ("I can't log in to the {product}, it says my details are wrong.",
                      "The app keeps asking me to verify my identity and then fails."),
             "fix": ("I've reset your access. You can log in now and set a new passcode.",),
             "pending": ("I can't unlock the access from here, it needs a security check.",)},
            {"open": ("My card was declined today even though I have money in the account.",
                      "My salary hasn't arrived and my employer says it was sent on {date}."),
             "fix": ("There was a temporary block on the card, I've lifted it so you can use it again.",
                     "The payment was held for a routine check, I've released it."),
             "pending": ("I can see the payment is held but I'm not able to release it myself.",)},
            {"open": ("I want to close my {product} and move everything to another bank.",
                      "Can I increase my overdraft limit? The form keeps failing."),
             "fix": ("That's been done, you'll get written confirmation in a few days.",),
             "pending": ("That request needs to go through an application review and I can't approve it.",)},
        ),
    },
    "saas": {
        "companies": (("Flowdesk", "FlowdeskHelp", "$"), ("Syncly", "SynclySupport", "$"),
                      ("Ledgerly", "LedgerlyHQ", "€")),
        "id_label": "account ID", "id_kind": "saas",
        "teams": ("Billing", "Engineering", "Tier 2 Support", "Security", "Customer Success"),
        "partners": ("your workspace admin", "the app store", "the integration vendor"),
        "products": ("Pro plan", "Teams plan", "API", "desktop app", "Slack integration", "SSO login",
                     "mobile app", "webhooks"),
        "qa": (("Which browser and version are you on?", "Chrome, latest version"),
               ("Can you send the exact error message?", "it says 'Request failed with status 500'"),
               ("Does it happen in an incognito window too?", "yes, same thing"),
               ("Roughly how many users are in the workspace?", "about 40"),
               ("When did this start?", "since the update on {date}")),
        "issues": (
            {"open": ("Our {product} stopped syncing and the team can't see new data.",
                      "The {product} crashes every time I open a project.",
                      "We're getting 500 errors from the {product} since this morning."),
             "fix": ("We found the cause and rolled out a fix, it should work now after a refresh.",
                     "I've cleared a stuck job on your workspace and the sync has resumed."),
             "pending": ("This looks like a bug and I've filed it, but I don't have a fix date.",)},
            {"open": ("We were billed for 50 seats but only have 30 users.",
                      "I downgraded from the {product} but was still charged {amount}."),
             "fix": ("I've corrected the seat count and refunded {amount} to the card on file.",),
             "pending": ("The billing change needs approval and I can't refund it right now.",)},
            {"open": ("I can't log in with {product}, it loops back to the sign-in page.",
                      "I lost access to my 2FA device and can't get into my account."),
             "fix": ("I've reset the login configuration on your account, please try again now.",),
             "pending": ("For security I can't reset that here without further verification.",)},
            {"open": ("How do I export all our data? The export button does nothing.",
                      "Is there a way to bulk import users from a CSV?"),
             "fix": ("I've run the export for you and sent the download link by email.",),
             "pending": ("Exports of that size aren't supported at the moment.",)},
        ),
    },
    "utilities": {
        "companies": (("Greenline Energy", "GreenlineEnergy", "£"), ("Clearwater Utilities", "ClearwaterCare", "$"),
                      ("Volt & Co", "VoltCoHelp", "€")),
        "id_label": "account number", "id_kind": "acct",
        "teams": ("Billing", "Metering", "Payments", "Field Engineers", "Vulnerable Customers"),
        "partners": ("the network operator", "the meter installer", "the water authority"),
        "products": ("smart meter", "direct debit", "gas supply", "electricity tariff", "water supply",
                     "prepayment meter"),
        "qa": (("Can you send a current meter reading?", "it reads {reading} today"),
               ("Is the meter display on?", "yes but it says 'comms error'"),
               ("What's the supply address?", "{street}"),
               ("When did you move in?", "on {date}")),
        "issues": (
            {"open": ("My bill is {amount}, that's triple what I normally pay.",
                      "I've been billed on an estimated reading that's way too high.",
                      "Why did my direct debit go up to {amount} without warning?"),
             "fix": ("I've rebilled the account on your actual reading and the balance is now correct.",
                     "I've reduced the direct debit back to {amount2} a month."),
             "pending": ("I've asked for the bill to be reviewed but I can't change it myself.",)},
            {"open": ("My {product} stopped sending readings.",
                      "The engineer didn't turn up for the {product} appointment on {date}."),
             "fix": ("I've booked a new appointment on a date that suits you and sent the confirmation.",
                     "I've re-paired the meter remotely, readings will come through again."),
             "pending": ("There's no appointment available at the moment and I can't book one yet.",)},
            {"open": ("I'm moving house on {date}, how do I close the account?",
                      "I paid the bill but the account still shows a balance of {amount}."),
             "fix": ("I've recorded the move and your final bill will be sent after the last reading.",
                     "I've matched your payment and the balance is now zero."),
             "pending": ("I can't trace the payment yet, so the balance will stay until it's found.",)},
        ),
    },
    "gaming": {
        "companies": (("Pixelforge", "PixelforgeHelp", "$"), ("Nebula Games", "NebulaGamesCS", "€"),
                      ("Arcadia Online", "ArcadiaSupport", "£")),
        "id_label": "player ID", "id_kind": "player",
        "teams": ("Account Security", "Payments", "Technical Support", "Trust & Safety", "Game Team"),
        "partners": ("the console store", "the platform you bought it on", "your payment provider"),
        "products": ("Season Pass", "Starfall Legends", "1,200 gem pack", "Founder's Bundle",
                     "PC launcher", "cloud save"),
        "qa": (("Which platform are you playing on?", "PC, through the launcher"),
               ("What's the error code you see?", "error NB-4021"),
               ("When did you make the purchase?", "on {date}"),
               ("Have you tried verifying the game files?", "yes, didn't help")),
        "issues": (
            {"open": ("I bought the {product} and never got the items.",
                      "I paid {amount} for gems and they didn't show up in my account."),
             "fix": ("I've added the missing items to your account, restart the game to see them.",),
             "pending": ("The purchase hasn't shown up in our records yet so I can't grant it.",)},
            {"open": ("My account got banned and I didn't do anything wrong.",
                      "Someone got into my account and changed the email."),
             "fix": ("I've restored the account and secured it, please set a new password.",),
             "pending": ("The review of the account is still open and I can't lift it myself.",)},
            {"open": ("The game crashes on launch since the last patch.",
                      "My cloud save is gone, 200 hours of progress."),
             "fix": ("I've restored your save from the last backup, you should see it now.",
                     "A hotfix is live for that crash, please update and try again."),
             "pending": ("The team is aware of the crash but there's no fix yet.",)},
        ),
    },
}


# --------------------------------------------------------------------------
# Phrasings. Slots in braces are filled per ticket ({id}, {team}, ...).
# --------------------------------------------------------------------------

# TRANSFER ------------------------------------------------------------------
#: Agent hands the case to a colleague/team who then joins the conversation.
TRANSFER_HANDOFF = (
    "I'm going to transfer you to our {team} team, they'll be able to help with this.",
    "Let me transfer you over to {team}, please stay on the line.",
    "I'll need to pass this to our {team} department. One moment while I connect you.",
    "This is one for {team}. I'm putting you through to them now.",
    "I'm escalating this to my supervisor, they'll take it from here.",
    "I don't have access to that, so I'm transferring you to a specialist.",
    "I'm handing this over to a colleague in {team} who can look into it.",
    "Let me get someone from {team} on the line for you.",
    "My colleague {agent2} in {team} will be taking over from here.",
    "That's handled by a different department, I'm going to connect you with them.",
    "I can't see that from my side, but {team} can. I'll bring them in.",
    "I'll route you to the right team for this.",
    "This needs a second-line agent, so I'm passing your chat to them now.",
    "Bear with me, I'm moving you to the {team} queue.",
    "I'm going to loop in {agent2}, who looks after {team} cases.",
    "I'll refer this to the {team} team. They'll pick it up in this conversation.",
    "Let me escalate this, I'll get a team lead for you.",
    "That's outside what I can do here, so someone from {team} will continue with you.",
)
#: Agent sends the case elsewhere and nobody joins: another team later, or a third party.
TRANSFER_ELSEWHERE = (
    "I've passed your case to our {team} team, who will contact you directly.",
    "I've escalated this to {team} and they'll be in touch.",
    "You'll need to contact {partner} about this, we can't see their side of it.",
    "Unfortunately this has to go through {partner}, please reach out to them.",
    "I've forwarded your case to {team}; they own this type of issue.",
    "This one needs to go to the people who handle {team} issues, I've set that up for you.",
    "Please take this up with {partner} directly, they can change it.",
    "Our {team} colleagues will take a look at your case.",
    "I've raised this with our {team} specialists and they'll follow up.",
    "Since it was bought through {partner}, it's them who can sort this out.",
    "We've handed this over to the {team} team for a closer look.",
    "I've referred your request to a senior colleague.",
)
#: The customer reports being bounced between people or companies before.
TRANSFER_REPORTED = (
    "I've already been transferred three times today.",
    "The last person sent me to {team} and they sent me back to you.",
    "{partner} told me to contact you, and you're telling me to contact them.",
    "I was passed from department to department on the phone for an hour.",
    "Every time I call I get bounced to a different team.",
    "I spoke to {team} and they said it's not their department.",
    "Your colleague put me through to someone who then hung up on me.",
    "I keep getting passed around and nobody owns this.",
    "I've now spoken to four different people about this.",
)
NEW_AGENT_INTRO = (
    "Hi {first}, this is {agent} from {team}. I've read through the conversation.",
    "Hello {first}, my name is {agent} and I'll be helping you from here.",
    "Hi, {agent} here from the {team} team, thanks for holding.",
    "Good {daypart} {first}, {agent} from {team}. Let me take a look at this for you.",
    "Hi {first}, I'm {agent}. My colleague explained the issue, give me a moment.",
    "Hey {first}, {agent} in {team}. Sorry you had to wait to be passed over.",
)

# REPEAT_CONTACT --------------------------------------------------------------
#: The customer says they contacted before about this issue.
REPEAT_CONTACT_CUSTOMER = (
    "This is the third time I'm contacting you about this.",
    "I called yesterday about this and was told it would be fixed.",
    "I already emailed about this on {date} and never got an answer.",
    "I've contacted you twice already this week.",
    "I was on the phone with you on {weekday} about the same thing.",
    "I'm writing again because nothing has happened since my last message.",
    "I chatted with someone last week and they said it was sorted. It isn't.",
    "Still no reply to my email from {days} days ago.",
    "This is my {nth} time reaching out.",
    "I've raised this before, case {case}.",
    "Your colleague promised me on {weekday} this would be resolved in 48 hours.",
    "We've been through this on the phone already.",
    "I opened a ticket about this last month and it was closed without a fix.",
    "I keep having to contact you about the same problem.",
    "Every week I have to chase this.",
)
#: ... or says so without saying "again": follow-ups, case numbers, "me again".
REPEAT_CONTACT_IMPLICIT = (
    "Following up on ticket {case}.",
    "Me again, about the same {product} problem.",
    "Back with the {product} issue from last week.",
    "Nothing has changed since I spoke to {prior_agent} on {weekday}.",
    "Re: case {case} - no update yet?",
    "Any news on this? It's been {days} days since I reported it.",
    "So what happened with the refund you told me about last time?",
    "I was told someone would ring me back on {weekday}. Nobody did.",
    "Chasing this up once more.",
    "Just checking in on the status of my complaint from {date}.",
)
#: The agent leaves the customer to come back or wait for a callback.
REPEAT_CONTACT_AGENT = (
    "We'll call you back within 48 hours once we have an update.",
    "Please check back with us tomorrow and we'll see where it is.",
    "Try again in 24 hours and let us know if it's still not working.",
    "Someone will get back to you in 3-5 business days.",
    "If you don't hear from us by {weekday}, please get in touch again.",
    "We'll be in touch by email when the investigation is complete.",
    "Give it {days} days and if it hasn't updated, reach out again.",
    "I've requested a callback from the team for you.",
    "You'll need to contact us again once the item is back with us.",
    "Keep an eye on your inbox, we'll follow up with next steps.",
)

# REPEAT_INFO -------------------------------------------------------------------
#: The customer says they are repeating themselves.
REPEAT_INFO_CUSTOMER = (
    "As I said, the {id_label} is {id}.",
    "I already gave you my {id_label}.",
    "Like I told the last agent, it's {id}.",
    "I've explained this three times now.",
    "For the third time, it's {id}.",
    "I just told your colleague all of this.",
    "It's in my first message.",
    "I have to explain the whole thing again?",
    "Again: the {id_label} is {id}.",
    "As I mentioned in my first email, the {product} arrived broken.",
    "I gave all these details on the phone yesterday.",
    "Do you not have notes from my last call?",
    "It's the same as I wrote above, {id}.",
    "Scroll up, I already sent the screenshots.",
    "Why do I have to repeat everything every time I contact you?",
)
#: Agent prompts that make a customer re-explain.
RI_PROMPTS = (
    "Can you tell me a bit more about the issue?",
    "Could you walk me through what happened?",
    "And what exactly is the problem you're seeing?",
    "Can you give me the details of the issue, please?",
)
#: An agent asks for something (the customer may have given it already).
ASK_ID = (
    "Could you please provide your {id_label}?",
    "Can I take your {id_label}, please?",
    "What's the {id_label} on the account?",
    "To look into this I'll need your {id_label}.",
    "Can you confirm the {id_label} for me?",
    "Please send over your {id_label} so I can check.",
    "May I have the {id_label} so I can pull up your details?",
    "Before I continue, could you share the {id_label}?",
)
#: The customer answers a re-ask: explicit complaint, or just the value again (implicit).
REPEAT_INFO_REPLY = (
    "I already gave it, it's {id}.",
    "It's {id}, same as I said at the start.",
    "{id}",
    "{id} - it's in my first message.",
    "Sure, {id}.",
    "it's {id} again",
    "I sent that already but here: {id}",
    "Same as before: {id}.",
    "Didn't the previous agent pass that on? {id}.",
    "{id}. Again.",
)

# CHANNEL_SWITCH ----------------------------------------------------------------
#: Company moves the customer to another channel, by target.
CHANNEL_SWITCH_AGENT: dict[str, tuple[str, ...]] = {
    "dm": (
        "Please send us a DM with your {id_label} and we'll take a look.",
        "Could you DM us the details? We can't discuss accounts publicly.",
        "Pop us a private message and we'll get this sorted.",
        "Follow and DM us your {id_label} so we can check this.",
        "Can you message us privately with the email on the account?",
        "Let's move this to DMs, we've sent you a message.",
    ),
    "phone": (
        "For this you'll need to call our support line on {support_phone}.",
        "Please give us a call on {support_phone}, the phone team can do this for you.",
        "For security reasons this can only be done over the phone.",
        "Our phone team has the tools for this, they're on {support_phone}.",
        "I'd recommend calling us so we can go through it with you.",
        "Please ring {team} directly on {support_phone}.",
    ),
    "email": (
        "Please email the details to {support_email} and the team will review it.",
        "Send over a few photos to {support_email} and we'll take it from there.",
        "Could you put this in an email to {support_email}? We need it in writing.",
        "You'll need to email {support_email} with a copy of the receipt.",
        "Reply to the email we sent you with the documents, please.",
    ),
    "web": (
        "You can do this yourself through the form at {url}.",
        "Please fill in the online claim form at {url}.",
        "Head to {url} and pick the option that matches your issue.",
        "There's a help article that walks you through it: {url}",
        "You'll need to submit this through your online account.",
        "Please raise it through the web portal, we can't do it in this channel.",
    ),
    "chat": (
        "Our live chat team can help with that, it's available in the app.",
        "Please start a chat with us from the Help page, they can look into your account.",
        "Start a chat from the app and choose {team}.",
    ),
    "store": (
        "Please bring it into any of our stores and they'll swap it for you.",
        "Our store staff can sort this out on the spot.",
        "You'll need to visit a branch with photo ID for this.",
        "Pop into your nearest store with the receipt.",
    ),
}
#: The customer reports having been pushed between channels before.
CHANNEL_SWITCH_REPORTED = (
    "The phone team told me to email, and email told me to message you here.",
    "I was told on the chat to call, and on the phone they sent me back to the chat.",
    "I filled in your online form twice and now I'm told to call.",
    "The store sent me to the website and the website says to visit a store.",
    "I tried the app chat first and it told me to contact you here.",
    "Your bot told me to email, so here I am.",
)

# UNRESOLVED --------------------------------------------------------------------
#: The customer's last word when the issue stays open.
UNRESOLVED_CUSTOMER = (
    "So it's still not fixed then.",
    "ok so nothing can be done. great.",
    "That doesn't solve anything, but fine.",
    "So I just have to wait and hope?",
    "I still can't use my {product}.",
    "So I'm no further than when I started.",
    "Fine. Forget it.",
    "Guess I'll wait then.",
    "That's not an answer to my question.",
    "So who CAN fix this?",
    "I'll be looking at other options then.",
    "ok",
    "Right. I'll wait for the email I suppose.",
    "This still doesn't work.",
    "I don't see how that helps me.",
)
#: The agent ends without a fix (in addition to the issue's own pending line).
UNRESOLVED_AGENT = (
    "I'm afraid there's nothing more I can do from here today.",
    "Unfortunately we don't have an ETA for a fix at the moment.",
    "I understand your frustration, but that's our policy.",
    "I'm sorry I couldn't resolve this for you today.",
    "I've noted your comments on the account.",
    "We're still investigating and I can't promise a timeframe.",
    "I'm unable to override that decision.",
    "That's all the information I have right now.",
)

# FRUSTRATION -------------------------------------------------------------------
FRUSTRATION = (
    "This is ridiculous.",
    "Honestly, this is the worst customer service I've ever dealt with.",
    "I'm beyond fed up.",
    "Seriously??",
    "Unbelievable.",
    "Great, thanks for nothing.",
    "Wow. Just wow.",
    "Brilliant. Just brilliant.",
    "Why is this so hard?",
    "WHY IS THIS SO DIFFICULT",
    "I have spent my entire lunch break on this.",
    "I'm paying {amount2} a month for this?",
    "Do you people even read these messages?",
    "Honestly, I give up.",
    "I have better things to do with my day than this.",
    "This is a joke.",
    "I'm so frustrated right now.",
    "You've got to be kidding me.",
    "Absolutely shocking service.",
    "I'm really annoyed, this should have been simple.",
    "I'm close to cancelling everything.",
    "It's like talking to a wall.",
    "Thanks for wasting my afternoon.",
    "I am losing my patience here.",
    "What a mess.",
    "This is exhausting.",
    "Oh fantastic, another form. Just what I needed.",
    "Can anyone there actually help me?",
)

# WAIT --------------------------------------------------------------------------
WAIT_CUSTOMER = (
    "I've been on hold for {mins} minutes.",
    "I waited {days} days for a reply to my email.",
    "It's been {days} days and nothing.",
    "I've been sitting here for {mins} minutes with no reply.",
    "hello? anyone there?",
    "Still waiting...",
    "I was in the queue for over an hour before I gave up yesterday.",
    "It took {days} days to get any response at all.",
    "Your phone line had a {mins} minute wait so I'm trying here.",
    "How much longer is this going to take?",
    "I've been waiting since {date} for this.",
    "Are you still there? It's been ages.",
    "Nobody has answered my messages for {days} days.",
)
WAIT_AGENT = (
    "Sorry for the long wait today.",
    "Apologies for the delay in getting back to you.",
    "Thank you for your patience, we're experiencing very high volumes.",
    "Sorry to keep you waiting so long.",
    "Apologies that it's taken us {days} days to respond.",
    "I'm sorry about the wait, we're short-staffed today.",
    "Sorry for the slow reply.",
)
WAIT_SYSTEM = (
    "You are number {queue} in the queue. Estimated wait: {mins} minutes.",
    "All our agents are busy. Your estimated wait time is {mins} minutes.",
    "Thanks for waiting, an agent will be with you shortly. Current position: {queue}.",
    "Due to high demand, replies may take up to {days} business days.",
)

# HARD NEGATIVES: the same words, no effort ---------------------------------------
#: (speaker, text, domains or "*" for any)
HARD_NEGATIVES: tuple[tuple[str, str, str], ...] = (
    ("customer", "I want to transfer {amount} from my current account to my savings.", "banking"),
    ("customer", "What's the fee for a balance transfer to the credit card?", "banking"),
    ("agent", "The balance transfer offer is 0% for 18 months.", "banking"),
    ("customer", "Can I put a hold on my card while I look for it?", "banking"),
    ("customer", "Our webhook callback URL is {url}/hooks, is that right?", "saas"),
    ("agent", "Make sure the callback URL in your settings starts with https.", "saas"),
    ("customer", "Is there an API to transfer ownership of the workspace?", "saas"),
    ("agent", "The data transfer limit on your plan is 500 GB.", "saas"),
    ("customer", "How do I transfer my contacts to the new phone?", "telecom"),
    ("customer", "Can I transfer my data allowance to my daughter's line?", "telecom"),
    ("customer", "Can I transfer my progress to the new console?", "gaming"),
    ("customer", "Can I transfer the flight credit to my husband?", "airline"),
    ("agent", "The airport transfer is included in your package.", "airline"),
    ("customer", "Can you hold the order until Friday? I'm away.", "retail"),
    ("agent", "I've put the replacement on hold until you confirm the address.", "retail"),
    ("customer", "Do you do bank transfer payments or just card?", "*"),
    ("customer", "My email is {email} if you need it.", "*"),
    ("agent", "As I mentioned, the refund will show in 3-5 business days.", "*"),
    ("agent", "As mentioned above, you won't be charged for this.", "*"),
    ("agent", "Just to recap what I've done today: the issue is fixed and you're all set.", "*"),
    ("customer", "I'll call my partner first and then confirm, no rush.", "*"),
    ("customer", "No need to call me, I'm happy to sort it here.", "*"),
    ("customer", "I might pop into the store at the weekend anyway.", "*"),
    ("customer", "Thanks again, you've been great.", "*"),
    ("customer", "Can't wait to try it!", "*"),
    ("agent", "I'll pass your feedback on to our product team.", "*"),
    ("customer", "Haha I'd definitely fly with you again.", "airline"),
    ("customer", "I'll order from you again for sure.", "retail"),
    ("agent", "If you ever need us again, we're here 24/7.", "*"),
    ("customer", "My manager asked me to contact you about our account.", "saas"),
    ("agent", "You can also reach us by phone or email anytime, whatever suits you.", "*"),
    ("customer", "Sorry for the wait, I had to find the paperwork!", "*"),
)
#: Courtesy closings that sound like "come back" but are not (guidelines: not repeat contact).
#: Hard negatives that only make sense once the issue is sorted.
END_NEGATIVES = frozenset({
    "Thanks again, you've been great.", "Can't wait to try it!",
    "Haha I'd definitely fly with you again.", "I'll order from you again for sure.",
    "If you ever need us again, we're here 24/7.",
    "Just to recap what I've done today: the issue is fixed and you're all set.",
})
CLOSINGS_AGENT = (
    "Is there anything else I can help you with today?",
    "Let us know if you need anything else!",
    "Anything else I can do for you?",
    "If there's anything else, just let us know.",
    "Feel free to reach out if you have any other questions.",
    "Have a lovely {daypart}!",
)

# Neutral material: greetings, empathy, troubleshooting filler, resolutions.
EMPATHY = (
    "I'm sorry to hear that.",
    "I understand how frustrating that must be, let's get it sorted.",
    "Thanks for explaining, I can see why you're getting in touch.",
    "Sorry about the trouble with this.",
    "Thanks for letting us know.",
    "I'll do my best to help with this.",
)
CHECKING = (
    ("Let me check that for you.", "sure"),
    ("Give me a moment to look at the account.", "ok"),
    ("Thanks, I've found your details.", "great"),
    ("Let me just run a quick check on our side.", "ok thanks"),
    ("I'm just reading through the notes on your account.", "no problem"),
)
GENERIC_QA = (
    ("Can you confirm your full name please?", "{name}"),
    ("And the best phone number to reach you on?", "{phone}"),
    ("Did you get any error message?", "no, it just doesn't work"),
    ("Has anything changed recently on your side?", "not that I know of"),
)
STORY = (
    "I use it every day for work so it's quite important.",
    "I've been a customer for about {years} years and never had a problem before.",
    "It was a present for my mum so I'd like it sorted before {weekday}.",
    "I followed all the steps in the app but nothing changed.",
    "My partner had the same thing happen last year, if that helps.",
    "I'm travelling next week so I need this working before then.",
    "I checked the FAQ on the website but couldn't find this case.",
)
EXPLAIN = (
    "I can see the {product} on your account and everything else looks normal.",
    "Just so you know, our systems update overnight, so some changes show the next morning.",
    "I've added a note to the account with everything we've discussed.",
    "The details you gave match what I have here, thanks.",
    "This sometimes happens after a system update, it's usually a quick fix.",
)
RESOLVED_CUSTOMER = (
    "That worked, thank you!",
    "Perfect, thanks so much.",
    "Great, that's all I needed.",
    "brilliant thanks",
    "Yes it's working now, appreciate it.",
    "Oh that was quick, thank you.",
    "Lovely, thanks for your help.",
    "ok great, thanks {agent}",
)
CUSTOMER_BYE = ("No, that's everything, thanks.", "no that's all", "That's it, thank you!", "nope, all good")
#: The customer follows a channel switch the ticket can follow, by target.
SWITCH_DONE = {
    "dm": ("Done", "Sent you a DM", "dm'd", "just messaged you"),
    "email": ("Just sent them over.", "Sent.", "ok, emailed you just now", "Done, I've sent it."),
    "web": ("Done.", "ok, done that now", "ok I've done that", "Done, submitted."),
}
BOT_GREETINGS = (
    "Hi! I'm {bot}, {company}'s virtual assistant. What can I help you with today?",
    "Welcome to {company} support. Please tell me briefly what your question is about.",
    "Hello! Before I connect you to an agent, what's your question about?",
)
BOT_HANDOFFS = (
    "Thanks! I'm connecting you with an agent now.",
    "Got it. Let me find someone who can help with that.",
    "I'll pass you to a member of our team.",
)
CHAT_TOPICS = ("billing", "my order", "technical problem", "agent please", "refund", "account access",
               "talk to a person", "hi")
EMAIL_SIGNOFFS_AGENT = ("Best regards", "Kind regards", "Many thanks", "Sincerely")
EMAIL_TEAMS = ("Customer Care Team", "Customer Support", "Support Team", "Customer Relations Team",
               "Help Centre", "Resolution Team")
FILLERS = ("um", "uh", "you know", "like", "i mean", "uh", "um")


def phrasing_counts() -> dict[str, int]:
    """How many distinct phrasing templates each marker family (and the hard negatives) has."""
    issue_pending = sum(len(i["pending"]) for d in DOMAINS.values() for i in d["issues"])
    return {
        "transfer": len(TRANSFER_HANDOFF) + len(TRANSFER_ELSEWHERE) + len(TRANSFER_REPORTED),
        "repeat_contact": len(REPEAT_CONTACT_CUSTOMER) + len(REPEAT_CONTACT_IMPLICIT)
        + len(REPEAT_CONTACT_AGENT),
        "repeat_info": len(REPEAT_INFO_CUSTOMER) + len(REPEAT_INFO_REPLY),
        "channel_switch": sum(len(v) for v in CHANNEL_SWITCH_AGENT.values())
        + len(CHANNEL_SWITCH_REPORTED),
        "unresolved": len(UNRESOLVED_CUSTOMER) + len(UNRESOLVED_AGENT) + issue_pending,
        "frustration": len(FRUSTRATION),
        "wait": len(WAIT_CUSTOMER) + len(WAIT_AGENT) + len(WAIT_SYSTEM),
        "hard_negative": len(HARD_NEGATIVES) + len(CLOSINGS_AGENT),
    }


# --------------------------------------------------------------------------
# Slots: per-ticket values, made lazily so unused ones cost nothing
# --------------------------------------------------------------------------


class _Slots(dict):
    def __init__(self, rng: Random, domain: str, company: tuple[str, str, str]) -> None:
        super().__init__()
        self.rng = rng
        self.dom = DOMAINS[domain]
        name, handle, cur = company
        self.currency = cur
        slug = re.sub(r"[^a-z]", "", name.lower())
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        self.update(
            company=name, chandle=handle, first=first, last=last, name=f"{first} {last}",
            url=f"{slug}.com/help", support_email=f"support@{slug}.com",
            id_label=self.dom["id_label"], bot=rng.choice(("Ava", "Max", "Nova", "Sky")),
        )

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key == "id":
            v = _make_id(rng, self.dom["id_kind"])
        elif key == "email":
            sep = rng.choice((".", "_", ""))
            v = f"{self['first'].lower()}{sep}{_ascii(self['last']).lower()}{rng.randint(1, 99)}@{rng.choice(EMAIL_HOSTS)}"
        elif key == "phone":
            v = f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        elif key == "handle":
            v = f"{self['first'].lower()}{rng.choice(('_', '', '.'))}{rng.choice(('x', 'j', 'uk', str(rng.randint(1, 99))))}"
        elif key == "product":
            v = rng.choice(self.dom["products"]).format_map(self)
        elif key in ("amount", "amount2"):
            v = f"{self.currency}{rng.randint(9, 480)}.{rng.choice(('00', '99', '50', '49', str(rng.randint(10, 99))))}"
        elif key in ("date", "date2"):
            v = rng.choice((f"{MONTHS_LONG[rng.randrange(12)]} {rng.randint(1, 28)}",
                            f"{rng.randint(1, 28)} {MONTHS_LONG[rng.randrange(12)]}",
                            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}"))
        elif key == "weekday":
            v = rng.choice(WEEKDAYS[:5])
        elif key == "month":
            v = MONTHS_LONG[rng.randrange(12)]
        elif key == "days":
            v = str(rng.randint(2, 14))
        elif key == "mins":
            v = str(rng.choice((15, 20, 25, 30, 40, 45, 50, 60, 90)))
        elif key == "queue":
            v = str(rng.randint(4, 38))
        elif key == "years":
            v = str(rng.randint(2, 15))
        elif key == "nth":
            v = rng.choice(("third", "fourth", "fifth"))
        elif key == "case":
            v = rng.choice((f"CS-{rng.randint(10000, 99999):07d}", f"#{rng.randint(1000000, 9999999)}",
                            f"{rng.randint(100000, 999999)}"))
        elif key == "support_phone":
            v = rng.choice(("0800 555 0142", "1-800-555-0199", "0333 555 0170", "+44 20 7946 0321"))
        elif key == "partner":
            v = rng.choice(self.dom["partners"])
        elif key in ("team", "team2"):
            v = rng.choice(self.dom["teams"])
        elif key == "prior_agent":
            v = rng.choice(AGENT_NAMES)
        elif key == "city":
            v = rng.choice(("Lisbon", "Chicago", "Dublin", "Madrid", "Toronto", "Berlin", "Manchester", "Oslo"))
        elif key == "flight":
            v = f"{self['chandle'][:2].upper()}{rng.randint(100, 2999)}"
        elif key == "postcode":
            v = rng.choice(("M14 5RT", "LS6 2AB", "90210", "10115", "D08 X2Y4"))
        elif key == "street":
            v = f"{rng.randint(1, 180)} {rng.choice(('Elm', 'Station', 'Mill', 'Park', 'Church'))} {rng.choice(('Road', 'Street', 'Lane'))}"
        elif key == "reading":
            v = f"{rng.randint(10000, 99999)}"
        elif key == "daypart":
            v = rng.choice(("morning", "afternoon", "evening", "day"))
        else:  # pragma: no cover - a template typo
            raise KeyError(key)
        self[key] = v
        return v


def _ascii(s: str) -> str:
    return s.replace("ü", "u").replace("'", "")


def _make_id(rng: Random, kind: str) -> str:
    digits = "0123456789"
    alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    if kind == "order":
        return rng.choice((f"#{rng.randint(1000000, 9999999)}", f"W{rng.randint(100000000, 999999999)}",
                           f"{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}"))
    if kind == "pnr":
        return "".join(rng.choice(alnum) for _ in range(6))
    if kind == "saas":
        return "ACC-" + "".join(rng.choice(alnum) for _ in range(7))
    if kind == "player":
        return "".join(rng.choice(alnum) for _ in range(9))
    return "".join(rng.choice(digits) for _ in range(rng.choice((8, 9, 10)))).lstrip("0") or "4817"


class _Ctx(dict):
    """Slots plus per-beat overrides; unknown keys fall through to the ticket's slots."""

    def __init__(self, slots: _Slots, extra: dict[str, str]) -> None:
        super().__init__(extra)
        self.slots = slots

    def __missing__(self, key: str) -> str:
        return self.slots[key]


# --------------------------------------------------------------------------
# Planning: events -> beats
# --------------------------------------------------------------------------


class _Beat:
    __slots__ = ("speaker", "tpl", "extra", "kind", "gap", "channel")

    def __init__(self, speaker: str, tpl: str, kind: str = "", *, gap: float = 0.0,
                 channel: str | None = None, **extra: str) -> None:
        self.speaker = speaker
        self.tpl = tpl
        self.kind = kind
        self.gap = gap
        self.channel = channel
        self.extra = extra


class _Plan:
    """A ticket before realisation: head beats, middle units (some optional), tail beats."""

    def __init__(self, rng: Random, channel: str, domain: str) -> None:
        self.rng = rng
        self.channel = channel
        self.domain = domain
        self.head: list[_Beat] = []
        self.middle: list[tuple[bool, list[_Beat]]] = []  # (optional, beats)
        self.tail: list[_Beat] = []
        self.truth: dict[str, Any] = {k: 0 for k in TRUTH_KEYS}
        self.fillers: list[list[_Beat]] = []
        self.follow_dm = False

    def beats(self) -> list[_Beat]:
        out = list(self.head)
        for _, unit in self.middle:
            out.extend(unit)
        out.extend(self.tail)
        return out

    def add_filler(self) -> bool:
        if not self.fillers:
            return False
        unit = self.fillers.pop()
        pos = self.rng.randint(0, len(self.middle))
        self.middle.insert(pos, (True, unit))
        return True

    def drop_filler(self) -> bool:
        for i in range(len(self.middle) - 1, -1, -1):
            if self.middle[i][0]:
                del self.middle[i]
                return True
        return False


def _sample_events(rng: Random, channel: str) -> tuple[str, dict[str, int], bool, bool]:
    r = rng.random()
    tier = TIERS[-1][0]
    for name, share in TIERS:
        if r < share:
            tier = name
            break
        r -= share
    counts: dict[str, int] = {}
    for fam, (p_first, p_more) in EVENT_RATES[tier].items():
        n = 0
        if rng.random() < p_first:
            n = 1
            while n < 3 and rng.random() < p_more:
                n += 1
        counts[fam] = n
    unresolved = counts.pop("unresolved") > 0
    if channel == "social":  # public threads are short: one of each at most
        counts = {k: min(v, 1) for k, v in counts.items()}
    present = sum(1 for v in counts.values() if v) + unresolved
    p_frustrated = min(0.9, FRUSTRATION_BASE[tier] + FRUSTRATION_PER_EVENT * present)
    frustration = rng.random() < p_frustrated
    return tier, counts, unresolved, frustration


_WRITTEN_ONLY = re.compile(r"message|email|scroll|above|wrote|screenshot", re.I)
_LIVE_ONLY = re.compile(r"anyone there|still there|sitting here|Still waiting|How much longer", re.I)


def _fit(templates: tuple[str, ...], channel: str) -> tuple[str, ...]:
    """The templates a customer could say in this channel (no "scroll up" on a call)."""
    bad = _WRITTEN_ONLY if channel == "call" else _LIVE_ONLY if channel in ("email", "social") else None
    return tuple(t for t in templates if not (bad and bad.search(t))) if bad else templates


_GAPS = {"chat": (15, 110), "call": (3, 25), "email": (3600, 30 * 3600), "social": (300, 5 * 3600)}
_WAIT_GAPS = {"chat": (8 * 60, 35 * 60), "call": (6 * 60, 40 * 60), "email": (3 * 86400, 8 * 86400),
              "social": (86400, 4 * 86400)}


def _plan_ticket(rng: Random, channel: str, domain: str, slots: _Slots, *, long: bool) -> _Plan:
    plan = _Plan(rng, channel, domain)
    dom = DOMAINS[domain]
    issue = rng.choice(dom["issues"])
    _tier, counts, unresolved, frustration = _sample_events(rng, channel)
    truth = plan.truth
    choice = rng.choice
    wait_gap = _WAIT_GAPS[channel]
    C, A, S = "customer", "agent", "system"

    # --- how each sampled event will be written
    transfers = []
    for _ in range(counts["transfer"]):
        if channel == "social":
            transfers.append(choice(("elsewhere", "reported")))
        else:
            transfers.append(rng.choices(("handoff", "elsewhere", "reported"), (0.65, 0.15, 0.2))[0])
    # a case is sent away (to a team that will "be in touch", or a third party) at
    # most once, and only when it stays open: a resolved ticket was handled here
    if not unresolved or transfers.count("elsewhere") > 1:
        keep = unresolved
        for i, t in enumerate(transfers):
            if t == "elsewhere":
                if keep:
                    keep = False
                    continue
                transfers[i] = "reported" if channel == "social" else "handoff"
    n_rc = counts["repeat_contact"]
    rc_agent = 1 if (n_rc and unresolved and rng.random() < 0.5) else 0
    rc_customer = n_rc - rc_agent
    n_ri = counts["repeat_info"]
    ri_modes = [choice(("reask", "reask", "say")) for _ in range(n_ri)]
    gives_id_early = rng.random() < 0.45 or "reask" in ri_modes
    n_cs = counts["channel_switch"]
    n_wait = counts["wait"]

    # --- head: opening and the customer's statement of the issue
    opening_wait = n_wait and rng.random() < 0.6
    if opening_wait:
        n_wait -= 1
    if channel == "chat":
        if rng.random() < 0.5:
            plan.head.append(_Beat(S, "Chat started"))
        if rng.random() < 0.7:  # most, not all, desks put a bot in front
            plan.head.append(_Beat(A, choice(BOT_GREETINGS), "bot"))
            plan.head.append(_Beat(C, choice(CHAT_TOPICS)))
            plan.head.append(_Beat(A, choice(BOT_HANDOFFS), "bot"))
        if opening_wait:
            plan.head.append(_Beat(S, choice(WAIT_SYSTEM[:3])))
            plan.head.append(_Beat(C, choice(("hello? anyone there?", "Still waiting...",
                                               "I've been sitting here for {mins} minutes with no reply.")),
                                   gap=rng.uniform(*wait_gap)))
            truth["wait"] += 1
        plan.head.append(_Beat(S, "{agent} has joined the chat", "join", gap=rng.uniform(5, 60)))
        plan.head.append(_Beat(A, choice(("Hi {first}, my name is {agent}. How can I help you today?",
                                          "Hello, you're chatting with {agent}. What can I do for you?",
                                          "Hi there! {agent} here, thanks for contacting {company}."))))
    elif channel == "call":
        plan.head.append(_Beat(A, choice(("Thank you for calling {company}, my name is {agent}, how can I help you today?",
                                          "{company}, you're speaking with {agent}. How can I help?",
                                          "Hi, thanks for calling {company} support, this is {agent}."))))
        if opening_wait:
            plan.head.append(_Beat(C, choice(("Hi. I've been on hold for {mins} minutes.",
                                              "Finally. I was in the queue for {mins} minutes."))))
            truth["wait"] += 1
            plan.head.append(_Beat(A, choice(WAIT_AGENT)))
    elif channel == "social" and opening_wait:
        plan.head.append(_Beat(C, choice(("Nobody has answered my messages for {days} days.",
                                          "It's been {days} days and nothing."))))
        truth["wait"] += 1
    elif channel == "email" and opening_wait:
        plan.head.append(_Beat(C, choice(("I waited {days} days for a reply to my email.",
                                          "It's been {days} days and nothing.",
                                          "I've been waiting since {date} for this."))))
        truth["wait"] += 1

    if rc_customer:
        tpl = choice(REPEAT_CONTACT_CUSTOMER if rng.random() < 0.6 else REPEAT_CONTACT_IMPLICIT)
        plan.head.append(_Beat(C, tpl))
        truth["repeat_contact"] += 1
        rc_customer -= 1
    plan.head.append(_Beat(C, choice(issue["open"])))
    for i, t in enumerate(transfers):
        if t == "reported" and rng.random() < 0.5:
            plan.head.append(_Beat(C, choice(TRANSFER_REPORTED)))
            truth["transfer"] += 1
            transfers[i] = "done"
    if n_cs and rng.random() < 0.2:
        plan.head.append(_Beat(C, choice(CHANNEL_SWITCH_REPORTED)))
        truth["channel_switch"] += 1
        n_cs -= 1
    if gives_id_early:
        plan.head.append(_Beat(C, choice(("My {id_label} is {id}.", "{id_label}: {id}",
                                          "The {id_label} is {id}.", "Ref {id}"))))
    if frustration and rng.random() < 0.4:
        plan.head.append(_Beat(C, choice(FRUSTRATION)))
    if channel == "email" and rng.random() < 0.35:
        plan.head.append(_Beat(S, choice((
            "Thank you for contacting {company}. This is an automated reply to confirm we've received "
            "your message (ref {case}). We aim to respond within 48 hours.",
            "We've received your request. Your case number is {case}. Please do not reply to this email."))))
    if channel != "chat" or rng.random() < 0.7:
        plan.head.append(_Beat(A, choice(EMPATHY), gap=rng.uniform(*_GAPS[channel])))
    if not gives_id_early:
        plan.head.append(_Beat(A, choice(ASK_ID)))
        plan.head.append(_Beat(C, choice(("{id}", "It's {id}.", "sure, {id}", "{id} I think"))))

    # --- middle: the events in a random order, plus troubleshooting
    units: list[list[_Beat]] = []
    for t in transfers:
        if t == "handoff":
            team = slots.rng.choice(dom["teams"])
            unit = [_Beat(A, choice(TRANSFER_HANDOFF), "handoff", team=team)]
            if channel == "chat":
                if rng.random() < 0.6:
                    unit.append(_Beat(S, "Chat transferred to {team}", team=team))
                unit.append(_Beat(S, "{agent} has joined the chat", "join", gap=rng.uniform(20, 240)))
            elif channel == "call":
                unit.append(_Beat(S, choice(("[transferring]", "[call transferred]", "[hold music]")),
                                  gap=rng.uniform(30, 300)))
            unit.append(_Beat(A, choice(NEW_AGENT_INTRO), "join_intro", team=team))
            if "reask" in ri_modes:
                ri_modes.remove("reask")
                unit.append(_Beat(A, choice(ASK_ID)))
                unit.append(_Beat(C, choice(_fit(REPEAT_INFO_REPLY, channel))))
                truth["repeat_info"] += 1
            truth["transfer"] += 1
            units.append(unit)
        elif t == "reported":
            units.append([_Beat(C, choice(TRANSFER_REPORTED))])
            truth["transfer"] += 1
    for mode in ri_modes:
        if mode == "reask":
            units.append([_Beat(A, choice(ASK_ID)), _Beat(C, choice(_fit(REPEAT_INFO_REPLY, channel)))])
        else:
            units.append([_Beat(A, choice(RI_PROMPTS)), _Beat(C, choice(_fit(REPEAT_INFO_CUSTOMER, channel)))])
        truth["repeat_info"] += 1
    for _ in range(rc_customer):
        units.append([_Beat(C, choice(REPEAT_CONTACT_CUSTOMER + REPEAT_CONTACT_IMPLICIT))])
        truth["repeat_contact"] += 1
    for _ in range(n_wait):
        if channel == "chat":
            units.append([_Beat(A, "Let me look into that, one moment."),
                          _Beat(C, choice(("hello? anyone there?", "Still waiting...",
                                           "Are you still there? It's been ages.",
                                           "How much longer is this going to take?")),
                                gap=rng.uniform(*wait_gap)),
                          _Beat(A, choice(WAIT_AGENT))])
        elif channel == "call":
            units.append([_Beat(A, "Can I put you on a brief hold while I check?"), _Beat(C, "ok"),
                          _Beat(S, "[on hold {mins} minutes]", gap=rng.uniform(*wait_gap)),
                          _Beat(A, choice(WAIT_AGENT))])
        else:
            units.append([_Beat(C, choice(_fit(WAIT_CUSTOMER, channel)), gap=rng.uniform(*wait_gap)),
                          _Beat(A, choice(WAIT_AGENT))])
        truth["wait"] += 1
    follow_dm = False
    for k in range(n_cs):
        if rng.random() < 0.15:
            units.append([_Beat(C, choice(CHANNEL_SWITCH_REPORTED))])
            truth["channel_switch"] += 1
            continue
        targets = {"social": ("dm",) * 4 + ("web", "email"),
                   "chat": ("phone", "email", "web", "store", "phone"),
                   "email": ("phone", "web", "chat", "store", "phone"),
                   "call": ("web", "email", "store", "web")}[channel]
        if not unresolved:  # the ticket itself follows the customer, so the switch must be one it can follow
            targets = tuple(x for x in targets if x in ("dm", "email", "web")) or ("web",)
        target = choice(targets)
        unit = [_Beat(A, choice(CHANNEL_SWITCH_AGENT[target]), "switch")]
        truth["channel_switch"] += 1
        if target == "dm" and k == 0 and (not unresolved or rng.random() < 0.5):
            follow_dm = True
            unit.append(_Beat(C, choice(SWITCH_DONE["dm"]), "dm_ack", gap=rng.uniform(60, 900)))
        elif not unresolved:
            unit.append(_Beat(C, choice(SWITCH_DONE[target]), gap=rng.uniform(*_GAPS[channel])))
        units.append(unit)
    if frustration:
        units.append([_Beat(C, choice(FRUSTRATION))])
    # hard negatives, ~40% of tickets
    pool = [h for h in HARD_NEGATIVES if h[2] in ("*", domain)]
    end_negatives: list[_Beat] = []
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        speaker, text, _ = choice(pool)
        if text in END_NEGATIVES:
            if not unresolved:
                end_negatives.append(_Beat(speaker, text))
        elif speaker == "agent" and text.startswith("As"):  # a recap needs something to recap
            units.append([_Beat(A, choice(EXPLAIN)), _Beat(C, "ok"), _Beat(A, text)])
        else:
            units.append([_Beat(speaker, text)])
    rng.shuffle(units)
    # once a thread moves to DM it stays there: move the DM unit's followers after it
    plan.middle = [(False, u) for u in units]

    # troubleshooting fillers: some used now, the rest kept for bench padding
    fillers: list[list[_Beat]] = []
    for q, a in dom["qa"] + GENERIC_QA:
        fillers.append([_Beat(A, q), _Beat(C, a, gap=rng.uniform(*_GAPS[channel]))])
    for s in STORY:
        fillers.append([_Beat(C, s)])
    for s in EXPLAIN:
        fillers.append([_Beat(A, s)])
    for a, c in CHECKING:
        fillers.append([_Beat(A, a), _Beat(C, c)])
    rng.shuffle(fillers)
    plan.fillers = fillers
    n_fill = {"chat": rng.choice((0, 0, 1, 1, 2, 3)), "call": rng.choice((1, 2, 3, 4)),
              "email": rng.choice((0, 0, 1, 2)), "social": 0}[channel]
    if long:
        n_fill += rng.randint(5, 11)
    for _ in range(n_fill):
        plan.add_filler()

    # --- tail: resolution or not, closing
    if unresolved:
        if "elsewhere" in transfers:
            plan.tail.append(_Beat(A, choice(TRANSFER_ELSEWHERE), gap=rng.uniform(*_GAPS[channel])))
            truth["transfer"] += 1
        plan.tail.append(_Beat(A, choice(issue["pending"]), gap=rng.uniform(*_GAPS[channel])))
        if rng.random() < 0.5:
            plan.tail.append(_Beat(A, choice(UNRESOLVED_AGENT)))
        if rc_agent:
            plan.tail.append(_Beat(A, choice(REPEAT_CONTACT_AGENT)))
            truth["repeat_contact"] += 1
        if rng.random() < 0.75:
            plan.tail.append(_Beat(C, choice(UNRESOLVED_CUSTOMER)))
            if frustration and rng.random() < 0.4:
                plan.tail.append(_Beat(C, choice(FRUSTRATION)))
        if channel in ("chat", "call") and rng.random() < 0.3:
            plan.tail.append(_Beat(A, choice(CLOSINGS_AGENT[:4])))
            plan.tail.append(_Beat(C, "no."))
    else:
        plan.tail.append(_Beat(A, choice(issue["fix"]), gap=rng.uniform(*_GAPS[channel])))
        if channel == "email":  # one reply carries the fix and the courtesy line
            plan.tail.extend(b for b in end_negatives if b.speaker == "agent")
            if rng.random() < 0.8:
                plan.tail.append(_Beat(A, choice(CLOSINGS_AGENT)))
            if rng.random() < 0.5 or any(b.speaker == "customer" for b in end_negatives):
                plan.tail.append(_Beat(C, choice(RESOLVED_CUSTOMER), gap=rng.uniform(*_GAPS[channel])))
                plan.tail.extend(b for b in end_negatives if b.speaker == "customer")
        else:
            plan.tail.append(_Beat(C, choice(RESOLVED_CUSTOMER), gap=rng.uniform(*_GAPS[channel])))
            plan.tail.extend(end_negatives)
            if rng.random() < 0.8:
                plan.tail.append(_Beat(A, choice(CLOSINGS_AGENT)))
                if channel in ("chat", "call"):
                    plan.tail.append(_Beat(C, choice(CUSTOMER_BYE)))
    if channel == "chat":
        plan.tail.append(_Beat(S, choice(("{agent} has left the chat", "Chat ended by agent",
                                          "The chat has ended. Please rate your experience."))))
    plan.follow_dm = follow_dm
    truth["unresolved"] = unresolved
    truth["frustration"] = frustration
    return plan


# --------------------------------------------------------------------------
# Realisation: beats -> turns in each channel's format
# --------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ASR_DROP = re.compile(r"[!?;:,\"()\[\]…#]|(?<!\d)\.|\.(?!\d)|\s[-–]\s|\^")


def _asr(text: str, rng: Random) -> str:
    """Make text look like speech-to-text output: lower case, no punctuation, fillers."""
    t = _EMAIL_RE.sub(lambda m: m.group(0).replace("@", " at ").replace(".", " dot "), text.lower())
    t = t.replace("/", " slash ")
    t = _ASR_DROP.sub(" ", t)
    out: list[str] = []
    for w in t.split():
        r = rng.random()
        if r < 0.055:
            out.append(rng.choice(FILLERS))
        elif r < 0.07:
            out.append(w)  # a stutter: "i i"
        out.append(w)
    if out and rng.random() < 0.3:
        out.insert(0, rng.choice(("yeah", "okay", "so", "um", "uh", "right")))
    return " ".join(out) or "mhm"


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _truncate_post(text: str, limit: int = 280) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    stop = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    if stop > limit // 2:
        return cut[: stop + 1]
    return cut[: cut.rfind(" ")] + "…"


def _realize(plan: _Plan, slots: _Slots, agents: Sequence[str], start: datetime) -> list[dict[str, Any]]:
    rng = plan.rng
    channel = plan.channel
    gap_lo, gap_hi = _GAPS[channel]
    cur = 0
    team = ""
    t = start
    in_dm = False
    raw: list[dict[str, Any]] = []
    prev_speaker = None
    for beat in plan.beats():
        extra = {"agent": agents[cur], "agent2": agents[min(cur + 1, len(agents) - 1)]}
        if beat.extra:
            extra.update(beat.extra)
        text = beat.tpl.format_map(_Ctx(slots, extra))
        speaker_name = agents[cur]
        if beat.kind == "handoff":  # said by the current agent; the next one takes over after
            cur = min(cur + 1, len(agents) - 1)
            team = beat.extra.get("team", team)
        if beat.gap:
            t += timedelta(seconds=beat.gap)
        elif beat.speaker == prev_speaker or beat.speaker == "system":
            t += timedelta(seconds=rng.uniform(2, 20 if channel != "email" else 120))
        else:
            t += timedelta(seconds=rng.uniform(gap_lo, gap_hi))
        prev_speaker = beat.speaker
        turn: dict[str, Any] = {"speaker": beat.speaker, "text": text}
        if beat.speaker == "agent":
            if beat.kind == "bot":
                turn["agent_name"] = f"{slots['bot']} (virtual assistant)"
                turn["is_bot"] = True
            else:
                turn["agent_name"] = speaker_name
        turn["timestamp"] = t
        if in_dm:
            turn["channel"] = "dm"
        turn["_team"] = team
        raw.append(turn)
        if plan.follow_dm and beat.kind in ("dm_ack",):
            in_dm = True
    if channel == "chat":
        turns = _style_chat(raw, rng)
    elif channel == "email":
        turns = _style_email(raw, rng, slots)
    elif channel == "call":
        turns = _style_call(raw, rng)
    else:
        turns = _style_social(raw, rng, slots)
    for turn in turns:
        turn.pop("_team", None)
        turn["timestamp"] = _ts(turn["timestamp"])
    return turns


def _style_chat(raw: list[dict[str, Any]], rng: Random) -> list[dict[str, Any]]:
    casual = rng.random() < 0.35
    for turn in raw:
        if casual and turn["speaker"] == "customer":
            text = turn["text"]
            if text and not text.isupper():
                text = text[0].lower() + text[1:]
            turn["text"] = text[:-1] if text.endswith(".") else text
    return raw


def _merge_runs(raw: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    runs: list[list[dict[str, Any]]] = []
    for turn in raw:
        last = runs[-1][-1] if runs else None
        if (last is not None and last["speaker"] == turn["speaker"] != "system"
                and last.get("agent_name") == turn.get("agent_name")
                and last.get("channel") == turn.get("channel")):
            runs[-1].append(turn)
        else:
            runs.append([turn])
    return runs


def _style_email(raw: list[dict[str, Any]], rng: Random, slots: _Slots) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    first_agent_msg = True
    sender_addr = {"customer": slots["email"], "agent": slots["support_email"]}
    prev_body: list[str] | None = None
    prev_sender = ""
    prev_time: datetime | None = None
    # people keep their habits within a thread: one greeting/sign-off/signature each
    c_greet = rng.choice(("Hi,", "Hello,", f"Dear {slots['company']},", "Hi there,", "To whom it may concern,", ""))
    c_sign = rng.choice(("Thanks,", "Regards,", "Thank you,", "Cheers,", "Best,"))
    c_name = rng.choice((slots["first"], slots["name"]))
    a_greet = rng.choice(("Hi", "Hello", "Dear"))
    a_sign = rng.choice(EMAIL_SIGNOFFS_AGENT)
    a_team = rng.choice(EMAIL_TEAMS)
    for run in _merge_runs(raw):
        head = run[0]
        speaker = head["speaker"]
        if speaker == "system":
            out.append(head)
            continue
        paras: list[str] = []
        for turn in run:
            if paras and rng.random() < 0.5:
                paras[-1] += " " + turn["text"]
            else:
                paras.append(turn["text"])
        if speaker == "customer":
            greet = c_greet if prev_body is None or rng.random() < 0.6 else ""
            extra = f"\n{slots['phone']}" if rng.random() < 0.2 else ""
            body = "\n\n".join(paras)
            text = (greet + "\n\n" if greet else "") + body + f"\n\n{c_sign}\n{c_name}{extra}"
        else:
            agent = head.get("agent_name", "")
            intro = f"Thank you for contacting {slots['company']}.\n\n" if first_agent_msg and rng.random() < 0.7 else ""
            first_agent_msg = False
            team = f"{head['_team']} Team" if head.get("_team") else a_team
            body = "\n\n".join(paras)
            greets_itself = re.match(r"(Hi|Hello|Hey|Good \w+)\b", body) is not None
            text = ("" if greets_itself else f"{a_greet} {slots['first']},\n\n") + intro + body
            text += f"\n\n{a_sign},\n{agent}\n{slots['company']} {team}"
            body = intro + body
        if prev_body is not None and prev_time is not None and rng.random() < 0.3:
            when = prev_time
            quoted = "\n".join("> " + line if line else ">" for line in prev_body[:4])
            text += (f"\n\nOn {WEEKDAYS[when.weekday()][:3]}, {when.day} {MONTHS[when.month - 1]} {when.year} "
                     f"at {when:%H:%M}, {prev_sender} wrote:\n{quoted}")
        prev_body = body.split("\n")
        prev_sender = f"{slots['name'] if speaker == 'customer' else slots['company']} <{sender_addr[speaker]}>"
        prev_time = run[-1]["timestamp"]
        msg = {"speaker": speaker, "text": text}
        if "agent_name" in head:
            msg["agent_name"] = head["agent_name"]
        msg["timestamp"] = run[-1]["timestamp"]
        out.append(msg)
    return out


def _style_call(raw: list[dict[str, Any]], rng: Random) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for run in _merge_runs(raw):
        head = dict(run[0])
        if head["speaker"] == "system":
            head["text"] = head["text"].lower()
            out.append(head)
            continue
        head["text"] = _asr(" ".join(x["text"] for x in run), rng)
        head["timestamp"] = run[-1]["timestamp"]
        out.append(head)
        if head["speaker"] == "agent" and rng.random() < 0.12:
            out.append({"speaker": "customer", "text": rng.choice(("mhm", "okay", "yeah", "uh huh", "right")),
                        "timestamp": head["timestamp"] + timedelta(seconds=2)})
    return out


def _style_social(raw: list[dict[str, Any]], rng: Random, slots: _Slots) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for turn in raw:
        if turn["speaker"] == "system":
            continue
        if turn.get("channel") == "dm":
            out.append(turn)
            continue
        if turn["speaker"] == "customer":
            text = f"@{slots['chandle']} {turn['text']}"
        else:
            initials = "^" + turn["agent_name"][0] + "KMTRSBLD"[sum(map(ord, turn["agent_name"])) % 8]
            text = f"@{slots['handle']} {turn['text']} {initials}"
        turn["text"] = _truncate_post(text)
        out.append(turn)
    return out


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------

MAX_TURNS = 40
_CHANNEL_SHARES = {"chat": 0.38, "email": 0.25, "call": 0.2, "social": 0.17}
_DOMAIN_NAMES = tuple(DOMAINS)


def _n_words(turns: Iterable[dict[str, Any]]) -> int:
    return sum(len(t["text"].split()) for t in turns)


def _one_ticket(seed: int, index: int, channels: Sequence[str], min_words: int | None,
                max_words: int | None) -> dict[str, Any]:
    # One RNG per ticket, seeded from a string (hashed with SHA-512 by `random`,
    # so it is stable across processes): ticket i is the same whatever n is.
    rng = Random(f"effortnlp-synthetic:{seed}:{index}")
    turns: list[dict[str, Any]] = []
    plan: _Plan | None = None
    for _attempt in range(80):
        channel = rng.choices(channels, [_CHANNEL_SHARES.get(c, 0.2) for c in channels])[0]
        domain = rng.choice(_DOMAIN_NAMES)
        company = rng.choice(DOMAINS[domain]["companies"])
        slots = _Slots(rng, domain, company)
        agents = rng.sample(AGENT_NAMES, 4)
        start = datetime(2024, 1, 1) + timedelta(days=rng.randrange(366), seconds=rng.randint(7 * 3600, 21 * 3600))
        long = channel in ("chat", "call") and rng.random() < 0.1
        plan = _plan_ticket(rng, channel, domain, slots, long=long)
        turns = _realize(plan, slots, agents, start)
        while len(turns) > MAX_TURNS and plan.drop_filler():
            turns = _realize(plan, slots, agents, start)
        words = _n_words(turns)
        # bench mode: aim at a length drawn across the whole allowed range
        target = rng.randint(min_words, max_words) if (min_words and max_words) else min_words
        while target and words < target:
            added = [plan.add_filler() for _ in range(max(1, (target - words) // 12))]
            if not any(added):
                break
            turns = _realize(plan, slots, agents, start)
            words = _n_words(turns)
        while max_words and words > max_words and plan.drop_filler():
            turns = _realize(plan, slots, agents, start)
            words = _n_words(turns)
        if (not min_words or words >= min_words) and (not max_words or words <= max_words):
            break
    assert plan is not None
    truth = dict(plan.truth)
    ces = survey_answer(latent_from_truth(truth, len(turns)), rng)
    return {
        "ticket_id": f"T{index + 1:06d}",
        "channel": plan.channel,
        "company": slots["company"],
        "created_at": _ts(start),
        "customer_id": f"C{rng.randint(1000000, 9999999)}",
        "turns": turns,
        "ces": ces,
        "effort": band_for(ces),
        "truth": truth,
    }


def generate_tickets(
    n: int,
    seed: int = 0,
    *,
    channels: Sequence[str] = CHANNELS,
    min_words: int | None = None,
    max_words: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` synthetic tickets, deterministic for ``seed``.

    ``channels`` restricts the mix; ``min_words``/``max_words`` bound the words
    per ticket (bench mode: troubleshooting exchanges are added or dropped and,
    if that is not enough, the ticket is redrawn).
    """
    channels = tuple(channels)
    unknown = set(channels) - set(CHANNELS)
    if unknown or not channels:
        raise ValueError(f"channels must be a non-empty subset of {CHANNELS}, got {channels!r}")
    if min_words and max_words and min_words > max_words:
        raise ValueError("min_words must not exceed max_words")
    for i in range(n):
        yield _one_ticket(seed, i, channels, min_words, max_words)


# --------------------------------------------------------------------------
# Writers and CLI
# --------------------------------------------------------------------------

TURN_COLUMNS = ("ticket_id", "speaker", "text", "timestamp", "channel", "agent_name")
TICKET_COLUMNS = ("ticket_id", "channel", "company", "created_at", "customer_id", "transcript",
                  "ces", "effort") + TRUTH_KEYS


def write_tickets(tickets: Iterable[dict[str, Any]], fh: Any, fmt: str = "jsonl") -> int:
    """Write tickets to a text file handle as ``jsonl``, ``turns-csv`` or ``tickets-csv``."""
    n = 0
    if fmt == "jsonl":
        for t in tickets:
            fh.write(json.dumps(t, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
        return n
    if fmt == "turns-csv":
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(TURN_COLUMNS)
        for t in tickets:
            for turn in t["turns"]:
                w.writerow((t["ticket_id"], turn["speaker"], turn["text"], turn["timestamp"],
                            turn.get("channel", t["channel"]), turn.get("agent_name", "")))
            n += 1
        return n
    if fmt == "tickets-csv":
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(TICKET_COLUMNS)
        for t in tickets:
            transcript = "\n".join(f"{turn['speaker'].capitalize()}: {turn['text']}" for turn in t["turns"])
            truth = t["truth"]
            w.writerow((t["ticket_id"], t["channel"], t["company"], t["created_at"], t["customer_id"],
                        transcript, t["ces"], t["effort"]) + tuple(truth[k] for k in TRUTH_KEYS))
            n += 1
        return n
    raise ValueError(f"unknown format {fmt!r}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m effortnlp.synthetic",
        description="Generate synthetic support tickets with effort labels (see data/README.md).",
    )
    ap.add_argument("-n", type=int, default=1000, help="number of tickets (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", default="-", help="output path, '-' for stdout")
    ap.add_argument("--format", choices=("jsonl", "turns-csv", "tickets-csv"), default="jsonl")
    ap.add_argument("--channels", default=",".join(CHANNELS), help="comma-separated subset of channels")
    ap.add_argument("--min-words", type=int, default=None)
    ap.add_argument("--max-words", type=int, default=None)
    args = ap.parse_args(argv)
    tickets = generate_tickets(args.n, args.seed, channels=tuple(args.channels.split(",")),
                               min_words=args.min_words, max_words=args.max_words)
    if args.output == "-":
        write_tickets(tickets, sys.stdout, args.format)
    else:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            write_tickets(tickets, fh, args.format)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
