"""How the extractive answerer quotes and refuses, on two small plans written for these tests
(real index, real embedding model): a list item cut at ";" is one unit and is quoted whole, a
section heading is read with the sentence below it, a question the plans do not answer is
refused."""
from __future__ import annotations

import pytest

from assistant.terms import QuestionTerms, terms_of
from index import lexical

PROVINCE = """ỦY BAN NHÂN DÂN
TỈNH HÒA BÌNH

Số: 12/KH-UBND

Hòa Bình, ngày 10 tháng 3 năm 2025

KẾ HOẠCH
Phát triển văn hóa đọc năm 2025

Thực hiện Quyết định số 329/QĐ-TTg ngày 15/3/2017 của Thủ tướng Chính phủ, Ủy ban nhân dân tỉnh ban hành Kế hoạch phát triển văn hóa đọc năm 2025 như sau:

I. MỤC ĐÍCH, YÊU CẦU

1. Mục đích

- Nâng cao nhận thức của cộng đồng về vai trò của sách và việc đọc sách.

2. Yêu cầu

- Việc triển khai bảo đảm sự phối hợp chặt chẽ và theo phương châm “thiết thực, tiết kiệm, lan tỏa”.

II. NHIỆM VỤ

1. Xây dựng tủ sách cộng đồng

- Tổ chức các điểm đọc sách tại nhà văn hóa thôn, bản; vận động quyên góp sách cho học sinh vùng cao; tặng sách cho các trường học khu vực biên giới.

- Cơ quan chủ trì: Sở Văn hóa, Thể thao và Du lịch.
- Cơ quan phối hợp: Sở Giáo dục và Đào tạo.
- Thời gian thực hiện: Quý II/2025.

III. KINH PHÍ THỰC HIỆN

Từ nguồn ngân sách tỉnh và nguồn xã hội hóa.

IV. TỔ CHỨC THỰC HIỆN

1. Sở Giáo dục và Đào tạo

- Chỉ đạo các trường học tổ chức Ngày Sách và Văn hóa đọc Việt Nam hằng năm.

CHỦ TỊCH

Nguyễn Văn Bình
"""

DISTRICT = """LIÊN ĐOÀN LAO ĐỘNG TỈNH HÒA BÌNH
LĐLĐ HUYỆN LẠC SƠN

Lạc Sơn, ngày 02 tháng 4 năm 2025

KẾ HOẠCH
Hưởng ứng Ngày Sách và Văn hóa đọc Việt Nam năm 2025

Thực hiện Kế hoạch số 12/KH-UBND ngày 10/3/2025 của Ủy ban nhân dân tỉnh, Ban Thường vụ Liên đoàn Lao động huyện Lạc Sơn xây dựng kế hoạch như sau:

I. NỘI DUNG

1. Các công đoàn cơ sở tổ chức giới thiệu sách cho đoàn viên, người lao động.

II. KINH PHÍ

Công đoàn huyện bố trí kinh phí thực hiện theo quy định.

TM. BAN THƯỜNG VỤ

Trần Thị Lan
"""
PROVINCE_DOC, DISTRICT_DOC = "hoa_binh_van_hoa_doc.txt", "lac_son_ngay_sach.txt"


@pytest.fixture(scope="module")
def small(tmp_path_factory, embedder):
    from assistant.service import Assistant
    from index.indexer import Indexer

    src = tmp_path_factory.mktemp("plans")
    (src / PROVINCE_DOC).write_text(PROVINCE, encoding="utf-8")
    (src / DISTRICT_DOC).write_text(DISTRICT, encoding="utf-8")
    idx = tmp_path_factory.mktemp("index")
    report = Indexer(idx, embedder).ingest([src])
    assert report.count("added") == 2 and not report.errors
    return Assistant(idx, embedder)


def _answer(small, question):
    ans = small.ask(question)
    for c in ans.citations:  # every quote is the stored text at its span
        assert small.searcher.document_text(c.doc)[c.start:c.end] == c.quote
        assert f"[{c.n}]" in ans.text
    return ans


def test_a_list_cut_at_semicolons_is_quoted_whole(small):
    ans = _answer(small, "Tủ sách cộng đồng ở Hòa Bình gồm những hoạt động nào về sách?")
    assert not ans.refused
    quote = ans.citations[0].quote
    assert "điểm đọc sách" in quote and "quyên góp sách" in quote, quote


def test_a_heading_is_read_with_the_sentence_below_it(small):
    ans = _answer(small, "Kinh phí thực hiện kế hoạch văn hóa đọc của tỉnh Hòa Bình lấy từ nguồn nào?")
    assert not ans.refused
    first = ans.citations[0]
    assert first.doc == PROVINCE_DOC and first.quote.startswith("Từ nguồn ngân sách tỉnh"), first.quote


@pytest.mark.parametrize("question", [
    "Công thức nấu phở bò gồm những gì?",  # "phở bò" is not "phố … bộ" when typed with marks
])
def test_questions_the_plans_do_not_answer_are_refused(small, question):
    ans = _answer(small, question)
    assert ans.refused and not ans.citations, ans.text


def test_marked_syllables_match_as_written_unmarked_ones_match_any_marks():
    idf = lambda t: 1.0  # noqa: E731 - every word equally rare
    marked = QuestionTerms("phở bò", lexical.query_tokens("phở bò"), idf)
    plain = QuestionTerms("pho bo", lexical.query_tokens("pho bo"), idf)
    street = terms_of("phố bộ")
    assert marked.cover(street) == 0.0
    assert plain.cover(street) == 1.0
    assert marked.cover(terms_of("món phở bò")) == 1.0
