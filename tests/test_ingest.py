from pathlib import Path

import pytest

from conftest import SAMPLE, TAY_NINH
from ingest import IngestError, load_document
from ingest.chunker import DEFAULT_MAX_TOKENS
from ingest.structure import lines
from ingest.tokens import count_tokens

DOCS = sorted(SAMPLE.glob("*.txt"))


@pytest.fixture(scope="module")
def docs():
    return {p.name: load_document(p) for p in DOCS}


def test_sample_corpus_is_the_five_plans():
    assert [p.name for p in DOCS] == ["000_6c111f925bb37fef.txt", "001_2acf101d37e4caff.txt",
                                      TAY_NINH, "003_c1ee218e7dc2fd12.txt", "004_35685223f3c2ca9d.txt"]


def test_every_chunk_span_is_exact_and_under_the_cap(docs):
    for doc in docs.values():
        assert doc.chunks
        for c in doc.chunks:
            assert doc.text[c.start:c.end] == c.text
            assert c.tokens == count_tokens(c.text) <= 350
            assert c.text == c.text.strip()


def test_chunks_never_cross_a_top_level_part(docs):
    for doc in docs.values():
        tops = [s for s in doc.sections if s.level == 1]
        for c in doc.chunks:
            starts = [s.start for s in tops if c.start < s.start < c.end]
            assert not starts, (doc.name, c.section)


def test_tay_ninh_sections_follow_the_numbering(docs):
    doc = docs[TAY_NINH]
    paths = [s.path for s in doc.sections]
    for p in ["I", "I.1", "II", "II.2", "II.5.a", "II.5.b", "II.7", "II.7.a", "II.7.b", "II.7.c",
              "III", "IV", "IV.6", "Nơi nhận"]:
        assert p in paths
    sec = next(s for s in doc.sections if s.path == "II.7.a")
    assert sec.breadcrumb[0] == "II. NỘI DUNG KẾ HOẠCH"
    assert sec.breadcrumb[1] == "7. Đẩy mạnh tuyên truyền thông tin đối ngoại khu vực biên giới"
    assert doc.text[sec.start:sec.end].startswith("a) Tăng cường sản xuất nội dung")
    assert "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh." in doc.text[sec.start:sec.end]


RESOLUTION = """HỘI ĐỒNG NHÂN DÂN
TỈNH THỬ NGHIỆM
Số: 05/2026/NQ-HĐND

NGHỊ QUYẾT
Quy định mức hỗ trợ học sinh vùng cao

QUYẾT NGHỊ:

Chương I
QUY ĐỊNH CHUNG

Điều 1. Đối tượng áp dụng
1. Học sinh trung học cơ sở người dân tộc thiểu số.
2. Học sinh trung học phổ thông người dân tộc thiểu số.

Chương II
MỨC HỖ TRỢ

Điều 2. Mức hỗ trợ
1. Học sinh trung học cơ sở được hỗ trợ 500.000 đồng/tháng.
2. Học sinh trung học phổ thông được hỗ trợ 800.000 đồng/tháng:
a) Tối đa 9 tháng mỗi năm học;
b) Chi trả theo học kỳ.
Điều chỉnh mức hỗ trợ khi giá cả tăng trên 10%.

Điều 3. Hiệu lực thi hành
Nghị quyết này có hiệu lực từ ngày 01 tháng 4 năm 2026.
"""


def test_articles_and_chapters_of_a_resolution_are_its_sections(tmp_path):
    """A resolution, decision or regulation numbers by "Chương" and "Điều": the clause "1." of
    Điều 2 is read under its article (not as the document's first item 1.), so a citation says
    where it is and its units carry the article's heading."""
    path = tmp_path / "nq.txt"
    path.write_text(RESOLUTION, encoding="utf-8")
    doc = load_document(path)
    paths = [s.path for s in doc.sections]
    for p in ["Chương I", "Chương I.Điều 1", "Chương I.Điều 1.1", "Chương II.Điều 2",
              "Chương II.Điều 2.2", "Chương II.Điều 2.2.a", "Chương II.Điều 3"]:
        assert p in paths, paths
    sec = next(s for s in doc.sections if s.path == "Chương II.Điều 2.1")
    assert doc.text[sec.start:sec.end].startswith("1. Học sinh trung học cơ sở được hỗ trợ 500.000")
    assert sec.breadcrumb[-2] == "Điều 2. Mức hỗ trợ"
    # "Điều chỉnh …" is prose inside Điều 2.2, not an article
    assert not any(s.heading.startswith("Điều chỉnh") for s in doc.sections)
    last = next(s for s in doc.sections if s.path == "Chương II.Điều 2.2")
    assert "Điều chỉnh mức hỗ trợ" in doc.text[last.start:last.end]
    unit = next(u for u in doc.units if u.text.startswith("1. Học sinh trung học cơ sở được hỗ trợ"))
    assert doc.text[unit.start:unit.end] == unit.text


