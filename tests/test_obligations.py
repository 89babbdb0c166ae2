"""Obligation rows, agency aliases and cited documents, checked against the plans themselves."""
from __future__ import annotations

import json
import subprocess

import pytest

from conftest import SAMPLE, TAY_NINH
from ingest import load_document
from ingest.agencies import canonical, matches, split_agencies
from ingest.obligations import normalise_deadline
from ingest.pipeline import normalise_text
from ingest.structure import lines, parse_sections
from ingest.obligations import extract_obligations
from ingest.citations import extract_citations

STTTT = "Sở Thông tin và Truyền thông"
VHTTDL = "Sở Văn hóa, Thể thao và Du lịch"
DAI = "Đài Phát thanh và Truyền hình Tây Ninh"
BAO = "Báo Tây Ninh"
SBN = "Các sở, ban, ngành"
UBND_HX = "Ủy ban nhân dân các huyện, thị xã, thành phố"

# Part II of the Tây Ninh plan, read by hand: (section, lead, partners, deadline)
TAY_NINH_PART_II = [
    ("II.1", ["Các sở, ban, ngành, địa phương", "Các đơn vị liên quan"], [STTTT], "Thường xuyên"),
    ("II.2", [STTTT], [SBN, "Các đơn vị có liên quan"], "Quý III, IV/2024"),
    ("II.3.b", ["Các cơ quan, đơn vị"], [], None),
    ("II.4", [SBN, "Ủy ban nhân dân cấp huyện, cấp xã"], [STTTT], None),
    ("II.4", [STTTT], [SBN, "Ủy ban nhân dân cấp huyện, cấp xã", "Các cơ quan báo chí trên địa bàn tỉnh"],
     "Quý III, IV/2024"),
    ("II.5.a", ["Sở Công Thương", VHTTDL],
     ["Sở Ngoại vụ", STTTT, "Sở Kế hoạch và Đầu tư", DAI, BAO, "Các đơn vị, địa phương có liên quan"], "Trong năm 2024"),
    ("II.5.b", [STTTT], ["Sở Ngoại vụ", VHTTDL, "Sở Kế hoạch Đầu tư", "Các cơ quan, đơn vị, địa phương có liên quan",
                        "Các cơ quan báo chí ngoài tỉnh"], "Trong năm 2024"),
    ("II.6", [STTTT, VHTTDL, DAI, BAO], ["Ban Tuyên giáo Tỉnh ủy", SBN, UBND_HX], "Thường xuyên"),
    ("II.7.a", [DAI, BAO], [STTTT, "Sở Ngoại vụ", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh",
                            "Ủy ban nhân dân các huyện biên giới",
                            "Các cơ quan báo chí của tỉnh và báo chí hợp tác với tỉnh"], "Thường xuyên"),
    ("II.7.b", ["Ban Tuyên giáo Tỉnh ủy", STTTT], ["Hội Nhà báo tỉnh", SBN, UBND_HX, "Các cơ quan báo chí liên quan"],
     "Thường xuyên"),
    ("II.7.c", ["Các sở, ngành, đơn vị, địa phương chủ quản các trang/cổng thông tin điện tử"],
     [STTTT, "Sở Ngoại vụ"], "Thường xuyên"),
]

# TỔ CHỨC THỰC HIỆN of the other plans: section -> (agencies named by its heading, number of duties)
ASSIGNMENTS = {
    "000_6c111f925bb37fef.txt": {"III.1": (["Ban Tuyên giáo và Dân vận Đảng ủy Khối"], 2),
                                 "III.2": (["Các đảng ủy, chi ủy cơ sở trực thuộc",
                                            "Các tổ chức chính trị - xã hội cấp Khối"], 3)},
    "001_2acf101d37e4caff.txt": {"IV.1": (["Các phòng, đơn vị trực thuộc Sở"], 2),
                                 "IV.2": (["Phòng Văn hóa và Thông tin",
                                           "Trung tâm Văn hóa và Truyền thông các huyện, thành phố"], 3)},
    "003_c1ee218e7dc2fd12.txt": {"III.1": (["Liên đoàn Lao động huyện"], 2),
                                 "III.2": (["Các công đoàn cơ sở"], 3)},
    "004_35685223f3c2ca9d.txt": {"IV.1": (["Ban Tuyên giáo Đảng ủy Thông tấn xã Việt Nam"], 1),
                                 "IV.2": (["Các cấp ủy, tổ chức đảng", "Các đơn vị thông tin"], 1),
                                 "IV.3": (["Các ban tham mưu của Đảng ủy Thông tấn xã Việt Nam"], 1)},
}


@pytest.fixture(scope="module")
def docs():
    return {p.name: load_document(p) for p in sorted(SAMPLE.glob("*.txt"))}


