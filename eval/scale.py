"""`tracuu bench scale`: the index at 10^4, 10^5 (and 10^6) chunks — load, reload after a
write, warm query latency without the embedding, RSS, the cost of adding one file, `tracuu
serve` start and a cold `tracuu ask`, ANN recall and the two BM25 forms (stored CSR postings,
SQLite FTS5) — every time beside a baseline measured in the same run.

A real index (public ALQAC law articles through the real pipeline, every chunk with its real
e5 vector, ≥ 10^4 chunks) carries the ANN recall and a row of its own. The larger indexes are
synthetic, built once into the cache (never the repo) through the store's own segment writer:
documents recombined from real chunks (the sample plans and the public benchmark passages:
real text and real underthesea tokens), each chunk with a random unit vector. The baseline
("old path") is what the code before segments did at every load and question: Chunk objects,
BM25 postings and the diacritic restorer rebuilt from all rows, FAISS flat over all vectors,
every chunk scored by BM25 in Python.
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


class RealChunkVectors:
    """An embedder for the real-vector index: each chunk's own e5 passage vector (embedded once
    by the real model, cached by text under the bench cache), a pseudo-random one for anything
    else (answer units: the index's answer stage is not what this benchmark times)."""

    def __init__(self, inner, cache: Path, chunk_texts: list[str]):
        from eval.benchdata import VectorCache

        self.inner = inner
        self.cache = VectorCache(cache)
        self.cache.get(chunk_texts, inner.embed_passages, batch=64, progress=True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        found = [self.cache.vecs.get(self.cache.key(t)) for t in texts]
        return np.stack([QueryVectors._rand(t) if v is None else v for t, v in zip(texts, found)]).astype(np.float32)

    def __getattr__(self, name):  # embed_queries, runtime, … of the real model
        return getattr(self.inner, name)


def real_index(cache: Path, n: int = 10_000) -> tuple[Path, int]:
    """The public ALQAC law articles (../shared/bench, never copied into the repo), one file per
    article, ingested by the real pipeline (reader, structure, chunker, BM25 tokens) until at
    least ``n`` chunks, each chunk with its real e5 passage vector. Returns (index, chunks)."""
    from index.embed import Embedder
    from index.indexer import Indexer, passage_text
    from index.store import current_generation
    from ingest.pipeline import load_document

    index = cache / "scale" / f"real-{n}"
    src = cache / "scale" / f"real-{n}-docs"
    if current_generation(index) is None:
        passages, _ = load_bench("alqac25")
        src.mkdir(parents=True, exist_ok=True)
        texts, chunks = [], 0
        for i, p in enumerate(passages):
            if chunks >= n:
                break
            f = src / f"alqac-{i:05d}.txt"
            if not f.exists():
                f.write_text(f"{p.title}\n\n{p.text}\n", encoding="utf-8")
            doc = load_document(f)
            texts += [passage_text(doc.title, c.breadcrumb, c.text, c.context) for c in doc.chunks]
            chunks += len(doc.chunks)
        emb = RealChunkVectors(Embedder(), cache / "scale" / "real-e5", texts)
        Indexer(index, emb).ingest([src])
    from index.search import Searcher

    return index, len(Searcher(index, QueryVectors({})).snapshot().chunks)


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


RUNS = 5  # start measurements per row: each a new process, interleaved


def serve_start(index: Path, runs: int = RUNS) -> dict:
    """`tracuu serve` from the command line to the app's first HTTP 200 (the model loads after,
    in the background) on ``index``, on the five sample plans, and a bare Gradio app (one
    Markdown block: the framework's own start, the floor): medians of ``runs``, and the median
    of each round's serve ÷ bare Gradio (a round's three starts are next to each other in time).
    The page must be the app's own (its title in it), not any 200."""
    import socket
    import urllib.request

    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}

    def once(args: list[str], expect: str) -> float:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *[a.replace("PORT", str(port)) for a in args]], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode()[-2000:])
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                        if r.status == 200:
                            t = time.perf_counter() - t0
                            if expect.encode() not in r.read():
                                raise RuntimeError(f"the page at / is not the app's ({expect!r} missing)")
                            return t
                except OSError:
                    time.sleep(0.02)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    def serve(idx: Path) -> list[str]:
        return ["-m", "eval.cli", "serve", "--index", str(idx), "--port", "PORT", "--no-auth"]

    bare = ["-c", "import time, gradio as gr\nwith gr.Blocks() as app:\n    gr.Markdown('tracuu')\n"
                  "app.launch(server_port=PORT, prevent_thread_lock=True, quiet=True)\ntime.sleep(600)"]
    small = sample_index(Path(index).parent.parent)
    out: dict[str, list[float]] = {"serve_s": [], "serve_small_s": [], "gradio_bare_s": []}
    for _ in range(runs):  # interleaved: a change in the machine's load touches all three alike
        out["serve_s"].append(once(serve(index), "tracuu — Tra cứu"))
        out["serve_small_s"].append(once(serve(small), "tracuu — Tra cứu"))
        out["gradio_bare_s"].append(once(bare, "gradio"))
    ratios = [a / b for a, b in zip(out["serve_s"], out["gradio_bare_s"])]
    return {**{k: statistics.median(v) for k, v in out.items()}, "serve_over_bare": statistics.median(ratios),
            "serve_runs": out, "runs": runs}


