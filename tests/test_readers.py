"""Readers: every format and encoding officials send, built in code, and clear errors."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ingest.readers import read_text
from ingest.types import IngestError
from tests.docbuild import make_blank_pdf, make_docx, make_pdf

VI = "Cơ quan chủ trì: Sở Thông tin và Truyền thông; phối hợp: Ủy ban nhân dân các huyện, thị xã."
LONG = ("Các cấp ủy, tổ chức đảng, lãnh đạo các cơ quan, đơn vị tiếp tục nghiên cứu, học tập, quán triệt "
        "đường lối, chủ trương, chính sách của Đảng và Nhà nước về lĩnh vực thông tin đối ngoại theo văn "
        "kiện Đại hội lần thứ XIII của Đảng.")
LONG2 = ("Nội dung thông tin đối ngoại cần toàn diện, đầy đủ, có trọng tâm, trọng điểm; phương thức thể hiện "
         "đa dạng, hiện đại, đồng thời phát huy hiệu quả các phương thức thông tin truyền thống của tỉnh.")


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                          ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_unicode_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(bom + VI.encode(encoding))
    assert read_text(f)[0] == VI


def test_windows_1258_is_decoded_and_composed(tmp_path: Path) -> None:
    # cp1258 writes most tones as combining marks; the reader must give composed (NFC) text
    f = tmp_path / "legacy.txt"
    f.write_bytes(_cp1258_bytes(VI))
    text = read_text(f)[0]
    assert text == VI and unicodedata.is_normalized("NFC", text)


def _cp1258_bytes(text: str) -> bytes:
    """How Windows-1258 stores text: letters with circumflex/breve/horn precomposed where the
    code page has them, tone marks as separate combining characters."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in nfd if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in tones))
            out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def test_undetectable_encoding_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "tcvn3.txt"
    f.write_bytes(bytes(range(0xA1, 0xFF)) * 20)  # legacy font-encoded bytes: symbols in cp1258
    with pytest.raises(IngestError, match="tcvn3.txt.*cannot detect the text encoding"):
        read_text(f)


def test_docx_paragraphs_headings_and_tables_in_order(tmp_path: Path) -> None:
    f = make_docx(tmp_path / "kh.docx", [
        ("p", "KẾ HOẠCH"), ("h1", "I. MỤC ĐÍCH, YÊU CẦU"), ("p", LONG), ("h2", "1. Phân công"),
        ("table", [["Nhiệm vụ", "Cơ quan chủ trì", "Thời gian"],
                   ["Tập huấn nghiệp vụ", "Sở Thông tin và Truyền thông", "Quý III/2024"]]),
        ("p", "Nơi nhận:")])
    text = read_text(f)[0]
    order = ["KẾ HOẠCH", "I. MỤC ĐÍCH, YÊU CẦU", LONG, "1. Phân công",
             "| Nhiệm vụ | Cơ quan chủ trì | Thời gian |",
             "| Tập huấn nghiệp vụ | Sở Thông tin và Truyền thông | Quý III/2024 |", "Nơi nhận:"]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)


def test_pdf_drops_running_header_and_page_numbers_and_joins_lines(tmp_path: Path) -> None:
    f = make_pdf(tmp_path / "kh.pdf", [["KẾ HOẠCH", "I. MỤC ĐÍCH", "- " + LONG],
                                       ["1. Yêu cầu", "- " + LONG2]], header="ĐẢNG ỦY KHỐI CƠ QUAN")
    text = read_text(f)[0]
    assert "ĐẢNG ỦY KHỐI CƠ QUAN" not in text and "Trang" not in text
    assert "- " + LONG in text and "- " + LONG2 in text  # the wrapped lines are one paragraph again
    assert text.index("KẾ HOẠCH") < text.index("I. MỤC ĐÍCH") < text.index("1. Yêu cầu")


def test_pdf_keeps_footnotes_as_superscripts(tmp_path: Path) -> None:
    f = make_pdf(tmp_path / "fn.pdf", [["1. Nội dung", "- Thông tin về an ninh, quốc phòng4 và văn hóa của tỉnh."]],
                 footnotes=[["4 Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự."]])
    text = read_text(f)[0]
    assert "quốc phòng⁴ và" in text
    assert "⁴ Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự." in text


