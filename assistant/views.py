"""What the app shows, as plain functions of index data: passages with the cited span
highlighted, source tables, obligation rows and their exports, document metadata, and the
question filters. No Gradio here, so each piece is testable on its own."""
from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from pathlib import Path

from assistant.types import Answer, Citation
from index.rows import filter_obligations, text_matcher
from index.types import Hit
from ingest.agencies import canonical
from ingest.normalize import display
from ingest.types import Obligation

CONTEXT_CHARS = 500  # shown on each side of a cited passage
HEADER_CHARS = 800  # where a document without header metadata names its issuer and date


# --- passages -------------------------------------------------------------------------
def passage_html(text: str, label: str, section: str, breadcrumb: tuple[str, ...] | list[str],
                 start: int, end: int) -> str:
    """``text[start:end]`` marked in its surroundings, under its section breadcrumb."""
    a = max(0, start - CONTEXT_CHARS)
    b = min(len(text), end + CONTEXT_CHARS)
    crumb = " › ".join(html.escape(h) for h in breadcrumb) or "Phần mở đầu"
    return (f'<div class="tracuu-crumb">{html.escape(label)} — mục {html.escape(section or "mở đầu")}'
            f' — <span class="tracuu-breadcrumb">{crumb}</span></div>'
            f'<div class="tracuu-context">{"…" if a else ""}{html.escape(text[a:start])}'
            f'<mark data-start="{start}" data-end="{end}">{html.escape(text[start:end])}</mark>'
            f'{html.escape(text[end:b])}{"…" if b < len(text) else ""}</div>')


def context_html(text: str, c: Citation) -> str:
    """The cited passage in its document, highlighted exactly at the citation's span."""
    return passage_html(text, f"[{c.n}] {c.doc}", c.section, c.breadcrumb, c.start, c.end)


def citation_label(c: Citation) -> str:
    return f"[{c.n}] {c.doc} — mục {c.section or 'mở đầu'}"


def nearest_citations(ans: Answer, n: int = 5) -> list[Citation]:
    """For a refusal: the nearest passages, shaped as citations so they open highlighted too."""
    return [Citation(i, h.chunk.doc, h.chunk.section, h.chunk.text, h.chunk.start, h.chunk.end,
                     tuple(h.chunk.breadcrumb)) for i, h in enumerate(ans.hits[:n], 1)]


