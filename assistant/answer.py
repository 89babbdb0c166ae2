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

from assistant.types import Citation
from assistant.understand import Question
from index.types import Hit
from ingest.chunker import sentence_spans
from ingest.normalize import display, strip, trim_span
from ingest.structure import clean

MAX_HITS = 6  # passages the answer may quote from
REFUSE_BELOW = 0.34  # best sentence must cover this share of the question's weighted words

_MARKER = re.compile(r"^(?:[-–•+*]\s*|[a-zđ]\)\s*|\d{1,2}(?:\.\d{1,2})*\.\s*|[IVX]{1,5}\.\s*|[#*_\s]+)+")
_DOCNUM = re.compile(r"\d+(?:/\d{4})?(?:/|-)[a-zđ]{1,6}(?:[-/][a-zđ0-9]+)*")
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
    "cited_document": lambda s, q: bool(_DOCNUM.search(s)),
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


def _terms(stripped: str) -> set[str]:
    sylls = re.findall(r"\w+", stripped)
    out = {"y:" + s for s in sylls}
    for n in (1, 2, 3, 4):
        out.update("s:" + "_".join(sylls[i:i + n]) for i in range(len(sylls) - n + 1))
    return out


def _weights(query_tokens: list[str], idf: Callable[[str], float]) -> dict[str, float]:
    """The question's diacritic-free words and syllables, weighted by rarity in the corpus."""
    return {t: w for t in set(query_tokens) if t[:2] in ("y:", "s:") and (w := idf(t)) > 0}


class ExtractiveAnswerer:
    def __init__(self, idf: Callable[[str], float], doc_text: Callable[[str], str]):
        self.idf = idf
        self._doc_text = doc_text
        self._stripped = lru_cache(maxsize=64)(lambda name: strip(self._doc_text(name)).lower())

    def names_in(self, doc: str, name: str) -> bool:
        """A name counts as present when two of its adjacent syllables occur together as a
        phrase: "LĐLĐ Phú Riềng" matches "LĐLĐ huyện Phú Riềng", "Quảng Trị" does not match
        "quảng bá … chủ trì"."""
        text = self._stripped(doc)
        sylls = name.split()
        pairs = [" ".join(sylls[i:i + 2]) for i in range(len(sylls) - 1)] or sylls
        return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text) for p in pairs)

    def candidates(self, q: Question, query_tokens: list[str], hits: list[Hit]) -> list[_Candidate]:
        weights = _weights(query_tokens, self.idf)
        total = sum(weights.values()) or 1.0
        out: list[_Candidate] = []
        for rank, hit in enumerate(hits[:MAX_HITS]):
            c = hit.chunk
            if not all(self.names_in(c.doc, name) for name in q.names):
                continue  # the question is about a place or body this document does not name
            context = _terms(strip(" ".join((hit.doc_title,) + c.breadcrumb)))
            for start, end in self._sentences(c.text, c.start):
                s = strip(c.text[start - c.start:end - c.start]).lower()
                own = _terms(s)
                cov = sum(w for t, w in weights.items() if t in own) / total
                ctx = sum(w for t, w in weights.items() if t in own or t in context) / total
                cue = _CUES.get(q.intent)
                has_cue = bool(cue and cue(s, q))
                if q.intent in _REQUIRED and not has_cue:
                    continue
                score = 0.55 * cov + 0.3 * ctx + (0.25 if has_cue else 0.0) + 0.2 / (1 + rank)
                out.append(_Candidate(rank, hit, start, end, score, max(cov, ctx * 0.8)))
        return sorted(out, key=lambda x: (-x.score, x.rank, x.start))

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
        cands = self.candidates(q, query_tokens, hits)
        if not cands:
            return "", []
        best = cands[0]
        # English questions share no words with the text: rely on the dense ranking instead
        if not q.english and best.coverage < REFUSE_BELOW:
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
