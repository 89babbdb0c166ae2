"""The Gradio app served on localhost, driven through its real HTTP API (gradio_client)."""
from __future__ import annotations

import csv
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import FLAGSHIP, TAY_NINH


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(assistant, auth=None):
    from assistant.app import build_app, launch

    app = build_app(assistant)
    port = _free_port()
    launch(app, "127.0.0.1", port, auth=auth, block=False, quiet=True)
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def served(assistant):
    app, url = _serve(assistant)
    yield url
    app.close()


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(served, verbose=False)


def content(msg) -> str:  # gradio 6 sends message content as a list of typed parts
    return "".join(p["text"] for p in msg["content"]) if isinstance(msg["content"], list) else msg["content"]


def test_ask_through_the_app_shows_answer_sources_and_highlighted_context(client):
    history, sources, context, pick = client.predict(FLAGSHIP, [], 10, api_name="/ask")  # State is not sent
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert content(history[0]) == FLAGSHIP
    answer = content(history[1])
    assert "Đài Phát thanh và Truyền hình Tây Ninh" in answer and "[1]" in answer
    assert "(#cite-1)" in answer  # [1] is a link that opens citation 1
    assert TAY_NINH in sources and "II.7.a" in sources
    assert "<mark" in context and "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh." in context
    assert "Đẩy mạnh tuyên truyền thông tin đối ngoại khu vực biên giới" in context  # breadcrumb
    assert pick["value"].startswith("[1] " + TAY_NINH)  # the radio update: first citation chosen


def test_answer_streams_in_before_the_final_message(client):
    from assistant.views import unlinkify

    job = client.submit(FLAGSHIP, [], 10, api_name="/ask")
    job.result()
    texts = [content(o[0][-1]) for o in job.outputs() if o[0] and o[0][-1]["role"] == "assistant"]
    final = unlinkify(texts[-1])
    partial = [t for t in texts[:-1] if t.strip() not in ("", "…")]
    assert partial and all(final.startswith(t.rstrip()) for t in partial)
    assert any(len(t.rstrip()) < len(final.rstrip()) for t in partial)  # shown before it was complete


def test_sources_list_document_section_and_score(assistant):
    from assistant.app import sources_markdown

    ans = assistant.ask(FLAGSHIP)
    md = sources_markdown(ans)
    hit = next(h for h in ans.hits if h.chunk.doc == ans.citations[0].doc
               and h.chunk.start <= ans.citations[0].start and ans.citations[0].end <= h.chunk.end)
    assert f"{hit.score:.4f}" in md and ans.citations[0].section in md


def test_refusal_lists_and_opens_the_nearest_passages(client, assistant):
    q = "Giá vé máy bay từ Hà Nội đi Paris là bao nhiêu?"
    direct = assistant.ask(q)
    if not direct.refused:
        pytest.skip("the assistant answers this question from the sample corpus")
    history, sources, context, pick = client.predict(q, [], 10, api_name="/ask")
    assert "Các đoạn gần nhất" in sources
    assert direct.hits[0].chunk.doc in sources
    assert len(pick["choices"]) == min(5, len(direct.hits))
    assert "<mark" in context and f'data-start="{direct.hits[0].chunk.start}"' in context


def test_context_highlights_exactly_the_cited_span(assistant):
    from assistant.app import context_html

    ans = assistant.ask(FLAGSHIP)
    c = ans.citations[0]
    html = context_html(assistant.searcher.document_text(c.doc), c)
    marked = html.split("<mark", 1)[1].split(">", 1)[1].split("</mark>", 1)[0]
    assert marked == c.quote  # quote has no HTML-special characters
    assert f'data-start="{c.start}"' in html


def test_question_filter_by_document_limits_the_sources(client, assistant):
    other = next(d["name"] for d in assistant.searcher.documents() if d["name"] != TAY_NINH)
    history, sources, context, pick = client.predict(FLAGSHIP, [], 10, [other], "", "", api_name="/ask")
    assert TAY_NINH not in sources
    assert all(c.startswith(f"[{i}] {other}") for i, c in enumerate((c[0] for c in pick["choices"]), 1))


