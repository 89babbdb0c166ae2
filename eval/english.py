"""How much to trust BM25 for an English question (index.search.FOREIGN_LEX_WEIGHT), chosen on
data and reported cross-fitted by document.

    python -m eval.english [--out eval/reports/english.md]

An English question over Vietnamese documents shares only its place names and glossary terms
with them; the multilingual dense model carries the rest. For each weight of a grid, MRR@10 of
the gold passage over the English questions of the training sets (eval.fit.SETS, each on its
own index). Cross-fitted: each document's questions are scored at the weight that is best on
the other documents' questions, so the reported MRR is never measured on what chose it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from assistant.understand import understand
from eval.fit import SETS, set_index
from eval.gold import load_gold, locate
from index import glossary
from index import search as search_mod
from index.backend import open_searcher

GRID = (1.0, 0.5, 0.3, 0.2, 0.15, 0.1, 0.05, 0.0)
REPORT = Path(__file__).resolve().parent / "reports" / "english.md"


def reciprocal_ranks(searcher, items, weights=GRID) -> dict[str, list[float]]:
    """Per question id: 1/rank of the first hit overlapping a gold quote, per weight (0 if not in 10)."""
    out = {}
    keep = search_mod.FOREIGN_LEX_WEIGHT
    try:
        for it in items:
            spans = [(d, s) for d in it.docs for q in it.quotes
                     if (s := locate(searcher.document_text(d), q)) is not None]
            rr = []
            for w in weights:
                search_mod.FOREIGN_LEX_WEIGHT = w
                hits = searcher.search(glossary.expand(it.question), k=10)
                rank = next((i + 1 for i, h in enumerate(hits) for d, (a, b) in spans
                             if h.chunk.doc == d and h.chunk.start < b and a < h.chunk.end), None)
                rr.append(1.0 / rank if rank else 0.0)
            out[it.id] = rr
    finally:
        search_mod.FOREIGN_LEX_WEIGHT = keep
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.english", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=REPORT)
    args = p.parse_args(argv)
    rows = []  # (set, id, docs, rr per weight)
    for name, (gold, docs) in SETS.items():
        if not gold.exists():
            continue
        items = [it for it in load_gold(gold) if it.answerable and understand(it.question).english]
        searcher = open_searcher(set_index(name, docs), rescore=True)
        for qid, rr in reciprocal_ranks(searcher, items).items():
            it = next(i for i in items if i.id == qid)
            rows.append((name, qid, frozenset(it.docs), np.array(rr)))
    mrr = np.mean([r[3] for r in rows], axis=0)
    crossed = []
    for _, _, docs, rr in rows:  # the weight best on the questions about other documents
        others = [r[3] for r in rows if not (r[2] & docs)]
        crossed.append(rr[int(np.argmax(np.mean(others, axis=0)))])
    best = GRID[int(np.argmax(mrr))]
    lines = ["# English questions: the lexical channel's weight", "",
             f"`python -m eval.english`; {len(rows)} English answerable questions of "
             f"{', '.join(sorted({r[0] for r in rows}))} (each on its own index).", "",
             "| BM25 weight | " + " | ".join(f"{w:g}" for w in GRID) + " |",
             "|---|" + "---|" * len(GRID),
             "| MRR@10 | " + " | ".join(f"{m:.3f}" for m in mrr) + " |",
             "| in top 10 | " + " | ".join(f"{np.mean([r[3][i] > 0 for r in rows]):.3f}" for i in range(len(GRID))) + " |",
             "", f"Best on all: {best:g} (index.search.FOREIGN_LEX_WEIGHT = {search_mod.FOREIGN_LEX_WEIGHT:g}). "
             f"Cross-fitted by document (each question at the weight best on the other documents' "
             f"questions): MRR@10 {np.mean(crossed):.3f}; at the former weight 0.5: {mrr[GRID.index(0.5)]:.3f}.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
