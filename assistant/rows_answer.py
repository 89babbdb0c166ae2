"""Answers from obligation rows: "who leads / who coordinates / by when" questions, and
"what must agency X do" across all documents.

A row is chosen by how well the question matches its task, its section headings and its
agencies, and by whether the retrieved passages point at it; the answer cites the exact line
that states the asked field ("Cơ quan chủ trì: …"), so the quote is what the answer says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from assistant.terms import DOCNUM, ROLE_SYLLABLES, QuestionTerms, named_terms, terms_of
from assistant.types import Citation
from assistant.understand import Question
from index.types import Hit
from ingest.agencies import canonical, key
from ingest.normalize import display, fold, strip
from ingest.structure import clean
from ingest.types import Obligation, Section

MIN_COVERAGE = 0.45  # below this share of the question's words, rows do not answer it
MAX_DUTIES = 15
KEY_SHARE = 0.9  # the question's words within this share of its rarest content word are its key words
_FIELD_OF = {"lead": "lead_span", "partner": "partners_span", "deadline": "deadline_span"}


@dataclass
class _Scored:
    row: Obligation
    score: float
    coverage: float


class RowAnswerer:
    def __init__(self, rows: list[Obligation], idf: Callable[[str], float], doc_text: Callable[[str], str],
                 sections: Callable[[str], list[Section]], titles: dict[str, str],
                 names_in: Callable[[str, str], bool]):
        self.rows, self.idf, self.doc_text, self.sections, self.titles = rows, idf, doc_text, sections, titles
        self.names_in = names_in

    def _context(self, row: Obligation) -> str:
        """What a question about this row may mention: the task, its headings, the document's
        title, and the field lines as written ("Cơ quan chủ trì: …" says "chủ trì")."""
        crumbs = next((s.breadcrumb for s in self.sections(row.doc) if s.path == row.section), ())
        text = self.doc_text(row.doc)
        fields = [text[sp[0]:sp[1]] for sp in (row.lead_span, row.partners_span, row.deadline_span) if sp]
        return " ".join((row.task, *crumbs, *fields, *row.lead, *row.partners, self.titles.get(row.doc, "")))

    def _score(self, q: Question, query_tokens: list[str], hits: list[Hit]) -> list[_Scored]:
        # a row states its role by construction: coverage is of the task the question describes
        terms = QuestionTerms(q.text, query_tokens, self.idf).without(ROLE_SYLLABLES)
        field = _FIELD_OF[q.intent]
        named = named_terms(q)  # checked below to occur in the row's document
        # the question's most telling words about the task: not role words, not the names or
        # document numbers it gives; a row must have one of them
        numbers = {x for m in DOCNUM.finditer(strip(q.text).lower()) for x in re.findall(r"\w+", m.group())}
        content = {t: w for t, w in terms.weights.items()
                   if t not in named and not set(t[2:].split("_")) <= numbers}
        top = max(content.values(), default=0.0)
        key_terms = [t for t, w in content.items() if w >= KEY_SHARE * top]
        out = []
        for row in self.rows:
            if getattr(row, field) is None or not all(self.names_in(row.doc, n) for n in q.names):
                continue
            if row.source == "issuer":
                # "UBND tỉnh ban hành Kế hoạch …" leads the plan, not each task the preamble
                # cites; who issued the plan is answered from its header (assistant.doc_answer)
                continue
            own = terms_of(self._context(row))
            if key_terms and not any(terms.matched(t, own) for t in key_terms):
                continue  # "Ai phụ trách xây dựng nông thôn mới?": a row without "nông thôn" is not it
            cov = terms.cover(own, named)
            near = max((1.0 / (1 + i) for i, h in enumerate(hits[:8])
                        if h.chunk.doc == row.doc and h.chunk.start < row.end and row.start < h.chunk.end),
                       default=0.0)
            # the words decide; the retrieved passages only break near-ties
            out.append(_Scored(row, cov + 0.15 * near, cov))
        return sorted(out, key=lambda s: (-s.score, s.row.doc, s.row.start))

    def answer_field(self, q: Question, query_tokens: list[str], hits: list[Hit]) -> tuple[str, list[Citation]]:
        scored = self._score(q, query_tokens, hits)
        if not scored or (scored[0].coverage < MIN_COVERAGE and not q.english):
            return "", []
        best = scored[0]
        chosen = [best] + [s for s in scored[1:3] if s.score >= 0.9 * best.score and s.row.doc == best.row.doc]
        field = _FIELD_OF[q.intent]
        citations: list[Citation] = []
        lines: list[str] = []
        for s in chosen:
            r = s.row
            text = self.doc_text(r.doc)
            crumbs = next((sec.breadcrumb for sec in self.sections(r.doc) if sec.path == r.section), ())
            if not lines or not lines[0].endswith(f"({r.doc}):"):
                title = self.titles.get(r.doc, "")
                lines.append(f"Theo {title} ({r.doc}):" if title else f"Theo {r.doc}:")
            heading = clean(crumbs[-1]) if crumbs else ""
            where = f"Mục {r.section} «{_short(heading)}»" if r.section else "Phần mở đầu"
            # labelled fields and table cells state the asked field on their own; in a sentence
            # or under an agency heading, quote the whole duty, which carries who/with whom/when
            spans = [getattr(r, field)]
            if r.source not in ("fields", "table") and r.task_span:
                spans = [r.lead_span, r.task_span] if field == "lead_span" and r.lead_span != r.task_span \
                    else [r.task_span]
            refs = []
            for a, b in spans:
                n = len(citations) + 1
                citations.append(Citation(n, r.doc, r.section, text[a:b], a, b, crumbs))
                refs.append(f"{display(text[a:b])} [{n}]")
            lines.append(f"- {where}: " + " — ".join(refs))
        return "\n".join(lines), citations

    def agencies_named(self, question: str) -> list[str]:
        """Canonical agencies of the rows that the question names (longest names first)."""
        qk = " " + fold(canonical(question)) + " "
        names = {a for r in self.rows for a in (*r.lead, *r.partners)}
        found = [a for a in names if len(key(a)) > 6 and f" {key(a)}" in qk]
        # keep the most specific: drop names contained in another found name
        return sorted((a for a in found if not any(a != b and key(a) in key(b) for b in found)),
                      key=lambda a: -len(a))

    def answer_duties(self, q: Question) -> tuple[str, list[Citation]]:
        agencies = self.agencies_named(q.text)
        if not agencies:
            return "", []
        ks = {key(a) for a in agencies}
        rows = [r for r in self.rows if any(key(a) in ks for a in (*r.lead, *r.partners))
                and all(self.names_in(r.doc, n) for n in q.names)]
        if not rows:
            return "", []
        citations: list[Citation] = []
        lines = [f"Nhiệm vụ của {', '.join(agencies)} ({len(rows)} nhiệm vụ"
                 f"{f', hiển thị {MAX_DUTIES}' if len(rows) > MAX_DUTIES else ''}):"]
        doc = None
        for r in rows[:MAX_DUTIES]:
            if r.doc != doc:
                doc = r.doc
                title = self.titles.get(doc, "")
                lines.append(f"Theo {title} ({doc}):" if title else f"Theo {doc}:")
            a, b = r.task_span or (r.start, r.end)
            text = self.doc_text(r.doc)
            crumbs = next((sec.breadcrumb for sec in self.sections(r.doc) if sec.path == r.section), ())
            n = len(citations) + 1
            citations.append(Citation(n, r.doc, r.section, text[a:b], a, b, crumbs))
            role = "chủ trì" if any(key(x) in ks for x in r.lead) else "phối hợp"
            extra = f"; thời hạn: {r.deadline}" if r.deadline else ""
            where = f"Mục {r.section}" if r.section else "Phần mở đầu"
            lines.append(f"- {where} ({role}{extra}): {display(text[a:b])} [{n}]")
        return "\n".join(lines), citations


def _short(heading: str, limit: int = 90) -> str:
    return heading if len(heading) <= limit else heading[:limit].rsplit(" ", 1)[0] + "…"