def cold_ask(index: Path, runs: int = RUNS) -> dict:
    """A cold `tracuu ask` (new process: imports, index, models, one answer) against bare model
    loads in new processes: the e5 query engine embedding the question, and that plus the
    word segmenter (underthesea's CRF, loaded as index.lexical loads it) cutting it — the two
    models every question needs; and that again ending as the ask ends (what it allocated
    frozen out of Python's exit-time collection, a tenth of a second of any process holding the
    models). Medians of ``runs``, and the median of each round's ratio."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    q = "Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?"

    def wall(args: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
        return time.perf_counter() - t0

    e5 = f"from index.embed import Embedder; Embedder().embed_queries([{q!r}])"
    models = e5 + f"; from index.lexical import words; words({q!r})"
    runs_of = {"model_load_s": ["-c", e5],
               "models_load_s": ["-c", models],
               "models_frozen_exit_s": ["-c", models + "; import atexit, gc; atexit.register(gc.freeze)"],
               "cold_ask_s": ["-m", "eval.cli", "ask", q, "--index", str(index), "--json"]}
    for warm in ("models_load_s", "cold_ask_s"):  # the page cache warm for all: the models' files, the index's
        wall(runs_of[warm])
    out: dict[str, list[float]] = {k: [] for k in runs_of}
    for _ in range(runs):
        for k, args in runs_of.items():
            out[k].append(wall(args))
    ratio = lambda base: statistics.median(a / b for a, b in zip(out["cold_ask_s"], out[base]))  # noqa: E731
    return {**{k: statistics.median(v) for k, v in out.items()}, "ask_over_models": ratio("models_load_s"),
            "ask_over_models_frozen_exit": ratio("models_frozen_exit_s"), "ask_runs": out}


def compile_bytecode() -> None:
    """The project's bytecode, as scripts/setup writes it (pip does the same for every package it
    installs): where PYTHONDONTWRITEBYTECODE is set, an uncompiled checkout compiles its own
    modules again in every new process, the model loads below included."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(REPO / d) for d in ("assistant", "index", "ingest",
                                                                                         "eval"))],
                   check=True, capture_output=True)


def bm25_variants(index: Path, qs: list[str], fts: bool = True) -> dict:
    """Stored CSR postings (what search uses) against SQLite FTS5 over the same folded tokens
    (``fts``: FTS5 too; its build takes ~100 s per 10^5 chunks here)."""
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
    if not fts:
        return {"csr_p50_ms": 1000 * statistics.median(csr)}
    fts_db = index.parent / f"{index.name}-fts.sqlite"
    built = fts_db.with_suffix(".json")  # the build time, measured when it was built
    if not fts_db.exists():
        t0 = time.perf_counter()
        con = sqlite3.connect(fts_db)
        con.execute("CREATE VIRTUAL TABLE fts USING fts5(lex, tokenize=\"unicode61 tokenchars ':_'\")")
        for p in snap.parts:
            con.executemany("INSERT INTO fts (rowid, lex) VALUES (?, ?)",
                            ((p.base + i, lex) for i, lex in p.segment.rows("SELECT id, lex FROM chunks")))
        con.commit()
        con.close()
        built.write_text(json.dumps({"build_s": time.perf_counter() - t0}))
    build = json.loads(built.read_text())["build_s"] if built.exists() else None
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


