"""What the app shows, as plain functions of index data: passages with the cited span
highlighted, source tables, obligation rows and their exports, document metadata, and the
question filters. No Gradio here, so each piece is testable on its own."""
from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.types import Answer, Citation
from index.filters import DocMeta, SearchFilter
from index.rows import filter_obligations
from ingest.types import Obligation

CONTEXT_CHARS = 500  # shown on each side of a cited passage (widened to whole lines)
LABEL_CHARS = 110  # a long trích yếu is cut here in lists (the whole label is the tooltip)


# --- documents named as officials name them ---------------------------------------------
def doc_label(meta: dict | None, name: str) -> str:
    """"số hiệu — trích yếu"; the document type stands in for a missing số hiệu; the file
    name only when the header gives neither."""
    m = meta or {}
    num = _field(m.get("so_hieu"))
    about = _field(m.get("trich_yeu")) or _field(m.get("title"))
    if about:
        about = about[0].upper() + about[1:]
    head = num or _field(m.get("loai"))
    if about and head:
        return f"{head} — {about}"
    return about or num or name


def _field(v) -> str:
    s = "" if v is None else " ".join(str(v).split())
    return "" if s in ("None", "null") else s


def doc_labels(docs: list[dict]) -> dict[str, str]:
    """File name -> label, unique: two documents with the same label get their issuer, then
    their file name, after it."""
    labels = {d["name"]: doc_label(d, d["name"]) for d in docs}
    seen: dict[str, int] = {}
    for lab in labels.values():
        seen[lab] = seen.get(lab, 0) + 1
    by_name = {d["name"]: d for d in docs}
    for name, lab in list(labels.items()):
        if seen[lab] > 1:
            issuer = _field(by_name[name].get("co_quan_ban_hanh"))
            labels[name] = f"{lab} ({issuer})" if issuer else f"{lab} ({name})"
    if len(set(labels.values())) < len(labels):
        labels = {n: (f"{lab} ({n})" if lab != n else n) for n, lab in labels.items()}
    return labels


def short(label: str, n: int = LABEL_CHARS) -> str:
    return label if len(label) <= n else label[:n - 1].rstrip() + "…"


def name_documents(text: str, labels: dict[str, str]) -> str:
    """An answer's text with each file name replaced by the document's label; "Title (file)",
    where the title is already written out, becomes "Title (số hiệu)" or just "Title"."""
    for name in sorted(labels, key=len, reverse=True):
        if name not in text or labels[name] == name:
            continue
        head = labels[name].split(" — ", 1)[0]
        numbered = " — " in labels[name] and any(ch.isdigit() for ch in head)
        text = text.replace(f" ({name})", f" ({head})" if numbered else "")
        text = text.replace(name, labels[name])
    return text


# --- passages -------------------------------------------------------------------------
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use marks of the cited span, kept through rendering
_BLOCK_PREFIX = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|\|[ \t]*)")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    # bold, italics, headings and tables render; numbering ("1.", "-", "+") stays as written,
    # raw HTML is escaped, indentation is never code
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable("table")
    return md.disable(["list", "code", "fence", "blockquote", "lheading", "hr", "html_block", "html_inline",
                       "reference", "link", "image", "autolink"])


def _mark_at(text: str, pos: int, opening: bool) -> int:
    """Where a span mark goes so that it does not break the line's markdown: after a heading's
    "#"s or a table row's leading pipe, before a trailing pipe."""
    line_start = text.rfind("\n", 0, pos) + 1
    if opening:
        m = _BLOCK_PREFIX.match(text, line_start)
        if m and line_start <= pos < m.end():
            return m.end()
    else:
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        if text[pos:line_end].strip() == "":
            stripped = text[line_start:pos].rstrip()
            if stripped.endswith("|"):
                return line_start + len(stripped) - 1
    return pos


def render_marked(text: str, start: int, end: int, base: int = 0) -> str:
    """``text`` rendered from markdown, with ``text[start:end]`` inside <mark> (split at tag
    boundaries, so the highlight covers exactly the span even across bold text or cells);
    ``base`` is where ``text`` starts in its document (the mark's data-start/-end are there)."""
    a, b = _mark_at(text, start, True), _mark_at(text, end, False)
    b = max(a, b)
    src = text[:a] + _OPEN + text[a:b] + _CLOSE + text[b:]
    out, inside = [], False
    for piece in _TAG_OR_TEXT.split(_markdown().render(src)):
        if piece.startswith("<"):
            out.append(f"</mark>{piece}<mark>" if inside else piece)
            continue
        while piece:
            mark = _CLOSE if inside else _OPEN
            i = piece.find(mark)
            if i < 0:
                out.append(piece)
                break
            out.append(piece[:i] + ("</mark>" if inside else f'<mark data-start="{base + start}" data-end="{base + end}">'))
            inside, piece = not inside, piece[i + 1:]
    html_out = "".join(out)
    return re.sub(r"<mark>(\s*)</mark>", r"\1", html_out).replace(_OPEN, "").replace(_CLOSE, "")