def test_tay_ninh_part_ii_tasks_exactly(docs):
    rows = [o for o in docs[TAY_NINH].obligations if o.section.split(".")[0] == "II"]
    got = [(o.section, list(o.lead), list(o.partners), o.deadline) for o in rows]
    assert got == TAY_NINH_PART_II
    text = docs[TAY_NINH].text
    flagship = next(o for o in rows if o.section == "II.7.a")
    assert text[slice(*flagship.lead_span)] == "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh."
    assert text[slice(*flagship.deadline_span)] == "Thời gian thực hiện: Thường xuyên."
    assert flagship.task.startswith("Tăng cường sản xuất nội dung")
    training = next(o for o in rows if o.section == "II.2")
    assert training.deadline_norm == "2024-Q3/2024-Q4"
    assert text[slice(*training.task_span)] == "Tập huấn, bồi dưỡng nghiệp vụ thông tin đối ngoại"


def test_every_row_span_is_inside_its_document(docs):
    for doc in docs.values():
        for o in doc.obligations:
            assert 0 <= o.start < o.end <= len(doc.text)
            assert doc.text[slice(*o.task_span)] == o.task
            for sp in (o.lead_span, o.partners_span, o.deadline_span):
                assert sp is None or (o.start <= sp[0] < sp[1] <= o.end or sp[1] <= o.start)


@pytest.mark.parametrize("name", list(ASSIGNMENTS))
def test_to_chuc_thuc_hien_assignments(docs, name):
    rows = [o for o in docs[name].obligations if o.source == "assignment"]
    by_section: dict[str, list] = {}
    for o in rows:
        by_section.setdefault(o.section, []).append(o)
    assert set(by_section) == set(ASSIGNMENTS[name])
    for section, (agencies, count) in ASSIGNMENTS[name].items():
        got = by_section[section]
        assert len(got) == count, (section, [o.task[:40] for o in got])
        for o in got:
            assert list(o.lead) == agencies or list(o.partners[:len(agencies)]) == agencies


def test_reporting_duty_with_yearly_deadline(docs):
    report = next(o for o in docs[TAY_NINH].obligations if "báo cáo kết quả" in o.task)
    assert report.section == "IV.6"
    assert report.deadline == "trước ngày 30 tháng 11 hàng năm" and report.deadline_norm == "--11-30"


def test_cited_documents_of_000_precision_and_recall(docs):
    from pathlib import Path

    gold = json.loads((Path(__file__).parent.parent / "eval" / "gold" / "sample_citations_000.json")
                      .read_text(encoding="utf-8"))["cited"]
    doc = docs["000_6c111f925bb37fef.txt"]
    found = {}
    for c in doc.cited:
        found.setdefault((c.kind, c.number), (c.date, c.issuer))
        assert doc.text[c.start:c.end].startswith(c.kind) or doc.text[c.start:c.end][0].lower() == c.kind[0].lower()
    expected = {(k, n): (d, i) for k, n, d, i in gold}
    assert set(found) == set(expected)  # precision and recall 1.0
    assert found == expected  # dates and issuers too


def test_prose_and_table_forms():
    text = normalise_text(
        "KẾ HOẠCH\nThử\n\nI. NHIỆM VỤ\n\n"
        "1. Rà soát văn bản\n\n"
        "Giao Sở Ngoại vụ chủ trì, phối hợp với Sở Tài chính hoàn thành trước ngày 30/6/2025.\n\n"
        "Sở Tài chính: Phối hợp với Sở Nội vụ bố trí kinh phí.\n\n"
        "2. Bảng phân công\n\n"
        "| Nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành |\n"
        "|---|---|---|---|\n"
        "| Tổ chức hội nghị | Sở TT&TT | UBND các huyện; Sở Y tế | Quý II/2025 |\n"
        "| Tập huấn cán bộ | Sở Nội vụ | Sở Văn hóa, Thể thao và Du lịch | Trong năm 2025 |\n")
    ls = lines(text)
    rows = extract_obligations("t.md", text, parse_sections(text, ls), ls)
    prose = [o for o in rows if o.source == "prose"]
    assert [(list(o.lead), list(o.partners), o.deadline_norm) for o in prose] == [
        (["Sở Ngoại vụ"], ["Sở Tài chính"], "2025-06-30"),
        (["Sở Tài chính"], ["Sở Nội vụ"], None)]
    table = [o for o in rows if o.source == "table"]
    assert [(o.task, list(o.lead), list(o.partners), o.deadline_norm) for o in table] == [
        ("Tổ chức hội nghị", [STTTT], ["Ủy ban nhân dân các huyện", "Sở Y tế"], "2025-Q2"),
        ("Tập huấn cán bộ", ["Sở Nội vụ"], [VHTTDL], "2025")]
    assert text[slice(*table[0].lead_span)] == "Sở TT&TT"


