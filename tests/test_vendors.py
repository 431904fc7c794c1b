"""Vendor readers: each fixture in the vendor's documented export shape -> tickets, turns, meta."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from effortnlp.io import InputError, RowError, read_tickets
from effortnlp.io.vendors.email import strip_quoted
from effortnlp.io.vendors.htmltext import html_to_text
from effortnlp.io.vendors.transcript import clean_asr
from effortnlp.schema import Ticket

VENDORS = Path(__file__).resolve().parent.parent / "data" / "fixtures" / "vendors"


def read_all(path, fmt=None, **kw) -> tuple[list[Ticket], list[RowError]]:
    errors: list[RowError] = []
    tickets = list(read_tickets(path, fmt, on_error=errors.append, **kw))
    return tickets, errors


def turns(ticket: Ticket) -> list[tuple[str, str]]:
    return [(t.speaker, t.text) for t in ticket.turns]


def by_id(tickets: list[Ticket]) -> dict[str, Ticket]:
    return {t.ticket_id: t for t in tickets}


# ---------------------------------------------------------------- zendesk


def test_zendesk_tickets_with_comments_and_audits():
    tickets, errors = read_all(VENDORS / "zendesk_tickets.jsonl")
    t = by_id(tickets)
    assert list(t) == ["1001", "1002", "1003"]
    assert turns(t["1001"]) == [
        ("customer", "Hi, I was charged twice for my March subscription. Order number 55120."),
        ("agent", "Thanks Dana, I'm passing this to our billing team who can look at refunds."),
        ("agent", "Hello Dana, this is Omar from billing. I have refunded the duplicate charge."),
        ("customer", "Thank you, that fixed it."),
    ]
    meta = t["1001"].meta
    # the private comment is a note, not a turn
    assert meta["internal_notes"] == [
        {"at": "2024-03-01T10:01:00+00:00", "author": "111",
         "text": "Moving to Billing, customer is on the annual plan."}
    ]
    assert meta["vendor"] == "zendesk" and meta["channel"] == "email"
    assert meta["created_at"] == "2024-03-01T09:00:00+00:00"
    assert meta["requester"] == {"id": "9001", "email": "dana.reyes@example.org", "phone": None,
                                 "name": "Dana Reyes"}
    changes = [(a["field"], a["from"], a["to"], a["turn"]) for a in meta["assignments"] if a["from"]]
    assert changes == [("group_id", "360001", "360002", 2), ("assignee_id", "111", "222", 2)]
    assert [u.channel for u in t["1001"].turns] == ["email", "web", "web", "email"]
    assert [u.agent_name for u in t["1001"].turns][1:3] == ["agent 111", "agent 222"]
    # follow-up link and metric set
    assert t["1002"].meta["followup_of"] == ["1001"]
    assert t["1002"].meta["stations"] == {"group_stations": 3, "assignee_stations": 2}
    # html_body only: converted
    assert turns(t["1003"])[0] == ("customer", "The reset link says expired.\n\nCan you send a new one?")
    # the malformed line is an error record, not a crash
    assert [(e.row, e.reason) for e in errors] == [(4, "ticket 1004: comments must be a list, got str")]


def test_zendesk_page_with_sideloads_and_comments_in_audits(tmp_path):
    page = {
        "tickets": [{"id": 7, "requester_id": 70, "created_at": "2024-01-01T00:00:00Z",
                     "via": {"channel": "web"},
                     "audits": [{"created_at": "2024-01-01T00:00:00Z", "via": {"channel": "web"},
                                 "events": [{"type": "Comment", "author_id": 70, "body": "Help",
                                             "public": True}]},
                                {"created_at": "2024-01-01T01:00:00Z",
                                 "events": [{"type": "Comment", "author_id": 71, "body": "Hi!",
                                             "public": True},
                                            {"type": "Change", "field_name": "group_id",
                                             "value": "2", "previous_value": "1"}]}]}],
        "users": [{"id": 70, "role": "end-user", "email": "a@b.example", "name": "A"},
                  {"id": 71, "role": "agent", "name": "Kai"}],
        "metric_sets": [{"ticket_id": 7, "group_stations": 2, "assignee_stations": 1}],
        "end_of_stream": True, "after_cursor": "xyz",
    }
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, indent=1))
    tickets, errors = read_all(path)
    assert errors == []
    (t,) = tickets
    assert turns(t) == [("customer", "Help"), ("agent", "Hi!")]
    assert t.turns[1].agent_name == "Kai"
    assert t.meta["requester"]["email"] == "a@b.example"
    assert t.meta["stations"] == {"group_stations": 2, "assignee_stations": 1}
    assert [(a["field"], a["from"], a["to"]) for a in t.meta["assignments"]] == [("group_id", "1", "2")]


# ---------------------------------------------------------------- intercom


def test_intercom_conversation():
    (t,), errors = read_all(VENDORS / "intercom_conversation.json")
    assert errors == [] and t.ticket_id == "184"
    assert [(u.speaker, u.is_bot, u.agent_name) for u in t.turns] == [
        ("customer", False, None), ("agent", True, "Operator"), ("customer", False, None),
        ("agent", False, "Lena"), ("agent", False, "Marco"), ("customer", False, None),
    ]
    assert t.turns[0].text == "Hi, my export to CSV keeps failing with a timeout."
    assert "async option — I'll transfer you" in t.turns[3].text  # &mdash; decoded, tags gone
    assert t.meta["internal_notes"][0]["text"] == "Needs async export flag, account on legacy plan."
    assert all("legacy plan" not in u.text for u in t.turns)
    assert [(a["field"], a["from"], a["to"], a["turn"]) for a in t.meta["assignments"]] == [
        ("team", None, "5017", 3), ("admin", None, "7001", 3), ("admin", "7001", "7002", 4)
    ]
    assert t.meta["created_at"] == "2024-03-07T09:00:00+00:00"
    assert t.meta["requester"]["id"] == "65e0a1f2b3c4d5e6f7a8b9c0"


def test_intercom_list_page_and_bad_part(tmp_path):
    conv = json.loads((VENDORS / "intercom_conversation.json").read_text())
    bad = dict(conv, id="185", conversation_parts={"conversation_parts": ["not a part"]})
    path = tmp_path / "list.jsonl"
    path.write_text(json.dumps({"type": "conversation.list", "conversations": [conv]}) + "\n"
                    + json.dumps(bad) + "\n")
    tickets, errors = read_all(path, "intercom")
    assert [t.ticket_id for t in tickets] == ["184"]
    assert [(e.row, e.reason) for e in errors] == [
        (2, "conversation 185: part must be an object, got str")
    ]


# ---------------------------------------------------------------- freshdesk


def test_freshdesk_ticket_with_conversations():
    (t,), errors = read_all(VENDORS / "freshdesk_ticket.json")
    assert errors == [] and t.ticket_id == "20"
    assert turns(t) == [
        ("customer", "Hello,\nI ordered a medium jacket and got a small. Order #A-7781."),
        ("agent", "Hi Tom, sorry about that! Could you send us your order number?"),
        ("customer", "As I said, it is A-7781."),
        ("agent", "Thanks Tom, a replacement medium is on its way."),
        ("customer", "Called to check the replacement ships today, agent confirmed."),
    ]
    assert [u.channel for u in t.turns] == ["email", "email", "email", "email", "phone"]
    assert t.meta["internal_notes"][0]["text"] == "Exchange approved by warehouse."
    assert t.meta["requester"] == {"id": "48000011", "email": "tom.becker@example.net",
                                   "phone": "+442079460011", "name": "Tom Becker"}


# ---------------------------------------------------------------- salesforce


def test_salesforce_email_messages_grouped_by_case():
    tickets, errors = read_all(VENDORS / "salesforce_emailmessage.csv")
    t = by_id(tickets)
    # a case is emitted at its last row: XyZ2 (line 5) before XyZ1 (line 29)
    assert list(t) == ["5005e00000XyZ2AAA", "5005e00000XyZ1AAA"]
    assert turns(t["5005e00000XyZ1AAA"]) == [
        ("customer", "Hello, the invoice shows my old address. Can you update it to 12 Harbour Road?"
                     "\n\nAna Lima"),
        ("agent", "Hi Ana, could you confirm your account number please?\n\nBest,\nChris"),
        ("customer", "It is ACC-99812, as I wrote in my first email."),
        ("agent", "Hi Ana, I'm Dee from the billing team; Chris passed your case to me. "
                  "The address is updated."),
    ]
    meta = t["5005e00000XyZ1AAA"].meta
    assert meta["assignments"] == [{"at": "2024-05-07T09:00:00+00:00", "field": "agent",
                                    "from": "Chris Support", "to": "Dee Billing", "turn": 3}]
    assert meta["requester"]["email"] == "ana.lima@example.com"
    assert [(e.row, e.reason) for e in errors] == [(15, "EmailMessage without a ParentId")]


def test_salesforce_live_chat_transcript():
    (t,), errors = read_all(VENDORS / "salesforce_livechattranscript.csv")
    assert errors == []
    assert [(u.speaker, u.agent_name, u.timestamp) for u in t.turns] == [
        ("agent", "Sam R", "4s"), ("customer", None, "31s"), ("agent", "Sam R", "1m 2s"),
        ("agent", "Kim T", "3m 40s"), ("customer", None, "4m 2s"),
    ]
    assert t.turns[4].text == "I already gave it, TRK-44120"
    assert [(a["from"], a["to"], a["turn"]) for a in t.meta["assignments"]] == [("Sam R", "Kim T", 3)]
    assert t.meta["requester"]["id"] == "0035e00000Ct1AAA"


def test_salesforce_soql_json(tmp_path):
    response = {"totalSize": 2, "done": True, "records": [
        {"attributes": {"type": "EmailMessage", "url": "/x"}, "Id": "m1", "ParentId": "c1",
         "Incoming": True, "TextBody": "Where is my order?", "MessageDate": "2024-01-02T00:00:00.000+0000"},
        {"attributes": {"type": "EmailMessage", "url": "/y"}, "Id": "m2", "ParentId": "c1",
         "Incoming": False, "TextBody": "On its way.", "FromName": "Al",
         "MessageDate": "2024-01-02T01:00:00.000+0000"},
    ]}
    path = tmp_path / "soql.json"
    path.write_text(json.dumps(response, indent=2))
    (t,), errors = read_all(path)
    assert errors == [] and t.ticket_id == "c1"
    assert turns(t) == [("customer", "Where is my order?"), ("agent", "On its way.")]
    assert t.meta["created_at"] == "2024-01-02T00:00:00+00:00"


# ---------------------------------------------------------------- email


def test_mbox_threads_with_quotes_and_signatures_stripped():
    tickets, errors = read_all(VENDORS / "email_thread.mbox")
    assert errors == []
    t = by_id(tickets)
    assert list(t) == ["thread-1@example.org", "other-1@example.com"]
    assert turns(t["thread-1@example.org"]) == [
        ("customer", "Hi,\n\nMy order 3381 arrived without the charger.\n\nThanks,\nSam"),
        ("agent", "Hi Sam, sorry! Could you send a photo of the box contents?"),
        ("customer", "Photo attached. This is the third time I'm writing about this."),
    ]
    assert t["thread-1@example.org"].turns[1].agent_name == "Shop Support"
    # ">From" is mbox escaping, not a quote
    assert turns(t["other-1@example.com"]) == [
        ("customer", "How do I check my gift card balance?\nFrom the app it shows nothing.")
    ]
    assert t["thread-1@example.org"].meta["requester"]["email"] == "sam.ortiz@example.org"


def test_eml_files_in_a_directory_are_one_mailbox(tmp_path):
    raw = (VENDORS / "email_thread.mbox").read_text().split("\nFrom ")
    for i, part in enumerate(raw):
        body = part.split("\n", 1)[1]  # drop the mbox "From " line
        (tmp_path / f"{i}.eml").write_text(body)
    shutil.copy(VENDORS / "email_single.eml", tmp_path / "z.eml")
    tickets, errors = read_all(tmp_path)
    assert errors == []
    assert [(t.ticket_id, len(t.turns)) for t in tickets] == [
        ("thread-1@example.org", 3), ("other-1@example.com", 1), ("single-7@example.net", 1)
    ]
    single = tickets[2]
    assert turns(single) == [("customer", "I returned order 7710 two weeks ago and still have no refund.")]
    assert single.meta["created_at"] == "2024-06-05T13:04:00+00:00"
    assert single.meta["requester"]["email"] == "rita.gomez@example.net"


def test_unreadable_mail_is_an_error_record(tmp_path):
    path = tmp_path / "bad.mbox"
    path.write_text("From x Mon Jun  3 09:00:00 2024\n\nno headers at all\n")
    tickets, errors = read_all(path)
    assert tickets == [] and len(errors) == 1
    assert errors[0].row == 2 and errors[0].reason.startswith("unreadable e-mail message")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Yes please.\n\nOn Tue, 4 Jun 2024, Ann <a@x.org> wrote:\n> old text", "Yes please."),
        ("Yes.\nOn Tue, 4 Jun 2024 at 10:00, Ann Smith <a@x.org>\nwrote:\n> old", "Yes."),
        ("Fine.\n-----Original Message-----\nFrom: B\nold", "Fine."),
        ("Ok.\n\nFrom: Shop <s@x>\nSent: Monday\nTo: me\nold", "Ok."),
        ("Done.\n-- \nAnn | CEO", "Done."),
        ("Top\n> quoted line\nbottom", "Top\nbottom"),
        ("Merci.\nLe 4 juin 2024, Ann a écrit :\n> vieux", "Merci."),
    ],
)
def test_strip_quoted(body, expected):
    assert strip_quoted(body) == expected


# ---------------------------------------------------------------- transcripts


def test_asr_call_transcript():
    (t,), errors = read_all(VENDORS / "call_transcript.txt")  # detected, though sniffed as CSV
    assert errors == [] and t.ticket_id == "CALL-20240610-0042"
    assert [u.speaker for u in t.turns] == ["agent", "customer", "agent", "customer", "agent", "customer"]
    assert t.turns[1].text == "hi yeah i called yesterday about my internet it keeps dropping"
    assert t.turns[1].timestamp == "00:00:05" and t.turns[1].channel == "phone"
    assert t.meta["requester"]["phone"] == "+15550102233"
    assert t.meta["created_at"] == "2024-06-10T13:05:00+00:00"


def test_diarised_labels_first_speaker_is_the_agent(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("spk_0: thanks for calling how can i help\nspk_1: uh my card was declined\n"
                    "spk_0: sorry to hear that\n")
    (t,), _ = read_all(path, "transcript")
    assert [u.speaker for u in t.turns] == ["agent", "customer", "agent"]
    assert t.ticket_id == "call" and t.turns[1].text == "my card was declined"


def test_transcripts_in_a_table(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text('ticket_id,transcript,customer_id\nc1,"agent: hello\ncaller: um hi",42\n')
    (t,), errors = read_all(path, "transcript")
    assert errors == [] and turns(t) == [("agent", "hello"), ("customer", "hi")]
    assert t.meta["customer_id"] == "42"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("um i i called yesterday", "i called yesterday"), ("uh-huh okay erm yes", "uh-huh okay yes"),
     ("the the thing is hmm broken", "the thing is broken")],
)
def test_clean_asr(raw, clean):
    assert clean_asr(raw) == clean


# ---------------------------------------------------------------- detection and plumbing


@pytest.mark.parametrize(
    ("name", "vendor"),
    [("zendesk_tickets.jsonl", "zendesk"), ("intercom_conversation.json", "intercom"),
     ("freshdesk_ticket.json", "freshdesk"), ("salesforce_emailmessage.csv", "salesforce"),
     ("salesforce_livechattranscript.csv", "salesforce"), ("email_thread.mbox", "email"),
     ("email_single.eml", "email"), ("call_transcript.txt", "transcript")],
)
def test_auto_detection_matches_explicit_format(name, vendor):
    detected, e1 = read_all(VENDORS / name)
    explicit, e2 = read_all(VENDORS / name, vendor)
    assert [t.to_dict() for t in detected] == [t.to_dict() for t in explicit]
    assert detected and all(t.meta["vendor"] == vendor for t in detected)
    assert [str(e) for e in e1] == [str(e) for e in e2]


def test_plain_formats_are_not_taken_for_vendors():
    fixtures = VENDORS.parent
    for name in ("tickets.jsonl", "turns.csv", "transcripts.csv", "tickets.json"):
        tickets, _ = read_all(fixtures / name)
        assert tickets and all("vendor" not in t.meta for t in tickets), name


def test_wrong_explicit_format_gives_errors_not_a_crash():
    tickets, errors = read_all(VENDORS / "freshdesk_ticket.json", "zendesk")
    assert len(tickets) <= 1
    tickets, errors = read_all(VENDORS / "zendesk_tickets.jsonl", "salesforce")
    assert tickets == [] and len(errors) == 4
    assert all("not an EmailMessage" in e.reason for e in errors)
    with pytest.raises(InputError, match="unknown format"):
        read_tickets(VENDORS / "zendesk_tickets.jsonl", "zendeskk")


def test_vendor_json_on_stdin(monkeypatch):
    data = (VENDORS / "zendesk_tickets.jsonl").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    tickets, errors = read_all("-")
    assert [t.ticket_id for t in tickets] == ["1001", "1002", "1003"] and len(errors) == 1
    assert tickets[1].meta["repeat_contacts"] == ["1001"]


def test_html_to_text():
    html = "<div><p>Hi&nbsp;there,</p><script>x()</script><ul><li>one</li><li>two</li></ul>a<br>b</div>"
    assert html_to_text(html) == "Hi there,\n\none\n\ntwo\n\na\nb"
    assert html_to_text("5 < 6 and no tags") == "5 < 6 and no tags"


def test_vendor_files_have_no_cheap_row_count():
    from effortnlp.io import count_input_rows

    assert count_input_rows(VENDORS / "zendesk_tickets.jsonl") is None
    assert count_input_rows(VENDORS.parent / "tickets.jsonl") == 3
