"""`tracuu bench retrieval`: tracuu's retrieval against the baselines, on the dev set and on the
public benchmarks, all in one process (so latency ratios compare like with like).

Systems: BM25 only, dense only, hybrid RRF, hybrid weighted, hybrid + second stage (all the
same index.search.Searcher), and the plain LangChain pipeline (eval.baseline).
Units: a benchmark passage (gold_ids); on dev, a chunk overlapping a gold quote's span.
Each gold target counts once, at the first hit that covers it (nDCG gain 1).
Latency per query = search time + the live query-embedding time of the text the dense channel
embeds (query vectors are embedded once per run and shared by the systems that use them).
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from eval.benchdata import BENCHES, cache_dir, load_bench, memory_snapshot, MemorySearcher, shared_dir

SYSTEMS = ("BM25", "dense", "hybrid RRF", "hybrid weighted", "hybrid + 2nd stage", "LangChain")
KS = (1, 5, 10)


@dataclass
class Task:
    id: str
    question: str
    type: str
    targets: int  # gold units (passages, or quote spans on dev)
    covers: Callable[[object], set[int]]  # a ranked unit -> indices of the gold targets it covers


@dataclass
class SystemRun:
    system: str
    ranks: list[int | None] = field(default_factory=list)  # first relevant rank per task
    ndcg: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def add(self, task: Task, ranked: list, ms: float) -> None:
        seen: set[int] = set()
        dcg, first = 0.0, None
        for r, unit in enumerate(ranked[:10], 1):
            new = task.covers(unit) - seen
            if new:
                first = first or r
                dcg += 1.0 / np.log2(r + 1)
                seen |= new
        ideal = sum(1.0 / np.log2(r + 1) for r in range(1, min(task.targets, 10) + 1)) or 1.0
        self.ranks.append(first)
        self.ndcg.append(dcg / ideal)
        self.ms.append(ms)
        self.types.append(task.type)

    def metrics(self, type_: str | None = None) -> dict[str, float]:
        idx = [i for i, t in enumerate(self.types) if type_ is None or t == type_]
        ranks = [self.ranks[i] for i in idx]
        if not idx:
            return {}
        m = {f"R@{k}": float(np.mean([r is not None and r <= k for r in ranks])) for k in KS}
        m["MRR@10"] = float(np.mean([1.0 / r if r else 0.0 for r in ranks]))
        m["nDCG@10"] = float(np.mean([self.ndcg[i] for i in idx]))
        ms = [self.ms[i] for i in idx]
        m["p50 ms"] = float(np.percentile(ms, 50))
        m["p95 ms"] = float(np.percentile(ms, 95))
        m["n"] = len(idx)
        return m


class TimedQueries:
    """Wraps an Embedder: a query text is embedded once, live, and its time remembered."""

    def __init__(self, embedder):
        self.inner = embedder
        self.vecs: dict[str, np.ndarray] = {}
        self.secs: dict[str, float] = {}
        self.charged = 0.0  # embedding seconds the current search would have spent

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        out = []
        for t in texts:
            if t not in self.vecs:  # live: the caller's clock already counts it
                t0 = time.perf_counter()
                self.vecs[t] = self.inner.embed_queries([t])[0]
                self.secs[t] = time.perf_counter() - t0
            else:
                self.charged += self.secs[t]
            out.append(self.vecs[t])
        return np.stack(out)

    def embed_passages(self, texts):
        return self.inner.embed_passages(texts)


# --- the systems -----------------------------------------------------------------------------
def searcher_systems(searcher, fusion_default: str, alpha: float, k_units: int = 10,
                     unit: Callable = lambda h: h.chunk.doc, dedupe: bool = True):
    """name -> query -> ranked units, all over the one Searcher."""
    from assistant.understand import understand
    from index.rescore import Signals

    def run(**opts):
        def f(q: str) -> list:
            if opts.get("rescore"):  # the question's intent, as the assistant reads it
                opts["signals"] = Signals(understand(q).intent)
            hits = searcher.search(q, k=k_units * (3 if dedupe else 1), **opts)
            units = [unit(h) for h in hits]
            return list(dict.fromkeys(units))[:k_units] if dedupe else units[:k_units]
        return f

    return {
        "BM25": run(fusion="weighted", alpha=0.0, rescore=False),
        "dense": run(fusion="weighted", alpha=1.0, rescore=False),
        "hybrid RRF": run(fusion="rrf", rescore=False),
        "hybrid weighted": run(fusion="weighted", alpha=alpha, rescore=False),
        "hybrid + 2nd stage": run(fusion=fusion_default, alpha=alpha, rescore=True),
    }


def run_systems(tasks: list[Task], systems: dict[str, Callable], embedder: TimedQueries | None) -> list[SystemRun]:
    runs = []
    for name, fn in systems.items():
        run = SystemRun(name)
        for t in tasks:
            if embedder:
                embedder.charged = 0.0
            t0 = time.perf_counter()
            ranked = fn(t.question)
            secs = time.perf_counter() - t0
            if embedder:  # replace the cached lookup by what embedding really took
                secs += embedder.charged
            run.add(t, ranked, secs * 1000)
        runs.append(run)
    return runs


# --- datasets ----------------------------------------------------------------------------------
def bench_tasks(name: str, shared: Path | None, limit: int | None):
    passages, queries = load_bench(name, shared)
    queries = queries[:limit] if limit else queries
    tasks = [Task(q.id, q.question, "all", len(q.gold),
                  (lambda g: (lambda pid: {i for i, x in enumerate(g) if x == pid}))(q.gold)) for q in queries]
    return passages, tasks


def dev_index(shared: Path | None, cache: Path, embedder) -> Path:
    from index.indexer import Indexer

    from eval.benchdata import REPO

    d = cache / "dev-index"  # the dev set's questions are about the sample corpus
    rep = Indexer(d, embedder).ingest([REPO / "data" / "sample"])
    if rep.errors:
        raise RuntimeError("; ".join(f.error for f in rep.errors))
    return d


def dev_tasks(searcher, gold_path: Path, limit: int | None) -> list[Task]:
    from eval.gold import load_gold, locate

    tasks = []
    for item in load_gold(gold_path):
        if not item.answerable:
            continue
        spans = []
        for doc in item.docs:
            try:
                text = searcher.document_text(doc)
            except KeyError:
                continue
            spans += [(doc, *sp) for q in item.quotes if (sp := locate(text, q)) is not None]
        if not spans:
            continue

        def covers(u, spans=spans):  # u = (doc, start, end)
            return {i for i, (d, s, e) in enumerate(spans) if u[0] == d and u[1] < e and s < u[2]}

        tasks.append(Task(item.id, item.question, item.type, len(spans), covers))
    return tasks[:limit] if limit else tasks


# --- the whole run -----------------------------------------------------------------------------
def run_bench(which: str = "all", limit: int | None = None, shared: Path | None = None,
              cache: Path | None = None, langchain: bool = True, fusion: str | None = None,
              alpha: float | None = None, log=print) -> dict:
    from index import fusion as fusion_mod
    from index.embed import Embedder
    from index.search import Searcher

    fusion = fusion or fusion_mod.DEFAULT_FUSION
    alpha = fusion_mod.DEFAULT_ALPHA if alpha is None else alpha
    cache = cache_dir(cache)
    emb = TimedQueries(Embedder())
    names = list(BENCHES) + ["dev"] if which == "all" else [which]
    out: dict = {"fusion": fusion, "alpha": alpha, "limit": limit, "results": {}}
    for name in names:
        t0 = time.perf_counter()
        if name == "dev":
            searcher = Searcher(dev_index(shared, cache, emb.inner), emb, fusion=fusion, alpha=alpha)
            tasks = dev_tasks(searcher, shared_dir(shared) / "eval" / "dev.jsonl", limit)
            systems = searcher_systems(searcher, fusion, alpha, dedupe=False,
                                       unit=lambda h: (h.chunk.doc, h.chunk.start, h.chunk.end))
            lc_docs = [(d["name"], searcher.document_text(d["name"]), d["title"], d["name"])
                       for d in searcher.documents()]
            lc_unit, lc_dedupe = (lambda p: (p.doc_id, p.start, p.end)), False
        else:
            passages, tasks = bench_tasks(name, shared, limit)
            searcher = MemorySearcher(memory_snapshot(name, passages, emb.inner, cache), emb,
                                      fusion=fusion, alpha=alpha)
            systems = searcher_systems(searcher, fusion, alpha)
            lc_docs = [(p.id, p.text, p.title, "") for p in passages]
            lc_unit, lc_dedupe = (lambda p: p.doc_id), True
        log(f"{name}: {len(tasks)} queries, index ready in {time.perf_counter() - t0:.0f} s")
        if langchain:
            from eval.baseline import LangChainBaseline

            base = LangChainBaseline(lc_docs, cache=cache / name / "langchain")

            def lc(q, base=base, lc_unit=lc_unit, lc_dedupe=lc_dedupe):
                units = [lc_unit(p) for p in base.search(q, k=30 if lc_dedupe else 10)]
                return list(dict.fromkeys(units))[:10] if lc_dedupe else units
            systems["LangChain"] = lc
        runs = run_systems(tasks, systems, emb)
        res = {r.system: r.metrics() for r in runs}
        types = sorted({t.type for t in tasks})
        by_type = {r.system: {t: r.metrics(t) for t in types} for r in runs} if len(types) > 1 else {}
        out["results"][name] = {"systems": res, "by_type": by_type}
        log(format_table(name, res))
    return out


COLS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "p50 ms", "p95 ms")


def format_table(name: str, res: dict[str, dict[str, float]]) -> str:
    n = next(iter(res.values()), {}).get("n", 0)
    lines = [f"### {name} ({n} queries)", "", "| system | " + " | ".join(COLS) + " |",
             "|---|" + "---:|" * len(COLS)]
    for sysname, m in res.items():
        lines.append(f"| {sysname} | " + " | ".join(
            (f"{m[c]:.0f}" if "ms" in c else f"{m[c]:.3f}") for c in COLS) + " |")
    return "\n".join(lines)


def write_reports(out: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md = [f"# Retrieval benchmark\n\nfusion default: {out['fusion']}, alpha {out['alpha']}, "
          f"query limit: {out['limit'] or 'none'}\n"]
    for name, r in out["results"].items():
        md.append(format_table(name, r["systems"]) + "\n")
        if r["by_type"]:
            md.append(f"#### {name} by question type (MRR@10 / p50 ms)\n")
            systems = list(r["by_type"])
            md.append("| type | " + " | ".join(systems) + " |")
            md.append("|---|" + "---:|" * len(systems))
            for t in next(iter(r["by_type"].values())):
                md.append(f"| {t} | " + " | ".join(
                    f"{r['by_type'][s][t]['MRR@10']:.2f} / {r['by_type'][s][t]['p50 ms']:.0f}" for s in systems) + " |")
            md.append("")
    paths = [folder / "retrieval.md", folder / "retrieval.json", folder / "retrieval.png"]
    paths[0].write_text("\n".join(md), encoding="utf-8")
    paths[1].write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    chart(out, paths[2])
    return paths


def chart(out: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(out["results"])
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names):
        res = out["results"][name]["systems"]
        systems = list(res)
        x = np.arange(len(systems))
        for j, metric in enumerate(("R@10", "MRR@10")):
            ax.bar(x + (j - 0.5) * 0.4, [res[s][metric] for s in systems], 0.4, label=metric)
        ax.set_xticks(x, systems, rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
