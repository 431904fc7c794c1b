"""Decoding bytes that claim to be UTF-8 but sometimes are not, and cleaning cell values."""

from __future__ import annotations

import codecs
import datetime as _dt
import json
import math
import re
from typing import Any

_FALLBACK = "effortnlp-cp1252"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    # Only the bytes UTF-8 rejects are re-read, so a line mixing valid UTF-8 with
    # stray Windows-1252 (a common export bug) keeps both right. cp1252 leaves
    # five bytes undefined; latin-1 takes those, so decoding never fails.
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    chars = []
    for byte in bad:
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(bytes([byte]).decode("latin-1"))
    return "".join(chars), exc.end


codecs.register_error(_FALLBACK, _cp1252_fallback)


def decode(data: bytes) -> str:
    """UTF-8, with undecodable bytes read as cp1252 (latin-1 for its holes). Never raises."""
    return data.decode("utf-8", errors=_FALLBACK)


def incremental_decoder() -> codecs.IncrementalDecoder:
    return codecs.getincrementaldecoder("utf-8")(errors=_FALLBACK)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def clean_id(value: Any) -> str | None:
    """A ticket id as text: ints and integral floats (``12.0`` from a NaN-widened column) -> ``"12"``."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def clean_text(value: Any) -> str:
    """Turn text: ``None``/NaN -> ``""``; anything else as a string, not stripped."""
    if is_missing(value):
        return ""
    return value if isinstance(value, str) else str(value)


def clean_optional(value: Any) -> str | None:
    """Timestamp, channel, agent name: blank -> ``None``; datetimes -> ISO 8601."""
    if is_missing(value):
        return None
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def clean_meta(value: Any) -> Any:
    """A metadata value made JSON-ready: NaN -> ``None``, datetimes -> ISO 8601."""
    if is_missing(value):
        return None
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return decode(value)
    return value


#: A JSON escape of a UTF-16 surrogate (``\\ud83d``): a lone one decodes to a
#: string that cannot be written as UTF-8 (nor to Parquet).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_loads(text: str) -> Any:
    """``json.loads``, with lone surrogates (from escapes like ``"\\ud800"``) replaced by U+FFFD.

    A pair of escapes (an emoji written ``"\\ud83d\\ude00"``) decodes to its
    character and is kept; an unpaired one would make the row impossible
    to write, so it becomes the replacement character, like an undecodable byte.
    """
    obj = json.loads(text)
    if has_surrogate_escape(text):
        obj = mend_surrogates(obj)
    return obj


def mend_surrogates(value: Any) -> Any:
    """Replace lone surrogates in every string of a decoded JSON value (keys included)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [mend_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {mend_surrogates(k): mend_surrogates(v) for k, v in value.items()}
    return value


def has_surrogate_escape(text: str) -> bool:
    # ``"\\" in`` first: a one-character search runs as ``memchr``, several times
    # faster than the two-character one, so a line with no escape at all (no
    # quote, newline or non-ASCII escaped) is passed over at once.
    return "\\" in text and "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None
