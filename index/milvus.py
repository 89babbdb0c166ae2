"""The Milvus backend: the same Searcher and Indexer API as the embedded store, over Milvus
(milvus-lite's local file, or a Milvus standalone/cluster by http:// URI) through pymilvus.

Dense search (FLAT inner product over the e5 vectors), lexical search (Milvus's BM25 function
over the project's own folded word tokens) and the filters (the documents whose metadata pass
them, as a boolean expression; issuer, type and year are stored beside each chunk too) run
inside Milvus; only the top candidates of each channel come back, and fusion and the second
stage are the embedded Searcher's. A snapshot holds, per generation,
what the answer stage reads beside the hits: document texts and headers, the answer units
with their vectors, obligation and citation rows (index.milvus_store says how generations
keep a write all-or-nothing for readers).
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np

from index import fusion as fusion_mod
from index import lexical
from index.embed import passage_hash
from index.filters import DocMeta, _words, doc_meta
from index.indexer import Indexer, passage_text
from index.milvus_store import LIVE, TEXT_BYTES, MilvusStore, StoreURI, gen_name, lex_words, quote, visible
from index.rescore import HEADER_CHARS
from index.restore import Restorer
from index.search import KEEP_RECENT, EmptyIndexError, Searcher
from index.store import sections_json
from ingest import Document
from ingest.normalize import strip
from ingest.types import Chunk, CitedDocument, DocumentMeta, Obligation, Section, Unit

CHUNK_FIELDS = ["doc", "ord", "section", "breadcrumb", "span_start", "span_end", "text", "tokens"]


def _span(v) -> tuple[int, int] | None:
    return (int(v[0]), int(v[1])) if v else None


def _chunk(r: dict, texts: dict[str, str]) -> Chunk:
    text = r["text"] or texts.get(r["doc"], "")[r["span_start"]:r["span_end"]]  # a long one: from its document
    return Chunk(r["doc"], r["ord"], r["section"], tuple(json.loads(r["breadcrumb"])), r["span_start"],
                 r["span_end"], text, r["tokens"])


class ChunkView:
    """A generation's chunks as the rescorer reads them: by Milvus id (the chunks the searches
    returned), and, iterated, each document's opening chunks (what makes its header); the
    whole table stays in Milvus. ``len`` is the number of chunks."""

    def __init__(self, n: int, head: list[Chunk]):
        self.n, self.head = n, head
        self.by_id: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter(self.head)

    def __getitem__(self, i: int) -> Chunk:
        return self.by_id[i]


class MilvusIdf:
    """``bm25.idf(token)`` for the answer scorer, from Milvus's match counts at one generation."""

    def __init__(self, store: MilvusStore, g: int, n: int):
        self.store, self.g, self.n = store, g, n
        self.idf = lru_cache(maxsize=100_000)(self._idf)

    def _idf(self, tok: str) -> float:
        df = self.store.count("chunks", f'{visible(self.g)} and TEXT_MATCH(lex, "{lex_words([tok])}")')
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5)) if df else 0.0  # as index.lexical.BM25


@dataclass
class MilvusSnapshot:
    generation: str
    g: int
    chunks: ChunkView
    titles: dict[str, str]
    bm25: MilvusIdf
    restorer: Restorer
    obligations: list[Obligation]
    cited: list[CitedDocument]
    meta: dict[str, DocMeta]
    headers: dict[str, DocumentMeta]
    texts: dict[str, str]
    records: dict[str, dict] = field(repr=False)
    units: list[Unit] = field(default_factory=list)
    unit_vectors: np.ndarray | None = None
    units_by_chunk: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    store: MilvusStore | None = field(default=None, repr=False)

    # the two channels index.search.Searcher.search calls; the filters are part of Milvus's search
    def _channel(self, data, field_: str, metric: str, expr: str, depth: int) -> dict[int, float]:
        res = self.store.c.search(self.store.name("chunks"), data=[data], anns_field=field_, limit=depth,
                                  filter=expr, output_fields=CHUNK_FIELDS, search_params={"metric_type": metric})
        out: dict[int, float] = {}
        for h in res[0]:
            i = int(h["id"])
            self.chunks.by_id.setdefault(i, _chunk(h["entity"], self.texts))
            # milvus-lite gives BM25 as a negative distance, a server as the score
            out[i] = abs(float(h["distance"])) if metric == "BM25" else float(h["distance"])
        return out

    def _expr(self, allowed: set[str] | None) -> str:
        return visible(self.g) + ("" if allowed is None else f" and doc in [{', '.join(map(quote, sorted(allowed)))}]")

    def dense(self, qv: np.ndarray, depth: int, allowed: set[str] | None) -> dict[int, float]:
        return self._channel(np.asarray(qv, dtype=np.float32).tolist(), "vec", "IP", self._expr(allowed), depth)

    def lexical(self, tokens: list[str], depth: int, allowed: set[str] | None,
                also: list[int]) -> tuple[list[int], dict[int, float]]:
        tokens = list(dict.fromkeys(tokens))
        if not tokens:
            return [], {}
        words, expr = lex_words(tokens), self._expr(allowed)
        lex = self._channel(words, "sparse", "BM25", expr, depth)
        top = sorted(lex, key=lambda i: -lex[i])
        unseen = [i for i in also if i not in lex]
        if lex and unseen:  # weighted fusion normalises BM25 over every candidate: the dense ones' too
            lex.update(self._channel(words, "sparse", "BM25", f"{expr} and id in {unseen}", len(unseen)))
        return top, lex

    def document_text(self, name: str) -> str:
        return self.texts[name]  # KeyError(name) for a document this generation does not have

    def chunks_of(self, doc: str) -> list[Chunk]:
        """A document's opening chunks, in order (what the rescorer reads as its header)."""
        return [c for c in self.chunks if c.doc == doc]

    def documents(self) -> list[dict]:
        return [{"name": n, "title": r["title"], "sha256": r["sha256"], "ingested_at": r["ingested_at"],
                 "chunks": r["chunks"], **r["meta"]} for n, r in sorted(self.records.items())]

    def sections(self, name: str) -> list[Section]:
        if name not in self.records:
            raise KeyError(name)
        return [Section(s["path"], s["heading"], s["level"], s["start"], s["end"], tuple(s["breadcrumb"]))
                for s in self.records[name]["sections"]]


