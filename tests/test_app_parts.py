"""The app's parts without a server: upload safety, login rules, question filters, document
metadata, obligation filters and exports."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TAY_NINH


# --- uploads ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\boot.ini", "/abs/path/x.txt", "....txt", ".hidden.md",
                                  "a/../../b.md", "..", "", "ổ đĩa:C:\\x.md", "tên\x00rỗng.txt", "x" * 500 + ".txt"])
def test_safe_name_never_leaves_the_upload_folder(tmp_path, name):
    from assistant.uploads import safe_name, stored_path

    s = safe_name(name)
    assert s and "/" not in s and "\\" not in s and not s.startswith(".") and len(s) <= 120
    p = stored_path(tmp_path, name)
    assert p.parent == (tmp_path / "uploads").resolve()


def test_safe_name_keeps_vietnamese_and_extension():
    from assistant.uploads import safe_name

    assert safe_name("Kế hoạch số 12.docx") == "Kế hoạch số 12.docx"
    assert safe_name("C:\\Users\\cb\\Kế hoạch 2024.PDF") == "Kế hoạch 2024.PDF"
    assert safe_name("x" * 500 + ".txt").endswith(".txt")


def test_upload_checks_type_size_and_emptiness(tmp_path, monkeypatch):
    from assistant import uploads

    f = tmp_path / "a.txt"
    f.write_text("Nội dung", encoding="utf-8")
    assert uploads.check(f, "a.txt") is None
    assert "loại tệp '.exe' không được nhận" in uploads.check(f, "virus.exe")
    assert "(không có đuôi)" in uploads.check(f, "README")
    monkeypatch.setattr(uploads, "max_upload_bytes", lambda: 4)
    assert "a.txt: tệp quá lớn" in uploads.check(f, "a.txt") and "giới hạn" in uploads.check(f, "a.txt")
    empty = tmp_path / "b.md"
    empty.write_bytes(b"")
    monkeypatch.setattr(uploads, "max_upload_bytes", lambda: 1024)
    assert uploads.check(empty, "b.md") == "b.md: tệp rỗng"


def test_upload_of_a_format_without_reader_says_so(tmp_path):
    from assistant.uploads import ALLOWED, check
    from ingest.readers import supported_extensions

    missing = [e for e in ALLOWED if e not in supported_extensions()]
    if not missing:
        pytest.skip("every offered format has a reader")
    f = tmp_path / ("x" + missing[0])
    f.write_bytes(b"abc")
    assert "chưa có bộ đọc" in check(f, f.name)


def test_ingest_uploads_reports_each_file_and_keeps_only_indexed_ones(index_copy, embedder, tmp_path):
    from assistant.uploads import ingest_uploads, reindex, results_markdown
    from index.indexer import Indexer
    from index.search import Searcher

    src = tmp_path / "src"
    src.mkdir()
    good = src / "good.md"
    good.write_text("# KẾ HOẠCH\nTập huấn an toàn thông tin năm 2025\n\nI. NHIỆM VỤ\n\n"
                    "1. Tổ chức tập huấn an toàn thông tin cho cán bộ xã.\n", encoding="utf-8")
    bad = src / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00\x00 not utf8 \x00")
    wrong = src / "x.exe"
    wrong.write_bytes(b"MZ")
    before = Searcher(index_copy, embedder).documents()
    res = ingest_uploads(index_copy, [(good, "../good.md"), (bad, "bad.txt"), (wrong, "x.exe")],
                         Indexer(index_copy, embedder))
    assert [r.status for r in res] == ["added", "error", "rejected"]
    assert res[0].stored == "good.md" and res[0].chunks > 0
    assert "bad.txt" in res[1].message and str(tmp_path) not in res[1].message
    assert not (index_copy / "uploads" / "bad.txt").exists()  # not indexed: not kept
    assert not (index_copy.parent / "good.md").exists() and (index_copy / "uploads" / "good.md").is_file()
    after = Searcher(index_copy, embedder).documents()
    assert len(after) == len(before) + 1
    md = results_markdown(res)
    assert "**1/3 tệp nạp được.**" in md and "đã thêm" in md and "bị từ chối" in md
    again = reindex(index_copy, Indexer(index_copy, embedder))
    assert [(r.name, r.status) for r in again] == [("good.md", "unchanged")]


def test_delete_document_removes_index_rows_and_stored_file(index_copy, embedder, tmp_path):
    from assistant.uploads import delete_document, ingest_uploads
    from index.indexer import Indexer
    from index.search import Searcher

    f = tmp_path / "del.md"
    f.write_text("# KẾ HOẠCH\nNội dung cần xoá\n\nI. NHIỆM VỤ\n\n1. Một việc.\n", encoding="utf-8")
    ix = Indexer(index_copy, embedder)
    ingest_uploads(index_copy, [(f, "del.md")], ix)
    assert delete_document(index_copy, "del.md", ix)
    assert "del.md" not in [d["name"] for d in Searcher(index_copy, embedder).documents()]
    assert not (index_copy / "uploads" / "del.md").exists()
    assert delete_document(index_copy, TAY_NINH, ix)  # an ingested (not uploaded) document
    assert not delete_document(index_copy, "../../etc/passwd", ix)
    assert Path("/etc/passwd").exists()


# --- access -------------------------------------------------------------------------------
def test_login_rules(tmp_path):
    from assistant.access import AccessError, is_local, resolve

    assert is_local("127.0.0.1") and is_local("localhost") and is_local("::1") and is_local("127.0.1.1")
    assert not is_local("0.0.0.0") and not is_local("192.168.1.5") and not is_local("example.org")
    assert resolve("127.0.0.1") is None
    assert resolve("127.0.0.1", auth="a:b:c") == [("a", "b:c")]
    with pytest.raises(AccessError, match="--auth tên:mật_khẩu"):
        resolve("0.0.0.0")
    assert resolve("0.0.0.0", no_auth=True) is None
    f = tmp_path / "logins"
    f.write_text("# cán bộ\ncanbo:mật khẩu\n\nadmin:x\n", encoding="utf-8")
    assert resolve("0.0.0.0", auth_file=f) == [("canbo", "mật khẩu"), ("admin", "x")]
    with pytest.raises(AccessError, match="cần dạng 'tên:mật_khẩu'"):
        resolve("0.0.0.0", auth="nopassword")
    with pytest.raises(AccessError, match="không dùng --no-auth cùng với"):
        resolve("0.0.0.0", auth="a:b", no_auth=True)
    with pytest.raises(AccessError, match="không tìm thấy tệp"):
        resolve("0.0.0.0", auth_file=tmp_path / "missing")
    (tmp_path / "empty").write_text("# none\n")
    with pytest.raises(AccessError, match="không có dòng 'tên:mật_khẩu' nào"):
        resolve("0.0.0.0", auth_file=tmp_path / "empty")


def test_serve_refuses_a_public_host_without_login(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "eval.cli", "serve", "--index", str(tmp_path), "--host", "0.0.0.0"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert "--host 0.0.0.0 cho phép máy khác truy cập" in r.stderr and "--no-auth" in r.stderr
    r = subprocess.run([sys.executable, "-m", "eval.cli", "serve", "--index", str(tmp_path), "--host", "0.0.0.0",
                        "--no-auth"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and "chưa có chỉ mục" in r.stderr  # past the login check: stops at the empty index


# --- filters and views --------------------------------------------------------------------
def test_question_filters_resolve_to_documents(assistant):
    from assistant.views import NoDocumentMatches, document_years, question_filters
    from index.filters import SearchFilter

    meta = assistant.searcher.doc_meta()
    assert question_filters(meta, None) == {"filters": None}
    assert question_filters(meta, [TAY_NINH]) == {"filters": SearchFilter(docs=(TAY_NINH,))}
    # 001 opens "Cao Bằng, ngày 09 tháng 4 năm 2021" and is issued by the Sở Văn hóa, Thể thao và Du lịch
    f = question_filters(meta, None, year="2021")["filters"]
    assert f == SearchFilter(year=2021) and [n for n, m in meta.items() if f.allows(m)] == ["001_2acf101d37e4caff.txt"]
    assert "2021" in document_years(meta) and document_years(meta) == sorted(document_years(meta), reverse=True)
    f = question_filters(meta, None, issuer="Sở VHTTDL")["filters"]
    assert f.allows(meta["001_2acf101d37e4caff.txt"]) and not f.allows(meta[TAY_NINH])
    for bad in ({"year": "1999"}, {"year": "năm ngoái"}, {"issuer": "Bộ Tài chính"}):
        with pytest.raises(NoDocumentMatches, match="Không có văn bản nào khớp"):
            question_filters(meta, [TAY_NINH], **bad)
    # the filter reaches the search: every hit passes it
    hits = assistant.ask("tuyên truyền thông tin đối ngoại", filters=question_filters(meta, None, year="2021")["filters"]).hits
    assert hits and {h.chunk.doc for h in hits} == {"001_2acf101d37e4caff.txt"}


def test_question_filters_read_the_stored_filter_fields():
    from assistant.views import document_years, question_filters
    from index.filters import DocMeta

    meta = {"a.txt": DocMeta("a.txt", issuer="UBND tỉnh Tây Ninh", date="2024-03-12", year=2024),
            "b.txt": DocMeta("b.txt", issuer="Sở Ngoại vụ", date="2023-05-01", year=2023),
            "c.txt": DocMeta("c.txt")}  # nothing known: passes no filter on a field
    f = question_filters(meta, None, issuer="Ủy ban nhân dân tỉnh Tây Ninh")["filters"]
    assert [n for n, m in meta.items() if f.allows(m)] == ["a.txt"]
    f = question_filters(meta, None, year="2023")["filters"]
    assert [n for n, m in meta.items() if f.allows(m)] == ["b.txt"]
    assert document_years(meta) == ["2024", "2023"]


def test_document_table_shows_documents_not_files():
    from assistant.views import document_table

    headers, rows = document_table([
        {"name": "a.txt", "title": "KẾ HOẠCH", "chunks": 3, "sha256": "x", "so_hieu": "12/KH-UBND",
         "loai": "Kế hoạch", "trich_yeu": "phòng chống bão năm 2025", "ghi_chu": ["bản sao"], "noi_nhan": None,
         "spans": {"so_hieu": [0, 9]}, "text": "long"},
        {"name": "b_8cf6ccb46031413.txt", "chunks": 1}])
    assert headers[:2] == ["Văn bản", "Loại"]
    for internal in ("Tệp", "Số đoạn", "sha256", "text", "spans", "ghi_chu", "Cơ quan ban hành", "Nơi nhận"):
        assert internal not in headers  # internal, or no document states it
    assert rows[0][:2] == ["12/KH-UBND — Phòng chống bão năm 2025", "Kế hoạch"]
    assert rows[1][0] == "b_8cf6ccb46031413.txt" and rows[1][1] == ""  # neither số hiệu nor trích yếu: the file


def test_document_labels_are_number_and_summary_and_unique():
    from assistant.views import doc_label, doc_labels, name_documents

    assert doc_label({"so_hieu": "144-KH/ĐUK", "trich_yeu": "công tác thông tin đối ngoại"}, "x.txt") == \
        "144-KH/ĐUK — Công tác thông tin đối ngoại"
    assert doc_label({"loai": "Kế hoạch", "trich_yeu": "Công tác A", "so_hieu": None}, "x.txt") == "Kế hoạch — Công tác A"
    assert doc_label({"so_hieu": "None", "title": "KẾ HOẠCH B"}, "x.txt") == "KẾ HOẠCH B"
    assert doc_label({}, "x.txt") == "x.txt"
    labels = doc_labels([{"name": "a.txt", "loai": "Kế hoạch", "trich_yeu": "A", "co_quan_ban_hanh": "Sở X"},
                         {"name": "b.txt", "loai": "Kế hoạch", "trich_yeu": "A", "co_quan_ban_hanh": "Sở Y"}])
    assert labels == {"a.txt": "Kế hoạch — A (Sở X)", "b.txt": "Kế hoạch — A (Sở Y)"}
    text = "Theo KẾ HOẠCH A (a.txt):\n- a.txt, mục I"
    assert name_documents(text, {"a.txt": "12/KH — A"}) == "Theo KẾ HOẠCH A (12/KH):\n- 12/KH — A, mục I"
    assert name_documents(text, {"a.txt": "Kế hoạch — A"}) == "Theo KẾ HOẠCH A:\n- Kế hoạch — A, mục I"


def test_passages_render_markdown_and_highlight_exactly_the_span():
    import re

    from assistant.views import passage_html, render_marked

    text = ("#### II. NHIỆM VỤ\n**Cơ quan chủ trì:** Sở *Nội vụ*.\n- Thời hạn: Quý II.\n\n"
            "| Nhiệm vụ | Chủ trì |\n|---|---|\n| Tập huấn **cán bộ** | Sở A |\n")
    for quote in ("**Cơ quan chủ trì:** Sở *Nội vụ*.", "Tập huấn **cán bộ** | Sở A", "#### II. NHIỆM VỤ",
                  "- Thời hạn: Quý II."):
        start = text.index(quote)
        html_out = render_marked(text, start, start + len(quote))
        visible = re.sub(r"<[^>]+>", "", html_out)
        assert "**" not in visible and "####" not in visible and "*Nội" not in visible  # markers rendered away
        marked = " ".join(re.findall(r"<mark[^>]*>(.*?)</mark>", html_out, re.S))
        plain = re.sub(r"<[^>]+>", "", marked)
        assert re.sub(r"\s", "", plain) == re.sub(r"[*#|\s]", "", quote), (quote, html_out)
        assert html_out.count("<mark") == html_out.count("</mark>")
    assert "<table>" in render_marked(text, 0, 4) and "<strong>" in render_marked(text, 0, 4)
    page = passage_html("x" * 2000 + "\nDòng trích dẫn.\n" + "y" * 2000, "12/KH — A", "I", ("I. A",), 2001, 2016,
                        tooltip="a_f8cf6ccb4603.txt")
    assert 'title="a_f8cf6ccb4603.txt"' in page and ">12/KH — A<" in page
    assert "<script" not in passage_html("<script>alert(1)</script>", "A", "", (), 0, 8)


def test_sources_show_labels_ranks_and_no_scores_or_offsets():
    from assistant.views import sources_html

    cite = {"n": 1, "doc": "002_f8cf6ccb46031413.txt", "label": "Kế hoạch — Công tác A", "section": "II.7.a",
            "quote": "Cơ quan chủ trì: **Báo Tây Ninh**.", "start": 3088, "end": 4223, "breadcrumb": []}
    out = sources_html({"id": "abc", "question": "Ai?", "citations": [cite], "refused": False})
    visible = __import__("re").sub(r"<[^>]+>", "", out)
    assert "Kế hoạch — Công tác A" in visible and "II.7.a" in visible and "<strong>Báo Tây Ninh</strong>" in out
    assert "002_f8cf6ccb46031413.txt" not in visible and "3088" not in out and "**" not in visible
    assert 'href="#cite-abc-1"' in out and 'title="002_f8cf6ccb46031413.txt"' in out
    refused = sources_html({"id": "r", "question": "?", "refused": True, "citations": [cite, dict(cite, n=2)]})
    assert "Các đoạn gần nhất" in refused and "hạng 1/2" in refused


def test_feedback_store_keeps_rows_outside_generations_and_exports_gold(tmp_path):
    import json

    from assistant.feedback import FeedbackStore
    from eval.gold import load_gold

    store = FeedbackStore(tmp_path)
    cites = [{"n": 1, "doc": "a.txt", "label": "X", "section": "I", "quote": "Sở A chủ trì.", "start": 5, "end": 18}]
    up = store.record("Ai chủ trì?", "Sở A [1]", cites, 1, user="canbo", generation="gen-000003", intent="lead")
    down = store.record("Giá vé?", "Không tìm thấy…", [], -1, refused=True, generation="gen-000003")
    assert store.comment(down, "Câu này có trong văn bản B")
    assert (tmp_path / "feedback.sqlite").is_file()
    rows = FeedbackStore(tmp_path).rows()  # a new store object: the rows are on disk
    assert [(r.id, r.rating, r.user) for r in rows] == [(up, 1, "canbo"), (down, -1, None)]
    assert rows[0].citations == [{k: v for k, v in cites[0].items() if k != "label"}]
    lines = [json.loads(x) for x in store.gold_lines("down")]
    assert len(lines) == 1 and lines[0]["type"] == "unanswerable" and lines[0]["comment"] == "Câu này có trong văn bản B"
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(store.gold_lines()), encoding="utf-8")
    items = load_gold(gold)  # the export loads as a gold set
    assert [i.question for i in items] == ["Ai chủ trì?", "Giá vé?"] and items[0].docs == ("a.txt",)
    assert items[0].quotes == ("Sở A chủ trì.",) and not items[1].answerable


def test_obligation_filters_and_exports(assistant, tmp_path):
    from openpyxl import load_workbook

    from assistant.views import ObligationFilter, export_csv, export_xlsx, filter_rows

    rows = assistant.searcher.snapshot().obligations
    full = filter_rows(rows, ObligationFilter(agency="Sở Thông tin và Truyền thông"))
    assert full and full == filter_rows(rows, ObligationFilter(agency="Sở TT&TT"))
    lead = filter_rows(rows, ObligationFilter(agency="Sở Thông tin và Truyền thông", role="lead"))
    assert set(map(id, lead)) <= set(map(id, full)) and all("Sở Thông tin và Truyền thông" in o.lead for o in lead)
    dated = [o for o in rows if o.deadline]
    assert dated
    d0 = dated[0].deadline
    assert dated[0] in filter_rows(rows, ObligationFilter(deadline=d0.lower()))
    assert all(o.doc == TAY_NINH for o in filter_rows(rows, ObligationFilter(doc=TAY_NINH)))
    from ingest.normalize import strip

    words = filter_rows(rows, ObligationFilter(text="tuyen truyen"))  # without diacritics
    assert words and all("tuyen truyen" in strip(o.doc + o.section + o.task + " " + " ".join(o.lead + o.partners)) for o in words)
    assert len(words) < len(rows)
    labels = {o.doc: "Kế hoạch — " + o.doc.upper() for o in rows}
    csv_text = export_csv(full, tmp_path / "x.csv", labels).read_text(encoding="utf-8-sig")
    assert csv_text.count("\n") == len(full) + 1 and "Vị trí" not in csv_text and full[0].doc not in csv_text
    ws = load_workbook(export_xlsx(full, tmp_path / "x.xlsx", labels)).active
    assert ws.max_row == len(full) + 1 and ws["A1"].value == "Văn bản" and ws["A2"].value == labels[full[0].doc]
    assert [c.value for c in ws[1]] == ["Văn bản", "Mục", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Thời hạn"]


def test_linkify_marks_only_real_citations():
    from assistant.views import linkify, unlinkify

    s = linkify("A [1] và B [2]; [9] không phải trích dẫn.", {1, 2}, "a1b2")
    assert s == "A [[1]](#cite-a1b2-1) và B [[2]](#cite-a1b2-2); [9] không phải trích dẫn."
    assert unlinkify(s) == "A [1] và B [2]; [9] không phải trích dẫn."


def test_quotes_cut_inside_markdown_show_no_markers():
    import re

    from assistant.views import quote_html

    for quote, words in (("Cơ quan chủ trì:** Sở A.", "Cơ quan chủ trì: Sở A."),
                         ("*Quý II/2025", "Quý II/2025"),
                         ("| Kiểm tra **đê điều** | Quý I/2025 |", "Kiểm tra đê điều · Quý I/2025")):
        out = quote_html(quote)
        visible = re.sub(r"<[^>]+>", "", out)
        assert "*" not in visible and "|" not in visible and visible.split() == words.split(), out
    assert "<strong>đê điều</strong>" in quote_html("| Kiểm tra **đê điều** | Quý I/2025 |")


# --- start ----------------------------------------------------------------------------------
_LISTENER_DOCS = """
import json, sys
if sys.argv[1] == "app":
    import assistant.app  # noqa: F401 - installs the start-up patches before gradio loads
