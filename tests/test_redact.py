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
