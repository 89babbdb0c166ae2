"""Gradio app: ask in Vietnamese (or without diacritics, or in English), read the answer as it
streams in, and check every citation against the passage it quotes, highlighted in its
document; list every obligation row; manage the documents in the index.

Three tabs — Hỏi đáp, Nghĩa vụ, Văn bản — over one Assistant. Every answer keeps its own
citations: the conversation and each answer's citations live in the browser's storage
(gr.BrowserState), each "[n]" links to "#cite-<answer id>-<n>", and the sources panel follows
the answer whose citation was opened; a reload restores it all. The model and the index load
once the page is served. The Searcher reloads by itself when a write makes a new index
generation live, so uploads and deletes show without a restart; writes go through one queue
slot (and the index's writer lock) so they never interleave."""
from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.machinery
import io
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from functools import lru_cache
from pathlib import Path

from assistant import access
from assistant.feedback import FeedbackStore
from assistant.service import Assistant
from assistant.types import Answer, Citation
from assistant.uploads import ALLOWED, delete_document, ingest_uploads, max_upload_bytes, reindex, results_markdown
from assistant.views import (CONTEXT_CHARS, NoDocumentMatches, OBLIGATION_HEADERS, ObligationFilter,
                             context_html, doc_labels, document_choices, document_table, document_years, export_csv,
                             export_xlsx, filter_rows, linkify, name_documents, nearest_citations, obligation_record,
                             passage_html, question_filters, sources_html)

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


class _GradioStart(importlib.abc.MetaPathFinder):
    """Two things `import gradio` does that serve nothing at run time, skipped: for each of its
    ~80 component classes it re-derives the class's .pyi type stub (reads and parses the source
    file, renders a template, compares it with the shipped stub: ~40% of the import, and no
    setting or read-only install avoids it, the work is done before the write), and it renders
    each event listener's docstring through a new Jinja template where the only placeholder is
    the component's name. Stubs are left as shipped; docstrings come out the same."""

    PATCHES = ("gradio.events", "gradio.component_meta")

    def find_spec(self, name, path, target=None):
        if name not in self.PATCHES:
            return None
        self.seen = getattr(self, "seen", set()) | {name}
        if self.seen == set(self.PATCHES) and self in sys.meta_path:  # both found: no more to do
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            try:
                _patch_gradio(module)
            except Exception:  # noqa: BLE001 - another Gradio version: its import stays as it is
                pass

        spec.loader.exec_module = exec_module
        return spec


def _patch_gradio(module) -> None:
    if module.__name__ == "gradio.component_meta":
        keep = module.create_or_modify_pyi

        def stubs(component_class, class_name, events):
            # a component defined outside gradio (a custom one) still gets its stub
            if not getattr(component_class, "__module__", "").startswith("gradio."):
                keep(component_class, class_name, events)

        module.create_or_modify_pyi = stubs
    elif module.__name__ == "gradio.events":
        render = module.EventListener.set_doc

        def set_doc(self, component: str):
            doc = self.listener.__doc__
            if not doc:
                return
            out = doc.replace("{{ component }}", component)
            if "{{" in out or "{%" in out or "{#" in out:
                return render(self, component)  # more than the name: Jinja renders it
            # as Jinja's default rendering: one trailing newline dropped
            self.listener.__doc__ = out[:-1] if out.endswith("\n") else out

        module.EventListener.set_doc = set_doc


if "gradio" not in sys.modules and not any(isinstance(f, _GradioStart) for f in sys.meta_path):
    sys.meta_path.insert(0, _GradioStart())

__all__ = ["CONTEXT_CHARS", "CSS", "answer_record", "build_app", "context_html", "launch", "serve"]

EXAMPLES = [
    "Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?",
    "co quan nao chu tri tap huan nghiep vu thong tin doi ngoai o Tay Ninh",
    "Chính sách quốc phòng bốn không là gì?",
    "Which agencies coordinate the training on foreign information work in Tay Ninh?",
]
CONCURRENCY = 4  # questions answered at once; more wait in the queue
QUEUE_SIZE = 100
LOADING = "⏳ Đang tải mô hình… Câu hỏi đầu tiên sẽ được trả lời ngay khi mô hình sẵn sàng."
STORAGE_KEY = "tracuu-hoi-dap"
EMPTY_STORE = {"user": None, "messages": [], "answers": {}}

