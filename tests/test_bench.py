"""``make bench`` runs end to end (a tiny corpus; its numbers mean nothing here, only that it reports them)."""

from __future__ import annotations

import pytest

from effortnlp import bench


def test_bench_reports_every_row_the_fastest_of_its_runs(capsys):
    bench.main(["--tickets", "20", "--repeat", "2"])
    out = capsys.readouterr().out
    assert "fastest of 2 run(s) per row" in out
    for row in ("tokenizer (spacy.blank)", "regex script", "effortnlp score n=1", "effortnlp score n=2"):
        line = next(line for line in out.splitlines() if line.startswith(row))
        assert float(line.split()[-1]) >= 1.0  # spread: slowest / fastest
    assert "n=1 and n=2 outputs identical: True" in out


def test_bench_refuses_no_runs():
    with pytest.raises(SystemExit):
        bench.main(["--tickets", "20", "--repeat", "0"])
