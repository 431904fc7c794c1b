"""Hostile input (issue 7): bad files never crash a run and never lose a row.

Every case goes through the real ``effortnlp score`` command and ends either in
one line on stderr with exit code 2 (the whole input is unusable) or in exit 0
with per-row error records, and in both cases ``scored rows + error rows =
input rows``. Then: property tests over the readers and the scorer, no
traceback for any input error, killed runs, tampered models, huge tickets.
"""

from __future__ import annotations

import csv
import json
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from effortnlp import batch
from effortnlp.cli import cli
from effortnlp.io import RowError, read_tickets
from effortnlp.schema import Ticket, Turn

ROOT = Path(__file__).resolve().parent.parent
PRIOR = batch.ScoreSpec(prior=True)


# ---------------------------------------------------------------- helpers


def jl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def nested(tid, *texts, speakers=("customer", "agent")):
    return {
        "ticket_id": tid,
        "turns": [{"speaker": speakers[i % len(speakers)], "text": t} for i, t in enumerate(texts)],
    }


def csv_text(rows: list[list[str]]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@dataclass
class Outcome:
    exit_code: int
    stderr: str
    rows: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def score_cli(tmp_path: Path, input_path: Path, *args: str, n_process: int = 1) -> Outcome:
    out = tmp_path / "scored.csv"
    errs = tmp_path / "scored.errors.jsonl"
    for p in (out, errs):
        p.unlink(missing_ok=True)
    result = CliRunner().invoke(
        cli,
        ["score", str(input_path), "-o", str(out), "--errors", str(errs), "--prior",
         "-n", str(n_process), *args],
    )
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    if result.exit_code == 0:
        with open(out, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        errors = [json.loads(line) for line in open(errs, encoding="utf-8")] if errs.exists() else []
        return Outcome(0, result.stderr, rows, errors)
    assert not out.exists(), "a failed run left output behind"
    assert not list(tmp_path.glob("scored.*")), "a failed run left files behind"
    return Outcome(result.exit_code, result.stderr)


# ---------------------------------------------------------------- the 12 cases


@dataclass
class Case:
    """One hostile input: files to write, extra CLI args, and the expected outcome.

    ``fatal``: a substring of the one-line error (exit 2). Otherwise ``scored``
    and ``errors`` are the expected counts and ``rows`` the input rows (for a
    directory, a file-level error counts as one input row).
    """

    files: dict[str, bytes | str]
    args: tuple[str, ...] = ()
    input: str | None = None  # default: the only file, or the directory if several
    fatal: str | None = None
    rows: int = 0
    scored: int = 0
    errors: int = 0
    error_reasons: tuple[str, ...] = ()
    check: object = None  # callable(Outcome) for extra assertions


GOOD_CSV_HEAD = [["ticket_id", "transcript"], ["T1", "Customer: my refund is late\nAgent: sorry"]]


def _check_dup(o: Outcome) -> None:
    (row,) = [r for r in o.rows if r["ticket_id"] == "D"]
    # the first "D" (a wait complaint) was scored, not the later clean one
    assert int(row["wait"]) >= 1, row
    (err,) = [e for e in o.errors if e["ticket_id"] == "D"]
    assert err["reason"] == "duplicate ticket_id, first seen at line 1" and err["row"] == 3


def _check_empty_flags(o: Outcome) -> None:
    by_id = {r["ticket_id"]: r for r in o.rows}
    for tid in ("E1", "E2", "E3"):
        assert by_id[tid]["empty"] == "true" and float(by_id[tid]["ces"]) == 7.0
    assert by_id["OK"]["empty"] == "false"


def _check_latin1(o: Outcome) -> None:
    assert {r["ticket_id"] for r in o.rows} == {"L1", "W1", "U1"}


CASES: dict[str, Case] = {
    # 1. CSV: an unbalanced quote, a row with too many fields, a truncated last row
    "01-csv-truncated-unbalanced-toomany": Case(
        files={
            "t.csv": 'ticket_id,transcript\n'
            'A,"Customer: fine"\n'
            'B,"Customer: he said "hi" there\n'  # unbalanced: quote closed mid-field
            'C,"Customer: ok",extra\n'  # too many fields
            'D,"Customer: good"\n'
            'E,"Customer: cut off in the midd',  # truncated last row, no closing quote
        },
        rows=5, scored=2, errors=3,
        error_reasons=("malformed CSV", "too many fields", "malformed CSV"),
    ),
    "01b-csv-turns-unbalanced-quote-swallowing-lines": Case(
        files={
            "t.csv": "ticket_id,speaker,text\n"
            "A,customer,hello\n"
            'B,customer,"never closed\n'
            "C,customer,next line is its own row\n"
            "D,agent,fine\n",
        },
        rows=4, scored=3, errors=1, error_reasons=("malformed CSV",),
    ),
    # 2. JSONL: an invalid line in the middle and a blank line
    "02-jsonl-invalid-middle-and-blank": Case(
        files={
            "t.jsonl": jl(
                nested("A", "my order never came"), "", '{"ticket_id": "B", "turns": [',
                nested("C", "thanks"), "   ", "[1, 2]", nested("D", "hi"),
            )
        },
        rows=5, scored=3, errors=2, error_reasons=("invalid JSON", "expected a JSON object"),
    ),
    "02b-jsonl-invalid-middle-two-processes": Case(
        files={"t.jsonl": jl(*[nested(f"T{i}", "still waiting") for i in range(9)], "{oops",
                             *[nested(f"U{i}", "ok") for i in range(9)])},
        args=("-n", "2", "--chunk-size", "4"),
        rows=19, scored=18, errors=1, error_reasons=("invalid JSON",),
    ),
    # 3. a binary file given as CSV
    "03-binary-as-csv": Case(
        files={"t.csv": b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 40},
        fatal="not a text CSV file",
    ),
    "03b-png-as-jsonl": Case(
        files={"t.jsonl": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8},
        fatal="not a text JSONL file",
    ),
    # 4. Latin-1 and Windows-1252 bytes inside UTF-8 text
    "04-non-utf8-bytes-csv": Case(
        files={
            "t.csv": b"ticket_id,transcript\n"
            b"L1,\"Customer: caf\xe9 na\xefve, I waited 3 days\"\n"  # Latin-1
            b"W1,\"Customer: \x93quoted\x94 \x96 dash\"\n"  # Windows-1252
            b"U1,\"Customer: caf\xc3\xa9 utf8 \x81\x8d\"\n",  # UTF-8 + cp1252 holes
        },
        rows=3, scored=3, errors=0, check=_check_latin1,
    ),
    "04b-non-utf8-bytes-jsonl": Case(
        files={
            "t.jsonl": b'{"ticket_id": "L1", "turns": [{"speaker": "customer", "text": "caf\xe9"}]}\n'
            b'{"ticket_id": "W1", "turns": [{"speaker": "customer", "text": "\x93hi\x94"}]}\n'
            b'{"ticket_id": "U1", "turns": [{"speaker": "customer", "text": "\xff\xfe"}]}\n',
        },
        rows=3, scored=3, errors=0, check=_check_latin1,
    ),
    # 5. an empty file; a header only
    "05-empty-file": Case(files={"t.csv": b""}, fatal="is empty"),
    "05b-whitespace-only-jsonl": Case(files={"t.jsonl": "\n  \n\t\n"}, fatal="is empty"),
    "05c-header-only-csv": Case(files={"t.csv": "ticket_id,speaker,text\n"}, rows=0),
    "05d-header-only-no-newline": Case(files={"t.csv": "ticket_id,transcript"}, rows=0),
    # 6. missing id column, missing text column
    "06-missing-id-column": Case(
        files={"t.csv": "speaker,text\ncustomer,hi\n"}, args=("--format", "turns"),
        fatal="missing required column 'ticket_id'",
    ),
    "06b-missing-text-column": Case(
        files={"t.csv": "ticket_id,speaker\n1,customer\n"}, args=("--format", "turns"),
        fatal="missing required column 'text'",
    ),
    "06c-missing-transcript-column-detected": Case(
        files={"t.csv": "ticket_id,body\n1,hi\n"}, fatal="cannot tell the format",
    ),
    "06d-missing-id-in-jsonl-records": Case(
        files={"t.jsonl": jl({"turns": []}, nested("A", "hi"), {"ticket_id": " ", "turns": []})},
        rows=3, scored=1, errors=2, error_reasons=("missing ticket_id", "missing ticket_id"),
    ),
    # 7. duplicate ids: the first is scored, later ones are error records
    "07-duplicate-ids-jsonl": Case(
        files={"t.jsonl": jl(nested("D", "I have been on hold for 45 minutes"), nested("X", "hi"),
                             nested("D", "thanks, all good"))},
        rows=3, scored=2, errors=1, error_reasons=("duplicate ticket_id",), check=_check_dup,
    ),
    "07b-duplicate-ids-jsonl-across-chunks": Case(
        files={"t.jsonl": jl(*[nested(f"T{i % 5}", "hello") for i in range(12)])},
        args=("--chunk-size", "3", "-n", "2"),
        rows=12, scored=5, errors=7,
    ),
    "07c-duplicate-ids-csv-tickets": Case(
        files={"t.csv": csv_text([["ticket_id", "transcript"], ["D", "Customer: on hold for an hour"],
                                  ["D", "Customer: fine"], ["D", "Customer: again"]])},
        rows=3, scored=1, errors=2, error_reasons=("duplicate ticket_id",) * 2,
    ),
    # 8. empty / whitespace-only text; zero turns
    "08-empty-text-and-zero-turns": Case(
        files={"t.jsonl": jl(nested("E1", ""), nested("E2", "   \n\t "), {"ticket_id": "E3", "turns": []},
                             nested("OK", "where is my parcel"), {"ticket_id": "E4"})},
        rows=5, scored=5, errors=0, check=_check_empty_flags,
    ),
    "08b-empty-transcripts-csv": Case(
        files={"t.csv": csv_text([["ticket_id", "transcript"], ["E1", ""], ["E2", "   "], ["E3", "\n\n"],
                                  ["OK", "Customer: where is my parcel"]])},
        rows=4, scored=4, errors=0, check=_check_empty_flags,
    ),
    # 10. unknown speaker labels, mixed case and extra spaces
    "10-odd-speaker-labels": Case(
        files={"t.csv": csv_text([
            ["ticket_id", "speaker", "text"],
            ["S1", "  CUSTOMER ", "I was transferred three times"],
            ["S1", "aGeNt", "sorry about that"],
            ["S2", "Sarah", "hi, my card was charged twice"],
            ["S2", "Tom   Jones", "let me check"],
            ["S3", "", "no speaker at all"],
            ["S3", "\u2603\u200b", "snowman speaker"],
            ["S4", "   ", "   "],
        ])},
        rows=4, scored=4, errors=0,  # rows = tickets here (one row per turn)
    ),
    # 11. the wrong --format for the file
    "11-turns-csv-as-tickets": Case(
        files={"t.csv": "ticket_id,speaker,text\n1,customer,hi\n"}, args=("--format", "tickets"),
        fatal="missing required column 'transcript'",
    ),
    "11b-tickets-csv-as-turns": Case(
        files={"t.csv": "ticket_id,transcript\n1,Customer: hi\n"}, args=("--format", "turns"),
        fatal="missing required column 'speaker'",
    ),
    "11c-turns-csv-as-jsonl": Case(
        files={"t.csv": "ticket_id,speaker,text\n1,customer,hi\n"}, args=("--format", "jsonl"),
        fatal="missing required column 'turns'",
    ),
    "11d-nested-jsonl-as-turns": Case(
        files={"t.jsonl": jl(nested("A", "hi"), nested("B", "yo"))}, args=("--format", "turns"),
        fatal="--format turns",
    ),
    "11e-nested-jsonl-as-tickets": Case(
        files={"t.jsonl": jl(nested("A", "hi"), nested("B", "yo"))}, args=("--format", "tickets"),
        fatal="--format tickets",
    ),
    # a wrong vendor format: every record is an error record (the vendor readers' policy)
    "11f-nested-jsonl-as-zendesk": Case(
        files={"t.jsonl": jl(nested("A", "hi"), nested("B", "yo"))}, args=("--format", "zendesk"),
        rows=2, scored=0, errors=2, error_reasons=("zendesk ticket without an id",) * 2,
    ),
    "11h-turns-jsonl-as-jsonl": Case(
        files={"t.jsonl": jl({"ticket_id": "A", "speaker": "customer", "text": "hi"})},
        args=("--format", "jsonl"), fatal="pass --format turns",
    ),
    "11g-unknown-format": Case(
        files={"t.jsonl": jl(nested("A", "hi"))}, args=("--format", "xml"), fatal="unknown format 'xml'",
    ),
    # 12. a directory mixing valid and invalid files
    "12-directory-mixed": Case(
        files={
            "a_good.jsonl": jl(nested("J1", "on hold again"), nested("J2", "ok"), "{broken"),
            "b_good.csv": csv_text([["ticket_id", "transcript"], ["C1", "Customer: hi"], ["C2", ""]]),
            "c_binary.csv": b"\x00\x01\x02\x03PK" * 100,
            "d_empty.jsonl": "",
            "e_notes.txt": "just some notes",
            "f_header_only.csv": "ticket_id,transcript\n",
            "g_no_columns.csv": "foo,bar\n1,2\n",
            "h_dup.jsonl": jl(nested("J1", "again")),
            "sub/i_turns.csv": csv_text([["ticket_id", "speaker", "text"], ["P1", "user", "x"],
                                         ["P1", "rep", "y"]]),
            ".hidden.csv": b"\x00garbage",
        },
        input=".",
        # J1 J2 {broken} | C1 C2 | binary | empty | notes | missing cols | dup J1 | P1
        rows=11, scored=5, errors=6,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(tmp_path, name):
    case = CASES[name]
    root = tmp_path / "in"
    root.mkdir()
    for rel, content in case.files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        p.write_bytes(content)
    if case.input is not None:
        target = root / case.input
    else:
        (only,) = case.files
        target = root / only
    outcome = score_cli(tmp_path, target, *case.args)
    if case.fatal is not None:
        assert outcome.exit_code == 2, outcome.stderr
        lines = [ln for ln in outcome.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, outcome.stderr
        assert lines[0].startswith("effortnlp: error: ") and case.fatal in lines[0], lines[0]
        return
    assert outcome.exit_code == 0, outcome.stderr
    assert len(outcome.rows) == case.scored, outcome.rows
    assert len(outcome.errors) == case.errors, outcome.errors
    assert len(outcome.rows) + len(outcome.errors) == case.rows
    if case.error_reasons:
        assert [e["reason"][: len(r)] for e, r in zip(outcome.errors, case.error_reasons, strict=True)] == list(
            case.error_reasons
        ), outcome.errors
    for err in outcome.errors:
        assert set(err) == {"source", "row", "reason", "ticket_id"}
    for r in outcome.rows:
        assert 1.0 <= float(r["ces"]) <= 7.0
    if case.check is not None:
        case.check(outcome)


def test_directory_errors_name_their_files(tmp_path):
    """Case 12 in detail: file-level problems are records with row=None naming the file."""
    for name, content in {
        "good.jsonl": jl(nested("A", "hi")).encode(),
        "bin.csv": b"\x00\xff" * 200,
        "empty.jsonl": b"",
        "x.txt": b"hello",
    }.items():
        (tmp_path / name).write_bytes(content)
    errors: list[RowError] = []
    tickets = list(read_tickets(tmp_path, on_error=errors.append))
    assert [t.ticket_id for t in tickets] == ["A"]
    by_file = {Path(e.source).name: e for e in errors}
    assert set(by_file) == {"bin.csv", "empty.jsonl", "x.txt"}
    assert all(e.row is None for e in errors)
    assert "not a text CSV" in by_file["bin.csv"].reason
    assert "empty" in by_file["empty.jsonl"].reason


def test_speaker_labels_resolve_case_and_space_insensitively(tmp_path):
    """Case 10 in detail: the roles the odd labels get."""
    p = tmp_path / "t.csv"
    p.write_bytes(CASES["10-odd-speaker-labels"].files["t.csv"].encode())
    tickets = {t.ticket_id: t for t in read_tickets(p)}
    assert [u.speaker for u in tickets["S1"].turns] == ["customer", "agent"]
    assert [u.speaker_raw for u in tickets["S1"].turns] == ["CUSTOMER", "aGeNt"]
    # unknown names: the first is the customer, later ones agents (named)
    assert [u.speaker for u in tickets["S2"].turns] == ["customer", "agent"]
    assert tickets["S2"].turns[1].agent_name == "Tom   Jones"
    assert [u.speaker for u in tickets["S3"].turns] == ["customer", "agent"]


# ---------------------------------------------------------------- property tests

PROPS = settings(max_examples=60, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Any unicode (no surrogates: they cannot be written as UTF-8), control characters
# included, with an occasional long text.
any_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=40),  # C0/C1 controls, NUL
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(500, 5000)),
)
speaker_text = st.one_of(any_text, st.sampled_from(["customer", "Agent", " USER ", "bot", "Sarah"]))


@pytest.fixture(scope="module")
def analyzer():
    return batch.get_analyzer(None, True)


def _write_text_table(path: Path, table: list[list[str]]) -> None:
    data = csv_text(table).encode("utf-8")
    # By design a file whose first 8 KB are more than a quarter NUL is binary
    # (UTF-16, zero-filled); every other text is read.
    assume(data[:8192].count(b"\x00") * 4 <= len(data[:8192]))
    path.write_bytes(data)


def _scored(analyzer, tickets: list[Ticket]) -> None:
    results = analyzer.score_many(tickets)
    assert [r.ticket_id for r in results] == [t.ticket_id for t in tickets]
    for r in results:
        assert 1.0 <= r.ces <= 7.0


@PROPS
@given(tickets=st.lists(
    st.tuples(any_text, st.lists(st.one_of(
        st.fixed_dictionaries({"speaker": speaker_text, "text": any_text}),
        any_text,  # a turn given as a "Speaker: text" string
        st.fixed_dictionaries({"role": st.none(), "message": st.integers()}),
    ), max_size=5)),
    max_size=6,
))
def test_property_jsonl_tickets(tmp_path_factory, analyzer, tickets):
    path = tmp_path_factory.mktemp("p") / "t.jsonl"
    lines = [json.dumps({"ticket_id": tid, "turns": turns}) for tid, turns in tickets]
    lines.append(json.dumps({"ticket_id": "last", "turns": []}))  # never an empty file
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors: list[RowError] = []
    got = list(read_tickets(path, on_error=errors.append))
    assert len(got) + len(errors) == len(lines)
    _scored(analyzer, got)
    # and the batch fast path accounts for the same rows
    out = path.with_suffix(".out.csv")
    stats = batch.score_file(str(path), str(out), spec=PRIOR, n_process=1, quiet=True)
    assert (stats.tickets, stats.errors) == (len(got), len(errors))


@PROPS
@given(rows=st.lists(st.tuples(any_text, speaker_text, any_text), max_size=8))
def test_property_csv_turns(tmp_path_factory, analyzer, rows):
    path = tmp_path_factory.mktemp("p") / "t.csv"
    # an id prefix keeps every row non-blank; the rest of the id is arbitrary
    table = [["ticket_id", "speaker", "text"], *[[f"t{tid}", sp, tx] for tid, sp, tx in rows]]
    table.append(["zz-last", "customer", "hello"])
    _write_text_table(path, table)
    errors: list[RowError] = []
    got = list(read_tickets(path, on_error=errors.append))
    assert sum(len(t.turns) for t in got) + len(errors) == len(table) - 1
    assert errors == []  # well-formed CSV written by csv.writer: nothing is bad
    ids = [(f"t{tid}".strip() if f"t{tid}".strip() else None) for tid, _, _ in rows]
    assert len(got) == len({i for i in ids if i} | {"zz-last"})
    _scored(analyzer, got)


@PROPS
@given(rows=st.lists(st.tuples(any_text, st.lists(st.tuples(speaker_text, any_text), max_size=4)),
                     max_size=6))
def test_property_csv_transcripts(tmp_path_factory, analyzer, rows):
    path = tmp_path_factory.mktemp("p") / "t.csv"
    table = [["ticket_id", "transcript"]]
    for i, (tid, turns) in enumerate(rows):
        table.append([f"{i}-{tid}", "\n".join(f"{sp}: {tx}" for sp, tx in turns)])
    table.append(["zz-last", "Customer: hi"])
    _write_text_table(path, table)
    errors: list[RowError] = []
    got = list(read_tickets(path, on_error=errors.append))
    assert len(got) + len(errors) == len(table) - 1
    assert errors == []
    _scored(analyzer, got)


@PROPS
@given(data=st.binary(max_size=600))
def test_property_arbitrary_bytes_never_crash_the_cli(tmp_path_factory, data):
    """Any bytes as .csv or .jsonl: one line + exit 2, or every row accounted for."""
    d = tmp_path_factory.mktemp("b")
    for name in ("t.csv", "t.jsonl"):
        path = d / name
        path.write_bytes(data)
        out, errs = d / "o.csv", d / "o.errors.jsonl"
        errs.unlink(missing_ok=True)
        result = CliRunner().invoke(cli, ["score", str(path), "-o", str(out), "--errors", str(errs),
                                          "--prior", "-n", "1", "-q"])
        assert "Traceback" not in result.stderr
        if result.exit_code == 2:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
            assert "details in" not in result.stderr, result.stderr  # a known error, not a crash
        else:
            assert result.exit_code == 0, (result.stderr, result.exception)


@PROPS
@given(turns=st.lists(st.tuples(st.sampled_from(["customer", "agent", "system"]), any_text),
                      max_size=12))
def test_property_score_any_turn_structure(analyzer, turns):
    ticket = Ticket("x", tuple(Turn(s, t) for s, t in turns))
    (r,) = analyzer.score_many([ticket])
    assert 1.0 <= r.ces <= 7.0 and 0.0 <= r.p_high <= 1.0


# ---------------------------------------------------------------- tracebacks


def test_unexpected_error_is_one_line_with_a_log_file(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    src = tmp_path / "t.jsonl"
    src.write_text(jl(nested("A", "hi")))

    def boom(*a, **k):
        raise RuntimeError("kaboom inside the scorer")

    monkeypatch.setattr(batch, "score_tickets", boom)
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(cli, ["score", str(src), "-o", str(out), "--prior", "-n", "1", "-q"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "RuntimeError: kaboom inside the scorer" in line and "--debug" in line
    log = (tmp_path / "effortnlp-error.log").read_text()
    assert "Traceback" in log and "kaboom" in log
    assert not out.exists()

    result = CliRunner().invoke(cli, ["--debug", "score", str(src), "-o", str(out), "--prior", "-n", "1"])
    assert isinstance(result.exception, RuntimeError)  # --debug: the real exception surfaces


def test_real_process_prints_one_line_for_a_binary_file(tmp_path):
    """Through the installed entry point: stderr is exactly one line, no traceback."""
    src = tmp_path / "t.csv"
    src.write_bytes(bytes(range(256)) * 50)
    exe = Path(sys.executable).with_name("effortnlp")
    proc = subprocess.run([str(exe), "score", str(src), "-o", str(tmp_path / "o.csv"), "--prior"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "not a text CSV" in proc.stderr and proc.stdout == ""


# ---------------------------------------------------------------- killed runs

_SLOW_RUN = """
import sys, time
from effortnlp import batch
real = batch.process
def slow(work, spec):
    time.sleep(0.05)
    return real(work, spec)
batch.process = slow
from effortnlp.cli import main
sys.argv = ["effortnlp"] + sys.argv[1:]
main()
"""


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" in status


@pytest.mark.parametrize(
    "sig, n", [(signal.SIGTERM, 1), (signal.SIGTERM, 2), (signal.SIGKILL, 1), (signal.SIGKILL, 2)],
    ids=["SIGTERM-1proc", "SIGTERM-2proc", "SIGKILL-1proc", "SIGKILL-2proc"],
)
def test_killed_cli_leaves_nothing_at_destination_and_resume_completes(tmp_path, sig, n):
    lines = [nested(f"T{i:03d}", "I have been on hold for an hour", "sorry") for i in range(80)]
    lines.insert(40, "{not json")
    src = tmp_path / "t.jsonl"
    src.write_text(jl(*lines))
    args = ["score", str(src), "--prior", "--chunk-size", "4", "-n", str(n)]
    clean = tmp_path / "clean.csv"
    r = CliRunner().invoke(cli, [*args, "-q", "-o", str(clean)])
    assert r.exit_code == 0, r.stderr

    out = tmp_path / "out.csv"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, *args, "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    progress = tmp_path / "out.csv.progress.json"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if json.loads(progress.read_text()).get("chunks", 0) >= 3:
                break
        except (OSError, ValueError):
            pass
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.02)
    else:
        pytest.fail("the run never checkpointed")
    workers = _children(proc.pid)
    assert len(workers) == (n if n > 1 else 0)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert b"Traceback" not in stderr, stderr
    if sig == signal.SIGTERM:  # stopped like Ctrl-C: committed, and says how to go on
        assert b"rerun with --resume" in stderr, stderr
    deadline = time.time() + 10
    while not all(_gone(w) for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert all(_gone(w) for w in workers), "workers outlived their killed parent"
    assert not out.exists()
    assert not (tmp_path / "out.errors.jsonl").exists()
    r = CliRunner().invoke(cli, [*args, "-q", "-o", str(out), "--resume"])
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes() == clean.read_bytes()
    assert (tmp_path / "out.errors.jsonl").read_bytes() == (tmp_path / "clean.errors.jsonl").read_bytes()
    assert not progress.exists()


# ---------------------------------------------------------------- model files


class _Canary:
    path = ""

    def __reduce__(self):
        return (Path.touch, (Path(_Canary.path),))


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    from effortnlp.features import NEUTRAL as NEUTRAL_FEATURES
    from effortnlp.model import fit_model, save_model

    feats = [dict(NEUTRAL_FEATURES) | {"transfer_count": float(i % 3)} for i in range(30)]
    y = [6 - 2 * (i % 3) for i in range(30)]
    return save_model(fit_model(feats, y), tmp_path_factory.mktemp("m") / "model")


def _copy(src: Path, tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "model"
    shutil.copytree(src, dest)
    return dest


def _every_artifact(directory: Path) -> list[str]:
    return sorted(json.loads((directory / "manifest.json").read_text())["files"])


def test_every_artifact_is_hashed(trained_dir):
    on_disk = sorted(str(p.relative_to(trained_dir)) for p in trained_dir.rglob("*")
                     if p.is_file() and p.name != "manifest.json")
    assert _every_artifact(trained_dir) == on_disk


def test_a_modified_byte_in_any_artifact_is_refused(trained_dir, tmp_path):
    from effortnlp.model import ModelError, load_model

    names = _every_artifact(trained_dir)
    assert len(names) > 3
    for i, name in enumerate(names):
        d = _copy(trained_dir, tmp_path / str(i))
        path = d / name
        data = bytearray(path.read_bytes())
        data[(len(data) * 2) // 3] ^= 0x20
        path.write_bytes(bytes(data))
        with pytest.raises(ModelError, match="SHA-256 does not match"):
            load_model(d)


@pytest.mark.parametrize(
    "damage, message",
    [
        ("outside", "lies outside the model"),
        ("absolute", "lies outside the model"),
        ("symlink-out", "lies outside the model"),
        ("nul-name", "manifest"),
        ("missing-file", "missing"),
        ("unlisted-pattern", "not listed in the manifest"),
        ("no-estimator-listed", "does not list estimator.joblib"),
        ("files-not-a-table", "no 'files' table"),
        ("manifest-not-json", "not valid JSON"),
        ("manifest-binary", "not valid JSON"),
    ],
)
def test_damaged_manifest_is_refused_before_unpickling(trained_dir, tmp_path, damage, message):
    from effortnlp.model import ModelError, load_model

    d = _copy(trained_dir, tmp_path)
    canary = tmp_path / "pickle-code-ran"
    _Canary.path = str(canary)
    (d / "estimator.joblib").write_bytes(pickle.dumps(_Canary()))  # what an attacker ships
    manifest_path = d / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    files = manifest["files"]
    outside = tmp_path / "evil.jsonl"
    outside.write_text("{}\n")
    # in every case the estimator's listed hash is made to match the foreign pickle
    from effortnlp.model import sha256_file

    files["estimator.joblib"] = sha256_file(d / "estimator.joblib")
    if damage == "outside":
        files["../evil.jsonl"] = sha256_file(outside)
    elif damage == "absolute":
        files[str(outside)] = sha256_file(outside)
    elif damage == "symlink-out":
        (d / "patterns" / "link.jsonl").symlink_to(outside)
        files["patterns/link.jsonl"] = sha256_file(outside)
    elif damage == "nul-name":
        files["patterns/a\u0000.jsonl"] = "0" * 64
    elif damage == "missing-file":
        name = next(n for n in files if n.startswith("patterns/"))
        (d / name).unlink()
    elif damage == "unlisted-pattern":
        (d / "patterns" / "zz_extra.jsonl").write_text("{}\n")
    elif damage == "no-estimator-listed":
        del files["estimator.joblib"]
    elif damage == "files-not-a-table":
        manifest["files"] = list(files)
    if damage == "manifest-not-json":
        manifest_path.write_text(json.dumps(manifest)[:-5])
    elif damage == "manifest-binary":
        manifest_path.write_bytes(b"\xff\xfe\x00{" * 20)
    else:
        manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=message):
        load_model(d)
    assert not canary.exists(), "the foreign pickle's code ran"


def test_cli_refuses_tampered_models_in_one_line(trained_dir, tmp_path):
    src = tmp_path / "t.jsonl"
    src.write_text(jl(nested("A", "hi")))
    canary = tmp_path / "pickle-code-ran"
    _Canary.path = str(canary)

    tampered = _copy(trained_dir, tmp_path / "t")
    (tampered / "estimator.joblib").write_bytes(pickle.dumps(_Canary()))
    no_manifest = _copy(trained_dir, tmp_path / "n")
    (no_manifest / "manifest.json").unlink()
    patterns = _copy(trained_dir, tmp_path / "p")
    victim = sorted((patterns / "patterns").glob("*.jsonl"))[0]
    victim.write_text(victim.read_text().replace("a", "b", 1))

    for model, message in [(tampered, "SHA-256 does not match"), (no_manifest, "no manifest.json"),
                           (patterns, "SHA-256 does not match")]:
        for n in ("1", "2"):
            out = tmp_path / "o.csv"
            r = CliRunner().invoke(cli, ["score", str(src), "-o", str(out), "--model", str(model),
                                         "-n", n])
            assert r.exit_code == 2, r.stderr
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and message in lines[0], r.stderr
            assert "Traceback" not in r.stderr
            assert not list(tmp_path.glob("o.csv*")), "a refused model left partial files"
    assert not canary.exists(), "the foreign pickle's code ran"
    pickle.loads((tampered / "estimator.joblib").read_bytes())  # the canary is live
    assert canary.exists()


# ---------------------------------------------------------------- case 9: huge tickets

NEUTRAL = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do. "  # no marker fires


def _spy_tokenizer(finder, monkeypatch) -> list[int]:
    sizes: list[int] = []
    real = finder.tokenizer

    class Spy:
        def __call__(self, text):
            sizes.append(len(text))
            return real(text)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(finder, "tokenizer", Spy())
    return sizes


def test_huge_single_turn_is_chunked_and_markers_still_found(analyzer, monkeypatch):
    from effortnlp.markers import MAX_CHUNK_CHARS

    sizes = _spy_tokenizer(analyzer.finder, monkeypatch)
    two_mb = NEUTRAL * (2_000_000 // len(NEUTRAL))
    # a marker deep in the text, far past the first chunk
    text = two_mb + " I have been on hold for 45 minutes. " + NEUTRAL * 10
    (r,) = analyzer.score_many([Ticket("big", (Turn("customer", text), Turn("agent", "sorry")))])
    assert r.ces < 7 and r.counts["WAIT"] >= 1, r.counts
    assert max(sizes) <= MAX_CHUNK_CHARS and sum(sizes) >= len(text)


def test_five_megabyte_tickets_one_turn_and_many_turns(analyzer, monkeypatch):
    from effortnlp.markers import MAX_CHUNK_CHARS

    sizes = _spy_tokenizer(analyzer.finder, monkeypatch)
    five_mb = NEUTRAL * (5_000_000 // len(NEUTRAL))
    many = tuple(Turn("customer" if i % 2 == 0 else "agent", NEUTRAL * 20)
                 for i in range(5_000_000 // (len(NEUTRAL) * 20)))
    results = analyzer.score_many([
        Ticket("one-turn", (Turn("customer", five_mb),)),
        Ticket("many-turns", many),
        Ticket("small", (Turn("customer", "still not fixed"),)),
    ])
    assert [r.ticket_id for r in results] == ["one-turn", "many-turns", "small"]
    assert max(sizes) <= MAX_CHUNK_CHARS
    assert all(1 <= r.ces <= 7 for r in results)


def test_huge_ticket_through_the_reader_and_batch(tmp_path):
    """A 5 MB JSONL line and a 2 MB CSV cell are read (no field-size limit) and scored."""
    big = tmp_path / "big.jsonl"
    text = NEUTRAL * (5_000_000 // len(NEUTRAL))
    big.write_text(jl(nested("B", text), nested("S", "hi")))
    stats = batch.score_file(str(big), str(tmp_path / "o.csv"), spec=PRIOR, n_process=1, quiet=True)
    assert (stats.tickets, stats.errors) == (2, 0)
    cell = tmp_path / "big.csv"
    cell.write_text(csv_text([["ticket_id", "speaker", "text"], ["C", "customer", NEUTRAL * 31_000],
                              ["C", "agent", "ok"]]))
    errors: list[RowError] = []
    (t,) = list(read_tickets(cell, on_error=errors.append))
    assert errors == [] and len(t.turns[0].text) > 1_900_000


# A lone UTF-16 surrogate escape decodes to a string no UTF-8 (or Parquet) writer accepts:
# it becomes U+FFFD and the row is scored, in every JSON reader and output format.
_LONE = '{"ticket_id": "s1", "turns": [{"speaker": "customer", "text": "bad \\ud800 x \\ud83d\\ude00 ok"}]}'


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("n_process", ["1", "2"])
def test_lone_surrogate_escape_is_mended_not_fatal(tmp_path, suffix, n_process):
    src = tmp_path / "in.jsonl"
    src.write_text(_LONE + "\n" + json.dumps({"ticket_id": "s2", "turns": [{"speaker": "agent", "text": "hi"}]}) + "\n")
    out = tmp_path / f"out{suffix}"
    result = CliRunner().invoke(cli, ["score", str(src), "-o", str(out), "--prior", "-n", n_process, "-q"])
    assert result.exit_code == 0, result.output
    import pandas as pd

    frame = pd.read_parquet(out) if suffix == ".parquet" else (
        pd.read_csv(out) if suffix == ".csv" else pd.read_json(out, lines=True))
    assert list(frame["ticket_id"].astype(str)) == ["s1", "s2"]


def test_lone_surrogate_in_every_json_reader(tmp_path):
    array = tmp_path / "a.json"
    array.write_text("[" + _LONE + "]")
    doc = tmp_path / "d.json"
    doc.write_text(_LONE)
    cell = tmp_path / "c.csv"
    with cell.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["ticket_id", "turns"],
                                  ["s1", '[{"speaker": "customer", "text": "bad \\ud800 x \\ud83d\\ude00 ok"}]']])
    for path in (array, doc, cell):
        (ticket,) = list(read_tickets(path))
        assert ticket.turns[0].text == "bad \ufffd x \U0001f600 ok", path
        ticket.turns[0].text.encode("utf-8")
