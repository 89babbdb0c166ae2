"""Immutable index segments: what one write (or one merge) adds, stored ready to search.

    seg-000004/store.sqlite   documents, chunks (ids 0..n-1), units, obligations, citations,
                              embeddings (hash -> vector, to reuse on later writes), the BM25
                              vocabulary (terms), the diacritic restorer's counts (sylls,
                              bigrams) and seginfo (counts)
    seg-000004/vectors.npy    chunk vectors, row = chunk id (memory-mapped by readers)
    seg-000004/units.npy      answer-unit vectors, row = unit id
    seg-000004/post_*.npy, lengths.npy   BM25 postings (index.postings)
    seg-000004/ann.faiss      an HNSW or IVF index over vectors.npy, for a large segment

Everything a reader needs is written here once (``finish``), so opening a segment maps files
and reads a few small rows: nothing is rebuilt from all chunks. A segment never changes after
it is written; documents replaced or removed later are listed as dead in the generation's
manifest (index.store) until a merge drops them.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from index import postings
from index.filters import DocMeta, doc_meta
from index.restore import build_counts
from index.rows import load_citations, load_headers, load_obligations
from index.store import SCHEMA, SCHEMA_VERSION, connect
from index.vectors import build_ann

DIM = 384
SEGMENT_SCHEMA = SCHEMA + """
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, id INTEGER NOT NULL, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sylls (plain TEXT NOT NULL, form TEXT NOT NULL, n INTEGER NOT NULL,
                                  first INTEGER NOT NULL, PRIMARY KEY (plain, form)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bigrams (a TEXT NOT NULL, b TEXT NOT NULL, n INTEGER NOT NULL,
                                    PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seginfo (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docmeta (name TEXT PRIMARY KEY, filt TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc, ord);
CREATE INDEX IF NOT EXISTS units_doc ON units(doc, chunk);
"""
COPIED = {  # table -> columns a merge copies (ids are given afresh)
    "documents": "name, sha256, title, text, sections, meta, footnotes, ingested_at",
    "chunks": "doc, ord, section, breadcrumb, start, end, text, tokens, lex, embed_hash",
    "units": "doc, ord, chunk, kind, start, end, text, context, roles, embed_hash",
    "obligations": "doc, section, task, lead, partners, deadline, deadline_norm, start, end, source, spans",
    "citations": "doc, kind, number, number_key, date, issuer, title, start, end",
}


def create(path: Path) -> sqlite3.Connection:
    con = connect(path)
    con.executescript(SEGMENT_SCHEMA)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return con


def copy_from(con: sqlite3.Connection, src: Path, dead: set[str]) -> None:
    """Append the live documents of another store (a segment, or an older single-file store)
    to ``con``, chunk and unit ids continuing from what ``con`` holds; vectors come along."""
    con.commit()
    con.execute("ATTACH DATABASE ? AS src", (f"file:{src}?mode=ro",))
    try:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS dead (name TEXT PRIMARY KEY)")
        con.execute("DELETE FROM dead")
        con.executemany("INSERT INTO dead VALUES (?)", ((d,) for d in dead))
        live = "doc NOT IN (SELECT name FROM temp.dead)"
        for table, wanted in COPIED.items():
            # an older store may lack a table or a column: the defaults fill them in
            have = {r[1] for r in con.execute(f"PRAGMA src.table_info({table})")}
            if not have:
                continue
            cols = ", ".join(c for c in wanted.split(", ") if c in have)
            where = "name NOT IN (SELECT name FROM temp.dead)" if table == "documents" else live
            if table in ("chunks", "units"):
                base = con.execute(f"SELECT COALESCE(MAX(id) + 1, 0) FROM main.{table}").fetchone()[0]
                con.execute(f"INSERT INTO main.{table} (id, {cols}) SELECT {base} - 1 + ROW_NUMBER() "
                            f"OVER (ORDER BY id), {cols} FROM src.{table} WHERE {where} ORDER BY id")
            else:
                order = "rowid" if table == "documents" else "id"
                con.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM src.{table} "
                            f"WHERE {where} ORDER BY {order}")
        used = " UNION ".join(f"SELECT embed_hash FROM src.{t} WHERE {live}" for t in ("chunks", "units")
                              if con.execute(f"PRAGMA src.table_info({t})").fetchall())
        con.execute(f"INSERT OR IGNORE INTO main.embeddings SELECT hash, vec FROM src.embeddings WHERE hash IN ({used})")
        con.commit()
    finally:
        con.execute("DETACH DATABASE src")


def _vectors(con: sqlite3.Connection, table: str) -> np.ndarray:
    rows = con.execute(f"SELECT e.vec FROM {table} t JOIN embeddings e ON e.hash = t.embed_hash"
                       " ORDER BY t.id").fetchall()
    if not rows:
        return np.zeros((0, DIM), np.float32)
    return np.frombuffer(b"".join(r[0] for r in rows), np.float32).reshape(len(rows), -1)


def finish(folder: Path, con: sqlite3.Connection, ann_kind: str | None = None) -> None:
    """Derive and write what readers load (vectors, postings, restorer counts, filter fields,
    ANN) from the rows in ``con``, then close and fsync everything in ``folder``."""
    vecs = _vectors(con, "chunks")
    np.save(folder / "vectors.npy", vecs)
    np.save(folder / "units.npy", _vectors(con, "units"))
    con.execute("DELETE FROM terms")
    total_len = postings.build(con, folder)
    docs = con.execute("SELECT name, title, text FROM documents ORDER BY rowid").fetchall()
    forms, bigrams, sylls = build_counts(r["text"] for r in docs)
    con.execute("DELETE FROM sylls")
    con.execute("DELETE FROM bigrams")
    con.executemany("INSERT INTO sylls VALUES (?, ?, ?, ?)", ((p, f, v[0], v[1]) for (p, f), v in forms.items()))
    con.executemany("INSERT INTO bigrams VALUES (?, ?, ?)", ((a, b, n) for (a, b), n in bigrams.items()))
    metas = doc_meta([(r["name"], r["title"], r["text"]) for r in docs], load_headers(con))
    con.execute("DELETE FROM docmeta")
    con.executemany("INSERT INTO docmeta VALUES (?, ?)",
                    ((m.name, json.dumps(m.__dict__, ensure_ascii=False)) for m in metas.values()))
    info = {"chunks": len(vecs), "units": con.execute("SELECT COUNT(*) FROM units").fetchone()[0],
            "tokens": total_len, "syllables": sylls}
    con.executemany("INSERT OR REPLACE INTO seginfo VALUES (?, ?)", ((k, str(v)) for k, v in info.items()))
    con.commit()
    con.close()
    ann = build_ann(vecs, ann_kind) if len(vecs) else None
    if ann is not None:
        import faiss

        faiss.write_index(ann, str(folder / "ann.faiss"))
    for f in folder.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())


class Segment:
    """A written segment opened for reading: small rows now, everything else mapped or on demand.
    Shared by every snapshot that lists it (segments never change)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.name = folder.name
        self.con = connect(folder / "store.sqlite", readonly=True)
        self.lock = threading.Lock()
        info = dict(self.con.execute("SELECT key, value FROM seginfo").fetchall())
        self.n, self.n_units = int(info["chunks"]), int(info["units"])
        self.syllables = int(info["syllables"])
        self.vectors = np.load(folder / "vectors.npy", mmap_mode="r")
        self.unit_vectors = np.load(folder / "units.npy", mmap_mode="r")
        self.postings = postings.Postings.open(folder, self.con, self.lock)
        self.ann = None
        if (folder / "ann.faiss").exists():
            import faiss

            # the graph is read, the vectors it holds are memory-mapped from the file (segment
            # files are never rewritten): an eighth of the load time, and no second copy in RAM
            self.ann = faiss.read_index(str(folder / "ann.faiss"), faiss.IO_FLAG_MMAP_IFC)
        self._doc_rows: dict[str, tuple[str, int, int] | None] = {}  # read one by one, before ``docs``

    @cached_property
    def docs(self) -> dict[str, tuple[str, int, int]]:
        """Per document: title and chunk id range (one scan of the chunks' covering index for the
        ranges: a third of the time of a join per document). Read when a tool or a filter needs
        every document, not at open: a question needs its hits' few (``doc``)."""
        ranges = {r[0]: (r[1], r[2]) for r in self.rows("SELECT doc, MIN(id), MAX(id) FROM chunks GROUP BY doc")}
        return {name: (title, *ranges.get(name, (-1, -1)))
                for name, title in self.rows("SELECT name, title FROM documents ORDER BY rowid")}

    def doc(self, name: str) -> tuple[str, int, int] | None:
        """``docs[name]`` (None when this segment does not hold it), read alone until ``docs`` is."""
        if "docs" in self.__dict__:
            return self.docs.get(name)
        if name not in self._doc_rows:
            rows = self.rows("SELECT title, (SELECT MIN(id) FROM chunks WHERE doc = ?1), "
                             "(SELECT MAX(id) FROM chunks WHERE doc = ?1) FROM documents WHERE name = ?1", (name,))
            self._doc_rows[name] = None if not rows else \
                (rows[0][0], -1 if rows[0][1] is None else rows[0][1], -1 if rows[0][2] is None else rows[0][2])
        return self._doc_rows[name]

    @cached_property
    def n_docs(self) -> int:
        return len(self.docs) if "docs" in self.__dict__ else self.rows("SELECT COUNT(*) FROM documents")[0][0]

    def rows(self, sql: str, args: tuple | list = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.con.execute(sql, args).fetchall()

    @cached_property
    def meta(self) -> dict[str, DocMeta]:
        return {r[0]: DocMeta(**json.loads(r[1])) for r in self.rows("SELECT name, filt FROM docmeta")}

    @cached_property
    def headers(self):
        with self.lock:
            return load_headers(self.con)

    @cached_property
    def obligations(self):
        with self.lock:
            return load_obligations(self.con)

    @cached_property
    def cited(self):
        with self.lock:
            return load_citations(self.con)

    def mask(self, names) -> np.ndarray:
        """Bool mask over chunk ids of the documents ``names`` (those this segment holds)."""
        m = np.zeros(self.n, bool)
        names = list(names)
        for name in names:
            # a few names (dead documents, a filter on one document) are looked up one by one
            d = self.docs.get(name) if len(names) > 64 else self.doc(name)
            if d is not None and d[1] >= 0:
                m[d[1]:d[2] + 1] = True
        return m

    def close(self) -> None:
        with self.lock:
            self.con.close()
