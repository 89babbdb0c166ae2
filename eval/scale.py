"""`tracuu bench scale`: the index at 10^4, 10^5 (and 10^6) chunks — load, reload after a
write, warm query latency without the embedding, RSS, the cost of adding one file, ANN recall
and the two BM25 forms (stored CSR postings, SQLite FTS5) — every time as a ratio against a
baseline measured in the same run.

The large indexes are synthetic, built once into the cache (never the repo) through the
store's own segment writer: documents recombined from real chunks (the sample plans and the
public benchmark passages: real text and real underthesea tokens), each chunk with a random
unit vector (the issue's rule above the real vectors at hand). ANN recall is measured on
real e5 vectors (the sample index's chunks and answer units, and the benchmark passages whose
vectors are cached). The baseline ("old path") is what the code before segments did at every
load and question: Chunk objects, BM25 postings and the diacritic restorer rebuilt from all
rows, FAISS flat over all vectors, every chunk scored by BM25 in Python.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from eval.benchdata import lex_tokens, load_bench

REPO = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000, 1_000_000)
SEGMENT = 250_000  # chunks per synthetic segment (index.merge.MAX_SEGMENT)
PER_DOC = 12
SMALL_FILE = ("# KẾ HOẠCH\nDiễn tập phòng cháy chữa cháy năm 2025\n\nI. NHIỆM VỤ\n\n"
              "1. Công an tỉnh chủ trì tổ chức diễn tập phòng cháy tại các khu công nghiệp.\n\n"
              "- Thời gian thực hiện: Quý III/2025.\n")


class QueryVectors:
    """Query vectors embedded once (the latency measured is the index's, not the model's);
    a text not embedded gets a fixed pseudo-random unit vector. Passages likewise."""

    def __init__(self, table: dict[str, np.ndarray]):
        self.table = table

    @staticmethod
    def _rand(text: str) -> np.ndarray:
        v = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)).standard_normal(384)
        return (v / np.linalg.norm(v)).astype(np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.table.get(t, None) if t in self.table else self._rand(t) for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._rand(t) for t in texts])


def questions() -> list[str]:
    path = REPO.parent / "shared" / "eval" / "dev.jsonl"
    qs = [json.loads(x)["question"] for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return qs + ["co quan nao chu tri tuyen truyen bien gioi o Tay Ninh", "thoi han bao cao ket qua thuc hien"]


# --- material ------------------------------------------------------------------------------
def sample_index(cache: Path) -> Path:
    """The sample plans ingested with the real model, once (the real chunks and vectors)."""
    from index.indexer import Indexer
    from index.store import current_generation

    d = cache / "scale" / "sample-index"
    if current_generation(d) is None:
        Indexer(d, None).ingest([REPO / "data" / "sample"])
    return d


def source_chunks(cache: Path) -> list[dict]:
    """Real chunks to recombine: text, tokens, title and header metadata of their document."""
    from index.store import live_stores

    out = []
    for db in live_stores(sample_index(cache)):
        con = sqlite3.connect(db)
        metas = {n: (t, m) for n, t, m in con.execute("SELECT name, title, meta FROM documents")}
        for doc, text, lex, section, crumb in con.execute("SELECT doc, text, lex, section, breadcrumb FROM chunks"):
            out.append({"text": text, "lex": lex, "title": metas[doc][0], "meta": metas[doc][1],
                        "section": section, "breadcrumb": crumb})
        con.close()
    for name in ("alqac25", "viquad1"):
        try:
            passages, _ = load_bench(name)
        except FileNotFoundError:
            continue
        toks = lex_tokens(passages, cache / name)
        out += [{"text": p.text, "lex": " ".join(t), "title": p.title or name, "meta": "{}", "section": "",
                 "breadcrumb": "[]"} for p, t in zip(passages, toks)]
    return out


def build_synthetic(index: Path, n: int, source: list[dict], seed: int = 0) -> Path:
    """An index of ``n`` chunks written through the store's own segment writer."""
    from index import segment
    from index.store import Generation, SegmentRef, current_generation, writer_lock

    if current_generation(index) is not None:
        return index
    rng = random.Random(seed)
    vec_rng = np.random.default_rng(seed)
    with writer_lock(index):
        gen = Generation(index)
        made = 0
        while made < n:
            folder = gen.new_segment()
            con = segment.create(folder / "store.sqlite")
            size = min(SEGMENT, n - made)
            cid = 0
            docs = 0
            while cid < size:
                picks = [source[rng.randrange(len(source))] for _ in range(min(PER_DOC, size - cid))]
                name = f"syn-{made + cid:07d}.txt"
                parts, spans, pos = [], [], 0
                for p in picks:
                    spans.append((pos, pos + len(p["text"])))
                    parts.append(p["text"])
                    pos += len(p["text"]) + 2
                text = "\n\n".join(parts)
                con.execute("INSERT INTO documents (name, sha256, title, text, sections, meta) VALUES (?,?,?,?,?,?)",
                            (name, hashlib.sha256(text.encode()).hexdigest(), f"{picks[0]['title']} ({docs})", text,
                             "[]", picks[0]["meta"]))
                vecs = vec_rng.standard_normal((len(picks), 384)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                for o, (p, (s, e), v) in enumerate(zip(picks, spans, vecs)):
                    h = f"{name}#{o}"
                    con.execute("INSERT INTO chunks (id, doc, ord, section, breadcrumb, start, end, text, tokens, lex,"
                                " embed_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                (cid, name, o, p["section"], p["breadcrumb"], s, e, p["text"], 0, p["lex"], h))
                    con.execute("INSERT INTO embeddings VALUES (?, ?)", (h, v.tobytes()))
                    cid += 1
                docs += 1
            con.commit()
            segment.finish(folder, con)
            gen.segments.append(SegmentRef(folder.name))
            made += size
            print(f"  {index.name}: {made}/{n} chunks", flush=True)
        gen.commit()
    return index


# --- the old path (baseline) -------------------------------------------------------------------
def old_snapshot(index: Path):
    """What the code before segments built at every load, from the same rows."""
    import faiss

    from index import lexical
    from index.filters import doc_meta
    from index.restore import Restorer
    from index.rows import load_headers
    from index.search import Snapshot
    from index.store import current_generation, live_stores, read_manifest
    from ingest.types import Chunk

    chunks, lex, docs, headers, vecs, dead_all = [], [], [], {}, [], set()
    for ref, db in zip(read_manifest(current_generation(index)), live_stores(index)):
        con = sqlite3.connect(db)
        con.row_factory = sqlite3.Row
        for r in con.execute("SELECT * FROM chunks ORDER BY id"):
            if r["doc"] not in ref.dead:
                chunks.append(Chunk(r["doc"], r["ord"], r["section"], tuple(json.loads(r["breadcrumb"])),
                                    r["start"], r["end"], r["text"], r["tokens"]))
                lex.append(r["lex"].split())
        docs += [tuple(r) for r in con.execute("SELECT name, title, text FROM documents") if r[0] not in ref.dead]
        headers.update(load_headers(con))
        v = np.load(db.parent / "vectors.npy")
        alive = [r[0] not in ref.dead for r in con.execute("SELECT doc FROM chunks ORDER BY id")]
        vecs.append(v[np.array(alive, bool)] if len(v) else v)
        dead_all |= ref.dead
        con.close()
    flat = faiss.IndexFlatIP(384)
    if chunks:
        flat.add(np.ascontiguousarray(np.concatenate(vecs)))
    return Snapshot("old", chunks, {d[0]: d[1] for d in docs}, flat, lexical.BM25(lex), None,
                    Restorer(d[2] for d in docs), [], [], meta=doc_meta(docs, headers))


# --- measurements (each in its own process, for RSS) ------------------------------------------
def measure(index: Path, qfile: Path, mode: str, rescore: bool = True) -> dict:
    from index.search import Searcher

    table = dict(np.load(qfile, allow_pickle=False).items()) if qfile.exists() else {}
    emb = QueryVectors({k: v for k, v in zip(table.get("texts", []).tolist(), table.get("vecs", []))})
    t0 = time.perf_counter()
    if mode == "old":
        snap = old_snapshot(index)

        class Fixed(Searcher):
            def snapshot(self):
                return snap

        s = Fixed(index, emb, rescore=rescore)
    else:
        s = Searcher(index, emb, rescore=rescore)
        s.snapshot()
    s.search("khởi động", k=1)  # the first question reads what the load deferred
    load = time.perf_counter() - t0
    qs = questions()
    times = []
    for rep in range(2):
        for q in qs:
            t = time.perf_counter()
            s.search(q, k=10)
            if rep:
                times.append(time.perf_counter() - t)
    filt = []
    from index.filters import SearchFilter

    for q in qs[:20]:
        t = time.perf_counter()
        s.search(q, k=10, filters=SearchFilter(year=2024))
        filt.append(time.perf_counter() - t)
    out = {"load_s": load, "p50_ms": 1000 * statistics.median(times),
           "p95_ms": 1000 * float(np.percentile(times, 95)), "filtered_p50_ms": 1000 * statistics.median(filt),
           "rss_mb": peak_rss_mb()}
    if mode == "new":
        out.update(write_cost(index, s, emb))
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_cost(index: Path, searcher, emb) -> dict:
    """Add one small file and remove it again (three times): write and reload times."""
    import tempfile

    from index import lexical
    from index.indexer import Indexer

    lexical.doc_tokens("khởi động")  # the word segmenter loads once, outside the timing
    folder = Path(tempfile.mkdtemp())
    f = folder / "them_mot_tep.md"
    f.write_text(SMALL_FILE, encoding="utf-8")
    adds, reloads = [], []
    for _ in range(3):
        t = time.perf_counter()
        Indexer(index, emb).ingest([f])
        adds.append(time.perf_counter() - t)
        t = time.perf_counter()
        searcher.search("diễn tập phòng cháy", k=1)
        reloads.append(time.perf_counter() - t)
        Indexer(index, emb).remove([f.name])
    return {"add_s": statistics.median(adds), "reload_s": statistics.median(reloads)}


def bm25_variants(index: Path, qs: list[str]) -> dict:
    """Stored CSR postings (what search uses) against SQLite FTS5 over the same folded tokens."""
    from index import lexical
    from index.search import Searcher

    s = Searcher(index, QueryVectors({}))
    snap = s.snapshot()
    toks = [lexical.query_tokens(q) for q in qs]
    csr = []
    for t in toks:
        t0 = time.perf_counter()
        snap.lexical(t, 50, None, [])
        csr.append(time.perf_counter() - t0)
    fts_db = index.parent / f"{index.name}-fts.sqlite"
    build = 0.0
    if not fts_db.exists():
        t0 = time.perf_counter()
        con = sqlite3.connect(fts_db)
        con.execute("CREATE VIRTUAL TABLE fts USING fts5(lex, tokenize=\"unicode61 tokenchars ':_'\")")
        for p in snap.parts:
            con.executemany("INSERT INTO fts (rowid, lex) VALUES (?, ?)",
                            ((p.base + i, lex) for i, lex in p.segment.rows("SELECT id, lex FROM chunks")))
        con.commit()
        con.close()
        build = time.perf_counter() - t0
    con = sqlite3.connect(fts_db)
    fts = []
    for t in toks:
        expr = " OR ".join('"' + x.replace('"', "") + '"' for x in dict.fromkeys(t)) or '""'
        t0 = time.perf_counter()
        con.execute("SELECT rowid, bm25(fts) FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 50", (expr,)).fetchall()
        fts.append(time.perf_counter() - t0)
    con.close()
    return {"csr_p50_ms": 1000 * statistics.median(csr), "fts5_p50_ms": 1000 * statistics.median(fts),
            "fts5_build_s": build, "fts5_mb": fts_db.stat().st_size / 2**20}


def ann_recall(cache: Path, qfile: Path) -> dict:
    """recall@10 of HNSW and IVF against exact search on real e5 vectors."""
    from eval.benchdata import VectorCache
    from index import vectors
    from index.store import live_stores

    parts = []
    for db in live_stores(sample_index(cache)):
        parts += [np.load(db.parent / "vectors.npy"), np.load(db.parent / "units.npy")]
    for name in ("alqac25", "viquad1"):
        vc = VectorCache(cache / name / "e5-passage")
        if vc.vecs:
            parts.append(np.stack(list(vc.vecs.values())))
    base = np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)
    with np.load(qfile, allow_pickle=False) as z:
        qs = z["vecs"]
    out = {"real_vectors": len(base), "queries": len(qs)}
    rng = np.random.default_rng(1)
    mask = rng.random(len(base)) < 0.3
    for kind in ("hnsw", "ivf"):
        ann = vectors.build_ann(base, kind)
        hit = hit_f = 0
        for q in qs:
            exact = set(np.argsort(-(base @ q))[:10].tolist())
            hit += len(exact & set(vectors.search(base, ann, q, 10, None)[0].tolist()))
            ids = np.flatnonzero(mask)
            exact_f = set(ids[np.argsort(-(base[ids] @ q))[:10]].tolist())
            old = vectors.EXACT_MAX
            vectors.EXACT_MAX = 0  # through FAISS's ID selector, as a large filtered segment is
            hit_f += len(exact_f & set(vectors.search(base, ann, q, 10, mask)[0].tolist()))
            vectors.EXACT_MAX = old
        out[kind] = hit / (10 * len(qs))
        out[kind + "_filtered"] = hit_f / (10 * len(qs))
    return out


def query_file(cache: Path) -> Path:
    path = cache / "scale" / "queries.npz"
    if not path.exists():
        from index.embed import Embedder

        qs = questions()
        emb = Embedder()
        # the searcher embeds the query with its diacritics restored: embed both forms
        from index.search import Searcher

        snap = Searcher(sample_index(cache), emb).snapshot()
        texts = list(dict.fromkeys(qs + [snap.restorer.restore(q) for q in qs]))
        np.savez(path, texts=np.array(texts), vecs=emb.embed_queries(texts).astype(np.float32))
    return path


def _sub(args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "eval.scale", *args], env=env, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(sizes: list[int], cache: Path, out: Path, old_max: int = 100_000) -> dict:
    qfile = query_file(cache)
    source = source_chunks(cache)
    results: dict = {"sizes": {}, "source_chunks": len(source)}
    for n in sizes:
        index = build_synthetic(cache / "scale" / f"idx-{n}", n, source)
        row = {"new": _sub(["measure", str(index), str(qfile), "new"])}
        if n <= old_max:
            row["old"] = _sub(["measure", str(index), str(qfile), "old"])
        row["bm25"] = bm25_variants(index, questions())
        results["sizes"][str(n)] = row
        print(n, json.dumps(row), flush=True)
    results["empty_write"] = _sub(["write-empty", str(qfile)])
    results["ann"] = ann_recall(cache, qfile)
    return results


def write_empty(qfile: Path) -> dict:
    """The cost of adding the same small file to an empty index (the write's own cost)."""
    import shutil
    import tempfile

    from index import lexical
    from index.indexer import Indexer
    from index.search import Searcher

    lexical.doc_tokens("khởi động")
    emb = QueryVectors({})
    adds = []
    for _ in range(3):
        d = Path(tempfile.mkdtemp())
        f = d / "them_mot_tep.md"
        f.write_text(SMALL_FILE, encoding="utf-8")
        t = time.perf_counter()
        Indexer(d / "idx", emb).ingest([f])
        adds.append(time.perf_counter() - t)
        Searcher(d / "idx", emb).search("diễn tập", k=1)
        shutil.rmtree(d)
    return {"add_s": statistics.median(adds)}


def write_report(r: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    empty = r["empty_write"]["add_s"]
    lines = ["# Index at scale (`tracuu bench scale`)", "",
             f"Synthetic indexes built by the store's own segment writer from {r['source_chunks']} real chunks "
             "(the sample plans' chunks and the public benchmark passages, with their real underthesea tokens), "
             f"recombined into documents of {PER_DOC} chunks; each chunk has a **random unit vector** (no 10^4 real "
             "vectors are at hand on this machine). Segments of at most 250k chunks (flat under 20k, HNSW, IVF from "
             "200k). Query vectors are embedded once beforehand: every time below excludes the embedding model. "
             "Baseline (\"old\") = the code path before segments on the same rows: Chunk objects, BM25 and the "
             "diacritic restorer rebuilt at load, FAISS flat, BM25 scoring every matching chunk in Python; it is "
             "measured in the same run where it fits in memory and time. 2 CPU cores shared with other work: "
             "read the ratios, not the absolute times.", "",
             "| chunks | load (+first query), s | old load, s | ratio | warm p50 / p95, ms | old p50, ms | ratio "
             "| filtered p50, ms | old filtered p50, ms | RSS, MB | old RSS, MB | add one file, s (× empty index) "
             "| reload after it, s |", "|" + "---|" * 13]
    xs, new_p50, old_p50 = [], [], []
    for n, row in r["sizes"].items():
        a, b = row["new"], row.get("old")
        ratio = lambda k: f"{a[k] / b[k]:.2f}" if b else "—"  # noqa: E731
        lines.append(f"| {int(n):,} | {a['load_s']:.2f} | {b['load_s']:.2f} | {ratio('load_s')} | "
                     if b else f"| {int(n):,} | {a['load_s']:.2f} | — | — | ")
        lines[-1] += (f"{a['p50_ms']:.1f} / {a['p95_ms']:.1f} | {b['p50_ms']:.1f} | {ratio('p50_ms')} | "
                      if b else f"{a['p50_ms']:.1f} / {a['p95_ms']:.1f} | — | — | ")
        lines[-1] += (f"{a['filtered_p50_ms']:.1f} | {b['filtered_p50_ms']:.1f} | " if b
                      else f"{a['filtered_p50_ms']:.1f} | — | ")
        lines[-1] += (f"{a['rss_mb']:.0f} | {b['rss_mb']:.0f} | " if b else f"{a['rss_mb']:.0f} | — | ")
        lines[-1] += f"{a['add_s']:.2f} ({a['add_s'] / empty:.2f}×) | {a['reload_s']:.3f} |"
        xs.append(int(n))
        new_p50.append(a["p50_ms"])
        old_p50.append(b["p50_ms"] if b else np.nan)
    lines += ["", f"Adding the same small file to an empty index: {empty:.2f} s (passage vectors from a stand-in "
              "embedder in both cases, so the ratio is the store's own cost).", "",
              "## BM25: stored CSR postings against SQLite FTS5 over the same tokens", "",
              "| chunks | CSR p50, ms | FTS5 p50, ms | FTS5 build, s | FTS5 size, MB |", "|---|---|---|---|---|"]
    for n, row in r["sizes"].items():
        m = row["bm25"]
        lines.append(f"| {int(n):,} | {m['csr_p50_ms']:.1f} | {m['fts5_p50_ms']:.1f} | {m['fts5_build_s']:.1f} | "
                     f"{m['fts5_mb']:.0f} |")
    a = r["ann"]
    lines += ["", "## ANN recall@10 against exact search, real e5 vectors", "",
              f"{a['real_vectors']} real passage vectors (sample chunks and answer units, cached benchmark passages), "
              f"{a['queries']} real questions.", "",
              "| index | recall@10 | with a filter (30% of ids, FAISS ID selector) |", "|---|---|---|",
              f"| HNSW (M 32, efSearch 160) | {a['hnsw']:.3f} | {a['hnsw_filtered']:.3f} |",
              f"| IVF (4·√n lists, nprobe 48) | {a['ivf']:.3f} | {a['ivf_filtered']:.3f} |", ""]
    md = out / "scale.md"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "scale.json").write_text(json.dumps(r, indent=1), encoding="utf-8")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, new_p50, "o-", label="segments (this store)")
    ax.plot(xs, old_p50, "s--", label="old path")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chunks")
    ax.set_ylabel("warm query p50 without embedding, ms")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "scale.png", dpi=100)
    return [md, out / "scale.json", out / "scale.png"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.scale")
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("index", type=Path)
    m.add_argument("qfile", type=Path)
    m.add_argument("mode", choices=("new", "old"))
    w = sub.add_parser("write-empty")
    w.add_argument("qfile", type=Path)
    a = p.parse_args(argv)
    if a.cmd == "measure":
        print(json.dumps(measure(a.index, a.qfile, a.mode)))
    else:
        print(json.dumps(write_empty(a.qfile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
