"""Answer units: the pieces of a document an answer may quote, each with its exact span.

A unit is what a citation quotes whole: a sentence, a list item (read with its lead-in), a
table row (read with its column names; the task and every cell together), a labelled field
line ("Cơ quan chủ trì: …", read with its task heading), a header field (issuer, date,
number, signer), a mention of another document, or an entry of the distribution list (Nơi
nhận). Header and signature labels ("CHỦ TỊCH", "(Đã ký)") and headings in capitals ("III.
TỔ CHỨC THỰC HIỆN") are no units: they state nothing a citation could quote. ``context`` says what the unit is read
with (embedded and matched, never quoted); ``roles`` what it states: "lead", "partner",
"deadline" (from the column names, the field label, or an obligation row's spans),
"header" or "mention".
"""
from __future__ import annotations

import re
from dataclasses import replace

from ingest.chunker import sentence_spans
from ingest.normalize import SUPERSCRIPTS, strip
from ingest.structure import NUMBERED, RECIPIENTS, Line, clean, lines as parse_lines, unmarked
from ingest.types import Chunk, CitedDocument, DocumentMeta, Footnote, Obligation, Section, Unit

MAX_UNIT = 600  # characters: a longer item or row is cut into its sentences
CITED_WORDS = 8  # a footnote is read with this many words before its marker: what it explains
_CLAUSE = re.compile(r"[.,;:!?\n" + SUPERSCRIPTS + r"]|\(\d{1,2}\)")  # where the words a marker follows begin

# a label before ":" names what the line states ("Cơ quan chủ trì", "Thời gian thực hiện")
_LABEL = re.compile(r"^[-–•+*\s]*(?P<label>[^:|]{2,45}):\s*\S")
_ROLE_WORDS = (("lead", re.compile(r"chu tri|(co quan|don vi) thuc hien|phu trach|dau moi|trach nhiem")),
               ("partner", re.compile(r"phoi hop")),
               ("deadline", re.compile(r"thoi gian|thoi han|tien do|hoan thanh|han\b")))
_HEADER_LABELS = {"so_hieu": "Số hiệu", "loai": "Loại văn bản", "co_quan_ban_hanh": "Cơ quan ban hành",
                  "noi_ban_hanh": "Nơi ban hành", "ngay_ban_hanh": "Ngày ban hành",
                  "trich_yeu": "Trích yếu", "nguoi_ky": "Người ký"}


def _roles(label: str) -> tuple[str, ...]:
    s = strip(label).lower()
    return tuple(r for r, pat in _ROLE_WORDS if pat.search(s))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without spaces or markdown markers (#, *, _) at its edges."""
    while start < end and (text[start].isspace() or text[start] in "#*_"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in "*_"):
        end -= 1
    return start, end


def _is_label(line: str) -> bool:
    """A header or signature line: a short line in capitals ("ỦY BAN NHÂN DÂN", "CHỦ TỊCH",
    "T/M BAN THƯỜNG VỤ"), a parenthesised note ("(Đã ký)"), the "Nơi nhận:" line."""
    c = clean(line).strip(" *_#")
    return (len(c) <= 60 and not any(ch.islower() for ch in c)) or bool(re.fullmatch(r"\([^()]*\)", c)) \
        or bool(re.fullmatch(r"n[oơ]i nh[aậ]n\s*:?", c, re.IGNORECASE))


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"[|\s:-]+", line))


class _Builder:
    def __init__(self, doc: str, text: str, sections: list[Section], chunks: list[Chunk]):
        self.doc, self.text, self.sections = doc, text, sections
        self.chunks = [(c.start, c.end, c.ord) for c in chunks]
        self.units: list[Unit] = []

    def section_at(self, pos: int) -> Section | None:
        best = None
        for s in self.sections:
            if s.start <= pos < s.end and (best is None or s.level >= best.level):
                best = s
        return best

    def add(self, kind: str, start: int, end: int, context: str = "", roles: tuple[str, ...] = ()) -> None:
        start, end = _trim(self.text, start, end)
        if end - start < 4 or sum(ch.isalnum() for ch in self.text[start:end]) < 2:  # "-----" says nothing
            return
        chunk = next((o for a, e, o in self.chunks if a <= start < e), -1)
        self.units.append(Unit(self.doc, len(self.units), kind, start, end, self.text[start:end], context, roles,
                               chunk))

    def add_header(self, start: int, end: int, label: str) -> None:
        """A header field; the line that states it is one unit: a sentence or another field
        with the same span becomes this header unit, its labels joined ("Ngày ban hành; Nơi
        ban hành")."""
        a, e = _trim(self.text, start, end)
        for i, u in enumerate(self.units):
            if (u.start, u.end) == (a, e) and u.kind in ("sentence", "header"):
                context = f"{u.context}; {label}" if u.kind == "header" else label
                self.units[i] = replace(u, kind="header", context=context, roles=tuple(dict.fromkeys((*u.roles, "header"))))
                return
        self.add("header", start, end, label, ("header",))

    def add_split(self, kind: str, start: int, end: int, context: str, roles: tuple[str, ...] = ()) -> None:
        """One unit, or its sentences when it is too long to quote whole."""
        if end - start <= MAX_UNIT:
            self.add(kind, start, end, context, roles)
            return
        for a, b in sentence_spans(self.text, start, end):
            self.add(kind, a, b, context, roles)


