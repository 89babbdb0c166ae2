"""Gradio app: ask in Vietnamese (or without diacritics, or in English), read the answer,
and check every citation against the passage it quotes, highlighted in its document."""
from __future__ import annotations

import html
import os
from pathlib import Path

from assistant.service import Assistant
from assistant.types import Answer, Citation

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

EXAMPLES = [
    "Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?",
    "co quan nao chu tri tap huan nghiep vu thong tin doi ngoai o Tay Ninh",
    "Chính sách quốc phòng bốn không là gì?",
    "Which agencies coordinate the training on foreign information work in Tay Ninh?",
]
CONTEXT_CHARS = 500  # shown on each side of a cited passage

CSS = """
.tracuu-context { white-space: pre-wrap; line-height: 1.55; font-size: 0.95rem; }
.tracuu-context mark { background: #ffe58a; padding: 0 2px; }
.tracuu-crumb { color: #555; font-size: 0.85rem; margin-bottom: 0.4rem; }
"""


def sources_markdown(ans: Answer) -> str:
    if not ans.citations:
        if not ans.hits:
            return "_Không có đoạn nào liên quan._"
        rows = [f"- **{h.chunk.doc}**, mục {h.chunk.section or 'mở đầu'} (điểm {h.score:.3f})" for h in ans.hits[:5]]
        return "**Các đoạn gần nhất (chưa đủ căn cứ để trả lời):**\n" + "\n".join(rows)
    rows = [f"**[{c.n}]** {c.doc} — mục **{c.section or 'mở đầu'}**\n\n> {c.quote}" for c in ans.citations]
    return "\n\n".join(rows)


def context_html(text: str, c: Citation) -> str:
    """The cited passage in its document, highlighted exactly at the citation's span."""
    a = max(0, c.start - CONTEXT_CHARS)
    b = min(len(text), c.end + CONTEXT_CHARS)
    before, quote, after = text[a:c.start], text[c.start:c.end], text[c.end:b]
    crumb = " › ".join(html.escape(h) for h in c.breadcrumb) or "Phần mở đầu"
    return (f'<div class="tracuu-crumb">[{c.n}] {html.escape(c.doc)} — mục {html.escape(c.section or "mở đầu")}'
            f" — {crumb}</div>"
            f'<div class="tracuu-context">{"…" if a else ""}{html.escape(before)}'
            f'<mark data-start="{c.start}" data-end="{c.end}">{html.escape(quote)}</mark>'
            f'{html.escape(after)}{"…" if b < len(text) else ""}</div>')


def build_app(assistant: Assistant):
    import gradio as gr

    def ask(question: str, history: list, k: int):
        question = (question or "").strip()
        if not question:
            return history, gr.update(), gr.update(), gr.update(choices=[], value=None), []
        ans = assistant.ask(question, k=int(k))
        history = history + [{"role": "user", "content": question},
                             {"role": "assistant", "content": ans.text}]
        cites = [{"n": c.n, "doc": c.doc, "section": c.section, "quote": c.quote, "start": c.start,
                  "end": c.end, "breadcrumb": list(c.breadcrumb)} for c in ans.citations]
        choices = [f"[{c.n}] {c.doc} — mục {c.section or 'mở đầu'}" for c in ans.citations]
        first = show(choices[0], cites) if choices else "<p>Không có trích dẫn.</p>"
        return (history, sources_markdown(ans), first,
                gr.update(choices=choices, value=choices[0] if choices else None), cites)

    def show(choice: str | None, cites: list[dict]) -> str:
        if not choice or not cites:
            return ""
        n = int(choice.split("]")[0].lstrip("["))
        d = next(c for c in cites if c["n"] == n)
        c = Citation(d["n"], d["doc"], d["section"], d["quote"], d["start"], d["end"], tuple(d["breadcrumb"]))
        return context_html(assistant.searcher.document_text(c.doc), c)

    def documents_rows():
        return [[d["name"], d["title"], d["chunks"], d["ingested_at"]] for d in assistant.searcher.documents()]

    with gr.Blocks(title="tracuu — Tra cứu kế hoạch, chỉ thị") as app:
        gr.Markdown("## tracuu — Tra cứu kế hoạch, chỉ thị, kết luận, nghị quyết\n"
                    "Mỗi câu trả lời kèm trích dẫn [n]; chọn trích dẫn để xem đoạn gốc được tô sáng.")
        cites_state = gr.State([])
        with gr.Tab("Hỏi đáp"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Hỏi đáp", height=420, elem_id="chat")
                    question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: " + EXAMPLES[0],
                                          elem_id="question")
                    with gr.Row():
                        ask_btn = gr.Button("Hỏi", variant="primary", elem_id="ask")
                        k = gr.Slider(3, 20, value=10, step=1, label="Số đoạn tìm kiếm")
                    gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                with gr.Column(scale=2):
                    sources = gr.Markdown(label="Nguồn trích dẫn", elem_id="sources")
                    pick = gr.Radio(choices=[], label="Xem trích dẫn trong văn bản", elem_id="pick")
                    context = gr.HTML(elem_id="context")
        with gr.Tab("Văn bản"):
            docs = gr.Dataframe(headers=["Tệp", "Tiêu đề", "Số đoạn", "Thời điểm nạp"],
                                value=documents_rows, interactive=False, elem_id="documents")
            gr.Button("Làm mới").click(documents_rows, outputs=docs)

        outs = [chat, sources, context, pick, cites_state]
        ask_btn.click(ask, [question, chat, k], outs, api_name="ask").then(lambda: "", outputs=question)
        question.submit(ask, [question, chat, k], outs).then(lambda: "", outputs=question)
        pick.change(show, [pick, cites_state], context)
    app.queue(default_concurrency_limit=4)
    return app


def serve(index_dir: Path, host: str = "127.0.0.1", port: int = 7860, llm: str | None = None) -> None:
    assistant = Assistant(index_dir, llm=llm)
    assistant.searcher.snapshot()  # fail early with a clear message when there is no index
    build_app(assistant).launch(server_name=host, server_port=port, css=CSS, footer_links=[])
