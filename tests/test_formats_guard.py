"""One plan written in the six forms officials hold (.txt, .md, .docx with Word numbering, a
printed .pdf, a portal .html page, a TCVN3 file) must read the same: the same sections, the
same obligation rows, the same metadata and the same answer to a who-leads question."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.pipeline import load_document
from ingest.readers import read_text
from ingest.structure import RECIPIENTS
from ingest.layout import unfold_columns
from tests.docbuild import PLAN, make_plan_files, plan_text

FORMS = ("txt", "md", "docx", "pdf", "html", "tcvn3")


@pytest.fixture(scope="module")
def plan_files(tmp_path_factory) -> dict[str, Path]:
    return make_plan_files(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def plan_docs(plan_files):
    return {form: load_document(path) for form, path in plan_files.items()}


def _rows(doc) -> list[tuple]:
    return sorted((o.task, o.lead, o.partners, o.deadline) for o in doc.obligations)


def test_every_form_has_the_same_sections(plan_docs) -> None:
    expected = ["I", "I.1", "I.2", "II", "II.1", "II.1.a", "II.1.b", "II.2", "II.2.a", "III", "III.1", "III.2",
                RECIPIENTS, "Phụ lục"]
    for form in FORMS:
        assert [s.path for s in plan_docs[form].sections if s.level > 0] == expected, form


def test_every_form_has_the_same_obligation_rows(plan_docs) -> None:
    rows = _rows(plan_docs["txt"])
    table = PLAN["table"]
    # every row of the task table is a row, with its lead, partners and deadline
    for _, task, lead, partners, due in table[1:]:
        assert any(r[0] == task and r[1] == (lead.replace("Uỷ", "Ủy"),) and r[2] == (partners.replace("Uỷ", "Ủy"),)
                   and r[3] == due for r in rows), task
    # the lettered duties of part II, each with its own lead agency
    leads = {r[1] for r in rows}
    assert {("Sở Nông nghiệp và Môi trường",), ("Sở Xây dựng",), ("Sở Nội vụ",)} <= leads
    for form in FORMS:
        assert _rows(plan_docs[form]) == rows, form


def test_rows_span_the_whole_table_row_and_recipients_give_none(plan_docs) -> None:
    for form in FORMS:
        doc = plan_docs[form]
        for o in doc.obligations:
            assert o.section != RECIPIENTS, (form, o.task)
            if o.source == "table":
                assert doc.text[o.start:o.end].startswith("|") and doc.text[o.start:o.end].endswith("|")
        rec = next(s for s in doc.sections if s.path == RECIPIENTS)
        assert "Lê Văn Thành" in doc.text[rec.start:rec.end]  # the signature closes the list ...
        assert "PHỤ LỤC" not in doc.text[rec.start:rec.end]  # ... and nothing after it is filed there


def test_every_form_has_the_same_metadata_and_title(plan_docs) -> None:
    for form in FORMS:
        m = plan_docs[form].meta
        assert (m.so_hieu, m.loai, m.co_quan_ban_hanh, m.noi_ban_hanh, m.ngay_ban_hanh, m.trich_yeu, m.nguoi_ky) == (
            "27/KH-UBND", "Kế hoạch", "ỦY BAN NHÂN DÂN TỈNH BÌNH MINH", "Bình Minh", "2025-05-15",
            PLAN["subject"], "Lê Văn Thành"), form
        assert plan_docs[form].title == f"KẾ HOẠCH {PLAN['subject']}", form


def test_pdf_table_cut_by_the_page_break_is_one_table(plan_files) -> None:
    from pypdf import PdfReader

    path = plan_files["pdf"]
    pages = PdfReader(path).pages
    first, last = PLAN["table"][1][-1], PLAN["table"][-1][-1]
    assert len(pages) == 2 and first in pages[0].extract_text() and first not in pages[1].extract_text() \
        and last in pages[1].extract_text()  # the table really crosses the page break
    text = read_text(path)[0]
    rows = [ln for ln in text.splitlines() if ln.startswith("|")]
    assert rows[0] == "| " + " | ".join(PLAN["table"][0]) + " |" and rows.count(rows[0]) == 1
    assert len(rows) == len(PLAN["table"]) + 1  # header, rule, one line per row: nothing lost or doubled
    assert "Trang 1/2" not in text and "Kế hoạch số 27/KH-UBND của" not in text  # footer, running header
    assert re.search(r"đất đai¹ bằng", text) and "¹ Theo Luật Đất đai" in text  # footnote and its marker


def test_portal_page_keeps_only_the_document(plan_files) -> None:
    text = read_text(plan_files["html"])[0]
    for chrome in ("CỔNG THÔNG TIN", "Trang chủ", "Tin liên quan", "Lượt xem", "Ngày đăng", "Tìm"):
        assert chrome not in text, chrome
    assert "1. Số hóa hồ sơ địa chính" in text and "a) Sở Nông nghiệp và Môi trường chủ trì" in text


def test_word_numbering_is_written_back(plan_files) -> None:
    text = read_text(plan_files["docx"])[0]
    for line in ("II. NHIỆM VỤ CỤ THỂ", "1. Số hóa hồ sơ địa chính", "b) Sở Xây dựng chủ trì",
                 "III. TỔ CHỨC THỰC HIỆN", "2. Sở Tài chính tham mưu"):  # numbers restart under each part
        assert re.search(r"(?m)^" + re.escape(line), text), line


def test_tcvn3_form_reads_as_the_unicode_one(plan_files) -> None:
    legacy = read_text(plan_files["tcvn3"])[0].replace("\r\n", "\n")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in legacy and "Uỷ ban nhân dân tỉnh" in legacy
    assert legacy == unfold_columns(plan_text(footnote=False))


def test_every_form_gives_the_same_answer_to_who_leads(plan_files, embedder, tmp_path) -> None:
    from assistant.service import Assistant
    from index.indexer import Indexer

    index = tmp_path / "index"
    report = Indexer(index, embedder).ingest(list(plan_files.values()))
    assert not report.errors
    service = Assistant(index, embedder)
    answers = {}
    for form, path in plan_files.items():
        answer = service.ask("Cơ quan nào chủ trì số hóa hồ sơ địa chính?", docs=[path.name])
        assert not answer.refused, form
        answers[form] = answer.text.replace(path.name, "FILE")
        assert "Sở Nông nghiệp và Môi trường" in answers[form], (form, answers[form])
    assert len(set(answers.values())) == 1, answers
