"""Extractive answerer: picks the sentences of the top hits that answer the question and
cites each one by its exact span. No LLM; the same question and index give the same answer.

A sentence scores by how much of the question's weighted vocabulary it (and its section's
heading trail) covers, by whether it has the kind of content the question asks for (an
agency label for "who leads", a date for "when", a document number for "which document"),
and by the rank of the passage it came from. Questions that name a place or body the
passage's document never mentions are not answered from that document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from assistant.terms import DOCNUM, ROLE_SYLLABLES, QuestionTerms, named_terms, terms_of
from assistant.types import Citation
from assistant.understand import Question
from index.types import Hit
from ingest.agencies import canonical
from ingest.chunker import sentence_spans
from index.lexical import STOP_SYLLABLES
from ingest.normalize import display, strip, trim_span
from ingest.structure import clean

_ROLE_INTENTS = ("lead", "partner")
MAX_HITS = 6  # passages the answer may quote from
REFUSE_BELOW = 0.45  # best sentence must cover this share of the question's weighted words: the middle of
# the gap on dev + probe questions between unanswerable (max 0.36) and answerable (min 0.55) items
MAX_CLAUSES, MAX_QUOTE, NEXT_CLAUSE_COVER = 2, 700, 0.08  # list items taken in after a ";" clause

_MARKER = re.compile(r"^(?:[-–•+*]\s*|[a-zđ]\)\s*|\d{1,2}(?:\.\d{1,2})*\.\s*|[IVX]{1,5}\.\s*|[#*_\s]+)+")
# time expressions that set when a duty is due; a bare date is not one (it usually dates a
# cited document: "Kế hoạch số 25-KH/BCĐ, ngày 23/02/2024")
_DEADLINE = re.compile(r"thoi gian (thuc hien|hoan thanh)|thoi han|(truoc|den|cham nhat) ngay|hang (nam|quy|thang|tuan)|"
                       r"thuong xuyen|dinh ky|quy [iv]+\b|trong (nam|quy|thang) |hoan thanh (truoc|trong)|"
                       r"truoc thang|ke tu ngay")
_LEAD = re.compile(r"chu tri|co quan thuc hien|giao .{0,40}(thuc hien|chu tri)|de nghi|tham muu|"
                   r"xay dung ke hoach|chiu trach nhiem")
_CUES: dict[str, Callable[[str, Question], bool]] = {
    "lead": lambda s, q: bool(_LEAD.search(s)),
    "partner": lambda s, q: "phoi hop" in s,
    "deadline": lambda s, q: bool(_DEADLINE.search(s)),
    "cited_document": lambda s, q: bool(DOCNUM.search(s)),
    "quantity": lambda s, q: _has_count(s, q),
}
# a count, not a year, a date or part of a document number ("82-KH/TU")
_COUNT = re.compile(r"(?<![\d/.-])(\d+(?:[.,]\d+)*)(?![\d/-])\s*(\w*)")


def _has_count(s: str, q: Question) -> bool:
    for m in _COUNT.finditer(s):
        n, unit = m.group(1), m.group(2)
        if n in q.numbers or (len(n) == 4 and n[:2] in ("19", "20")):
            continue
        if q.unit is None or unit == q.unit:  # "bao nhiêu quốc gia" wants "26 quốc gia"
            return True
    return False


# intents whose answer must contain that kind of content, or there is no answer
_REQUIRED = {"quantity", "deadline", "cited_document"}


@dataclass
class _Candidate:
    rank: int
    hit: Hit
    start: int
    end: int
    score: float
    coverage: float
    own: frozenset[str] = frozenset()  # the sentence's terms (with its heading, when it opens a section)
    context: frozenset[str] = frozenset()  # the terms of its title, issuer, headings and the names asked



# "Kế hoạch của LĐLĐ Phú Riềng và kế hoạch của tỉnh Tây Ninh …": two documents asked about at once
_KIND = r"\b(ke hoach|van ban|chi thi|nghi quyet|ket luan|quyet dinh|huong dan|plan|directive)s?\b"
_TWO_DOCS = re.compile(rf"{_KIND}.*\b(va|and)\b.*{_KIND}")


# "theo phương châm nào?": the noun the question asks to fill in; a sentence that has it is
# the one that answers ("triển khai theo phương châm …")
_FOCUS = re.compile(r"(?:^|\s)(\w+(?: \w+)?) (?:nao|gi)\b")


def _focus(q: Question, terms: QuestionTerms) -> tuple[str, float]:
    m = _FOCUS.search(strip(q.text).lower())
    if not m:
        return "", 0.0
    sylls = [x for x in m.group(1).split() if x not in STOP_SYLLABLES]
    key = "s:" + "_".join(sylls) if len(sylls) > 1 else ("y:" + sylls[0] if sylls else "")
    top = max(terms.weights.values(), default=0.0)
    # a rare focus word ("phương châm") says much; a common one ("cơ quan") little
    return key, (terms.weight(key) / top if top else 0.0)


def _same(sentence: str, heading: str) -> bool:
    def bare(x: str) -> str:
        return re.sub(r"\W+", " ", strip(_MARKER.sub("", x.strip())).lower()).strip()
    return bare(sentence) == bare(heading)


class ExtractiveAnswerer:
    def __init__(self, idf: Callable[[str], float], doc_text: Callable[[str], str],
                 issuers: dict[str, str] | None = None, agencies: list[str] | None = None):
        self.idf = idf
        self._doc_text = doc_text
        # doc -> its issuing body and place: every passage is said by them, so a question that
        # names them ("… của Khối … tỉnh Ninh Bình") is covered by any passage of that document
        self._issuers = issuers or {}
        # canonical agency names, longest first so "Sở Văn hóa, Thể thao và Du lịch" wins over "Sở"
        names = sorted(agencies or (), key=len, reverse=True)
        self._agencies = re.compile("|".join(map(re.escape, names)), re.IGNORECASE) if names else None
        self._stripped = lru_cache(maxsize=64)(lambda name: strip(self._doc_text(name)).lower())

    def names_in(self, doc: str, name: str) -> bool:
        """A name counts as present when two of its adjacent syllables occur together as a
        phrase: "LĐLĐ Phú Riềng" matches "LĐLĐ huyện Phú Riềng", "Quảng Trị" does not match
        "quảng bá … chủ trì"."""
        text = self._stripped(doc)
        sylls = name.split()
        pairs = [" ".join(sylls[i:i + 2]) for i in range(len(sylls) - 1)] or sylls
        return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text) for p in pairs)

    def _context(self, hit: Hit) -> set[str]:
        c = hit.chunk
        return terms_of(" ".join((hit.doc_title, self._issuers.get(c.doc, "")) + c.breadcrumb))

    def candidates(self, q: Question, terms: QuestionTerms, hits: list[Hit],
                   names: tuple[str, ...] | None = None, not_names: tuple[str, ...] = ()) -> list[_Candidate]:
        """Sentences of the top hits, best first; only from documents naming all of `names`
        (default: every place or body the question names) and none of `not_names`."""
        names = q.names if names is None else names
        focus, focus_weight = _focus(q, terms)
        named = named_terms(q)  # checked below to occur in the document
        out: list[_Candidate] = []
        for rank, hit in enumerate(hits[:MAX_HITS]):
            c = hit.chunk
            if not all(self.names_in(c.doc, name) for name in names) \
                    or any(self.names_in(c.doc, name) for name in not_names):
                continue  # the question is about a place or body this document does not name
            context = self._context(hit) | named
            spans = self._sentences(c.text, c.start)
            heading: set[str] = set()
            for i, (start, end) in enumerate(spans):
                raw = c.text[start - c.start:end - c.start]
                if i + 1 < len(spans) and any(_same(raw, h) for h in c.breadcrumb):
                    # "III. KINH PHÍ THỰC HIỆN / Từ nguồn ngân sách…": a heading answers nothing
                    # by itself; it and the first sentence below it read as one statement
                    heading |= terms_of(raw)
                    continue
                s = strip(raw).lower()
                own = terms_of(raw) | heading
                heading = set()
                cov = terms.cover(own)
                ctx = terms.cover(own, context)
                cue = _CUES.get(q.intent)
                has_cue = bool(cue and cue(s, q))
                if q.intent in _REQUIRED and not has_cue:
                    continue
                score = 0.55 * cov + 0.3 * ctx + (0.25 if has_cue else 0.0) + 0.2 / (1 + rank)
                if focus:  # the sentence that has the asked-for noun answers; one that lacks it does not
                    score += (0.25 if terms.matched(focus, own) else -0.25) * focus_weight
                out.append(_Candidate(rank, hit, start, end, score, max(cov, ctx * 0.8),
                                      frozenset(own), frozenset(context)))
        return sorted(out, key=lambda x: (-x.score, x.rank, x.start))

    def _extend(self, c: _Candidate, terms: QuestionTerms) -> _Candidate:
        """A clause cut at ";" is often one item of a list the question asks for ("Cụm TTĐN
        tại Thác Bản Giốc…; Cụm TTĐN cửa khẩu Tà Lùng…"): take in the neighbouring clauses
        of the same sentence, either side, while they speak of the question's words."""
        ch = c.hit.chunk
        spans = self._sentences(ch.text, ch.start)
        i = spans.index((c.start, c.end)) if (c.start, c.end) in spans else None
        if i is None:
            return c

        def joins(x: tuple[int, int], y: tuple[int, int]) -> bool:  # x; y (the ";" in x or between)
            gap = ch.text[x[1] - ch.start:y[0] - ch.start].strip()
            return gap == ";" or (not gap and ch.text[x[0] - ch.start:x[1] - ch.start].rstrip().endswith(";"))

        def speaks(x: tuple[int, int]) -> bool:
            return terms.cover(terms_of(ch.text[x[0] - ch.start:x[1] - ch.start])) >= NEXT_CLAUSE_COVER

        lo = hi = i
        while hi + 1 < len(spans) and hi - i < MAX_CLAUSES and joins(spans[hi], spans[hi + 1]) \
                and spans[hi + 1][1] - spans[lo][0] <= MAX_QUOTE and speaks(spans[hi + 1]):
            hi += 1
        while lo > 0 and i - lo < MAX_CLAUSES and joins(spans[lo - 1], spans[lo]) \
                and spans[hi][1] - spans[lo - 1][0] <= MAX_QUOTE and speaks(spans[lo - 1]):
            lo -= 1
        if lo == hi:
            return c
        start, end = spans[lo][0], spans[hi][1]
        own = terms_of(ch.text[start - ch.start:end - ch.start]) | c.own
        coverage = max(terms.cover(own), 0.8 * terms.cover(own, c.context))
        return _Candidate(c.rank, c.hit, start, end, c.score, max(c.coverage, coverage), frozenset(own), c.context)

    def _task_coverage(self, c: _Candidate, terms: QuestionTerms) -> float:
        """Coverage of a who/with-whom/by-when answer without the role asked and the agencies
        the sentence names: "Sở nào chủ trì phát triển du lịch biển đảo?" is not answered by
        "Cơ quan thực hiện: …, Sở Văn hóa, Thể thao và Du lịch" through the agency's name."""
        ch = c.hit.chunk
        text = canonical(ch.text[c.start - ch.start:c.end - ch.start])
        if self._agencies:
            text = self._agencies.sub(" ", text)
        task = terms.without(ROLE_SYLLABLES)
        own = terms_of(text)
        return max(task.cover(own), 0.8 * task.cover(own, c.context))

    @staticmethod
    def _sentences(text: str, offset: int) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        pos = 0
        for line in text.split("\n"):
            m = _MARKER.match(line)
            a = pos + (m.end() if m else 0)
            b = pos + len(line.rstrip(" *_"))
            if b - a > 3:
                spans += sentence_spans(text, a, b)
            pos += len(line) + 1
        return [(offset + a, offset + b) for a, b in spans if b - a > 3]

    def answer(self, q: Question, query_tokens: list[str], hits: list[Hit]) -> tuple[str, list[Citation]]:
        """Return (answer text, citations); no citations means: refuse."""
        terms = QuestionTerms(q.text, query_tokens, self.idf)
        if len(q.names) > 1 and _TWO_DOCS.search(strip(q.text).lower()):
            text, citations = self._per_name(q, terms, hits)
            if len({c.doc for c in citations}) > 1:
                return text, citations
        cands = self.candidates(q, terms, hits)
        if not cands and len(q.names) > 1:
            return self._per_name(q, terms, hits)
        if not cands:
            return "", []
        best = self._extend(cands[0], terms)
        # English questions share no words with the text: rely on the dense ranking instead
        if not q.english and (best.coverage < REFUSE_BELOW or
                              (q.intent in _ROLE_INTENTS and self._task_coverage(best, terms) < REFUSE_BELOW)):
            return "", []
        chosen = [best]
        if q.intent == "documents":
            seen = {best.hit.chunk.doc}
            for c in cands[1:]:
                if c.hit.chunk.doc not in seen and c.score >= 0.6 * best.score and len(chosen) < 4:
                    chosen.append(c)
                    seen.add(c.hit.chunk.doc)
        else:
            for c in cands[1:]:
                if len(chosen) >= 2:
                    break
                if c.score >= 0.8 * best.score and all(abs(c.start - x.start) > 0 for x in chosen):
                    chosen.append(c)
        return self._compose(chosen)

    def _per_name(self, q: Question, terms: QuestionTerms, hits: list[Hit]) -> tuple[str, list[Citation]]:
        """"Kế hoạch của LĐLĐ Phú Riềng và kế hoạch của tỉnh Tây Ninh quy định … thế nào?": no
        document names both, so each is answered from the documents naming it, grouped by
        document; a part with no passage that covers the question is left out."""
        chosen: list[_Candidate] = []
        for name in q.names:
            others = tuple(n for n in q.names if n != name)
            # the province's plan is the one that does not also name the district (whose plan
            # names its province)
            cands = self.candidates(q, terms, hits, names=(name,), not_names=others) \
                or self.candidates(q, terms, hits, names=(name,))
            best = self._extend(cands[0], terms) if cands else None
            if best and (q.english or best.coverage >= REFUSE_BELOW) \
                    and all(best.hit.chunk.doc != c.hit.chunk.doc for c in chosen):
                chosen.append(best)
        return self._compose(chosen) if chosen else ("", [])

    def _compose(self, chosen: list[_Candidate]) -> tuple[str, list[Citation]]:
        citations: list[Citation] = []
        by_doc: dict[str, list[tuple[_Candidate, int]]] = {}
        for c in chosen:
            ch = c.hit.chunk
            # no markdown markers at the quote's edges; the span still points exactly into the text
            a, b = trim_span(ch.text, c.start - ch.start, c.end - ch.start)
            n = len(citations) + 1
            citations.append(Citation(n, ch.doc, ch.section, ch.text[a:b], ch.start + a, ch.start + b, ch.breadcrumb))
            by_doc.setdefault(ch.doc, []).append((c, n))
        lines: list[str] = []
        for doc, items in by_doc.items():
            title = items[0][0].hit.doc_title
            lines.append(f"Theo {title} ({doc}):" if title else f"Theo {doc}:")
            for c, n in items:
                ch = c.hit.chunk
                where = f"mục {ch.section}" if ch.section else "phần mở đầu"
                heading = _short(ch.breadcrumb[-1]) if ch.breadcrumb else ""
                label = f"{where} «{heading}»" if heading else where
                lines.append(f"- {label[0].upper() + label[1:]}: {display(citations[n - 1].quote)} [{n}]")
        return "\n".join(lines), citations


def _short(heading: str, limit: int = 90) -> str:
    h = clean(heading)
    return h if len(h) <= limit else h[:limit].rsplit(" ", 1)[0] + "…"
