"""Gradio app: ask in Vietnamese (or without diacritics, or in English), read the answer as it
streams in, and check every citation against the passage it quotes, highlighted in its
document; list every obligation row; manage the documents in the index.

Three tabs — Hỏi đáp, Nghĩa vụ, Văn bản — over one Assistant. The Searcher reloads by itself
when a write makes a new index generation live, so uploads and deletes show without a restart;
writes go through one queue slot (and the index's writer lock) so they never interleave."""
from __future__ import annotations

import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

from assistant import access
from assistant.service import Assistant
from assistant.types import Citation
from assistant.uploads import ALLOWED, delete_document, ingest_uploads, max_upload_bytes, reindex, results_markdown
from assistant.views import (CONTEXT_CHARS, HEADER_CHARS, NoDocumentMatches, OBLIGATION_HEADERS, ObligationFilter,
                             citation_label, context_html, document_table, document_years, export_csv, export_xlsx,
                             filter_rows, linkify, unlinkify, nearest_citations, obligation_record, passage_html,
                             question_filters, sources_markdown)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

__all__ = ["CONTEXT_CHARS", "CSS", "build_app", "context_html", "launch", "serve", "sources_markdown"]

EXAMPLES = [
    "Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?",
    "co quan nao chu tri tap huan nghiep vu thong tin doi ngoai o Tay Ninh",
    "Chính sách quốc phòng bốn không là gì?",
    "Which agencies coordinate the training on foreign information work in Tay Ninh?",
]
CONCURRENCY = 4  # questions answered at once; more wait in the queue
QUEUE_SIZE = 100

CSS = """
.tracuu-context { white-space: pre-wrap; line-height: 1.55; font-size: 0.95rem; max-height: 460px; overflow-y: auto; }
.tracuu-context mark { background: #ffe58a; padding: 0 2px; }
.tracuu-crumb { color: #555; font-size: 0.85rem; margin-bottom: 0.4rem; }
#chat a[href^="#cite-"] { font-weight: 600; text-decoration: none; background: #eef3ff; border-radius: 3px;
                          padding: 0 2px; cursor: pointer; }
"""

# A click on "[n]" in an answer selects citation n in the radio list, whose change event
# opens the passage. Capturing phase: the chatbot would otherwise follow the link.
CLICK_JS = """
() => {
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#cite-"]');
    if (!a) return;
    e.preventDefault(); e.stopPropagation();
    const n = a.getAttribute('href').slice('#cite-'.length);
    for (const label of document.querySelectorAll('#pick label')) {
      if (label.textContent.trim().startsWith('[' + n + ']')) {
        const input = label.querySelector('input');
        (input || label).click();
        document.getElementById('context')?.scrollIntoView({block: 'nearest'});
        break;
      }
    }
  }, true);
}
"""


def _cite_dict(c: Citation) -> dict:
    return {"n": c.n, "doc": c.doc, "section": c.section, "quote": c.quote, "start": c.start, "end": c.end,
            "breadcrumb": list(c.breadcrumb)}


def _plain_message(m: dict) -> dict:
    content = m.get("content")
    if isinstance(content, list):  # gradio 6 sends message content back as typed parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict)) or content
    return {"role": m.get("role"), "content": unlinkify(content) if isinstance(content, str) else content}


