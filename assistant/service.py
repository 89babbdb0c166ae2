"""The assistant: understand the question, retrieve, answer with citations or refuse."""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from assistant.answer import choose, compose
from assistant.scorer import Candidate, Featurizer, Weights, candidate_units, load_weights, name_reach
from assistant.types import Answer
from assistant.understand import Question, split_by_names, understand
from index import glossary, lexical
from index.filters import SearchFilter
from index.rescore import Signals
from index.backend import open_searcher
from ingest.types import Section

REFUSAL = ("Không tìm thấy nội dung trả lời câu hỏi này trong {n} văn bản đã nạp. "
           "Các đoạn gần nhất được liệt kê bên dưới để anh/chị tự kiểm tra.")
PART_MISSING = "Về {name}: không tìm thấy nội dung trả lời trong các văn bản đã nạp."
NAMES_MISSING = "Không văn bản nào đã nạp nhắc đến: {names}."


class _QueryMemo:
    """The embedder with its last query vectors kept: the search and the scorer embed the same
    question once."""

    def __init__(self, embedder=None):
        self._embedder = embedder
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None

    @property
    def inner(self):
        if self._embedder is None:
            from index.embed import Embedder

            self._embedder = Embedder()
        return self._embedder

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        key = tuple(texts)
        last = self._last  # read once: a concurrent question may replace it meanwhile
        if last is None or last[0] != key:
            last = (key, self.inner.embed_queries(list(texts)))
            self._last = last
        return last[1]

    def __getattr__(self, name):  # embed_passages, dim, …
        return getattr(self.inner, name)


class _Issuers:
    """Issuing body and place of each document, read from its header when a question first
    needs it (its candidates' few documents, not every document of the index at each load)."""

    def __init__(self, snap):
        header = getattr(snap, "header", None) or snap.headers.get
        self._of = lru_cache(maxsize=4096)(
            lambda doc: " ".join(filter(None, (h.co_quan_ban_hanh, h.noi_ban_hanh))) if (h := header(doc)) else "")

    def get(self, doc: str, default: str = "") -> str:
        return self._of(doc) or default