def load_snapshot(store: MilvusStore, g: int) -> MilvusSnapshot:
    records = store.records(g)
    texts = {n: r["text"] for n, r in records.items()}
    headers = {n: DocumentMeta.from_json(r["meta"]) for n, r in records.items()}
    titles = {n: r["title"] for n, r in records.items()}
    meta = doc_meta([(n, titles[n], texts[n]) for n in records], headers)
    obligations = sorted((Obligation(**{**o, "lead": tuple(o["lead"]), "partners": tuple(o["partners"]),
                                        **{k: _span(o[k]) for k in ("task_span", "lead_span", "partners_span",
                                                                    "deadline_span")}})
                          for r in records.values() for o in r["obligations"]), key=lambda o: (o.doc, o.start))
    cited = sorted((CitedDocument(**c) for r in records.values() for c in r["cited"]), key=lambda c: (c.doc, c.start))
    head = [_chunk(c, texts) for n in sorted(records) for c in records[n]["head"]]
    urows = store.rows("units", visible(g), ["id", "doc", "ord", "chunk", "kind", "span_start", "span_end", "text",
                                             "context", "roles", "vec"])
    units = [Unit(r["doc"], r["ord"], r["kind"], r["span_start"], r["span_end"], r["text"], r["context"],
                  tuple(json.loads(r["roles"])), r["chunk"]) for r in urows]
    by_chunk: dict[tuple[str, int], list[int]] = {}
    for i, u in enumerate(units):
        by_chunk.setdefault((u.doc, u.chunk), []).append(i)
        if u.kind in ("header", "mention"):  # (doc, -1): what a document says about itself
            by_chunk.setdefault((u.doc, -1), []).append(i)
    vecs = np.asarray([r["vec"] for r in urows], dtype=np.float32) if urows else None
    n = store.count("chunks", visible(g))
    return MilvusSnapshot(gen_name(g), g, ChunkView(n, head), titles, MilvusIdf(store, g, n),
                          Restorer(texts.values()), obligations, cited, meta, headers, texts, records,
                          units, vecs, by_chunk, store)


class MilvusSearcher(Searcher):
    """``index.search.Searcher`` over a Milvus store (``spec``): only loading a generation is
    its own; the search is the embedded Searcher's, asking the snapshot's two channels."""

    def __init__(self, spec: StoreURI, embedder=None, fusion: str = fusion_mod.DEFAULT_FUSION,
                 alpha: float = fusion_mod.DEFAULT_ALPHA, rescore: bool = False, signals_for=None):
        super().__init__(spec.local_dir, embedder, fusion, alpha, rescore, signals_for)
        self.spec = spec
        self.store = MilvusStore(spec)

    def _live(self) -> int:
        g = self.store.current()
        if g == 0:
            raise EmptyIndexError(f"chưa có chỉ mục ở {self.spec.uri}: chạy 'tracuu ingest ĐƯỜNG_DẪN --store "
                                  f"{self.spec.uri}' trước")
        return g

    def check(self) -> None:
        self._live()  # the server is reached and holds a committed generation

    def snapshot(self) -> MilvusSnapshot:
        g = self._live()
        with self._lock:
            if self._snap is None or self._snap.generation != gen_name(g):
                self._snap = load_snapshot(self.store, g)
                self._recent[self._snap.generation] = self._snap
                while len(self._recent) > KEEP_RECENT:
                    self._recent.popitem(last=False)
            return self._snap


