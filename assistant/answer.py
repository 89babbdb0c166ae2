"""Extractive answerer: the fitted scorer (assistant.scorer) ranks the answer units of the top
hits; the answer quotes the best units whole, each cited by its exact span. No LLM; the same
question and index give the same answer.

The answer is refused when P(answerable) — a calibrated function of the best unit's score and
its margin — is below the threshold chosen on cross-fitted data (eval.fit). Several units are
quoted when several score close to the best (a list, a task and its fields, several documents).
"""
from __future__ import annotations

import math
from typing import Callable

from assistant.scorer import Candidate, Weights, p_answerable, score
from assistant.types import Citation
from ingest.agencies import starts_agency
from ingest.normalize import display
from ingest.structure import clean
from ingest.types import Section

MAX_UNITS = 4  # units quoted in one answer
MAX_DUTIES = 6  # units quoted for an agency's duties
NEAR_BEST = math.log(2)  # a further unit is quoted when it is at least half as likely as the best


def choose(cands: list[Candidate], weights: Weights, each_document: bool = False) -> tuple[list[Candidate], float]:
    """(units to quote, P(answerable)); no units means: refuse.

    Besides the units scored near the best: when the question asks for an agency's duties, the
    best document's units that name it; when the question names places or bodies the best
    unit's document lacks, the best unit of a document that has them (two plans compared);
    ``each_document`` ("which plans say …"): the best unit of every other document whose own
    candidates pass the same refusal gate."""
    ranked = score(cands, weights)
    p = p_answerable(ranked, weights)
    if not ranked or p < weights.threshold:
        return [], p
    best = ranked[0]
    chosen = [best]

    def add(c: Candidate) -> None:
        if all(c.unit.doc != x.unit.doc or c.unit.end <= x.unit.start or x.unit.end <= c.unit.start
               for x in chosen):
            chosen.append(c)

    for c in ranked[1:]:
        if len(chosen) >= MAX_UNITS or c.score < best.score - NEAR_BEST:
            break
        add(c)
    for c in ranked:  # the duties of the agency asked about: the units naming it, best first
        if c.about and c.unit.doc == best.unit.doc and len(chosen) < MAX_DUTIES:
            add(c)
    docs = {c.unit.doc for c in chosen}
    for c in ranked:  # ranked: the first of each document is its best
        if best.lacks and c.unit.doc not in docs and best.lacks - c.lacks:
            add(c)
            docs.add(c.unit.doc)
            break
    if each_document:
        for doc in dict.fromkeys(c.unit.doc for c in ranked):
            own = [c for c in ranked if c.unit.doc == doc]  # ranked: still best first
            if doc not in docs and len(docs) < MAX_UNITS and p_answerable(own, weights) >= weights.threshold:
                add(own[0])
                docs.add(doc)
    return chosen, p


def compose(chosen: list[Candidate], section_at: Callable[[str, int], Section | None],
            who: bool = False) -> tuple[str, list[Citation]]:
    """One block per document, units in document order, each quoted whole with its section.

    ``who``: the question asks for an agency. A unit that does not start with one is done by
    the agency its section heading names ("1. Ban Tuyên giáo …" over its tasks): the heading is
    cited too, so the agency the answer gives is checkable in a quote."""
    citations: list[Citation] = []
    cited: set[tuple[str, int]] = set()
    by_doc: dict[str, list[Candidate]] = {}
    for c in chosen:
        by_doc.setdefault(c.unit.doc, []).append(c)
    lines: list[str] = []
    for doc, items in by_doc.items():
        title = items[0].hit.doc_title
        lines.append(f"Theo {title} ({doc}):" if title else f"Theo {doc}:")
        for c in sorted(items, key=lambda c: c.unit.start):
            u = c.unit
            sec = section_at(doc, u.start)
            section, crumbs = (sec.path, sec.breadcrumb) if sec else ("", ())
            where = f"mục {section}" if section else "phần mở đầu"
            heading = _short(crumbs[-1]) if crumbs else ""
            label = f"{where} «{heading}»" if heading else where
            if who and sec and sec.level and u.start > sec.start and not starts_agency(u.text) \
                    and starts_agency(clean(sec.heading).split(None, 1)[-1]) and (doc, sec.start) not in cited:
                cited.add((doc, sec.start))
                citations.append(Citation(len(citations) + 1, doc, section, sec.heading, sec.start,
                                          sec.start + len(sec.heading), crumbs))
                label += f" [{len(citations)}]"
            n = len(citations) + 1
            citations.append(Citation(n, doc, section, u.text, u.start, u.end, crumbs))
            cols = f" ({u.context})" if u.kind == "row" and u.context else ""
            lines.append(f"- {label[0].upper() + label[1:]}{cols}: {display(u.text)} [{n}]")
    return "\n".join(lines), citations


def _short(heading: str, limit: int = 90) -> str:
    h = clean(heading)
    return h if len(h) <= limit else h[:limit].rsplit(" ", 1)[0] + "…"