def test_html_keeps_blocks_and_drops_scripts(tmp_path: Path) -> None:
    f = tmp_path / "kh.html"
    f.write_text("<html><head><title>x</title><style>p{color:red}</style></head><body>"
                 "<script>var a = 'Sở Tài chính';</script><h1>KẾ HOẠCH</h1><p>I. MỤC ĐÍCH</p>"
                 "<ul><li>- Nội dung một</li><li>- Nội dung hai</li></ul>"
                 "<table><tr><th>Nhiệm vụ</th><th>Cơ quan chủ trì</th></tr>"
                 "<tr><td>Tập huấn</td><td>Sở Nội vụ</td></tr></table></body></html>", encoding="utf-8")
    text = read_text(f)[0]
    assert "Sở Tài chính" not in text and "color" not in text
    assert "KẾ HOẠCH\n\nI. MỤC ĐÍCH\n\n- Nội dung một\n\n- Nội dung hai" in text
    assert "| Nhiệm vụ | Cơ quan chủ trì |\n|---|---|\n| Tập huấn | Sở Nội vụ |" in text


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "file is empty"),
    ("blank.md", b"  \n\n ", "file is empty"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary content"),
    ("fake.pdf", b"hello, not a pdf", "not a PDF file"),
    ("fake.docx", b"PK\x03\x04 not really a zip", "not a valid DOCX"),
])
def test_bad_files_name_file_and_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(IngestError, match=reason) as err:
        read_text(f)
    assert name in str(err.value)


def test_truncated_docx_and_pdf(tmp_path: Path) -> None:
    d = make_docx(tmp_path / "cut.docx", [("p", LONG)])
    d.write_bytes(d.read_bytes()[:600])
    with pytest.raises(IngestError, match="cut.docx.*DOCX"):
        read_text(d)
    p = make_pdf(tmp_path / "cut.pdf", [[LONG]])
    p.write_bytes(p.read_bytes()[:400])
    with pytest.raises(IngestError, match="cut.pdf.*(damaged|truncated|no text layer)"):
        read_text(p)


def test_pdf_without_text_layer_needs_ocr(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="scan.pdf.*needs OCR"):
        read_text(make_blank_pdf(tmp_path / "scan.pdf", pages=2))


