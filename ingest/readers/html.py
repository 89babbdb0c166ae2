"""Web pages (.html, .htm): the document a portal page carries, with its block structure.

A provincial portal wraps the document in page chrome (site header, menus, breadcrumbs,
"Tin liên quan" sidebar, footer with "Lượt xem"); only the document body is kept: the page's
<article> (or <main>) when it holds most of the text, and never navigation, sidebars, footers,
forms or scripts. Ordered lists get the numbers the browser draws ("1.", "a)", "II."), as
the numbering parser needs them. A data table becomes markdown rows under its header row; a
layout table (the two-column header block, the "Nơi nhận | signer" block) becomes lines."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ingest import vnfonts
from ingest.normalize import TO_SUPERSCRIPT
from ingest.readers import register
from ingest.types import IngestError
from ingest.wordnum import format_number

_SKIP = {"script", "style", "noscript", "template", "head", "nav", "footer", "aside", "svg", "iframe",
         "button", "form", "select", "input", "object", "canvas", "map"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6",
          "li", "ul", "ol", "blockquote", "pre", "dd", "dt", "dl", "br", "hr", "tbody", "thead",
          "tfoot", "caption", "figure", "figcaption", "center", "address"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source", "embed",
         "param", "track"}
# class or id words of page chrome around a portal's article
_CHROME = re.compile(r"breadcrumb|\bnav|menu|sidebar|related|lien-?quan|footer|share|social|comment|counter|"
                     r"luot-?xem|view-?count|post-?meta|entry-?meta|article-?meta|\btags?\b|attach|print|"
                     r"search|banner|advert|widget|popup|cookie", re.IGNORECASE)
# lines a portal adds inside the article itself
_CHROME_LINE = re.compile(r"^(?:Lượt xem|Lượt truy cập|Số lượt xem|Đang truy cập|Ngày đăng|Ngày cập nhật|"
                          r"Cập nhật lúc|Chia sẻ|In bài|Bản in|Tin liên quan|Tin khác|Các tin khác|"
                          r"Tệp đính kèm|File đính kèm|Tải về|Tải văn bản)\b", re.IGNORECASE)
# implied end tags: a new <p> closes an open <p>, a new <li> the open <li>, …
_CLOSES = {"p": {"p"}, "li": {"li"}, "tr": {"tr", "td", "th"}, "td": {"td", "th"}, "th": {"td", "th"},
           "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}
_SCOPE = {"ul", "ol", "table", "tbody", "thead", "tfoot", "tr", "div", "article", "section", "main", "body"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list = field(default_factory=list)  # _Node or str

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        closes = _CLOSES.get(tag, set())
        for i in range(len(self.stack) - 1, 0, -1):
            t = self.stack[i].tag
            if t in closes:
                del self.stack[i:]
                break
            if t in _SCOPE:
                break
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def _chrome(node: _Node) -> bool:
    if node.tag in _SKIP or node.attrs.get("role") in ("navigation", "banner", "contentinfo", "complementary"):
        return True
    names = f"{node.attrs.get('class', '')} {node.attrs.get('id', '')}"
    return bool(names.strip()) and _CHROME.search(names) is not None


def _visible_len(node: _Node) -> int:
    if _chrome(node):
        return 0
    return sum(len(c.strip()) if isinstance(c, str) else _visible_len(c) for c in node.children)


def _find(node: _Node, pred) -> list[_Node]:
    found = [node] if pred(node) else []
    for c in node.children:
        if isinstance(c, _Node) and not _chrome(c):
            found += _find(c, pred)
    return found


def _body(root: _Node) -> _Node:
    """The page's document: the largest <article>, else <main>, when it holds a good share of
    the visible text; else the whole page."""
    total = _visible_len(root) or 1
    for pred in (lambda n: n.tag == "article", lambda n: n.tag == "main" or n.attrs.get("role") == "main"):
        found = sorted(_find(root, pred), key=_visible_len, reverse=True)
        if found and _visible_len(found[0]) >= 0.3 * total:
            return found[0]
    return root


def _label(ol: _Node, n: int) -> str:
    kind = ol.attrs.get("type", "1")
    fmt = {"a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman", "I": "upperRoman"}.get(kind, "decimal")
    return format_number(n, fmt) + (")" if kind == "a" else ".")


class _Writer:
    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.label: str | None = None  # the list number waiting for the item's first line

    def flush(self) -> None:
        text = " ".join("".join(self.buf).split())
        self.buf = []
        if not text:
            return
        if self.label is not None:
            if not text.startswith(self.label.rstrip(".)")):
                text = f"{self.label} {text}"
            self.label = None
        self.blocks.append(text)

    def walk(self, node: _Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.buf.append(child)
            elif not _chrome(child):
                self.element(child)

    def element(self, node: _Node) -> None:
        tag = node.tag
        if tag == "sup" and node.text().strip().isdigit():  # a footnote number: "đất đai¹", "¹ Theo …"
            self.buf.append(node.text().strip().translate(TO_SUPERSCRIPT))
        elif tag == "table":
            self.flush()
            self.blocks.extend(_table(node))
        elif tag in ("ol", "ul"):
            self.flush()
            n = int(node.attrs["start"]) - 1 if node.attrs.get("start", "").isdigit() else 0
            for item in node.children:
                if isinstance(item, _Node) and item.tag == "li" and not _chrome(item):
                    n += 1
                    self.flush()
                    self.label = _label(node, n) if tag == "ol" else "-"
                    self.walk(item)
                    self.flush()
                    self.label = None
                elif isinstance(item, _Node):
                    self.element(item)
        elif tag in _BLOCK:
            self.flush()
            self.walk(node)
            self.flush()
        else:
            self.walk(node)


def _lines(node: _Node) -> list[str]:
    w = _Writer()
    w.walk(node)
    w.flush()
    return w.blocks


def _rows(node: _Node) -> list[list[_Node]]:
    rows = []
    for c in node.children:
        if isinstance(c, _Node) and c.tag == "tr":
            rows.append([d for d in c.children if isinstance(d, _Node) and d.tag in ("td", "th")])
        elif isinstance(c, _Node) and c.tag in ("thead", "tbody", "tfoot"):
            rows += _rows(c)
    return rows


def _table(table: _Node) -> list[str]:
    caption = [b for c in table.children if isinstance(c, _Node) and c.tag == "caption" for b in _lines(c)]
    rows = [[_lines(cell) for cell in r] for r in _rows(table)]
    rows = [r for r in rows if any(r)]
    if not rows:
        return caption
    header_cells = any(c.tag == "th" for r in _rows(table) for c in r)
    if len(rows) <= 3 and max(len(r) for r in rows) <= 3 and not header_cells \
            and any(len(cell) > 1 for r in rows for cell in r):
        return caption + [line for r in rows for cell in r for line in cell]  # a layout table
    cells = [[" ".join(" ".join(cell).split()).replace("|", "/") for cell in r] for r in rows]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    header = cells[0]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in cells[1:] if r != header]
    return caption + ["\n".join(lines)]


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
    tree = _Tree()
    tree.feed(_decode(path, data))
    tree.close()
    blocks = [b for b in _lines(_body(tree.root)) if not _CHROME_LINE.match(b)]
    # an old page set in a .VnTime or VNI font shows legacy codes as Windows characters
    return vnfonts.repair("\n\n".join(blocks) + "\n")