# Gradio's own strings (upload widget, chat buttons, tooltips) in Vietnamese. gr.I18n cannot do
# this in Gradio 6.31: custom translations are merged before the built-in English ones, which
# win, and "vi" is not a built-in locale; so the page script rewrites those strings as they appear.
GRADIO_VI = {
    "Drop File Here": "Kéo thả tệp vào đây", "- or -": "- hoặc -", "Click to Upload": "Bấm để chọn tệp",
    "Drop Files Here": "Kéo thả tệp vào đây", "Uploading...": "Đang tải lên…", "Clear": "Xóa",
    "Copy conversation": "Sao chép cuộc hỏi đáp", "Copy message": "Sao chép", "Copied message": "Đã sao chép",
    "Copied conversation": "Đã sao chép", "Copy": "Sao chép", "Copied": "Đã sao chép",
    "Like": "Câu trả lời tốt", "Dislike": "Câu trả lời chưa đúng", "Download": "Tải xuống", "Remove": "Bỏ",
    "Retry": "Hỏi lại", "Undo": "Hoàn tác", "Edit": "Sửa", "Loading": "Đang tải", "Loading...": "Đang tải…",
    "Error": "Lỗi", "Close": "Đóng", "Sort column": "Sắp xếp cột", "Sort ascending": "Tăng dần",
    "Sort descending": "Giảm dần", "Clear sort": "Bỏ sắp xếp", "Filter": "Lọc", "Clear filters": "Bỏ lọc",
    "Fullscreen": "Toàn màn hình", "Exit fullscreen mode": "Thoát toàn màn hình", "Search": "Tìm",
    "Copy table data": "Sao chép bảng", "Chatbot": "Hỏi đáp", "Empty": "Trống", "Dropdown": "Danh sách",
}

CSS = """
.tracuu-context { line-height: 1.55; font-size: 0.95rem; max-height: 460px; overflow-y: auto; overflow-wrap: anywhere; }
.tracuu-context p { margin: 0 0 0.45rem 0; }
.tracuu-context table, .tracuu-quote table { border-collapse: collapse; display: block; overflow-x: auto; }
.tracuu-context td, .tracuu-context th { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }
.tracuu-context mark { background: #ffe58a; padding: 0 2px; }
.tracuu-crumb { color: #555; font-size: 0.85rem; margin-bottom: 0.4rem; overflow-wrap: anywhere; }
.tracuu-sources ol { padding-left: 1.2rem; margin: 0; }
.tracuu-sources li { margin-bottom: 0.5rem; overflow-wrap: anywhere; }
.tracuu-sources li.selected { background: #fff7d6; }
.tracuu-quote { color: #333; font-size: 0.9rem; border-left: 3px solid #dde; padding-left: 0.5rem; margin-top: 2px; }
.tracuu-quote p { margin: 0; }
.tracuu-q { color: #555; font-style: italic; margin: 0 0 0.3rem 0; }
.tracuu-bar { color: #4a6fd1; letter-spacing: -1px; }
#chat a[href^="#cite-"], #sources a[href^="#cite-"] { font-weight: 600; text-decoration: none; background: #eef3ff;
    border-radius: 3px; padding: 0 2px; cursor: pointer; }
#status { color: #8a5a00; }
@media (max-width: 480px) {
  .tracuu-context { max-height: none; }
  #obligations table { font-size: 0.85rem; }
}
"""

