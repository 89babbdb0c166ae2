"""PDF with a text layer (via pypdf). A PDF page is a picture of lines, so the reader undoes
the layout: it drops running headers and footers (the same line at the top or bottom of most
pages) and page numbers ("Trang 1/2", "- 3 -"), joins lines the page width broke back into
paragraphs, and keeps footnotes, writing their numbers as superscripts ("quốc phòng⁴" and
"⁴ Chính sách ...") as in the text files, so ingest.structure parses them the same way.
A PDF without a text layer (a scan) needs OCR first: that is an error, not an empty document."""
from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

from ingest.normalize import SUPERSCRIPTS, TO_SUPERSCRIPT, UPPER
from ingest.pdftables import page_text
from ingest.readers import register
from ingest.types import IngestError

_PAGE_NO = re.compile(r"^(?:trang|page)?\s*[-–(]?\s*\d{1,4}\s*(?:(?:/|trên|of)\s*\d{1,4})?\s*[-–)]?$",
                      re.IGNORECASE)
_ITEM = re.compile(r"^(?:[IVX]{1,5}\.|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)|[-–•+*]\s|[¹²³⁴⁵⁶⁷⁸⁹⁰]|\|)")
_END = re.compile(r"[.:;!?…”\"]$")
_WANTS_NUMBER = re.compile(r"\b(?:năm|tháng|ngày|số|Điều|khoản|Quý|giai đoạn)$", re.IGNORECASE)
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+$")


@register(".pdf")
def read_pdf(path: Path, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.lstrip().startswith(b"%PDF"):
        raise IngestError(str(path), "not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(str(path), "the PDF is encrypted; save an unprotected copy")
        pages = [page_text(p) for p in reader.pages]
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise IngestError(str(path), f"damaged or truncated PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise IngestError(str(path), "the PDF has no pages (truncated or damaged)")
    if not any(p.strip() for p in pages):
        raise IngestError(str(path), f"the PDF has no text layer ({len(pages)} page(s) of images): "
                          "it needs OCR before it can be ingested")
    return layout_to_text([_lines(p) for p in pages])


def _lines(page: str) -> list[str]:
    return [" ".join(ln.split()) for ln in page.split("\n") if ln.strip()]


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def layout_to_text(pages: list[list[str]]) -> str:
    """Page lines -> paragraphs separated by blank lines; table rows ("| … |") one per line.
    A table the page break cut is one table: the next page's rows follow the last row (before
    the footnotes at the foot of the page), without the header row the page repeated."""
    running = _running_lines(pages)
    paragraphs: list[str] = []
    last = ""  # the previous layout line
    header = None  # first row of the table being read
    for lines in pages:
        lines = [ln for ln in lines if _shape(ln) not in running]
        lines = _drop_page_numbers(lines)
        lines = _footnotes(lines)
        at = len(paragraphs)  # where this page's first lines go
        if lines and lines[0].startswith("|") and header is not None:
            body = [k for k, p in enumerate(paragraphs) if p[:1] not in SUPERSCRIPTS]
            if body and paragraphs[body[-1]].startswith("|"):  # the table goes on
                at = body[-1] + 1
                if lines[0] == header:
                    lines = lines[1:]
                if lines and _TABLE_RULE.match(lines[0]):
                    lines = lines[1:]
                elif len(lines) > 1 and _TABLE_RULE.match(lines[1]):
                    lines = lines[:1] + lines[2:]  # a continued table's first row is data
        # the text width: what most full lines reach (a long footnote line is no measure)
        lengths = sorted(len(ln) for ln in lines)
        width = lengths[int(0.75 * (len(lengths) - 1))] if lengths else 0
        page: list[str] = []
        for i, ln in enumerate(lines):
            prev = page[-1] if page else paragraphs[at - 1] if at else ""
            if ln.startswith("|") and not prev.startswith("|"):
                header = ln  # a new table starts
            if prev and _continues(last, ln, i == 0, width):
                target = page if page else paragraphs
                hyphen = target[-1].endswith("-") and ln[:1].islower()
                target[-1] += ("" if hyphen else " ") + ln
            else:
                page.append(ln)
            last = ln
        paragraphs[at:at] = page
    out = ""
    for i, p in enumerate(paragraphs):
        out += ("" if i == 0 else "\n" if p.startswith("|") and paragraphs[i - 1].startswith("|") else "\n\n") + p
    return out + "\n"


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Page numbers sit at the top or bottom of a page; a number inside the page ("2025", the
    end of a title the page width wrapped) is text."""
    edge = {0, 1, len(lines) - 2, len(lines) - 1}
    return [ln for i, ln in enumerate(lines) if not (i in edge and _PAGE_NO.match(ln))]


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Shapes of lines at the top or bottom of at least half the pages (two pages or more)."""
    if len(pages) < 2:
        return set()
    seen = Counter()
    for lines in pages:
        lines = _drop_page_numbers(lines)
        # a body line ends its sentence; a running header or footer seldom does
        seen.update({_shape(ln) for ln in lines[:2] + lines[-2:] if not ln.endswith(".") and not ln.startswith("|")})
    return {s for s, n in seen.items() if n >= max(2, len(pages) / 2)}


def _continues(last: str, line: str, first_on_page: bool, width: int) -> bool:
    """Is ``line`` the next line of the paragraph whose latest line is ``last``?"""
    if _ITEM.match(line) or last.startswith("|"):
        return False
    if line[:1].islower() and not last.endswith((".", "!", "?", ":")):
        return True  # a sentence running on (also across a page break)
    if line[:1].isdigit() and _WANTS_NUMBER.search(last):
        return True  # "… cứu nạn năm" / "2025": a word that a number completes
    if last.count("(") > last.count(")") and not _ITEM.match(line):
        return True  # "(Cơ quan thường trực của Ban Chỉ huy" / "PCTT&TKCN tỉnh):"
    if _END.search(last) or last.isupper() or first_on_page:
        return False
    # a line well short of the page's text width ended its paragraph
    return len(last) >= 0.8 * width and line[:1].isalnum()


def _footnotes(lines: list[str]) -> list[str]:
    """Footnote lines at the foot of a page ("4 Chính sách ...") whose number is attached to a
    word above ("quốc phòng4") get superscript numbers, marker and footnote alike."""
    start = re.compile(r"^(\d{1,2})\s+([" + UPPER + r"“\"].*)")
    found: list[int] = []
    for i in range(len(lines) - 1, max(0, len(lines) - 16), -1):
        if start.match(lines[i]):
            found.append(i)
    out = list(lines)
    done: list[int] = []
    for i in found:  # bottom up; stop at the first that has no marker above the footnotes
        n = start.match(lines[i]).group(1)
        # glued to a word or to its closing quote: "đồng1.", "“bốn tại chỗ”2"
        marker = re.compile(r"(?<=[^\W\d_]|”)" + n + r"(?=[\s,.;:)”]|$)")
        top = min([i] + done)
        hits = [j for j in range(top) if marker.search(out[j])]
        if not hits:
            break
        out[hits[-1]] = marker.sub(n.translate(TO_SUPERSCRIPT), out[hits[-1]], count=1)
        out[i] = n.translate(TO_SUPERSCRIPT) + " " + start.match(lines[i]).group(2)
        done.append(i)
    return out
