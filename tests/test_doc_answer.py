"""Questions about a document itself (who issued it, when, who signed it) are answered from
its header metadata and cite the header or preamble line that says so."""
import re

import pytest

from conftest import TAY_NINH

CAO_BANG, NINH_BINH, TTXVN = "001_2acf101d37e4caff.txt", "000_6c111f925bb37fef.txt", "004_35685223f3c2ca9d.txt"


def _cited_exactly(assistant, ans):
    assert ans.citations and not ans.refused
    for c in ans.citations:
        assert assistant.searcher.document_text(c.doc)[c.start:c.end] == c.quote
        assert f"[{c.n}]" in ans.text


@pytest.mark.parametrize("question,doc,value,in_quote", [
    ("Cơ quan nào ban hành kế hoạch thông tin đối ngoại của Tây Ninh?", TAY_NINH, "Ủy ban nhân dân tỉnh",
     "Ủy ban nhân dân tỉnh ban hành Kế hoạch"),
    ("co quan nao ban hanh ke hoach thong tin doi ngoai cua Tay Ninh", TAY_NINH, "Ủy ban nhân dân tỉnh",
     "Ủy ban nhân dân tỉnh ban hành Kế hoạch"),
    ("Who issued the plan of Cao Bang?", CAO_BANG, "Sở Văn hóa, Thể thao và Du lịch", "của Sở Văn hóa"),
    ("Ai ký Kế hoạch số 144-KH/ĐUK?", NINH_BINH, "Trần Văn Thuận", "Trần Văn Thuận"),
    ("Kế hoạch tuyên truyền thông tin đối ngoại của Cao Bằng ban hành ngày nào?", CAO_BANG, "09/4/2021",
     "Cao Bằng, ngày 09 tháng 4 năm 2021"),
])
def test_header_fields_answered_and_cited(assistant, question, doc, value, in_quote):
    ans = assistant.ask(question)
    _cited_exactly(assistant, ans)
    assert value in ans.text
    assert ans.citations[0].doc == doc and in_quote in ans.citations[0].quote


def test_issuer_quote_is_the_clause_that_names_it_not_the_whole_preamble(assistant):
    ans = assistant.ask("Cơ quan nào ban hành kế hoạch thông tin đối ngoại của Tây Ninh?")
    quote = ans.citations[0].quote
    # the preamble lists six implemented documents separated by ";": only the last clause is quoted
    assert quote.startswith("Công văn số 3089/BTTTT-TTĐN") and "Nghị định số 72/2015" not in quote


def test_numbers_pick_loaded_plans_and_cited_ones(assistant):
    ans = assistant.ask("Kế hoạch số 144-KH/ĐUK và Kế hoạch số 129-KH/ĐUK do cơ quan nào ban hành?")
    _cited_exactly(assistant, ans)
    assert [c.doc for c in ans.citations] == [NINH_BINH, TTXVN]
    assert "Ban Thường vụ Đảng ủy Khối Cơ quan và Doanh nghiệp tỉnh" in ans.text  # the loaded plan's header
    assert "do Ban Thường vụ Đảng ủy Khối các cơ quan Trung ương ban hành" in ans.text  # the citing row


def test_a_cited_directive_is_not_answered_with_a_plan_issuer(assistant):
    ans = assistant.ask("Kết luận 57-KL/TW do ai ban hành?")
    _cited_exactly(assistant, ans)
    assert "Bộ Chính trị" in ans.text and "Cơ quan ban hành:" not in ans.text


def test_plans_of_a_year_listed_with_their_dates(assistant):
    ans = assistant.ask("Những kế hoạch nào được ban hành năm 2021, vào ngày nào?")
    _cited_exactly(assistant, ans)
    assert {c.doc for c in ans.citations} == {CAO_BANG} and "09/4/2021" in ans.text


def test_a_date_the_header_does_not_state_is_not_invented(assistant):
    ans = assistant.ask("Kế hoạch số 144-KH/ĐUK ban hành ngày nào?")
    _cited_exactly(assistant, ans)
    assert "không ghi" in ans.text
    # no date of some cited document offered instead
    assert not re.search(r"\d{1,2}/\d{1,2}/\d{4}", ans.text.split("«")[0])


def test_a_duty_to_prepare_a_plan_is_not_the_plan_issuer(assistant):
    ans = assistant.ask("Đơn vị nào tham mưu xây dựng kế hoạch ở Thông tấn xã Việt Nam?")
    assert not ans.refused and "Cơ quan ban hành:" not in ans.text
    assert "Ban Tuyên giáo Đảng ủy TTXVN" in ans.text and ans.citations[0].section.startswith("IV")


def test_what_a_plan_implements_is_not_a_header_question(assistant):
    ans = assistant.ask("Kế hoạch của Tây Ninh được ban hành để thực hiện những văn bản nào?")
    assert not ans.refused and "Cơ quan ban hành:" not in ans.text
    # answered from the preamble, which names the implemented documents by number
    c = ans.citations[0]
    assert c.doc == TAY_NINH and c.section == "" and re.search(r"\d+(/\d{4})?[-/][A-ZĐ]+", c.quote)