def test_size_limit_is_configurable(tmp_path: Path, monkeypatch) -> None:
    f = tmp_path / "big.txt"
    with open(f, "wb") as fh:  # 50 MB of text
        fh.write((VI + "\n").encode() * (50 * 1024 * 1024 // len((VI + "\n").encode()) + 1))
    with pytest.raises(IngestError, match="big.txt.*too large.*limit 20 MB"):
        read_text(f)
    monkeypatch.setenv("TRACUU_MAX_FILE_MB", "0.001")
    small = tmp_path / "small.txt"
    small.write_text(VI * 30, encoding="utf-8")
    with pytest.raises(IngestError, match="limit"):
        read_text(small)


def test_word_numbering_levels_formats_and_restart(tmp_path: Path) -> None:
    """numbering.xml: I. / 1. / a) levels, a deeper level restarting under each parent, and a
    second list instance with startOverride (Word's "restart at 1")."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    numbering = d.part.numbering_part.element
    levels = "".join(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{f}"/><w:lvlText w:val="{t}"/></w:lvl>'
                     for i, (f, t) in enumerate([("upperRoman", "%1."), ("decimal", "%2."), ("lowerLetter", "%3)")]))
    numbering.insert(0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="70">{levels}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="70"><w:abstractNumId w:val="70"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="71"><w:abstractNumId w:val="70"/>'
                               '<w:lvlOverride w:ilvl="1"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'))
    for text, level, num in [("MỤC ĐÍCH", 0, 70), ("Mục đích", 1, 70), ("Yêu cầu", 1, 70), ("Rõ việc", 2, 70),
                             ("Rõ người", 2, 70), ("NHIỆM VỤ", 0, 70), ("Tuyên truyền", 1, 70),
                             ("Tập huấn", 2, 70), ("Danh mục", 1, 71)]:
        p = d.add_paragraph(text)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>'))
    d.add_paragraph("Danh sách", style="List Number")  # numbered through its style
    d.save(tmp_path / "n.docx")
    text = read_text(tmp_path / "n.docx")[0]
    assert [ln for ln in text.split("\n") if ln][:9] == [
        "I. MỤC ĐÍCH", "1. Mục đích", "2. Yêu cầu", "a) Rõ việc", "b) Rõ người", "II. NHIỆM VỤ", "1. Tuyên truyền",
        "a) Tập huấn", "1. Danh mục"]
    assert re.search(r"(?m)^1\. Danh sách$", text)


def test_html_ordered_list_types_and_start(tmp_path: Path) -> None:
    f = tmp_path / "p.html"
    f.write_text('<html><body><article><ol type="I"><li>MỤC ĐÍCH</li><li>NHIỆM VỤ<ol start="3"><li>Tuyên truyền'
                 '<ol type="a"><li>Sở Nội vụ chủ trì</li><li>Sở Tư pháp phối hợp</li></ol></li></ol></li></ol>'
                 "</article></body></html>", encoding="utf-8")
    assert [ln for ln in read_text(f)[0].split("\n") if ln] == [
        "I. MỤC ĐÍCH", "II. NHIỆM VỤ", "3. Tuyên truyền", "a) Sở Nội vụ chủ trì", "b) Sở Tư pháp phối hợp"]


def test_pdf_table_ruled_with_lines(tmp_path: Path) -> None:
    """A table drawn with line segments (as ReportLab and Word draw grids), a cell wrapping
    onto two lines: one markdown row per table row, the cell's lines joined."""
    from fpdf import FPDF

    from tests.docbuild import FONT

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=10)
    pdf.add_page()
    pdf.text(20, 30, "Bảng phân công nhiệm vụ như sau:")
    xs, ys = [20, 80, 140, 190], [40, 50, 66, 76]
    for y in ys:
        pdf.line(xs[0], y, xs[-1], y)
    for x in xs:
        pdf.line(x, ys[0], x, ys[-1])
    for i, row in enumerate([["Nội dung thực hiện", "Cơ quan chủ trì", "Thời hạn"],
                             ["Tập huấn cán bộ cấp xã về", "Sở Nội vụ", "Quý III/2025"],
                             ["Rà soát văn bản", "Sở Tư pháp", "Thường xuyên"]]):
        for j, cell in enumerate(row):
            pdf.text(xs[j] + 2, ys[i] + 6, cell)
    pdf.text(xs[0] + 2, ys[1] + 12, "pháp luật mới")
    pdf.output(str(tmp_path / "t.pdf"))
    text = read_text(tmp_path / "t.pdf")[0]
    assert "| Nội dung thực hiện | Cơ quan chủ trì | Thời hạn |\n|---|---|---|\n" \
           "| Tập huấn cán bộ cấp xã về pháp luật mới | Sở Nội vụ | Quý III/2025 |\n" \
           "| Rà soát văn bản | Sở Tư pháp | Thường xuyên |" in text


def test_markdown_footnotes_read_as_superscripts(tmp_path: Path) -> None:
    from ingest import load_document

    f = tmp_path / "kh.md"
    f.write_text("## I. MỤC TIÊU\n\n- Bám sát Bộ tiêu chí xã nông thôn mới nâng cao[^1] của tỉnh.\n\n"
                 "## II. NHIỆM VỤ\n\n- Rà soát các tiêu chí.\n\n[^1]: Gồm 19 tiêu chí theo Bộ tiêu chí quốc gia.\n",
                 encoding="utf-8")
    doc = load_document(f)
    assert "nâng cao¹ của tỉnh." in doc.text
    (note,) = doc.footnotes
    assert doc.text[note.start:note.end] == "¹ Gồm 19 tiêu chí theo Bộ tiêu chí quốc gia." and note.marker is not None
    part_i = next(s for s in doc.sections if s.path == "I")
    assert part_i.start <= note.start < part_i.end  # moved after the paragraph citing it
