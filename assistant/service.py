"""The assistant: understand the question, retrieve, answer with citations or refuse."""
from __future__ import annotations

import time
from pathlib import Path

from assistant.answer import ExtractiveAnswerer
from assistant.types import Answer
from assistant.understand import understand
from index import lexical
from index.search import Searcher

REFUSAL = ("Không tìm thấy nội dung trả lời câu hỏi này trong {n} văn bản đã nạp. "
           "Các đoạn gần nhất được liệt kê bên dưới để anh/chị tự kiểm tra.")


class Assistant:
    def __init__(self, index_dir: Path, embedder=None):
        self.searcher = Searcher(index_dir, embedder)
        self._answerer: tuple[str, ExtractiveAnswerer] | None = None

    def _extractive(self) -> ExtractiveAnswerer:
        snap = self.searcher.snapshot()
        if self._answerer is None or self._answerer[0] != snap.generation:
            self._answerer = (snap.generation, ExtractiveAnswerer(snap.bm25.idf, self.searcher.document_text))
        return self._answerer[1]

    def ask(self, question: str, k: int = 10, docs: list[str] | None = None) -> Answer:
        t0 = time.perf_counter()
        q = understand(question)
        hits = self.searcher.search(question, k=k, docs=docs)
        text, citations = self._extractive().answer(q, lexical.query_tokens(question), hits)
        refused = not citations
        if refused:
            text = REFUSAL.format(n=len(self.searcher.snapshot().titles))
            if hits:
                text += "\n" + "\n".join(f"- {h.chunk.doc}, mục {h.chunk.section or 'mở đầu'}: "
                                         f"{h.chunk.text[:160].strip()}…" for h in hits[:3])
        return Answer(question, text, refused, citations, hits, q.intent, time.perf_counter() - t0)