def ann_recall(index: Path, cache: Path, n_queries: int = 300) -> dict:
    """recall@10 of HNSW and IVF against exact search on the real e5 chunk vectors of the
    real-vector index (``index``), queried by real questions: ALQAC's, embedded by the model."""
    from index import vectors
    from index.store import live_stores

    base = np.ascontiguousarray(np.concatenate([np.load(db.parent / "vectors.npy") for db in live_stores(index)]),
                                dtype=np.float32)
    path = cache / "scale" / "alqac-queries.npz"
    if not path.exists():
        from index.embed import Embedder

        _, queries = load_bench("alqac25")
        texts = [q.question for q in queries[:n_queries]]
        np.savez(path, texts=np.array(texts), vecs=Embedder().embed_queries(texts).astype(np.float32))
    with np.load(path, allow_pickle=False) as z:
        qs = z["vecs"][:n_queries]
    out = {"real_vectors": len(base), "queries": len(qs)}
    rng = np.random.default_rng(1)
    mask = rng.random(len(base)) < 0.3
    ids = np.flatnonzero(mask)
    for kind in ("hnsw", "ivf"):
        ann = vectors.build_ann(base, kind)
        hit = hit_f = 0
        for q in qs:
            exact = set(np.argsort(-(base @ q))[:10].tolist())
            hit += len(exact & set(vectors.search(base, ann, q, 10, None)[0].tolist()))
            exact_f = set(ids[np.argsort(-(base[ids] @ q))[:10]].tolist())
            old = vectors.EXACT_MAX
            vectors.EXACT_MAX = 0  # through FAISS's ID selector, as a large filtered segment is
            hit_f += len(exact_f & set(vectors.search(base, ann, q, 10, mask)[0].tolist()))
            vectors.EXACT_MAX = old
        out[kind] = hit / (10 * len(qs))
        out[kind + "_filtered"] = hit_f / (10 * len(qs))
    return out


def start_costs(index: Path, runs: int = RUNS) -> dict:
    compile_bytecode()
    return {**serve_start(index, runs), **cold_ask(index, runs), "run": time.strftime("%Y-%m-%d %H:%M")}


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


def run(sizes: list[int], cache: Path, out: Path, old_max: int = 100_000, real: int = 10_000) -> dict:
    qfile = query_file(cache)
    source = source_chunks(cache)
    results: dict = {"sizes": {}, "source_chunks": len(source)}
    stamp = time.strftime("%Y-%m-%d %H:%M")
    indexes = {}
    if real:
        indexes["real"], results["real_chunks"] = real_index(cache, real)
        results["real_n"] = real
    for n in sizes:
        indexes[str(n)] = build_synthetic(cache / "scale" / f"idx-{n}", n, source)
    for key, index in indexes.items():
        row = {"new": _sub(["measure", str(index), str(qfile), "new"])}
        if key == "real" or int(key) <= old_max:
            row["old"] = _sub(["measure", str(index), str(qfile), "old"])
        row["bm25"] = bm25_variants(index, questions(), fts=key == "real" or int(key) <= old_max)
        row["start"] = start_costs(index)
        row["run"] = stamp
        results["sizes"][key] = row
        print(key, json.dumps(row), flush=True)
    results["empty_write"] = _sub(["write-empty", str(qfile)])
    results["ann"] = ann_recall(indexes["real"], cache) if real else None
    return results


def merge_runs(previous: Path, r: dict) -> dict:
    """``r`` added to an earlier run's results (its sizes replace the earlier ones); every row
    keeps the run it was measured in, and the report names the runs."""
    if not previous.exists():
        return r
    old = json.loads(previous.read_text(encoding="utf-8"))
    stamp = time.strftime("%Y-%m-%d %H:%M")
    for row in r["sizes"].values():
        row.setdefault("run", stamp)
    sizes = {**old["sizes"], **r["sizes"]}
    order = sorted(sizes, key=lambda k: (k != "real", 0 if k == "real" else int(k)))
    return {**old, **{k: v for k, v in r.items() if k not in ("sizes", "ann") or v},
            "sizes": {k: sizes[k] for k in order}, "ann": r.get("ann") or old.get("ann")}


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


def _restamped(r: dict) -> str:
    """A note when the start table was measured again (`python -m eval.scale start`)."""
    stamps = sorted({str(row["start"].get("run")) for row in r["sizes"].values() if row.get("start")} - {"None"})
    if not stamps or set(stamps) <= {row.get("run") for row in r["sizes"].values()}:
        return ""
    return f" Measured {stamps[0]}–{stamps[-1][-5:]} (`python -m eval.scale start`), after the rows above."


def _runs(r: dict) -> int:
    return max((row["start"].get("runs", 3) for row in r["sizes"].values() if row.get("start")), default=3)


