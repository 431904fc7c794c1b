"""Batch scoring: accounting, determinism across processes, atomic output, resume, stdout."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import time

import pytest
from click.testing import CliRunner

from effortnlp import batch
from effortnlp.batch import ScoreSpec, score_file
from effortnlp.cli import cli

PRIOR = ScoreSpec(prior=True, chunk_size=7)

CUSTOMER = [
    "This is the third time I'm writing about my refund for order 884213.",
    "I have been on hold for 45 minutes and nobody answers!!",
    "How do I change my password?",
    "As I said before, my account number is 55512. I already gave it to you.",
    "Still not fixed. This is UNBELIEVABLE, I'm so frustrated.",
    "Thanks, that worked.",
]
AGENT = [
    "I'll pass this to our billing team, they will call you back.",
    "Please send us a DM with your details.",
    "Go to Settings > Security > Change password.",
    "Could you give me your account number again?",
    "I have escalated this to a supervisor.",
    "Glad I could help!",
]


def make_ticket(i: int) -> dict:
    turns = []
    for k in range(1 + i % 4):
        turns.append({"speaker": "customer", "text": CUSTOMER[(i + k) % len(CUSTOMER)]})
        turns.append({"speaker": "agent", "text": AGENT[(i * 3 + k) % len(AGENT)]})
    return {"ticket_id": f"T{i:04d}", "turns": turns}


def write_dump(path, n: int, bad: bool = True) -> int:
    """n tickets as JSONL; with ``bad``, also a broken line, a duplicate and a blank line.

    Returns the number of non-blank lines (input rows).
    """
    lines = [json.dumps(make_ticket(i)) for i in range(n)]
    if bad:
        mid = n // 2
        lines.insert(mid, '{"ticket_id": "BROKEN", "turns": [')  # invalid JSON
        lines.insert(mid + 3, json.dumps(make_ticket(1)))  # duplicate of T0001
        lines.insert(mid + 5, "")  # blank: not a row
        lines.insert(mid + 6, json.dumps({"turns": []}))  # no id
    path.write_text("\n".join(lines) + "\n")
    return sum(1 for ln in lines if ln.strip())


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "dump.jsonl"
    rows = write_dump(path, 60)
    return path, rows


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def read_errors(path):
    return [json.loads(line) for line in open(path)]


def test_every_row_is_scored_or_an_error(dump, tmp_path):
    path, n_rows = dump
    out = tmp_path / "out.csv"
    errs = tmp_path / "errs.jsonl"
    stats = score_file(str(path), str(out), errors_path=str(errs), spec=PRIOR, n_process=1, quiet=True)
    rows = read_csv(out)
    errors = read_errors(errs)
    assert stats.tickets == len(rows) == 60
    assert stats.errors == len(errors) == 3
    assert len(rows) + len(errors) == n_rows
    reasons = {e["row"]: e["reason"] for e in errors}
    lines = path.read_text().splitlines()
    for row, reason in reasons.items():  # line numbers point at the physical line
        if reason.startswith("invalid JSON"):
            assert "BROKEN" in lines[row - 1]
        if reason.startswith("duplicate"):
            assert lines[row - 1] == json.dumps(make_ticket(1))
    assert any(r.startswith("invalid JSON") for r in reasons.values())
    assert any(r == "duplicate ticket_id, first seen at line 2" for r in reasons.values())
    assert any(r.startswith("missing") for r in reasons.values())
    assert [r["ticket_id"] for r in rows] == [f"T{i:04d}" for i in range(60)]
    assert not list(tmp_path.glob("*.partial*")) and not list(tmp_path.glob("*progress*"))


def test_rows_and_errors_equal_the_plain_reader_path(dump, tmp_path):
    """The raw-line fast path must give what read_tickets + EffortAnalyzer give."""
    from effortnlp.io import read_tickets

    path, _ = dump
    out = tmp_path / "out.jsonl"
    errs = tmp_path / "errs.jsonl"
    assert batch.make_plan(str(path), PRIOR).fast
    score_file(str(path), str(out), errors_path=str(errs), spec=PRIOR, n_process=1, quiet=True)
    expected_errors = []
    tickets = read_tickets(path, on_error=expected_errors.append)
    expected = [r.to_row() for r in batch.get_analyzer(None, True).score(tickets)]
    got = [json.loads(line) for line in open(out)]
    assert got == json.loads(json.dumps(expected))
    assert read_errors(errs) == [e.to_dict() for e in expected_errors]


def test_text_formats_match_the_io_writers(tmp_path):
    from effortnlp.io import open_writer

    rows = [
        {c: v for c, v in zip(batch.OUTPUT_COLUMNS, vals, strict=True)}
        for vals in [
            ("a,1", 6.2, "low", 0.0123, 0, 1, 0, 0, 0, 2, 0, '[{"name":"x","contribution":-1.2}]', False),
            ("é\"b", 1.0, "high", 0.99, 3, 0, 0, 0, 1, 0, 0, "[]", True),
        ]
    ]
    for fmt in ("csv", "jsonl"):
        dest = tmp_path / f"w.{fmt}"
        with open_writer(dest) as w:
            w.write_many(rows)
        header = batch._csv_header() if fmt == "csv" else b""
        assert header + batch.format_rows(rows, fmt) == dest.read_bytes()


def test_one_and_two_processes_give_identical_bytes(dump, tmp_path):
    path, _ = dump
    outs = []
    for n in (1, 2):
        out = tmp_path / f"out{n}.csv"
        errs = tmp_path / f"errs{n}.jsonl"
        score_file(str(path), str(out), errors_path=str(errs), spec=PRIOR, n_process=n, quiet=True)
        outs.append((out.read_bytes(), errs.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0].count(b"\n") == 61


def test_ticket_chunks_path_with_two_processes(tmp_path):
    """CSV input goes through read_tickets in the parent; same rows for 1 and 2 processes."""
    src = tmp_path / "tickets.csv"
    with open(src, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ticket_id", "transcript"])
        for i in range(30):
            t = make_ticket(i)
            w.writerow([t["ticket_id"], "\n".join(f"{x['speaker']}: {x['text']}" for x in t["turns"])])
    assert not batch.make_plan(str(src), PRIOR).fast
    got = []
    for n in (1, 2):
        out = tmp_path / f"o{n}.csv"
        stats = score_file(str(src), str(out), spec=PRIOR, n_process=n, quiet=True)
        assert stats.tickets == 30
        got.append(out.read_bytes())
    assert got[0] == got[1]


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_interrupted_run_leaves_no_output_and_resume_is_identical(dump, tmp_path, ext, monkeypatch):
    path, _ = dump
    monkeypatch.setattr(batch, "PARQUET_PART_ROWS", 10)
    monkeypatch.setattr(batch, "PARQUET_ROW_GROUP", 25)
    clean = tmp_path / f"clean.{ext}"
    score_file(str(path), str(clean), errors_path=str(tmp_path / "ce.jsonl"), spec=PRIOR, n_process=1, quiet=True)
    monkeypatch.setattr(batch, "PARQUET_PART_ROWS", 17)  # part boundaries must not matter

    out = tmp_path / f"out.{ext}"
    errs = tmp_path / "e.jsonl"
    with pytest.raises(KeyboardInterrupt):
        score_file(str(path), str(out), errors_path=str(errs), spec=PRIOR, n_process=1, quiet=True,
                   stop_after_chunks=4)
    assert not out.exists() and not errs.exists()
    assert (tmp_path / f"out.{ext}.progress.json").exists()
    stats = score_file(str(path), str(out), errors_path=str(errs), spec=PRIOR, n_process=2,
                       quiet=True, resume=True)
    assert stats.resumed_chunks > 0
    assert stats.tickets == 60 and stats.errors == 3
    assert out.read_bytes() == clean.read_bytes()
    assert errs.read_bytes() == (tmp_path / "ce.jsonl").read_bytes()
    assert not (tmp_path / f"out.{ext}.progress.json").exists()


def test_resume_refuses_a_changed_input_or_options(dump, tmp_path):
    path, _ = dump
    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        score_file(str(path), str(out), spec=PRIOR, n_process=1, quiet=True, stop_after_chunks=2)
    with pytest.raises(batch.ResumeError, match="options differ"):
        score_file(str(path), str(out), spec=ScoreSpec(prior=True, chunk_size=7, top=5), quiet=True, resume=True)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    result = CliRunner().invoke(cli, ["score", str(path), "-o", str(out), "--prior", "--chunk-size", "7",
                                      "--resume", "-q", "-n", "1"])
    assert result.exit_code == 2
    assert "input changed" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_sigkilled_run_leaves_no_output_then_resume_gives_identical_bytes(dump, tmp_path, monkeypatch):
    """A child process (forked, so the analyzer is already built) is SIGKILLed mid-run."""
    path, _ = dump
    spec = ScoreSpec(prior=True, chunk_size=5)
    clean = tmp_path / "clean.csv"
    score_file(str(path), str(clean), errors_path=str(tmp_path / "ce.jsonl"), spec=spec, n_process=1, quiet=True)

    out = tmp_path / "out.csv"
    errs = tmp_path / "e.jsonl"
    batch.get_analyzer(None, True)
    pid = os.fork()
    if pid == 0:  # child: a slow run that never gets to finish
        try:
            real = batch.process

            def slow(work, spec):
                time.sleep(0.1)
                return real(work, spec)

            batch.process = slow
            score_file(str(path), str(out), errors_path=str(errs), spec=spec, n_process=1, quiet=True)
        finally:
            os._exit(0)
    progress = tmp_path / "out.csv.progress.json"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if json.loads(progress.read_text()).get("chunks", 0) >= 3:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert not out.exists() and not errs.exists()
    assert (tmp_path / "out.csv.partial").exists()
    stats = score_file(str(path), str(out), errors_path=str(errs), spec=spec, n_process=2, quiet=True,
                       resume=True)
    assert 3 <= stats.resumed_chunks < 13
    assert out.read_bytes() == clean.read_bytes()
    assert errs.read_bytes() == (tmp_path / "ce.jsonl").read_bytes()


def test_stdout_carries_only_data(dump):
    path, _ = dump
    result = CliRunner().invoke(cli, ["score", str(path), "-o", "-", "--prior", "-n", "2"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 60
    assert result.stdout.splitlines()[0].startswith("ticket_id,ces,band")
    assert "scored 60 tickets, 3 input rows with errors" in result.stderr


def test_cli_prints_totals_and_writes_errors_next_to_output(dump, tmp_path):
    path, _ = dump
    out = tmp_path / "scored.csv"
    result = CliRunner().invoke(cli, ["score", str(path), "-o", str(out), "--prior", "-n", "1"])
    assert result.exit_code == 0, result.output
    assert "scored 60 tickets, 3 input rows with errors" in result.stderr
    assert len(read_errors(tmp_path / "scored.errors.jsonl")) == 3


def test_vectorised_matcher_prefilter_finds_what_the_token_loop_found(finder):
    """markers._token_matches was sped up (LOWER-hash lookup); its matches must not change."""
    from pathlib import Path

    from effortnlp.io import read_tickets

    def reference(doc):  # the per-Token loop it replaced
        starts = finder._matcher_starts
        for tok in doc:
            if tok.lower_ in starts:
                for key, s, e in finder.matcher(doc[tok.i : tok.i + 12]):
                    if s == 0:
                        yield key, tok.i + s, tok.i + e

    assert finder._matcher_starts, "the prefilter is in use"
    sample = Path(__file__).resolve().parent.parent / "data" / "sample" / "tickets.jsonl"
    texts = [t.text for tk in read_tickets(sample) for t in tk.turns]
    texts += [c + " " + a for c, a in zip(CUSTOMER, AGENT, strict=True)] + ["", "on hold for 20 minutes"]
    n = 0
    for text in texts:
        doc = finder.tokenizer(text.replace("\u2019", "'"))
        got = list(finder._token_matches(doc))
        assert got == list(reference(doc))
        n += len(got)
    assert n > 10


def test_a_second_run_on_the_same_output_is_refused(dump, tmp_path):
    import fcntl

    from effortnlp.io import InputError

    path, _ = dump
    out = tmp_path / "out.csv"
    with open(str(out) + ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InputError, match="another effortnlp run is writing"):
            score_file(str(path), str(out), spec=PRIOR, n_process=1, quiet=True, resume=True)
    score_file(str(path), str(out), spec=PRIOR, n_process=1, quiet=True)
    assert out.exists() and not (tmp_path / "out.csv.lock").exists()