# A click on "[n]" (in any answer, or in the sources panel) writes "<answer id>:<n>" into a
# hidden box whose input event opens that answer's sources and the passage. Capturing phase:
# the chatbot would otherwise follow the link.
CLICK_JS = """
() => {
  const vi = __GRADIO_VI__;
  const rewrite = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const t = n.nodeValue.trim();
      if (t && vi[t]) n.nodeValue = n.nodeValue.replace(t, vi[t]);
    }
    for (const el of root.querySelectorAll ? root.querySelectorAll('[title],[aria-label],[placeholder]') : []) {
      for (const attr of ['title', 'aria-label', 'placeholder']) {
        const v = el.getAttribute(attr);
        if (v && vi[v.trim()]) el.setAttribute(attr, vi[v.trim()]);
      }
    }
  };
  rewrite(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') { const t = r.target.nodeValue.trim(); if (vi[t]) r.target.nodeValue = vi[t]; }
      else if (r.type === 'attributes') { const v = r.target.getAttribute(r.attributeName); if (v && vi[v.trim()]) r.target.setAttribute(r.attributeName, vi[v.trim()]); }
      else for (const n of r.addedNodes) { if (n.nodeType === 1) rewrite(n); else if (n.nodeType === 3 && vi[n.nodeValue.trim()]) n.nodeValue = vi[n.nodeValue.trim()]; }
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true,
                              attributeFilter: ['title', 'aria-label', 'placeholder']});
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[href^="#cite-"]');
    if (!a) return;
    e.preventDefault(); e.stopPropagation();
    const m = a.getAttribute('href').match(/^#cite-(.*)-(\\d+)$/);
    const box = document.querySelector('#cite-key textarea');
    if (!m || !box) return;
    box.value = m[1] + ':' + m[2] + ':' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    document.getElementById('context')?.scrollIntoView({block: 'nearest'});
  }, true);
}
"""

DELETE_CONFIRM = "Xoá **{label}** khỏi chỉ mục? Các câu hỏi sau sẽ không tìm trong văn bản này nữa."


def _cite_dict(c: Citation, labels: dict[str, str]) -> dict:
    return {"n": c.n, "doc": c.doc, "label": labels.get(c.doc, c.doc), "section": c.section, "quote": c.quote,
            "start": c.start, "end": c.end, "breadcrumb": list(c.breadcrumb)}


def answer_record(ans: Answer, answer_id: str, labels: dict[str, str], generation: str | None) -> dict:
    """What the browser keeps of one answer: enough to show its text, its sources and passages,
    and to file feedback about it."""
    cites = ans.citations or nearest_citations(ans)
    return {"id": answer_id, "question": ans.question, "text": ans.text, "refused": bool(ans.refused),
            "intent": ans.intent, "generation": generation, "citations": [_cite_dict(c, labels) for c in cites]}


def _secret(index_dir: Path) -> str:
    """The key the browser's copy of the conversation is encrypted with: kept beside the index
    (outside the generations) so a restarted app still reads what browsers stored."""
    path = Path(index_dir) / "app-secret"
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        key = uuid.uuid4().hex + uuid.uuid4().hex
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(key)
        except OSError:  # read-only index folder, or another process wrote it first
            try:
                return path.read_text(encoding="ascii").strip() or key
            except OSError:
                return key
        return key


def _chat(store: dict) -> list[dict]:
    return [{"role": m["role"], "content": m["content"]} for m in store.get("messages", [])]


