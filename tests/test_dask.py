"""--engine dask on a LocalCluster gives the local engine's rows and errors, row for row."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from test_batch import make_ticket, write_dump

from effortnlp.batch import ScoreSpec, score_file
from effortnlp.cli import cli

pytest.importorskip("distributed")

SPEC = ScoreSpec(prior=True, chunk_size=7)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def parquet_rows(path):
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def local(path, tmp_path):
    out = tmp_path / "local.parquet"
    errs = tmp_path / "local-errors.jsonl"
    score_file(str(path), str(out), errors_path=str(errs), spec=SPEC, n_process=1, quiet=True)
    return parquet_rows(out), errs.read_bytes()


@pytest.mark.slow
def test_dask_equals_local_on_a_file_and_on_a_directory(client, tmp_path):
    from effortnlp.dask_engine import plan_pieces, read_output, score_dask

    dump = tmp_path / "dump.jsonl"
    write_dump(dump, 50)  # with a broken line, a duplicate and a missing id
    assert len(plan_pieces(str(dump), SPEC, partition_rows=12)) > 2

    out = tmp_path / "scored"
    errs = tmp_path / "errors.jsonl"
    stats = score_dask(str(dump), str(out), errors_path=str(errs), spec=SPEC, client=client,
                       partition_rows=12)
    rows, local_errors = local(dump, tmp_path)
    assert read_output(out) == rows
    assert len(rows) == stats.tickets == 50 and stats.errors == 3
    assert errs.read_bytes() == local_errors
    assert not list(tmp_path.glob(".*dask-tmp"))

    # A directory of partitioned files, one ticket repeated across two files.
    parts = tmp_path / "parts"
    parts.mkdir()
    for k in range(3):
        lines = [json.dumps(make_ticket(i)) for i in range(k * 10, k * 10 + 10)]
        if k == 2:
            lines.append(json.dumps(make_ticket(3)))
        (parts / f"p{k}.jsonl").write_text("\n".join(lines) + "\n")
    out2 = tmp_path / "scored2"
    errs2 = tmp_path / "errors2.jsonl"
    stats = score_dask(str(parts), str(out2), errors_path=str(errs2), spec=SPEC, client=client)
    rows, local_errors = local(parts, tmp_path)
    assert read_output(out2) == rows and len(rows) == 30
    assert errs2.read_bytes() == local_errors and stats.errors == 1


@pytest.mark.slow
def test_cli_engine_dask_with_a_scheduler_address(client, tmp_path):
    dump = tmp_path / "dump.jsonl"
    write_dump(dump, 20, bad=False)
    out = tmp_path / "scored"
    result = CliRunner().invoke(cli, ["score", str(dump), "-o", str(out), "--prior", "--engine", "dask",
                                      "--scheduler", client.scheduler.address])
    assert result.exit_code == 0, result.output
    assert "scored 20 tickets, 0 input rows with errors" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.parquet"]


def test_missing_dask_is_one_line(tmp_path, monkeypatch):
    dump = tmp_path / "dump.jsonl"
    write_dump(dump, 3, bad=False)
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = CliRunner().invoke(cli, ["score", str(dump), "-o", str(tmp_path / "o"), "--prior",
                                      "--engine", "dask"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "effortnlp: error: --engine dask needs Dask: pip install 'effortnlp[dask]'"


def test_resume_is_refused_with_dask(tmp_path):
    dump = tmp_path / "dump.jsonl"
    write_dump(dump, 3, bad=False)
    result = CliRunner().invoke(cli, ["score", str(dump), "-o", str(tmp_path / "o"), "--prior",
                                      "--engine", "dask", "--resume"])
    assert result.exit_code == 2
    assert "--resume works with --engine local only" in result.stderr
