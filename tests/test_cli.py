"""The command line, end to end on small hand-written dumps."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from effortnlp.cli import cli

TICKETS = [
    {
        "ticket_id": "A1",
        "turns": [
            {"speaker": "customer", "text": "This is the third time I'm writing about my refund, order 884213."},
            {"speaker": "agent", "text": "Sorry about that. I'll pass this to our billing team, they will call you back."},
            {"speaker": "customer", "text": "Still not fixed. Unbelievable."},
        ],
    },
    {
        "ticket_id": "B2",
        "turns": [
            {"speaker": "user", "text": "How do I change my password?"},
            {"speaker": "rep", "text": "Go to Settings > Security > Change password."},
            {"speaker": "user", "text": "Done, thanks!"},
        ],
    },
    {"ticket_id": "C3", "turns": [{"speaker": "customer", "text": "   "}]},
]

COLUMNS = [
    "ticket_id", "ces", "band", "p_high", "transfer", "repeat_contact", "repeat_info",
    "channel_switch", "unresolved", "frustration", "wait", "drivers", "empty",
]


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in TICKETS))
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help"
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage" in result.output


def test_score_writes_one_row_per_ticket_with_all_columns(dump, tmp_path):
    out = tmp_path / "scored.csv"
    result = run("score", dump, "-o", out, "--prior", "-q")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["ticket_id"] for r in rows] == ["A1", "B2", "C3"]
    assert list(rows[0]) == COLUMNS
    for r in rows:
        assert 1 <= float(r["ces"]) <= 7
        assert r["band"] in ("low", "medium", "high")
        json.loads(r["drivers"])
    assert float(rows[0]["ces"]) < float(rows[1]["ces"])
    assert rows[2]["empty"] == "true"


@pytest.mark.parametrize("ext", ["jsonl", "parquet"])
def test_score_writes_format_by_extension(dump, tmp_path, ext):
    import pandas as pd

    out = tmp_path / f"scored.{ext}"
    assert run("score", dump, "-o", out, "--prior", "-q").exit_code == 0
    df = pd.read_parquet(out) if ext == "parquet" else pd.read_json(out, lines=True)
    assert list(df["ticket_id"].astype(str)) == ["A1", "B2", "C3"]


def test_score_to_stdout_prints_only_data(dump):
    result = CliRunner().invoke(cli, ["score", str(dump), "-o", "-", "--prior", "-q"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("ticket_id,ces,band")
    assert len(result.stdout.splitlines()) == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (["score", "no/such/file.jsonl", "-o", "x.csv", "--prior"], "does not exist"),
        (["score", "{dump}", "-o", "x.csv", "--format", "klingon", "--prior"], "klingon"),
        (["explain", "{dump}", "--ticket", "nope", "--prior"], "not found"),
        (["score", "{dump}", "-o", "x.csv", "--model", "no/such/model"], "model directory not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(dump, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{dump}", str(dump)) for a in args]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_explain_text_quotes_evidence_with_turn_numbers(dump):
    result = run("explain", dump, "--ticket", "A1", "--prior")
    assert result.exit_code == 0, result.output
    assert "Ticket A1" in result.output and "CES" in result.output
    assert "[turn 1, agent]" in result.output
    assert "billing team" in result.output
    assert all(len(line) <= 80 for line in result.output.splitlines())


def test_explain_text_says_which_earlier_turn_a_repeat_cites(tmp_path):
    ticket = {"ticket_id": "R1", "turns": [
        {"speaker": "customer", "text": "My order number is A123456 and the parcel never arrived at my flat."},
        {"speaker": "agent", "text": "Sorry about that. Could you give me your order number, please?"},
        {"speaker": "customer", "text": "Again: the parcel for order A123456 never arrived at my flat, it is lost."},
    ]}
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(ticket) + "\n")
    out = " ".join(run("explain", path, "--ticket", "R1", "--prior").output.split())
    assert "[turn 1, agent] “order number” (already given in turn 0)" in out  # the agent asks again
    assert "(said before in turn 0)" in out  # the customer says it again


def test_explain_json_has_drivers_with_evidence(dump):
    result = run("explain", dump, "--ticket", "A1", "--format", "json", "--prior")
    data = json.loads(result.output)
    assert data["ticket_id"] == "A1"
    names = {d["name"] for d in data["drivers"]}
    assert "transfer" in names
    ev = next(d for d in data["drivers"] if d["name"] == "transfer")["evidence"]
    assert ev[0]["turn"] == 1 and "billing" in ev[0]["text"]


def test_explain_worst_picks_the_highest_effort_ticket(dump):
    result = run("explain", dump, "--worst", "--prior")
    assert "Ticket A1" in result.output


def test_markers_prints_jsonl_hits(dump):
    result = run("markers", dump, "--prior")
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert hits and all(h["ticket_id"] in ("A1", "B2", "C3") for h in hits)
    assert {"label", "rule_id", "turn", "speaker", "start", "end", "text"} <= set(hits[0])


def test_train_evaluate_info_round_trip(tmp_path):
    from effortnlp.synthetic import generate_tickets

    tickets = list(generate_tickets(150, seed=5))
    dump = tmp_path / "t.jsonl"
    dump.write_text("".join(json.dumps({k: v for k, v in t.items() if k != "ces"}) + "\n" for t in tickets))
    labels = tmp_path / "labels.csv"
    rows = [{"ticket_id": t["ticket_id"], "ces": t["ces"]} for t in tickets[:140]]
    rows.append({"ticket_id": "NO-SUCH-TICKET", "ces": 4})
    with labels.open("w", newline="") as f:
        w = csv.DictWriter(f, ["ticket_id", "ces"])
        w.writeheader()
        w.writerows(rows)
    model = tmp_path / "m"
    result = CliRunner().invoke(cli, ["train", str(dump), "--labels", str(labels), "-o", str(model), "--cv", "3", "-q"])
    assert result.exit_code == 0, result.output
    assert "140 labelled tickets; 10 tickets without a label; 1 labels without a ticket" in result.stderr
    assert "prior" in result.stdout and "mean" in result.stdout
    assert (model / "manifest.json").is_file()

    out = tmp_path / "eval.json"
    result = run("evaluate", dump, "--labels", labels, "--model", model, "--json", out, "-q")
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report["predictors"]) == {"model", "prior", "mean"}
    assert report["n"] == 140

    result = run("info", model)
    assert result.exit_code == 0 and "files verified" in result.output


def test_score_rows_quote_evidence_and_redact_masks_it(tmp_path):
    dump = tmp_path / "pii.jsonl"
    ticket = {
        "ticket_id": "P1",
        "turns": [
            {"speaker": "customer", "text": "Third time I'm writing about this."},
            {"speaker": "agent", "text": "Sorry. I'll pass this to our billing team."},
            {"speaker": "agent", "text": "We cannot do refunds here, email jo.smith@example.com and they will sort it."},
        ],
    }
    dump.write_text(json.dumps(ticket) + "\n")
    plain, masked = tmp_path / "plain.csv", tmp_path / "masked.csv"
    assert run("score", dump, "-o", plain, "--prior", "-q", "--top", "9").exit_code == 0
    assert run("score", dump, "-o", masked, "--prior", "-q", "--top", "9", "--redact").exit_code == 0
    cells = json.loads(next(csv.DictReader(plain.open()))["drivers"])
    assert {"turn", "quote"} <= set(next(c for c in cells if c["name"] == "transfer"))
    assert "jo.smith@example.com" in plain.read_text()
    assert "jo.smith@example.com" not in masked.read_text()
    assert "[EMAIL]" in masked.read_text()
