"""Page-layout repair and footnotes (ingest.layout), on the sample plan whose footnotes the
page foot wedged into its paragraphs (000), and on small texts built here."""
from __future__ import annotations

from collections import Counter

import pytest

from conftest import SAMPLE
from ingest import load_document
from ingest.layout import footnotes, reflow, unfold_columns
from ingest.pipeline import normalise_text
from ingest.structure import classify

PLAN_000 = SAMPLE / "000_6c111f925bb37fef.txt"


@pytest.fixture(scope="module")
def doc000():
    return load_document(PLAN_000)


def test_reflow_changes_no_word(doc000) -> None:
    for f in sorted(SAMPLE.glob("*.txt")):
        raw = f.read_text(encoding="utf-8")
        assert Counter(load_document(f).text.split()) == Counter(raw.split()), f.name


def test_wedged_footnote_is_moved_out_and_the_paragraph_reads_whole(doc000) -> None:
    t = doc000.text
    # in the file, footnote ¹ sits between "… các đồng chí lãnh đạo" and "Đảng, Nhà nước, …"
    assert "kết luận của các đồng chí lãnh đạo Đảng, Nhà nước, nhất là ý kiến chỉ đạo" in t
    # footnote ¹ itself was cut by the page and continued after a later paragraph
    assert "tôn vinh Chủ tịch Hồ Chí Minh, anh hùng giải phóng dân tộc, danh nhân văn hóa thế giới" in t
    # a paragraph cut by a page break without any footnote
    assert "là đối tác tin cậy và là thành viên tích cực, có trách nhiệm của cộng đồng quốc tế" in t


def test_footnotes_parsed_and_attached_to_the_citing_place(doc000) -> None:
    notes = {n.number: n for n in doc000.footnotes}
    assert sorted(notes) == list(range(1, 12))
    t = doc000.text
    four = notes[4]
    assert t[four.start:four.end].startswith("⁴ Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự")
    a, b = four.marker
    assert t[a:b] == "⁴" and t[a - len("quốc phòng"):a] == "quốc phòng"
    # the footnote follows the paragraph that cites it, in the same section
    section_of = lambda pos: max((s for s in doc000.sections if s.start <= pos < s.end),  # noqa: E731
                                 key=lambda s: s.start).path
    for n in notes.values():
        assert n.marker is not None and n.marker[0] < n.start
        assert section_of(n.start) == section_of(n.marker[0]), n.number
        # only the citing paragraph and the footnotes it also cites lie between marker and note
        assert "\n- " not in t[n.marker[1]:n.start] and "\n+ " not in t[n.marker[1]:n.start]
    assert section_of(four.start) == "II.2"
    chunk = next(c for c in doc000.chunks if c.start <= four.start < c.end)
    assert "bốn không" in chunk.text and chunk.section == "II.2"


def test_no_chunk_is_interrupted_by_a_footnote(doc000) -> None:
    for c in doc000.chunks:
        lines = [ln for ln in c.text.split("\n") if ln.strip()]
        for i, ln in enumerate(lines[1:], 1):  # a footnote line is never followed by the rest of a sentence
            if ln[:1] in "¹²³⁴⁵⁶⁷⁸⁹" and i + 1 < len(lines):
                assert not lines[i + 1][:1].islower(), (c.ord, lines[i + 1][:60])


@pytest.mark.parametrize("path", sorted(SAMPLE.glob("*.txt")), ids=lambda p: p.name[:3])
def test_chunk_spans_round_trip(path) -> None:
    d = load_document(path)
    for c in d.chunks:
        assert d.text[c.start:c.end] == c.text
    for n in d.footnotes:
        assert d.text[n.start:n.end].split(" ", 1)[0].strip("¹²³⁴⁵⁶⁷⁸⁹⁰") == ""


def test_reflow_small_cases() -> None:
    text = ("1. Nội dung\n\n- Thông tin về an ninh, quốc phòng⁴ và văn hóa của tỉnh trên các\n\n"
            "⁴ Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự.\n\n"
            "phương tiện thông tin đại chúng.\n\n- Mục sau.\n")
    out = reflow(text)
    assert out == ("1. Nội dung\n\n- Thông tin về an ninh, quốc phòng⁴ và văn hóa của tỉnh trên các "
                   "phương tiện thông tin đại chúng.\n\n"
                   "⁴ Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự.\n\n- Mục sau.\n")
    [n] = footnotes(out)
    assert out[n.marker[0]:n.marker[1]] == "⁴" and out[n.start:n.end].startswith("⁴ Chính sách")
    # nothing to repair: the text is returned as it was
    plain = "KẾ HOẠCH\nThử\n\nI. MỤC ĐÍCH\n\n- Một.\n- Hai;\n\nNơi nhận:\n- Lưu VT.\n"
    assert reflow(plain) == plain
    assert normalise_text("\n\n" + plain) == "\n\n" + plain