def build_app(assistant: Assistant):
    import gradio as gr
    import pandas as pd

    from index.indexer import Indexer

    searcher = assistant.searcher
    index_dir = searcher.index_dir
    indexer_lock = threading.Lock()
    indexer: list[Indexer] = []

    def get_indexer() -> Indexer:
        with indexer_lock:  # one model in memory, shared with the searcher
            if not indexer:
                indexer.append(Indexer(index_dir, searcher.embedder))
            return indexer[0]

    @lru_cache(maxsize=4096)
    def _header(generation: str, name: str) -> str:
        return searcher.document_text(name)[:HEADER_CHARS]

    def header(name: str) -> str:
        return _header(searcher.snapshot().generation, name)

    def filters(docs: list[str] | None, issuer: str | None, year: str | None) -> dict:
        """Every question filter goes through here, into Assistant.stream's keyword arguments."""
        return question_filters(searcher.documents(), header, docs, issuer or "", year or "")

    # --- Hỏi đáp ---------------------------------------------------------------------
    def ask(question: str, history: list | None, k: float = 10, docs: list[str] | None = None,
            issuer: str | None = None, year: str | None = None):
        question = (question or "").strip()
        # only the newest answer's [n] open citations: the radio list holds that answer's only
        history = [_plain_message(m) for m in history or []]
        if not question:
            yield history, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
        try:
            kw = filters(docs, issuer, year)
        except NoDocumentMatches as exc:
            history[-1] = {"role": "assistant", "content": str(exc)}
            yield history, "", "", gr.update(choices=[], value=None), []
            return
        # the previous answer's sources go as the new question starts
        yield history, "", "", gr.update(choices=[], value=None), []
        text, ans = "", None
        for item in assistant.stream(question, k=int(k), **kw):
            if isinstance(item, str):
                text += item
                history[-1] = {"role": "assistant", "content": text}
                yield history, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            else:
                ans = item
        cites = ans.citations or nearest_citations(ans)
        history[-1] = {"role": "assistant", "content": linkify(ans.text, {c.n for c in ans.citations})}
        choices = [citation_label(c) for c in cites]
        first = context_html(searcher.document_text(cites[0].doc, ans.generation), cites[0]) if cites else \
            "<p>Không có trích dẫn.</p>"
        yield (history, sources_markdown(ans), first,
               gr.update(choices=choices, value=choices[0] if choices else None), [_cite_dict(c) for c in cites])

    def show(choice: str | None, cites: list[dict]) -> str:
        if not choice or not cites:
            return ""
        n = int(choice.split("]")[0].lstrip("["))
        d = next((c for c in cites if c["n"] == n), None)
        if d is None:
            return ""
        c = Citation(d["n"], d["doc"], d["section"], d["quote"], d["start"], d["end"], tuple(d["breadcrumb"]))
        try:
            return context_html(searcher.document_text(c.doc), c)
        except KeyError:
            return f"<p>Văn bản {c.doc} đã bị xoá khỏi chỉ mục.</p>"

    # --- Nghĩa vụ ---------------------------------------------------------------------
    def obligation_rows(agency: str, role: str, doc: str | None, deadline: str, text: str):
        f = ObligationFilter(agency or "", role or "any", doc or "", deadline or "", text or "")
        return filter_rows(searcher.snapshot().obligations, f)

    def list_obligations(agency, role, doc, deadline, text):
        rows = obligation_rows(agency, role, doc, deadline, text)
        total = len(searcher.snapshot().obligations)
        table = pd.DataFrame([obligation_record(r) for r in rows], columns=OBLIGATION_HEADERS)
        return table, f"**{len(rows)}** / {total} nghĩa vụ khớp bộ lọc. Chọn một dòng để xem đoạn gốc."

    def open_obligation(evt: gr.SelectData):
        row = evt.row_value or []
        if len(row) < len(OBLIGATION_HEADERS):
            return ""
        doc, section, span = row[0], row[1], str(row[-1])
        start, _, end = span.partition("-")
        try:
            text = searcher.document_text(doc)
            crumb = next((s.breadcrumb for s in searcher.sections(doc) if s.path == section), ())
        except KeyError:
            return f"<p>Văn bản {doc} đã bị xoá khỏi chỉ mục.</p>"
        return passage_html(text, doc, section, crumb, int(start), int(end))

    open_obligation.__annotations__["evt"] = gr.SelectData  # a string under `from __future__ import annotations`

    def export(kind: str, agency, role, doc, deadline, text):
        rows = obligation_rows(agency, role, doc, deadline, text)
        out = Path(tempfile.mkdtemp(prefix="tracuu-export-")) / f"nghia-vu.{kind}"
        return str((export_csv if kind == "csv" else export_xlsx)(rows, out))

    # --- Văn bản ----------------------------------------------------------------------
    def refresh():
        docs = searcher.documents()
        headers, rows = document_table(docs)
        names = [d["name"] for d in docs]
        years = document_years(docs, header)
        return (pd.DataFrame(rows, columns=headers),
                gr.update(choices=names, value=None),  # delete picker
                gr.update(choices=names),  # question filter: documents
                gr.update(choices=[""] + years),  # question filter: year
                gr.update(choices=[""] + names))  # obligations filter: document

    def upload(files: list | None, progress=gr.Progress()):
        if not files:
            return "_Chưa chọn tệp nào._"
        pairs = [(Path(f), Path(f).name) for f in files]

        def step(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"Đọc {name}" if name else "Tạo chỉ mục")

        progress(0, desc="Kiểm tra tệp")
        return results_markdown(ingest_uploads(index_dir, pairs, get_indexer(), step))

    def delete(name: str | None):
        if not name:
            return "_Chọn văn bản cần xoá._"
        ok = delete_document(index_dir, name, get_indexer())
        return f"Đã xoá **{name}**." if ok else f"Không có văn bản **{name}** trong chỉ mục."

    def redo(progress=gr.Progress()):
        results = reindex(index_dir, get_indexer(),
                          lambda d, t, n: progress((d, t), desc=f"Đọc {n}" if n else "Tạo chỉ mục"))
        return results_markdown(results) if results else "_Chưa có tệp nào được tải lên để nạp lại._"

    docs0 = searcher.documents()
    names0, years0 = [d["name"] for d in docs0], document_years(docs0, header)
    with gr.Blocks(title="tracuu — Tra cứu kế hoạch, chỉ thị") as app:
        gr.Markdown("## tracuu — Tra cứu kế hoạch, chỉ thị, kết luận, nghị quyết\n"
                    "Mỗi câu trả lời kèm trích dẫn [n]; bấm [n] để xem đoạn gốc được tô sáng trong văn bản.")
        cites_state = gr.State([])
        with gr.Tab("Hỏi đáp", id="hoi-dap"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="Hỏi đáp", height=420, elem_id="chat")
                    question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: " + EXAMPLES[0],
                                          elem_id="question")
                    with gr.Row():
                        ask_btn = gr.Button("Hỏi", variant="primary", elem_id="ask")
                        k = gr.Slider(3, 20, value=10, step=1, label="Số đoạn tìm kiếm")
                    with gr.Accordion("Lọc theo văn bản, cơ quan ban hành, năm", open=False):
                        f_docs = gr.Dropdown(choices=names0, multiselect=True, label="Văn bản", elem_id="f-docs",
                                             allow_custom_value=True)  # choices change with uploads
                        f_issuer = gr.Textbox(label="Cơ quan ban hành", placeholder="Ví dụ: Sở Văn hóa",
                                              elem_id="f-issuer")
                        f_year = gr.Dropdown(choices=[""] + years0, value="", label="Năm", elem_id="f-year",
                                             allow_custom_value=True)
                    gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                with gr.Column(scale=2):
                    sources = gr.Markdown(label="Nguồn trích dẫn", elem_id="sources")
                    pick = gr.Radio(choices=[], label="Xem trích dẫn trong văn bản", elem_id="pick")
                    context = gr.HTML(elem_id="context")
        with gr.Tab("Nghĩa vụ", id="nghia-vu"):
            with gr.Row():
                o_agency = gr.Textbox(label="Cơ quan (mọi cách viết: Sở TT&TT, STTTT…)", elem_id="o-agency")
                o_role = gr.Radio([("Chủ trì hoặc phối hợp", "any"), ("Chủ trì", "lead"), ("Phối hợp", "partner")],
                                  value="any", label="Vai trò", elem_id="o-role")
                o_doc = gr.Dropdown(choices=[""] + names0, value="", label="Văn bản", elem_id="o-doc",
                                    allow_custom_value=True)
            with gr.Row():
                o_deadline = gr.Textbox(label="Thời hạn (ví dụ: 2024, quý III, hằng năm)", elem_id="o-deadline")
                o_text = gr.Textbox(label="Tìm trong nhiệm vụ", elem_id="o-text")
            with gr.Row():
                o_btn = gr.Button("Lọc", variant="primary", elem_id="o-filter")
                csv_btn = gr.Button("Xuất CSV", elem_id="o-csv")
                xlsx_btn = gr.Button("Xuất XLSX", elem_id="o-xlsx")
            o_count = gr.Markdown(elem_id="o-count")
            o_table = gr.Dataframe(headers=OBLIGATION_HEADERS, interactive=False, wrap=True, max_height=520,
                                   column_widths=["12%", "6%", "36%", "16%", "16%", "8%", "6%"], elem_id="obligations")
            o_file = gr.File(label="Tệp xuất", elem_id="o-file")
            o_context = gr.HTML(elem_id="o-context")
        with gr.Tab("Văn bản", id="van-ban"):
            docs_table = gr.Dataframe(interactive=False, wrap=True, elem_id="documents")
            with gr.Row():
                with gr.Column():
                    # no file_types: Gradio would refuse other types in English; uploads.check
                    # refuses them by name, in Vietnamese
                    files = gr.File(file_count="multiple", type="filepath",
                                    label=f"Tải lên ({', '.join(ALLOWED)}; tối đa "
                                          f"{max_upload_bytes() / 1024 / 1024:.0f} MB mỗi tệp)", elem_id="upload")
                    up_btn = gr.Button("Nạp vào chỉ mục", variant="primary", elem_id="upload-btn")
                    redo_btn = gr.Button("Nạp lại các tệp đã tải lên", elem_id="reindex-btn")
                    up_result = gr.Markdown(elem_id="upload-result")
                with gr.Column():
                    del_pick = gr.Dropdown(choices=names0, label="Văn bản cần xoá", elem_id="delete-pick",
                                           allow_custom_value=True)
                    del_btn = gr.Button("Xoá văn bản", variant="stop", elem_id="delete-btn")
                    del_result = gr.Markdown(elem_id="delete-result")

        outs = [chat, sources, context, pick, cites_state]
        ask_in = [question, chat, k, f_docs, f_issuer, f_year]
        ask_btn.click(ask, ask_in, outs, api_name="ask").then(lambda: "", outputs=question, api_name=False)
        question.submit(ask, ask_in, outs, api_name=False).then(lambda: "", outputs=question, api_name=False)
        pick.change(show, [pick, cites_state], context, api_name=False)

        o_in = [o_agency, o_role, o_doc, o_deadline, o_text]
        o_btn.click(list_obligations, o_in, [o_table, o_count], api_name="obligations")
        gr.on([o_agency.submit, o_deadline.submit, o_text.submit, o_doc.change, o_role.change], list_obligations,
              o_in, [o_table, o_count], api_name=False)
        csv_btn.click(lambda *a: export("csv", *a), o_in, o_file, api_name="export_csv")
        xlsx_btn.click(lambda *a: export("xlsx", *a), o_in, o_file, api_name="export_xlsx")
        o_table.select(open_obligation, None, o_context, api_name=False)

        refreshed = [docs_table, del_pick, f_docs, f_year, o_doc]
        writes = dict(concurrency_limit=1, concurrency_id="index-writes")
        up_btn.click(upload, files, up_result, api_name="upload", **writes).then(
            refresh, None, refreshed, api_name=False).then(lambda: None, outputs=files, api_name=False)
        del_btn.click(delete, del_pick, del_result, api_name="delete", **writes).then(
            refresh, None, refreshed, api_name=False)
        redo_btn.click(redo, None, up_result, api_name="reindex", **writes).then(
            refresh, None, refreshed, api_name=False)
        app.load(refresh, None, refreshed, api_name="documents")
        app.load(list_obligations, o_in, [o_table, o_count], api_name=False)
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    return app


def launch(app, host: str = "127.0.0.1", port: int = 7860, auth: list[tuple[str, str]] | None = None,
           block: bool = True, quiet: bool = False):
    return app.launch(server_name=host, server_port=port, auth=auth, css=CSS, js=CLICK_JS, footer_links=[],
                      auth_message="Đăng nhập để tra cứu." if auth else None, prevent_thread_lock=not block,
                      max_file_size=5 * max_upload_bytes(),  # a hard stop; the app's own limit gives the message
                      app_kwargs=access.throttled_app_kwargs(), quiet=quiet)


def serve(index_dir: Path, host: str = "127.0.0.1", port: int = 7860, llm: str | None = None,
          auth: list[tuple[str, str]] | None = None) -> None:
    assistant = Assistant(index_dir, llm=llm)
    assistant.searcher.warm_up()  # fail early when there is no index; models loaded before questions come
    launch(build_app(assistant), host, port, auth)
