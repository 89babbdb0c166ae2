"""Dev retrieval with and without diacritics: the dev items typed without marks against the
same questions re-typed with marks by hand (eval/data/dev_accented.jsonl), and every accented
dev question against its marks stripped (ingest.normalize.strip).

    python -m eval.diacritics [--shared DIR] [--fusion weighted] [--alpha 0.2]
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from eval.bench import TimedQueries, dev_index, dev_tasks, run_systems, searcher_systems
from eval.benchdata import cache_dir, shared_dir
from ingest.normalize import has_diacritics, strip

ACCENTED = Path(__file__).with_name("data") / "dev_accented.jsonl"


def main(argv: list[str] | None = None) -> int:
    from index.embed import Embedder
    from index.search import Searcher

    p = argparse.ArgumentParser()
    p.add_argument("--shared", type=Path, default=None)
    p.add_argument("--fusion", default="weighted")
    p.add_argument("--alpha", type=float, default=0.2)
    a = p.parse_args(argv)
    emb = TimedQueries(Embedder())
    s = Searcher(dev_index(a.shared, cache_dir(), emb.inner), emb)
    tasks = dev_tasks(s, shared_dir(a.shared) / "eval" / "dev.jsonl", None)
    typed = {d["id"]: d["question"] for d in map(json.loads, ACCENTED.read_text(encoding="utf-8").splitlines())}
    plain = [t for t in tasks if t.id in typed]
    accented = [t for t in tasks if has_diacritics(t.question)]
    sets = {
        f"unmarked as typed ({len(plain)})": plain,
        f"same, re-typed with marks ({len(plain)})": [replace(t, question=typed[t.id]) for t in plain],
        f"accented as typed ({len(accented)})": accented,
        f"same, marks stripped ({len(accented)})": [replace(t, question=strip(t.question)) for t in accented],
    }
    systems = searcher_systems(s, a.fusion, a.alpha, dedupe=False,
                               unit=lambda h: (h.chunk.doc, h.chunk.start, h.chunk.end))
    systems = {k: systems[k] for k in ("BM25", "dense", "hybrid weighted", "hybrid + 2nd stage")}
    print("| query set | system | R@1 | R@5 | R@10 | MRR@10 |\n|---|---|---:|---:|---:|---:|")
    for name, ts in sets.items():
        for r in run_systems(ts, systems, emb):
            m = r.metrics()
            print(f"| {name} | {r.system} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['R@10']:.3f} | {m['MRR@10']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
