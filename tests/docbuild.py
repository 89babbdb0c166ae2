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


# --- one plan in every form: the guard tests' document --------------------------------------
# Written without a toned capital inside mixed-case text, since TCVN3 has no codes for those.
PLAN = {
    "header": [("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
               ("TỈNH BÌNH MINH", "Độc lập - Tự do - Hạnh phúc"),
               ("Số: 27/KH-UBND", "Bình Minh, ngày 15 tháng 5 năm 2025")],
    "kind": "KẾ HOẠCH",
    "subject": "Triển khai chuyển đổi số trong quản lý đất đai năm 2025",
    "preamble": ("Thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị, Uỷ ban nhân dân tỉnh "
                 "ban hành Kế hoạch triển khai chuyển đổi số trong quản lý đất đai năm 2025 như sau:"),
    # (roman, heading, [(item heading or sentence, [lettered duties])])
    "parts": [
        ("I", "MỤC ĐÍCH, YÊU CẦU", [
            ("Mục đích", ["Nâng cao hiệu quả quản lý nhà nước về đất đai{fn} bằng dữ liệu số dùng chung, "
                          "phục vụ người dân và doanh nghiệp nhanh chóng, minh bạch."]),
            ("Yêu cầu", ["Xác định rõ nhiệm vụ, cơ quan chủ trì, cơ quan phối hợp và thời hạn hoàn thành "
                         "của từng nhiệm vụ; bảo đảm an toàn dữ liệu theo quy định."])]),
        ("II", "NHIỆM VỤ CỤ THỂ", [
            ("Số hóa hồ sơ địa chính", [
                "Sở Nông nghiệp và Môi trường chủ trì, phối hợp với Sở Tài chính số hóa toàn bộ hồ sơ địa "
                "chính còn lưu trữ giấy tại Văn phòng đăng ký đất đai; hoàn thành trước ngày 30/9/2025.",
                "Sở Xây dựng chủ trì, phối hợp với Công an tỉnh cập nhật dữ liệu quy hoạch xây dựng vào cơ sở "
                "dữ liệu đất đai dùng chung của tỉnh trước ngày 31/10/2025."]),
            ("Đào tạo kỹ năng số", [
                "Sở Nội vụ chủ trì, phối hợp với Sở Khoa học và Công nghệ tổ chức tập huấn kỹ năng số cho cán "
                "bộ địa chính cấp xã; hoàn thành trước ngày 15/8/2025."])]),
        ("III", "TỔ CHỨC THỰC HIỆN", [
            ("Sở Nông nghiệp và Môi trường là cơ quan thường trực, theo dõi, đôn đốc việc thực hiện Kế hoạch; "
             "tổng hợp, báo cáo Chủ tịch Uỷ ban nhân dân tỉnh trước ngày 15/12/2025.", []),
            ("Sở Tài chính tham mưu bố trí kinh phí thực hiện Kế hoạch từ nguồn ngân sách tỉnh năm 2025.", [])])],
    "footnote": "Theo Luật Đất đai số 31/2024/QH15 ngày 18/01/2024 của Quốc hội.",
    "recipients": ["Bộ Nông nghiệp và Môi trường;", "Thường trực Tỉnh ủy;", "Các sở, ban, ngành tỉnh;", "Lưu: VT."],
    "signature": ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Văn Thành"],
    "appendix": "PHỤ LỤC: DANH MỤC NHIỆM VỤ",
    "table": [["STT", "Nội dung thực hiện", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn"]] + [
        [str(i), task, lead, partners, due] for i, (task, lead, partners, due) in enumerate([
            ("Xây dựng cơ sở dữ liệu giá đất của tỉnh", "Sở Tài chính", "Sở Nông nghiệp và Môi trường", "30/9/2025"),
            ("Kết nối cơ sở dữ liệu đất đai với cơ sở dữ liệu quốc gia về dân cư", "Công an tỉnh",
             "Sở Nông nghiệp và Môi trường", "31/10/2025"),
            ("Cung cấp dịch vụ công trực tuyến toàn trình về đăng ký đất đai", "Sở Nông nghiệp và Môi trường",
             "Văn phòng Uỷ ban nhân dân tỉnh", "30/11/2025"),
            ("Tuyên truyền về dịch vụ công trực tuyến trong lĩnh vực đất đai", "Sở Văn hóa, Thể thao và Du lịch",
             "Báo Bình Minh", "Thường xuyên"),
            ("Bảo đảm an toàn thông tin cho hệ thống thông tin đất đai", "Sở Khoa học và Công nghệ",
             "Công an tỉnh", "31/12/2025"),
            ("Rà soát thủ tục hành chính lĩnh vực đất đai để cắt giảm giấy tờ", "Sở Tư pháp",
             "Sở Nông nghiệp và Môi trường", "31/7/2025"),
            ("Đào tạo cán bộ vận hành cơ sở dữ liệu đất đai cấp xã", "Sở Nội vụ",
             "Sở Nông nghiệp và Môi trường", "15/9/2025"),
            ("Đánh giá kết quả chuyển đổi số trong quản lý đất đai", "Sở Khoa học và Công nghệ",
             "Sở Nội vụ", "15/12/2025")], 1)],
}
SUP1 = "¹"


def _plan_body(footnote: bool) -> list[tuple[str, str]]:
    """The plan's body as (kind, text) blocks: "part" / "item" / "letter" / "para" / "footnote"."""
    out: list[tuple[str, str]] = []
    for roman, heading, items in PLAN["parts"]:
        out.append(("part", f"{roman}. {heading}"))
        for n, (item, letters) in enumerate(items, 1):
            out.append(("item", f"{n}. {item}"))
            paras = letters if roman == "I" else []
            for k, text in enumerate([] if roman == "I" else letters):
                out.append(("letter", f"{'abcdefgh'[k]}) {text}"))
            for text in paras:
                out.append(("para", text.replace("{fn}", SUP1 if footnote else "")))
                if footnote and "{fn}" in text:
                    out.append(("footnote", f"{SUP1} {PLAN['footnote']}"))
    return out


def _md_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def plan_text(footnote: bool = True, markdown: bool = False) -> str:
    """The plan typed as a plain-text file (two-column header and signature typed with spaces),
    or as Markdown (headings marked, the header one line each)."""
    lines: list[str] = []
    if markdown:
        lines += [left for left, _ in PLAN["header"]] + [right for _, right in PLAN["header"]] + [""]
        lines += [f"# {PLAN['kind']}", "", f"**{PLAN['subject']}**", ""]
    else:
        lines += [f"{left:<36}{right}" for left, right in PLAN["header"]] + [""]
        lines += [" " * 30 + PLAN["kind"], " " * 14 + PLAN["subject"], ""]
    lines += [PLAN["preamble"], ""]
    for kind, text in _plan_body(footnote):
        prefix = {"part": "## ", "item": "### "}.get(kind, "") if markdown else ""
        lines += [prefix + text, ""]
    sig = PLAN["signature"]
    rec = ["Nơi nhận:"] + [f"- {r}" for r in PLAN["recipients"]]
    for i in range(max(len(rec), len(sig))):
        left = rec[i] if i < len(rec) else ""
        lines.append(f"{left:<44}{sig[i]}" if i < len(sig) else left)
    lines += ["", PLAN["appendix"], "", _md_table(PLAN["table"]), ""]
    return "\n".join(lines)


def make_plan_docx(path: Path) -> Path:
    """The plan as Word writes it: the header and signature in borderless layout tables, parts,
    items and lettered duties numbered by Word itself (one multi-level list in numbering.xml:
    "I." / "1." / "a)"), the task table in Table Grid with its header row."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    numbering = d.part.numbering_part.element
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate([("upperRoman", "%1."), ("decimal", "%2."), ("lowerLetter", "%3)")]))
    numbering.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{levels}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int) -> None:
        p = d.add_paragraph(text.split(" ", 1)[1])
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))

    def layout(left: list[str], right: list[str]) -> None:
        t = d.add_table(rows=1, cols=2)
        for cell, lines in zip(t.rows[0].cells, (left, right)):
            cell.text = lines[0]
            for line in lines[1:]:
                cell.add_paragraph(line)

    layout([left for left, _ in PLAN["header"]], [right for _, right in PLAN["header"]])
    d.add_paragraph(PLAN["kind"])
    d.add_paragraph(PLAN["subject"])
    d.add_paragraph(PLAN["preamble"])
    for kind, text in _plan_body(footnote=False):
        if kind in ("part", "item", "letter"):
            numbered(text, ("part", "item", "letter").index(kind))
        else:
            d.add_paragraph(text)
    layout(["Nơi nhận:"] + [f"- {r}" for r in PLAN["recipients"]], PLAN["signature"])
    d.add_paragraph(PLAN["appendix"])
    rows = PLAN["table"]
    t = d.add_table(rows=len(rows), cols=len(rows[0]))
    t.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            t.cell(r, c).text = cell
    d.save(path)
    return path


def make_plan_pdf(path: Path) -> Path:
    """The plan printed: a running header and "Trang i/n" on every page, the footnote at the
    foot of the page citing it, the task table ruled and cut by a page break (its header row
    repeated on the next page)."""
    from fpdf import FPDF

    class Plan(FPDF):
        def header(self):
            self.set_font("DejaVu", size=8)
            self.set_xy(20, 8)
            self.cell(170, 5, "Kế hoạch số 27/KH-UBND của Uỷ ban nhân dân tỉnh Bình Minh")
            self.set_y(20)

        def footer(self):
            if self.page_no() == 1:  # the footnote at the foot of the page that cites it
                self.set_font("DejaVu", size=8)
                self.set_xy(20, 275)
                self.multi_cell(170, 4, f"1 {PLAN['footnote']}")
            self.set_font("DejaVu", size=9)
            self.set_xy(95, 285)
            self.cell(20, 5, f"Trang {self.page_no()}/{{nb}}")

    pdf = Plan(format="A4")
    pdf.alias_nb_pages()
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT.with_name("DejaVuSans-Bold.ttf")))
    pdf.set_auto_page_break(True, margin=25)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("DejaVu", size=10)
    for left, right in PLAN["header"]:
        pdf.cell(75, 5, left)
        pdf.cell(95, 5, right, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.cell(170, 6, PLAN["kind"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(170, 6, PLAN["subject"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for text in [PLAN["preamble"]] + [t for k, t in _plan_body(footnote=True) if k != "footnote"]:
        pdf.multi_cell(170, 5, text.replace(SUP1, "1"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(1)
    sig = PLAN["signature"]
    rec = ["Nơi nhận:"] + [f"- {r}" for r in PLAN["recipients"]]
    for i, left in enumerate(rec):
        pdf.cell(100, 5, left)
        pdf.cell(70, 5, sig[i] if i < len(sig) else "", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(170, 7, PLAN["appendix"], new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(12, 60, 36, 36, 26), repeat_headings=1) as table:
        for row in PLAN["table"]:
            r = table.row()
            for cell in row:
                r.cell(cell)
    pdf.output(str(path))
    return path


def plan_html() -> str:
    """The plan as a provincial portal publishes it: site header, menu, breadcrumbs, the
    document in <article> (header and signature in layout tables, items in <ol>, the task
    table), a "Tin liên quan" sidebar and a footer with "Lượt xem"."""
    import html

    e = html.escape
    parts = []
    for roman, heading, items in PLAN["parts"]:
        lis = []
        for item, letters in items:
            if roman == "I":
                body = "".join(f"<p>{e(t).replace('{fn}', '<sup>1</sup>')}</p>" for t in letters)
                lis.append(f"<li><p><b>{e(item)}</b></p>{body}</li>")
            elif letters:
                sub = "".join(f"<li>{e(t)}</li>" for t in letters)
                lis.append(f"<li><p><b>{e(item)}</b></p><ol type=\"a\">{sub}</ol></li>")
            else:
                lis.append(f"<li>{e(item)}</li>")
        parts.append(f"<h3>{roman}. {e(heading)}</h3><ol>{''.join(lis)}</ol>")
    head = "".join(f"<td>{'<br>'.join(e(x) for x in col)}</td>" for col in zip(*PLAN["header"]))
    rec = "<br>".join(["<b>Nơi nhận:</b>"] + [f"- {e(r)}" for r in PLAN["recipients"]])
    rows = PLAN["table"]
    table = ("<tr>" + "".join(f"<th>{e(c)}</th>" for c in rows[0]) + "</tr>"
             + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:]))
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Kế hoạch 27/KH-UBND</title>
<style>body{{font-family:serif}}</style><script>var views=0;</script></head><body>
<header class="site-header"><div class="brand">CỔNG THÔNG TIN ĐIỆN TỬ TỈNH BÌNH MINH</div>
<form class="search"><input name="q"><button>Tìm</button></form></header>
<nav class="menu"><ul><li><a href="/">Trang chủ</a></li><li><a href="/van-ban">Văn bản</a></li></ul></nav>
<div class="breadcrumb"><a href="/">Trang chủ</a> › <a href="/van-ban">Văn bản chỉ đạo điều hành</a></div>
<div class="wrap"><article class="document">
<p class="post-meta">Ngày đăng: 16/05/2025 | Chuyên mục: Văn bản</p>
<table class="doc-header"><tr>{head}</tr></table>
<h2>{e(PLAN['kind'])}</h2><p><b>{e(PLAN['subject'])}</b></p>
<p>{e(PLAN['preamble'])}</p>
{''.join(parts)}
<table class="signature"><tr><td>{rec}</td><td>{'<br>'.join(e(s) for s in PLAN['signature'])}</td></tr></table>
<h3>{e(PLAN['appendix'])}</h3><table border="1">{table}</table>
<p><sup>1</sup> {e(PLAN['footnote'])}</p>
<p>Lượt xem: 1.024</p>
</article>
<aside class="related"><h4>Tin liên quan</h4><ul><li><a href="#">Sở Tài chính chủ trì hội nghị về giá đất</a></li>
<li><a href="#">Công an tỉnh phối hợp làm sạch dữ liệu dân cư</a></li></ul></aside></div>
<footer class="site-footer"><p>CỔNG THÔNG TIN ĐIỆN TỬ TỈNH BÌNH MINH</p><p>Lượt xem: 120.345</p></footer>
</body></html>"""


def make_plan_files(d: Path) -> dict[str, Path]:
    """The plan in its six forms under ``d``."""
    from ingest.vnfonts import encode_tcvn3

    files = {"txt": d / "kh27.txt", "md": d / "kh27.md", "docx": d / "kh27.docx", "pdf": d / "kh27.pdf",
             "html": d / "kh27.html", "tcvn3": d / "kh27_tcvn3.txt"}
    files["txt"].write_text(plan_text(), encoding="utf-8")
    files["md"].write_text(plan_text(markdown=True), encoding="utf-8")
    make_plan_docx(files["docx"])
    make_plan_pdf(files["pdf"])
    files["html"].write_text(plan_html(), encoding="utf-8")
    # TCVN3 has no "¹": the legacy file carries no footnote
    files["tcvn3"].write_bytes(encode_tcvn3(plan_text(footnote=False)).replace(b"\n", b"\r\n"))
    return files
