"""`tracuu eval`: run the assistant over a gold set and report retrieval and answer metrics."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.service import Assistant
from eval.gold import GoldItem, keyword_found, load_gold, locate


@dataclass
class ItemResult:
    id: str
    type: str
    question: str
    refused: bool
    answer: str
    rank: int | None  # 1-based rank of the first hit overlapping a gold passage
    keywords_found: int
    keywords: int
    citation_ok: bool
    seconds: float
    answerer: str = "extractive"
    dropped: int = 0  # generated sentences dropped as unsupported


@dataclass
class Report:
    n: int
    metrics: dict[str, float]
    by_type: dict[str, dict[str, float]] = field(default_factory=dict)
    items: list[ItemResult] = field(default_factory=list)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def gold_spans(assistant: Assistant, item: GoldItem) -> list[tuple[str, int, int]]:
    spans = []
    for doc in item.docs:
        try:
            text = assistant.searcher.document_text(doc)
        except KeyError:
            continue
        for q in item.quotes:
            if (span := locate(text, q)) is not None:
                spans.append((doc, *span))
    return spans


def evaluate_item(assistant: Assistant, item: GoldItem, k: int = 10) -> ItemResult:
    ans = assistant.ask(item.question, k=k)
    gold = gold_spans(assistant, item)
    rank = next((i + 1 for i, h in enumerate(ans.hits)
                 if any(h.chunk.doc == d and _overlaps((h.chunk.start, h.chunk.end), (s, e))
                        for d, s, e in gold)), None)
    cited = any(c.doc == d and _overlaps((c.start, c.end), (s, e))
                for c in ans.citations for d, s, e in gold)
    found = 0 if ans.refused else sum(keyword_found(ans.text, kw) for kw in item.keywords)
    return ItemResult(item.id, item.type, item.question, ans.refused, ans.text, rank, found,
                      len(item.keywords), cited, ans.seconds, ans.answerer, len(ans.dropped))


def summarise(results: list[ItemResult]) -> dict[str, float]:
    ans = [r for r in results if r.type != "unanswerable"]
    una = [r for r in results if r.type == "unanswerable"]
    ranks = [r.rank for r in ans]
    secs = [r.seconds for r in results]
    m = {"items": len(results)}
    if ans:
        for k in (1, 5, 10):
            m[f"recall@{k}"] = float(np.mean([r is not None and r <= k for r in ranks]))
        m["mrr@10"] = float(np.mean([1.0 / r if r is not None and r <= 10 else 0.0 for r in ranks]))
        m["answer_keyword_accuracy"] = float(np.mean([r.keywords_found == r.keywords for r in ans]))
        m["answer_keyword_recall"] = float(np.mean([r.keywords_found / max(1, r.keywords) for r in ans]))
        m["citation_accuracy"] = float(np.mean([r.citation_ok for r in ans]))
        m["false_refusal_rate"] = float(np.mean([r.refused for r in ans]))
    if una:
        m["refusal_rate_unanswerable"] = float(np.mean([r.refused for r in una]))
    if any(r.answerer != "extractive" for r in results):  # a generative run: how often it held up
        m["generative_share"] = float(np.mean([r.answerer == "generative" for r in results]))
        m["dropped_sentences_per_answer"] = float(np.mean([r.dropped for r in results]))
    if secs:
        m["latency_p50_ms"] = float(np.percentile(secs, 50) * 1000)
        m["latency_p95_ms"] = float(np.percentile(secs, 95) * 1000)
    return m


def evaluate(gold_path: Path, assistant: Assistant, k: int = 10) -> Report:
    items = load_gold(gold_path)
    if items:
        assistant.ask(items[0].question, k=k)  # warm up: model load is not answer latency
    results = [evaluate_item(assistant, it, k) for it in items]
    by_type = {t: summarise([r for r in results if r.type == t]) for t in sorted({r.type for r in results})}
    return Report(len(results), summarise(results), by_type, results)


def evaluate_cross_fit(gold_path: Path, assistant: Assistant, k: int = 10, log=print) -> Report:
    """Every question answered by scorer weights fitted without any question about its
    documents (eval.fit), over the training sets plus this gold set on this index."""
    from eval.fit import SETS, collect, fit_without
    from index.backend import store_of

    sets = {n: v for n, v in SETS.items() if v[0].resolve() != Path(gold_path).resolve()}
    store = store_of(assistant.searcher)  # a folder or a Milvus URI
    sets["eval"] = (Path(gold_path), Path(assistant.searcher.index_dir))
    data = collect(sets, {"eval": store}, assistant.embedder.inner, log)
    rows = [r for rs in data.values() for r in rs]
    items = load_gold(gold_path)
    fitted: dict[frozenset, object] = {}
    results = []
    for it in items:
        key = frozenset(it.docs) or frozenset({"#" + it.id})
        if key not in fitted:
            fitted[key] = fit_without(rows, frozenset(it.docs), {it.id})
        assistant.weights = fitted[key]
        results.append(evaluate_item(assistant, it, k))
    assistant.weights = None
    by_type = {t: summarise([r for r in results if r.type == t]) for t in sorted({r.type for r in results})}
    report = Report(len(results), summarise(results), by_type, results)
    report.metrics["cross_fitted_folds"] = len(fitted)
    return report


def format_report(report: Report) -> str:
    lines = [f"{'metric':28} value"]
    lines += [f"{k:28} {v:.3f}" if isinstance(v, float) else f"{k:28} {v}" for k, v in report.metrics.items()]
    lines.append("")
    cols = ["recall@5", "mrr@10", "answer_keyword_accuracy", "citation_accuracy", "refusal_rate_unanswerable"]
    lines.append(f"{'type':22}" + "".join(f"{c[:14]:>16}" for c in cols))
    for t, m in report.by_type.items():
        cells = "".join(f"{m[c]:16.3f}" if c in m else f"{'-':>16}" for c in cols)
        lines.append(f"{t:22}{cells}")
    return "\n".join(lines)


def write_report(report: Report, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"metrics": report.metrics, "by_type": report.by_type,
                               "items": [asdict(r) for r in report.items]},
                              ensure_ascii=False, indent=1), encoding="utf-8")