class Assistant:
    """``llm``: a LangChain chat model, or a spec string (see assistant.generative); None
    (the default) answers extractively, with no model at all. ``weights``: the scorer's
    (assistant.scorer.Weights; default: the shipped file)."""

    def __init__(self, index_dir: Path, embedder=None, llm=None, weights: Weights | None = None):
        self.embedder = _QueryMemo(embedder)
        # second stage on: the question's intent picks passages holding the matching row field
        self.searcher = open_searcher(index_dir, self.embedder, rescore=True,
                                      signals_for=lambda q: Signals(understand(q).intent))
        self.weights = weights
        self.generator = None
        if llm is not None:
            from assistant.generative import GenerativeAnswerer, LLMSpec, make_chat_model

            model = make_chat_model(LLMSpec.parse(llm)) if isinstance(llm, str) else llm
            self.generator = GenerativeAnswerer(model, self.searcher.document_text)
        self._state: tuple[str, Featurizer, object] | None = None

    def _featurizer(self, snap) -> tuple[Featurizer, object]:
        """The scorer's featurizer and a section lookup of ``snap``'s generation, built once per
        generation; a question uses those of the snapshot it searched."""
        state = self._state  # read once: another question may replace it meanwhile
        if state is None or state[0] != snap.generation:
            sections = lru_cache(maxsize=None)(snap.sections)
            state = (snap.generation, Featurizer(snap.bm25.idf, snap.document_text, _Issuers(snap)), sections)
            self._state = state
        return state[1], state[2]

    def section_at(self, doc: str, pos: int, snap=None) -> Section | None:
        best = None
        for s in self._featurizer(snap or self.searcher.snapshot())[1](doc):
            if s.start <= pos < s.end and (best is None or s.level >= best.level):
                best = s
        return best

    def candidates(self, question: str, k: int = 10, docs: list[str] | None = None, snap=None,
                   filters: SearchFilter | None = None, doc_ok: Callable[[str], bool] | None = None
                   ) -> tuple[Question, list, list[Candidate]]:
        """The question understood, its hits and the candidate units with their features, all
        from one index generation (``snap``, default the live one); ``filters`` (documents,
        issuer, type, year) are applied inside the search; ``doc_ok``: only the hits of the
        documents it accepts (of a deeper search)."""
        snap = snap or self.searcher.snapshot()
        q = understand(question)
        # an English question also searches with the Vietnamese terms of its words
        query = glossary.expand(question) if q.english else question
        hits = self.searcher.search(query, k=k * (3 if doc_ok else 1), docs=docs, filters=filters, snapshot=snap)
        if doc_ok:
            hits = [h for h in hits if doc_ok(h.chunk.doc)][:k]
        if not hits:
            return q, hits, []
        qvec = self.embedder.embed_queries([snap.restorer.restore(query)])[0]
        featurizer, _ = self._featurizer(snap)
        cands = featurizer.candidates(q, lexical.query_tokens(query), hits, qvec, candidate_units(snap, hits))
        return q, hits, cands

    def _parts(self, q: Question, cands: list[Candidate], snap, k: int, docs, filters
               ) -> list[tuple[str, list[Candidate]]] | None:
        """A question about several documents, each named by its place or body ("… of Cẩm Khê
        and … of Nghệ An"), is one question per name (understand.split_by_names), answered
        from the documents that name it: (the name as typed, that part's candidates). None when
        no such split applies: fewer than two names, a candidate document names them all or all
        but bodies while naming a place, or the index has a name nowhere (the scorer's
        missing-word features judge that)."""
        if len(q.names) < 2:
            return None
        featurizer, _ = self._featurizer(snap)
        named = [{n for n in q.names if featurizer.names_in(d, n)} for d in sorted({c.unit.doc for c in cands})]
        best = max(named, key=lambda n: name_reach(n, q.bodies), default=set())
        missing = set(q.names) - best
        # a plan named by its place and a body it does not name ("Kế hoạch SXH của Sở Y tế Đồng
        # Nai giao Sở KH&CN …"): asked of that plan, the body is no second plan to compare
        if not missing or (name_reach(best, q.bodies)[1] and missing <= set(q.bodies)):
            return None
        if self._unknown_names(q, snap):
            return None
        return [(typed, self.candidates(part, k, docs, snap, filters, lambda d, n=n: featurizer.names_in(d, n))[2])
                for n, (typed, part) in zip(q.names, split_by_names(q.text, q.names))]

    @staticmethod
    def _unknown_names(q: Question, snap) -> list[str]:
        """The question's places and bodies that no document of the index writes: not as a word,
        nor as syllables each written somewhere."""
        idf = snap.bm25.idf
        return [n for n in q.names
                if not (idf("s:" + n.replace(" ", "_")) > 0 or all(idf("y:" + s) > 0 for s in n.split()))]

    def ask(self, question: str, k: int = 10, docs: list[str] | None = None,
            filters: SearchFilter | None = None) -> Answer:
        answer = None
        for item in self.stream(question, k, docs, filters):
            answer = item
        return answer

    def stream(self, question: str, k: int = 10, docs: list[str] | None = None,
               filters: SearchFilter | None = None) -> Iterator[str | Answer]:
        """Text as it is produced (the model's draft, or the extractive answer in pieces), then
        the final, checked Answer as the last item."""
        t0 = time.perf_counter()
        snap = self.searcher.snapshot()  # one generation from search to answer
        q, hits, cands = self.candidates(question, k, docs, snap, filters)
        text, citations, answerer, dropped = "", [], "extractive", []
        refused_by_model = False
        if self.generator is not None and hits:
            from assistant.generative import LLMUnavailable

            try:
                pieces = []
                for tok in self.generator.stream(question, hits):
                    pieces.append(tok)
                    yield tok
                gen = self.generator.verify("".join(pieces), hits, snap.document_text)
                text, citations, dropped, refused_by_model = gen.text, gen.citations, gen.dropped, gen.refused
                answerer = "generative"
                if not citations and not refused_by_model:
                    answerer = "extractive (fallback: no generated sentence was supported by its passages)"
            except LLMUnavailable as exc:
                answerer = f"extractive (fallback: model unreachable: {exc})"
        if not citations and not refused_by_model:
            weights = self.weights or load_weights()
            parts = self._parts(q, cands, snap, k, docs, filters)
            if parts is None:
                chosen, _ = choose(cands, weights, q.intent == "documents")
            else:  # each part answered on its own; a part with no answer is said to have none
                picks = [(typed, choose(p, weights)[0]) for typed, p in parts]
                chosen = list({(c.unit.doc, c.unit.start): c for _, p in picks for c in p}.values())
            text, citations = compose(chosen, lambda doc, pos: self.section_at(doc, pos, snap),
                                      q.asks_agency >= 0.5) if chosen else ("", [])
            if chosen and parts:
                text += "".join(f"\n{PART_MISSING.format(name=typed)}" for typed, p in picks if not p)
            if self.generator is None:
                for line in text.splitlines(keepends=True):
                    yield line
        refused = not citations
        if refused:
            text = REFUSAL.format(n=len(snap.titles))
            # why: the index holds no plan of that place (a body's name is cut at its first lower-case
            # word, "Sở Y" of "Sở Y tế": not shown)
            if unknown := set(self._unknown_names(q, snap)) - set(q.bodies):
                places = [typed for n, (typed, _) in zip(q.names, split_by_names(q.text, q.names)) if n in unknown]
                text += " " + NAMES_MISSING.format(names=", ".join(places))
            if hits:
                text += "\n" + "\n".join(f"- {h.chunk.doc}, mục {h.chunk.section or 'mở đầu'}: "
                                         f"{h.chunk.text[:160].strip()}…" for h in hits[:3])
        yield Answer(question, text, refused, citations, hits, q.intent, time.perf_counter() - t0, answerer, dropped,
                     snap.generation)
