"""Word's automatic numbering (numbering.xml), rendered as the text Word shows.

A paragraph numbered by Word carries no number in its text, only a reference (numId, level)
either on the paragraph or through its style ("List Number", a heading style bound to a list).
The abstract definition gives each level a format (decimal, lowerLetter, upperRoman, …), a
pattern ("%1.", "%1.%2.", "%2)") and a start value. Counters run in document order per abstract
list: a level counts up, deeper levels restart below it, and a list instance with a
``startOverride`` (Word's "restart at 1") resets its level the first time it is used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


def _val(el, tag: str, default: str | None = None) -> str | None:
    child = el.find(f"{_W}{tag}") if el is not None else None
    return child.get(f"{_W}val", default) if child is not None else default


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letter(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return _letter(n)
    if fmt == "upperLetter":
        return _letter(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


class Numbering:
    """The numbering definitions of one document and the running counters."""

    def __init__(self, document) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        self.styles: dict[str, tuple[str | None, int | None, str | None]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is not None:
            self._read(root)
        self._read_styles(document)

    def _read(self, root) -> None:
        for an in root.iter(f"{_W}abstractNum"):
            levels = {}
            for lvl in an.iter(f"{_W}lvl"):
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = _Level(
                    _val(lvl, "numFmt", "decimal"), _val(lvl, "lvlText", "") or "", int(_val(lvl, "start", "1") or 1))
            self.abstract[an.get(f"{_W}abstractNumId")] = levels
        for num in root.iter(f"{_W}num"):
            overrides = {}
            for ov in num.iter(f"{_W}lvlOverride"):
                if (start := _val(ov, "startOverride")) is not None:
                    overrides[int(ov.get(f"{_W}ilvl", "0"))] = int(start)
            self.nums[num.get(f"{_W}numId")] = (_val(num, "abstractNumId"), overrides)

    def _read_styles(self, document) -> None:
        try:
            root = document.styles.element
        except (KeyError, AttributeError):
            return
        for st in root.iter(f"{_W}style"):
            numpr = st.find(f"{_W}pPr/{_W}numPr")
            num = _val(numpr, "numId")
            ilvl = _val(numpr, "ilvl")
            self.styles[st.get(f"{_W}styleId")] = (num, int(ilvl) if ilvl is not None else None,
                                                    _val(st, "basedOn"))

    def _style_ref(self, style_id: str | None) -> tuple[str | None, int | None]:
        seen = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            num, ilvl, based = self.styles[style_id]
            if num is not None:
                return num, ilvl
            style_id = based
        return None, None

    def label(self, paragraph) -> str:
        """The number Word draws before ``paragraph`` ("2.", "b)", "II.", "-" for a bullet),
        advancing the counters; "" for a paragraph that is not numbered."""
        p_pr = paragraph._p.pPr
        numpr = p_pr.find(f"{_W}numPr") if p_pr is not None else None
        num, ilvl = _val(numpr, "numId"), _val(numpr, "ilvl")
        ilvl = int(ilvl) if ilvl is not None else None
        if num is None:
            style_num, style_ilvl = self._style_ref(_val(p_pr, "pStyle") if p_pr is not None else None)
            num, ilvl = style_num, ilvl if ilvl is not None else style_ilvl
        if num is None or num == "0" or num not in self.nums:
            return ""
        ilvl = ilvl or 0
        abstract_id, overrides = self.nums[num]
        levels = self.abstract.get(abstract_id or "", {})
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(abstract_id, {})
        if num not in self.started:  # "restart numbering": a list instance with its own start
            self.started.add(num)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
                for deeper in [k for k in counters if k > lvl]:
                    del counters[deeper]
        counters[ilvl] = counters.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        level = levels[ilvl]
        if level.fmt == "none":
            return ""
        if level.fmt == "bullet":
            return "-"

        def fill(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            lv = levels.get(k, level)
            return format_number(counters.get(k, lv.start), lv.fmt)

        return re.sub(r"%(\d)", fill, level.text).strip()