import gradio
from gradio import component_meta
from gradio.blocks import BlockContext
from gradio.components.base import Component
docs, seen = {}, set()
def walk(cls):
    for sub in cls.__subclasses__():
        if sub not in seen:
            seen.add(sub)
            for e in getattr(sub, "EVENTS", []):
                name = e if isinstance(e, str) else e.event_name
                docs[f"{sub.__module__}.{sub.__qualname__}.{name}"] = getattr(sub, name).__doc__
            walk(sub)
walk(Component)
walk(BlockContext)
print(json.dumps({"docs": docs, "stubs": component_meta.create_or_modify_pyi.__qualname__}))
"""


def test_gradio_loads_without_stub_regeneration_and_with_the_same_listener_docs():
    """assistant.app skips Gradio's per-class .pyi regeneration at import and renders listener
    docstrings without Jinja: every component's listeners read exactly as Gradio's own rendering."""
    import json

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = {k: json.loads(subprocess.run([sys.executable, "-c", _LISTENER_DOCS, k], env=env, check=True,
                                        capture_output=True, text=True, cwd=ROOT).stdout) for k in ("app", "plain")}
    assert len(out["app"]["docs"]) > 200 and out["app"]["docs"] == out["plain"]["docs"]
    assert out["plain"]["stubs"] == "create_or_modify_pyi" and "stubs" in out["app"]["stubs"]


def test_the_model_and_index_load_once_the_page_is_served(sample_index, embedder):
    """build_app loads nothing (the page must not wait for the index or the model); launch
    starts the warm-up once the server answers."""
    import socket
    import threading
    import urllib.request

    from assistant.app import build_app, launch
    from assistant.service import Assistant

    a = Assistant(sample_index, embedder)
    app = build_app(a)
    assert a.searcher._snap is None and not any(t.name == "tracuu-warm-up" for t in threading.enumerate())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launch(app, "127.0.0.1", port, block=False, quiet=True)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            assert "tracuu — Tra cứu" in r.read().decode()
        for t in [t for t in threading.enumerate() if t.name == "tracuu-warm-up"]:
            t.join()
        assert a.searcher._snap is not None
    finally:
        app.close()
