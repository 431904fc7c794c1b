"""Readers: formats x file types, chunking, speakers, errors and accounting."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from effortnlp.io import InputError, RowError, count_input_rows, open_writer, read_tickets
from effortnlp.io.speakers import classify_label, parse_transcript, resolve_speakers
from effortnlp.schema import Ticket

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "fixtures"


def read_all(path, fmt=None, **kw) -> tuple[list[Ticket], list[RowError]]:
    errors: list[RowError] = []
    tickets = list(read_tickets(path, fmt, on_error=errors.append, **kw))
    return tickets, errors


def summary(tickets: list[Ticket]) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(t.ticket_id, [(u.speaker, u.text) for u in t.turns]) for t in tickets]


def write_rows(path: Path, rows: list[dict]) -> Path:
    with open_writer(path) as w:
        w.write_many(rows)
    return path


TURN_ROWS = [
    {"ticket_id": "A", "speaker": "customer", "text": "Where is my refund?"},
    {"ticket_id": "B", "speaker": "Customer", "text": "Cannot log in"},
    {"ticket_id": "A", "speaker": "agent", "text": "Checking now."},
    {"ticket_id": "C", "speaker": "user", "text": ""},
    {"ticket_id": "B", "speaker": "Rep", "text": "Reset link sent"},
    {"ticket_id": "A", "speaker": "customer", "text": "Thanks"},
]
# Tickets come out in the order of their last row: C (row 4), B (row 5), A (row 6).
TURNS_EXPECTED = [
    ("C", [("customer", "")]),
    ("B", [("customer", "Cannot log in"), ("agent", "Reset link sent")]),
    (
        "A",
        [("customer", "Where is my refund?"), ("agent", "Checking now."), ("customer", "Thanks")],
    ),
]
NESTED_ROWS = [
    {"ticket_id": "N1", "turns": [{"speaker": "client", "text": "Hello"}], "priority": "high"},
    {"ticket_id": "N2", "turns": []},
    {
        "ticket_id": "N3",
        "turns": [{"speaker": "bot", "text": "Hi"}, {"speaker": "caller", "text": "x"}],
    },
]
NESTED_EXPECTED = [
    ("N1", [("customer", "Hello")]),
    ("N2", []),
    ("N3", [("agent", "Hi"), ("customer", "x")]),
]
TRANSCRIPT_ROWS = [
    {"ticket_id": "X1", "transcript": "Customer: It broke.\nAgain.\nAgent: Sorry!", "csat": 2},
    {"ticket_id": "X2", "transcript": "", "csat": 5},
]
TRANSCRIPT_EXPECTED = [
    ("X1", [("customer", "It broke.\nAgain."), ("agent", "Sorry!")]),
    ("X2", []),
]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize(
    ("rows", "expected"),
    [(TURN_ROWS, TURNS_EXPECTED), (TRANSCRIPT_ROWS, TRANSCRIPT_EXPECTED)],
    ids=["turns", "tickets"],
)
def test_tabular_formats_read_from_every_file_type(tmp_path, ext, rows, expected):
    path = write_rows(tmp_path / f"in.{ext}", rows)
    tickets, errors = read_all(path)
    assert errors == []
    assert summary(tickets) == expected


@pytest.mark.parametrize("ext", ["jsonl", "json", "parquet"])
def test_nested_jsonl_format_reads_from_every_file_type(tmp_path, ext):
    path = write_rows(tmp_path / f"in.{ext}", NESTED_ROWS)
    tickets, errors = read_all(path)
    assert errors == []
    assert summary(tickets) == NESTED_EXPECTED
    assert tickets[0].meta == {"priority": "high"}
    assert tickets[2].turns[0].is_bot


@pytest.mark.parametrize(
    ("name", "fmt", "expected_ids"),
    [
        ("tickets.jsonl", None, ["T1", "2", "T3"]),
        ("tickets.json", None, ["J1", "J2"]),
        ("turns.csv", None, ["C", "B", "A"]),
        ("turns.jsonl", "turns", ["A", "B"]),
        ("transcripts.csv", None, ["X1", "X2", "X3"]),
    ],
)
def test_fixture_files_read(name, fmt, expected_ids):
    tickets, errors = read_all(FIXTURES / name, fmt)
    assert errors == []
    assert [t.ticket_id for t in tickets] == expected_ids


def test_json_array_rows_are_line_numbers_of_elements():
    tickets, _ = read_all(FIXTURES / "tickets.json")
    assert [t.source for t in tickets] == [
        f"{FIXTURES / 'tickets.json'}:2",
        f"{FIXTURES / 'tickets.json'}:3",
    ]


def test_sources_are_file_and_first_line_with_csv_header_as_line_1():
    tickets, _ = read_all(FIXTURES / "turns.csv")
    assert {t.ticket_id: t.source.rsplit(":", 1)[1] for t in tickets} == {
        "A": "2",
        "B": "3",
        "C": "6",  # line 4-5 is A's quoted two-line text
    }


def test_turns_extra_columns_split_into_ticket_and_turn_meta():
    tickets, _ = read_all(FIXTURES / "turns.csv")
    a = next(t for t in tickets if t.ticket_id == "A")
    assert a.meta == {"queue": "billing"}
    assert a.turns[0].timestamp == "2024-01-01T10:00"
    assert a.turns[1].text == "Checking now.\nOne moment."


def test_transcript_fixture_speakers_names_and_timestamps():
    tickets, _ = read_all(FIXTURES / "transcripts.csv")
    x1, x2, x3 = tickets
    assert [(u.speaker, u.agent_name, u.timestamp) for u in x1.turns] == [
        ("customer", None, None),
        ("agent", "Mike", None),
        ("agent", None, "10:32"),
    ]
    # "Order number: 123" is not a speaker; "Sarah" is the agent talking to the customer.
    assert [(u.speaker, u.text) for u in x2.turns] == [
        ("agent", "Thanks for contacting us."),
        ("customer", "Order number: 123 is late"),
    ]
    assert x3.turns == () and x3.meta == {"csat": "5"}


@pytest.mark.parametrize("chunksize", [1, 2, 3, 100])
def test_parquet_chunk_boundaries_do_not_split_or_reorder_tickets(tmp_path, chunksize):
    path = write_rows(tmp_path / "t.parquet", TURN_ROWS)
    tickets, errors = read_all(path, chunksize=chunksize)
    assert errors == [] and summary(tickets) == TURNS_EXPECTED
    assert [t.source.rsplit(":", 1)[1] for t in tickets] == ["3", "1", "0"]  # 0-based rows


def test_turn_rows_of_a_ticket_can_be_far_apart(tmp_path):
    rows = [{"ticket_id": "Z", "speaker": "customer", "text": "first"}]
    rows += [{"ticket_id": f"F{i}", "speaker": "agent", "text": str(i)} for i in range(50)]
    rows += [{"ticket_id": "Z", "speaker": "agent", "text": "last"}]
    tickets, _ = read_all(write_rows(tmp_path / "t.csv", rows))
    assert len(tickets) == 51
    assert summary(tickets)[-1] == ("Z", [("customer", "first"), ("agent", "last")])


def test_column_options_rename_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("case,who,body,when\n1,Client,hi,t0\n1,Adviser,hello,t1\n")
    tickets, _ = read_all(
        path, id_col="case", speaker_col="who", text_col="body", timestamp_col="when"
    )
    assert summary(tickets) == [("1", [("customer", "hi"), ("agent", "hello")])]
    assert tickets[0].turns[1].timestamp == "t1"


def test_transcript_col_option(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,chat\n7,"User: a\nAgent: b"\n')
    tickets, _ = read_all(path, transcript_col="chat")
    assert summary(tickets) == [("7", [("customer", "a"), ("agent", "b")])]


def test_id_alias_and_int_ids_become_strings(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": 42, "turns": []}\n{"ticket_id": 7.0, "turns": []}\n')
    tickets, _ = read_all(path)
    assert [t.ticket_id for t in tickets] == ["42", "7"]


def test_csv_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,transcript\n007,Customer: hi\n")
    assert read_all(path)[0][0].ticket_id == "007"


# ---------------------------------------------------------------- speakers


@pytest.mark.parametrize(
    ("label", "speaker", "is_bot"),
    [
        *[
            (w, "customer", False)
            for w in [
                "customer",
                " USER ",
                "Client",
                "caller",
                "end-user",
                "end user",
                "End_User",
                "requester",
                "consumer",
                "visitor",
                "contact",
            ]
        ],
        *[
            (w, "agent", False)
            for w in [
                "agent",
                "Rep",
                "representative",
                "advisor",
                "adviser",
                "support",
                "admin",
                "staff",
                "operator",
                "CSR",
                "specialist",
                "assistant",
                "Customer Service",
                "Agent (Sarah)",
                "[Agent]",
            ]
        ],
        *[
            (w, "agent", True)
            for w in ["bot", "Chatbot", "virtual agent", "Virtual-Assistant", "automated"]
        ],
        *[(w, "system", False) for w in ["system", "Note", "internal note", "event", "automation"]],
    ],
)
def test_speaker_synonyms(label, speaker, is_bot):
    role = classify_label(label)
    assert role is not None and (role.speaker, role.is_bot) == (speaker, is_bot)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # A known customer label: every unknown label is an agent.
        (["Customer", "Sarah", "Mike"], ["customer", "agent", "agent"]),
        (["Sarah", "Customer"], ["agent", "customer"]),
        # No customer label: the first unknown label is the customer, later ones agents.
        (["John", "Sarah", "John", "Mike"], ["customer", "agent", "customer", "agent"]),
        (["Agent", "John"], ["agent", "customer"]),
        (["Bot", "John", "Sarah"], ["agent", "customer", "agent"]),
        (["System", "John", "Agent"], ["system", "customer", "agent"]),
        ([None, "Agent"], ["customer", "agent"]),
    ],
)
def test_unknown_speaker_labels_resolved_per_ticket(labels, expected):
    assert [r.speaker for r in resolve_speakers(labels)] == expected


def test_unknown_agent_label_becomes_agent_name_and_speaker_raw_kept(tmp_path):
    path = tmp_path / "t.jsonl"
    rows = [{"speaker": "Customer", "text": "a"}, {"speaker": "Sarah", "text": "b"}]
    path.write_text(json.dumps({"ticket_id": 1, "turns": rows}) + "\n")
    (ticket,), _ = read_all(path)
    assert (ticket.turns[1].speaker, ticket.turns[1].speaker_raw) == ("agent", "Sarah")
    assert ticket.turns[1].agent_name == "Sarah"


@pytest.mark.parametrize(
    ("transcript", "expected"),
    [
        ("Customer: a\nb\nAgent: c", [("Customer", "a\nb"), ("Agent", "c")]),
        ("intro\nCustomer: a", [(None, "intro"), ("Customer", "a")]),
        (
            "User: see https://x.io/a:b\nRef number: 12",
            [("User", "see https://x.io/a:b\nRef number: 12")],
        ),
        ("[10:01] Agent: hi\n10:02 PM User: yo", [("Agent", "hi"), ("User", "yo")]),
        ("", []),
    ],
)
def test_parse_transcript(transcript, expected):
    assert [(t.label, t.text) for t in parse_transcript(transcript)] == expected


# ---------------------------------------------------------------- errors


def test_bad_csv_rows_become_row_errors_with_line_numbers():
    tickets, errors = read_all(FIXTURES / "bad_rows.csv")
    assert summary(tickets) == [("K1", [("customer", "fine")]), ("K2", [("agent", "ok")])]
    assert [(e.row, e.reason.split(":")[0]) for e in errors] == [
        (3, "malformed CSV"),  # the unbalanced quote: only its own line is lost
        (4, "too many fields"),
        (5, "missing ticket_id"),
    ]


def test_bad_jsonl_lines_become_row_errors(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(
        '{"ticket_id": "a", "turns": []}\n'
        "\n"
        "{not json\n"
        "[1, 2]\n"
        '{"turns": []}\n'
        '{"ticket_id": "a", "turns": []}\n'
        '{"ticket_id": "b", "turns": "nope"}\n'
        '{"ticket_id": "c", "turns": [3]}\n'
    )
    tickets, errors = read_all(path)
    assert [t.ticket_id for t in tickets] == ["a"]
    assert [(e.row, e.ticket_id) for e in errors] == [
        (3, None),
        (4, None),
        (5, None),
        (6, "a"),
        (7, "b"),
        (8, "c"),
    ]
    assert errors[3].reason == "duplicate ticket_id, first seen at line 1"


def test_duplicate_ids_in_tickets_format_first_kept(tmp_path):
    path = write_rows(
        tmp_path / "t.csv",
        [
            {"ticket_id": "d", "transcript": "User: first"},
            {"ticket_id": "d", "transcript": "User: second"},
        ],
    )
    tickets, errors = read_all(path)
    assert summary(tickets) == [("d", [("customer", "first")])]
    assert errors == [RowError(str(path), 3, "duplicate ticket_id, first seen at line 2", "d")]


def test_bad_row_raises_input_error_without_handler():
    with pytest.raises(InputError, match=r"bad_rows\.csv:3: malformed CSV"):
        list(read_tickets(FIXTURES / "bad_rows.csv"))


@pytest.mark.parametrize(
    ("content", "fmt", "kwargs", "message"),
    [
        (None, None, {}, "does not exist"),
        (b"", None, {}, "is empty"),
        (b"  \n\n", None, {}, "is empty"),
        (b"\x00\x01\x02PK\x03\x04garbage\xff" * 50, None, {}, "not a text CSV"),
        (bytes(range(1, 256)) * 20, None, {}, "not a text CSV"),
        (b"\x1f\x8b\x08\x00rest", None, {}, "gzip-compressed"),
        (b"ticket_id,speaker\n1,x\n", "turns", {}, "missing required column 'text'"),
        (b"a,b\n1,2\n", None, {}, "cannot tell the format"),
        (
            b"ticket_id,speaker,text\n",
            "turns",
            {"timestamp_col": "ts"},
            "missing required column 'ts'",
        ),
        (b"ticket_id,speaker,text\n", "nope", {}, "expected one of: jsonl, turns, tickets"),
    ],
    ids=[
        "missing",
        "empty",
        "blank",
        "binary",
        "binary-no-nul",
        "gzip",
        "no-text-col",
        "unknown-columns",
        "explicit-optional-col",
        "unknown-format",
    ],
)
def test_input_errors(tmp_path, content, fmt, kwargs, message):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(read_tickets(path, fmt, **kwargs))


def test_header_only_csv_gives_zero_tickets(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ticket_id,speaker,text\n")
    assert read_all(path) == ([], [])


def test_garbage_parquet_is_an_input_error(tmp_path):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"definitely not parquet")
    with pytest.raises(InputError, match="not a readable Parquet"):
        list(read_tickets(path))


def test_unknown_column_option_is_a_type_error():
    with pytest.raises(TypeError, match="speaker_column"):
        read_tickets(FIXTURES / "turns.csv", speaker_column="who")


def test_non_utf8_bytes_fall_back_to_cp1252():
    (ticket,), errors = read_all(FIXTURES / "cp1252.csv")
    assert errors == []
    assert [u.text for u in ticket.turns] == ["café naïve “quoted”", "café utf8"]


def test_every_row_is_a_ticket_turn_or_an_error(tmp_path):
    lines = [
        "ticket_id,speaker,text",
        "1,customer,a",
        "2,agent,b",
        '3,agent,"x"y',
        "1,agent,c",
        ",agent,d",
        "2,customer,e,extra",
        "4,bot,f",
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    tickets, errors = read_all(path)
    assert sum(len(t.turns) for t in tickets) + len(errors) == len(lines) - 1


# ---------------------------------------------------------------- directories, stdin


def test_directory_reads_supported_files_sorted_recursively(tmp_path):
    (tmp_path / "sub").mkdir()
    write_rows(tmp_path / "b.jsonl", [{"ticket_id": "b", "turns": []}])
    write_rows(tmp_path / "sub" / "a.csv", [{"ticket_id": "a", "transcript": "User: hi"}])
    write_rows(tmp_path / "a.parquet", [{"ticket_id": "p", "turns": []}])
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".hidden.csv").write_text("junk")
    (tmp_path / "empty.jsonl").write_text("")
    tickets, errors = read_all(tmp_path)
    assert [t.ticket_id for t in tickets] == ["p", "b", "a"]
    assert sorted((Path(e.source).name, e.row) for e in errors) == [
        ("empty.jsonl", None),
        ("notes.txt", None),
    ]
    with pytest.raises(InputError, match="empty.jsonl is empty"):  # first in sorted order
        list(read_tickets(tmp_path))


def test_duplicate_ids_across_files_in_a_directory(tmp_path):
    write_rows(tmp_path / "1.jsonl", [{"ticket_id": "x", "turns": []}])
    write_rows(tmp_path / "2.csv", [{"ticket_id": "x", "speaker": "user", "text": "t"}])
    tickets, errors = read_all(tmp_path)
    assert len(tickets) == 1 and len(errors) == 1
    assert errors[0].reason == f"duplicate ticket_id, first seen at {tmp_path / '1.jsonl'}:1"


@pytest.mark.parametrize("fmt", [None, "turns"])
def test_stdin_jsonl(monkeypatch, fmt):
    data = (FIXTURES / ("turns.jsonl" if fmt else "tickets.jsonl")).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    tickets, errors = read_all("-", fmt)
    assert errors == [] and len(tickets) in (2, 3)
    assert tickets[0].source == "<stdin>:1"


def test_count_input_rows(tmp_path):
    assert count_input_rows(FIXTURES / "tickets.jsonl") == 3
    assert count_input_rows(FIXTURES / "turns.csv") is None
    assert count_input_rows(write_rows(tmp_path / "t.parquet", TURN_ROWS)) == 3
    assert count_input_rows(write_rows(tmp_path / "n.parquet", NESTED_ROWS)) == 3
    assert count_input_rows("-") is None


def test_errors_in_path_or_format_raise_before_iterating(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_tickets(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="unknown format"):
        read_tickets(FIXTURES / "turns.csv", "xml")


def test_json_array_elements_spanning_read_chunks_and_a_broken_tail(tmp_path):
    long_text = "word " * 30_000  # > the 64 KiB read size
    good = [
        {"ticket_id": f"j{i}", "turns": [{"speaker": "user", "text": long_text}]} for i in range(3)
    ]
    path = tmp_path / "t.json"
    path.write_text("[\n" + ",\n".join(json.dumps(g) for g in good) + ',\n{"ticket_id": "bad" ]')
    tickets, errors = read_all(path)
    assert [t.ticket_id for t in tickets] == ["j0", "j1", "j2"]
    assert tickets[2].turns[0].text == long_text
    assert [(e.row, e.reason.split(":")[0]) for e in errors] == [(5, "invalid JSON")]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("t.tsv", "ticket_id\tspeaker\ttext\n1\tuser\thi, there\n"),
        ("t.json", '{"ticket_id": 1, "speaker": "user", "text": "hi, there"}\n'),  # JSONL in .json
        ("t.txt", 'ticket_id,speaker,text\n1,user,"hi, there"\n'),  # sniffed as CSV
        ("t.ndjson", '{"ticket_id": 1, "speaker": "user", "text": "hi, there"}\n'),
    ],
)
def test_other_file_types_and_sniffing(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    tickets, errors = read_all(path)
    assert errors == [] and summary(tickets) == [("1", [("customer", "hi, there")])]
