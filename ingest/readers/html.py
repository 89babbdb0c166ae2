"""Web pages (.html, .htm): the visible text with its block structure (paragraphs, headings,
list items, table rows as markdown rows); scripts, styles and page chrome are dropped."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from ingest.readers import register
from ingest.types import IngestError

_SKIP = {"script", "style", "noscript", "template", "head", "nav", "footer", "svg", "iframe", "button", "form"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
          "li", "ul", "ol", "table", "blockquote", "pre", "dd", "dt", "br", "hr", "tbody", "thead"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.skip = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.table_rows: list[list[str]] = []

    def flush(self) -> None:
        text = " ".join("".join(self.buf).split())
        if text:
            self.blocks.append(text)
        self.buf = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += tag not in _VOID
            return
        if self.skip:
            return
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in _BLOCK and self.cell is None:
            self.flush()
            if tag == "table":
                self.table_rows = []

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()).replace("|", "/"))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if any(self.row):
                self.table_rows.append(self.row)
            self.row = None
        elif tag == "table":
            self.flush()
            if self.table_rows:
                width = max(len(r) for r in self.table_rows)
                rows = [r + [""] * (width - len(r)) for r in self.table_rows]
                lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
                self.blocks.append("\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]]))
            self.table_rows = []
        elif tag in _BLOCK and self.cell is None:
            self.flush()

    def handle_data(self, data):
        if self.skip:
            return
        (self.cell if self.cell is not None else self.buf).append(data)


def _decode(path: Path, data: bytes) -> str:
    head = data[:2048].decode("ascii", "ignore").lower()
    m = re.search(r"charset\s*=\s*[\"']?([\w-]+)", head)
    codecs = ([m.group(1)] if m else []) + ["utf-8", "cp1258"]
    for codec in codecs:
        try:
            return data.decode("utf-8-sig" if codec.lower() in ("utf-8", "utf8") else codec)
        except (UnicodeDecodeError, LookupError):
            continue
    raise IngestError(str(path), "cannot detect the text encoding of the web page")


@register(".html", ".htm")
def read_html(path: Path, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise IngestError(str(path), "binary content (NUL bytes) in a web page")
    parser = _Text()
    parser.feed(_decode(path, data))
    parser.close()
    parser.flush()
    return "\n\n".join(parser.blocks) + "\n"
