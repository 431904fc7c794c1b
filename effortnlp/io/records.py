"""Files -> numbered records (plain dicts), streamed; the layer below the ticket formats.

A *file type* (csv, tsv, jsonl, json, parquet) says how to get records out of a
file; the ticket *format* (see ``readers``) says what the records mean. Every
reader yields ``(row, record)`` pairs, where ``row`` is the 1-based physical line
(JSONL/JSON/CSV; the CSV header is line 1) or the 0-based Parquet row index, and
reports unusable rows as ``RowError`` through ``on_error``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import os
import sys
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import ErrorHandler, InputError, RowError
from .text import decode, has_surrogate_escape, incremental_decoder, json_loads, mend_surrogates

#: Extension -> file type.
FILE_TYPES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".eml": "eml",
    ".mbox": "mbox",
}

STDIN = "<stdin>"
_SNIFF_BYTES = 8192
# A quoted transcript can be long; csv's default 128 KiB field limit would turn
# a long ticket into a RowError. Raising a process-wide limit is harmless.
_CSV_FIELD_LIMIT = 64 * 2**20

Record = tuple[int, dict[str, Any]]


def _ignore(_: RowError) -> None:
    pass


class StdinLines:
    """stdin as byte lines, with the first lines buffered so the format can be sniffed."""

    def __init__(self, stream: IO[bytes]):
        self._stream = iter(stream)
        self._head: list[bytes] = []
        self._used = False

    def first_object(self) -> dict[str, Any] | None:
        """The first line that is a JSON object (buffered for replay), or ``None``."""
        for line in self._head:
            obj = _loads_object(line)
            if obj is not None:
                return obj
        for line in self._stream:
            self._head.append(line)
            obj = _loads_object(line)
            if obj is not None:
                return obj
            if len(self._head) > 1000:
                break
        return None

    def is_empty(self) -> bool:
        if any(line.strip() for line in self._head):
            return False
        for line in self._stream:
            self._head.append(line)
            if line.strip():
                return False
        return True

    def __iter__(self) -> Iterator[bytes]:
        if self._used:
            raise RuntimeError("stdin can only be read once")
        self._used = True
        yield from self._head
        self._head = []
        yield from self._stream


def _loads_object(line: bytes) -> dict[str, Any] | None:
    try:
        obj = json_loads(decode(line))
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


@dataclass
class Source:
    """One input file (or stdin) and its file type."""

    name: str
    filetype: str
    path: Path | None = None
    stdin: StdinLines | None = None
    _spool: IO[bytes] | None = field(default=None, repr=False)

    @contextlib.contextmanager
    def open(self) -> Iterator[Iterable[bytes]]:
        """The file's bytes, iterable by line (and ``read``-able unless stdin)."""
        if self._spool is not None:
            self._spool.seek(0)
            yield self._spool
        elif self.stdin is not None:
            yield self.stdin
        else:
            assert self.path is not None
            try:
                fh = open(self.path, "rb")
            except OSError as exc:
                raise InputError(f"cannot read {self.name}: {exc.strerror or exc}") from exc
            with fh:
                yield fh

    def make_rereadable(self) -> None:
        """Spool stdin to a temporary file so it can be read twice (two-pass formats)."""
        if self.stdin is None or self._spool is not None:
            return
        spool = tempfile.TemporaryFile()
        for line in self.stdin:
            spool.write(line)
        self._spool = spool
        self.stdin = None

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def sniff_file_type(path: Path) -> str:
    """File type of a file whose extension says nothing: by its first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"From ") and b"\n" in head:
        return "mbox"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    first_line = stripped.split(b"\n", 1)[0]
    return "tsv" if b"\t" in first_line and b"," not in first_line else "csv"


def make_source(path: Path, name: str | None = None) -> Source:
    filetype = FILE_TYPES.get(path.suffix.lower()) or sniff_file_type(path)
    return Source(name=name or str(path), filetype=filetype, path=path)


def stdin_source() -> Source:
    return Source(name=STDIN, filetype="jsonl", stdin=StdinLines(sys.stdin.buffer))


def check_readable(src: Source) -> None:
    """InputError for an empty file, or binary data where text is expected."""
    if src.stdin is not None:
        if src.stdin.is_empty():
            raise InputError(f"{src.name} is empty")
        return
    if src._spool is not None:  # stdin spooled for a second pass
        src._spool.seek(0)
        if not any(line.strip() for line in src._spool):
            raise InputError(f"{src.name} is empty")
        return
    assert src.path is not None
    try:
        size = src.path.stat().st_size
        with open(src.path, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
            if src.filetype == "parquet":
                if size == 0:
                    raise InputError(f"{src.name} is empty")
                return
            if head.startswith(b"\x1f\x8b"):
                raise InputError(f"{src.name} is gzip-compressed; decompress it first")
            if _looks_binary(head):
                raise InputError(
                    f"{src.name} is not a text {src.filetype.upper()} file (binary data or UTF-16?)"
                )
            while not head.strip():
                if not head:
                    raise InputError(f"{src.name} is empty")
                head = fh.read(1 << 20)
    except OSError as exc:
        raise InputError(f"cannot read {src.name}: {exc.strerror or exc}") from exc


def _looks_binary(head: bytes) -> bool:
    """Binary data (or UTF-16) rather than a text export, judged from the first bytes.

    Binary formats are almost never valid UTF-8, while a text export that is
    valid UTF-8 may still carry stray control characters, even NULs, inside its
    messages: those are read, not refused. So: invalid UTF-8 with a NUL or a
    large share of control bytes (random binary has ~12%) is binary, and so is
    anything a quarter NUL (UTF-16 text, zero-filled files).
    """
    nuls = head.count(b"\x00")
    if nuls * 4 > len(head):
        return True
    try:
        _strict_utf8_decoder().decode(head, final=False)  # a cut-off last char is fine
        return False
    except UnicodeDecodeError:
        pass
    controls = sum(1 for b in head if b < 9 or 13 < b < 32 or b == 127)
    return nuls > 0 or (len(head) >= 64 and controls > len(head) // 20)


def _strict_utf8_decoder():
    return codecs.getincrementaldecoder("utf-8")(errors="strict")


# ------------------------------------------------------------------ readers


def iter_records(
    src: Source,
    on_error: ErrorHandler,
    *,
    batch_size: int = 10_000,
    columns: list[str] | None = None,
) -> Iterator[Record]:
    """``(row, record)`` pairs of a source; ``columns`` limits Parquet reads (a hint elsewhere)."""
    if src.filetype == "jsonl":
        return _iter_jsonl(src, on_error)
    if src.filetype == "json":
        return _iter_json(src, on_error)
    if src.filetype in ("csv", "tsv"):
        return _iter_csv(src, on_error, "\t" if src.filetype == "tsv" else ",")
    if src.filetype == "parquet":
        return _iter_parquet(src, batch_size, columns)
    raise InputError(f"{src.name}: unsupported file type {src.filetype!r}")


def first_columns(src: Source) -> list[str] | None:
    """Column names of a table (CSV header, Parquet schema) or keys of the first JSON object.

    ``None`` when there is no record to look at.
    """
    if src.filetype == "parquet":
        return parquet_file(src).schema_arrow.names
    if src.filetype in ("csv", "tsv"):
        return _csv_header(src)
    if src.stdin is not None:
        obj = src.stdin.first_object()
        return None if obj is None else list(obj)
    records = iter_records(src, _ignore)
    try:
        for _, record in records:
            return list(record)
    finally:
        records.close()  # type: ignore[attr-defined]
    return None


def _iter_jsonl(src: Source, on_error: ErrorHandler) -> Iterator[Record]:
    with src.open() as lines:
        for lineno, raw in enumerate(lines, 1):
            line = decode(raw)
            if lineno == 1:
                line = line.lstrip("\ufeff")
            if not line or line.isspace():  # ``not line.strip()`` without copying the line
                continue
            try:
                obj = json_loads(line)
            except ValueError as exc:
                on_error(RowError(src.name, lineno, f"invalid JSON: {exc}"))
                continue
            if not isinstance(obj, dict):
                on_error(
                    RowError(src.name, lineno, f"expected a JSON object, got {type(obj).__name__}")
                )
                continue
            yield lineno, obj


def _single_document(src: Source) -> dict[str, Any] | None:
    """A ``.json`` file holding one pretty-printed object (an API response), else ``None``.

    Only tried when the first non-blank line is not a JSON value by itself, so
    JSONL in a ``.json`` file stays streamed line by line.
    """
    with src.open() as fh:
        for raw in fh:
            if raw.strip():
                first = decode(raw).lstrip("\ufeff")
                break
        else:
            return None
        try:
            json.loads(first)
            return None  # a whole value on the first line: JSONL
        except ValueError:
            pass
        fh.seek(0)  # type: ignore[attr-defined]
        try:
            obj = json_loads(decode(fh.read()).lstrip("\ufeff"))  # type: ignore[attr-defined]
        except ValueError:
            return None
    return obj if isinstance(obj, dict) else None


def _iter_json(src: Source, on_error: ErrorHandler) -> Iterator[Record]:
    """A ``.json`` file: a JSON array of objects, parsed element by element; else JSONL."""
    with src.open() as fh:
        head = fh.read(_SNIFF_BYTES)  # type: ignore[attr-defined]
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
            is_array = False
        else:
            is_array = True
    if not is_array:
        document = _single_document(src)
        if document is not None:
            yield 1, document
            return
        yield from _iter_jsonl(src, on_error)
        return
    decoder = json.JSONDecoder()
    text_decoder = incremental_decoder()
    with src.open() as fh:
        buf = ""
        pos = 0
        line = 1  # line number at buf[pos]
        eof = False

        def more() -> bool:
            nonlocal buf, pos, eof
            if eof:
                return False
            chunk = fh.read(1 << 16)  # type: ignore[attr-defined]
            eof = not chunk
            buf = buf[pos:] + text_decoder.decode(chunk, final=eof)
            pos = 0
            return True

        def skip_ws() -> str:
            """Skip whitespace, counting lines; the next char, or '' at end of input."""
            nonlocal pos, line
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                    if buf[pos] == "\n":
                        line += 1
                    pos += 1
                if pos < len(buf):
                    return buf[pos]
                if not more():
                    return ""

        skip_ws()
        pos += 1  # the opening '['
        first = True
        while True:
            ch = skip_ws()
            if ch == "]":
                return
            if not first:
                if ch != ",":
                    on_error(RowError(src.name, line, "invalid JSON array; rest of file skipped"))
                    return
                pos += 1
                ch = skip_ws()
            if ch == "":
                on_error(RowError(src.name, line, "unterminated JSON array"))
                return
            first = False
            while True:
                try:
                    obj, end = decoder.raw_decode(buf, pos)
                    break
                except ValueError as exc:
                    if more():
                        continue
                    on_error(RowError(src.name, line, f"invalid JSON: {exc}; rest of file skipped"))
                    return
            start_line = line
            line += buf.count("\n", pos, end)
            if has_surrogate_escape(buf[pos:end]):
                obj = mend_surrogates(obj)
            pos = end
            if isinstance(obj, dict):
                yield start_line, obj
            else:
                on_error(
                    RowError(
                        src.name, start_line, f"expected a JSON object, got {type(obj).__name__}"
                    )
                )


#: Stands in for a carriage return inside a line while ``csv`` parses it. A lone
#: surrogate never comes out of ``decode``, so it cannot clash with real text.
_CR = "\udc0d"


def _hide_inner_cr(text: str) -> str:
    """Mask a CR that does not end the line: exports written with ``\\n`` line ends
    (pandas, ``csv`` with ``lineterminator="\\n"``) leave a ``\\r`` inside a message
    unquoted, and ``csv`` would reject the row."""
    body = text.rstrip("\r\n")
    return body.replace("\r", _CR) + text[len(body) :]


class _NumberedLines:
    """Decoded lines for ``csv.reader``, remembering which lines made the current record.

    Lines can be pushed back, so after a malformed record (say an unbalanced
    quote that swallowed the lines after it) parsing restarts on the line after
    the record's first line: only that line is lost.
    """

    def __init__(self, raw: Iterable[bytes]):
        self._raw = iter(raw)
        self._lineno = 0
        self._pending: deque[tuple[int, str]] = deque()
        self.current: list[tuple[int, str]] = []

    def __iter__(self) -> _NumberedLines:
        return self

    def __next__(self) -> str:
        if self._pending:
            item = self._pending.popleft()
        else:
            raw = next(self._raw)
            self._lineno += 1
            text = decode(raw)
            if self._lineno == 1:
                text = text.lstrip("\ufeff")
            if "\r" in text:
                text = _hide_inner_cr(text)
            item = (self._lineno, text)
        self.current.append(item)
        return item[1]

    def take(self) -> list[tuple[int, str]]:
        lines, self.current = self.current, []
        return lines

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._pending.extendleft(reversed(lines))


def _csv_rows(
    src: Source, lines: _NumberedLines, delimiter: str, on_error: ErrorHandler
) -> Iterator[tuple[int, list[str]]]:
    """``(first line, fields)`` per CSV record, skipping blank lines and recovering from bad ones."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    while True:
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            for fields in reader:
                record_lines = lines.take()
                if any(_CR in text for _, text in record_lines):
                    fields = [f.replace(_CR, "\r") for f in fields]
                if not any(f.strip() for f in fields):
                    continue  # blank line (or only delimiters): not a row
                yield record_lines[0][0], fields
            return
        except csv.Error as exc:
            record_lines = lines.take()
            if not record_lines:
                raise InputError(f"{src.name}: unreadable CSV ({exc})") from exc
            on_error(RowError(src.name, record_lines[0][0], f"malformed CSV: {exc}"))
            lines.push_back(record_lines[1:])


