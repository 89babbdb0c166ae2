"""Parse the numbering of Vietnamese plans and directives into a section tree.

Headings: "I." (part) > "1." (item) > "1.1" (sub-item) > "a)" (point); in a resolution,
decision or regulation "Chương I" (chapter) > "Điều 2." (article) > "1." (clause) > "a)"
(point). Bullets "-", "+",
"*" are not sections: they are the units the chunker splits at. Markdown decoration left by
document converters ("### **I. MỤC ĐÍCH**") is ignored for classification only; spans always
point at the stored text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.lazyre import LazyPattern
from ingest.normalize import UPPER, strip
from ingest.types import Section

_DECOR = LazyPattern(r"^[#\s*_>]+")
_ROMAN = LazyPattern(r"^([IVX]{1,5})\.\s*\S")
_NUM = LazyPattern(r"^(\d{1,2}(?:\.\d{1,2})*)(\.|\s)\s*\S")
_LETTER = LazyPattern(r"^([a-zđ])\)\s*\S")
# "Chương II", "CHƯƠNG 2. QUY ĐỊNH CHUNG"; "Điều 3. Điều kiện được hỗ trợ" (not "Điều chỉnh …")
_CHAPTER = LazyPattern(r"^(?:Chương|CHƯƠNG)\s+([IVX]{1,5}|\d{1,2})(?:\s*[.:\-–]|\s*$)")
_ARTICLE = LazyPattern(r"^(?:Điều|ĐIỀU)\s+(\d{1,3})\s*[.:]")
_BULLET = LazyPattern(r"^[-–•+*]\s")
_RECIPIENTS = LazyPattern(r"^n[oơ]i nh[aậ]n\s*:?\s*$", re.IGNORECASE)
# "PHỤ LỤC …", "Phụ lục: Danh mục nhiệm vụ", "Phụ lục I", "Phụ lục số 02"; not the prose
# "Phụ lục kèm theo …" (that opens no section)
_APPENDIX = LazyPattern(r"^(?:PHỤ LỤC|Phụ lục|Phụ Lục)(?:\s+(?:số\s+)?(?P<n>[IVX]{1,5}|\d{1,2}|[A-Z])\b)?(?P<rest>\s*[:.\-–]|\s*$)?")
# a personal name on its own line ("Trần Minh Khang"): the signer, the end of the signature
NAME = LazyPattern(r"^(?:[" + UPPER + r"][a-zàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]*"
                   r"\s){1,4}[" + UPPER + r"][a-zàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]+$")

RECIPIENTS = "Nơi nhận"  # section path of the distribution list at the end
APPENDIX = "Phụ lục"  # section path of an appendix (with its number: "Phụ lục II")
NUMBERED = ("chapter", "article", "roman", "num", "letter")  # line kinds of the document's own numbering
HEADINGS = NUMBERED + ("recipients", "appendix")  # line kinds that open a section


@dataclass(frozen=True)
class Line:
    start: int  # offsets of the stripped line in the document text
    end: int
    text: str  # the stripped line as stored
    kind: str  # "chapter" | "article" | "roman" | "num" | "letter" | "bullet" | "recipients" | "appendix" | "text"
    label: str = ""
    level: int = 0


def clean(line: str) -> str:
    """The line without markdown decoration, for classification and breadcrumbs."""
    return _DECOR.sub("", line).replace("**", "").replace("__", "").strip(" *_")


def classify(text: str, start: int) -> Line:
    raw = text.strip()
    lead = len(text) - len(text.lstrip())
    s, e = start + lead, start + lead + len(raw)
    c = clean(raw)
    if _RECIPIENTS.match(c.rstrip(":")) or _RECIPIENTS.match(c):
        return Line(s, e, raw, "recipients", RECIPIENTS, 1)
    if (m := _APPENDIX.match(c)) and (m["rest"] is not None or c[:7].isupper()) and len(c) < 200:
        return Line(s, e, raw, "appendix", f"{APPENDIX} {m['n']}" if m["n"] else APPENDIX, 1)
    if _BULLET.match(raw):
        return Line(s, e, raw, "bullet")
    if m := _CHAPTER.match(c):  # above an article; levels are shifted so the top one is 1
        return Line(s, e, raw, "chapter", f"Chương {m.group(1)}", 0)
    if m := _ARTICLE.match(c):  # a part's level: its clauses "1." sit below it
        return Line(s, e, raw, "article", f"Điều {m.group(1)}", 1)
    if m := _ROMAN.match(c):
        return Line(s, e, raw, "roman", m.group(1), 1)
    if (m := _NUM.match(c)) and not _looks_like_date(c):
        label = m.group(1)
        return Line(s, e, raw, "num", label, 1 + label.count(".") + 1)
    if m := _LETTER.match(c):
        return Line(s, e, raw, "letter", m.group(1), 5)
    return Line(s, e, raw, "text")


_MARKS = {"chapter": _CHAPTER, "article": _ARTICLE, "roman": _ROMAN, "num": _NUM, "letter": _LETTER}


def unmarked(text: str) -> str:
    """The line without its numbering marker or bullet ("3. Thực hiện …" -> "Thực hiện …"):
    a section's number is not a number the line states."""
    c = clean(text)
    kind = classify(c, 0).kind
    if kind == "bullet":
        return _BULLET.sub("", c, count=1)
    if kind in _MARKS:
        return c[_MARKS[kind].match(c).end(1):].lstrip(" .):-–")
    return c