def test_agency_lists_split_without_breaking_names():
    assert split_agencies("Sở Công Thương; Sở Văn hóa, Thể thao và Du lịch.") == ["Sở Công Thương", VHTTDL]
    assert split_agencies(f"{STTTT}, {VHTTDL}, Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh.") == \
        [STTTT, VHTTDL, DAI, BAO]
    assert split_agencies("Các sở, ban, ngành và UBND cấp huyện, cấp xã") == [SBN, "Ủy ban nhân dân cấp huyện, cấp xã"]


@pytest.mark.parametrize("alias,name", [
    ("Sở TT&TT", STTTT), ("STTTT", STTTT), ("sở thông tin và truyền thông", STTTT),
    ("UBND tỉnh", "Ủy ban nhân dân tỉnh"), ("LĐLĐ huyện", "Liên đoàn Lao động huyện"),
    ("Đảng ủy TTXVN", "Đảng ủy Thông tấn xã Việt Nam"), ("Sở VHTTDL", VHTTDL), ("BTV Tỉnh ủy", "Ban Thường vụ Tỉnh ủy"),
    ("Uỷ ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh"),
    ("Sở KH&CN", "Sở Khoa học và Công nghệ"), ("Sở GD&DT", "Sở Giáo dục và Đào tạo"),
    ("Sở NN&PTNT", "Sở Nông nghiệp và Phát triển nông thôn"), ("Sở TN&MT", "Sở Tài nguyên và Môi trường"),
])
def test_aliases_map_to_one_name(alias, name):
    assert matches(alias, name)
    assert canonical(alias).lower() == name.lower() or matches(name, canonical(alias))


def test_aliases_do_not_match_other_agencies():
    assert not matches("Sở Ngoại vụ", STTTT)
    assert not matches("Sở Tài chính", "Sở Thông tin và Truyền thông")


@pytest.mark.parametrize("text,norm", [
    ("trước ngày 30/6/2025", "2025-06-30"), ("Quý III, IV/2024", "2024-Q3/2024-Q4"),
    ("trước ngày 30 tháng 11 hàng năm", "--11-30"), ("Trong năm 2024", "2024"), ("Thường xuyên", "ongoing"),
    ("Quý II năm 2025", "2025-Q2"), ("ngày 15 tháng 10 năm 2024", "2024-10-15"), ("kịp thời", None),
])
def test_deadline_normalisation(text, norm):
    assert normalise_deadline(text) == norm


def test_cited_document_forms():
    cs = extract_citations("x", "Căn cứ Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ về quản lý hoạt động "
                                "thông tin đối ngoại; Quyết định 1079/QĐ-TTg ngày 14/9/2022; Kế hoạch số 82 -KH/TU.")
    assert [(c.kind, c.number, c.date, c.issuer) for c in cs] == [
        ("Nghị định", "72/2015/NĐ-CP", "2015-09-07", "Chính phủ"),
        ("Quyết định", "1079/QĐ-TTg", "2022-09-14", None),
        ("Kế hoạch", "82-KH/TU", None, None)]
    assert cs[0].title == "quản lý hoạt động thông tin đối ngoại"


# --- through the index, the answers and the CLI ----------------------------------------------
def test_rows_are_stored_and_filtered_by_alias(assistant):
    s = assistant.searcher
    lead = s.obligations(agency="Sở TT&TT", role="lead")
    assert lead and all(any(matches("Sở TT&TT", a) for a in o.lead) for o in lead)
    assert {o.section for o in lead} >= {"II.2", "II.5.b", "II.7.b", "IV.3"}
    partner = s.obligations(agency="Sở Ngoại vụ", role="partner")
    assert {o.section for o in partner} == {"II.5.a", "II.5.b", "II.7.a", "II.7.c"}
    assert {c.doc for c in s.citations(cites="57-kl/tw")} == {
        "000_6c111f925bb37fef.txt", TAY_NINH, "003_c1ee218e7dc2fd12.txt", "004_35685223f3c2ca9d.txt"}


def test_agency_duties_are_answered_with_cited_units(assistant):
    # the full list of an agency's rows is the Nghĩa vụ tab's and `tracuu obligations`'; an
    # answer quotes the units that score best
    ans = assistant.ask("Sở Thông tin và Truyền thông phải làm gì?")
    assert not ans.refused and ans.intent == "duties"
    assert any("Thông tin và Truyền thông" in c.quote for c in ans.citations), ans.text
    for c in ans.citations:
        assert assistant.searcher.document_text(c.doc)[c.start:c.end] == c.quote


