"""HTML message bodies -> plain text with the stdlib parser (no new dependency).

Block elements (``p``, ``div``, ``br``, ``li``, headings, table rows) become line
breaks, ``script``/``style``/``head`` are dropped, entities are decoded, and
runs of blank lines and spaces are collapsed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table blockquote pre hr section article header "
    "footer".split()
)
_SKIP = frozenset({"script", "style", "head", "title"})
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def looks_like_html(text: str) -> bool:
    return bool(_TAG.search(text))


def html_to_text(html: str | None) -> str:
    """Plain text of an HTML fragment; text without tags is returned stripped, unchanged."""
    if not html or not isinstance(html, str):
        return ""
    if not looks_like_html(html):
        return html.strip()
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
