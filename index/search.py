"""Hybrid search: dense (e5 + FAISS) and lexical (BM25) rankings, fused (index.fusion),
filtered inside each channel by document metadata (index.filters) and rescored (index.rescore).

A Searcher reads the live generation and reloads by itself when a writer switches CURRENT,
so a running app sees uploads and deletes without a restart; a reload opens only the segments
it has not opened yet (index.snapshot), and questions meanwhile use the generation loaded
before. A snapshot is one generation; its open segments keep it readable after a writer has
replaced and deleted it. A question takes one snapshot (``Searcher.snapshot()``), passes it
to ``search(..., snapshot=)`` and reads documents through it, so search and answer never see
two generations.
"""
from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import fusion as fusion_mod
from index import lexical
from index.filters import DocMeta, SearchFilter
from index.rows import filter_citations, filter_obligations
from index.store import SCHEMA_VERSION, OutdatedIndexError, connect, current_generation, read_manifest, \
    schema_version
from index.restore import MIN_KNOWN, Restorer
from index.segment import Segment
from index.snapshot import StoredSnapshot
from index.types import Hit
from ingest.types import Chunk, CitedDocument, DocumentMeta, Obligation, Section, Unit

RRF_K = fusion_mod.RRF_K
CANDIDATES = 50  # per channel, before fusion
# an English question's BM25 matches are its few Vietnamese words (place names, glossary terms):
# its lexical channel is trusted this much (eval/reports/english.md: chosen by MRR@10 on the
# English questions of the training sets, cross-fitted by document)
FOREIGN_LEX_WEIGHT = 0.15
KEEP_RECENT = 3  # generations a Searcher keeps loaded for answers still being shown


@dataclass
class Snapshot:
    """One generation held in memory (a benchmark corpus, eval.benchdata); a written index
    loads as a StoredSnapshot (index.snapshot) with the same attributes."""
    generation: str
    chunks: list[Chunk]
    titles: dict[str, str]
    faiss: object
    bm25: lexical.BM25
    db: Path | None
    restorer: Restorer
    obligations: list[Obligation]
    cited: list[CitedDocument]
    meta: dict[str, DocMeta] = field(default_factory=dict)
    headers: dict[str, DocumentMeta] = field(default_factory=dict)  # full header fields, with spans
    texts: dict[str, str] = field(default_factory=dict)  # document name -> stored text
    con: sqlite3.Connection | None = field(default=None, repr=False)
    _con_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    units: list[Unit] = field(default_factory=list)  # answer units (ingest.units) and their e5 vectors
    unit_vectors: np.ndarray | None = None
    units_by_chunk: dict[tuple[str, int], list[int]] = field(default_factory=dict)  # (doc, chunk ord)

    def document_text(self, name: str) -> str:
        try:
            return self.texts[name]
        except KeyError:
            raise KeyError(name) from None

    def chunks_of(self, doc: str) -> list[Chunk]:
        return [c for c in self.chunks if c.doc == doc]

    # the two channels, as index.snapshot.StoredSnapshot answers them
    def dense(self, qv: np.ndarray, depth: int, allowed: set[str] | None) -> dict[int, float]:
        sims, ids = self.faiss.search(qv[None, :], len(self.chunks) if allowed is not None else depth)
        out = {}
        for i, s in zip(ids[0], sims[0]):
            if i >= 0 and (allowed is None or self.chunks[i].doc in allowed):
                out[int(i)] = float(s)
                if len(out) == depth:
                    break
        return out

    def lexical(self, tokens: list[str], depth: int, allowed: set[str] | None,
                also: list[int]) -> tuple[list[int], dict[int, float]]:
        scores = self.bm25.scores(tokens)
        keep = [i for i in scores if allowed is None or self.chunks[i].doc in allowed]
        top = sorted(keep, key=lambda i: -scores[i])[:depth]
        return top, {i: scores[i] for i in (*top, *also) if i in scores}


class EmptyIndexError(Exception):
    pass


