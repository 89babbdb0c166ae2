"""Split a parsed document into chunks along its structure.

Rules: a chunk belongs to one section (so never crosses a top-level part); a heading that
sits alone on its line (a title, at most a quarter of the cap) travels with the body that
follows it; chunks break between
paragraphs or bullets, and inside a paragraph only between sentences, unless one sentence
alone is over the cap. Every chunk's text is exactly ``document.text[start:end]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.normalize import UPPER
from ingest.structure import HEADINGS, Line
from ingest.tokens import count_tokens
from ingest.types import Chunk, Section

DEFAULT_MAX_TOKENS = 350
_SENTENCE_END = re.compile(r"(?<=[.;!?…])[\"”’)]*\s+(?=[\"“(]?[" + UPPER + r"0-9\-+*])")


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
    """Last resort for one sentence over the cap: cut between clauses (after ; , :), and
    between words only inside a clause that alone is over the cap."""
    def pack(bounds: list[int], s: int) -> list[tuple[int, int]]:
        out, last, stop = [], s, bounds[-1]
        for b in bounds:
            if count_tokens(text[s:b]) > cap and last > s:
                out.append((s, last))
                s = last + len(text[last:b]) - len(text[last:b].lstrip())
            last = b
        out.append((s, stop))
        return out

    def split(a: int, b: int, levels: tuple[str, ...]) -> list[tuple[int, int]]:
        if count_tokens(text[a:b]) <= cap or not levels:
            return [(a, b)]
        bounds = sorted({a + m.end() for m in re.finditer(levels[0], text[a:b])} | {b})
        return [piece for x, y in pack(bounds, a) for piece in split(x, y, levels[1:])]

    out = split(start, end, (r"[;:](?=\s)", r",(?=\s)", r"\S+"))
    return [(a, b) for a, b in out if b > a]


def _units(text: str, lines: list[Line], cap: int) -> list[_Unit]:
    units: list[_Unit] = []
    for ln in lines:
        n = count_tokens(ln.text)
        is_head = ln.kind in HEADINGS
        # leave room for the heading lines just before, which must stay with this line
        lead = next((i for i in range(len(units), 0, -1) if not units[i - 1].heading), 0)
        head = count_tokens(text[units[lead].start:ln.start]) if lead < len(units) else 0
        # only short headings (a title alone on its line) make room for themselves; a long
        # heading line carries its own body text, and the next sentence is not cut to join it
        room = cap - head if head <= cap // 4 else cap
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
                                count_tokens(body), _table_header(text, lines, a)))
    return chunks


def _table_header(text: str, lines: list[Line], start: int) -> str:
    """Column headers of the markdown table a chunk starting at ``start`` continues, if any."""
    i = next((k for k, ln in enumerate(lines) if ln.start == start), None)
    if i is None or not lines[i].text.startswith("|"):
        return ""
    k = i
    # walk up over the rows of the same table (no blank line between them)
    while k > 0 and lines[k - 1].text.startswith("|") and "\n\n" not in text[lines[k - 1].end:lines[k].start]:
        k -= 1
    if k == i or re.fullmatch(r"[|\s:-]+", lines[i].text):
        return ""  # the chunk starts at the header itself
    return " | ".join(c.strip() for c in lines[k].text.strip("|").split("|"))


def _top(sec: Section) -> str:
    return sec.path.split(".")[0]