def render_markdown(text: str) -> str:
    return _markdown().render(text)


def passage_html(text: str, label: str, section: str, breadcrumb: tuple[str, ...] | list[str],
                 start: int, end: int, tooltip: str = "") -> str:
    """``text[start:end]`` highlighted in its surroundings (whole lines), rendered, under the
    document's label and the section breadcrumb."""
    a = max(0, start - CONTEXT_CHARS)
    a = text.rfind("\n", 0, a) + 1 if a else 0
    b = min(len(text), end + CONTEXT_CHARS)
    nl = text.find("\n", b)
    b = len(text) if nl < 0 else nl
    crumb = " › ".join(html.escape(h) for h in breadcrumb) or "Phần mở đầu"
    title = f' title="{html.escape(tooltip)}"' if tooltip else ""
    return (f'<div class="tracuu-crumb"><span class="tracuu-doc"{title}>{html.escape(label)}</span>'
            f' — mục {html.escape(section or "mở đầu")} — <span class="tracuu-breadcrumb">{crumb}</span></div>'
            f'<div class="tracuu-context">{"<p>…</p>" if a else ""}{render_marked(text[a:b], start - a, end - a, a)}'
            f'{"<p>…</p>" if b < len(text) else ""}</div>')


def context_html(text: str, c: Citation, label: str | None = None) -> str:
    """The cited passage in its document, highlighted exactly at the citation's span."""
    return passage_html(text, f"[{c.n}] {label or c.doc}", c.section, c.breadcrumb, c.start, c.end,
                        tooltip=c.doc)


def nearest_citations(ans: Answer, n: int = 5) -> list[Citation]:
    """For a refusal: the nearest passages, shaped as citations so they open highlighted too."""
    return [Citation(i, h.chunk.doc, h.chunk.section, h.chunk.text, h.chunk.start, h.chunk.end,
                     tuple(h.chunk.breadcrumb)) for i, h in enumerate(ans.hits[:n], 1)]


def linkify(text: str, numbers: set[int], answer_id: str = "") -> str:
    """'[1]' -> a link the page script turns into 'open citation 1 of this answer' (see
    app.CLICK_JS); the answer's id keeps every answer's links to its own citations."""
    ref = f"{answer_id}-" if answer_id else ""
    return re.sub(r"\[(\d+)\]", lambda m: f"[[{m[1]}]](#cite-{ref}{m[1]})" if int(m[1]) in numbers else m[0], text)


def unlinkify(text: str) -> str:
    return re.sub(r"\[\[(\d+)\]\]\(#cite-[\w-]*?\d+\)", r"[\1]", text)


def quote_html(quote: str, limit: int = 400) -> str:
    """A quote rendered on its own: it may start or end inside bold text or a table, so an
    unpaired emphasis marker is dropped rather than shown, and table rows read as cells."""
    q = quote if len(quote) <= limit else quote[:limit - 1] + "…"
    for marker, pattern in (("**", r"\*\*"), ("__", r"__")):
        if q.count(marker) % 2:
            q = re.sub(pattern, "", q)
    if len(re.findall(r"(?<!\*)\*(?!\*)", q)) % 2:
        q = re.sub(r"(?<!\*)\*(?!\*)", "", q)
    lines = []
    for line in q.split("\n"):
        if line.strip().startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = "" if all(set(c) <= set("-: ") for c in cells) else " · ".join(c for c in cells if c)
        lines.append(line)
    return render_markdown("\n".join(lines))


def _relevance(rank: int, total: int) -> str:
    """A rank as a short bar: officials compare passages, they do not read scores."""
    full = max(1, round(5 * (total - rank + 1) / max(total, 1)))
    return f'<span class="tracuu-bar" title="Mức liên quan: hạng {rank}/{total}">{"▮" * full}{"▯" * (5 - full)}</span>'


def sources_html(record: dict, selected: int | None = None) -> str:
    """One answer's sources: each citation's document label (file name as tooltip), section and
    quote (rendered), as links that open the passage; for a refusal, the nearest passages by
    rank. ``record`` is an answer as the app stores it (see app.answer_record)."""
    cites = record.get("citations") or []
    aid = html.escape(record.get("id", ""))
    q = html.escape(record.get("question", ""))
    if not cites:
        return f'<div class="tracuu-sources"><p class="tracuu-q">«{q}»</p><p><em>Không có đoạn nào liên quan.</em></p></div>'
    head = ("Các đoạn gần nhất (chưa đủ căn cứ để trả lời)" if record.get("refused")
            else f"Nguồn trích dẫn ({len(cites)})")
    items = []
    for c in cites:
        sel = ' class="selected"' if selected == c["n"] else ""
        bar = _relevance(c["n"], len(cites)) if record.get("refused") else ""
        items.append(
            f'<li{sel}><a href="#cite-{aid}-{c["n"]}">[{c["n"]}]</a> '
            f'<span class="tracuu-doc" title="{html.escape(c["doc"])}">{html.escape(short(c.get("label") or c["doc"]))}</span>'
            f', mục {html.escape(c.get("section") or "mở đầu")} {bar}'
            f'<div class="tracuu-quote">{quote_html(c["quote"])}</div></li>')
    return (f'<div class="tracuu-sources"><p class="tracuu-q">«{q}»</p><p><strong>{head}</strong></p>'
            f'<ol>{"".join(items)}</ol></div>')