class Searcher:
    """``fusion`` ("weighted" or "rrf") and ``alpha`` (dense weight in weighted fusion) are the
    defaults for every search; ``rescore`` turns the second stage (index.rescore) on."""

    def __init__(self, index_dir: Path, embedder=None, fusion: str = fusion_mod.DEFAULT_FUSION,
                 alpha: float = fusion_mod.DEFAULT_ALPHA, rescore: bool = False, signals_for=None):
        fusion_mod.check(fusion, alpha)
        self.index_dir = Path(index_dir)
        self._embedder = embedder
        self.fusion, self.alpha, self.rescore = fusion, alpha, rescore
        self.signals_for = signals_for  # query -> index.rescore.Signals, when a caller knows intents
        self._snap: Snapshot | None = None
        self._recent: OrderedDict[str, Snapshot] = OrderedDict()  # the last few, for answers made from them
        self._lock = threading.Lock()
        self._loading = threading.Lock()  # one thread loads a new generation; the others go on
        self._segments: dict[str, Segment] = {}  # loaded segments, by name

    @property
    def embedder(self):
        if self._embedder is None:
            from index.embed import Embedder

            self._embedder = Embedder()
        return self._embedder

    def snapshot(self):
        """The live generation. A new one is loaded by the first question that sees it, while
        the others go on with the one loaded before (swapped in when ready); loading reads
        only the segments not loaded yet."""
        for attempt in range(3):
            gen = self._live()
            snap = self._snap
            if snap is not None and snap.generation == gen.name:
                return snap
            if not self._loading.acquire(blocking=snap is None):
                return snap  # another question is loading the new generation
            try:
                if self._snap is not None and self._snap.generation == gen.name:
                    return self._snap
                new = self._load(gen)
                with self._lock:
                    self._snap = new
                    self._recent[gen.name] = new
                    while len(self._recent) > KEEP_RECENT:
                        self._recent.popitem(last=False)
                    used = {p.segment.name for s in self._recent.values() for p in getattr(s, "parts", ())}
                    self._segments = {k: v for k, v in self._segments.items() if k in used}
                return new
            except (sqlite3.OperationalError, FileNotFoundError, RuntimeError):
                # a writer replaced and deleted the generation while it was being opened
                if attempt == 2 or current_generation(self.index_dir) == gen:
                    raise
            finally:
                self._loading.release()
        raise AssertionError("unreachable")

    def _live(self) -> Path:
        gen = current_generation(self.index_dir)
        if gen is None:
            raise EmptyIndexError(f"chưa có chỉ mục ở {self.index_dir}: chạy 'tracuu ingest ĐƯỜNG_DẪN' trước")
        return gen

    def check(self) -> None:
        """Raise what the first question would (no index here, or one an older tracuu wrote)
        without loading the index: a server starts, then loads it in the background."""
        gen = self._live()
        if read_manifest(gen) is None:
            self._load(gen)  # says which schema it has and what to run

    def warm_up(self) -> None:
        """Load the live generation, the embedding model and the word segmenter now, before a
        server takes questions: lazily loaded models raced when the first questions came at once."""
        self.search("khởi động", k=1)

    def _load(self, gen: Path) -> StoredSnapshot:
        refs = read_manifest(gen)
        if refs is None:  # a single-file store from before segments
            con = connect(gen / "store.sqlite", readonly=True)
            try:
                version = schema_version(con)
            finally:
                con.close()
            raise OutdatedIndexError(f"chỉ mục ở {gen.parent} được tạo bởi phiên bản tracuu cũ hơn (lược đồ "
                                     f"{version}, phiên bản này cần {SCHEMA_VERSION}): "
                                     "chạy lại 'tracuu ingest' trên các tệp của nó để nâng cấp")
        segs = []
        for ref in refs:  # segments never change: one loaded for an earlier generation is reused
            seg = self._segments.get(ref.name)
            if seg is None:
                seg = self._segments[ref.name] = Segment(self.index_dir / ref.name)
            segs.append((seg, ref.dead))
        return StoredSnapshot(gen.name, segs)

    def search(self, query: str, k: int = 10, docs: list[str] | None = None, *,
               filters: SearchFilter | None = None, fusion: str | None = None, alpha: float | None = None,
               rescore: bool | None = None, signals=None, snapshot: Snapshot | None = None) -> list[Hit]:
        """Top ``k`` chunks for ``query``. ``docs`` (names) is kept for older callers; it is the
        same as ``filters=SearchFilter(docs=...)``. ``signals`` (index.rescore.Signals: the
        question's intent, from assistant.understand) feed the second stage. ``snapshot``: the
        generation to search (a question's own), else the live one."""
        fusion = fusion or self.fusion
        alpha = self.alpha if alpha is None else alpha
        rescore = self.rescore if rescore is None else rescore
        fusion_mod.check(fusion, alpha)
        snap = snapshot or self.snapshot()
        n = len(snap.chunks)
        if n == 0 or not query.strip():
            return []
        if docs:
            filters = SearchFilter(tuple(docs), *(() if filters is None else
                                                  (filters.issuer, filters.type, filters.year)))
        allowed = None
        if filters:
            allowed = {d for d in snap.titles
                       if filters.allows(snap.meta.get(d) or DocMeta(d, snap.titles.get(d, "")))}
        # filters are applied inside each channel's search: the top ``depth`` allowed chunks
        depth = min(n, max(CANDIDATES, k))

        # weighted fusion at alpha 0 or 1 is one channel alone: the other is not computed
        dense: dict[int, float] = {}
        if not (fusion == "weighted" and alpha == 0.0):
            # the dense model reads unmarked Vietnamese poorly: give it the query with marks restored
            qv = self.embedder.embed_queries([snap.restorer.restore(query)]).astype(np.float32)[0]
            dense = snap.dense(qv, depth, allowed)
        rd = list(dense)  # best first
        rl, lex = ([], {}) if fusion == "weighted" and alpha == 1.0 else \
            snap.lexical(lexical.query_tokens(query), depth, allowed, rd)

        # BM25 only speaks the corpus's language: an English question shares few words with
        # it, and its few matches ("Tay Ninh") should not outvote the multilingual dense model
        known = snap.restorer.known_fraction(query)
        lex_weight = FOREIGN_LEX_WEIGHT if known < MIN_KNOWN else max(0.5, known)
        if fusion == "rrf":
            fused = fusion_mod.rrf(rd, rl, lex_weight)
        else:
            fused = fusion_mod.weighted(dense, lex, list(dict.fromkeys(rd + rl)), alpha, lex_weight)
        if rescore:
            from index.rescore import rescore as second_stage

            if signals is None and self.signals_for is not None:
                signals = self.signals_for(query)
            fused = second_stage(query, snap, fused, signals)
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(snap.chunks[i], fused[i], dense.get(i), lex.get(i),
                    snap.titles.get(snap.chunks[i].doc, "")) for i in order]

    def doc_meta(self) -> dict[str, DocMeta]:
        """Metadata the filters see, per document name."""
        return dict(self.snapshot().meta)

    # --- rows, documents: for answers, the CLI and the app ---------------------------------
    def obligations(self, agency: str | None = None, doc: str | None = None, role: str = "any",
                    text: str | None = None) -> list[Obligation]:
        return filter_obligations(self.snapshot().obligations, agency, doc, role, text)

    def citations(self, cites: str | None = None, doc: str | None = None) -> list[CitedDocument]:
        return filter_citations(self.snapshot().cited, cites, doc)

    def document_text(self, name: str, generation: str | None = None) -> str:
        """``generation``: the one an answer was made from, while it is among the last few loaded
        (a document deleted since is still shown as it was cited); else the live one."""
        with self._lock:
            snap = self._recent.get(generation or "")
        return (snap or self.snapshot()).document_text(name)

    def documents(self) -> list[dict]:
        return self.snapshot().documents()

    def sections(self, name: str) -> list[Section]:
        return self.snapshot().sections(name)
