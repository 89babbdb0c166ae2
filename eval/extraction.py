"""Precision and recall of obligation and cited-document extraction against hand-written gold.

    python -m eval.extraction [CORPUS_DIR] [--gold eval/gold/sample_obligations.jsonl]

A gold obligation matches an extracted one with the same document, section and task start;
its fields are right when lead, partners and deadline all equal the gold ones.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from ingest import expand_paths, load_document

HERE = Path(__file__).parent
ROOT = HERE.parent


@dataclass
class PR:
    gold: int
    found: int
    matched: int
    fields_right: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0


def score_obligations(docs, gold_path: Path) -> PR:
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = {d.name for d in docs}
    gold = [g for g in gold if g["doc"] in names]
    found = [o for d in docs for o in d.obligations]
    free = list(found)
    matched = right = 0
    for g in gold:  # one-to-one: same document and section, task starting with the gold text
        o = next((o for o in free if o.doc == g["doc"] and o.section == g["section"]
                  and o.task.startswith(g["task_starts"])), None)
        if o is None:
            continue
        free.remove(o)
        matched += 1
        right += (list(o.lead) == g["lead"] and list(o.partners) == g["partners"] and o.deadline == g["deadline"])
    return PR(len(gold), len(found), matched, right)


def score_citations(doc, gold_path: Path) -> PR:
    spec = json.loads(gold_path.read_text(encoding="utf-8"))
    gold = {(k, n): (d, i) for k, n, d, i in spec["cited"]}
    found: dict[tuple[str, str], tuple] = {}
    for c in doc.cited:
        found.setdefault((c.kind, c.number), (c.date, c.issuer))
    matched = sum(1 for k in found if k in gold)
    right = sum(1 for k, v in found.items() if gold.get(k) == v)
    return PR(len(gold), len(found), matched, right)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.extraction")
    p.add_argument("corpus", nargs="?", type=Path, default=ROOT / "data" / "sample")
    p.add_argument("--gold", type=Path, default=HERE / "gold" / "sample_obligations.jsonl")
    p.add_argument("--citations", type=Path, default=HERE / "gold" / "sample_citations_000.json")
    args = p.parse_args(argv)
    docs = [load_document(f) for f in expand_paths([args.corpus])]
    ob = score_obligations(docs, args.gold)
    print(f"obligations: gold {ob.gold}, extracted {ob.found}, matched {ob.matched}: "
          f"precision {ob.precision:.3f}, recall {ob.recall:.3f}, "
          f"all fields right {ob.fields_right}/{ob.matched}")
    cited_doc = json.loads(args.citations.read_text(encoding="utf-8"))["doc"]
    target = next((d for d in docs if d.name == cited_doc), None)
    if target is not None:
        ci = score_citations(target, args.citations)
        print(f"cited documents of {cited_doc}: gold {ci.gold}, extracted {ci.found} distinct, "
              f"precision {ci.precision:.3f}, recall {ci.recall:.3f}, date+issuer right {ci.fields_right}/{ci.matched}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