def _num(x, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def _label(key: str, r: dict) -> str:
    return f"{r['real_chunks']:,} real" if key == "real" else f"{int(key):,}"


def write_report(r: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    empty = r["empty_write"]["add_s"]
    lines = ["# Index at scale (`tracuu bench scale`)", "",
             "Two kinds of index. **Real** (\"real\" rows): public ALQAC law articles (read from ../shared/bench, "
             "never copied into the repo), one file per article, ingested by the real pipeline (reader, structure, "
             "chunker, underthesea tokens) with every chunk's **real e5 passage vector** (ONNX int8, as ingest "
             "embeds); answer units there get stand-in vectors (the answer stage is not timed here). **Synthetic** "
             f"(10^4 and up): written by the store's own segment writer from {r['source_chunks']} real chunks (the "
             "sample plans' chunks and the public benchmark passages, with their real tokens) recombined into "
             f"documents of {PER_DOC} chunks, each chunk with a **random unit vector**. Segments of at most 250k "
             "chunks (flat under 20k, HNSW above). Query vectors are embedded once beforehand: every "
             "query time below excludes the embedding model. Baseline (\"old\") = the code path before segments "
             "on the same rows: Chunk objects, BM25 and the diacritic restorer rebuilt at load, FAISS flat, BM25 "
             "scoring every matching chunk in Python; measured in the same run up to 10^5 chunks (at 10^6 it "
             "would need about 6 GB and many minutes per load). 2 CPU cores shared with other work: the ratios "
             "are the result, absolute times move with the machine's load.", "",
             "| chunks | load (+first query), s | old load, s | ratio | warm p50 / p95, ms | old p50, ms | ratio "
             "| filtered p50, ms | old filtered p50, ms | RSS, MB | old RSS, MB | add one file, s (× empty index) "
             "| reload after it, s |", "|" + "---|" * 13]
    xs, new_p50, old_p50 = [], [], []
    for n, row in r["sizes"].items():
        a, b = row["new"], row.get("old")
        ratio = lambda k: f"{a[k] / b[k]:.2f}" if b else "—"  # noqa: E731
        old = lambda k, f: format(b[k], f) if b else "—"  # noqa: E731
        lines.append(f"| {_label(n, r)} | {a['load_s']:.2f} | {old('load_s', '.2f')} | {ratio('load_s')} | "
                     f"{a['p50_ms']:.1f} / {a['p95_ms']:.1f} | {old('p50_ms', '.1f')} | {ratio('p50_ms')} | "
                     f"{a['filtered_p50_ms']:.1f} | {old('filtered_p50_ms', '.1f')} | {a['rss_mb']:.0f} | "
                     f"{old('rss_mb', '.0f')} | {a['add_s']:.2f} ({a['add_s'] / empty:.2f}×) | {a['reload_s']:.3f} |")
        if n != "real":
            xs.append(int(n))
            new_p50.append(a["p50_ms"])
            old_p50.append(b["p50_ms"] if b else np.nan)
    runs: dict[str, list[str]] = {}
    for n, row in r["sizes"].items():
        runs.setdefault(row.get("run", "?"), []).append(_label(n, r))
    if len(runs) > 1:  # rows added by `--add`: each row's figures and its baseline come from one run
        lines += ["", "Runs: " + "; ".join(f"{', '.join(v)} measured {k}" for k, v in runs.items()) + "."]
    lines += ["", f"Adding the same small file to an empty index: {empty:.2f} s (passage vectors from a stand-in "
              "embedder in both cases, so the ratio is the store's own cost).", "",
              "## Start: `tracuu serve` to HTTP 200, and a cold `tracuu ask`", "",
              f"Each a new process from the command line, medians of {_runs(r)} rounds, the starts of a round "
              "interleaved; the ratios are the medians of each round's own ratio (its starts next to each other in "
              "time: the other work on this machine moves them alike). Serve: to the first HTTP 200 of `/` with the "
              "app's page (its title checked). *Five plans*: "
              "the sample index; *bare Gradio*: a Gradio app of one Markdown block (the framework's own import and "
              "start, the floor any Gradio app pays). The embedding model and the index load after the page is "
              "served, in the background. Cold ask: imports, index, models, one answer; against new processes that "
              "only load the models a question needs (the e5 query engine embedding it; that plus the word segmenter "
              "cutting it), and that again ending as the ask ends: `tracuu ask` leaves what it allocated out of "
              "Python's exit-time collection (`gc.freeze` at exit), which a bare model load pays (about 0.1 s), so "
              "the last column is the ask's own cost beyond the models. The project's bytecode is compiled first, as "
              "scripts/setup does (this machine sets PYTHONDONTWRITEBYTECODE: an uncompiled checkout compiles its "
              "modules in every new process, model loads included)." + _restamped(r), "",
              "| chunks | serve, s | five plans, s | bare Gradio, s | serve ÷ bare Gradio | cold ask, s | "
              "e5 load, s | e5 + segmenter load, s | cold ask ÷ model loads | the same exiting as the ask, s | "
              "cold ask ÷ that |", "|" + "---|" * 11]
    for n, row in r["sizes"].items():
        st = row.get("start")
        if st:
            lines.append(f"| {_label(n, r)} | {st['serve_s']:.2f} | {st['serve_small_s']:.2f} | "
                         f"{st['gradio_bare_s']:.2f} | "
                         f"{st.get('serve_over_bare', st['serve_s'] / st['gradio_bare_s']):.2f} | "
                         f"{st['cold_ask_s']:.2f} | {st['model_load_s']:.2f} | {st['models_load_s']:.2f} | "
                         f"{st.get('ask_over_models', st['cold_ask_s'] / st['models_load_s']):.2f} | "
                         f"{_num(st.get('models_frozen_exit_s'), '.2f')} | "
                         f"{_num(st.get('ask_over_models_frozen_exit'), '.2f')} |")
    before = {n: row["start_before"] for n, row in r["sizes"].items() if row.get("start_before")}
    if before:  # the previous code measured in the same period (its start row kept by hand in scale.json)
        b0 = next(iter(before.values()))
        lines += ["", f"Before: {b0.get('code', 'the previous code')}, measured {b0.get('run')} just before the table "
                  f"above (medians of {b0.get('runs', 3)}, its bytecode {b0.get('bytecode', 'not compiled')}).", "",
                  "| chunks | serve, s | bare Gradio, s | serve ÷ bare Gradio | cold ask, s | e5 + segmenter load, s "
                  "| cold ask ÷ model loads | cold ask ÷ model loads exiting as the new ask |", "|" + "---|" * 8]
        for n, b in before.items():
            lines.append(f"| {_label(n, r)} | {b['serve_s']:.2f} | {b['gradio_bare_s']:.2f} | "
                         f"{b.get('serve_over_bare', b['serve_s'] / b['gradio_bare_s']):.2f} | {b['cold_ask_s']:.2f} | "
                         f"{b['models_load_s']:.2f} | {b.get('ask_over_models', b['cold_ask_s'] / b['models_load_s']):.2f} | "
                         f"{_num(b.get('ask_over_models_frozen_exit'), '.2f')} |")
    lines += ["", "## BM25: stored CSR postings against SQLite FTS5 over the same tokens", "",
              "| chunks | CSR p50, ms | FTS5 p50, ms | FTS5 build, s (timed when first built; the table is kept in the cache) | FTS5 size, MB |", "|---|---|---|---|---|"]
    for n, row in r["sizes"].items():
        m = row["bm25"]
        lines.append(f"| {_label(n, r)} | {m['csr_p50_ms']:.1f} | " + (
            f"{m['fts5_p50_ms']:.1f} | {_num(m['fts5_build_s'], '.1f')} | {m['fts5_mb']:.0f} |" if "fts5_p50_ms" in m
            else "— | not built | — |"))
    a = r.get("ann")
    if a:
        lines += ["", "## ANN recall@10 against exact search, real e5 vectors", "",
                  f"The real index's {a['real_vectors']:,} chunk vectors, {a['queries']} real questions (ALQAC's, "
                  "embedded by the query engine).", "",
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
    st = sub.add_parser("start", help="measure serve start and cold ask again into an existing scale.json")
    st.add_argument("report", type=Path, help="the scale.json to update (its report is written beside it)")
    st.add_argument("--cache", type=Path, default=None)
    st.add_argument("--runs", type=int, default=RUNS, help=f"starts of each kind per row (default {RUNS})")
    st.add_argument("--only", default=None, help="rows to measure, e.g. real,10000 (default: all)")
    a = p.parse_args(argv)
    if a.cmd == "start":
        from eval.benchdata import cache_dir

        r = json.loads(a.report.read_text(encoding="utf-8"))
        cache = cache_dir(a.cache)
        only = set(a.only.split(",")) if a.only else None
        for key, row in r["sizes"].items():
            if only is not None and key not in only:
                continue
            index = cache / "scale" / (f"real-{r.get('real_n', 10_000)}" if key == "real" else f"idx-{key}")
            row["start"] = start_costs(index, a.runs)
            row.pop("start_before", None)  # a comparison kept by hand belongs to the run it was made in
            print(key, json.dumps(row["start"]), flush=True)
        write_report(r, a.report.parent)
    elif a.cmd == "measure":
        print(json.dumps(measure(a.index, a.qfile, a.mode)))
    else:
        print(json.dumps(write_empty(a.qfile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
