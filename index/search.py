"""Hybrid search: dense (e5 + FAISS) and lexical (BM25) rankings fused by reciprocal rank.

A Searcher reads the live generation and reloads by itself when a writer switches CURRENT,
so a running app sees uploads and deletes without a restart.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import lexical
from index.rows import filter_citations, filter_obligations, load_citations, load_obligations
from index.store import SCHEMA_VERSION, OutdatedIndexError, connect, current_generation, schema_version
from index.restore import Restorer
from index.types import Hit
from index.vectors import read_faiss
from ingest.types import Chunk, CitedDocument, Obligation, Section

RRF_K = 60
CANDIDATES = 50  # per channel, before fusion


@dataclass
class _Snapshot:
    generation: str
    chunks: list[Chunk]
    titles: dict[str, str]
    faiss: object
    bm25: lexical.BM25
    db: Path
    restorer: Restorer
    obligations: list[Obligation]
    cited: list[CitedDocument]


class EmptyIndexError(Exception):
    pass


class Searcher:
    def __init__(self, index_dir: Path, embedder=None):
        self.index_dir = Path(index_dir)
        self._embedder = embedder
        self._snap: _Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def embedder(self):
        if self._embedder is None:
            from index.embed import Embedder

            self._embedder = Embedder()
        return self._embedder

    def snapshot(self) -> _Snapshot:
        gen = current_generation(self.index_dir)
        if gen is None:
            raise EmptyIndexError(f"no index at {self.index_dir}: run 'tracuu ingest PATH' first")
        with self._lock:
            if self._snap is None or self._snap.generation != gen.name:
                self._snap = self._load(gen)
            return self._snap

    @staticmethod
    def _load(gen: Path) -> _Snapshot:
        con = connect(gen / "store.sqlite", readonly=True)
        try:
            if schema_version(con) < SCHEMA_VERSION:
                raise OutdatedIndexError(f"the index at {gen.parent} was built by an older tracuu (schema "
                                         f"{schema_version(con)}, this version needs {SCHEMA_VERSION}): "
                                         "run 'tracuu ingest' on its files again to upgrade it")
            obligations, cited = load_obligations(con), load_citations(con)
            rows = con.execute("SELECT * FROM chunks ORDER BY id").fetchall()
            docs = con.execute("SELECT name, title, text FROM documents").fetchall()
            titles = {r["name"]: r["title"] for r in docs}
        finally:
            con.close()
        chunks = [Chunk(r["doc"], r["ord"], r["section"], tuple(json.loads(r["breadcrumb"])),
                        r["start"], r["end"], r["text"], r["tokens"]) for r in rows]
        bm25 = lexical.BM25([r["lex"].split() for r in rows])
        return _Snapshot(gen.name, chunks, titles, read_faiss(gen / "vectors.faiss"), bm25,
                         gen / "store.sqlite", Restorer(r["text"] for r in docs), obligations, cited)

    def search(self, query: str, k: int = 10, docs: list[str] | None = None) -> list[Hit]:
        snap = self.snapshot()
        n = len(snap.chunks)
        if n == 0 or not query.strip():
            return []
        allowed = set(docs) if docs else None
        depth = n if allowed else min(n, max(CANDIDATES, k))

        # the dense model reads unmarked Vietnamese poorly: give it the query with marks restored
        qv = self.embedder.embed_queries([snap.restorer.restore(query)]).astype(np.float32)
        sims, ids = snap.faiss.search(qv, depth)
        dense = {int(i): float(s) for i, s in zip(ids[0], sims[0]) if i >= 0}
        lex = snap.bm25.scores(lexical.query_tokens(query))

        def ranked(scores: dict[int, float]) -> list[int]:
            keep = [i for i in scores if allowed is None or snap.chunks[i].doc in allowed]
            return sorted(keep, key=lambda i: -scores[i])[:depth]

        # BM25 only speaks the corpus's language: an English question shares few words with
        # it, and its few matches ("Tay Ninh") should not outvote the multilingual dense model
        lex_weight = max(0.5, snap.restorer.known_fraction(query))
        fused: dict[int, float] = {}
        for ranking, weight in ((ranked(dense), 1.0), (ranked(lex), lex_weight)):
            for rank, i in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + weight / (RRF_K + rank + 1)
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        return [Hit(snap.chunks[i], fused[i], dense.get(i), lex.get(i),
                    snap.titles.get(snap.chunks[i].doc, "")) for i in order]

    # --- rows, documents: for answers, the CLI and the app ---------------------------------
    def obligations(self, agency: str | None = None, doc: str | None = None, role: str = "any",
                    text: str | None = None) -> list[Obligation]:
        return filter_obligations(self.snapshot().obligations, agency, doc, role, text)

    def citations(self, cites: str | None = None, doc: str | None = None) -> list[CitedDocument]:
        return filter_citations(self.snapshot().cited, cites, doc)

    def document_text(self, name: str) -> str:
        snap = self.snapshot()
        con = connect(snap.db, readonly=True)
        try:
            row = con.execute("SELECT text FROM documents WHERE name = ?", (name,)).fetchone()
        finally:
            con.close()
        if row is None:
            raise KeyError(name)
        return row["text"]

    def documents(self) -> list[dict]:
        snap = self.snapshot()
        con = connect(snap.db, readonly=True)
        try:
            rows = con.execute("SELECT d.name, d.title, d.sha256, d.ingested_at, d.meta, "
                               "(SELECT COUNT(*) FROM chunks c WHERE c.doc = d.name) AS chunks "
                               "FROM documents d ORDER BY d.name").fetchall()
        finally:
            con.close()
        # header metadata (DocumentMeta fields) sit beside the name, title and chunk count
        return [{**{k: r[k] for k in r.keys() if k != "meta"}, **json.loads(r["meta"])} for r in rows]

    def sections(self, name: str) -> list[Section]:
        snap = self.snapshot()
        con = connect(snap.db, readonly=True)
        try:
            row = con.execute("SELECT sections FROM documents WHERE name = ?", (name,)).fetchone()
        finally:
            con.close()
        if row is None:
            raise KeyError(name)
        return [Section(s["path"], s["heading"], s["level"], s["start"], s["end"], tuple(s["breadcrumb"]))
                for s in json.loads(row["sections"])]