class MilvusIndexer(Indexer):
    """``index.indexer.Indexer`` writing to a Milvus store: reading files, the writer lock (on
    the local folder) and the report are the embedded Indexer's; a run is one generation."""

    def __init__(self, spec: StoreURI, embedder=None):
        super().__init__(spec.local_dir, embedder)
        self.spec = spec
        self.store = MilvusStore(spec)

    def _known(self) -> dict[str, str]:
        g = self.store.current()
        return {n: r["sha256"] for n, r in self.store.records(g).items()} if g else {}

    def _write(self, docs: list[tuple[Document, str]], remove: list[str]) -> str:
        st = self.store
        cur = st.recover()
        g = cur + 1
        names = remove + [d.name for d, _ in docs]
        ids = itertools.count(g << 32)  # unique across generations
        vectors: dict[str, list[float]] = {}  # a replaced document's unchanged passages are not embedded again
        if names:
            where = f"{visible(cur)} and doc in [{', '.join(quote(n) for n in names)}]"
            for key in ("chunks", "units"):
                vectors.update((r["embed_hash"], r["vec"]) for r in st.rows(key, where, ["id", "embed_hash", "vec"]))
        chunk_rows, unit_rows, doc_rows = [], [], []
        pending: dict[str, str] = {}
        for doc, _ in docs:
            m = doc_meta([(doc.name, doc.title, doc.text)], {doc.name: doc.meta})[doc.name]
            filt = {"issuer": f" {_words(m.issuer)} " if m.issuer else "", "dtype": strip(m.type) if m.type else "",
                    "year": m.year or 0}
            head, size = [], 0
            for c in doc.chunks:
                ptext = passage_text(doc.title, c.breadcrumb, c.text, c.context)
                h = passage_hash(self.embedder, ptext)
                pending.setdefault(h, ptext)
                row = {"id": next(ids), "gen_from": g, "gen_to": LIVE, "doc": c.doc, "ord": c.ord, "section": c.section,
                       "breadcrumb": _json(list(c.breadcrumb)), "span_start": c.start, "span_end": c.end,
                       "text": c.text if len(c.text.encode()) <= TEXT_BYTES else "", "tokens": c.tokens,
                       "lex": _fit(lex_words(lexical.doc_tokens(ptext))), "embed_hash": h, **filt}
                chunk_rows.append(row)
                if size < HEADER_CHARS:  # the opening chunks make the header the rescorer reads
                    head.append({k: row[k] for k in CHUNK_FIELDS})
                    size += len(c.text) + 1
            for u in doc.units:  # embedded as what they are read with: their context and text
                utext = "\n".join(p for p in (u.context, u.text) if p)
                h = passage_hash(self.embedder, utext)
                pending.setdefault(h, utext)
                unit_rows.append({"id": next(ids), "gen_from": g, "gen_to": LIVE, "doc": u.doc, "ord": u.ord,
                                  "chunk": u.chunk, "kind": u.kind, "span_start": u.start, "span_end": u.end,
                                  "text": u.text, "context": u.context, "roles": _json(list(u.roles)), "embed_hash": h})
            record = {"title": doc.title, "sha256": doc.sha256, "text": doc.text, "chunks": len(doc.chunks),
                      "ingested_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                      "meta": doc.meta.to_json(), "sections": json.loads(sections_json(doc.sections)),
                      "footnotes": [{"number": n.number, "start": n.start, "end": n.end, "marker": n.marker}
                                    for n in doc.footnotes],
                      "obligations": [dataclasses.asdict(o) for o in doc.obligations],
                      "cited": [dataclasses.asdict(c) for c in doc.cited], "head": head}
            doc_rows += st.doc_rows(g, doc.name, record, ids)
        missing = [h for h in pending if h not in vectors]
        if missing:
            vecs = self.embedder.embed_passages([pending[h] for h in missing]).astype(np.float32)
            vectors.update(zip(missing, vecs.tolist()))
        for row in chunk_rows + unit_rows:
            row["vec"] = list(vectors[row["embed_hash"]])
        st.retire(g, names)
        st.insert("chunks", chunk_rows)
        st.insert("units", unit_rows)
        st.insert("docs", doc_rows)
        st.commit(g)
        return gen_name(g)


def _json(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def _fit(words: str, limit: int = 65_535) -> str:
    """A chunk's BM25 input within a VARCHAR (≈ 3,600 tokens; a chunk is far shorter)."""
    return words if len(words) <= limit else words[:limit].rsplit(" ", 1)[0]