def _looks_like_date(c: str) -> bool:
    return bool(re.match(r"^\d{1,2}[./]\d{1,2}[./]\d{2,4}", c))


def lines(text: str) -> list[Line]:
    out: list[Line] = []
    pos = 0
    for part in text.split("\n"):
        if part.strip():
            out.append(classify(part, pos))
        pos += len(part) + 1
    return out


def _short(heading: str, limit: int = 110) -> str:
    h = clean(heading)
    return h if len(h) <= limit else h[:limit].rsplit(" ", 1)[0] + "…"


def parse_sections(text: str, parsed: list[Line] | None = None) -> list[Section]:
    """Sections in document order; each span runs to the next heading of its level or above."""
    parsed = lines(text) if parsed is None else parsed
    heads = _end_matter([ln for ln in parsed if ln.kind in HEADINGS], parsed)
    # a plan with no roman parts uses "1." as its top level: shift levels so it is level 1
    fixed = ("recipients", "appendix")
    # (and a decision with chapters above its articles starts at the chapter)
    if (heads and not any(h.kind in ("roman", "article") for h in heads) and any(h.kind not in fixed for h in heads)) \
            or any(h.kind == "chapter" for h in heads):
        min_level = min(h.level for h in heads if h.kind not in fixed)
        heads = [Line(h.start, h.end, h.text, h.kind, h.label,
                      h.level if h.kind in fixed else h.level - min_level + 1) for h in heads]
    first = heads[0].start if heads else len(text)
    sections = [Section("", "", 0, 0, first if heads else len(text), ())]
    stack: list[tuple[Line, tuple[str, ...]]] = []
    for i, h in enumerate(heads):
        while stack and stack[-1][0].level >= h.level:
            stack.pop()
        if h.kind in fixed:
            stack.clear()
        labels = [s[0].label for s in stack] + [h.label]
        crumb = (stack[-1][1] if stack else ()) + (_short(h.text),)
        end = next((n.start for n in heads[i + 1:] if n.level <= h.level or n.kind in fixed), len(text))
        sections.append(Section(".".join(labels), h.text, h.level, h.start, end, crumb))
        stack.append((h, crumb))
    return sections


def _end_matter(heads: list[Line], parsed: list[Line]) -> list[Line]:
    """The distribution list ends with the signature (short lines: "TM. ỦY BAN NHÂN DÂN",
    "(Đã ký)", the signer's name). What follows it without a heading of its own (a task table,
    numbered annex items) opens an appendix section instead of being filed under "Nơi nhận"."""
    rec = next((h for h in heads if h.kind == "recipients"), None)
    if rec is None:
        return heads
    signed = False
    for ln in parsed:
        if ln.start <= rec.start:
            continue
        if ln.kind in ("appendix", "chapter", "article", "roman", "recipients"):
            return heads  # a heading of its own ends the list
        c = clean(ln.text)
        if ln.kind == "bullet" and not signed:
            continue
        if not ln.text.startswith("|") and len(c) <= 60 and not signed:
            signed = bool(NAME.match(c))
            continue
        annex = Line(ln.start, ln.end, ln.text, "appendix", APPENDIX, 1)
        return sorted([h for h in heads if h.start != ln.start] + [annex], key=lambda h: h.start)
    return heads


def title_of(text: str, parsed: list[Line] | None = None) -> str:
    """Document type line ("KẾ HOẠCH") and the subject line after it, from the preamble."""
    parsed = lines(text) if parsed is None else parsed
    kinds = ("ke hoach", "chi thi", "ket luan", "nghi quyet", "quyet dinh", "huong dan",
             "thong bao", "cong van", "bao cao", "chuong trinh", "de an")
    for i, ln in enumerate(parsed[:15]):
        if ln.kind != "text":
            break
        c = clean(ln.text)
        s = strip(c)
        for k in kinds:
            if s.startswith(k) and c[: len(k)].isupper():
                rest = c[len(k):].strip(" *:")
                if not rest and i + 1 < len(parsed) and parsed[i + 1].kind == "text":
                    rest = clean(parsed[i + 1].text)
                return f"{c[:len(k)]} {rest}".strip()
    return ""