def build_app(assistant: Assistant, preload: bool = True):
    import gradio as gr
    import pandas as pd

    searcher = assistant.searcher
    index_dir = searcher.index_dir
    feedback = FeedbackStore(index_dir)
    indexer_lock = threading.Lock()
    indexer: list = []  # the Indexer, made by the first write
    ready = threading.Event()

    def warm_up() -> None:
        try:  # the embedding model, the index and the answerers: the first question need not wait
            assistant.ask("khởi động", k=3)
        except Exception:  # noqa: BLE001 - a question will report the problem in words
            pass
        finally:
            ready.set()

    started: list[bool] = []
    start_lock = threading.Lock()

    def start_warm_up() -> None:
        """Once: launch calls it when the page is served (loading before would hold up the page
        on a CPU the import of Gradio already fills); a question or a page load calls it too,
        for an app launched some other way."""
        with start_lock:
            if started:
                return
            started.append(True)
        threading.Thread(target=warm_up, name="tracuu-warm-up", daemon=True).start()

    if not preload:
        ready.set()

    def get_indexer():
        from index.backend import indexer_for

        with indexer_lock:  # one model in memory, shared with the searcher
            if not indexer:
                indexer.append(indexer_for(searcher))
            return indexer[0]

    @lru_cache(maxsize=8)
    def _labels(generation: str) -> dict[str, str]:
        return doc_labels(searcher.documents())

    def labels() -> dict[str, str]:
        return _labels(searcher.snapshot().generation)

    def filters(docs: list[str] | None, issuer: str | None, year: str | None) -> dict:
        """Every question filter goes through here, into Assistant.stream's keyword arguments."""
        return question_filters(searcher.doc_meta(), docs, issuer or "", year or "")

    def passage(c: dict, generation: str | None = None) -> str:
        """``generation``: the one the answer was made from, so a document deleted since is
        shown as it was cited while that generation is still loaded."""
        cite = Citation(c["n"], c["doc"], c["section"], c["quote"], c["start"], c["end"], tuple(c["breadcrumb"]))
        try:
            return context_html(searcher.document_text(cite.doc, generation), cite, labels().get(cite.doc, c.get("label")))
        except KeyError:
            return f"<p>Văn bản {c.get('label') or c['doc']} đã bị xoá khỏi chỉ mục.</p>"

    def user_of(request) -> str | None:
        return getattr(request, "username", None) if request is not None else None

    # --- Hỏi đáp ---------------------------------------------------------------------
    def ask(question: str, store: dict | None, k: float = 10, docs: list[str] | None = None,
            issuer: str | None = None, year: str | None = None, request: gr.Request = None):
        question = (question or "").strip()
        store = dict(store or EMPTY_STORE)
        store["messages"] = list(store.get("messages", []))
        store["answers"] = dict(store.get("answers", {}))
        store["user"] = user_of(request)
        if not question:
            yield _chat(store), gr.skip(), gr.skip(), store
            return
        aid = uuid.uuid4().hex[:10]
        store["messages"] += [{"role": "user", "content": question},
                              {"role": "assistant", "content": "…", "aid": aid}]

        def say(text: str) -> None:
            store["messages"][-1] = {"role": "assistant", "content": text, "aid": aid}

        try:
            kw = filters(docs, issuer, year)
        except NoDocumentMatches as exc:
            say(str(exc))
            yield _chat(store), "", "", store
            return
        if not ready.is_set():
            start_warm_up()
            say(LOADING)
            yield _chat(store), "", "", store
            ready.wait()
        yield _chat(store), "", "", store
        text, ans = "", None
        names = labels()
        for item in assistant.stream(question, k=int(k), **kw):
            if isinstance(item, str):
                text += item
                say(name_documents(text, names))
                yield _chat(store), gr.skip(), gr.skip(), gr.skip()
            else:
                ans = item
        record = answer_record(ans, aid, names, ans.generation)
        say(linkify(name_documents(ans.text, names), {c.n for c in ans.citations}, aid))
        store["answers"][aid] = record
        first = (passage(record["citations"][0], record["generation"]) if record["citations"]
                 else "<p>Không có trích dẫn.</p>")
        yield _chat(store), sources_html(record, 1 if record["citations"] else None), first, store

    def restore(store: dict | None, request: gr.Request = None):
        """A reload: the conversation and the newest answer's sources come back from the browser."""
        store = store or EMPTY_STORE
        if store.get("user") != user_of(request):  # another login in this browser starts afresh
            store = dict(EMPTY_STORE, user=user_of(request))
        answers = store.get("answers", {})
        last = next((m["aid"] for m in reversed(store.get("messages", [])) if m.get("aid") in answers), None)
        if last is None:
            return _chat(store), "", "", store
        record = answers[last]
        first = passage(record["citations"][0], record.get("generation")) if record["citations"] else ""
        return _chat(store), sources_html(record, 1 if record["citations"] else None), first, store

    def open_citation(key: str, store: dict | None):
        aid, _, rest = (key or "").partition(":")
        record = (store or {}).get("answers", {}).get(aid)
        if record is None:
            return gr.skip(), gr.skip()
        n = int(rest.split(":")[0] or 0)
        c = next((c for c in record["citations"] if c["n"] == n), None)
        return sources_html(record, n), passage(c, record.get("generation")) if c else ""

    def clear(store: dict | None, request: gr.Request = None):
        fresh = dict(EMPTY_STORE, user=user_of(request))
        return [], "", "", fresh, None, "", ""

    def rate(data: gr.LikeData, store: dict | None, request: gr.Request = None):
        messages = (store or {}).get("messages", [])
        i = data.index if isinstance(data.index, int) else data.index[0]
        aid = messages[i].get("aid") if 0 <= i < len(messages) else None
        record = (store or {}).get("answers", {}).get(aid) if aid else None
        if record is None or data.liked is None or data.liked == "":
            return None, ""
        liked = data.liked is True or data.liked == "Like"
        fid = feedback.record(record["question"], record["text"],
                              [] if record.get("refused") else record["citations"], 1 if liked else -1,
                              user=user_of(request), generation=record.get("generation"),
                              refused=record.get("refused", False), intent=record.get("intent"))
        return fid, ("Cảm ơn anh/chị đã đánh giá 👍. " if liked else "Đã ghi nhận câu trả lời chưa đúng 👎. ") + \
            "Có thể ghi thêm góp ý bên dưới."

    # Gradio reads these annotations to pass the event data and the request: under
    # `from __future__ import annotations` they are strings it cannot resolve
    rate.__annotations__["data"] = gr.LikeData
    for fn in (ask, restore, clear, rate):
        fn.__annotations__["request"] = gr.Request

    def comment(fid: int | None, text: str):
        if not fid:
            return "_Bấm 👍 hoặc 👎 dưới một câu trả lời trước khi gửi góp ý._", text
        if not (text or "").strip():
            return "_Góp ý đang trống._", text
        feedback.comment(int(fid), text)
        return "Đã lưu góp ý. Cảm ơn anh/chị.", ""

    # --- Nghĩa vụ ---------------------------------------------------------------------
    def obligation_rows(agency: str, role: str, doc: str | None, deadline: str, text: str):
        f = ObligationFilter(agency or "", role or "any", doc or "", deadline or "", text or "")
        return filter_rows(searcher.snapshot().obligations, f)

    def list_obligations(agency, role, doc, deadline, text):
        rows = obligation_rows(agency, role, doc, deadline, text)
        names = labels()
        total = len(searcher.snapshot().obligations)
        records = [obligation_record(r, names) for r in rows]
        table = pd.DataFrame(records, columns=OBLIGATION_HEADERS)
        folder = Path(tempfile.mkdtemp(prefix="tracuu-export-"))
        csv_path = export_csv(rows, folder / "nghia-vu.csv", names)
        xlsx_path = export_xlsx(rows, folder / "nghia-vu.xlsx", names)
        spans = [{"doc": r.doc, "section": r.section, "start": r.start, "end": r.end, "record": rec}
                 for r, rec in zip(rows, records)]
        return (table, f"**{len(rows)}** / {total} nghĩa vụ khớp bộ lọc. Chọn một dòng để xem đoạn gốc.",
                str(csv_path), str(xlsx_path), spans)

    def open_obligation(evt: gr.SelectData, spans: list[dict] | None):
        row = [str(v) for v in (evt.row_value or [])]
        hit = next((s for s in spans or [] if [str(v) for v in s["record"]] == row), None)
        if hit is None:
            return ""
        doc = hit["doc"]
        try:
            text = searcher.document_text(doc)
            crumb = next((s.breadcrumb for s in searcher.sections(doc) if s.path == hit["section"]), ())
        except KeyError:
            return "<p>Văn bản này đã bị xoá khỏi chỉ mục.</p>"
        return passage_html(text, labels().get(doc, doc), hit["section"], crumb, hit["start"], hit["end"], tooltip=doc)

    open_obligation.__annotations__["evt"] = gr.SelectData

    # --- Văn bản ----------------------------------------------------------------------
    def refresh():
        docs = searcher.documents()
        headers, rows = document_table(docs)
        choices = document_choices(docs)
        years = document_years(searcher.doc_meta())
        return (pd.DataFrame(rows, columns=headers),
                gr.update(choices=choices, value=None),  # delete picker
                gr.update(choices=choices),  # question filter: documents
                gr.update(choices=[("Mọi năm", "")] + [(y, y) for y in years]),  # question filter: year
                gr.update(choices=[("Mọi văn bản", "")] + choices))  # obligations filter: document

    def upload(files: list | None, progress=gr.Progress()):
        if not files:
            return "_Chưa chọn tệp nào._"
        pairs = [(Path(f), Path(f).name) for f in files]

        def step(done: int, total: int, name: str) -> None:
            progress((done, total), desc=f"Đọc {name}" if name else "Tạo chỉ mục")

        progress(0, desc="Kiểm tra tệp")
        return results_markdown(ingest_uploads(index_dir, pairs, get_indexer(), step))

    def ask_delete(name: str | None):
        if not name:
            return gr.update(visible=False), "", "_Chọn văn bản cần xoá._"
        return gr.update(visible=True), DELETE_CONFIRM.format(label=labels().get(name, name)), ""

    def delete(name: str | None):
        if not name:
            return "_Chọn văn bản cần xoá._"
        label = labels().get(name, name)
        ok = delete_document(index_dir, name, get_indexer())
        return f"Đã xoá **{label}**." if ok else f"Không có văn bản **{label}** trong chỉ mục."

    def redo(progress=gr.Progress()):
        results = reindex(index_dir, get_indexer(),
                          lambda d, t, n: progress((d, t), desc=f"Đọc {n}" if n else "Tạo chỉ mục"))
        return results_markdown(results) if results else "_Chưa có tệp nào được tải lên để nạp lại._"

    def wait_ready():
        start_warm_up()
        ready.wait()
        return gr.update(value="", visible=False)

    # the document lists (three pickers, the year filter, the table) are filled by `refresh` when
    # a page loads: built here too they would only slow the start and the page of a large index
    choices0: list = []
    with gr.Blocks(title="tracuu — Tra cứu kế hoạch, chỉ thị") as app:
        gr.Markdown("## tracuu — Tra cứu kế hoạch, chỉ thị, kết luận, nghị quyết\n"
                    "Mỗi câu trả lời kèm trích dẫn [n]; bấm [n] để xem đoạn gốc được tô sáng trong văn bản.")
        status = gr.Markdown("" if ready.is_set() else LOADING, elem_id="status", visible=not ready.is_set())
        store = gr.BrowserState(EMPTY_STORE, storage_key=STORAGE_KEY, secret=_secret(index_dir))
        last_feedback = gr.State(None)
        spans_state = gr.State([])
        with gr.Tab("Hỏi đáp", id="hoi-dap"):
            with gr.Row():
                with gr.Column(scale=3, min_width=300):
                    chat = gr.Chatbot(label="Hỏi đáp", height=460, elem_id="chat", buttons=["copy"],
                                      feedback_options=("Like", "Dislike"),
                                      placeholder="Đặt câu hỏi về các văn bản đã nạp; câu trả lời trích dẫn đoạn gốc.")
                    question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: " + EXAMPLES[0],
                                          elem_id="question")
                    with gr.Row():
                        ask_btn = gr.Button("Hỏi", variant="primary", elem_id="ask", scale=3)
                        clear_btn = gr.Button("Xóa", elem_id="clear", scale=1)
                    fb_status = gr.Markdown(elem_id="feedback-status")
                    with gr.Row():
                        fb_text = gr.Textbox(label="Góp ý cho câu trả lời vừa đánh giá (tuỳ chọn)", lines=1,
                                             elem_id="feedback-comment", scale=3)
                        fb_btn = gr.Button("Gửi góp ý", elem_id="feedback-send", scale=1)
                    with gr.Accordion("Lọc theo văn bản, cơ quan ban hành, năm", open=False, elem_id="filters"):
                        f_docs = gr.Dropdown(choices=choices0, multiselect=True, label="Văn bản", elem_id="f-docs",
                                             allow_custom_value=True)  # choices change with uploads
                        f_issuer = gr.Textbox(label="Cơ quan ban hành", placeholder="Ví dụ: Sở Văn hóa",
                                              elem_id="f-issuer")
                        f_year = gr.Dropdown(choices=[("Mọi năm", "")], value="",
                                             label="Năm", elem_id="f-year", allow_custom_value=True)
                        k = gr.Slider(3, 20, value=10, step=1, label="Số đoạn tìm kiếm", elem_id="k")
                    gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                with gr.Column(scale=2, min_width=300):
                    sources = gr.HTML(elem_id="sources")
                    context = gr.HTML(elem_id="context")
                    cite_key = gr.Textbox(visible="hidden", elem_id="cite-key", show_label=False)
        with gr.Tab("Nghĩa vụ", id="nghia-vu"):
            with gr.Row():
                o_agency = gr.Textbox(label="Cơ quan (mọi cách viết: Sở TT&TT, STTTT…)", elem_id="o-agency")
                o_role = gr.Radio([("Chủ trì hoặc phối hợp", "any"), ("Chủ trì", "lead"), ("Phối hợp", "partner")],
                                  value="any", label="Vai trò", elem_id="o-role")
                o_doc = gr.Dropdown(choices=[("Mọi văn bản", "")] + choices0, value="", label="Văn bản",
                                    elem_id="o-doc", allow_custom_value=True)
            with gr.Row():
                o_deadline = gr.Textbox(label="Thời hạn (ví dụ: 2024, quý III, hằng năm)", elem_id="o-deadline")
                o_text = gr.Textbox(label="Tìm trong nhiệm vụ", elem_id="o-text")
            with gr.Row():
                o_btn = gr.Button("Lọc", variant="primary", elem_id="o-filter")
                csv_btn = gr.DownloadButton("Xuất CSV", elem_id="o-csv")
                xlsx_btn = gr.DownloadButton("Xuất XLSX", elem_id="o-xlsx")
            o_count = gr.Markdown(elem_id="o-count")
            o_table = gr.Dataframe(headers=OBLIGATION_HEADERS, interactive=False, wrap=True, max_height=520,
                                   column_widths=["20%", "7%", "35%", "15%", "15%", "8%"], elem_id="obligations")
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
                    del_pick = gr.Dropdown(choices=choices0, label="Văn bản cần xoá", elem_id="delete-pick",
                                           allow_custom_value=True)  # choices change with uploads
                    del_btn = gr.Button("Xoá văn bản…", variant="stop", elem_id="delete-btn")
                    with gr.Group(visible=False, elem_id="delete-confirm") as del_confirm:
                        del_question = gr.Markdown(elem_id="delete-question")
                        with gr.Row():
                            del_yes = gr.Button("Xoá", variant="stop", elem_id="delete-yes")
                            del_no = gr.Button("Huỷ", elem_id="delete-no")
                    del_result = gr.Markdown(elem_id="delete-result")

        outs = [chat, sources, context, store]
        ask_in = [question, store, k, f_docs, f_issuer, f_year]
        ask_btn.click(ask, ask_in, outs, api_name="ask").then(lambda: "", outputs=question, api_name=False)
        question.submit(ask, ask_in, outs, api_name=False).then(lambda: "", outputs=question, api_name=False)
        cite_key.change(open_citation, [cite_key, store], [sources, context], api_name=False, queue=False)
        cleared = [chat, sources, context, store, last_feedback, fb_status, fb_text]
        clear_btn.click(clear, store, cleared, api_name=False)
        chat.clear(clear, store, cleared, api_name=False)
        chat.like(rate, store, [last_feedback, fb_status], api_name=False)
        fb_btn.click(comment, [last_feedback, fb_text], [fb_status, fb_text], api_name=False)
        fb_text.submit(comment, [last_feedback, fb_text], [fb_status, fb_text], api_name=False)

        o_in = [o_agency, o_role, o_doc, o_deadline, o_text]
        o_out = [o_table, o_count, csv_btn, xlsx_btn, spans_state]
        o_btn.click(list_obligations, o_in, o_out, api_name="obligations")
        gr.on([o_agency.submit, o_deadline.submit, o_text.submit, o_doc.change, o_role.change], list_obligations,
              o_in, o_out, api_name=False)
        o_table.select(open_obligation, spans_state, o_context, api_name=False)

        refreshed = [docs_table, del_pick, f_docs, f_year, o_doc]
        writes = dict(concurrency_limit=1, concurrency_id="index-writes")
        up_btn.click(upload, files, up_result, api_name="upload", **writes).then(
            refresh, None, refreshed, api_name=False).then(lambda: None, outputs=files, api_name=False)
        del_btn.click(ask_delete, del_pick, [del_confirm, del_question, del_result], api_name=False)
        del_no.click(lambda: (gr.update(visible=False), "_Đã huỷ, không xoá gì._"), None, [del_confirm, del_result],
                     api_name=False)
        del_yes.click(lambda: gr.update(visible=False), None, del_confirm, api_name=False).then(
            delete, del_pick, del_result, api_name="delete", **writes).then(refresh, None, refreshed, api_name=False)
        redo_btn.click(redo, None, up_result, api_name="reindex", **writes).then(
            refresh, None, refreshed, api_name=False)
        app.load(restore, store, outs, api_name=False)
        app.load(refresh, None, refreshed, api_name="documents")
        app.load(list_obligations, o_in, o_out, api_name=False)
        app.load(wait_ready, None, status, api_name=False)
    app.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    app.tracuu_warm_up = start_warm_up if preload else (lambda: None)
    return app


