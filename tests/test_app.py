"""The Gradio app served on localhost, driven through its real HTTP API."""
from __future__ import annotations

import socket

import pytest

from conftest import FLAGSHIP, TAY_NINH


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(assistant):
    from assistant.app import CSS, build_app

    app = build_app(assistant)
    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def test_ask_through_the_app_shows_answer_sources_and_highlighted_context(served):
    from gradio_client import Client

    client = Client(served, verbose=False)
    history, sources, context, pick = client.predict(FLAGSHIP, [], 10, api_name="/ask")  # State is not sent
    def content(msg) -> str:  # gradio 6 sends message content as a list of typed parts
        return "".join(p["text"] for p in msg["content"]) if isinstance(msg["content"], list) else msg["content"]

    assert [m["role"] for m in history] == ["user", "assistant"]
    assert content(history[0]) == FLAGSHIP
    answer = content(history[1])
    assert "Đài Phát thanh và Truyền hình Tây Ninh" in answer and "[1]" in answer
    assert TAY_NINH in sources and "II.7.a" in sources
    assert "<mark" in context and "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh." in context
    assert "Đẩy mạnh tuyên truyền thông tin đối ngoại khu vực biên giới" in context  # breadcrumb
    assert pick["value"].startswith("[1] " + TAY_NINH)  # the radio update: first citation chosen


def test_context_highlights_exactly_the_cited_span(assistant):
    from assistant.app import context_html

    ans = assistant.ask(FLAGSHIP)
    c = ans.citations[0]
    html = context_html(assistant.searcher.document_text(c.doc), c)
    marked = html.split("<mark", 1)[1].split(">", 1)[1].split("</mark>", 1)[0]
    assert marked == c.quote  # quote has no HTML-special characters
    assert f'data-start="{c.start}"' in html
