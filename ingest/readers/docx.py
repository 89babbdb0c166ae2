"""Word documents (.docx, via python-docx): body paragraphs and tables in document order.

Paragraphs become lines separated by a blank line. A table becomes a markdown table (header
row, separator, one line per row), the form ingest.structure and the obligation extractor
read, so each row keeps its column headers."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ingest.readers import register
from ingest.types import IngestError


@register(".docx")
def read_docx(path: Path, data: bytes) -> str:
    import docx
    from docx.table import Table

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError(str(path), "not a valid DOCX file (truncated or not a Word document)")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [_table(b) if isinstance(b, Table) else b.text.strip()
                  for b in document.iter_inner_content()]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise IngestError(str(path), f"not a valid DOCX file ({exc})") from exc
    except Exception as exc:  # lxml and python-docx raise many kinds on damaged parts
        raise IngestError(str(path), f"damaged DOCX file ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(b for b in blocks if b) + "\n"


def _cell(text: str) -> str:
    # one table row is one line: line breaks inside a cell become spaces, pipes are escaped
    return " ".join(text.split()).replace("|", "/")


def _table(table) -> str:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:  # merged cells repeat the same cell object: keep it once
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(_cell(cell.text))
        if any(cells):
            rows.append(cells)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)
