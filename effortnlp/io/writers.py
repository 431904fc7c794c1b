"""Streaming, atomic writers for CSV, JSONL and Parquet.

A writer writes to a temporary file next to the destination and moves it into
place with ``os.replace`` only when closed without error: a crash or an
exception inside ``with open_writer(...)`` leaves the destination as it was and
no temporary file behind. Same rows in, same bytes out (CSV and JSONL).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .errors import InputError, RowError

#: Extension -> writer format.
WRITER_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FMT_ALIASES = {"csv": "csv", "jsonl": "jsonl", "json": "jsonl", "parquet": "parquet"}
PARQUET_BATCH_ROWS = 5_000


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _csv_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list | tuple):
        return _json(value)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if hasattr(value, "item"):
        return _csv_cell(value.item())
    return str(value)


class _CsvLines:
    """CSV records ending in "\n", the same bytes on every platform.

    csv quotes a field only if it holds a character of the line terminator, so
    with "\n" a lone "\r" would go out unquoted and break the row on reading.
    Writing with "\r\n" quotes both; the record's own terminator is then cut back.
    """

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n")

    def line(self, cells: list[Any]) -> str:
        self._buf.seek(0)
        self._buf.truncate()
        self._writer.writerow(cells)
        return self._buf.getvalue()[:-2] + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class RowWriter:
    """Writes dict rows to one destination; use as a context manager (see ``open_writer``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        fmt: str,
        *,
        columns: Sequence[str] | None = None,
        batch_rows: int = PARQUET_BATCH_ROWS,
    ):
        self.path = str(path)
        self.fmt = fmt
        self.columns: list[str] | None = list(columns) if columns is not None else None
        self.rows_written = 0
        self._batch_rows = batch_rows
        self._batch: list[dict[str, Any]] = []
        self._parquet_writer: Any = None
        self._schema: Any = None
        self._csv: Any = None
        self._closed = False
        self._tmp: str | None = None
        if self.path == "-":
            if fmt == "parquet":
                raise InputError("cannot write Parquet to stdout; give a .parquet path")
            self._fh: IO[str] | IO[bytes] = sys.stdout
            return
        dest = Path(self.path)
        directory = dest.parent if str(dest.parent) else Path(".")
        if not directory.is_dir():
            raise InputError(f"output directory {directory} does not exist")
        fd, self._tmp = tempfile.mkstemp(dir=directory, prefix=f".{dest.name}.", suffix=".tmp")
        if fmt == "parquet":
            os.close(fd)
            self._fh = open(self._tmp, "wb")  # noqa: SIM115 -- closed in close()/abort()
        else:
            self._fh = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115

    # -- context manager
    def __enter__(self) -> RowWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- writing
    def write(self, row: dict[str, Any]) -> None:
        if self._closed:
            raise ValueError(f"writer for {self.path} is closed")
        if self.fmt == "jsonl":
            self._fh.write(_json(row) + "\n")  # type: ignore[arg-type]
        elif self.fmt == "csv":
            self._write_csv(row)
        else:
            self._batch.append(row)
            if len(self._batch) >= self._batch_rows:
                self._flush_parquet()
        self.rows_written += 1

    def write_many(self, rows: Iterable[dict[str, Any]]) -> int:
        n = 0
        for row in rows:
            self.write(row)
            n += 1
        return n

    def _check_keys(self, row: dict[str, Any]) -> None:
        assert self.columns is not None
        extra = [k for k in row if k not in self.columns]
        if extra:
            raise ValueError(
                f"row has columns not in the header of {self.path}: {', '.join(map(str, extra))}"
            )

    def _write_csv(self, row: dict[str, Any]) -> None:
        if self._csv is None:
            self._csv = _CsvLines()
            if self.columns is None:
                self.columns = list(row)
            self._fh.write(self._csv.line(self.columns))  # type: ignore[arg-type]
        self._check_keys(row)
        cells = [_csv_cell(row.get(c)) for c in self.columns]  # type: ignore[union-attr]
        self._fh.write(self._csv.line(cells))  # type: ignore[arg-type]

    def _flush_parquet(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows, self._batch = self._batch, []
        if self._schema is None:
            if self.columns is None:
                names: dict[str, None] = {}
                for row in rows:
                    names.update(dict.fromkeys(row))
                self.columns = list(names)
            for row in rows:
                self._check_keys(row)
            if rows:
                table = pa.Table.from_pylist([{c: r.get(c) for c in self.columns} for r in rows])
                # An all-null column in the first batch would fix its type to null
                # and reject every later value: make it string.
                self._schema = pa.schema(
                    pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                    for f in table.schema
                )
                table = table.cast(self._schema)
            else:
                self._schema = pa.schema([(c, pa.string()) for c in self.columns])
                table = self._schema.empty_table()
            self._parquet_writer = pq.ParquetWriter(self._fh, self._schema)
            self._parquet_writer.write_table(table)
            return
        if not rows:
            return
        for row in rows:
            self._check_keys(row)
        try:
            table = pa.Table.from_pylist(rows, schema=self._schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            # e.g. ints in a float column: infer, then cast to the first batch's schema.
            full = [{c: r.get(c) for c in self.columns} for r in rows]  # type: ignore[union-attr]
            table = pa.Table.from_pylist(full).cast(self._schema)
        self._parquet_writer.write_table(table)

    # -- finishing
    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._closed:
            return
        try:
            if self.fmt == "parquet":
                self._flush_parquet()
                self._parquet_writer.close()
            elif self.fmt == "csv" and self._csv is None and self.columns:
                self._write_header_only()
            self._fh.flush()
            if self._tmp is None:
                self._closed = True
                return
            os.fsync(self._fh.fileno())
            self._fh.close()
            os.chmod(self._tmp, 0o666 & ~_umask())
            os.replace(self._tmp, self.path)
            self._tmp = None
            self._closed = True
        except BaseException:
            self.abort()
            raise

    def _write_header_only(self) -> None:
        self._fh.write(_CsvLines().line(self.columns or []))  # type: ignore[arg-type]

    def abort(self) -> None:
        """Discard everything written; the destination is left untouched."""
        self._closed = True
        if self._tmp is None:
            return
        try:
            if self._parquet_writer is not None:
                try:
                    self._parquet_writer.close()
                except Exception:  # noqa: BLE001 -- the file is being thrown away
                    pass
            self._fh.close()
        finally:
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._tmp = None


def writer_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The writer format for a path: ``fmt`` if given, else by extension; ``-`` is CSV."""
    if fmt is not None:
        if fmt not in _FMT_ALIASES:
            raise InputError(f"unknown output format {fmt!r}; expected one of: csv, jsonl, parquet")
        return _FMT_ALIASES[fmt]
    if str(path) == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in WRITER_FORMATS:
        raise InputError(
            f"cannot tell the output format of {path}: use one of "
            f"{', '.join(WRITER_FORMATS)} or pass a format"
        )
    return WRITER_FORMATS[suffix]


def open_writer(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    columns: Sequence[str] | None = None,
    batch_rows: int = PARQUET_BATCH_ROWS,
) -> RowWriter:
    """A writer for ``path`` (``.csv``, ``.jsonl``/``.json``, ``.parquet``; ``-`` = stdout).

    ``columns`` fixes the column order (CSV header, Parquet schema) and lets an
    empty CSV still get its header; otherwise the first row's keys (first batch's
    for Parquet) decide, and a later row with a new key is a ``ValueError``. A
    missing key is written empty/null. Parquet is written in batches of
    ``batch_rows`` with the schema of the first batch; later batches are cast to it.
    """
    return RowWriter(path, writer_format(path, fmt), columns=columns, batch_rows=batch_rows)


def write_errors(path: str | os.PathLike[str], errors: Iterable[RowError]) -> int:
    """Write ``RowError`` s as JSONL (or CSV/Parquet by extension); returns how many."""
    try:
        fmt = writer_format(path)
    except InputError:
        fmt = "jsonl"
    with open_writer(path, fmt=fmt, columns=["source", "row", "reason", "ticket_id"]) as writer:
        return writer.write_many(e.to_dict() for e in errors)
