"""The one-ticket HTML explanation: structure, links, escaping, redaction."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from effortnlp.html import explain_html
from effortnlp.schema import Driver, EffortResult, MarkerHit, Ticket, Turn

T0 = "Third time writing!! My card 4111 1111 1111 1111 was charged twice, mail me at jo@example.com"
T1 = "Sorry about that. I'll pass this to our billing team, they will call you back."
T2 = "<script>alert('x')</script> still not fixed & I'm on hold again"
T3 = "Customer was transferred to Billing queue."

TICKET = Ticket(
    "T-1",
    (
        Turn("customer", T0, timestamp="2024-03-01T10:00", channel="email"),
        Turn("agent", T1, agent_name="Sam"),
        Turn("agent", "Hi! I'm the assistant bot.", is_bot=True),
        Turn("customer", T2),
        Turn("system", T3),
    ),
)


def _hit(label, turn, text_of_turn, fragment, *, nth=0, rule="r", source="rule"):
    start = text_of_turn.index(fragment)
    speaker = TICKET.turns[turn].speaker
    return MarkerHit(label, f"{label.lower()}.{rule}", turn, speaker, start, start + len(fragment), fragment, source)


H_REPEAT = _hit("REPEAT_CONTACT", 0, T0, "Third time writing")
H_FRUST = _hit("FRUSTRATION", 0, T0, "writing!!")  # overlaps the repeat-contact span
H_TRANSFER = _hit("TRANSFER", 1, T1, "pass this to our billing team")
H_SWITCH = _hit("CHANNEL_SWITCH", 1, T1, "they will call you back")
H_UNRES = _hit("UNRESOLVED", 3, T2, "still not fixed")
H_WAIT = _hit("WAIT", 3, T2, "on hold again")
H_META = MarkerHit("TRANSFER", "transfer.meta_group", -1, "system", 0, 0, "group: Tier1 -> Billing", "metadata")
HITS = (H_REPEAT, H_FRUST, H_TRANSFER, H_SWITCH, H_UNRES, H_WAIT, H_META)

RESULT = EffortResult(
    ticket_id="T-1",
    ces=2.4,
    band="high",
    p_high=0.81,
    counts={"TRANSFER": 2, "REPEAT_CONTACT": 1, "FRUSTRATION": 1, "CHANNEL_SWITCH": 1, "UNRESOLVED": 1, "WAIT": 1},
    drivers=(
        Driver("transfer", -1.3, 2, (H_TRANSFER, H_META), "handed to another agent"),
        Driver("repeat_contact", -0.9, 1, (H_REPEAT,), "had to contact more than once"),
        Driver("unresolved", -0.6, 1, (H_UNRES,), "issue not resolved"),
        Driver("frustration", -0.3, 1, (H_FRUST,), "customer expressed frustration"),
        Driver("wait", -0.2, 1, (H_WAIT,), "customer waited"),
        Driver("conversation_length", 0.2, 2, (), "how much the customer had to write"),
    ),
    hits=HITS,
    baseline_ces=6.1,
    n_turns=5,
)


class Tree(HTMLParser):
    """Collects elements (tag, attrs) and the text inside each element with an id or data-label."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.stack: list[list] = []
        self.texts: dict[str, str] = {}
        self.labelled: list[tuple[dict[str, str], str]] = []
        self.segments: list[tuple[dict[str, str], str]] = []
        self.all_text: list[str] = []
        self.feed(source)

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attrs))
        if tag not in self.VOID:
            self.stack.append([tag, attrs, []])

    def handle_endtag(self, tag):
        while self.stack:
            t, attrs, chunks = self.stack.pop()
            text = "".join(chunks)
            if "id" in attrs:
                self.texts[attrs["id"]] = text
            if "data-label" in attrs:
                self.labelled.append((attrs, text))
            if "data-hits" in attrs:
                self.segments.append((attrs, text))
            if self.stack:
                self.stack[-1][2].append(text)
            if t == tag:
                break

    def handle_data(self, data):
        self.all_text.append(data)
        if self.stack:
            self.stack[-1][2].append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if "id" in a}

    def with_class(self, cls: str) -> list[dict[str, str]]:
        return [a for _, a in self.elements if cls in a.get("class", "").split()]


@pytest.fixture(scope="module")
def page() -> str:
    return explain_html(RESULT, TICKET)


def span_texts(tree: Tree) -> dict[str, str]:
    """hit id -> the transcript text highlighted for it (its segments joined)."""
    out: dict[str, str] = {}
    for a, text in tree.segments:
        for hit_id in a["data-hits"].split():
            out[hit_id] = out.get(hit_id, "") + text
    return out


def test_every_marker_span_is_highlighted_with_its_label(page):
    tree = Tree(page)
    spans = span_texts(tree)
    tags = {a["id"]: (a["data-label"], text) for a, text in tree.labelled if "tag" in a.get("class", "").split()}
    for i, h in enumerate(HITS[:-1]):
        assert spans[f"hit-{i}"] == h.text, h
        assert tags[f"hit-{i}"] == (h.label, h.label.replace("_", " ")), h


def test_overlapping_spans_get_different_underline_levels(page):
    tree = Tree(page)
    levels = {}
    for a in tree.with_class("bar"):
        levels.setdefault(a["data-hit"], set()).add(a["data-level"])
    repeat, frust = HITS.index(H_REPEAT), HITS.index(H_FRUST)
    assert levels[f"hit-{repeat}"] != levels[f"hit-{frust}"]


