"""Score a whole file: streaming, on all cores, every row accounted for, atomic and resumable.

``score_file`` is what ``effortnlp score`` runs. How it works:

* **Work units.** The input is cut into chunks of ``chunk_size`` tickets (500).
  For a JSONL file (the common case) a chunk is the *raw lines*: the worker
  decodes, parses and builds the tickets itself, so the parent only splits
  lines and writes rows. Any other input (CSV, Parquet, one-row-per-turn,
  directories, stdin) is read by ``read_tickets`` in the parent and chunks of
  ``Ticket`` s go to the workers. Workers return only output rows and
  ``RowError`` s: no spaCy Doc ever crosses a process boundary.
* **Parallelism.** ``n_process`` > 1 uses a fork-based process pool. The
  analyzer is built once in the parent (building the phrase matcher is the
  slow part) and inherited by the forked workers; under another start method
  each worker builds its own once (``_init_worker``). At most ``2 * n``
  chunks are in flight, so memory stays flat; results are taken in input
  order, so the output does not depend on ``n_process``.
* **Accounting.** Each non-blank input row becomes a scored row or an error
  record. Duplicate ticket ids in raw-line chunks are found in the parent
  (they span chunks), with the same message the reader gives.
* **Atomic output and resume.** Rows go to ``OUTPUT.partial`` (Parquet: part
  files in ``OUTPUT.partial.d/``) and errors to ``OUTPUT.errors.partial``.
  After each committed chunk, ``OUTPUT.progress.json`` records the input's
  fingerprint (path, size, mtime), the options that decide the output bytes,
  how many chunks are done and the committed size of every partial file. At
  the end the partial output is renamed onto ``OUTPUT`` (Parquet parts are
  streamed into one file first). ``resume=True`` truncates the partial files
  to their committed sizes, skips the committed chunks and carries on: the
  result is byte-identical to an uninterrupted run. An interrupted run never
  leaves anything at ``OUTPUT``; SIGTERM stops a run as Ctrl-C does, and a
  SIGKILLed parent takes its workers with it (Linux). A run that fails before
  committing anything (bad input, refused model) leaves no partial files.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gc
import io
import json
import os
import shutil
import signal
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import EffortResult, Ticket

CHUNK_TICKETS = 500
#: Parquet part files hold at least this many rows (one part per checkpoint).
PARQUET_PART_ROWS = 5_000
#: Row group size of the final Parquet file.
PARQUET_ROW_GROUP = 50_000
PROGRESS_VERSION = 1

#: Output columns, in order (what ``EffortResult.to_row`` gives).
OUTPUT_COLUMNS: tuple[str, ...] = tuple(EffortResult("", 7.0, "low", 0.0, {}).to_row())


class ResumeError(ValueError):
    """A run cannot be resumed (input changed, different options, damaged checkpoint)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM during a run: stopped like Ctrl-C (workers shut down, resumable)."""


@contextlib.contextmanager
def _sigterm_interrupts():
    """While scoring, SIGTERM stops the run as Ctrl-C does instead of killing only the parent
    (which would leave the pool's workers behind, blocked forever)."""

    def handler(signum, frame):
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _gc_frozen():
    """While scoring, the objects alive at the start stay out of the cyclic GC's passes.

    They are mostly the analyzer (spaCy vocab, matchers, patterns: ~10^5 objects)
    and live through the run anyway, yet every full collection walked them all:
    a tenth of a second per 1,000 tickets. ``gc.freeze`` sets them aside and
    ``gc.unfreeze`` puts them back at the end, so nothing is kept longer than the
    run. Forked workers inherit the frozen set (and share those pages). Left
    alone when the caller has frozen objects itself or turned the GC off.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


# ------------------------------------------------------------------ io glue


def _io():
    """The reader/writer API (``effortnlp.io``), tolerant of a package still landing."""
    try:
        from . import io as eio

        eio.read_tickets  # noqa: B018 -- probe
        return eio
    except (ImportError, AttributeError):
        import types

        from .io import errors, readers, writers

        return types.SimpleNamespace(
            read_tickets=readers.read_tickets,
            count_input_rows=readers.count_input_rows,
            RowError=errors.RowError,
            InputError=errors.InputError,
            write_errors=writers.write_errors,
        )


def _row_error(source: str, row: int | None, reason: str, ticket_id: str | None = None):
    return _io().RowError(source, row, reason, ticket_id)


# ------------------------------------------------------------------ analyzers


@dataclass(frozen=True)
class ScoreSpec:
    """Everything that decides the bytes of the output (besides the input itself)."""

    model_path: str | None = None
    prior: bool = False
    top: int = 3
    input_format: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    chunk_size: int = CHUNK_TICKETS
    redact: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "prior": self.prior,
            "top": self.top,
            "input_format": self.input_format,
            "columns": [list(c) for c in self.columns],
            "chunk_size": self.chunk_size,
            "redact": self.redact,
        }


_ANALYZERS: dict[tuple[str | None, bool], Any] = {}


def get_analyzer(model_path: str | None = None, prior: bool = False):
    """One ``EffortAnalyzer`` per process and model, built on first use (workers, Dask too)."""
    key = (model_path, prior)
    analyzer = _ANALYZERS.get(key)
    if analyzer is None:
        from .analyzer import EffortAnalyzer

        analyzer = EffortAnalyzer.prior() if prior else EffortAnalyzer.load(model_path)
        _ANALYZERS[key] = analyzer
    return analyzer


def score_tickets(tickets: list[Ticket], spec: ScoreSpec) -> list[dict[str, Any]]:
    """Output rows of a batch of tickets, in order."""
    if not tickets:
        return []
    analyzer = get_analyzer(spec.model_path, spec.prior)
    results = analyzer.score_many(tickets)
    if spec.redact:
        from .redact import redact_result

        results = [redact_result(r, t) for r, t in zip(results, tickets, strict=True)]
    return [r.to_row(top=spec.top) for r in results]


# ------------------------------------------------------------------ work units


@dataclass
class LinesChunk:
    """Raw JSONL lines ``start, start+1, ...`` of ``source``; the worker parses them."""

    source: str
    start: int
    lines: list[bytes]
    fmt: str  # "jsonl" (nested turns) or "tickets" (transcript)


@dataclass
class TicketsChunk:
    """Tickets read by the parent, with the errors met while reading them."""

    tickets: list[Ticket]
    errors: list[Any]


@dataclass
class ChunkResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    #: For raw-line chunks, per line: (line, ticket_id, row index or None, build errors).
    entries: list[tuple[int, str | None, int | None, list[Any]]] | None = None


class _JsonlParser:
    """Raw JSONL lines -> tickets, exactly as ``read_tickets`` builds them (minus duplicates)."""

    def __init__(self, spec: ScoreSpec):
        from .io import readers
        from .io.text import decode

        self.decode = decode
        self.options = readers.ColumnOptions.from_kwargs(dict(spec.columns))
        # With a repeat window the builders would look the file's repeat index up
        # for every ticket (a stat and a path resolution each): ``parse`` looks it
        # up once per chunk and builds with the window off.
        self.build_options = dataclasses.replace(self.options, repeat_window=None)
        self.builders = {
            "jsonl": readers._ticket_from_nested_record,
            "tickets": readers._ticket_from_transcript_row,
        }

    def parse(self, chunk: LinesChunk):
        """Yield ``(line, ticket_id, ticket or None, errors)`` for every non-blank line."""
        from .io.readers import warm_repeat_index
        from .io.text import json_loads

        class _Src:  # what the builders use of a Source
            name = chunk.source
            filetype = "jsonl"

        src = _Src()
        build = self.builders[chunk.fmt]
        options = self.build_options
        index = warm_repeat_index(chunk.source, chunk.fmt, self.options)
        for lineno, raw in enumerate(chunk.lines, chunk.start):
            line = self.decode(raw)
            if lineno == 1:
                line = line.lstrip("\ufeff")
            if not line or line.isspace():  # ``not line.strip()`` without copying the line
                continue
            try:
                obj = json_loads(line)
            except ValueError as exc:
                yield lineno, None, None, [_row_error(src.name, lineno, f"invalid JSON: {exc}")]
                continue
            if not isinstance(obj, dict):
                reason = f"expected a JSON object, got {type(obj).__name__}"
                yield lineno, None, None, [_row_error(src.name, lineno, reason)]
                continue
            ticket_id, id_key = self.options.ticket_id(obj)
            if ticket_id is None:
                reason = f"missing {self.options.id_col}"
                yield lineno, None, None, [_row_error(src.name, lineno, reason)]
                continue
            errors: list[Any] = []
            ticket = build(src, lineno, ticket_id, id_key, obj, options, errors.append)
            if ticket is not None and index is not None:
                ticket = index.attach(ticket)
            yield lineno, ticket_id, ticket, errors

    def ids(self, chunk: LinesChunk) -> Iterator[tuple[int, str]]:
        """``(line, ticket_id)`` of the lines that register an id (for resuming)."""
        from .io.text import json_loads

        for lineno, raw in enumerate(chunk.lines, chunk.start):
            line = self.decode(raw)
            if not line.strip():
                continue
            try:
                obj = json_loads(line.lstrip("\ufeff") if lineno == 1 else line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                ticket_id, _ = self.options.ticket_id(obj)
                if ticket_id is not None:
                    yield lineno, ticket_id


_PARSERS: dict[ScoreSpec, _JsonlParser] = {}


def process(work: LinesChunk | TicketsChunk, spec: ScoreSpec) -> ChunkResult:
    """Score one work unit (in a worker, or in-process when ``n_process == 1``)."""
    if isinstance(work, TicketsChunk):
        return ChunkResult(rows=score_tickets(work.tickets, spec), errors=work.errors)
    parser = _PARSERS.get(spec) or _PARSERS.setdefault(spec, _JsonlParser(spec))
    parsed = list(parser.parse(work))
    tickets = [t for _, _, t, _ in parsed if t is not None]
    rows = score_tickets(tickets, spec)
    entries = []
    k = 0
    for lineno, ticket_id, ticket, errors in parsed:
        if ticket is None:
            entries.append((lineno, ticket_id, None, errors))
        else:
            entries.append((lineno, ticket_id, k, errors))
            k += 1
    return ChunkResult(rows=rows, entries=entries)


# ------------------------------------------------------------------ input plans


def _fingerprint(path: str) -> list[dict[str, Any]]:
    p = Path(path)
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    out = []
    for f in files:
        st = f.stat()
        out.append({"path": str(f.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return out


class _Plan:
    """How the input is cut into work units, and how results are finished in the parent."""

    fast = False

    def chunks(self) -> Iterator[LinesChunk | TicketsChunk]:
        raise NotImplementedError

    def skip(self, work) -> None:
        """A committed chunk on resume: update the parent's state without scoring it."""

    def finish(self, work, result: ChunkResult) -> ChunkResult:
        return result


class _TicketPlan(_Plan):
    def __init__(self, path: str, spec: ScoreSpec):
        self.path, self.spec = path, spec
        # Opening the reader checks the path, format and options now, not mid-stream.
        self._errors: list[Any] = []
        self._reader = _io().read_tickets(
            path, spec.input_format, on_error=self._errors.append, **dict(spec.columns)
        )

    def chunks(self):
        batch: list[Ticket] = []
        for ticket in self._reader:
            batch.append(ticket)
            if len(batch) >= self.spec.chunk_size:
                errors, self._errors[:] = list(self._errors), []
                yield TicketsChunk(batch, errors)
                batch = []
        if batch or self._errors:
            yield TicketsChunk(batch, list(self._errors))
            self._errors.clear()


class _LinesPlan(_Plan):
    fast = True

    def __init__(self, path: str, fmt: str, spec: ScoreSpec):
        self.path, self.fmt, self.spec = path, fmt, spec
        self.source = str(path)
        self.seen: dict[str, int] = {}
        self.parser = _JsonlParser(spec)

    def chunks(self):
        size = self.spec.chunk_size
        with open(self.path, "rb") as fh:
            lines: list[bytes] = []
            start = 1
            nonblank = 0
            for lineno, raw in enumerate(fh, 1):
                if not lines:
                    start = lineno
                lines.append(raw)
                if raw and not raw.isspace():  # ``raw.strip()`` without copying the line
                    nonblank += 1
                    if nonblank >= size:
                        yield LinesChunk(self.source, start, lines, self.fmt)
                        lines, nonblank = [], 0
            if lines:
                yield LinesChunk(self.source, start, lines, self.fmt)

    def warm(self) -> None:
        """Build the file's repeat-contact index now (when asked for one), so forked
        workers inherit it instead of each reading the whole file for its own."""
        from .io import readers

        readers.warm_repeat_index(self.source, self.fmt, self.parser.options)

    def skip(self, work):
        for lineno, ticket_id in self.parser.ids(work):
            self.seen.setdefault(ticket_id, lineno)

    def finish(self, work, result):
        rows, errors = [], []
        assert result.entries is not None
        for lineno, ticket_id, k, errs in result.entries:
            if ticket_id is not None:
                first = self.seen.get(ticket_id)
                if first is not None:
                    reason = f"duplicate ticket_id, first seen at line {first}"
                    errors.append(_row_error(self.source, lineno, reason, ticket_id))
                    continue
                self.seen[ticket_id] = lineno
            errors.extend(errs)
            if k is not None:
                rows.append(result.rows[k])
        return ChunkResult(rows=rows, errors=errors)


def make_plan(path: str, spec: ScoreSpec) -> _Plan:
    """Raw-line chunks for a JSONL file of nested or transcript tickets; ticket chunks otherwise."""
    if str(path) != "-" and Path(path).is_file() and spec.input_format in (None, "jsonl", "tickets"):
        try:
            from .io import readers
            from .io.records import check_readable, make_source

            src = make_source(Path(path))
            if src.filetype == "jsonl":
                check_readable(src)
                options = readers.ColumnOptions.from_kwargs(dict(spec.columns))
                if spec.input_format:
                    readers.check_explicit_format(src, spec.input_format, options)
                fmt = spec.input_format or readers._detect_format(src, options)
                if fmt in ("jsonl", "tickets"):
                    return _LinesPlan(str(path), fmt, spec)
        except (ImportError, AttributeError):  # the io internals moved: take the general path
            pass
    return _TicketPlan(str(path), spec)


# ------------------------------------------------------------------ sinks


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def format_rows(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """Rows as CSV (no header) or JSONL bytes, as ``effortnlp.io``'s writers write them."""
    if fmt == "jsonl":
        encode = _COMPACT_JSON
        return "".join([encode(r) + "\n" for r in rows]).encode("utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows([[_cell(r.get(c)) for c in OUTPUT_COLUMNS] for r in rows])
    return buf.getvalue().encode("utf-8")


#: ``json.dumps(r, ensure_ascii=False, separators=(",", ":"))`` with one encoder for all rows.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _csv_header() -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(OUTPUT_COLUMNS)
    return buf.getvalue().encode("utf-8")


def output_format(path: str) -> str:
    if path == "-":
        return "csv"
    from .io.writers import writer_format

    return writer_format(path)


class _TextFile:
    """An append-only partial file whose committed size is checkpointed."""

    def __init__(self, path: str, size: int | None, header: bytes = b""):
        self.path = path
        if size is None:
            self.fh = open(path, "wb")  # noqa: SIM115 -- closed in close()
            self.fh.write(header)
        else:
            self.fh = open(path, "r+b")  # noqa: SIM115
            actual = self.fh.seek(0, os.SEEK_END)
            if actual < size:
                self.fh.close()
                raise ResumeError(f"{path} is shorter than its checkpoint; run without --resume")
            self.fh.truncate(size)
            self.fh.seek(size)

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> int:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        return self.fh.tell()

    def close(self) -> None:
        self.fh.close()


class _Sink:
    every_chunk = True

    def write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        return self.every_chunk

    def commit(self) -> dict[str, Any]:
        return {}

    def finish(self) -> None:
        pass

    def close(self) -> None:
        pass


class _StdoutSink(_Sink):
    def __init__(self):
        self.out = sys.stdout.buffer
        self.out.write(_csv_header())

    def write(self, rows):
        self.out.write(format_rows(rows, "csv"))
        self.out.flush()


class _TextSink(_Sink):
    def __init__(self, dest: str, fmt: str, state: dict[str, Any] | None):
        self.dest, self.fmt = dest, fmt
        self.partial = dest + ".partial"
        header = _csv_header() if fmt == "csv" else b""
        self.file = _TextFile(self.partial, None if state is None else state["size"], header)

    def write(self, rows):
        self.file.write(format_rows(rows, self.fmt))

    def commit(self):
        return {"size": self.file.commit()}

    def finish(self):
        self.file.commit()
        self.file.close()
        os.chmod(self.partial, 0o666 & ~_umask())
        os.replace(self.partial, self.dest)

    def close(self):
        self.file.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def parquet_schema():
    import pyarrow as pa

    types = {"ticket_id": pa.string(), "band": pa.string(), "drivers": pa.string()}
    types |= {"ces": pa.float64(), "p_high": pa.float64(), "empty": pa.bool_()}
    return pa.schema([(c, types.get(c, pa.int64())) for c in OUTPUT_COLUMNS])


def rows_table(rows: list[dict[str, Any]]):
    import pyarrow as pa

    schema = parquet_schema()
    return pa.Table.from_pydict({c: [r[c] for r in rows] for c in schema.names}, schema=schema)


class _ParquetSink(_Sink):
    """Part files per checkpoint, streamed into one file at the end."""

    every_chunk = False

    def __init__(self, dest: str, state: dict[str, Any] | None):
        self.dest = dest
        self.dir = Path(dest + ".partial.d")
        self.buffer: list[dict[str, Any]] = []
        if state is None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir.mkdir()
            self.parts = 0
        else:
            self.parts = int(state["parts"])
            for i in range(self.parts):
                if not self._part(i).exists():
                    raise ResumeError(f"{self._part(i)} is missing; run without --resume")
            for extra in self.dir.iterdir():
                if extra.name not in {self._part(i).name for i in range(self.parts)}:
                    extra.unlink()

    def _part(self, i: int) -> Path:
        return self.dir / f"part-{i:05d}.parquet"

    def write(self, rows):
        self.buffer.extend(rows)

    def ready(self):
        return len(self.buffer) >= PARQUET_PART_ROWS

    def commit(self):
        import pyarrow.parquet as pq

        if self.buffer:
            part = self._part(self.parts)
            tmp = part.with_suffix(".tmp")
            pq.write_table(rows_table(self.buffer), tmp)
            os.replace(tmp, part)
            self.parts += 1
            self.buffer = []
        return {"parts": self.parts}

    def finish(self):
        import pyarrow.parquet as pq

        self.commit()
        directory = Path(self.dest).parent
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{Path(self.dest).name}.", suffix=".tmp")
        os.close(fd)
        try:
            # Row groups of a fixed size, whatever the part boundaries were, so a
            # resumed run writes the same bytes as an uninterrupted one.
            import pyarrow as pa

            pending: list = []
            n_pending = 0
            with pq.ParquetWriter(tmp, parquet_schema()) as writer:
                if not self.parts:
                    writer.write_table(rows_table([]))
                for i in range(self.parts):
                    for batch in pq.ParquetFile(self._part(i)).iter_batches():
                        pending.append(batch)
                        n_pending += batch.num_rows
                        while n_pending >= PARQUET_ROW_GROUP:
                            table = pa.Table.from_batches(pending).combine_chunks()
                            writer.write_table(table.slice(0, PARQUET_ROW_GROUP))
                            rest = table.slice(PARQUET_ROW_GROUP)
                            pending, n_pending = rest.to_batches(), rest.num_rows
                if n_pending:
                    writer.write_table(pa.Table.from_batches(pending, schema=parquet_schema()))
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, self.dest)
        except BaseException:
            os.unlink(tmp)
            raise
        shutil.rmtree(self.dir, ignore_errors=True)


# ------------------------------------------------------------------ checkpoints


def _progress_path(output: str) -> Path:
    return Path(output + ".progress.json")


def _errors_partial(output: str) -> str:
    return output + ".errors.partial"


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _clear_partials(output: str) -> bool:
    """Remove the leftovers of an unfinished run; True if there were any."""
    found = False
    for p in (
        Path(output + ".partial"),
        Path(_errors_partial(output)),
        _progress_path(output),
    ):
        if p.exists():
            p.unlink()
            found = True
    d = Path(output + ".partial.d")
    if d.exists():
        shutil.rmtree(d)
        found = True
    return found


def _load_checkpoint(output: str, fingerprint, spec: ScoreSpec, fmt: str) -> dict[str, Any] | None:
    path = _progress_path(output)
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise ResumeError(f"{path} is damaged; run without --resume") from None
    if state.get("version") != PROGRESS_VERSION or state.get("output_format") != fmt:
        raise ResumeError(f"{path} is from another kind of run; run without --resume")
    if state.get("input") != fingerprint:
        raise ResumeError(
            "cannot resume: the input changed since the interrupted run (path, size or mtime); "
            "run without --resume"
        )
    if state.get("spec") != spec.to_dict():
        raise ResumeError(
            "cannot resume: options differ from the interrupted run's "
            f"({json.dumps(state.get('spec'), sort_keys=True)}); run without --resume"
        )
    return state


# ------------------------------------------------------------------ running


@dataclass
class BatchStats:
    tickets: int = 0
    errors: int = 0
    resumed_chunks: int = 0
    errors_path: str | None = None
    chunks: int = 0


_WORKER_SPEC: ScoreSpec | None = None


def _die_with_parent(parent: int) -> None:
    """Linux: a SIGKILLed parent takes its workers along instead of leaving them blocked."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(spec: ScoreSpec, parent: int | None = None) -> None:
    global _WORKER_SPEC
    # Ctrl-C reaches the whole process group: the parent handles it (commits,
    # shuts the pool down); a worker dying mid-chunk would only break the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (fork)
    if parent is not None:
        _die_with_parent(parent)
    _WORKER_SPEC = spec
    get_analyzer(spec.model_path, spec.prior)  # inherited through fork, else built here once
    if gc.isenabled():
        gc.freeze()  # the analyzer lives as long as the worker: keep it out of GC passes


def _work(work):
    assert _WORKER_SPEC is not None
    return process(work, _WORKER_SPEC)


def _run(works: Iterator, spec: ScoreSpec, n_process: int) -> Iterator[tuple[Any, ChunkResult]]:
    """``(work, result)`` in input order; at most ``2 * n_process`` chunks in flight."""
    if n_process <= 1:
        for work in works:
            yield work, process(work, spec)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else None)
    if ctx.get_start_method() == "fork":
        get_analyzer(spec.model_path, spec.prior)  # build once here; workers inherit it
    pending: deque = deque()
    executor = ProcessPoolExecutor(n_process, mp_context=ctx, initializer=_init_worker, initargs=(spec, os.getpid()))
    try:
        for work in works:
            pending.append((work, executor.submit(_work, work)))
            if len(pending) >= 2 * n_process:
                w, fut = pending.popleft()
                yield w, fut.result()
        while pending:
            w, fut = pending.popleft()
            yield w, fut.result()
    except BrokenProcessPool:
        raise RuntimeError("a scoring worker died (out of memory or killed?)") from None
    finally:
        for _, fut in pending:
            fut.cancel()
        executor.shutdown(wait=True, cancel_futures=True)


def score_file(
    input_path: str,
    output: str,
    *,
    errors_path: str | None = None,
    spec: ScoreSpec | None = None,
    n_process: int | None = None,
    resume: bool = False,
    quiet: bool = False,
    on_note: Callable[[str], None] | None = None,
    stop_after_chunks: int | None = None,
) -> BatchStats:
    """Score ``input_path`` into ``output`` (``-``: CSV on stdout). See the module doc.

    ``stop_after_chunks`` (tests) raises ``KeyboardInterrupt`` after that many
    committed chunks, as an interrupted run would.
    """
    spec = spec or ScoreSpec()
    n_process = max(1, n_process or os.cpu_count() or 1)
    note = on_note or (lambda msg: print(f"effortnlp: {msg}", file=sys.stderr))
    eio = _io()
    fmt = output_format(output)
    to_stdout = output == "-"
    if to_stdout and resume:
        raise eio.InputError("--resume needs an output file (-o PATH), not stdout")
    if fmt == "parquet" and to_stdout:
        raise eio.InputError("cannot write Parquet to stdout; give a .parquet path")
    if not to_stdout and not Path(output).resolve().parent.is_dir():
        raise eio.InputError(f"output directory {Path(output).parent} does not exist")

    plan = make_plan(input_path, spec)
    # Load (and verify) the model before any partial file exists: a refused
    # model is a one-line error, not an "unfinished run" left behind.
    get_analyzer(spec.model_path, spec.prior)
    fingerprint = None if input_path == "-" else _fingerprint(input_path)
    lock = None if to_stdout else _lock(output)
    try:
        with _sigterm_interrupts(), _gc_frozen():
            return _score_locked(
                plan, input_path, output, fmt, fingerprint, errors_path=errors_path, spec=spec,
                n_process=n_process, resume=resume, quiet=quiet, note=note,
                stop_after_chunks=stop_after_chunks,
            )
    finally:
        if lock is not None:
            Path(lock.name).unlink(missing_ok=True)
            lock.close()


def _lock(output: str):
    """Hold ``OUTPUT.lock`` for the run (released by the OS even on SIGKILL)."""
    import fcntl

    fh = open(output + ".lock", "a")  # noqa: SIM115 -- held for the run
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise _io().InputError(f"another effortnlp run is writing {output}") from None
    return fh


def _score_locked(
    plan, input_path, output, fmt, fingerprint, *, errors_path, spec, n_process, resume, quiet,
    note, stop_after_chunks,
) -> BatchStats:
    eio = _io()
    to_stdout = output == "-"
    state = None
    if not to_stdout:
        if resume:
            state = _load_checkpoint(output, fingerprint, spec, fmt)
            if state is None:
                _clear_partials(output)
        elif _clear_partials(output):
            note("discarded an unfinished earlier run (use --resume to continue one)")

    stats = BatchStats(errors_path=errors_path)
    if to_stdout:
        sink: _Sink = _StdoutSink()
        fd, tmp_errors = tempfile.mkstemp(prefix="effortnlp-errors-")
        os.close(fd)
        err_file = _TextFile(tmp_errors, None)
    else:
        sink_state = None if state is None else state["sink"]
        sink = (
            _ParquetSink(output, sink_state)
            if fmt == "parquet"
            else _TextSink(output, fmt, sink_state)
        )
        err_file = _TextFile(_errors_partial(output), None if state is None else state["errors_size"])
    if state is not None:
        stats.tickets, stats.errors = state["tickets"], state["errors"]
        stats.resumed_chunks = state["chunks"]

    total = None
    if not quiet and sys.stderr.isatty() and input_path != "-":
        try:
            total = eio.count_input_rows(input_path, spec.input_format, **dict(spec.columns))
        except Exception:  # noqa: BLE001 -- only for the progress bar
            total = None
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        initial=stats.tickets + stats.errors,
        unit=" tickets",
        desc="scoring",
        disable=quiet or not sys.stderr.isatty(),
        file=sys.stderr,
        smoothing=0.1,
    )

    def checkpoint(chunks: int) -> None:
        if to_stdout:
            return
        data = {
            "version": PROGRESS_VERSION,
            "input": fingerprint,
            "spec": spec.to_dict(),
            "output_format": fmt,
            "chunks": chunks,
            "tickets": stats.tickets,
            "errors": stats.errors,
            "sink": sink.commit(),
            "errors_size": err_file.commit(),
        }
        _write_json_atomic(_progress_path(output), data)

    def works():
        for i, work in enumerate(plan.chunks()):
            if i < stats.resumed_chunks:
                plan.skip(work)
                continue
            yield work

    committed = stats.resumed_chunks
    done = stats.resumed_chunks
    try:
        with bar:
            if state is None:
                checkpoint(0)
            if n_process > 1 and isinstance(plan, _LinesPlan):
                plan.warm()
            with contextlib.closing(_run(works(), spec, n_process)) as results:
                for work, result in results:
                    result = plan.finish(work, result)
                    sink.write(result.rows)
                    if result.errors:
                        err_file.write(
                            "".join(
                                json.dumps(e.to_dict(), ensure_ascii=False) + "\n" for e in result.errors
                            ).encode("utf-8")
                        )
                    stats.tickets += len(result.rows)
                    stats.errors += len(result.errors)
                    done += 1
                    bar.update(len(result.rows) + len(result.errors))
                    if sink.ready():
                        checkpoint(done)
                        committed = done
                        if stop_after_chunks is not None and committed >= stop_after_chunks:
                            raise KeyboardInterrupt
        stats.chunks = done
        # Finish: destination first, then errors, then forget the checkpoint.
        sink.finish()
        err_file.commit()
        err_file.close()
        _finish_errors(err_file.path, errors_path, stats.errors, eio)
        if not to_stdout:
            _progress_path(output).unlink(missing_ok=True)
    except KeyboardInterrupt:
        sink.close()
        err_file.close()
        if not to_stdout and not quiet:
            note(
                f"interrupted; {committed} chunks committed, "
                f"rerun with --resume to continue from there"
            )
        raise
    except BaseException:
        sink.close()
        err_file.close()
        if to_stdout:
            os.unlink(err_file.path)
        elif state is None and committed == 0:
            # Failed before committing anything (an unusable input, a bad
            # model): nothing to resume, so leave no "unfinished run" behind.
            _clear_partials(output)
        raise
    return stats


def _finish_errors(partial: str, errors_path: str | None, n: int, eio) -> None:
    try:
        if errors_path and n:

            def read():
                with open(partial, encoding="utf-8") as fh:
                    for line in fh:
                        d = json.loads(line)
                        yield eio.RowError(d["source"], d["row"], d["reason"], d["ticket_id"])

            eio.write_errors(errors_path, read())
        elif errors_path and os.path.exists(errors_path):
            os.remove(errors_path)  # a stale file from an earlier run would mislead
    finally:
        os.unlink(partial)
