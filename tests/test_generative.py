"""The optional generative answerer, driven through real LangChain code paths: LangChain's
fake chat models, and the real ChatOpenAI client against an OpenAI-compatible server on
localhost that plays back a scripted reply (no LLM can run in CI)."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant.generative import REFUSE_MARK, GenerativeAnswerer, LLMSpec, make_chat_model
from assistant.service import Assistant
from conftest import FLAGSHIP, TAY_NINH

GOOD = ("Cơ quan chủ trì là Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh [{n}]. "
        "Nhiệm vụ này được thực hiện thường xuyên [{n}].")
INVENTED = "Kinh phí cho nhiệm vụ này là 5 tỷ đồng do Bộ Tài chính cấp [{n}]."


def _fake(text: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([text]))


def _flagship_n(assistant) -> int:
    hits = assistant.searcher.search(FLAGSHIP, k=10)
    return next(i for i, h in enumerate(hits[:6], 1) if h.chunk.section == "II.7.a")


def test_supported_sentences_are_kept_with_exact_citations(sample_index, embedder, assistant):
    n = _flagship_n(assistant)
    gen_assistant = Assistant(sample_index, embedder, llm=_fake(GOOD.format(n=n)))
    ans = gen_assistant.ask(FLAGSHIP)
    assert ans.answerer == "generative" and not ans.refused and not ans.dropped
    assert "Đài Phát thanh và Truyền hình Tây Ninh" in ans.text and "[1]" in ans.text
    c = ans.citations[0]
    assert c.doc == TAY_NINH and c.section == "II.7.a"
    assert gen_assistant.searcher.document_text(c.doc)[c.start:c.end] == c.quote
    assert "Cơ quan chủ trì" in c.quote


def test_unsupported_and_miscited_sentences_are_dropped(sample_index, embedder, assistant):
    n = _flagship_n(assistant)
    # invented money, a citation to a passage that does not exist, and a partner named as the
    # lead (its words all occur in the passage, but under "phối hợp")
    raw = (GOOD.format(n=n) + " " + INVENTED.format(n=n) + " Báo Tây Ninh phối hợp [99]."
           f" Sở Ngoại vụ chủ trì nhiệm vụ này [{n}].")
    gen_assistant = Assistant(sample_index, embedder, llm=_fake(raw))
    ans = gen_assistant.ask(FLAGSHIP)
    assert ans.answerer == "generative"
    assert "5 tỷ đồng" not in ans.text and "Sở Ngoại vụ" not in ans.text and len(ans.dropped) == 3
    assert any("5 tỷ đồng" in d for d in ans.dropped) and any("Sở Ngoại vụ" in d for d in ans.dropped)
    assert "Đài Phát thanh và Truyền hình Tây Ninh" in ans.text


def test_model_refusal_is_a_refusal(sample_index, embedder):
    ans = Assistant(sample_index, embedder, llm=_fake(REFUSE_MARK + ".")).ask("Tổng kinh phí là bao nhiêu?")
    assert ans.refused and not ans.citations and ans.text.startswith("Không tìm thấy")


def test_nothing_supported_falls_back_to_extractive(sample_index, embedder, assistant):
    n = _flagship_n(assistant)
    ans = Assistant(sample_index, embedder, llm=_fake(INVENTED.format(n=n))).ask(FLAGSHIP)
    assert ans.answerer.startswith("extractive (fallback")
    assert "Báo Tây Ninh" in ans.text and ans.citations[0].section == "II.7.a"


def test_stream_yields_draft_tokens_then_the_checked_answer(sample_index, embedder, assistant):
    n = _flagship_n(assistant)
    items = list(Assistant(sample_index, embedder, llm=_fake(GOOD.format(n=n))).stream(FLAGSHIP))
    tokens, final = items[:-1], items[-1]
    assert len(tokens) > 3 and all(isinstance(t, str) for t in tokens)
    assert "".join(tokens).startswith("Cơ quan chủ trì là")
    assert final.answerer == "generative" and final.citations


# --- the real OpenAI-compatible client against a local server -------------------------------
class _Scripted(BaseHTTPRequestHandler):
    reply = ""
    requests: list = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        base = {"id": "x", "created": 0, "model": body["model"]}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for word in self.reply.split(" "):
                chunk = {**base, "object": "chat.completion.chunk",
                         "choices": [{"index": 0, "delta": {"role": "assistant", "content": word + " "},
                                      "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            done = {**base, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            return
        out = {**base, "object": "chat.completion",
               "choices": [{"index": 0, "message": {"role": "assistant", "content": self.reply},
                            "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(out, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def openai_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Scripted)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_compatible_server_through_the_real_client(sample_index, embedder, assistant, openai_server):
    n = _flagship_n(assistant)
    _Scripted.reply, _Scripted.requests = GOOD.format(n=n), []
    ans = Assistant(sample_index, embedder, llm=f"openai:qwen-local@{openai_server}").ask(FLAGSHIP)
    assert ans.answerer == "generative", ans.answerer
    assert ans.citations[0].section == "II.7.a" and "Báo Tây Ninh" in ans.text
    prompt = _Scripted.requests[0]["messages"]
    assert prompt[0]["role"] == "system" and "[1]" in prompt[1]["content"] and FLAGSHIP in prompt[1]["content"]
    assert "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh." in prompt[1]["content"]


def test_unreachable_server_falls_back_to_extractive(sample_index, embedder):
    with socket.socket() as s:  # a port on which nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ans = Assistant(sample_index, embedder, llm=f"openai:m@http://127.0.0.1:{port}/v1").ask(FLAGSHIP)
    assert ans.answerer.startswith("extractive (fallback: model unreachable")
    assert not ans.refused and ans.citations[0].section == "II.7.a"


@pytest.mark.parametrize("spec,parsed", [
    ("openai:qwen@http://127.0.0.1:8000/v1", LLMSpec("openai", "qwen", "http://127.0.0.1:8000/v1")),
    ("ollama:qwen2.5", LLMSpec("ollama", "qwen2.5", None)),
    ("llamacpp:/models/q.gguf", LLMSpec("llamacpp", "/models/q.gguf", None)),
])
def test_llm_specs(spec, parsed):
    assert LLMSpec.parse(spec) == parsed


@pytest.mark.parametrize("bad", ["gpt4", "openai:qwen", "foo:bar", "ollama:"])
def test_bad_llm_specs_are_clear_errors(bad):
    with pytest.raises(ValueError, match="--llm .* không hợp lệ"):
        LLMSpec.parse(bad)


def test_make_chat_model_builds_the_named_integration():
    m = make_chat_model(LLMSpec("openai", "x", "http://127.0.0.1:1/v1"))
    assert type(m).__name__ == "ChatOpenAI"
    assert type(make_chat_model(LLMSpec("ollama", "x"))).__name__ == "ChatOllama"


def test_verify_handles_citations_after_the_full_stop(assistant):
    hits = assistant.searcher.search(FLAGSHIP, k=6)
    n = next(i for i, h in enumerate(hits, 1) if h.chunk.section == "II.7.a")
    g = GenerativeAnswerer(None, assistant.searcher.document_text).verify(
        f"Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh. [{n}]", hits)
    assert g.citations and g.citations[0].section == "II.7.a" and not g.dropped


def test_a_document_deleted_while_the_model_writes_is_quoted_from_the_question_s_generation(assistant):
    snap = assistant.searcher.snapshot()
    hits = assistant.searcher.search(FLAGSHIP, k=6, snapshot=snap)
    n = next(i for i, h in enumerate(hits, 1) if h.chunk.section == "II.7.a")

    def live(name: str) -> str:  # the live generation after a delete: the document is gone
        raise KeyError(name)

    g = GenerativeAnswerer(None, live).verify(
        f"Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh [{n}].", hits, snap.document_text)
    c = g.citations[0]
    assert c.doc == TAY_NINH and snap.document_text(c.doc)[c.start:c.end] == c.quote
