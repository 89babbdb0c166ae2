"""The assistant: understand the question, retrieve, answer with citations or refuse."""
from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Iterator

from functools import lru_cache

from assistant.answer import ExtractiveAnswerer
from assistant.cited_answer import CitedAnswerer
from assistant.doc_answer import DocumentAnswerer
from assistant.rows_answer import RowAnswerer
from assistant.types import Answer
from assistant.understand import understand
from index import glossary, lexical
from index.rescore import Signals
from index.search import Searcher

REFUSAL = ("Không tìm thấy nội dung trả lời câu hỏi này trong {n} văn bản đã nạp. "
           "Các đoạn gần nhất được liệt kê bên dưới để anh/chị tự kiểm tra.")


class Assistant:
    """``llm``: a LangChain chat model, or a spec string (see assistant.generative); None
    (the default) answers extractively, with no model at all."""

    def __init__(self, index_dir: Path, embedder=None, llm=None):
        # second stage on: the question's intent picks passages holding the matching row field
        self.searcher = Searcher(index_dir, embedder, rescore=True,
                                 signals_for=lambda q: Signals(understand(q).intent))
        self.generator = None
        if llm is not None:
            from assistant.generative import GenerativeAnswerer, LLMSpec, make_chat_model

            model = make_chat_model(LLMSpec.parse(llm)) if isinstance(llm, str) else llm
            self.generator = GenerativeAnswerer(model, self.searcher.document_text)
        self._answerer: tuple[str, ExtractiveAnswerer, RowAnswerer, DocumentAnswerer, CitedAnswerer] | None = None

    def _answerers(self, snap) -> tuple[ExtractiveAnswerer, RowAnswerer, DocumentAnswerer, CitedAnswerer]:
        cached = self._answerer  # read once: another question may replace it meanwhile
        if cached is None or cached[0] != snap.generation:
            issuers = {d: " ".join(filter(None, (h.co_quan_ban_hanh, h.noi_ban_hanh))) for d, h in snap.headers.items()}
            agencies = sorted({a for r in snap.obligations for a in (*r.lead, *r.partners)})
            extractive = ExtractiveAnswerer(snap.bm25.idf, snap.document_text, issuers, agencies)
            sections = lru_cache(maxsize=None)(snap.sections)
            rows = RowAnswerer(snap.obligations, snap.bm25.idf, snap.document_text,
                               sections, snap.titles, extractive.names_in)
            about = DocumentAnswerer(snap.headers, snap.titles, snap.cited, snap.document_text,
                                     extractive.names_in)
            cited = CitedAnswerer(snap.cited, snap.headers, snap.titles, snap.document_text, sections,
                                  extractive.names_in)
            self._answerer = cached = (snap.generation, extractive, rows, about, cited)
        return cached[1:]

    def ask(self, question: str, k: int = 10, docs: list[str] | None = None) -> Answer:
        answer = None
        for item in self.stream(question, k, docs):
            answer = item
        return answer

    def stream(self, question: str, k: int = 10, docs: list[str] | None = None) -> Iterator[str | Answer]:
        """Text as it is produced (the model's draft, or the extractive answer in pieces), then
        the final, checked Answer as the last item."""
        t0 = time.perf_counter()
        q = understand(question)
        # an English question also searches with the Vietnamese terms of its words
        query = glossary.expand(question) if q.english else question
        snap = self.searcher.snapshot()  # one generation from search to answer
        hits = self.searcher.search(query, k=k, docs=docs, snapshot=snap)
        text, citations, answerer, dropped, reason = "", [], "extractive", [], ""
        refused_by_model = False
        if self.generator is not None and hits:
            from assistant.generative import LLMUnavailable

            try:
                pieces = []
                for tok in self.generator.stream(question, hits):
                    pieces.append(tok)
                    yield tok
                gen = self.generator.verify("".join(pieces), hits)
                text, citations, dropped, refused_by_model = gen.text, gen.citations, gen.dropped, gen.refused
                answerer = "generative"
                if not citations and not refused_by_model:
                    answerer = "extractive (fallback: no generated sentence was supported by its passages)"
            except LLMUnavailable as exc:
                answerer = f"extractive (fallback: model unreachable: {exc})"
        if not citations and not refused_by_model:
            tokens = lexical.query_tokens(query)
            extractive, rows, about, cited = self._answerers(snap)
            if docs:  # a question filtered to some documents is answered from their rows only
                keep = set(docs)
                rows, about, cited = copy.copy(rows), copy.copy(about), copy.copy(cited)
                rows.rows = [r for r in rows.rows if r.doc in keep]
                about.headers = cited.headers = {d: h for d, h in about.headers.items() if d in keep}
                about.cited = cited.cited = [c for c in about.cited if c.doc in keep]
            # who issued / when / who signed a document: from its header; which plans cite X,
            # what a plan implements: cited-document rows; who/when questions about a task and
            # an agency's duties: obligation rows; the rest: the best sentences of the hits
            steps = [lambda: about.answer(q, hits), lambda: cited.answer(q, hits)]
            if q.intent == "duties":
                steps.append(lambda: rows.answer_duties(q))
            elif q.intent in ("lead", "partner", "deadline"):
                steps.append(lambda: rows.answer_field(q, tokens, hits))
            steps.append(lambda: extractive.answer(q, tokens, hits))
            for step in steps:
                text, citations = step()
                if citations or text:  # an answer, or why there is none ("no such document here")
                    break
            reason = text if not citations else ""
            if self.generator is None:
                for line in text.splitlines(keepends=True):
                    yield line
        refused = not citations
        if refused:
            text = REFUSAL.format(n=len(snap.titles))
            if reason:
                text = reason + " " + text
            if hits:
                text += "\n" + "\n".join(f"- {h.chunk.doc}, mục {h.chunk.section or 'mở đầu'}: "
                                         f"{h.chunk.text[:160].strip()}…" for h in hits[:3])
        yield Answer(question, text, refused, citations, hits, q.intent, time.perf_counter() - t0, answerer, dropped,
                     snap.generation)
