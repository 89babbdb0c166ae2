"""The Milvus side of the Milvus backend: collections, generations and crash recovery.

Four collections (names prefixed, so one Milvus can hold several indexes):
  chunks  one row per chunk: e5 vector (FLAT, inner product), the BM25 input (the chunk's
          folded word tokens, index.lexical.doc_tokens, each hashed to an opaque ASCII word so
          Milvus's "standard" analyzer keeps it whole) and its BM25 sparse vector made by
          Milvus's own BM25 function, the chunk's fields, and the filter fields (doc, issuer,
          type, year) that search expressions test;
  units   answer units with their e5 vectors;
  docs    one JSON record per document (text, title, header, sections, obligations, cited
          documents, opening chunks), split into parts: a VARCHAR holds at most 65,535 bytes;
  gens    one row per committed generation (its number); the live one is the highest.

Every data row carries ``gen_from`` and ``gen_to``: it belongs to generations
``gen_from <= g < gen_to``. A write of generation g inserts the new rows with gen_from = g,
marks the rows it replaces or removes with gen_to = g, flushes, and only then inserts g into
gens: readers filter by their own generation, so they see the old state or the new one, never
part of a write. A killed writer leaves rows no committed generation sees; the next writer
deletes them and restores gen_to before it starts. Rows retired more than KEEP generations
ago are deleted (a question keeps its generation's rows while it is being answered).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

LIVE = 2 ** 62  # gen_to of a row no generation has retired
KEEP = 3  # generations whose retired rows stay readable
PART_CHARS = 16_000  # ≤ 64,000 bytes of UTF-8 per VARCHAR part
TEXT_BYTES = 60_000  # a longer chunk text is read from its document instead
BATCH = 1_000
BM25_K1, BM25_B = 1.2, 0.75  # as index.lexical.BM25 (milvus-lite's own default k1 is 1.5)


@dataclass(frozen=True)
class StoreURI:
    """Where a Milvus index lives: ``uri`` for pymilvus (a local .db file for milvus-lite, or
    http(s)://host:19530), and the local folder for what is not index data (uploads, feedback)."""
    uri: str
    local_dir: Path
    prefix: str = "tracuu"

    @property
    def lite(self) -> bool:
        return not self.uri.startswith(("http://", "https://"))


def lex_words(tokens: list[str]) -> str:
    """The BM25 input: each token as a 16-hex-digit word ("w:chur_trif" -> "t3fa9…")."""
    return " ".join("t" + hashlib.blake2b(t.encode(), digest_size=8).hexdigest() for t in tokens)


def gen_name(g: int) -> str:
    return f"gen-{g:06d}"


def visible(g: int) -> str:
    return f"gen_from <= {g} and gen_to > {g}"


def quote(s: str) -> str:
    """A string literal for a Milvus boolean expression."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class StoreUnavailable(RuntimeError):
    """A Milvus store that cannot be opened: a milvus-lite file another process holds, a server not reached."""


_CLIENTS: dict[str, object] = {}


def client(uri: str):
    """One client per URI in a process: milvus-lite opens its file in one process only, so a
    Searcher and an Indexer of the app share it."""
    if uri not in _CLIENTS:
        import logging

        # a query iterator warns on every page that milvus-lite keeps no MVCC timestamp, and
        # gRPC's C core prints its keep-alive renegotiation with milvus-lite on stderr
        logging.getLogger("pymilvus").setLevel(logging.ERROR)
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)  # milvus-lite's in-process server: the
        # same warning as a traceback (the iterator falls back to the client's timestamp)
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        try:
            _CLIENTS[uri] = MilvusClient(uri)
        except MilvusException as exc:
            where = "tệp" if not uri.startswith("http") else "máy chủ"
            raise StoreUnavailable(f"không mở được kho Milvus {uri} ({where} đang được tiến trình khác dùng "
                               f"hoặc không tới được): {exc.message if hasattr(exc, 'message') else exc}") from None
    return _CLIENTS[uri]


class MilvusStore:
    def __init__(self, spec: StoreURI, dim: int = 384):
        self.spec, self.dim = spec, dim
        self.c = client(spec.uri)
        self.names = {k: f"{spec.prefix}_{k}" for k in ("chunks", "units", "docs", "gens")}
        self._ready = False

    def name(self, key: str) -> str:
        return self.names[key]

    # --- schema --------------------------------------------------------------------------
    def ensure(self) -> None:
        """Create missing collections and load them (a reopened milvus-lite file has them released)."""
        if self._ready:
            return
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        def base(vec_dim: int):
            s = MilvusClient.create_schema(auto_id=False)
            s.add_field("id", DataType.INT64, is_primary=True)
            s.add_field("vec", DataType.FLOAT_VECTOR, dim=vec_dim)
            return s

        def spans(s, doc: bool = True):
            s.add_field("gen_from", DataType.INT64)
            s.add_field("gen_to", DataType.INT64)
            if doc:
                s.add_field("doc", DataType.VARCHAR, max_length=1024)

        schemas = {}
        s = base(self.dim)
        spans(s)
        for f in ("ord", "span_start", "span_end", "tokens", "year"):
            s.add_field(f, DataType.INT64)
        for f, n in (("section", 1024), ("breadcrumb", 8192), ("embed_hash", 64), ("issuer", 2048),
                     ("dtype", 256), ("text", 65535)):
            s.add_field(f, DataType.VARCHAR, max_length=n)
        s.add_field("lex", DataType.VARCHAR, max_length=65535, enable_analyzer=True, enable_match=True,
                    analyzer_params={"tokenizer": "standard"})
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["lex"],
                                output_field_names=["sparse"]))
        schemas["chunks"] = s
        s = base(self.dim)
        spans(s)
        for f in ("ord", "chunk", "span_start", "span_end"):
            s.add_field(f, DataType.INT64)
        for f, n in (("kind", 64), ("text", 65535), ("context", 65535), ("roles", 4096), ("embed_hash", 64)):
            s.add_field(f, DataType.VARCHAR, max_length=n)
        schemas["units"] = s
        s = base(2)  # a collection needs a vector field: these two stay zero
        spans(s)
        s.add_field("part", DataType.INT64)
        s.add_field("data", DataType.VARCHAR, max_length=65535)
        schemas["docs"] = s
        schemas["gens"] = base(2)
        for key, schema in schemas.items():
            name = self.name(key)
            if not self.c.has_collection(name):
                ip = self.c.prepare_index_params()
                ip.add_index("vec", index_type="FLAT", metric_type="IP")
                if key == "chunks":
                    bm25 = {"bm25_k1": BM25_K1, "bm25_b": BM25_B}
                    # milvus-lite 3.2 (a file, or its own server over http://) reads them one level
                    # deeper than a Milvus server does: ask the engine, not the URI
                    lite = self.spec.lite or str(self.c.get_server_version()).startswith("milvus_lite")
                    ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                                 params={"params": bm25} if lite else bm25)
                self.c.create_collection(name, schema=schema, index_params=ip, consistency_level="Strong")
            self.c.load_collection(name)
        self._ready = True

    # --- reading ---------------------------------------------------------------------------
    def current(self) -> int:
        """The live generation, 0 when nothing was ever committed."""
        if not self.c.has_collection(self.name("gens")):
            return 0
        self.ensure()
        rows = self.c.query(self.name("gens"), filter="id >= 0", output_fields=["id"])
        return max((int(r["id"]) for r in rows), default=0)

    def rows(self, key: str, expr: str, fields: list[str]) -> list[dict]:
        """Every row matching ``expr`` (a query returns at most 16,384 rows: iterate), by id."""
        it = self.c.query_iterator(self.name(key), batch_size=BATCH, filter=expr, output_fields=fields)
        out: list[dict] = []
        try:
            while batch := it.next():
                out.extend(batch)
        finally:
            it.close()
        return sorted(out, key=lambda r: r["id"])

    def count(self, key: str, expr: str) -> int:
        r = self.c.query(self.name(key), filter=expr, output_fields=["count(*)"])
        return int(r[0]["count(*)"]) if r else 0

    def records(self, g: int) -> dict[str, dict]:
        """Document name -> its JSON record, at generation ``g``."""
        parts: dict[str, list[tuple[int, str]]] = {}
        for r in self.rows("docs", visible(g), ["id", "doc", "part", "data"]):
            parts.setdefault(r["doc"], []).append((r["part"], r["data"]))
        return {d: json.loads("".join(t for _, t in sorted(p))) for d, p in parts.items()}

    # --- writing ---------------------------------------------------------------------------
    def insert(self, key: str, rows: list[dict]) -> None:
        for i in range(0, len(rows), BATCH):
            self.c.insert(self.name(key), rows[i:i + BATCH])

    def doc_rows(self, g: int, name: str, record: dict, ids: Iterator[int]) -> list[dict]:
        data = json.dumps(record, ensure_ascii=False)
        return [{"id": next(ids), "vec": [0.0, 0.0], "gen_from": g, "gen_to": LIVE, "doc": name, "part": i,
                 "data": data[j:j + PART_CHARS]} for i, j in enumerate(range(0, max(len(data), 1), PART_CHARS))]

    def retire(self, g: int, names: list[str]) -> None:
        """Mark the live rows of documents ``names`` as ending at generation ``g``."""
        if names:
            self._set_gen_to(f"gen_to == {LIVE} and doc in [{', '.join(quote(n) for n in names)}]", g)

    def _set_gen_to(self, expr: str, value: int) -> None:
        for key in ("chunks", "units", "docs"):
            rows = self.rows(key, expr, self._field_names(key))
            for r in rows:
                r["gen_to"] = value
                if "vec" in r:
                    r["vec"] = np.asarray(r["vec"], dtype=np.float32).tolist()
            for i in range(0, len(rows), BATCH):
                self.c.upsert(self.name(key), rows[i:i + BATCH])

    def _field_names(self, key: str) -> list[str]:
        """Every field but the BM25 output, which Milvus recomputes from ``lex`` on upsert."""
        return [f["name"] for f in self.c.describe_collection(self.name(key))["fields"] if f["name"] != "sparse"]

    def recover(self) -> int:
        """Undo what a killed writer left, then return the live generation. Call under the writer lock."""
        self.ensure()
        cur = self.current()
        for key in ("chunks", "units", "docs"):
            self.c.delete(self.name(key), filter=f"gen_from > {cur}")
        self._set_gen_to(f"gen_to > {cur} and gen_to < {LIVE}", LIVE)
        return cur

    def commit(self, g: int) -> None:
        """Make generation ``g`` live (one row: atomic), then delete what no reader needs."""
        for key in ("chunks", "units", "docs"):
            self.c.flush(self.name(key))
        self.c.insert(self.name("gens"), [{"id": g, "vec": [0.0, 0.0]}])
        self.c.flush(self.name("gens"))
        for key in ("chunks", "units", "docs"):
            self.c.delete(self.name(key), filter=f"gen_to <= {g - KEEP}")
        self.c.delete(self.name("gens"), filter=f"id < {g - KEEP}")