def test_drivers_panel_links_to_evidence_that_exists(page):
    tree = Tree(page)
    ids = tree.ids()
    links = [a["href"] for _, a in tree.elements if a.get("href", "").startswith("#")]
    assert links
    for href in links:
        assert href[1:] in ids, href
    evidence = [a["href"] for a in tree.with_class("evidence")]
    cited = {f"#hit-{HITS.index(h)}" for d in RESULT.drivers for h in d.hits}
    assert sorted(evidence) == sorted(cited)
    # Each driver row shows its contribution in CES points with a bar.
    for d in RESULT.drivers:
        assert f"driver-{d.name}" in ids
        assert f"{d.contribution:+.1f}".replace("-", "−") in tree.texts[f"driver-{d.name}"]
    assert len(tree.with_class("contrib")) == len(RESULT.drivers)


def test_turns_are_shown_by_speaker(page):
    tree = Tree(page)
    roles = [a["class"].split()[1] for a in tree.with_class("turn")]
    assert roles == ["turn-customer", "turn-agent", "turn-bot", "turn-customer", "turn-system"]


def test_ticket_text_cannot_inject_markup(page):
    tree = Tree(page)
    assert not [t for t, _ in tree.elements if t == "script"]
    assert "<script>alert('x')</script>" in "".join(tree.all_text)
    assert "<script>" not in page


def test_page_is_self_contained(page):
    tree = Tree(page)
    for tag, attrs in tree.elements:
        for key in ("src", "href"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith(("#", "data:")), (tag, key, value)
        assert tag not in {"link", "script", "iframe"}
    assert "@import" not in page and "url(" not in page


def test_redacted_page_masks_pii_and_keeps_spans_aligned():
    page = explain_html(RESULT, TICKET, redact=True)
    assert "jo@example.com" not in page and "4111" not in page
    assert "[EMAIL]" in page and "[CARD]" in page
    spans = span_texts(Tree(page))
    assert spans[f"hit-{HITS.index(H_TRANSFER)}"] == H_TRANSFER.text
    assert spans[f"hit-{HITS.index(H_REPEAT)}"] == H_REPEAT.text
    assert "[CARD]" in Tree(page).texts["turn-0"]


def test_unplaceable_evidence_is_listed_outside_the_transcript(page):
    tree = Tree(page)
    meta = HITS.index(H_META)
    assert "group: Tier1 -&gt; Billing" not in tree.texts[f"hit-{meta}"]
    assert "group: Tier1 -> Billing" in tree.texts[f"hit-{meta}"]


# -- the explain command ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _shared_prior_analyzer(monkeypatch, finder):
    """Every CLI call here uses the session's marker finder: loading patterns once keeps this file fast."""
    from effortnlp import cli
    from effortnlp.analyzer import EffortAnalyzer
    from effortnlp.model import PriorModel

    analyzer = EffortAnalyzer(PriorModel(), finder)
    monkeypatch.setattr(cli, "make_analyzer", lambda model_path, prior: analyzer)

DUMP = [
    {
        "ticket_id": "A1",
        "turns": [
            {"speaker": "customer", "text": "This is the third time I'm writing about my refund <b>now</b>."},
            {"speaker": "agent", "agent_name": "Sam", "text": "Sorry about that. I'll pass this to our "
             "billing team, they will call you back."},
            {"speaker": "customer", "text": "Still not fixed. I have been on hold for an hour and nobody "
             "has called me back even though you promised a callback within two working days!!"},
        ],
    },
]


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    import json

    path = tmp_path_factory.mktemp("explain") / "dump.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in DUMP))
    return path


def _explain(*args, color=False):
    from click.testing import CliRunner

    from effortnlp.cli import cli

    result = CliRunner().invoke(cli, ["explain", *map(str, args), "--prior"], color=color, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_html_command_writes_a_linked_page(dump, tmp_path):
    out = tmp_path / "ticket.html"
    _explain(dump, "--ticket", "A1", "--format", "html", "-o", out)
    tree = Tree(out.read_text())
    spans = span_texts(tree)
    labels = {a["data-label"] for a, _ in tree.labelled}
    assert {"TRANSFER", "UNRESOLVED"} <= labels
    assert spans["hit-0"]
    ids = tree.ids()
    assert all(a["href"][1:] in ids for _, a in tree.elements if "href" in a)
    assert "<b>now</b>" in "".join(tree.all_text)


def test_explain_text_fits_80_columns_without_colour_when_piped(dump):
    out = _explain(dump, "--ticket", "A1")
    assert "\x1b[" not in out
    assert "Drivers" in out
    for line in out.splitlines():
        assert len(line) <= 80, line


def test_explain_text_is_coloured_on_a_terminal(dump):
    import click

    out = _explain(dump, "--ticket", "A1", color=True)
    assert "\x1b[" in out
    assert max(len(click.unstyle(line)) for line in out.splitlines()) <= 80


def test_explain_to_file_has_no_colour_codes(dump, tmp_path):
    out = tmp_path / "x.txt"
    _explain(dump, "--ticket", "A1", "-o", out, color=True)
    assert "\x1b[" not in out.read_text() and "Drivers" in out.read_text()
