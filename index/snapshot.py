"""One index generation for reading: its segments (index.segment), each with the documents
that died in it since it was written.

Chunk ids are global: segment i's local id j is ``base[i] + j``. Everything is read on
demand from the segments' stores and mapped arrays: a chunk or unit row when a hit or an
answer needs it, a document's text when it is shown, BM25 postings and restorer counts for
the query's own terms. The few per-document rows (titles, filter fields, headers) are read
once per segment and shared by every generation that keeps the segment.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from index import postings, vectors
from index.filters import DocMeta
from index.restore import StoredRestorer
from index.segment import DIM, Segment
from ingest.types import Chunk, CitedDocument, DocumentMeta, Obligation, Section, Unit


@dataclass
class Part:
    segment: Segment
    dead: frozenset[str]
    base: int  # global id of its chunk 0
    ubase: int  # global id of its unit 0
    alive: np.ndarray | None  # chunk mask, None when no document died


# what a Chunk is made of: not the lexical tokens (several times the text) nor the vector key
CHUNK_COLUMNS = "doc, ord, section, breadcrumb, start, end, text, tokens"
_COLUMNS = {"chunks": CHUNK_COLUMNS, "units": "*"}


def _chunk(r: sqlite3.Row) -> Chunk:
    return Chunk(r["doc"], r["ord"], r["section"], tuple(json.loads(r["breadcrumb"])), r["start"], r["end"],
                 r["text"], r["tokens"])


def _unit(r: sqlite3.Row) -> Unit:
    return Unit(r["doc"], r["ord"], r["kind"], r["start"], r["end"], r["text"], r["context"],
                tuple(json.loads(r["roles"])), r["chunk"])


class _Rows:
    """A read-only sequence over global ids, rows fetched when asked for."""

    def __init__(self, snap: "StoredSnapshot", units: bool):
        self.snap, self.units = snap, units
        self._get = lru_cache(maxsize=4096)(self._fetch)

    def _fetch(self, i: int):
        part, local = self.snap.locate(i, self.units)
        table, make = ("units", _unit) if self.units else ("chunks", _chunk)
        rows = part.segment.rows(f"SELECT {_COLUMNS[table]} FROM {table} WHERE id = ?", (local,))
        if not rows:
            raise IndexError(i)
        return make(rows[0])

    def __getitem__(self, i: int):
        return self._get(int(i))

    def __len__(self) -> int:
        return self.snap.n_units if self.units else self.snap.n_live

    def __iter__(self):  # live rows in order (whole index: for tools, not for a question)
        for p in self.snap.parts:
            table, make = ("units", _unit) if self.units else ("chunks", _chunk)
            for r in p.segment.rows(f"SELECT {_COLUMNS[table]} FROM {table} ORDER BY id"):
                if r["doc"] not in p.dead:
                    yield make(r)


class _UnitVectors:
    def __init__(self, snap: "StoredSnapshot"):
        self.snap = snap

    def __getitem__(self, i: int) -> np.ndarray:
        part, local = self.snap.locate(int(i), units=True)
        return np.array(part.segment.unit_vectors[local])

    @property
    def shape(self) -> tuple[int, int]:  # as the array it stands for: one row per unit
        return (len(self.snap.units), DIM)


class _UnitsByChunk:
    """(doc, chunk ord) -> global unit ids; (doc, -1): its header and mention units."""

    def __init__(self, snap: "StoredSnapshot"):
        self.snap = snap

    def get(self, key: tuple[str, int], default=()):
        doc, ord_ = key
        part = self.snap.part_of(doc)
        if part is None:
            return default
        if ord_ == -1:
            rows = part.segment.rows("SELECT id FROM units WHERE doc = ? AND kind IN ('header', 'mention')"
                                     " ORDER BY id", (doc,))
        else:
            rows = part.segment.rows("SELECT id FROM units WHERE doc = ? AND chunk = ? ORDER BY id", (doc, ord_))
        return [part.ubase + r[0] for r in rows] or default

    def __getitem__(self, key):
        out = self.get(key, None)
        if out is None:
            raise KeyError(key)
        return out


class _BM25:
    """Corpus statistics over the live chunks of every segment; ``idf`` as index.lexical.BM25."""

    def __init__(self, snap: "StoredSnapshot"):
        self.snap = snap
        self.n = snap.n_live
        total = 0.0
        for p in snap.parts:
            lengths = p.segment.postings.lengths
            total += float(lengths.sum() if p.alive is None else lengths[p.alive].sum())
        self.avgdl = total / self.n if self.n else 0.0
        self._df = lru_cache(maxsize=65536)(self._doc_freq)

    def terms(self, tokens: list[str]) -> list[dict[str, tuple[int, int]]]:
        return [p.segment.postings.lookup(tokens) for p in self.snap.parts]

    def _doc_freq(self, tok: str) -> int:
        return sum(t[tok][1] for t in self.terms([tok]) if tok in t)

    def idf(self, tok: str) -> float:
        return postings.idf(self.n, self._df(tok))


class _Titles(Mapping):
    """Document name -> title of the live documents, as a dict: a lookup reads that document's
    row alone; going over all of them (or their number, when a document died) reads them all."""

    def __init__(self, snap: "StoredSnapshot"):
        self.snap = snap

    def __getitem__(self, name: str) -> str:
        p = self.snap.part_of(name)
        if p is None:
            raise KeyError(name)
        return p.segment.doc(name)[0]

    def __iter__(self):
        return iter(self.snap._doc_part)

    def __len__(self) -> int:
        if any(p.dead for p in self.snap.parts):
            return len(self.snap._doc_part)
        return sum(p.segment.n_docs for p in self.snap.parts)


class StoredSnapshot:
    def __init__(self, generation: str, segments: list[tuple[Segment, frozenset[str]]]):
        self.generation = generation
        self.parts: list[Part] = []
        base = ubase = 0
        for seg, dead in segments:
            alive = None
            if dead:
                alive = ~seg.mask(dead)
            self.parts.append(Part(seg, dead, base, ubase, alive))
            base += seg.n
            ubase += seg.n_units
        self.n_ids, self.n_units = base, ubase
        self.n_live = sum(p.segment.n if p.alive is None else int(p.alive.sum()) for p in self.parts)
        self._bases = np.array([p.base for p in self.parts], np.int64)
        self._ubases = np.array([p.ubase for p in self.parts], np.int64)
        self._part_of: dict[str, Part | None] = {}  # documents looked up one by one, before _doc_part
        self.chunks = _Rows(self, units=False)
        self.units = _Rows(self, units=True)
        self.unit_vectors = _UnitVectors(self)
        self.units_by_chunk = _UnitsByChunk(self)
        self.restorer = StoredRestorer([(p.segment.con, p.segment.lock) for p in self.parts],
                                       sum(p.segment.syllables for p in self.parts))
        self._lock = threading.Lock()

    # --- ids -----------------------------------------------------------------------------
    def locate(self, i: int, units: bool = False) -> tuple[Part, int]:
        bases = self._ubases if units else self._bases
        k = int(np.searchsorted(bases, i, side="right")) - 1
        if k < 0 or i >= (self.n_units if units else self.n_ids):
            raise IndexError(i)
        part = self.parts[k]
        return part, i - (part.ubase if units else part.base)

    @cached_property
    def _doc_part(self) -> dict[str, Part]:
        """Every live document's part: read when something goes over all documents (a filter,
        the document list); a question's few documents are looked up alone (``part_of``)."""
        return {d: p for p in self.parts for d in p.segment.docs if d not in p.dead}

    def part_of(self, doc: str) -> Part | None:
        if "_doc_part" in self.__dict__:
            return self._doc_part.get(doc)
        if doc not in self._part_of:
            self._part_of[doc] = next((p for p in reversed(self.parts)
                                       if doc not in p.dead and p.segment.doc(doc)), None)
        return self._part_of[doc]

    # --- per document ----------------------------------------------------------------------
    @cached_property
    def bm25(self) -> _BM25:
        return _BM25(self)

    @cached_property
    def titles(self) -> "_Titles":
        return _Titles(self)

    @cached_property
    def meta(self) -> dict[str, DocMeta]:
        return {d: p.segment.meta[d] for d, p in self._doc_part.items() if d in p.segment.meta}

    @cached_property
    def headers(self) -> dict[str, DocumentMeta]:
        return {d: p.segment.headers[d] for d, p in self._doc_part.items() if d in p.segment.headers}

    def header(self, name: str) -> DocumentMeta | None:
        """One document's header fields, read alone (a question needs its candidates' few)."""
        if "headers" in self.__dict__:
            return self.headers.get(name)
        p = self.part_of(name)
        rows = p.segment.rows("SELECT meta FROM documents WHERE name = ?", (name,)) if p else []
        return DocumentMeta.from_json(json.loads(rows[0][0] or "{}")) if rows else None

    def _live_rows(self, attr: str) -> list:
        rows = [r for p in self.parts for r in getattr(p.segment, attr) if r.doc not in p.dead]
        return sorted(rows, key=lambda r: (r.doc, r.start))  # stable: a store's own order among equals

    @cached_property
    def obligations(self) -> list[Obligation]:
        return self._live_rows("obligations")

    @cached_property
    def cited(self) -> list[CitedDocument]:
        return self._live_rows("cited")

    def document_text(self, name: str) -> str:
        part = self.part_of(name)
        rows = part.segment.rows("SELECT text FROM documents WHERE name = ?", (name,)) if part else []
        if not rows:
            raise KeyError(name)
        return rows[0][0]

    def chunks_of(self, doc: str) -> Iterator[Chunk]:
        """``doc``'s chunks in order, read a few at a time (its id range, as ``Segment.mask``
        reads it): the rescorer reads a candidate document's first ones, its header, and stops."""
        part = self.part_of(doc)
        if part is None:
            return
        _, lo, hi = part.segment.doc(doc)
        n = 4
        while 0 <= lo <= hi:
            yield from map(_chunk, part.segment.rows(f"SELECT {CHUNK_COLUMNS} FROM chunks WHERE id BETWEEN ? AND ? "
                                                     "AND doc = ? ORDER BY id", (lo, min(hi, lo + n - 1), doc)))
            lo, n = lo + n, n * 4

    def documents(self) -> list[dict]:
        out = []
        for p in self.parts:
            docs = p.segment.docs  # a document's chunks are one id range of its segment
            rows = p.segment.rows("SELECT name, title, sha256, ingested_at, meta FROM documents")
            # header metadata (DocumentMeta fields) sit beside the name, title and chunk count
            out += [{"name": r[0], "title": r[1], "sha256": r[2], "ingested_at": r[3],
                     "chunks": docs[r[0]][2] - docs[r[0]][1] + 1 if docs[r[0]][1] >= 0 else 0, **json.loads(r[4])}
                    for r in rows if r[0] not in p.dead]
        return sorted(out, key=lambda d: d["name"])

    def sections(self, name: str) -> list[Section]:
        part = self.part_of(name)
        rows = part.segment.rows("SELECT sections FROM documents WHERE name = ?", (name,)) if part else []
        if not rows:
            raise KeyError(name)
        return [Section(s["path"], s["heading"], s["level"], s["start"], s["end"], tuple(s["breadcrumb"]))
                for s in json.loads(rows[0]["sections"])]

    # --- the two channels --------------------------------------------------------------------
    def _allowed(self, p: Part, allowed: set[str] | None) -> np.ndarray | None:
        if allowed is None:
            return p.alive
        mask = p.segment.mask(allowed)  # names it does not hold are not in its mask
        return mask if p.alive is None else mask & p.alive

    def dense(self, qv: np.ndarray, depth: int, allowed: set[str] | None) -> dict[int, float]:
        """Top ``depth`` global ids by cosine among the allowed documents' live chunks, best first."""
        ids, sims = [], []
        for p in self.parts:
            mask = self._allowed(p, allowed)
            if p.segment.n == 0 or (mask is not None and not mask.any()):
                continue
            i, s = vectors.search(p.segment.vectors, p.segment.ann, qv, depth, mask)
            ids.append(i + p.base)
            sims.append(s)
        if not ids:
            return {}
        i, s = vectors._top(np.concatenate(ids), np.concatenate(sims).astype(np.float32), depth)
        return {int(a): float(b) for a, b in zip(i, s)}

    def lexical(self, tokens: list[str], depth: int, allowed: set[str] | None,
                also: list[int]) -> tuple[list[int], dict[int, float]]:
        """The top ``depth`` allowed chunks by BM25 (global ids, best first) and the scores of
        those and of ``also`` (the dense channel's candidates), for fusion."""
        bm25 = self.bm25
        toks = list(dict.fromkeys(tokens))
        per_part = bm25.terms(toks)
        df: dict[str, int] = {}
        for terms in per_part:
            for t, (_, d) in terms.items():
                df[t] = df.get(t, 0) + d
        ids, scores = [], []
        for p, terms in zip(self.parts, per_part):
            pairs = [(terms[t][0], postings.idf(bm25.n, df[t])) for t in toks if t in terms]
            if not pairs:
                continue
            acc = p.segment.postings.scores(pairs, bm25.avgdl or 1.0)
            mask = acc > 0
            m = self._allowed(p, allowed)
            if m is not None:
                mask &= m
            local = np.flatnonzero(mask)
            if len(local):  # no allowed chunk of this part has a query term
                ids.append(local + p.base)
                scores.append(acc[local])
        if not ids:
            return [], {}
        all_ids, all_scores = np.concatenate(ids), np.concatenate(scores)
        top, top_s = vectors._top(all_ids, all_scores, depth)
        out = {int(a): float(b) for a, b in zip(top, top_s)}
        if also:
            want = np.array(sorted(set(also) - set(out)), np.int64)
            pos = np.searchsorted(all_ids, want)  # ids ascend: parts in order, local ids sorted
            ok = (pos < len(all_ids)) & (all_ids[np.minimum(pos, len(all_ids) - 1)] == want)
            out.update({int(a): float(b) for a, b in zip(want[ok], all_scores[pos[ok]])})
        return [int(a) for a in top], out
