"""Header metadata of the five sample plans, read by hand, field by field."""
from __future__ import annotations

import re

import pytest

from conftest import SAMPLE
from ingest import load_document
from ingest.metadata import normalise_number
from ingest.normalize import strip

EXPECTED = {
    "000_6c111f925bb37fef.txt": dict(
        so_hieu="144-KH/ĐUK", loai="Kế hoạch",
        # no header line names the body; the preamble does: "…, Ban Thường vụ … ban hành kế hoạch"
        co_quan_ban_hanh="Ban Thường vụ Đảng ủy Khối Cơ quan và Doanh nghiệp tỉnh",
        noi_ban_hanh=None, ngay_ban_hanh=None,
        trich_yeu="công tác thông tin đối ngoại năm 2024", nguoi_ky="Trần Văn Thuận",
        noi_nhan=["Ban Tuyên giáo Tỉnh ủy (để b/c)",
                  "Đồng chí Bùi Mai Hoa, Ủy viên BTV Tỉnh ủy, Trưởng Ban Tuyên giáo Tỉnh ủy (để b/c)",
                  "Các đồng chí Ủy viên BTV Đảng ủy Khối", "Các cơ quan tham mưu, giúp việc Đảng ủy Khối",
                  "Các đảng ủy, chi ủy cơ sở trực thuộc", "Lưu VPĐUK"]),
    "001_2acf101d37e4caff.txt": dict(
        # "Số: /KH-SVHTTDL": the number itself was never filled in; the symbol is kept as written
        so_hieu="/KH-SVHTTDL", loai="Kế hoạch",
        # named only in the closing "Trên đây là kế hoạch … của Sở Văn hóa, Thể thao và Du lịch;"
        co_quan_ban_hanh="Sở Văn hóa, Thể thao và Du lịch",
        noi_ban_hanh="Cao Bằng", ngay_ban_hanh="2021-04-09",
        trich_yeu="Tuyên truyền công tác thông tin đối ngoại năm 2021", nguoi_ky="Sầm Việt An",
        noi_nhan=["Ban Tuyên giáo Tỉnh ủy (b/c)", "Lãnh đạo Sở", "Phòng VH TT; Trung tâm VH TT các huyện, TP",
                  "Các phòng, đơn vị trực thuộc Sở", "Lưu: VT, QL VHGD"]),
    "002_f8cf6ccb46031413.txt": dict(
        so_hieu=None, loai="Kế hoạch", co_quan_ban_hanh="Ủy ban nhân dân tỉnh",
        noi_ban_hanh=None, ngay_ban_hanh=None,
        trich_yeu="Công tác thông tin đối ngoại trên địa bàn tỉnh năm 2024", nguoi_ky="Võ Đức Trọng",
        noi_nhan=["Bộ Thông tin và Truyền thông (để b/c)", "Cục Thông tin đối ngoại (để b/c)", "TTTU",
                  "TT HĐND tỉnh (để b/c)", "CT, các PCT UBND tỉnh", "Ban Tuyên giáo Tỉnh ủy",
                  "UBMTTQ Việt Nam tỉnh và các đoàn thể tỉnh", "Các đơn vị LLVT trên địa bàn tỉnh",
                  "Các sở, ban, ngành tỉnh", "UBND các huyện, thị xã, thành phố", "LĐVP", "Phòng KGVX",
                  "Lưu: VT. VP UBND tỉnh"]),
    "003_c1ee218e7dc2fd12.txt": dict(
        so_hieu=None, loai="Kế hoạch", co_quan_ban_hanh="Ban thường vụ LĐLĐ huyện",
        # "ngày 25 tháng 7 năm 2024" in the preamble dates the plan it implements, not this one
        noi_ban_hanh=None, ngay_ban_hanh=None,
        trich_yeu="Triển khai thực hiện Kết luận số 57-KL/TW ngày 15/6/2023 của Bộ Chính trị về tiếp tục "
                  "nâng cao chất lượng, hiệu quả công tác thông tin đối ngoại trong tình hình mới",
        nguoi_ky="Hoàng Thạch Sơn",
        noi_nhan=["VP LĐLĐ tỉnh(b.c)", "Thường trực Huyện ủy", "Ban Dân vận Huyện ủy", "Các CĐCS (t.h)", "Lưu: VT"]),
    "004_35685223f3c2ca9d.txt": dict(
        so_hieu=None, loai="Kế hoạch", co_quan_ban_hanh="Ban Thường vụ Đảng ủy Thông tấn xã Việt Nam",
        noi_ban_hanh=None, ngay_ban_hanh=None,
        # three bold lines in the file: one subject, markers dropped
        trich_yeu="triển khai thực hiện Kết luận số 57-KL/TW ngày 15/6/2023 của Bộ Chính trị về tiếp tục "
                  "nâng cao chất lượng, hiệu quả công tác thông tin đối ngoại trong tình hình mới",
        nguoi_ky="Vũ Việt Trang",
        noi_nhan=["Đảng ủy Khối các cơ quan TW (để b/c)", "Các tổ chức đảng trực thuộc",
                  "Công đoàn, Đoàn Thanh niên, Liên Chi hội nhà báo, Hội Cựu chiến binh TTXVN",
                  "Các đ/c Ủy viên BCH Đảng bộ TTXVN", "Các đ/c Ủy viên UBKT Đảng ủy TTXVN", "Lưu VPĐU"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_plan_metadata_field_by_field(name: str) -> None:
    meta = load_document(SAMPLE / name).meta.to_json()
    for field, value in EXPECTED[name].items():
        assert meta[field] == value, field


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_field_has_the_span_that_states_it(name: str) -> None:
    doc = load_document(SAMPLE / name)
    spans = doc.meta.spans or {}
    assert "loai" in spans and "co_quan_ban_hanh" in spans
    for field, (a, b) in spans.items():
        said = strip(" ".join(doc.text[a:b].replace("*", " ").split())).lower()
        value = getattr(doc.meta, field)
        if field == "ngay_ban_hanh":
            y, m, d = value.split("-")
            assert re.search(rf"\b0?{int(d)}\b.*\b0?{int(m)}\b.*{y}", said), said
        elif field == "so_hieu":
            assert strip(value).lower().split("/")[-1] in said.replace(" ", "")
        else:
            assert strip(value).lower() in said, (field, said)


@pytest.mark.parametrize("raw,norm", [("144 -KH/ĐUK", "144-KH/ĐUK"), ("76/KH-LĐLĐ", "76/KH-LĐLĐ"),
                                      ("72/2015/NĐ - CP", "72/2015/NĐ-CP"), ("**57 - KL/TW**", "57-KL/TW")])
def test_number_normalised(raw: str, norm: str) -> None:
    assert normalise_number(raw) == norm


def test_official_header_layout(tmp_path) -> None:
    f = tmp_path / "ct.txt"
    f.write_text("ỦY BAN NHÂN DÂN\nTỈNH TÂY NINH\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
                 "Số: 12 /CT-UBND\n\nTây Ninh, ngày 5 tháng 3 năm 2024\n\nCHỈ THỊ\nVề tăng cường công tác thông tin "
                 "đối ngoại\n\nI. NHIỆM VỤ\n\n1. Sở Thông tin và Truyền thông chủ trì tuyên truyền.\n\n"
                 "Nơi nhận:\n- Như trên;\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\nNguyễn Thanh Ngọc\n",
                 encoding="utf-8")
    m = load_document(f).meta
    assert (m.so_hieu, m.loai, m.co_quan_ban_hanh, m.noi_ban_hanh, m.ngay_ban_hanh) == \
        ("12/CT-UBND", "Chỉ thị", "ỦY BAN NHÂN DÂN TỈNH TÂY NINH", "Tây Ninh", "2024-03-05")
    assert m.trich_yeu == "Về tăng cường công tác thông tin đối ngoại"
    assert (m.nguoi_ky, m.noi_nhan) == ("Nguyễn Thanh Ngọc", ["Như trên", "Lưu: VT"])


def test_missing_fields_are_none(tmp_path) -> None:
    f = tmp_path / "bare.txt"
    f.write_text("Ghi chú họp giao ban\n\n1. Sở Nội vụ chủ trì rà soát.\n", encoding="utf-8")
    m = load_document(f).meta.to_json()
    assert all(v is None for v in m.values()), m


def test_typed_two_column_header_and_issuer_below_its_superior(tmp_path) -> None:
    f = tmp_path / "kh.txt"
    f.write_text("UBND TỈNH ĐỒNG NAI                  CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
                 "    SỞ Y TẾ                           Độc lập - Tự do - Hạnh phúc\n"
                 "Số: 1245/KH-SYT                   Đồng Nai, ngày 10 tháng 3 năm 2025\n\n"
                 "                 KẾ HOẠCH\n   Phòng, chống bệnh sốt xuất huyết\n   năm 2025\n        -----\n\n"
                 "I. MỤC ĐÍCH\n\n1. Chủ động giám sát, phát hiện sớm ổ dịch.\n\n"
                 "Nơi nhận:                                  KT. GIÁM ĐỐC\n- UBND tỉnh;              PHÓ GIÁM ĐỐC\n"
                 "- Lưu: VT.\n                                       Phan Thị Ngọc Lan\n", encoding="utf-8")
    doc = load_document(f)
    m = doc.meta
    assert (m.so_hieu, m.loai, m.co_quan_ban_hanh, m.noi_ban_hanh, m.ngay_ban_hanh, m.trich_yeu, m.nguoi_ky,
            m.noi_nhan) == ("1245/KH-SYT", "Kế hoạch", "SỞ Y TẾ", "Đồng Nai", "2025-03-10",
                            "Phòng, chống bệnh sốt xuất huyết năm 2025", "Phan Thị Ngọc Lan", ["UBND tỉnh", "Lưu: VT"])
    assert doc.title == "KẾ HOẠCH Phòng, chống bệnh sốt xuất huyết năm 2025"
