"""Answer units (ingest.units) on plans of our own: every kind, spans exact, roles stated."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest import load_document

OWN = Path(__file__).resolve().parent.parent / "eval" / "data" / "own"


@pytest.fixture(scope="module")
def txt():
    return load_document(OWN / "kh_chuyendoi_xanh.txt")


@pytest.fixture(scope="module")
def md():
    return load_document(OWN / "kh_nuoc_sach.md")


def _one(doc, kind, needle):
    found = [u for u in doc.units if u.kind == kind and needle in u.text]
    assert found, f"no {kind} unit with {needle!r}: {[(u.kind, u.text[:60]) for u in doc.units]}"
    return found[0]


def test_every_unit_quotes_its_exact_span(txt, md):
    for doc in (txt, md):
        assert doc.units
        for u in doc.units:
            assert doc.text[u.start:u.end] == u.text and u.text.strip() == u.text
            assert u.chunk >= 0 and doc.chunks[u.chunk].start <= u.start < doc.chunks[u.chunk].end


def test_field_line_is_read_with_its_task_heading_and_states_its_role(txt):
    lead = _one(txt, "field", "Cơ quan chủ trì: Phòng Văn hóa và Thông tin huyện")
    assert "Khảo sát, lựa chọn các bản" in lead.context and "lead" in lead.roles
    partner = _one(txt, "field", "Cơ quan phối hợp: Ủy ban nhân dân các xã Tự Do")
    assert partner.roles == ("partner",)
    assert "deadline" in _one(txt, "field", "Thời gian thực hiện: Quý II/2025").roles


def test_list_item_is_read_with_its_lead_in(txt):
    item = _one(txt, "item", "Lớp nấu các món ăn truyền thống Mường")
    assert item.context.startswith("Tổ chức các lớp tập huấn")


def test_table_row_is_one_unit_with_its_column_names_and_role_cells(md):
    row = _one(md, "row", "Hội Chữ thập đỏ tỉnh")
    # the task and every cell together: never one cell alone
    assert "Lắp đặt bồn chứa nước mưa" in row.text and "UBND huyện Nam Sơn" in row.text and "Tháng 4/2026" in row.text
    assert "Cơ quan chủ trì" in row.context and {"lead", "partner", "deadline"} <= set(row.roles)
    assert not any(u.kind == "row" and u.text.startswith("| STT") for u in md.units)  # the header row names columns


def test_sentences_headings_header_fields_and_cited_documents(txt):
    assert _one(txt, "sentence", "Kinh phí thực hiện Kế hoạch là 850 triệu đồng")
    assert _one(txt, "heading", "Xây dựng sản phẩm và quảng bá")
    signer = _one(txt, "header", "Bùi Văn Thắng")
    assert signer.context == "Người ký"
    mention = _one(txt, "mention", "922/QĐ-UBND")
    assert "Quyết định" in mention.context and "mention" in mention.roles


def test_obligation_rows_mark_the_units_that_state_a_role(txt):
    prose = _one(txt, "sentence", "Phòng Kinh tế và Hạ tầng chủ trì xây dựng bản đồ")
    assert "lead" in prose.roles


def test_a_header_field_and_its_line_are_one_unit_and_rules_are_none():
    from ingest.types import DocumentMeta
    from ingest.units import build_units

    text = "Số: 12/KH-UBND\n\nLâm Giang, ngày 05 tháng 3 năm 2025\n\n-----\n\nSở Y tế chủ trì kiểm tra."
    place = text.index("Lâm Giang")
    line = (place, text.index("2025") + 4)
    meta = DocumentMeta(spans={"so_hieu": (0, 14), "ngay_ban_hanh": line, "noi_ban_hanh": line})
    units = build_units("d.txt", text, [], [], meta=meta)
    spans = [(u.start, u.end) for u in units]
    assert len(spans) == len(set(spans)), [(u.kind, u.text) for u in units]  # one unit per span
    date = next(u for u in units if u.start == place)
    assert date.kind == "header" and date.text == text[line[0]:line[1]]
    assert "Ngày ban hành" in date.context and "Nơi ban hành" in date.context
    assert next(u for u in units if u.start == 0).kind == "header"
    assert not any(set(u.text) <= set("-– ") for u in units)  # a rule line says nothing
    assert any(u.kind == "sentence" and u.text == "Sở Y tế chủ trì kiểm tra." for u in units)


def test_labels_and_headings_in_capitals_are_no_units_and_the_distribution_list_is_its_own_kind(txt, md):
    """"CHỦ TỊCH", "(Đã ký)", "III. TỔ CHỨC THỰC HIỆN" state nothing a citation could quote;
    the signer stays a header unit; entries of "Nơi nhận" are recipients, not the plan's items."""
    for doc in (txt, md):
        for u in doc.units:
            words = u.text.split(maxsplit=1)
            title = words[1] if u.kind == "heading" and len(words) > 1 else u.text
            assert any(ch.islower() for ch in title) or u.kind == "header", (u.kind, u.text)
    assert not any(u.text in ("CHỦ TỊCH", "GIÁM ĐỐC", "Nơi nhận:") for doc in (txt, md) for u in doc.units)
    assert not any(u.text.startswith("III. TỔ CHỨC") for u in md.units)
    assert _one(md, "header", "Lê Thị Hạnh").context == "Người ký"
    recipients = [u for u in txt.units if u.kind == "recipient"]
    assert recipients and all(txt.text.index("Nơi nhận") < u.start for u in recipients)
    assert not any(u.kind == "item" and txt.text.index("Nơi nhận") < u.start for u in txt.units)


def test_a_footnote_is_read_with_the_words_its_marker_follows(tmp_path):
    """A footnote explains what its marker is glued to: "an ninh, quốc phòng⁴" -> its unit is read
    with "quốc phòng" (not the words before the comma); a typed "(1)" note the same way."""
    plan = tmp_path / "kh_chu_thich.txt"
    plan.write_text("KẾ HOẠCH\nTuyên truyền năm 2026\n\nI. NỘI DUNG\n\n"
                    "Tuyên truyền về kinh tế, an ninh, quốc phòng⁴ và Ban Chỉ đạo 35 huyện(1) của tỉnh.\n\n"
                    "⁴ Chính sách quốc phòng “bốn không”.\n"
                    "(1) Ban Chỉ đạo thực hiện Nghị quyết số 35-NQ/TW.\n", encoding="utf-8")
    doc = load_document(plan)
    four = _one(doc, "sentence", "⁴ Chính sách quốc phòng")
    assert four.context.startswith("Chú thích: quốc phòng") and "an ninh" not in four.context
    one = _one(doc, "sentence", "(1) Ban Chỉ đạo thực hiện")
    assert one.context.startswith("Chú thích: ") and "Ban Chỉ đạo 35 huyện" in one.context.split(";")[0]
    assert "quốc phòng" not in one.context
    body = _one(doc, "sentence", "Tuyên truyền về kinh tế")
    assert "Chú thích" not in body.context