def _csv_header(src: Source) -> list[str] | None:
    with src.open() as raw:
        rows = _csv_rows(src, _NumberedLines(raw), _delimiter(src), _ignore)
        for _, fields in rows:
            return [f.strip() for f in fields]
    return None


def _delimiter(src: Source) -> str:
    return "\t" if src.filetype == "tsv" else ","


def _iter_csv(src: Source, on_error: ErrorHandler, delimiter: str) -> Iterator[Record]:
    with src.open() as raw:
        header: list[str] | None = None
        for lineno, fields in _csv_rows(src, _NumberedLines(raw), delimiter, on_error):
            if header is None:
                header = [f.strip() for f in fields]
                continue
            if len(fields) > len(header):
                on_error(
                    RowError(
                        src.name,
                        lineno,
                        f"too many fields: expected {len(header)}, got {len(fields)}",
                    )
                )
                continue
            record: dict[str, Any] = dict.fromkeys(header)
            for name, value in zip(header, fields, strict=False):
                record[name] = value if value != "" else None
            yield lineno, record


def parquet_file(src: Source):
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert src.path is not None
    try:
        return pq.ParquetFile(src.path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{src.name} is not a readable Parquet file ({exc})") from exc


def _iter_parquet(src: Source, batch_size: int, columns: list[str] | None) -> Iterator[Record]:
    import pyarrow as pa

    pf = parquet_file(src)
    offset = 0
    try:
        for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
            for i, record in enumerate(batch.to_pylist()):
                yield offset + i, record
            offset += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{src.name}: unreadable Parquet data at row {offset} ({exc})") from exc


def list_directory(root: Path) -> list[Path]:
    """Every file under ``root``, sorted by relative path; dot-files and dot-dirs skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())