def linkify(text: str, numbers: set[int]) -> str:
    """'[1]' -> a link the page script turns into 'open citation 1' (see app.CLICK_JS)."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[[{m[1]}]](#cite-{m[1]})" if int(m[1]) in numbers else m[0], text)


def unlinkify(text: str) -> str:
    return re.sub(r"\[\[(\d+)\]\]\(#cite-\d+\)", r"[\1]", text)


def _score(c: Citation, hits: list[Hit]) -> float | None:
    """The retrieval score of the passage holding the quote (or, for a quote from an
    obligation row, of a retrieved passage of the same section)."""
    for h in hits:
        if h.chunk.doc == c.doc and h.chunk.start < c.end and c.start < h.chunk.end:
            return h.score
    return next((h.score for h in hits if h.chunk.doc == c.doc and h.chunk.section == c.section), None)


def _cell(s: str) -> str:
    return html.escape(s).replace("|", "\\|").replace("\n", " ")


def sources_markdown(ans: Answer) -> str:
    """Every source of the answer (document, section, retrieval score, quote); for a refusal,
    the nearest passages."""
    if not ans.citations:
        if not ans.hits:
            return "_Không có đoạn nào liên quan._"
        rows = [f"| [{i}] | {_cell(h.chunk.doc)} | {_cell(h.chunk.section or 'mở đầu')} | {h.score:.4f} |"
                for i, h in enumerate(ans.hits[:5], 1)]
        return ("**Các đoạn gần nhất (chưa đủ căn cứ để trả lời):**\n\n| | Văn bản | Mục | Điểm |\n|---|---|---|---|\n"
                + "\n".join(rows))
    rows = []
    for c in ans.citations:
        s = _score(c, ans.hits)
        rows.append(f"| [{c.n}] | {_cell(c.doc)} | {_cell(c.section or 'mở đầu')} | "
                    f"{'—' if s is None else f'{s:.4f}'} | {_cell(display(c.quote)[:160])} |")
    out = ("**Nguồn trích dẫn**\n\n| | Văn bản | Mục | Điểm | Trích |\n|---|---|---|---|---|\n" + "\n".join(rows))
    if ans.hits:
        found = [f"| {_cell(h.chunk.doc)} | {_cell(h.chunk.section or 'mở đầu')} | {h.score:.4f} |"
                 for h in ans.hits]
        out += ("\n\n<details><summary>Các đoạn đã tìm được</summary>\n\n| Văn bản | Mục | Điểm |\n|---|---|---|\n"
                + "\n".join(found) + "\n\n</details>")
    return out


# --- obligations ----------------------------------------------------------------------
OBLIGATION_HEADERS = ["Văn bản", "Mục", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời hạn", "Vị trí"]


@dataclass(frozen=True)
class ObligationFilter:
    agency: str = ""
    role: str = "any"  # "any" | "lead" | "partner"
    doc: str = ""
    deadline: str = ""
    text: str = ""


def filter_rows(rows: list[Obligation], f: ObligationFilter) -> list[Obligation]:
    return filter_obligations(rows, f.agency, f.doc, f.role, f.text, f.deadline)


def obligation_record(r: Obligation) -> list:
    return [r.doc, r.section, r.task, "; ".join(r.lead), "; ".join(r.partners), r.deadline or "",
            f"{r.start}-{r.end}"]


def export_csv(rows: list[Obligation], path: Path) -> Path:
    # utf-8-sig: Excel opens a BOM-marked CSV as UTF-8, so Vietnamese shows correctly
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(OBLIGATION_HEADERS)
        w.writerows(obligation_record(r) for r in rows)
    return path


def export_xlsx(rows: list[Obligation], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Nghĩa vụ"
    ws.append(OBLIGATION_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(obligation_record(r))
    for col, width in zip("ABCDEFG", (28, 10, 70, 40, 40, 24, 14)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.save(path)
    return path


# --- documents ------------------------------------------------------------------------
# header fields first (the ingest stage adds them as it learns to read them), the long title
# last so the short columns stay in view
DOC_COLUMNS = [("name", "Tệp"), ("so_hieu", "Số hiệu"), ("loai", "Loại"),
               ("co_quan_ban_hanh", "Cơ quan ban hành"), ("noi_ban_hanh", "Nơi ban hành"),
               ("ngay_ban_hanh", "Ngày ban hành"), ("nguoi_ky", "Người ký"), ("chunks", "Số đoạn"),
               ("ingested_at", "Thời điểm nạp"), ("title", "Tiêu đề"), ("trich_yeu", "Trích yếu"),
               ("noi_nhan", "Nơi nhận")]
HIDDEN_DOC_KEYS = {"text", "sections", "sha256"}


def document_table(docs: list[dict]) -> tuple[list[str], list[list]]:
    """Headers and rows for whatever metadata the index holds: known fields in a fixed
    order (a field no document has is left out), unknown extra fields after them, a value
    one document lacks left blank."""
    always = {"name", "title", "chunks"}
    cols = [(k, h) for k, h in DOC_COLUMNS if k in always or any(d.get(k) not in (None, "", [], {}) for d in docs)]
    known = {k for k, _ in DOC_COLUMNS}
    extra = sorted({k for d in docs for k in d} - known - HIDDEN_DOC_KEYS)
    keys = [k for k, _ in cols] + extra
    rows = [[_plain(d.get(k)) for k in keys] for d in docs]
    return [h for _, h in cols] + extra, rows


def _plain(v) -> str | int:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(map(str, v))
    if isinstance(v, dict):
        return "; ".join(f"{k}: {x}" for k, x in v.items())
    return v if isinstance(v, int) else str(v)


# --- question filters -------------------------------------------------------------------
def _issuer_of(d: dict, head: str) -> str:
    return str(d.get("co_quan_ban_hanh") or d.get("issuer") or head)


def _year_of(d: dict, head: str) -> str | None:
    for key in ("ngay_ban_hanh", "date", "nam"):
        m = re.search(r"(19|20)\d\d", str(d.get(key) or ""))
        if m:
            return m[0]
    m = re.search(r"năm\s+((?:19|20)\d\d)|\d{1,2}/\d{1,2}/((?:19|20)\d\d)", head)
    return (m[1] or m[2]) if m else None


def document_years(docs: list[dict], header) -> list[str]:
    """Years a filter can choose from; ``header(name)`` gives a document's opening text."""
    return sorted({y for d in docs if (y := _year_of(d, header(d["name"]))) is not None}, reverse=True)


class NoDocumentMatches(Exception):
    pass


def question_filters(docs: list[dict], header, chosen: list[str] | None, issuer: str = "",
                     year: str = "") -> dict:
    """The search arguments for a question's filters — the one place the app turns filter
    widgets into ``Assistant.stream`` keyword arguments (today ``docs=``).

    Issuer and year come from the documents' header metadata when the index has it, else
    from the opening text of the document (``header(name)``). Raises NoDocumentMatches when
    the filters leave no document, rather than silently searching everything."""
    names = [d["name"] for d in docs]
    keep = [n for n in names if n in set(chosen)] if chosen else list(names)
    if issuer and issuer.strip():
        match = text_matcher(canonical(issuer))  # "UBND" and "Ủy ban nhân dân" alike, on both sides
        by_name = {d["name"]: d for d in docs}
        keep = [n for n in keep if match(canonical(_issuer_of(by_name[n], header(n))))]
    if year and str(year).strip():
        by_name = {d["name"]: d for d in docs}
        keep = [n for n in keep if _year_of(by_name[n], header(n)) == str(year).strip()]
    if not keep:
        raise NoDocumentMatches("Không có văn bản nào khớp bộ lọc (văn bản, cơ quan ban hành, năm).")
    return {"docs": keep if len(keep) < len(names) else None}
