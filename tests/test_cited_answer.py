"""Questions across documents answered from cited-document rows: which plans implement a
directive (every one that cites it, not just the best-ranked), what a plan implements (its
preamble's list), and a directive no loaded document cites (said so, not answered with another)."""
import re

from conftest import TAY_NINH

NINH_BINH, TTXVN = "000_6c111f925bb37fef.txt", "004_35685223f3c2ca9d.txt"


def _exact(assistant, ans):
    assert ans.citations and not ans.refused
    for c in ans.citations:
        assert assistant.searcher.document_text(c.doc)[c.start:c.end] == c.quote
        assert f"[{c.n}]" in ans.text


def _preamble_end(assistant, doc):
    return next(s.start for s in assistant.searcher.sections(doc) if s.level > 0)


def test_which_plans_implement_a_directive_lists_every_citing_plan(assistant):
    ans = assistant.ask("Những kế hoạch nào triển khai Kết luận 57-KL/TW?")
    _exact(assistant, ans)
    citing = {c.doc for c in assistant.searcher.citations(cites="57-KL/TW")}
    assert len(citing) >= 3
    assert {c.doc for c in ans.citations} == citing  # one quoted mention per citing plan
    assert all("57-KL/TW" in c.quote for c in ans.citations)


def test_the_same_question_in_english_and_filtered_to_one_document(assistant):
    ans = assistant.ask("Which plans implement Conclusion 57-KL/TW?")
    _exact(assistant, ans)
    assert len({c.doc for c in ans.citations}) >= 3
    only = assistant.ask("Những kế hoạch nào triển khai Kết luận 57-KL/TW?", docs=[TAY_NINH])
    assert {c.doc for c in only.citations} == {TAY_NINH}


def test_a_directive_no_loaded_document_cites_is_said_to_be_absent(assistant):
    ans = assistant.ask("Văn bản nào dẫn Chỉ thị 99-CT/TW?")
    assert ans.refused and not ans.citations
    assert "Không văn bản nào đã nạp dẫn Chỉ thị 99-CT/TW" in ans.text


def test_what_a_plan_implements_lists_its_preamble_citations(assistant):
    ans = assistant.ask("Kế hoạch của Tây Ninh được ban hành để thực hiện những văn bản nào?")
    _exact(assistant, ans)
    end = _preamble_end(assistant, TAY_NINH)
    assert all(c.doc == TAY_NINH and c.start < end for c in ans.citations)
    # the preamble names five documents, each its own cited line
    for number in ("57-KL/TW", "72/2015/NĐ-CP", "22/2016/TT-BTTTT", "82-KH/TU", "3089/BTTTT-TTĐN"):
        assert sum(number in c.quote for c in ans.citations) >= 1, number
    assert len(ans.citations) == 5


def test_a_plan_named_by_an_abbreviation_or_its_number(assistant):
    ans = assistant.ask("Kế hoạch của TTXVN thực hiện những văn bản nào?")
    _exact(assistant, ans)
    assert {c.doc for c in ans.citations} == {TTXVN}
    # asked for one kind ("kế hoạch số mấy"), only that kind is listed
    ans = assistant.ask("Kế hoạch 144-KH/ĐUK thực hiện kế hoạch số mấy?")
    _exact(assistant, ans)
    assert all(c.doc == NINH_BINH and re.match(r"Kế hoạch số", c.quote) for c in ans.citations)
    assert "25-KH/BCĐ" in ans.citations[0].quote and "23/02/2024" in ans.citations[0].quote
