"""Split a parsed document into chunks along its structure.

Rules: a chunk belongs to one section (so never crosses a top-level part); a heading that
sits alone on its line travels with the body that follows it; chunks break between
paragraphs or bullets, and inside a paragraph only between sentences, unless one sentence
alone is over the cap. Every chunk's text is exactly ``document.text[start:end]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.structure import Line
from ingest.tokens import count_tokens
from ingest.types import Chunk, Section

DEFAULT_MAX_TOKENS = 350
_SENTENCE_END = re.compile(r"(?<=[.;!?…])[\"”’)]*\s+(?=[\"“(]?[A-ZÀ-ỸĐ0-9\-+*])")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int
    heading: bool = False


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end] as absolute spans (split after . ; ! ? before a capital)."""
    spans, s = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((s, m.start()))
        s = m.end()
    spans.append((s, end))
    return [(a, b) for a, b in spans if b > a]


def _hard_split(text: str, start: int, end: int, cap: int) -> list[tuple[int, int]]:
    """Last resort for one sentence over the cap: cut between words."""
    out, s = [], start
    words = [m.end() for m in re.finditer(r"\S+", text[start:end])]
    last = start
    for w_end in words:
        e = start + w_end
        if count_tokens(text[s:e]) > cap and last > s:
            out.append((s, last))
            s = last + len(text[last:e]) - len(text[last:e].lstrip())
        last = e
    out.append((s, end))
    return out


def _units(text: str, lines: list[Line], cap: int) -> list[_Unit]:
    units: list[_Unit] = []
    for ln in lines:
        n = count_tokens(ln.text)
        is_head = ln.kind in ("roman", "num", "letter", "recipients")
        # leave room for the heading lines just before, which must stay with this line
        lead = next((i for i in range(len(units), 0, -1) if not units[i - 1].heading), 0)
        room = cap - count_tokens(text[units[lead].start:ln.start]) if lead < len(units) else cap
        if room < cap // 4:  # headings alone nearly fill a chunk: they must go on their own
            room = cap
        if n <= room or (is_head and n <= cap):
            units.append(_Unit(ln.start, ln.end, n, is_head))
            continue
        for a, b in sentence_spans(text, ln.start, ln.end):
            pieces = [(a, b)] if count_tokens(text[a:b]) <= room else _hard_split(text, a, b, room)
            room = cap
            units.extend(_Unit(x, y, count_tokens(text[x:y])) for x, y in pieces)
    return units


def _pack(text: str, units: list[_Unit], cap: int) -> list[tuple[int, int]]:
    # aim for evenly sized chunks, so a section over the cap is not cut into one full
    # chunk and a stray last line ("Thời gian thực hiện: ...") cut off from its task
    total = count_tokens(text[units[0].start:units[-1].end]) if units else 0
    parts = max(1, -(-total // cap))
    limit = min(cap, int(total / parts * 1.2) + 1)
    spans: list[tuple[int, int]] = []
    cur: list[_Unit] = []
    for u in units:
        size = count_tokens(text[cur[0].start:u.end]) if cur else 0
        # the hard cap wins over keeping a heading with its body (only when it must)
        if cur and (size > cap or (size > limit and len(spans) < parts - 1 and not cur[-1].heading)):
            spans.append((cur[0].start, cur[-1].end))
            cur = []
        cur.append(u)
    if cur:
        spans.append((cur[0].start, cur[-1].end))
    return spans


def chunk_document(doc_name: str, text: str, sections: list[Section], lines: list[Line],
                   max_tokens: int = DEFAULT_MAX_TOKENS) -> list[Chunk]:
    heads = {s.start: s for s in sections if s.level > 0}
    # own body of each section: from its heading to the next heading of any level
    segments: list[tuple[Section, list[Line]]] = []
    current = sections[0]
    seg: list[Line] = []
    for ln in lines:
        if ln.start in heads:
            if seg:
                segments.append((current, seg))
            current, seg = heads[ln.start], []
        seg.append(ln)
    if seg:
        segments.append((current, seg))

    # a heading-only segment is carried into the next segment of the same top-level part
    merged: list[tuple[Section, list[Line]]] = []
    carry: list[Line] = []
    for i, (sec, segl) in enumerate(segments):
        nxt = segments[i + 1][0] if i + 1 < len(segments) else None
        body = carry + segl
        only_heading = len(segl) == 1 and segl[0].kind != "text" and segl[0].kind != "bullet"
        if only_heading and nxt is not None and _top(nxt) == _top(sec) and nxt.level > sec.level:
            carry = body
            continue
        merged.append((sec, body))
        carry = []

    chunks: list[Chunk] = []
    for sec, segl in merged:
        for a, b in _pack(text, _units(text, segl, max_tokens), max_tokens):
            body = text[a:b]
            chunks.append(Chunk(doc_name, len(chunks), sec.path, sec.breadcrumb, a, b, body,
                                count_tokens(body)))
    return chunks


def _top(sec: Section) -> str:
    return sec.path.split(".")[0]
