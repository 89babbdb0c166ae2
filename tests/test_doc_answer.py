"""Questions about a document itself (who issued it, when, who signed it) and about the
documents it cites are answered from header and cited-document units, quoted exactly."""
import pytest

from conftest import TAY_NINH

CAO_BANG, NINH_BINH, TTXVN = "001_2acf101d37e4caff.txt", "000_6c111f925bb37fef.txt", "004_35685223f3c2ca9d.txt"


def _cited_exactly(assistant, ans):
    assert ans.citations and not ans.refused, ans.text
    for c in ans.citations:
        assert assistant.searcher.document_text(c.doc)[c.start:c.end] == c.quote
        assert f"[{c.n}]" in ans.text


@pytest.mark.parametrize("question,doc,value", [
    ("Cơ quan nào ban hành kế hoạch thông tin đối ngoại của Tây Ninh?", TAY_NINH, "Ủy ban nhân dân tỉnh"),
    ("Kế hoạch tuyên truyền thông tin đối ngoại của Cao Bằng ban hành ngày nào?", CAO_BANG, "09 tháng 4 năm 2021"),
])
def test_header_fields_answered_and_cited(assistant, question, doc, value):
    ans = assistant.ask(question)
    _cited_exactly(assistant, ans)
    assert any(c.doc == doc and value in c.quote for c in ans.citations), ans.text


def test_a_duty_to_prepare_a_plan_is_not_the_plan_issuer(assistant):
    """The unit stating the duty outranks the header naming the issuer."""
    from assistant.scorer import load_weights, score

    _, _, cands = assistant.candidates("Đơn vị nào tham mưu xây dựng kế hoạch ở Thông tấn xã Việt Nam?")
    best = score(cands, load_weights())[0].unit
    assert best.doc == TTXVN and best.kind != "header" and "Ban Tuyên giáo Đảng ủy TTXVN" in best.text


def test_a_duty_to_prepare_a_plan_is_answered(assistant):
    ans = assistant.ask("Đơn vị nào tham mưu xây dựng kế hoạch ở Thông tấn xã Việt Nam?")
    _cited_exactly(assistant, ans)
    assert "Ban Tuyên giáo Đảng ủy TTXVN" in ans.text