def test_typed_footnotes_are_found_when_a_marker_cites_them() -> None:
    """"(1) …" after "huyện(1)" is a footnote; a "(1) …" list nobody cites is not."""
    text = ("Ban Chỉ đạo 35 huyện(1) chỉ đạo lực lượng nòng cốt.\nBan Tuyên giáo tổng hợp.\n"
            "_______________\n(1) Ban Chỉ đạo thực hiện Nghị quyết số 35-NQ/TW.\n")
    notes = footnotes(text)
    assert [n.number for n in notes] == [1]
    assert text[notes[0].start:notes[0].end].startswith("(1) Ban Chỉ đạo thực hiện")
    assert text[notes[0].marker[0]:notes[0].marker[1]] == "(1)" and notes[0].marker[0] == text.index("(1)")
    assert footnotes("Nhiệm vụ:\n(1) Tăng cường tuyên truyền.\n(2) Kiểm tra, giám sát.\n") == []


def test_footnote_found_by_search(sample_index, embedder) -> None:
    from index.search import Searcher

    hits = Searcher(sample_index, embedder).search("chính sách quốc phòng bốn không là gì", k=5)
    assert any("⁴ Chính sách quốc phòng “bốn không”" in h.chunk.text for h in hits)


def test_table_rows_keep_their_column_headers_in_every_chunk(tmp_path) -> None:
    rows = "\n".join(f"| Nhiệm vụ số {i}: tổ chức tuyên truyền thông tin đối ngoại tại cơ sở {i} | Sở Nội vụ | "
                     f"Quý {['I', 'II', 'III', 'IV'][i % 4]}/2025 |" for i in range(40))
    f = tmp_path / "bang.md"
    f.write_text("KẾ HOẠCH\nThử\n\nI. PHÂN CÔNG\n\n| Nhiệm vụ | Cơ quan chủ trì | Thời gian |\n|---|---|---|\n"
                 + rows + "\n", encoding="utf-8")
    doc = load_document(f)
    table = [c for c in doc.chunks if "| Sở Nội vụ |" in c.text]
    assert len(table) > 1  # the table is longer than one chunk
    assert table[0].context == "" and table[0].text.startswith("I. PHÂN CÔNG")
    for c in table[1:]:
        assert c.context == "Nhiệm vụ | Cơ quan chủ trì | Thời gian"
        assert c.text.startswith("| Nhiệm vụ số") and doc.text[c.start:c.end] == c.text
    assert len(doc.obligations) == 40 and {o.source for o in doc.obligations} == {"table"}


def test_pdf_footnote_at_page_foot_is_moved_out_of_the_cut_paragraph(tmp_path) -> None:
    from tests.docbuild import make_pdf

    cut = "- Thông tin về an ninh, quốc phòng4 và văn hóa của tỉnh, tiếp tục đẩy mạnh công tác tuyên truyền " \
          "trên các phương tiện thông tin đại chúng"
    f = make_pdf(tmp_path / "kh.pdf", [["KẾ HOẠCH", "Thử nghiệm", "I. NỘI DUNG", "1. Thông tin", cut],
                                       ["trong năm 2024 và các năm tiếp theo.", "2. Yêu cầu", "- Bảo đảm bí mật."]],
                 header="ĐẢNG ỦY KHỐI",
                 footnotes=[["4 Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự."]])
    doc = load_document(f)
    whole = "quốc phòng⁴ và văn hóa của tỉnh, tiếp tục đẩy mạnh công tác tuyên truyền trên các phương tiện " \
            "thông tin đại chúng trong năm 2024 và các năm tiếp theo.\n\n⁴ Chính sách quốc phòng “bốn không”"
    assert whole in doc.text and "ĐẢNG ỦY KHỐI" not in doc.text
    [n] = doc.footnotes
    assert doc.text[n.marker[0]:n.marker[1]] == "⁴"
    holder = next(c for c in doc.chunks if c.start <= n.start < c.end)
    assert holder.section == "I.1" and doc.text[holder.start:holder.end] == holder.text


@pytest.mark.parametrize("line,kind,label", [
    ("PHỤ LỤC", "appendix", "Phụ lục"), ("PHỤ LỤC DANH MỤC SẢN PHẨM OCOP", "appendix", "Phụ lục"),
    ("Phụ lục: Danh mục nhiệm vụ", "appendix", "Phụ lục"), ("Phụ lục I", "appendix", "Phụ lục I"),
    ("PHỤ LỤC II: BIỂU MẪU BÁO CÁO", "appendix", "Phụ lục II"), ("**PHỤ LỤC**", "appendix", "Phụ lục"),
    ("Phụ lục kèm theo Kế hoạch này gồm 3 biểu mẫu.", "text", ""),
])
def test_appendix_headings(line: str, kind: str, label: str) -> None:
    got = classify(line, 0)
    assert (got.kind, got.label) == (kind, label)


def test_typed_columns_unfold_left_then_right() -> None:
    typed = ("UỶ BAN NHÂN DÂN                    CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
             "  TỈNH NGHỆ AN                          Độc lập - Tự do - Hạnh phúc\n"
             "                                     ---------------\n"
             "Số: 15/CT-UBND                         Nghệ An, ngày 29 tháng 8 năm 2025\n\n"
             "        CHỈ THỊ\nVề nhiệm vụ năm học   2025-2026\n")
    assert unfold_columns(typed) == (
        "UỶ BAN NHÂN DÂN\nTỈNH NGHỆ AN\nSố: 15/CT-UBND\nCỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "Độc lập - Tự do - Hạnh phúc\n---------------\nNghệ An, ngày 29 tháng 8 năm 2025\n\n"
        "        CHỈ THỊ\nVề nhiệm vụ năm học   2025-2026\n")  # a gap before column 24 is not a column