def launch(app, host: str = "127.0.0.1", port: int = 7860, auth: list[tuple[str, str]] | None = None,
           block: bool = True, quiet: bool = False):
    """Serve ``app`` (from build_app); its model and index start loading once the page is up."""
    js = CLICK_JS.replace("__GRADIO_VI__", json.dumps(GRADIO_VI, ensure_ascii=False))
    out = app.launch(server_name=host, server_port=port, auth=auth, css=CSS, js=js, footer_links=[],
                     auth_message="Đăng nhập để tra cứu." if auth else None, prevent_thread_lock=True,
                     max_file_size=5 * max_upload_bytes(),  # a hard stop; the app's own limit gives the message
                     app_kwargs=access.throttled_app_kwargs(), quiet=quiet)
    getattr(app, "tracuu_warm_up", lambda: None)()
    if block:
        app.block_thread()
    return out


def serve(index_dir: Path, host: str = "127.0.0.1", port: int = 7860, llm: str | None = None,
          auth: list[tuple[str, str]] | None = None) -> None:
    """Serve until Ctrl-C, which closes the server and reaches the caller as KeyboardInterrupt
    (Gradio's own messages are English: they are kept quiet and said here in Vietnamese)."""
    # start-up (Gradio's import above all) allocates much and frees little: the cyclic
    # collector's passes over it are skipped until the page is up (cmd_serve disables it first)
    gc.disable()
    try:
        assistant = Assistant(index_dir, llm=llm)
        # fail early with a clear message when there is no index; the index itself loads after
        # the page is up, with the model (build_app's warm-up), so a large index does not delay it
        assistant.searcher.check()
        app = build_app(assistant)
        launch(app, host, port, auth, block=False, quiet=True)
    finally:
        gc.enable()
    print(f"tracuu: ứng dụng chạy ở http://{host}:{port} (đang tải mô hình; Ctrl-C để dừng)", file=sys.stderr,
          flush=True)
    try:
        while True:
            time.sleep(1)
    finally:
        with contextlib.redirect_stdout(io.StringIO()):  # "Closing server running on port…"
            app.close()
