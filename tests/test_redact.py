"""Redaction: personal data masked in what we print, never in what we analyse."""

from __future__ import annotations

import pytest

from effortnlp.redact import find_pii, redact_hit, redact_row, redact_segment, redact_text
from effortnlp.schema import MarkerHit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe+cx@example.co.uk please", "mail me at [EMAIL] please"),
        ("call 555-123-4567 after 5", "call [PHONE] after 5"),
        ("call +44 20 7946 0958 now", "call [PHONE] now"),
        ("my number is (415) 555 0199.", "my number is [PHONE]."),
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("IBAN GB82 WEST 1234 5698 7654 32 ok", "IBAN [ACCOUNT] ok"),
        ("account no. 12-3456-78 is locked", "account no. [ACCOUNT] is locked"),
        ("acct #AB1234 locked", "acct #[ACCOUNT] locked"),
        ("order 88421377 never came", "order [NUMBER] never came"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I waited 45 minutes on hold",
        "on 2024-03-05 at 10:30 I called",
        "it cost $1,299.99 in 2023",
        "see you on 05/03/2024",
        "ticket 12345 is still open",
    ],
)
def test_ordinary_numbers_and_dates_are_kept(text):
    assert redact_text(text) == text


def test_segment_of_a_turn_masks_only_the_pii_it_covers():
    text = "Hi, I am jane@example.com and I was transferred twice"
    pii = find_pii(text)
    assert [(text[p.start : p.end], p.kind) for p in pii] == [("jane@example.com", "EMAIL")]
    assert redact_segment(text, 0, 8, pii) == "Hi, I am"
    assert redact_segment(text, 0, 31, pii) == "Hi, I am [EMAIL] and I"
    # A span boundary cutting through the address still hides all of it.
    assert redact_segment(text, 0, 14, pii) + redact_segment(text, 14, len(text), pii) == (
        "Hi, I am [EMAIL][EMAIL] and I was transferred twice"
    )


def test_redacted_hit_keeps_offsets_into_the_original_text():
    text = "please call me on 555-123-4567, I was transferred"
    hit = MarkerHit("CHANNEL_SWITCH", "x", 0, "customer", 0, 30, text[:30])
    red = redact_hit(hit, text)
    assert red.text == "please call me on [PHONE]"
    assert (red.start, red.end) == (0, 30)
    assert hit.text == text[:30]  # the original is not changed


def test_redact_row_masks_text_values_but_keeps_ids_and_numbers():
    row = {"ticket_id": "5551234567", "ces": 2.5, "agent": "bob@acme.com", "drivers": "[]", "n": 3}
    assert redact_row(row) == {
        "ticket_id": "5551234567",
        "ces": 2.5,
        "agent": "[EMAIL]",
        "drivers": "[]",
        "n": 3,
    }
    assert row["agent"] == "bob@acme.com"


# -- --redact on the commands ------------------------------------------------------------------

PII_TICKET = {
    "ticket_id": "P1",
    "turns": [
        {"speaker": "customer", "text": "This is the third time I'm writing about my refund. My email is "
         "jo.bloggs@example.com and my card 4111 1111 1111 1111 was charged twice."},
        {"speaker": "agent", "agent_name": "Sam", "text": "Sorry about that. I'll pass this to our billing "
         "team, they will call you back on 0207 946 0958."},
        {"speaker": "customer", "text": "Still not fixed. I have been on hold for an hour!! Account no. 12345678."},
    ],
}
SECRETS = ("jo.bloggs@example.com", "4111 1111", "0207 946 0958", "12345678")


@pytest.fixture(autouse=True)
def _shared_prior_analyzer(monkeypatch, finder):
    """Every CLI call here uses the session's marker finder: loading patterns once keeps this file fast."""
    from effortnlp import cli
    from effortnlp.analyzer import EffortAnalyzer
    from effortnlp.model import PriorModel

    analyzer = EffortAnalyzer(PriorModel(), finder)
    monkeypatch.setattr(cli, "make_analyzer", lambda model_path, prior: analyzer)


@pytest.fixture(scope="module")
def pii_dump(tmp_path_factory):
    import json

    path = tmp_path_factory.mktemp("pii") / "dump.jsonl"
    path.write_text(json.dumps(PII_TICKET) + "\n")
    return path


def _run(*args):
    from click.testing import CliRunner

    from effortnlp.cli import cli

    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_explain_redact_hides_pii_in_every_format(pii_dump, fmt):
    plain = _run("explain", pii_dump, "--ticket", "P1", "--prior", "--format", fmt)
    masked = _run("explain", pii_dump, "--ticket", "P1", "--prior", "--format", fmt, "--redact")
    assert any(s in plain for s in SECRETS)  # the test would notice if nothing were shown at all
    for secret in SECRETS:
        assert secret not in masked, secret
    assert "[PHONE]" in masked


def test_markers_redact_masks_quotes_but_finds_the_same_markers(pii_dump):
    import json

    plain = [json.loads(line) for line in _run("markers", pii_dump, "--prior").splitlines()]
    masked = [json.loads(line) for line in _run("markers", pii_dump, "--prior", "--redact").splitlines()]
    key = [(h["label"], h["rule_id"], h["turn"], h["start"], h["end"]) for h in plain]
    assert key == [(h["label"], h["rule_id"], h["turn"], h["start"], h["end"]) for h in masked]
    # The phone-number rule fires on the original text, and its quote comes out masked.
    switch = [h for h in masked if h["label"] == "CHANNEL_SWITCH"]
    assert switch and all("[PHONE]" in h["text"] for h in switch)
    assert not any(s in line for s in SECRETS for line in map(json.dumps, masked))
