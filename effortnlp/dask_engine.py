"""``effortnlp score --engine dask``: score partitions of a dump on a Dask cluster.

The driver cuts the input into *pieces*: byte ranges of a JSONL file (whole
lines, about ``partition_rows`` tickets each, with their first line number, so
errors still name the physical line), and whole files for everything else (a
directory of partitioned Parquet/CSV/JSONL gives one piece per file). Each
piece is scored on a worker with the same code as the local engine
(``effortnlp.batch``): the worker builds its analyzer once
(``batch.get_analyzer`` caches it per process) and writes its rows as one
Parquet part file, returning only the ids it scored and its error records.

The parts go to a temporary directory next to OUTPUT that is renamed onto
OUTPUT at the end, so an interrupted run leaves no OUTPUT. Duplicate ticket
ids across pieces are found by the driver (the first one wins, as locally)
and dropped from their parts. Workers must see the input and output paths
(a shared filesystem), as with any Dask file job.

Dask is optional: ``pip install 'effortnlp[dask]'``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batch import BatchStats, LinesChunk, ScoreSpec, _io, make_plan, process, rows_table

#: Tickets per JSONL piece.
PARTITION_ROWS = 20_000


def _require_dask():
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise _io().InputError(
            "--engine dask needs Dask: pip install 'effortnlp[dask]'"
        ) from None


@dataclass(frozen=True)
class Piece:
    index: int
    path: str
    kind: str  # "lines" (a byte range of a JSONL file) or "file"
    fmt: str | None = None
    offset: int = 0
    length: int = 0
    start_line: int = 1


def plan_pieces(input_path: str, spec: ScoreSpec, partition_rows: int = PARTITION_ROWS) -> list[Piece]:
    """Pieces of a file or a directory, in input order."""
    p = Path(input_path)
    if not p.exists():
        raise _io().InputError(f"input {p} does not exist")
    if p.is_dir():
        from .io.records import FILE_TYPES, list_directory

        files = [f for f in list_directory(p) if f.suffix.lower() in FILE_TYPES]
        if not files:
            raise _io().InputError(f"directory {p} has no supported files ({', '.join(FILE_TYPES)})")
    else:
        files = [p]
    pieces: list[Piece] = []
    for f in files:
        plan = make_plan(str(f), spec)
        if not plan.fast:
            pieces.append(Piece(len(pieces), str(f), "file"))
            continue
        offset = 0
        line = 1
        with open(f, "rb") as fh:
            while True:
                start_off, start_line, nonblank = offset, line, 0
                for raw in fh:
                    offset += len(raw)
                    line += 1
                    if raw.strip():
                        nonblank += 1
                        if nonblank >= partition_rows:
                            break
                if offset == start_off:
                    break
                pieces.append(
                    Piece(len(pieces), str(f), "lines", plan.fmt, start_off, offset - start_off, start_line)
                )
    return pieces


def score_piece(piece: Piece, spec: ScoreSpec, out_dir: str) -> dict[str, Any]:
    """On a worker: score one piece, write ``part-NNNNN.parquet``; return ids and errors."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    # (source, row, ticket_id, scored) of every row that registers an id, in order
    ids: list[tuple[str, int | None, str, bool]] = []
    errors: list[dict[str, Any]] = []
    if piece.kind == "lines":
        with open(piece.path, "rb") as fh:
            fh.seek(piece.offset)
            data = fh.read(piece.length)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        lines = [ln + b"\n" for ln in lines]
        for k in range(0, len(lines), 10 * spec.chunk_size):
            chunk = LinesChunk(piece.path, piece.start_line + k, lines[k : k + 10 * spec.chunk_size], piece.fmt)
            result = process(chunk, spec)
            for lineno, ticket_id, idx, errs in result.entries or []:
                errors.extend(e.to_dict() for e in errs)
                if idx is not None:
                    rows.append(result.rows[idx])
                if ticket_id is not None:
                    ids.append((piece.path, lineno, ticket_id, idx is not None))
    else:
        from .analyzer import batched
        from .batch import score_tickets

        errs_: list[Any] = []
        tickets = _io().read_tickets(piece.path, spec.input_format, on_error=errs_.append, **dict(spec.columns))
        for batch in batched(tickets, spec.chunk_size):
            rows.extend(score_tickets(batch, spec))
            for t in batch:
                source, _, row = (t.source or "").rpartition(":")
                ids.append((source, int(row) if row.isdigit() else None, t.ticket_id, True))
        errors = [e.to_dict() for e in errs_]
    part = Path(out_dir) / f"part-{piece.index:05d}.parquet"
    pq.write_table(rows_table(rows), part)
    return {"index": piece.index, "ids": ids, "errors": errors, "rows": len(rows)}


