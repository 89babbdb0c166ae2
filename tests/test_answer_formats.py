"""Guard: the same plan as .txt, .md table, .docx and .pdf gives the same answer, and its
citation quotes the whole table row (task and asked cell together), never one cell alone."""
from __future__ import annotations

import pytest

from tests.docbuild import make_docx, make_pdf

HEAD = ["ỦY BAN NHÂN DÂN TỈNH SƠN TRÀ", "Số: 88/KH-UBND", "Sơn Trà, ngày 4 tháng 2 năm 2026", "KẾ HOẠCH",
        "Phòng, chống sạt lở bờ sông năm 2026", "I. NHIỆM VỤ"]
TABLE = [["Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn"],
         ["Cắm biển cảnh báo sạt lở dọc sông Trà Khúc", "Sở Xây dựng", "UBND huyện Tư Nghĩa", "Tháng 3/2026"],
         ["Di dời hộ dân khỏi vùng nguy cơ cao", "UBND huyện Sơn Tịnh", "Sở Tài chính", "Quý II/2026"],
         ["Lắp trạm quan trắc mực nước tự động", "Sở Nông nghiệp và Môi trường", "Đài Khí tượng tỉnh",
          "Trước 31/8/2026"]]
TAIL = ["II. TỔ CHỨC THỰC HIỆN", "Các cơ quan báo cáo kết quả về Sở Nông nghiệp và Môi trường hằng quý.",
        "CHỦ TỊCH", "Phạm Văn Hòa"]


def _markdown() -> str:
    rows = ["| " + " | ".join(TABLE[0]) + " |", "|" + "---|" * len(TABLE[0])]
    rows += ["| " + " | ".join(r) + " |" for r in TABLE[1:]]
    return "\n\n".join(HEAD) + "\n\n" + "\n".join(rows) + "\n\n" + "\n\n".join(TAIL) + "\n"


def _write(fmt: str, d):
    if fmt in ("txt", "md"):
        p = d / f"kh_satlo.{fmt}"
        p.write_text(_markdown(), encoding="utf-8")
        return p
    if fmt == "docx":
        return make_docx(d / "kh_satlo.docx", [("p", x) for x in HEAD] + [("table", TABLE)] + [("p", x) for x in TAIL])
    return make_pdf(d / "kh_satlo.pdf", [HEAD + [" | ".join(r) for r in TABLE] + TAIL])


@pytest.fixture(scope="module")
def answers(tmp_path_factory, embedder):
    from assistant.service import Assistant
    from index.indexer import Indexer

    out = {}
    for fmt in ("txt", "md", "docx", "pdf"):
        src = tmp_path_factory.mktemp(f"src-{fmt}")
        idx = tmp_path_factory.mktemp(f"idx-{fmt}")
        report = Indexer(idx, embedder).ingest([_write(fmt, src)])
        assert not report.errors, report.errors
        a = Assistant(idx, embedder)
        out[fmt] = (a, a.ask("Cơ quan nào chủ trì di dời hộ dân khỏi vùng nguy cơ sạt lở?"))
    return out


@pytest.mark.parametrize("fmt", ["txt", "md", "docx", "pdf"])
def test_the_row_is_quoted_whole_in_every_format(answers, fmt):
    a, ans = answers[fmt]
    assert not ans.refused, ans.text
    first = ans.citations[0]
    assert a.searcher.document_text(first.doc)[first.start:first.end] == first.quote
    # the task and the asked cell in one quote
    assert "Di dời hộ dân" in first.quote and "UBND huyện Sơn Tịnh" in first.quote, first.quote
    assert "UBND huyện Sơn Tịnh" in ans.text


def test_every_format_gives_the_same_answer(answers):
    firsts = {fmt: " ".join(ans.citations[0].quote.replace("|", " ").split()) for fmt, (_, ans) in answers.items()}
    assert len(set(firsts.values())) == 1, firsts