# --- obligations ----------------------------------------------------------------------
OBLIGATION_HEADERS = ["Văn bản", "Mục", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời hạn"]


@dataclass(frozen=True)
class ObligationFilter:
    agency: str = ""
    role: str = "any"  # "any" | "lead" | "partner"
    doc: str = ""
    deadline: str = ""
    text: str = ""


def filter_rows(rows: list[Obligation], f: ObligationFilter) -> list[Obligation]:
    return filter_obligations(rows, f.agency, f.doc, f.role, f.text, f.deadline)


def obligation_record(r: Obligation, labels: dict[str, str] | None = None) -> list:
    return [(labels or {}).get(r.doc, r.doc), r.section or "mở đầu", r.task, "; ".join(r.lead),
            "; ".join(r.partners), r.deadline or ""]


def export_csv(rows: list[Obligation], path: Path, labels: dict[str, str] | None = None) -> Path:
    # utf-8-sig: Excel opens a BOM-marked CSV as UTF-8, so Vietnamese shows correctly
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(OBLIGATION_HEADERS)
        w.writerows(obligation_record(r, labels) for r in rows)
    return path


def export_xlsx(rows: list[Obligation], path: Path, labels: dict[str, str] | None = None) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Nghĩa vụ"
    ws.append(OBLIGATION_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(obligation_record(r, labels))
    for col, width in zip("ABCDEF", (40, 10, 70, 40, 40, 24)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    wb.save(path)
    return path


# --- documents ------------------------------------------------------------------------
# the document's label first, then the header fields an official reads; internal fields
# (file hash, chunk count, spans) are not shown
DOC_COLUMNS = [("loai", "Loại"), ("co_quan_ban_hanh", "Cơ quan ban hành"), ("noi_ban_hanh", "Nơi ban hành"),
               ("ngay_ban_hanh", "Ngày ban hành"), ("nguoi_ky", "Người ký"), ("noi_nhan", "Nơi nhận"),
               ("ingested_at", "Ngày nạp")]


def document_table(docs: list[dict]) -> tuple[list[str], list[list]]:
    """Headers and rows: "Văn bản" (số hiệu — trích yếu), then the known header fields that
    some document states (a field no document has is left out), a value one document lacks
    left blank."""
    labels = doc_labels(docs)
    cols = [(k, h) for k, h in DOC_COLUMNS if any(_field(d.get(k)) not in ("", "[]", "{}") for d in docs)]
    rows = [[labels[d["name"]]] + [_plain(d.get(k)) for k, _ in cols] for d in docs]
    return ["Văn bản"] + [h for _, h in cols], rows


def _plain(v) -> str | int:
    if v is None or v == "None":
        return ""
    if isinstance(v, (list, tuple)):
        return "; ".join(map(str, v))
    if isinstance(v, dict):
        return "; ".join(f"{k}: {x}" for k, x in v.items())
    return v if isinstance(v, int) else str(v)


def document_choices(docs: list[dict]) -> list[tuple[str, str]]:
    """(label, file name) pairs for pickers: officials choose by label, the app gets the name."""
    labels = doc_labels(docs)
    return sorted(((short(labels[d["name"]]), d["name"]) for d in docs), key=lambda p: p[0].lower())


# --- question filters -------------------------------------------------------------------
def document_years(meta: dict[str, DocMeta]) -> list[str]:
    """Years a filter can choose from: the documents' filter fields (index.filters.doc_meta,
    stored at ingest), newest first."""
    return sorted({str(m.year) for m in meta.values() if m.year}, reverse=True)


class NoDocumentMatches(Exception):
    pass


def question_filters(meta: dict[str, DocMeta], chosen: list[str] | None, issuer: str = "",
                     year: str = "") -> dict:
    """The search arguments for a question's filters — the one place the app turns filter
    widgets into ``Assistant.stream`` keyword arguments: a SearchFilter the index applies
    inside its search, over the filter fields it stored at ingest (``meta``: name ->
    DocMeta). Raises NoDocumentMatches when the filters leave no document, rather than
    silently searching everything."""
    year = str(year or "").strip()
    f = SearchFilter(docs=tuple(chosen or ()), issuer=(issuer or "").strip() or None,
                     year=int(year) if year.isdigit() else None)
    if year and not year.isdigit() or f and not any(f.allows(m) for m in meta.values()):
        raise NoDocumentMatches("Không có văn bản nào khớp bộ lọc (văn bản, cơ quan ban hành, năm).")
    return {"filters": f or None}