def test_obligations_filter_by_alias_and_export(client, assistant, tmp_path):
    from openpyxl import load_workbook

    from ingest.agencies import matches

    full = "Sở Thông tin và Truyền thông"
    expected = [o for o in assistant.searcher.obligations() if any(matches(full, a) for a in o.lead + o.partners)]
    assert expected
    table, count = client.predict(full, "any", "", "", "", api_name="/obligations")
    alias_table, _ = client.predict("Sở TT&TT", "any", "", "", "", api_name="/obligations")
    assert len(table["data"]) == len(expected) == len(alias_table["data"])
    assert f"**{len(expected)}**" in count
    assert all(full in row[3] or full in row[4] for row in table["data"])

    csv_path = client.predict(full, "any", "", "", "", api_name="/export_csv")
    with open(csv_path, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == len(expected) + 1 and rows[0][0] == "Văn bản"
    ws = load_workbook(client.predict(full, "any", "", "", "", api_name="/export_xlsx")).active
    assert [[v or "" for v in r] for r in ws.iter_rows(min_row=2, values_only=True)] == rows[1:]


def test_twenty_concurrent_questions_all_answered_correctly(client, assistant):
    """20 users at once. The questions come from the index's own obligation rows (the plan's
    explicit 'Cơ quan chủ trì:' fields), asked with and without diacritics; each answer must
    name the row's lead agency and equal what the assistant answers on its own."""
    from assistant.views import unlinkify
    from ingest.normalize import strip

    rows = [o for o in assistant.searcher.obligations() if o.source == "fields" and o.lead]
    questions = []
    for o in rows:
        task = " ".join(o.task.split()[:14]).rstrip(".,;:")
        questions += [("Cơ quan nào chủ trì " + task + "?", o), (strip("Cơ quan nào chủ trì " + task + "?"), o)]
    questions = questions[:20]
    assert len(questions) == 20, "the sample corpus should have 10 rows with explicit lead fields"
    direct = {q: assistant.ask(q) for q, _ in questions}

    def ask(q: str):
        return client.predict(q, [], 10, api_name="/ask")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(ask, [q for q, _ in questions]))
    for (q, row), (history, sources, context, pick) in zip(questions, results):
        answer = unlinkify(content(history[-1]))
        assert content(history[0]) == q
        assert answer == direct[q].text, q
        assert any(lead in answer for lead in row.lead), (q, row.lead)
        assert [c[0] for c in pick["choices"]] == [f"[{c.n}] {c.doc} — mục {c.section or 'mở đầu'}"
                                                  for c in direct[q].citations]
        assert "<mark" in context


def test_upload_ask_delete_without_restart(assistant_copy_served, tmp_path):
    """A document uploaded through the app is searchable at once, and gone once deleted."""
    from gradio_client import handle_file

    client, searcher = assistant_copy_served
    f = tmp_path / "ke hoach (moi)!.md"
    f.write_text("# KẾ HOẠCH\nPhòng chống bão lũ năm 2025\n\nI. NHIỆM VỤ\n\n1. Diễn tập cứu hộ ven sông\n\n"
                 "- Cơ quan chủ trì: Bộ Chỉ huy Quân sự tỉnh.\n- Thời gian thực hiện: Quý II/2025.\n",
                 encoding="utf-8")
    result = client.predict([handle_file(str(f))], api_name="/upload")
    assert "đã thêm" in result and "1/1" in result
    from assistant.uploads import safe_name

    stored = safe_name(f.name)
    assert "/" not in stored and stored.endswith(".md")
    assert stored in [d["name"] for d in searcher.documents()]
    assert (searcher.index_dir / "uploads" / stored).is_file()

    history, sources, context, pick = client.predict("Cơ quan nào chủ trì diễn tập cứu hộ ven sông?", [], 10,
                                                     api_name="/ask")
    assert "Bộ Chỉ huy Quân sự tỉnh" in content(history[-1]) and stored in sources

    assert "Đã xoá" in client.predict(stored, api_name="/delete")
    assert stored not in [d["name"] for d in searcher.documents()]
    assert not (searcher.index_dir / "uploads" / stored).exists()
    history, sources, *_ = client.predict("Cơ quan nào chủ trì diễn tập cứu hộ ven sông?", [], 10, api_name="/ask")
    assert stored not in sources


def test_upload_rejects_bad_types_with_a_clear_message(assistant_copy_served, tmp_path):
    from gradio_client import handle_file

    client, searcher = assistant_copy_served
    before = [d["name"] for d in searcher.documents()]
    bad = tmp_path / "script.exe"
    bad.write_bytes(b"MZ\x00\x00")
    result = client.predict([handle_file(str(bad))], api_name="/upload")
    assert "script.exe: loại tệp '.exe' không được nhận" in result and "0/1" in result
    assert [d["name"] for d in searcher.documents()] == before


@pytest.fixture(scope="module")
def assistant_copy_served(sample_index, embedder, tmp_path_factory):
    import shutil

    from assistant.service import Assistant
    from gradio_client import Client

    d = tmp_path_factory.mktemp("app-index") / "index"
    shutil.copytree(sample_index, d)
    a = Assistant(d, embedder)
    app, url = _serve(a)
    yield Client(url, verbose=False), a.searcher
    app.close()


def test_login_required_when_configured(assistant):
    from gradio_client import Client

    app, url = _serve(assistant, auth=[("canbo", "m@t-khau")])
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(FLAGSHIP, [], 10, api_name="/ask")
        with pytest.raises(Exception):
            Client(url, auth=("canbo", "sai"), verbose=False)
        history, *_ = Client(url, auth=("canbo", "m@t-khau"), verbose=False).predict(FLAGSHIP, [], 10,
                                                                                      api_name="/ask")
        assert "Đài Phát thanh và Truyền hình Tây Ninh" in content(history[-1])
    finally:
        app.close()
