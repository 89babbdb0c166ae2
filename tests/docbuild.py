"""Build DOCX and PDF test fixtures in code (python-docx; fpdf2 with DejaVuSans from
Debian's fonts-dejavu-core, which has the Vietnamese letters)."""
from __future__ import annotations

from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_docx(path: Path, blocks: list) -> Path:
    """blocks: ("h1"|"h2"|"p", text) or ("table", [[header...], [row...], ...])."""
    import docx

    d = docx.Document()
    for kind, content in blocks:
        if kind == "table":
            t = d.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, cell in enumerate(row):
                    t.cell(r, c).text = cell
        elif kind.startswith("h"):
            d.add_heading(content, level=int(kind[1]))
        else:
            d.add_paragraph(content)
    d.save(path)
    return path


def make_pdf(path: Path, pages: list[list[str]], header: str | None = None,
             page_numbers: bool = True, width: float = 170, footnotes: list[list[str]] | None = None) -> Path:
    """One PDF page per list of paragraphs; each paragraph is wrapped to the page width by
    fpdf2, so lines break mid-sentence as in a real PDF. ``header`` repeats on every page,
    "Trang i/n" goes at the foot, and ``footnotes[i]`` lines sit at the bottom of page i."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONT))
    for i, paras in enumerate(pages):
        pdf.add_page()
        pdf.set_font("DejaVu", size=11)
        if header:
            pdf.set_xy(20, 10)
            pdf.cell(width, 6, header)
        pdf.set_xy(20, 25)
        for p in paras:
            pdf.set_x(20)
            pdf.multi_cell(width, 6, p)
            pdf.ln(2)
        if footnotes and i < len(footnotes):
            pdf.set_font("DejaVu", size=8)
            pdf.set_xy(20, 250)
            for f in footnotes[i]:
                pdf.set_x(20)
                pdf.multi_cell(width, 4, f)
        if page_numbers:
            pdf.set_font("DejaVu", size=9)
            pdf.set_xy(95, 285)
            pdf.cell(20, 5, f"Trang {i + 1}/{len(pages)}")
    pdf.output(str(path))
    return path


def make_blank_pdf(path: Path, pages: int = 1) -> Path:
    """A PDF of pages without a text layer (like a scan)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    for _ in range(pages):
        pdf.add_page()
        pdf.rect(20, 20, 100, 50, style="F")
    pdf.output(str(path))
    return path
