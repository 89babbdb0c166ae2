"""Undo what page layout did to a document's running text, before anything else reads it.

Text converted from print (PDF, scans) carries two artefacts:
- a paragraph cut by a page break ("… là thành viên" / blank / "tích cực, có trách nhiệm …");
- footnote text (lines starting "¹", "⁴", …) that the page foot wedged between the two halves
  of a paragraph, sometimes itself cut and continued after a later paragraph.

``reflow`` joins the halves of a cut paragraph and moves each footnote right after the
paragraph that cites it (its marker, "quốc phòng⁴"), so every paragraph reads whole and a
footnote sits in the section that cites it. Words are never changed: the stored text is this
reflowed text, and every span (chunks, citations, footnotes) points into it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.normalize import SUPERSCRIPTS
from ingest.types import Footnote

_FOOTNOTE = re.compile(r"^([" + SUPERSCRIPTS + r"]+)\s+\S")
_MARKER = re.compile(r"(?<=[^\s" + SUPERSCRIPTS + r"])([" + SUPERSCRIPTS + r"]+)(?=[\s,.;:)”\"]|$)")
_TYPED_NOTE = re.compile(r"^\((\d{1,2})\)\s+\S")  # "(1) Ban Chỉ đạo thực hiện …"
_TYPED_MARKER = re.compile(r"(?<=\w)\((\d{1,2})\)(?=[\s,.;:”\"]|$)")  # "Ban Chỉ đạo 35 huyện(1)"
# a line that starts an item of its own: never the continuation of the paragraph above
_STARTS_ITEM = re.compile(r"^(?:[-–•+*]\s|[IVX]{1,5}\.\s|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)\s|#|\||\*\*)")
_TERMINAL = re.compile(r"[.:;!?…”\"/)]\**$")


def _number(marker: str) -> int:
    return int(marker.translate(str.maketrans(SUPERSCRIPTS, "1234567890")))


@dataclass
class _Line:
    text: str
    sep: str  # the whitespace that preceded it in the input


def _split(text: str) -> tuple[str, list[_Line], str]:
    parts = re.split(r"(\n\s*)", text)
    lead = ""
    lines: list[_Line] = []
    sep = ""
    for i, part in enumerate(parts):
        if i % 2:
            sep = part
        elif part:
            lines.append(_Line(part, sep))
        elif i == 0:
            lead = ""
    head = parts[0] if parts and not parts[0] else ""
    trail = sep if parts and not parts[-1] else ""
    return head + lead, lines, trail


def reflow(text: str) -> str:
    """The text with cut paragraphs joined and footnotes moved after the paragraph citing them."""
    head, lines, trail = _split(text)
    if text.startswith("\n"):
        head = re.match(r"\n\s*", text).group()
        if lines:
            lines[0].sep = ""
    body: list[_Line] = []
    notes: dict[int, list] = {}  # number -> [text, index in body it followed]
    open_note: int | None = None  # the last footnote, when its text stops mid-sentence
    wedged = False  # footnotes came between the last body line and this one
    for ln in lines:
        t = ln.text
        if m := _FOOTNOTE.match(t):
            n = _number(m.group(1))
            notes[n] = [t, len(body)]
            open_note = n if not _TERMINAL.search(t) else None
            wedged = True
            continue
        prev = body[-1].text if body else ""
        cut = prev and not _TERMINAL.search(prev) and not _STARTS_ITEM.match(t) and "\n\n" in ln.sep
        if cut and (t[:1].islower() or (wedged and t[:1].isalpha())):
            body[-1].text = prev + " " + t  # the rest of a paragraph the page cut
        elif t[:1].islower() and open_note is not None and "\n\n" in ln.sep:
            notes[open_note][0] += " " + t  # the rest of a footnote the page cut
            if _TERMINAL.search(t):
                open_note = None
            continue
        else:
            body.append(_Line(t, ln.sep))
        wedged = False
    if not notes:
        return head + "".join(ln.sep + ln.text for ln in body) + trail
    # each footnote goes after the paragraph citing it; one nobody cites stays where it was
    placed: dict[int, list[int]] = {}
    for n, (_, after) in notes.items():
        at = next((i for i, ln in enumerate(body) if any(_number(m.group(1)) == n for m in _MARKER.finditer(ln.text))),
                  after - 1)
        placed.setdefault(at, []).append(n)
    out = [head]
    for n in sorted(placed.get(-1, [])):
        out.append(notes[n][0] + "\n\n")
    for i, ln in enumerate(body):
        out.append((ln.sep if i else "") + ln.text)
        for n in sorted(placed.get(i, [])):
            out.append("\n\n" + notes[n][0])
    return "".join(out) + trail


def footnotes(text: str) -> list[Footnote]:
    """Footnote lines of stored text, each with the marker that cites it (the last one before).
    A typed note is written "(1) …" and cited "huyện(1)": such a line is a footnote only when a
    marker glued to a word cites it ("(1) Tăng cường …" alone is a list item)."""
    # every marker once, by (kind, number), in text order: a note looks up the last one before it
    marks: dict[tuple[bool, int], list[tuple[int, int]]] = {}
    for typed, pattern in ((False, _MARKER), (True, _TYPED_MARKER)):
        for mk in pattern.finditer(text):
            marks.setdefault((typed, int(mk.group(1)) if typed else _number(mk.group(1))), []).append(mk.span())
    found: list[Footnote] = []
    pos = 0
    for line in text.split("\n"):
        for typed, note in ((False, _FOOTNOTE), (True, _TYPED_NOTE)):
            if m := note.match(line):
                n = int(m.group(1)) if typed else _number(m.group(1))
                before = [span for span in marks.get((typed, n), ()) if span[1] <= pos]
                if before or not typed:
                    found.append(Footnote(n, pos, pos + len(line), before[-1] if before else None))
                break
        pos += len(line) + 1
    return found


# a gap of three spaces or more (or a tab) between two runs of text on one typed line
_GAP = re.compile(r"(?<=\S)(?:[ ]{3,}|\t+)(?=\S)")
_RIGHT_MIN = 24  # the right column of a typed header starts past this column


def unfold_columns(text: str) -> str:
    """Typed two-column blocks as the official layout reads them, left column then right.

    A plain-text header or signature is typed as two columns side by side with spaces
    ("UỶ BAN NHÂN DÂN          CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Nơi nhận:   KT. CHỦ TỊCH").
    Each such block (lines without a blank line between them, at least one of them cut by a
    wide gap) becomes its left column's lines followed by its right column's lines, so the
    issuing body, the date line and the distribution list are each lines of their own."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        block = lines[i:j]
        out.extend(_unfold(block) if block else [])
        if j < len(lines):
            out.append(lines[j])
        i = j + 1 if j > i else i + 1
    return "\n".join(out)


def _unfold(block: list[str]) -> list[str]:
    cuts = [next((m for m in _GAP.finditer(ln) if m.end() >= _RIGHT_MIN), None) for ln in block]
    cols = [m.end() for m in cuts if m is not None]
    if not cols:
        return block
    right_at = min(cols)
    left: list[str] = []
    right: list[str] = []
    for ln, cut in zip(block, cuts):
        if cut is not None:
            left.append(ln[:cut.start()].strip())
            right.append(ln[cut.end():].strip())
        elif len(ln) - len(ln.lstrip()) >= right_at - 12:
            right.append(ln.strip())  # a line of the right column alone
        else:
            left.append(ln.strip())
    return [ln for ln in left + right if ln]
