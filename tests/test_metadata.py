"""Metadata markers (TRANSFER, CHANNEL_SWITCH, REPEAT_CONTACT from export fields) and repeat windows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from effortnlp.io import InputError, read_tickets
from effortnlp.io.repeats import parse_window
from effortnlp.metadata import merge_metadata_hits, metadata_hits
from effortnlp.schema import MarkerHit, Ticket, Turn

VENDORS = Path(__file__).resolve().parent.parent / "data" / "fixtures" / "vendors"


def read(path, fmt=None, **kw) -> dict[str, Ticket]:
    return {t.ticket_id: t for t in read_tickets(path, fmt, on_error=lambda e: None, **kw)}


def evidence(hits, label=None):
    return [(h.label, h.rule_id, h.turn, h.detail.get("field"), h.detail.get("values"))
            for h in hits if label is None or h.label == label]


# ---------------------------------------------------------------- markers from vendor metadata


def test_zendesk_group_and_assignee_change_is_one_transfer(finder):
    t = read(VENDORS / "zendesk_tickets.jsonl")["1001"]
    hits = finder.find(t)
    meta_hits = [h for h in hits if h.source == "metadata"]
    assert evidence(meta_hits) == [("TRANSFER", "metadata.assignment", 2, "group_id", ["360001", "360002"])]
    assert meta_hits[0].detail["also"] == [{"field": "assignee_id", "values": ["111", "222"]}]
    assert meta_hits[0].text == "group_id: 360001 → 360002" and meta_hits[0].start == meta_hits[0].end == 0
    assert meta_hits[0].speaker == "system"
    # the audits are authoritative: no guessed agent-change/intro transfer on top
    assert not [h for h in hits if h.rule_id.startswith("crossturn.agent_")]


def test_zendesk_followup_stations_and_linked_channel(finder):
    t = read(VENDORS / "zendesk_tickets.jsonl")["1002"]
    hits = [h for h in finder.find(t) if h.source == "metadata"]
    assert sorted(evidence(hits)) == [
        ("CHANNEL_SWITCH", "metadata.linked_channel", 0, "channel", ["email", "voice"]),
        ("REPEAT_CONTACT", "metadata.repeat_contact", 0, "via_followup_source_id", ["1001"]),
        ("TRANSFER", "metadata.stations", 0, "group_stations", [3]),
        ("TRANSFER", "metadata.stations", 0, "group_stations", [3]),
    ]
    assert [h.text for h in hits if h.rule_id == "metadata.stations"] == [
        "group_stations: 3 (transfer 1 of 2)", "group_stations: 3 (transfer 2 of 2)"]
    switch = next(h for h in hits if h.label == "CHANNEL_SWITCH")
    assert switch.detail["target"] == "phone" and switch.detail["linked_ticket"] == "1001"


def test_intercom_reassignment_between_admins(finder):
    t = read(VENDORS / "intercom_conversation.json")["184"]
    hits = finder.find(t)
    assert evidence(hits, "TRANSFER")[-1] == ("TRANSFER", "metadata.assignment", 4, "admin", ["7001", "7002"])
    # first assignments (to a team, then to a first admin) are routing, not transfers
    assert len([h for h in hits if h.source == "metadata"]) == 1
    assert not [h for h in hits if h.rule_id == "crossturn.agent_change"]


def test_salesforce_agent_changes(finder):
    chat = read(VENDORS / "salesforce_livechattranscript.csv")["5705e000000ChAAA"]
    assert evidence(metadata_hits(chat)) == [
        ("TRANSFER", "metadata.assignment", 3, "agent", ["Sam R", "Kim T"])
    ]
    hits = finder.find(chat)
    assert len([h for h in hits if h.rule_id in ("metadata.assignment", "crossturn.agent_change")]) == 1
    case = read(VENDORS / "salesforce_emailmessage.csv")["5005e00000XyZ1AAA"]
    assert evidence(metadata_hits(case)) == [
        ("TRANSFER", "metadata.assignment", 3, "agent", ["Chris Support", "Dee Billing"])
    ]


def test_channel_change_between_customer_turns(finder):
    t = read(VENDORS / "freshdesk_ticket.json")["20"]
    assert evidence(finder.find(t), "CHANNEL_SWITCH") == [
        ("CHANNEL_SWITCH", "metadata.channel_change", 4, "channel", ["email", "phone"])
    ]


def test_agent_channel_is_not_a_switch():
    t = Ticket("x", (Turn("customer", "hi", channel="email"), Turn("agent", "hello", channel="web"),
                     Turn("customer", "ok", channel="email")))
    assert metadata_hits(t) == []


def test_without_history_the_crossturn_guess_stays():
    guess = MarkerHit("TRANSFER", "crossturn.agent_change", 2, "agent", 0, 5, "Hello")
    t = Ticket("x", (Turn("customer", "a"), Turn("agent", "b", agent_name="A"),
                     Turn("agent", "Hello", agent_name="B")))
    assert merge_metadata_hits(t, [guess]) == [guess]
    t.meta["assignments"] = []  # history known: nobody was reassigned
    assert merge_metadata_hits(t, [guess]) == []


def test_assignment_anchor_without_turns_and_bad_entries():
    t = Ticket("x", (), {"assignments": [{"field": "group_id", "from": "1", "to": "2", "turn": 9},
                                         "junk", {"field": "agent", "from": "A", "to": "A"}]})
    (hit,) = metadata_hits(t)
    assert hit.turn == -1 and hit.speaker == "system" and hit.detail["values"] == ["1", "2"]


# ---------------------------------------------------------------- repeat contacts across tickets


def plain(tmp_path, rows, name="t.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


ROWS = [
    {"ticket_id": "a", "customer_id": "c1", "created_at": "2024-01-01T10:00:00Z", "channel": "chat",
     "turns": [{"speaker": "customer", "text": "my order is late"}]},
    {"ticket_id": "b", "customer_id": "c2", "created_at": "2024-01-02T10:00:00Z",
     "turns": [{"speaker": "customer", "text": "hello"}]},
    {"ticket_id": "c", "customer_id": "c1", "created_at": "2024-01-04T09:00:00Z", "channel": "email",
     "turns": [{"speaker": "customer", "text": "still late"}]},
    {"ticket_id": "d", "customer_email": "Ann <ANN@x.example>", "created_at": "2024-01-05T00:00:00Z",
     "turns": []},
    {"ticket_id": "e", "email": "ann@x.example", "created_at": "2024-01-20T00:00:00Z", "turns": []},
    {"ticket_id": "f", "customer_id": "c1", "created_at": "2024-01-03T00:00:00Z", "turns": []},
]


def test_same_requester_within_the_window(tmp_path):
    t = read(plain(tmp_path, ROWS))
    assert t["c"].meta["repeat_contacts"] == ["a", "f"]  # oldest first
    assert t["c"].meta["linked_contacts"][0] == {"ticket_id": "a", "created_at": "2024-01-01T10:00:00+00:00",
                                                 "channel": "chat", "link": "requester"}
    assert t["f"].meta["repeat_contacts"] == ["a"]
    assert "repeat_contacts" not in t["a"].meta  # the first contact is not a repeat
    assert "repeat_contacts" not in t["b"].meta
    assert "repeat_contacts" not in t["e"].meta  # same e-mail, but 15 days later
    t = read(plain(tmp_path, ROWS), repeat_window="30d")
    assert t["e"].meta["repeat_contacts"] == ["d"]  # "Ann <ANN@x>" == "ann@x"


def test_window_sizes_and_off(tmp_path):
    path = plain(tmp_path, ROWS)
    assert read(path, repeat_window="48h")["c"].meta["repeat_contacts"] == ["f"]
    for off in ("0", "none", None):
        assert not any("repeat_contacts" in t.meta for t in read(path, repeat_window=off).values())
    with pytest.raises(InputError, match="repeat window"):
        read_tickets(path, repeat_window="soon")


@pytest.mark.parametrize(("text", "seconds"), [("7d", 604800), ("48h", 172800), ("2w", 1209600),
                                               ("30m", 1800), ("3", 259200)])
def test_parse_window(text, seconds):
    assert parse_window(text).total_seconds() == seconds


def test_repeat_contact_markers_and_linked_channel(tmp_path, finder):
    t = read(plain(tmp_path, ROWS))["c"]
    hits = [h for h in finder.find(t) if h.source == "metadata"]
    assert evidence(hits, "REPEAT_CONTACT") == [
        ("REPEAT_CONTACT", "metadata.repeat_contact", 0, "requester", ["a"]),
        ("REPEAT_CONTACT", "metadata.repeat_contact", 0, "requester", ["f"]),
    ]
    assert evidence(hits, "CHANNEL_SWITCH") == [
        ("CHANNEL_SWITCH", "metadata.linked_channel", 0, "channel", ["chat", "email"])
    ]


def test_followup_link_ignores_the_window(tmp_path):
    rows = [{"ticket_id": "1", "created_at": "2023-01-01", "turns": []},
            {"ticket_id": "2", "via_followup_source_id": 1, "created_at": "2024-01-01", "turns": []}]
    t = read(plain(tmp_path, rows))
    assert t["2"].meta["linked_contacts"][0]["link"] == "followup"


def test_repeats_span_files_of_a_directory(tmp_path):
    plain(tmp_path, ROWS[:3], "1.jsonl")
    with open(tmp_path / "2.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ticket_id", "transcript", "customer_id", "created_at"])
        w.writerow(["g", "Customer: late again", "c1", "2024-01-06T00:00:00Z"])
    t = read(tmp_path)
    assert t["g"].meta["repeat_contacts"] == ["a", "c"]


def test_cli_repeat_window_reaches_the_reader_and_the_fast_path(tmp_path):
    from effortnlp.cli import cli

    path = plain(tmp_path, ROWS)
    runner = CliRunner()
    out = tmp_path / "m.jsonl"
    res = runner.invoke(cli, ["markers", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    repeats = [json.loads(x) for x in out.read_text().splitlines()]
    repeats = [(r["ticket_id"], r["detail"]["values"]) for r in repeats if r["rule_id"] == "metadata.repeat_contact"]
    assert repeats == [("c", ["a"]), ("c", ["f"]), ("f", ["a"])]
    res = runner.invoke(cli, ["markers", str(path), "-o", str(out), "--repeat-window", "none"])
    assert res.exit_code == 0 and "metadata.repeat_contact" not in out.read_text()
    # score takes the raw-line path for JSONL: the builders link the tickets themselves
    scored = tmp_path / "s.csv"
    res = runner.invoke(cli, ["score", str(path), "-o", str(scored), "--prior", "--quiet"])
    assert res.exit_code == 0, res.output
    rows = {r["ticket_id"]: r for r in csv.DictReader(scored.open())}
    assert rows["c"]["repeat_contact"] == "2" and rows["a"]["repeat_contact"] == "0"
    res = runner.invoke(cli, ["score", str(path), "-o", str(scored), "--prior", "--quiet",
                              "--repeat-window", "0"])
    assert res.exit_code == 0, res.output
    assert {r["ticket_id"]: r["repeat_contact"] for r in csv.DictReader(scored.open())}["c"] == "0"


# ---------------------------------------------------------------- ASR transcripts still get rule hits


def test_marker_rules_fire_on_asr_text(finder):
    t = read(VENDORS / "call_transcript.txt")["CALL-20240610-0042"]
    found = {(h.label, h.turn) for h in finder.find(t)}
    assert ("REPEAT_CONTACT", 1) in found  # "i called yesterday", after "i i" and "um" are cleaned
    assert ("FRUSTRATION", 5) in found


def test_transfer_to_bare_department_on_asr_text(finder):
    # "let me transfer you to billing", lower case and unpunctuated, between other words
    t = read(VENDORS / "call_transcript.txt")["CALL-20240610-0042"]
    assert ("TRANSFER", 4) in {(h.label, h.turn) for h in finder.find(t)}


def test_bad_repeat_window_is_a_user_error(tmp_path):
    from effortnlp.cli import cli

    path = plain(tmp_path, ROWS)
    res = CliRunner().invoke(cli, ["score", str(path), "-o", str(tmp_path / "s.csv"), "--prior",
                                   "--repeat-window", "soon"])
    assert res.exit_code == 2 and "repeat window 'soon'" in res.output
    assert "ValueError" not in res.output


def test_score_with_worker_processes_links_repeats(tmp_path):
    from effortnlp.cli import cli

    path = plain(tmp_path, ROWS)
    scored = tmp_path / "s.csv"
    res = CliRunner().invoke(cli, ["score", str(path), "-o", str(scored), "--prior", "--quiet",
                                   "--n-process", "2", "--chunk-size", "2"])
    assert res.exit_code == 0, res.output
    assert {r["ticket_id"]: r["repeat_contact"] for r in csv.DictReader(scored.open())} == {
        "a": "0", "b": "0", "c": "2", "d": "0", "e": "0", "f": "1"}


def test_warm_repeat_index_for_raw_line_callers(tmp_path):
    from effortnlp.io.readers import ColumnOptions, warm_repeat_index

    path = plain(tmp_path, ROWS)
    index = warm_repeat_index(str(path), "jsonl", ColumnOptions.from_kwargs({"repeat_window": "7d"}))
    assert [d["ticket_id"] for d in index.links["c"]] == ["a", "f"]
    assert warm_repeat_index(str(path), "jsonl", ColumnOptions.from_kwargs({})) is None
    assert warm_repeat_index(str(path), "jsonl", ColumnOptions.from_kwargs({"repeat_window": "0"})) is None
