import pytest

from assistant.understand import understand
from conftest import FLAGSHIP, FLAGSHIP_PLAIN, TAY_NINH
from index.restore import Restorer

KEYWORDS = ("Đài Phát thanh và Truyền hình Tây Ninh", "Báo Tây Ninh")


def _check_citations(assistant, ans):
    for c in ans.citations:
        text = assistant.searcher.document_text(c.doc)
        assert text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in ans.text


@pytest.mark.parametrize("question", [FLAGSHIP, FLAGSHIP_PLAIN])
def test_flagship_answer_names_both_bodies_and_cites_part_ii_7(assistant, question):
    ans = assistant.ask(question)
    assert not ans.refused
    for kw in KEYWORDS:
        assert kw in ans.text
    first = ans.citations[0]
    assert first.doc == TAY_NINH and first.section.startswith("II.7")
    assert "Cơ quan chủ trì" in first.quote and all(kw in first.quote for kw in KEYWORDS)
    _check_citations(assistant, ans)


@pytest.mark.parametrize("question", [FLAGSHIP, FLAGSHIP_PLAIN])
def test_flagship_passage_is_retrieved_near_the_top(assistant, question):
    hits = assistant.searcher.search(question, k=5)
    assert any(h.chunk.doc == TAY_NINH and h.chunk.section == "II.7.a" for h in hits[:3])


def test_answers_are_deterministic(assistant):
    a, b = assistant.ask(FLAGSHIP), assistant.ask(FLAGSHIP)
    assert a.text == b.text and a.citations == b.citations


@pytest.mark.parametrize("question,section,keyword", [
    ("Thời gian thực hiện tập huấn bồi dưỡng nghiệp vụ thông tin đối ngoại ở Tây Ninh?", "II.2", "Quý III"),
    ("Sở Tài chính Tây Ninh có nhiệm vụ gì trong kế hoạch?", "IV.4", "bố trí kinh phí"),
    ("co quan nao chu tri tap huan ky nang truyen thong ve quyen con nguoi o Tay Ninh", "II.4", "Sở Thông tin"),
])
def test_other_obligation_questions(assistant, question, section, keyword):
    ans = assistant.ask(question)
    assert not ans.refused
    assert any(c.doc == TAY_NINH and c.section == section for c in ans.citations), ans.text
    assert keyword in ans.text
    _check_citations(assistant, ans)


@pytest.mark.parametrize("question", [
    "Cơ quan nào chủ trì công tác phòng chống dịch ở tỉnh Quảng Trị?",
    "Giá vé tàu hỏa từ Hà Nội đi Đà Nẵng là bao nhiêu?",
])
def test_questions_the_documents_do_not_answer_are_refused(assistant, question):
    ans = assistant.ask(question)
    assert ans.refused and not ans.citations
    assert ans.text.startswith("Không tìm thấy")
    assert ans.hits  # the nearest passages are still shown for checking


def test_json_shape(assistant):
    d = assistant.ask(FLAGSHIP, k=4).to_json()
    assert set(d) == {"question", "answer", "refused", "citations", "hits"}
    assert set(d["citations"][0]) == {"n", "doc", "section", "quote", "start", "end"}
    assert len(d["hits"]) == 4
    assert set(d["hits"][0]) == {"doc", "section", "text", "start", "end", "score"}
    assert d["hits"][0]["score"] >= d["hits"][-1]["score"]


def test_search_filters_by_document(assistant):
    hits = assistant.searcher.search("kế hoạch thông tin đối ngoại", k=10, docs=["003_c1ee218e7dc2fd12.txt"])
    assert hits and {h.chunk.doc for h in hits} == {"003_c1ee218e7dc2fd12.txt"}


def test_intents():
    assert understand(FLAGSHIP).intent == "lead"
    assert understand(FLAGSHIP_PLAIN).intent == "lead"
    assert understand("Cơ quan nào phối hợp với Sở Ngoại vụ?").intent == "partner"
    assert understand("Which agencies coordinate the training?").intent == "partner"
    assert understand("Thời hạn báo cáo là khi nào?").intent == "deadline"
    assert understand("Nghị định 72/2015/NĐ-CP ban hành ngày nào?").intent == "cited_document"
    assert understand("Việt Nam thiết lập quan hệ với bao nhiêu quốc gia?").intent == "quantity"
    assert understand("Những kế hoạch nào đề cập đến biển đảo?").intent == "documents"
    assert understand("Cơ quan nào chủ trì ở tỉnh Quảng Trị?").names == ("quang tri",)


def test_diacritic_restoration_uses_the_corpus():
    r = Restorer(["Tuyên truyền biển, đảo. Tuyên truyền biên giới. Khu vực biên giới tỉnh Tây Ninh.",
                  "Cơ quan chủ trì: Sở Ngoại vụ."])
    assert r.restore("co quan nao chu tri tuyen truyen bien gioi o Tay Ninh") == \
        "cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh"
    assert r.restore("Which agency leads?") == "Which agency leads?"
    assert r.restore("đã có dấu") == "đã có dấu"


def test_how_many_answers_with_a_count_of_the_asked_thing(assistant):
    ans = assistant.ask("Đề án phát triển báo chí đối ngoại quốc gia của TTXVN gồm bao nhiêu báo?")
    assert not ans.refused and "3 báo đối ngoại quốc gia" in ans.citations[0].quote
    assert ans.citations[0].doc == "004_35685223f3c2ca9d.txt"
