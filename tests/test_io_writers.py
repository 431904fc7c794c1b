"""Writers: formats, atomicity, determinism; and read/write round trips."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effortnlp.io import InputError, RowError, open_writer, read_tickets, write_errors
from effortnlp.schema import Ticket, Turn

ROWS = [
    {"ticket_id": "1", "ces": 3.5, "band": "high", "drivers": [{"name": "wait"}], "empty": False},
    {"ticket_id": "2", "ces": 6.0, "band": "low", "drivers": [], "empty": True},
    {"ticket_id": "3", "ces": None, "band": "medium", "empty": False},
]


def read_back(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".csv":
        import csv

        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "json", "parquet"])
def test_writer_round_trips_rows(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    with open_writer(path) as w:
        w.write(ROWS[0])
        w.write_many(ROWS[1:])
    back = read_back(path)
    assert [r["ticket_id"] for r in back] == ["1", "2", "3"]
    if ext == "csv":
        assert back[0]["drivers"] == '[{"name":"wait"}]' and back[2]["ces"] == ""
        assert back[1]["empty"] == "true"
    elif ext == "parquet":
        assert back[2]["ces"] is None and back[0]["drivers"] == [{"name": "wait"}]
    else:
        assert back == ROWS


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_exception_inside_with_leaves_no_file_and_no_temp_file(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    with pytest.raises(RuntimeError), open_writer(path) as w:
        w.write_many(ROWS)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
def test_failed_write_keeps_previous_destination(tmp_path, ext):
    path = tmp_path / f"out.{ext}"
    path.write_bytes(b"previous")
    with pytest.raises(RuntimeError), open_writer(path) as w:
        w.write(ROWS[0])
        raise RuntimeError("boom")
    assert path.read_bytes() == b"previous"
    assert list(tmp_path.iterdir()) == [path]


def test_nothing_appears_at_destination_until_close(tmp_path):
    path = tmp_path / "out.csv"
    w = open_writer(path)
    w.write(ROWS[0])
    assert not path.exists()
    w.close()
    assert path.exists() and len(list(tmp_path.iterdir())) == 1
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_same_rows_same_bytes(tmp_path, ext):
    a, b = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    for path in (a, b):
        with open_writer(path) as w:
            w.write_many(ROWS)
    assert a.read_bytes() == b.read_bytes()
    assert b"\r\n" not in a.read_bytes()


def test_parquet_streams_in_batches_with_first_batch_schema(tmp_path):
    path = tmp_path / "out.parquet"
    rows = [{"id": str(i), "x": None if i < 3 else "s", "n": i} for i in range(10)]
    rows[7]["n"] = 7.0  # cast to the first batch's int64
    with open_writer(path, batch_rows=3) as w:
        w.write_many(rows)
    pf = pq.ParquetFile(path)
    assert pf.metadata.num_row_groups == 4
    assert str(pf.schema_arrow.field("x").type) == "string"
    assert str(pf.schema_arrow.field("n").type) == "int64"
    assert pq.read_table(path).column("n").to_pylist() == list(range(10))


def test_row_with_unknown_column_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="not in the header"), open_writer(tmp_path / "o.csv") as w:
        w.write({"a": 1})
        w.write({"a": 2, "b": 3})
    assert list(tmp_path.iterdir()) == []


def test_empty_csv_with_columns_has_header(tmp_path):
    with open_writer(tmp_path / "o.csv", columns=["a", "b"]):
        pass
    assert (tmp_path / "o.csv").read_text() == "a,b\n"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [(None, "ticket_id,ces\n1,2.5\n"), ("jsonl", '{"ticket_id":"1","ces":2.5}\n')],
)
def test_dash_writes_to_stdout(capsys, fmt, expected):
    with open_writer("-", fmt=fmt) as w:
        w.write({"ticket_id": "1", "ces": 2.5})
    assert capsys.readouterr().out == expected


@pytest.mark.parametrize(
    ("path", "fmt", "message"),
    [
        ("out.xlsx", None, "cannot tell the output format"),
        ("o.csv", "xml", "unknown output"),
        ("-", "parquet", "stdout"),
        ("nodir/o.csv", None, "does not exist"),
    ],
)
def test_writer_input_errors(tmp_path, path, fmt, message):
    with pytest.raises(InputError, match=message):
        open_writer(tmp_path / path if path != "-" else path, fmt=fmt)


def test_write_errors_jsonl(tmp_path):
    errors = [RowError("a.csv", 3, "bad"), RowError("b.jsonl", None, "empty", "t1")]
    assert write_errors(tmp_path / "errors.jsonl", errors) == 2
    lines = (tmp_path / "errors.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [e.to_dict() for e in errors]


def test_ticket_to_dict_round_trips_through_jsonl(tmp_path):
    ticket = Ticket(
        "t1",
        (
            Turn("customer", "hi", timestamp="2024-01-01", channel="chat", speaker_raw="User"),
            Turn(
                "agent",
                "hello",
                agent_name="Ann",
                is_bot=True,
                speaker_raw="Bot",
                meta={"lang": "en"},
            ),
        ),
        meta={"tier": "gold"},
    )
    path = tmp_path / "t.jsonl"
    with open_writer(path) as w:
        w.write(ticket.to_dict())
    (back,) = read_tickets(path)
    assert back == Ticket("t1", ticket.turns, source=back.source)
    assert back.meta == {"tier": "gold"} and back.turns[1].meta == {"lang": "en"}


# ---------------------------------------------------------------- property

# Any text but C0 control characters other than tab/CR/LF: a file dense with those
# is rejected as binary (see records.check_readable).
_CONTROLS = "".join(chr(c) for c in [*range(0, 9), *range(14, 32), 127])
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=_CONTROLS),
    max_size=40,
)
_SPEAKERS = st.sampled_from(["customer", "agent", "User", "Rep", "bot", "system", "Sarah", ""])
_TICKETS = st.lists(
    st.lists(st.tuples(_SPEAKERS, _TEXT), min_size=1, max_size=4), min_size=1, max_size=6
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tickets=_TICKETS, ext=st.sampled_from(["jsonl", "csv"]), order=st.randoms())
def test_written_turn_rows_read_back_with_same_tickets_and_texts(
    tmp_path_factory, tickets, ext, order
):
    rows = [
        {"ticket_id": f"t{i}", "speaker": speaker, "text": text, "n": j}
        for i, turns in enumerate(tickets)
        for j, (speaker, text) in enumerate(turns)
    ]
    order.shuffle(rows)  # rows of a ticket need not be contiguous
    rows.sort(key=lambda r: r["n"])  # ...but turn order within a ticket is file order
    path = tmp_path_factory.mktemp("prop") / f"turns.{ext}"
    with open_writer(path) as w:
        w.write_many(rows)
    read = list(read_tickets(path, "turns"))
    assert len(read) == len(tickets)
    got = {t.ticket_id: [u.text for u in t.turns] for t in read}
    want = {f"t{i}": [text for _, text in turns] for i, turns in enumerate(tickets)}
    assert got == want