def build_units(doc: str, text: str, sections: list[Section], chunks: list[Chunk],
                parsed: list[Line] | None = None, obligations: list[Obligation] = (),
                cited: list[CitedDocument] = (), meta: DocumentMeta | None = None,
                notes: list[Footnote] = ()) -> list[Unit]:
    b = _Builder(doc, text, sections, chunks)
    parsed = parse_lines(text) if parsed is None else parsed
    columns: list[str] = []
    lead_in = ""  # the last line ending with ":" that items below it continue
    prev: Line | None = None
    for ln in parsed:
        sec = b.section_at(ln.start)
        heading = clean(sec.heading) if sec and sec.heading else ""
        contiguous = prev is not None and "\n\n" not in text[prev.end:ln.start]
        if ln.text.startswith("|"):
            if _is_rule(ln.text):
                prev = ln
                continue
            if not (contiguous and prev.text.startswith("|")):
                columns = _cells(ln.text)  # the first row of a table names its columns
                prev = ln
                continue
            roles = tuple(dict.fromkeys(r for c in columns for r in _roles(c)))
            b.add_split("row", ln.start, ln.end, " | ".join(columns), roles)
            prev = ln
            continue
        m = _LABEL.match(ln.text)
        if ln.kind in NUMBERED:
            if not _is_label(unmarked(ln.text)):  # "III. TỔ CHỨC THỰC HIỆN": a title only
                b.add_split("heading", ln.start, ln.end, " > ".join(sec.breadcrumb[:-1]) if sec else "")
            lead_in = ""
        elif m and _roles(m.group("label")):
            b.add_split("field", ln.start, ln.end, heading, _roles(m.group("label")))
        elif ln.kind == "bullet":
            # the distribution list: whom the document is sent to, not what it asks
            kind = "recipient" if sec and sec.path == RECIPIENTS else "item"
            b.add_split(kind, ln.start, ln.end, lead_in or heading)
        elif _is_label(ln.text):
            pass  # a header or signature label says nothing a citation could quote; header fields get units below
        else:
            for a, e in sentence_spans(text, ln.start, ln.end):
                b.add_split("sentence", a, e, heading)
            lead_in = clean(ln.text) if ln.text.rstrip(" *_").endswith(":") else ""
        prev = ln
    for o in obligations:  # obligation rows say which units state a lead, a partner, a deadline
        for role, span in (("lead", o.lead_span), ("partner", o.partners_span), ("deadline", o.deadline_span)):
            if span:
                b.units = [u if role in u.roles or not (u.start < span[1] and span[0] < u.end) else
                           replace(u, roles=(*u.roles, role)) for u in b.units]
    if meta and meta.spans:
        for key, span in meta.spans.items():
            if key in _HEADER_LABELS and span:
                b.add_header(span[0], span[1], _HEADER_LABELS[key])
    for c in cited:
        b.add("mention", c.start, c.end, f"{c.kind} {c.number}", ("mention",))
    for n in notes:  # a footnote explains the words its marker follows ("Ban Chỉ đạo 35 huyện(1)")
        if n.marker:
            # the words back to the last clause mark or earlier marker: "an ninh, quốc phòng⁴" -> "quốc phòng"
            before = _CLAUSE.split(text[max(0, n.marker[0] - 200):n.marker[0]])[-1].split()
            cited_words = "Chú thích: " + " ".join(before[-CITED_WORDS:])
            b.units = [replace(u, context=f"{cited_words}; {u.context}" if u.context else cited_words)
                       if n.start <= u.start < n.end else u for u in b.units]
    return b.units