def _client(scheduler: str | None):
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


def score_dask(
    input_path: str,
    output: str,
    *,
    errors_path: str | None = None,
    spec: ScoreSpec | None = None,
    scheduler: str | None = None,
    quiet: bool = False,
    partition_rows: int = PARTITION_ROWS,
    client: Any = None,
) -> BatchStats:
    """Score ``input_path`` into the Parquet directory ``output`` on a Dask cluster."""
    spec = spec or ScoreSpec()
    eio = _io()
    if output == "-":
        raise eio.InputError("--engine dask writes a directory of Parquet parts: give -o DIR")
    _require_dask()
    pieces = plan_pieces(input_path, spec, partition_rows)
    dest = Path(output)
    if not dest.resolve().parent.is_dir():
        raise eio.InputError(f"output directory {dest.parent} does not exist")
    tmp = dest.with_name(f".{dest.name}.dask-tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    own = client is None
    cluster = None
    try:
        if own:
            client, cluster = _client(scheduler)
        futures = client.map(score_piece, pieces, spec=spec, out_dir=str(tmp.resolve()), pure=False)
        results = sorted(client.gather(futures), key=lambda r: r["index"])
        stats = _finish(results, tmp, errors_path, eio)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if own and client is not None:
            client.close()
            if cluster is not None:
                cluster.close()
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, dest)
    stats.errors_path = errors_path
    return stats


def _finish(results: list[dict[str, Any]], tmp: Path, errors_path: str | None, eio) -> BatchStats:
    """Cross-piece duplicates, the errors file, the totals."""
    import pyarrow.parquet as pq

    seen: dict[str, tuple[str, int | None]] = {}
    errors: list[dict[str, Any]] = []
    stats = BatchStats()
    for r in results:
        drop: list[int] = []
        piece_errors: list[dict[str, Any]] = []
        dup_rows: set[tuple[str, int | None]] = set()
        k = 0
        for source, row, ticket_id, scored in r["ids"]:
            first = seen.get(ticket_id)
            if first is None:
                seen[ticket_id] = (source, row)
            else:
                where = f"line {first[1]}" if first[0] == source else f"{first[0]}:{first[1]}"
                reason = f"duplicate ticket_id, first seen at {where}"
                piece_errors.append({"source": source, "row": row, "reason": reason, "ticket_id": ticket_id})
                dup_rows.add((source, row))
                if scored:
                    drop.append(k)
            k += scored
        # A duplicate line reports only that it is a duplicate, as the reader does.
        piece_errors += [e for e in r["errors"] if (e["source"], e["row"]) not in dup_rows]
        piece_errors.sort(key=lambda e: -1 if e["row"] is None else e["row"])
        errors += piece_errors
        if drop:
            part = tmp / f"part-{r['index']:05d}.parquet"
            table = pq.read_table(part)
            keep = sorted(set(range(table.num_rows)) - set(drop))
            pq.write_table(table.take(keep), part)
        stats.tickets += r["rows"] - len(drop)
    stats.errors = len(errors)
    if errors_path and errors:
        eio.write_errors(errors_path, (eio.RowError(**e) for e in errors))
    elif errors_path and os.path.exists(errors_path):
        os.remove(errors_path)
    return stats


def read_output(path: str) -> list[dict[str, Any]]:
    """The rows of a Dask output directory, in input order (tests, tools)."""
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for part in sorted(Path(path).glob("part-*.parquet")):
        rows.extend(pq.read_table(part).to_pylist())
    return rows


__all__ = ["score_dask", "plan_pieces", "score_piece", "read_output"]
