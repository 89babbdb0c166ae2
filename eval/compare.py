"""Answers side by side with the plain LangChain RAG a user would copy from a tutorial (issue #6):
that pipeline's answer is its top passage, so its keyword accuracy is whether the passage holds
the gold keywords and its citation is right when that passage overlaps the gold quote. Both run
in one process over the same documents and the same embedding model."""
from __future__ import annotations

import time

import numpy as np

from assistant.service import Assistant
from eval.gold import keyword_found, load_gold
from eval.run import Report, _overlaps, gold_spans


def langchain_answers(gold_path, assistant: Assistant) -> dict[str, float]:
    from eval.baseline import LangChainBaseline

    searcher = assistant.searcher
    docs = [(d["name"], searcher.document_text(d["name"]), d["title"], d["name"]) for d in searcher.documents()]
    base = LangChainBaseline(docs)
    kw, cited, secs = [], [], []
    for item in load_gold(gold_path):
        if not item.answerable:
            continue
        t0 = time.perf_counter()
        top = base.search(item.question, k=1)
        secs.append(time.perf_counter() - t0)
        p = top[0] if top else None
        kw.append(bool(p) and all(keyword_found(p.text, k) for k in item.keywords))
        cited.append(bool(p) and any(p.doc_id == d and _overlaps((p.start, p.end), (s, e))
                                     for d, s, e in gold_spans(assistant, item)))
    return {"answer_keyword_accuracy": float(np.mean(kw)), "citation_accuracy": float(np.mean(cited)),
            "refusal_rate_unanswerable": 0.0,  # it always returns a passage
            "latency_p50_ms": float(np.percentile(secs, 50) * 1000)}


def format_side_by_side(ours: Report, theirs: dict[str, float]) -> str:
    lines = ["", f"{'versus plain LangChain RAG':28} {'tracuu':>10} {'LangChain':>10}"]
    for k in ("answer_keyword_accuracy", "citation_accuracy", "refusal_rate_unanswerable", "latency_p50_ms"):
        lines.append(f"{k:28} {ours.metrics.get(k, float('nan')):10.3f} {theirs[k]:10.3f}")
    return "\n".join(lines)
