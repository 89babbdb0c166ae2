"""English questions: the glossary adds Vietnamese terms, and retrieval and answers follow."""
from __future__ import annotations

import pytest

from index import glossary
from conftest import TAY_NINH


def test_longest_phrase_wins_and_possessives_are_ignored():
    terms = glossary.vietnamese_terms("Who is in charge of the provincial people's committee's foreign information plan?")
    assert terms.index("thông tin đối ngoại") >= 0 and "Ủy ban nhân dân" in terms and "chủ trì" in terms
    assert "tỉnh" not in terms  # "provincial" was consumed by "provincial people's committee"
    assert glossary.expand("Cơ quan nào chủ trì?") == "Cơ quan nào chủ trì?"  # no English words, no change


def test_the_apparatus_and_common_subjects_are_known():
    """Ministries, departments and bodies, and the subjects plans are about, beyond one corpus."""
    terms = glossary.vietnamese_terms("Which Politburo resolution do the Department of Science and Technology "
                                      "and the steering committee follow on dengue and disaster prevention?")
    assert {"Bộ Chính trị", "Khoa học và Công nghệ", "Ban Chỉ đạo", "sốt xuất huyết"} <= set(terms)
    assert "phòng, chống thiên tai" in terms and "thiên tai" not in terms  # the longer phrase took the words


def test_a_malformed_glossary_line_names_the_file_and_line(tmp_path):
    bad = tmp_path / "g.tsv"
    bad.write_text("# comment\nlead\tchủ trì\nno tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"g\.tsv:3"):
        glossary.load(bad)


def test_english_question_reaches_the_vietnamese_passage(assistant):
    ans = assistant.ask("Which agency leads the propaganda on border areas in Tay Ninh?")
    plain = assistant.searcher.search("Which agency leads the propaganda on border areas in Tay Ninh?", k=10)
    key = (TAY_NINH, "II.7.a")

    def rank(hits) -> int:
        keys = [(h.chunk.doc, h.chunk.section) for h in hits]
        return keys.index(key) if key in keys else len(keys)

    assert rank(ans.hits) < 3
    assert rank(ans.hits) <= rank(plain)  # the expansion never ranks it lower than the bare query
    assert not ans.refused and "Đài Phát thanh và Truyền hình Tây Ninh" in ans.text