@pytest.mark.parametrize("question,section,quote_has", [
    ("Cơ quan nào phối hợp với Sở Thông tin và Truyền thông trong hợp tác truyền thông hình ảnh Tây Ninh "
     "với báo chí ngoài tỉnh?", "II.5.b", "Cơ quan phối hợp: Sở Ngoại vụ"),
    ("Xây dựng ấn phẩm quảng bá hình ảnh Tây Ninh phải hoàn thành khi nào?", "II.5.a", "Trong năm 2024"),
    ("Ai chủ trì theo dõi, tổng hợp dư luận báo chí ở Tây Ninh?", "II.7.b", "Ban Tuyên giáo Tỉnh ủy"),
])
def test_who_and_when_are_answered_from_rows(assistant, question, section, quote_has):
    ans = assistant.ask(question)
    assert not ans.refused
    c = ans.citations[0]
    assert c.doc == TAY_NINH and c.section == section and quote_has in c.quote, ans.text
    assert assistant.searcher.document_text(c.doc)[c.start:c.end] == c.quote


def test_cli_obligations_and_citations(sample_index):
    from test_cli import tracuu

    proc = tracuu("obligations", "--agency", "Sở TT&TT", "--role", "lead", "--format", "json",
                  "--index", str(sample_index))
    rows = json.loads(proc.stdout)
    assert rows and all(any("Thông tin và Truyền thông" in a for a in r["lead"]) for r in rows)
    assert set(rows[0]) == {"doc", "section", "task", "lead", "partners", "deadline", "deadline_norm", "source",
                            "start", "end"}
    proc = tracuu("obligations", "--doc", TAY_NINH, "--format", "csv", "--index", str(sample_index))
    assert proc.stdout.splitlines()[0] == "doc,section,task,lead,partners,deadline,deadline_norm,source,start,end"
    assert len(proc.stdout.splitlines()) > 12
    proc = tracuu("citations", "--cites", "72/2015/NĐ-CP", "--format", "json", "--index", str(sample_index))
    cited = json.loads(proc.stdout)
    assert {c["doc"] for c in cited} == {TAY_NINH} and cited[0]["date"] == "2015-09-07"


@pytest.mark.parametrize("header,roles", [
    (["STT", "Nội dung thực hiện", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian thực hiện", "Sản phẩm", "Ghi chú"],
     {"task": 1, "lead": 2, "partners": 3, "time": 4, "product": 5, "note": 6}),
    (["Nhiệm vụ", "Đơn vị thực hiện", "Đơn vị phối hợp", "Thời hạn hoàn thành"],
     {"task": 0, "lead": 1, "partners": 2, "time": 3}),
    (["TT", "Xã", "Tiêu chí còn thiếu", "Đơn vị giúp đỡ", "Thời hạn"], {"task": 2, "task_from": 1, "lead": 3, "time": 4}),
])
def test_table_column_roles_by_header_wording(header, roles):
    from ingest.obligations import column_roles

    rows = [["1", "Hương Lung", "Tiêu chí 19 (Quốc phòng và An ninh): chưa đạt chuẩn an toàn", "Công an huyện", "30/9/2025"]]
    assert column_roles(header, rows) == roles


def test_lettered_duties_under_an_agency_heading_and_recipients_give_no_rows():
    text = normalise_text(
        "II. NHIỆM VỤ CỤ THỂ\n\n1. Sở Nông nghiệp và Môi trường (cơ quan thường trực):\n\n"
        "a) Theo dõi diễn biến thời tiết, tham mưu ban hành công điện chỉ đạo ứng phó kịp thời.\n\n"
        "b) Chủ trì kiểm tra hiện trạng hồ chứa nước; hoàn thành trước ngày 20/5/2025.\n\n"
        "2. Công an tỉnh chủ trì, phối hợp với Sở Xây dựng phân luồng giao thông tại các tuyến đường bị ngập sâu.\n\n"
        "Nơi nhận:\n- Sở Tài chính;\n- Sở Nội vụ;\n\nCHỦ TỊCH\n\nVõ Thành Lâm\n\n"
        "| Nhiệm vụ | Cơ quan chủ trì | Thời hạn |\n|---|---|---|\n| Diễn tập cứu nạn | Bộ Chỉ huy Quân sự tỉnh | Quý III/2025 |\n")
    parsed = lines(text)
    sections = parse_sections(text, parsed)
    rows = extract_obligations("x.txt", text, sections, parsed)
    got = {(r.section, r.lead, r.deadline) for r in rows}
    assert ("II.1", ("Sở Nông nghiệp và Môi trường",), None) in got
    assert ("II.1", ("Sở Nông nghiệp và Môi trường",), "trước ngày 20/5/2025") in got
    assert ("II.2", ("Công an tỉnh",), None) in got
    assert ("Phụ lục", ("Bộ Chỉ huy Quân sự tỉnh",), "Quý III/2025") in got  # the table after the signature
    assert not [r for r in rows if r.section == "Nơi nhận" or "Sở Tài chính" in r.lead]
    assert [s.path for s in sections if s.level] == ["II", "II.1", "II.1.a", "II.1.b", "II.2", "Nơi nhận", "Phụ lục"]
