"""Help-desk exports as they come: one module per vendor, registered as ``read_tickets`` formats.

Each reader yields ``Ticket`` s with canonical speakers and the normalised
metadata of ``effortnlp.io.ticketmeta``; a record of the wrong shape is a
``RowError``. ``detect`` names the vendor of a file when that is unambiguous.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from ...schema import Ticket
from ..errors import ErrorHandler
from ..records import Source, first_columns, iter_records
from . import freshdesk, intercom, zendesk
from .base import read_records

#: Vendor formats, in detection order.
VENDOR_FORMATS: tuple[str, ...] = (
    "zendesk", "intercom", "freshdesk", "salesforce", "email", "transcript",
)
_RECORD_VENDORS = (zendesk, intercom, freshdesk)


def _ignore(_: Any) -> None:
    pass


def detect(src: Source) -> str | None:
    """The vendor format of a source, or ``None`` (then the plain formats are tried)."""
    if src.filetype in ("eml", "mbox"):
        return "email"
    if src.filetype in ("csv", "tsv"):
        from . import salesforce, transcript

        if transcript.looks_like_transcript(src):
            return "transcript"
        columns = first_columns(src) or []
        return "salesforce" if salesforce.detect_columns(columns) else None
    if src.filetype == "parquet":
        from . import salesforce

        return "salesforce" if salesforce.detect_columns(first_columns(src) or []) else None
    if src.stdin is not None:
        record = src.stdin.first_object()
    else:
        records = iter_records(src, _ignore)
        try:
            record = next((r for _, r in records), None)
        finally:
            records.close()  # type: ignore[attr-defined]
    if record is None:
        return None
    for vendor in _RECORD_VENDORS:
        if vendor.detect(record):
            return vendor.NAME
    from . import salesforce

    return "salesforce" if salesforce.detect(record) else None


def reader(fmt: str):
    """``read(src, options, on_error, chunksize, seen) -> Iterator[Ticket]`` for a vendor format."""
    for vendor in _RECORD_VENDORS:
        if vendor.NAME == fmt:
            return functools.partial(_read_json_vendor, vendor.build)
    if fmt == "salesforce":
        from . import salesforce

        return salesforce.read
    if fmt == "email":
        from . import email as email_reader

        return email_reader.read
    if fmt == "transcript":
        from . import transcript

        return transcript.read
    raise KeyError(fmt)


def _read_json_vendor(
    build, src: Source, options: Any, on_error: ErrorHandler, chunksize: int, seen: dict
) -> Iterator[Ticket]:
    yield from read_records(src, on_error, chunksize, seen, build)