def test_heading_alone_on_its_line_stays_with_its_body(docs):
    for doc in docs.values():
        parsed = lines(doc.text)
        for i, ln in enumerate(parsed[:-1]):
            nxt = parsed[i + 1]
            # a heading line long enough to carry its own body text (a page-cut paragraph joined
            # to "2.1. …" in 003) may end its chunk; a title alone on its line never does
            if ln.kind in ("roman", "num", "letter") and nxt.kind in ("text", "bullet") \
                    and count_tokens(ln.text) <= DEFAULT_MAX_TOKENS // 4:
                # the chunk holding the heading also holds the first line of its body
                holder = next(c for c in doc.chunks if c.start <= ln.start < c.end)
                assert holder.end >= nxt.end or holder.end > nxt.start, (doc.name, ln.text)
    flagship = next(c for c in docs[TAY_NINH].chunks if c.section == "II.7.a")
    assert flagship.text.startswith("7. Đẩy mạnh tuyên truyền thông tin đối ngoại khu vực biên giới")


def test_markdown_decorated_headings_are_parsed(docs):
    doc = docs["001_2acf101d37e4caff.txt"]
    paths = {s.path: s for s in doc.sections}
    assert paths["I.1"].breadcrumb == ("I. MỤC ĐÍCH, YÊU CẦU", "1. Mục đích")
    assert paths["IV.2"].heading.startswith("#### **2. Phòng Văn hóa và Thông tin")
    assert doc.title == "KẾ HOẠCH Tuyên truyền công tác thông tin đối ngoại năm 2021"


def test_plan_numbered_2_1_keeps_its_path(docs):
    doc = docs["003_c1ee218e7dc2fd12.txt"]
    assert [s.path for s in doc.sections if s.path.split(".")[0] == "II"] == \
        ["II", "II.2.1", "II.2", "II.3", "II.4", "II.5"]


def test_small_cap_splits_between_sentences(tmp_path):
    doc = load_document(SAMPLE / TAY_NINH, max_tokens=80)
    for c in doc.chunks:
        assert c.tokens <= 80
        assert doc.text[c.start:c.end] == c.text
    # no chunk starts mid-word
    assert all(c.start == 0 or not doc.text[c.start - 1].isalnum() for c in doc.chunks)


def test_bom_crlf_and_nfd_are_normalised(tmp_path):
    import unicodedata
    body = "KẾ HOẠCH\r\nThử nghiệm\r\n\r\nI. MỤC ĐÍCH\r\n\r\n1. Mục đích\r\n\r\n- Cơ quan chủ trì: Sở Ngoại vụ.\r\n"
    f = tmp_path / "bom.txt"
    f.write_bytes(b"\xef\xbb\xbf" + unicodedata.normalize("NFD", body).encode("utf-8"))
    doc = load_document(f)
    assert doc.text.startswith("KẾ HOẠCH\nThử nghiệm")
    assert "\r" not in doc.text and "\ufeff" not in doc.text
    assert doc.text == unicodedata.normalize("NFC", doc.text)
    assert [s.path for s in doc.sections] == ["", "I", "I.1"]


@pytest.mark.parametrize("name,data,reason", [
    ("empty.txt", b"", "tệp rỗng"),
    ("blank.md", b"  \n\n \n", "tệp rỗng"),
    ("binary.txt", b"\x00\x01\x02PK\x03\x04" * 50, "dữ liệu nhị phân (byte NUL)"),
    ("latin.txt", "Cơ quan".encode("utf-16-le"), "dữ liệu nhị phân (byte NUL)"),
    # 8-bit text that is neither Vietnamese code page nor a legacy Vietnamese font (TCVN3, VNI)
    ("western.txt", b"Gr\xfc\xdfe aus M\xfcnchen, \xd6ffnungszeiten \xe4ndern", "không nhận ra bảng mã của văn bản"),
    ("plan.xyz", b"hello", "không hỗ trợ loại tệp '.xyz'"),
])
def test_bad_files_give_a_clear_error_naming_the_file(tmp_path, name, data, reason):
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(IngestError) as err:
        load_document(f)
    assert str(f) in str(err.value) and reason in str(err.value)


def test_line_classification():
    kinds = [(ln.kind, ln.label) for ln in lines("II. NỘI DUNG\n2.1. Đẩy mạnh\na) Tăng cường\n- ý\n+ ý\n"
                                                 "### **III. TỔ CHỨC**\n30/6/2025 là hạn\nNơi nhận:")]
    assert kinds == [("roman", "II"), ("num", "2.1"), ("letter", "a"), ("bullet", ""), ("bullet", ""),
                     ("roman", "III"), ("text", ""), ("recipients", "Nơi nhận")]


def test_a_line_without_its_numbering_marker():
    from ingest.structure import unmarked

    assert unmarked("3. Thực hiện tốt 2 việc") == "Thực hiện tốt 2 việc"
    assert unmarked("1.2. Đến năm 2025 có 80% xã") == "Đến năm 2025 có 80% xã"
    assert unmarked("b) Sở Tài chính bố trí 12 tỷ đồng") == "Sở Tài chính bố trí 12 tỷ đồng"
    assert unmarked("Điều 5. Hiệu lực thi hành") == "Hiệu lực thi hành"
    assert unmarked("- 3 đoàn kiểm tra") == "3 đoàn kiểm tra"
    assert unmarked("**2.** Tổ chức") == "Tổ chức"
    # a date or a count that opens a line is what it states, not a marker
    assert unmarked("12/3/2024 ký ban hành") == "12/3/2024 ký ban hành"
    assert unmarked("Năm 2025, 3 xã đạt chuẩn") == "Năm 2025, 3 xã đạt chuẩn"
