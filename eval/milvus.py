"""Milvus against the embedded store on dev and dev2: the same documents ingested into each,
the same questions through assistant.service.Assistant; retrieval and answer metrics side by
side, and latencies as ratios to the embedded store measured in the same run. Milvus is
reached both ways tracuu supports: milvus-lite in the process (a .db file) and a Milvus
server over the network (http://; here milvus-lite's own gRPC server in a process of its
own, which speaks Milvus's protocol as a standalone or cluster does).

    python -m eval.milvus [--shared ../shared] [--out eval/reports/milvus.md]

Passage vectors are computed once per text (``ReusedVectors``) and given to both stores, so
the two search identical vectors and the run does not embed the corpora twice.
"""
from __future__ import annotations

import argparse
import contextlib
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.benchdata import REPO, cache_dir, shared_dir


class ReusedVectors:
    """An embedder whose passage vectors come from embedded indexes already built (``seeds``:
    their folders), keyed by the passage's hash; the model embeds only what they lack."""

    def __init__(self, embedder, seeds=()):
        from index.store import live_stores

        self.inner, self.vecs, self.embedded = embedder, {}, 0
        for store in (s for d in seeds if Path(d).is_dir() for s in live_stores(Path(d))):
            con = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
            try:
                self.vecs.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in
                                 con.execute("SELECT hash, vec FROM embeddings"))
            except sqlite3.Error:  # another layout: those passages are embedded again
                pass
            finally:
                con.close()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        from index.embed import passage_hash

        def _hash(text: str) -> str:
            return passage_hash(self.inner, text)

        missing = list(dict.fromkeys(t for t in texts if _hash(t) not in self.vecs))
        if missing:
            self.embedded += len(missing)
            self.vecs.update(zip(map(_hash, missing), self.inner.embed_passages(missing)))
        return np.stack([self.vecs[_hash(t)] for t in texts])

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _p50_ms(fn, queries: list[str], repeat: int = 3) -> float:
    times = []
    for q in queries:
        fn(q)  # the query's vector is memoised: what is timed is the store's part
        for _ in range(repeat):
            t = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


@contextlib.contextmanager
def milvus_server(data_dir: Path):
    """A Milvus server (milvus-lite's gRPC server) in a process of its own on a free local
    port; yields its http:// URI and stops it after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data_dir),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(1200):
            if proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server: {proc.stderr.read().decode()[-2000:]}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


BACKENDS = ("embedded", "milvus-lite", "milvus-server")


def measure(name: str, docs: Path, gold: Path, vectors, embedder, work: Path, server: str) -> dict:
    from assistant.service import Assistant
    from eval.gold import load_gold
    from eval.run import evaluate
    from index.backend import open_indexer

    out: dict = {"set": name}
    questions = [it.question for it in load_gold(gold)]
    stores = (work / f"{name}-index", str(work / f"{name}.db"), server)
    for backend, store in zip(BACKENDS, stores):
        t = time.perf_counter()
        rep = open_indexer(store, vectors).ingest([docs])
        assert not rep.errors, rep.errors
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        a = Assistant(store, embedder)
        a.searcher.snapshot()
        load_s = time.perf_counter() - t
        report = evaluate(gold, a)
        s = a.searcher
        out[backend] = {
            "metrics": report.metrics, "ingest_s": ingest_s, "load_s": load_s,
            "search_ms": _p50_ms(lambda q: s.search(q, k=10), questions),
            "rescored_ms": _p50_ms(lambda q: s.search(q, k=10, rescore=True), questions),
            "bm25_ms": _p50_ms(lambda q: s.search(q, k=10, alpha=0.0), questions),
            "dense_ms": _p50_ms(lambda q: s.search(q, k=10, alpha=1.0), questions),
            "ask_ms": _p50_ms(lambda q: a.ask(q), questions[:20], repeat=1),
        }
    return out


METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "answer_keyword_accuracy", "citation_accuracy",
           "refusal_rate_unanswerable")
TIMES = (("ingest_s", "ingest (passage vectors reused), s"), ("load_s", "open + load the live generation, s"),
         ("search_ms", "search p50, ms (hybrid, no embedding)"), ("rescored_ms", "search + second stage p50, ms"),
         ("bm25_ms", "BM25 alone p50, ms"), ("dense_ms", "dense alone p50, ms"), ("ask_ms", "ask p50, ms (20 questions)"))


def format_md(results: list[dict], start_s: float, rss_mb: float) -> str:
    others = BACKENDS[1:]
    lines = ["| set | metric | embedded | " + " | ".join(others) + " | largest difference |",
             "|---|---|---|" + "---|" * len(others) + "---|"]
    for r in results:
        for m in METRICS:
            vals = [r[b]["metrics"].get(m) for b in BACKENDS]
            if None not in vals:
                diff = max((v - vals[0] for v in vals[1:]), key=abs)
                lines.append(f"| {r['set']} | {m} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {diff:+.3f} |")
    lines += ["", "| set | measure | embedded | " + " | ".join(f"{b} (ratio)" for b in others) + " |",
              "|---|---|---|" + "---|" * len(others)]
    for r in results:
        for key, label in TIMES:
            a = r["embedded"][key]
            lines.append(f"| {r['set']} | {label} | {a:.1f} | "
                         + " | ".join(f"{r[b][key]:.1f} ({r[b][key] / a:.2f} ×)" for b in others) + " |")
    lines += ["", f"milvus-lite client start (a new store): {start_s:.2f} s; peak RSS of this run: {rss_mb:.0f} MB "
              "(the server's own process not counted)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shared", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None, help="also write the tables here (markdown)")
    p.add_argument("--sets", nargs="+", choices=("dev", "dev2"), default=["dev", "dev2"])
    a = p.parse_args(argv)
    from index.embed import Embedder

    shared = shared_dir(a.shared)
    embedder = Embedder()
    fit = cache_dir().parent / "fit"  # the scorer fit's indexes of dev and dev2 (eval.fit)
    vectors = ReusedVectors(embedder, [fit / "dev", fit / "dev2"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        from index.milvus_store import MilvusStore, StoreURI

        MilvusStore(StoreURI(str(work / "probe.db"), work)).ensure()
        start_s = time.perf_counter() - t
        sets = {"dev": (REPO / "data" / "sample", shared / "eval" / "dev.jsonl"),
                "dev2": (shared / "eval" / "dev2" / "docs", shared / "eval" / "dev2" / "questions.jsonl")}
        results = []
        for name in a.sets:
            with milvus_server(work / f"{name}-server") as server:
                results.append(measure(name, *sets[name], vectors, embedder, work, server))
            print(format_md(results[-1:], start_s, 0), flush=True)  # each set as soon as it is measured
    md = format_md(results, start_s, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(md)
    print(f"(passages embedded in this run: {vectors.embedded})")
    if a.out:
        a.out.write_text(md + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
