"""Every format through the Indexer and `tracuu ingest`/`tracuu docs`: good files of a run are
indexed with their metadata, bad ones give one clear error each and change nothing."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from index.indexer import Indexer
from index.store import SCHEMA_VERSION, current_generation, live_stores
from tests.docbuild import make_blank_pdf, make_docx, make_pdf
from test_cli import tracuu

BODY = ("- Cơ quan chủ trì: Sở Thông tin và Truyền thông; phối hợp: Ủy ban nhân dân các huyện, thị xã, "
        "thành phố tổ chức tập huấn nghiệp vụ thông tin đối ngoại cho cán bộ cơ sở.")


def _good_files(d: Path) -> list[Path]:
    docx = make_docx(d / "ct_docx.docx", [
        ("p", "ỦY BAN NHÂN DÂN TỈNH TÂY NINH"), ("p", "Số: 12 /CT-UBND"),
        ("p", "Tây Ninh, ngày 5 tháng 3 năm 2024"), ("p", "CHỈ THỊ"),
        ("p", "Về tăng cường công tác thông tin đối ngoại"), ("h1", "I. NHIỆM VỤ"), ("p", BODY),
        ("h2", "II. PHÂN CÔNG"),
        ("table", [["Nhiệm vụ", "Cơ quan chủ trì", "Thời gian"],
                   ["Tập huấn nghiệp vụ", "Sở Nội vụ", "Quý III/2024"]]),
        ("p", "Nơi nhận:"), ("p", "- Như trên;"), ("p", "CHỦ TỊCH"), ("p", "Nguyễn Thanh Ngọc")])
    pdf = make_pdf(d / "kh_pdf.pdf", [["Số: 7-KH/TU", "KẾ HOẠCH", "Tuyên truyền biên giới năm 2025",
                                       "I. MỤC ĐÍCH", BODY], ["II. NHIỆM VỤ", BODY.replace("tập huấn", "hội thảo")]],
                   header="TỈNH ỦY CAO BẰNG")
    html = d / "tb_html.html"
    html.write_text("<html><body><p>THÔNG BÁO</p><p>Kết luận giao ban tháng 5</p><h2>1. Nội dung</h2>"
                    f"<p>{BODY}</p></body></html>", encoding="utf-8")
    return [docx, pdf, html]


def _bad_files(d: Path) -> dict[str, str]:
    (d / "empty.txt").write_bytes(b"")
    (d / "binary.txt").write_bytes(bytes(range(256)) * 10)
    cut = make_docx(d / "cut.docx", [("p", BODY)] * 20)
    cut.write_bytes(cut.read_bytes()[:700])
    pdf = make_pdf(d / "cut.pdf", [[BODY]])
    pdf.write_bytes(pdf.read_bytes()[:500])
    make_blank_pdf(d / "scan.pdf")
    with open(d / "huge.txt", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB: over the size limit before it is ever read
    return {"empty.txt": "tệp rỗng", "binary.txt": "nhị phân", "cut.docx": "DOCX",
            "cut.pdf": "bị hỏng|bị cắt cụt|không có lớp chữ", "scan.pdf": "OCR", "huge.txt": "quá lớn"}


def _rows(index: Path, sql: str) -> list:
    """``sql`` over every store of the live generation, in index order."""
    out = []
    for db in live_stores(index):
        con = sqlite3.connect(db)
        try:
            out += con.execute(sql).fetchall()
        finally:
            con.close()
    return out


def _state(index: Path):
    return sorted(_rows(index, "SELECT name, sha256, meta FROM documents")), \
        _rows(index, "SELECT doc, start, end, text FROM chunks ORDER BY id")


def test_indexer_ingests_every_format_and_reports_each_bad_file(index_copy, embedder, tmp_path):
    import re

    before_docs, before_chunks = _state(index_copy)
    good = _good_files(tmp_path)
    bad = _bad_files(tmp_path)
    report = Indexer(index_copy, embedder).ingest(sorted(tmp_path.iterdir()))
    errors = {Path(f.path).name: f.error for f in report.errors}
    assert set(errors) == set(bad)
    for name, reason in bad.items():
        assert errors[name].count(name) == 1 and re.search(reason, errors[name]), errors[name]
    docs, chunks = _state(index_copy)
    assert [d[0] for d in docs] == sorted([d[0] for d in before_docs] + [f.name for f in good])
    assert [c for c in chunks if c[0] in {d[0] for d in before_docs}] == before_chunks
    meta = {d[0]: json.loads(d[2]) for d in docs}
    assert meta["ct_docx.docx"]["so_hieu"] == "12/CT-UBND" and meta["ct_docx.docx"]["loai"] == "Chỉ thị"
    assert meta["ct_docx.docx"]["ngay_ban_hanh"] == "2024-03-05"
    assert meta["ct_docx.docx"]["nguoi_ky"] == "Nguyễn Thanh Ngọc"
    assert meta["kh_pdf.pdf"]["so_hieu"] == "7-KH/TU" and meta["kh_pdf.pdf"]["trich_yeu"] == "Tuyên truyền biên giới năm 2025"
    assert meta["tb_html.html"]["loai"] == "Thông báo"
    # the DOCX table's row kept its column headers: the obligation extractor reads it as a row
    rows = _rows(index_copy, "SELECT lead, deadline, source FROM obligations WHERE doc = 'ct_docx.docx'")
    assert ('["Sở Nội vụ"]', "Quý III/2024", "table") in rows


def test_cli_ingest_and_docs_table_and_json(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _good_files(src)
    (src / "scan.pdf").write_bytes(make_blank_pdf(tmp_path / "scan.pdf").read_bytes())
    proc = tracuu("ingest", str(src), "--index", str(tmp_path / "idx"))
    assert proc.returncode == 1
    assert "scan.pdf" in proc.stderr and "cần nhận dạng chữ (OCR)" in proc.stderr
    assert "3 thêm mới, 0 cập nhật, 0 không đổi, 1 lỗi" in proc.stdout
    table = tracuu("docs", "--index", str(tmp_path / "idx"), "--format", "table").stdout
    header = table.splitlines()[0]
    for col in ("Tệp", "Số hiệu", "Loại", "Cơ quan ban hành", "Ngày ban hành", "Trích yếu", "Người ký", "Số đoạn"):
        assert col in header
    assert "12/CT-UBND" in table and "2024-03-05" in table
    docs = json.loads(tracuu("docs", "--index", str(tmp_path / "idx"), "--format", "json").stdout)
    assert [d["name"] for d in docs] == ["ct_docx.docx", "kh_pdf.pdf", "tb_html.html"]
    for key in ("so_hieu", "loai", "co_quan_ban_hanh", "ngay_ban_hanh", "trich_yeu", "nguoi_ky", "chunks"):
        assert all(key in d for d in docs)
    assert docs[0]["co_quan_ban_hanh"] == "ỦY BAN NHÂN DÂN TỈNH TÂY NINH"


def test_index_of_an_older_schema_says_so_and_is_upgraded_by_ingest(index_copy, embedder):
    from conftest import SAMPLE
    from index.search import Searcher
    from index.store import OutdatedIndexError

    # what tracuu wrote before segments (one store per generation); 0.1's (schema 2): no metadata column
    gen = current_generation(index_copy)
    [seg] = live_stores(index_copy)
    db = gen / "store.sqlite"
    shutil.copyfile(seg, db)
    (gen / "manifest.json").unlink()
    shutil.rmtree(seg.parent)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE documents DROP COLUMN meta")
    con.execute("ALTER TABLE documents DROP COLUMN footnotes")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(OutdatedIndexError, match=f"lược đồ 2, phiên bản này cần {SCHEMA_VERSION}.*tracuu ingest"):
        Searcher(index_copy, embedder).documents()
    report = Indexer(index_copy, embedder).ingest([SAMPLE])
    assert report.count("replaced") == 5 and not report.errors
    docs = Searcher(index_copy, embedder).documents()
    assert next(d for d in docs if d["name"].startswith("000"))["so_hieu"] == "144-KH/ĐUK"
    [(text, notes)] = _rows(index_copy, "SELECT text, footnotes FROM documents WHERE name LIKE '000%'")
    four = next(n for n in json.loads(notes) if n["number"] == 4)
    assert text[four["start"]:four["end"]].startswith("⁴ Chính sách quốc phòng “bốn không”")
    assert text[four["marker"][0]:four["marker"][1]] == "⁴"


def test_index_from_before_segments_with_unchanged_files_is_migrated_by_ingest(index_copy, embedder):
    from conftest import SAMPLE
    from index.search import Searcher
    from index.store import OutdatedIndexError, read_manifest

    # the last layout before segments (schema 4): the files are unchanged, yet the ingest the
    # error message asks for must still upgrade the index
    gen = current_generation(index_copy)
    [seg] = live_stores(index_copy)
    shutil.copyfile(seg, gen / "store.sqlite")
    (gen / "manifest.json").unlink()
    shutil.rmtree(seg.parent)
    con = sqlite3.connect(gen / "store.sqlite")
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(OutdatedIndexError):
        Searcher(index_copy, embedder).documents()
    with pytest.raises(OutdatedIndexError):
        Searcher(index_copy, embedder).check()  # what `tracuu serve` asks before it starts
    report = Indexer(index_copy, embedder).ingest([SAMPLE])
    assert report.count("unchanged") == 5 and not report.errors and report.generation
    assert read_manifest(current_generation(index_copy)) is not None
    assert len(Searcher(index_copy, embedder).documents()) == 5
