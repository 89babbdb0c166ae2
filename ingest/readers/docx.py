"""Word documents (.docx, via python-docx): body paragraphs and tables in document order.

Paragraphs become lines separated by a blank line. Numbers that Word draws itself (a
"List Number" style or a numbered paragraph: numbering.xml) are written back in front of the
text ("II.", "3.", "b)"), so the numbering parser sees them as if typed (ingest.wordnum).

A data table becomes a markdown table (header row, separator, one line per row), the form
ingest.structure and the obligation extractor read, so each row keeps its column headers. A
layout table (the borderless two-column header block "ỦY BAN NHÂN DÂN | CỘNG HÒA …", the
"Nơi nhận | signer" block) is not data: its cells' paragraphs become ordinary lines."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ingest import vnfonts
from ingest.readers import register
from ingest.types import IngestError
from ingest.wordnum import Numbering

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@register(".docx")
def read_docx(path: Path, data: bytes) -> str:
    import docx
    from docx.table import Table

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError(str(path), "not a valid DOCX file (truncated or not a Word document)")
    try:
        document = docx.Document(io.BytesIO(data))
        numbering = Numbering(document)
        blocks = [_table(b, numbering) if isinstance(b, Table) else _paragraph(b, numbering)
                  for b in document.iter_inner_content()]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(str(path), f"not a valid DOCX file ({exc})") from exc
    except Exception as exc:  # lxml and python-docx raise many kinds on damaged parts
        raise IngestError(str(path), f"damaged DOCX file ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(b for b in blocks if b) + "\n"


def _paragraph(paragraph, numbering: Numbering) -> str:
    text = vnfonts.repair(paragraph.text.strip())  # a run in a .VnTime/VNI font: legacy codes
    if not text:
        return ""
    label = numbering.label(paragraph)
    return f"{label} {text}" if label and not text.startswith(label) else text


def _cell(text: str) -> str:
    # one table row is one line: line breaks inside a cell become spaces, pipes are escaped
    return " ".join(vnfonts.repair(text).split()).replace("|", "/")


def _unique_cells(row) -> list:
    cells, seen = [], set()
    for cell in row.cells:  # merged cells repeat the same cell object: keep it once
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _borderless(table) -> bool:
    borders = table._tbl.tblPr.find(f"{_W}tblBorders") if table._tbl.tblPr is not None else None
    if borders is None:
        return table.style is None or "grid" not in (table.style.name or "").lower()
    return all(b.get(f"{_W}val") in ("nil", "none") for b in borders)


def _is_layout(table, rows: list[list]) -> bool:
    """A small borderless table of one row, or whose cells hold several paragraphs each (a
    header or signature block): page layout, not rows of data."""
    if len(rows) > 3 or max(len(r) for r in rows) > 3 or not _borderless(table):
        return False
    return len(rows) == 1 or any(sum(bool(p.text.strip()) for p in c.paragraphs) > 1 for r in rows for c in r)


def _table(table, numbering: Numbering) -> str:
    rows = [_unique_cells(row) for row in table.rows]
    rows = [r for r in rows if any(c.text.strip() for c in r)]
    if not rows:
        return ""
    if _is_layout(table, rows):
        return "\n\n".join(p for r in rows for c in r for p in (_paragraph(q, numbering) for q in c.paragraphs) if p)
    cells = [[_cell(c.text) for c in r] for r in rows]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    header = cells[0]
    body = [r for r in cells[1:] if r != header]  # a header row repeated on each page is dropped
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)
