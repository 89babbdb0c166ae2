"""Public retrieval benchmarks (corpus.jsonl + queries.jsonl with gold_ids) as tracuu indexes.

The data stays in the shared folder (../shared/bench relative to the repo, or --shared /
$TRACUU_SHARED); only derived vectors are cached, under $TRACUU_CACHE or ~/.cache/tracuu/bench,
keyed by the hash of the embedded text so a changed passage is embedded again.
A benchmark passage is one search unit (its title + text, as index.indexer.passage_text builds
for a chunk): the benchmarks judge passages, and tracuu's chunker cuts legal articles at every
numbered clause (20k chunks for ALQAC's 3.4k articles), more than this 2-core machine embeds in a
run. The dense channel therefore reads a passage's first 512 model tokens; BM25 reads all of it.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ingest.types import Chunk

REPO = Path(__file__).resolve().parent.parent
BENCHES = ("alqac25", "viquad1")


def shared_dir(arg: str | Path | None = None) -> Path:
    return Path(arg or os.environ.get("TRACUU_SHARED") or REPO.parent / "shared")


def cache_dir(arg: str | Path | None = None) -> Path:
    d = Path(arg or os.environ.get("TRACUU_CACHE") or Path.home() / ".cache" / "tracuu" / "bench")
    d.mkdir(parents=True, exist_ok=True)
    return d


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Query:
    id: str
    question: str
    gold: tuple[str, ...]


def _jsonl(path: Path) -> list[dict]:
    if not path.exists():
        raise FileNotFoundError(f"{path}: không tìm thấy tệp dữ liệu benchmark (đặt --shared hoặc $TRACUU_SHARED)")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: không phải JSON ({exc})") from exc
    return out


def load_bench(name: str, shared: Path | None = None) -> tuple[list[Passage], list[Query]]:
    base = shared_dir(shared) / "bench" / name
    passages = [Passage(d["id"], (d.get("title") or "").strip(), d["text"]) for d in _jsonl(base / "corpus.jsonl")]
    queries = [Query(d["id"], d["question"], tuple(d["gold_ids"])) for d in _jsonl(base / "queries.jsonl")]
    return passages, queries


class VectorCache:
    """text hash -> vector, in .npz shards written as they are made (a cut-off run keeps them)."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.vecs: dict[str, np.ndarray] = {}
        for f in sorted(folder.glob("shard-*.npz")):
            with np.load(f) as z:
                self.vecs.update(zip(z["keys"].tolist(), z["vecs"]))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, texts: list[str], embed: Callable[[list[str]], np.ndarray], batch: int = 128,
            progress: bool = False) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        by_key = dict(zip(keys, texts))
        # by length, so a batch pads little
        todo = sorted(dict.fromkeys(k for k in keys if k not in self.vecs), key=lambda k: len(by_key[k]))
        for i in range(0, len(todo), batch):
            part = todo[i:i + batch]
            vecs = np.asarray(embed([by_key[k] for k in part]), dtype=np.float32)
            np.savez(self.folder / f"shard-{len(list(self.folder.glob('shard-*.npz'))):05d}.npz",
                     keys=np.array(part), vecs=vecs)
            self.vecs.update(zip(part, vecs))
            if progress:
                print(f"  embedded {min(i + batch, len(todo))}/{len(todo)}", flush=True)
        return np.stack([self.vecs[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def passage_chunk(p: Passage) -> Chunk:
    return Chunk(p.id, 0, "", (), 0, len(p.text), p.text, 0)


def lex_tokens(passages: list[Passage], cache: Path) -> list[list[str]]:
    """BM25 tokens per passage (underthesea takes ~30 s on ALQAC: kept in the cache)."""
    from index import lexical
    from index.indexer import passage_text

    texts = [passage_text(p.title, (), p.text) for p in passages]
    path = cache / f"lex-{hashlib.sha256(json.dumps(texts).encode()).hexdigest()[:16]}.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    toks = [lexical.doc_tokens(t) for t in texts]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(toks, ensure_ascii=False), encoding="utf-8")
    return toks


def memory_snapshot(name: str, passages: list[Passage], embedder, cache: Path | None = None):
    """An in-memory index snapshot of a benchmark corpus for index.search.Searcher."""
    import faiss

    from index import lexical
    from index.indexer import passage_text
    from index.restore import Restorer
    from index.search import Snapshot

    cache = (cache or cache_dir()) / name
    vecs = VectorCache(cache / "e5-passage").get([passage_text(p.title, (), p.text) for p in passages],
                                                  embedder.embed_passages)
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(np.ascontiguousarray(vecs, dtype=np.float32))
    return Snapshot(name, [passage_chunk(p) for p in passages], {p.id: p.title for p in passages}, index,
                    lexical.BM25(lex_tokens(passages, cache)), None,
                    Restorer(p.title + "\n" + p.text for p in passages), [], [])


class MemorySearcher:
    """index.search.Searcher over a snapshot held in memory (no generation on disk)."""

    def __new__(cls, snap, embedder, **options):
        from index.search import Searcher

        class _Mem(Searcher):
            def snapshot(self):
                return snap

        return _Mem(Path(snap.generation), embedder, **options)


if __name__ == "__main__":  # warm the vector cache: python -m eval.benchdata alqac25 viquad1
    import sys

    from index.embed import Embedder
    from index.indexer import passage_text

    emb = Embedder()
    for name in sys.argv[1:] or BENCHES:
        ps, _ = load_bench(name)
        print(name, len(ps), "passages", flush=True)
        VectorCache(cache_dir() / name / "e5-passage").get(
            [passage_text(p.title, (), p.text) for p in ps], emb.embed_passages, progress=True)
