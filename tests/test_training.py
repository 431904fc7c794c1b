"""Training: label joins are accounted for, and the same seed gives the same model."""

import json

import pytest
from conftest import make_ticket

from effortnlp.io import InputError
from effortnlp.model import save_model
from effortnlp.training import join, labels_from_records, read_labels, train

TICKETS = [make_ticket(f"t{i}", ("customer", "hello"), ("agent", "hi")) for i in range(4)]


def test_join_counts_both_sides_and_drops_nothing_silently():
    labels = labels_from_records([{"ticket_id": "t0", "ces": 5}, {"ticket_id": "t2", "ces": 2}, {"ticket_id": "zz", "ces": 4}])
    report = join(TICKETS, labels)
    assert [t.ticket_id for t in report.tickets] == ["t0", "t2"]
    assert report.labels == [5, 2]
    assert report.tickets_without_label == ["t1", "t3"]
    assert report.labels_without_ticket == ["zz"]
    assert report.summary() == "2 labelled tickets; 2 tickets without a label; 1 labels without a ticket"


def test_invalid_and_duplicate_labels_are_counted():
    labels = labels_from_records(
        [{"ticket_id": "a", "ces": 9}, {"ticket_id": "b", "ces": 3}, {"ticket_id": "b", "ces": 4}, {"ticket_id": "c", "ces": None}]
    )
    assert labels.labels == {"b": 3}
    assert labels.duplicates == 1
    assert sorted(labels.invalid) == ["a", "c"]


def test_effort_labels_are_detected(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("ticket_id,effort\nt0,low\nt1,high\n")
    labels = read_labels(path)
    assert labels.kind == "effort" and labels.labels == {"t0": "low", "t1": "high"}


def test_label_file_without_label_column_is_a_one_line_error(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("ticket_id,score\nt0,3\n")
    with pytest.raises(InputError, match="no label column"):
        read_labels(path)


def test_marker_columns_in_label_file_are_kept_as_truth():
    labels = labels_from_records([{"ticket_id": "t0", "ces": 2, "transfer": True, "repeat_info": False}])
    assert labels.markers["t0"] == {"TRANSFER": True, "REPEAT_INFO": False}


def test_same_seed_same_model_bytes(tmp_path):
    from effortnlp.io import read_tickets
    from effortnlp.synthetic import generate_tickets

    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in generate_tickets(80, seed=3)))
    tickets = list(read_tickets(path))
    y = [t.meta["ces"] for t in tickets]
    a, _ = train(tickets, y, seed=1, cv=0)
    b, _ = train(tickets, y, seed=1, cv=0)
    save_model(a, tmp_path / "a")
    save_model(b, tmp_path / "b")
    assert (tmp_path / "a" / "estimator.joblib").read_bytes() == (tmp_path / "b" / "estimator.joblib").read_bytes()
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["files"] == json.loads(
        (tmp_path / "b" / "manifest.json").read_text()
    )["files"]
