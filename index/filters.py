"""Metadata filters on search: document, issuing body, document type, year.

Filters read document metadata through one accessor, ``doc_meta``, which takes whatever the
documents table holds: the header fields (so_hieu, loai, co_quan_ban_hanh, ngay_ban_hanh as
ISO date) when the index was built by a tracuu that extracts them, else what can be read
safely from the stored text: the type from the document's own type line ("KẾ HOẠCH") and the
year from a dated header line ("Cao Bằng, ngày 09 tháng 4 năm 2021"). An issuer is never
guessed from the body. A document whose field is unknown does not pass a filter on that field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ingest.agencies import canonical
from ingest.normalize import fold, strip
from ingest.types import DocumentMeta

# document types as they head a Vietnamese administrative text
DOC_TYPES = ("kế hoạch", "quyết định", "chỉ thị", "hướng dẫn", "công văn", "thông báo", "nghị quyết",
             "kết luận", "báo cáo", "thông tư", "nghị định", "luật", "chương trình", "đề án", "tờ trình")
_HEADER_LINES = 15  # the header block: number, place and date, type line
_DATE_LINE = re.compile(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+((?:19|20)\d\d)", re.IGNORECASE)


@dataclass(frozen=True)
class DocMeta:
    name: str
    title: str = ""
    number: str | None = None  # so_hieu
    type: str | None = None  # lower case, e.g. "kế hoạch"
    issuer: str | None = None
    date: str | None = None  # ISO, when known
    year: int | None = None


@dataclass(frozen=True)
class SearchFilter:
    docs: tuple[str, ...] = ()
    issuer: str | None = None  # through the alias table, diacritic-free, as a substring
    type: str | None = None
    year: int | None = None

    def __bool__(self) -> bool:
        return bool(self.docs or self.issuer or self.type or self.year)

    def allows(self, m: DocMeta) -> bool:
        if self.docs and m.name not in self.docs:
            return False
        if self.type and (m.type is None or strip(m.type) != strip(self.type)):
            return False
        # any spelling of the body: "Sở VHTTDL", "so van hoa the thao" (alias table, no marks)
        if self.issuer and (m.issuer is None or f" {_words(self.issuer)} " not in f" {_words(m.issuer)} "):
            return False
        if self.year and m.year != int(self.year):
            return False
        return True


def _words(name: str) -> str:
    return " ".join(re.findall(r"\w+", strip(canonical(name))))


def _header(text: str) -> list[str]:
    return [ln.strip(" *#\t") for ln in text.splitlines() if ln.strip(" *#\t")][:_HEADER_LINES]


def type_from_text(text: str) -> str | None:
    """The type line: a whole header line that is one of DOC_TYPES in capitals."""
    for ln in _header(text):
        head = re.sub(r"\*+", " ", ln).split("  ")[0].strip()
        words = head.split()
        for n in (2, 1, 3):
            cand = " ".join(words[:n])
            if cand.isupper() and fold(cand) in {fold(t) for t in DOC_TYPES}:
                return cand.lower()
    return None


def year_from_text(text: str) -> int | None:
    for ln in _header(text):
        if (m := _DATE_LINE.search(ln)) and len(ln) < 80:  # a date line, not a sentence citing one
            return int(m.group(1))
    return None


def doc_meta(docs: Iterable[tuple[str, str, str]], headers: dict[str, DocumentMeta]) -> dict[str, DocMeta]:
    """Filter fields per document (name, title, text): the header fields extracted at ingest
    (`headers`, from documents.meta), else what the header text says."""
    out = {}
    for name, title, text in docs:
        h = headers.get(name) or DocumentMeta()
        text = text or ""
        date = h.ngay_ban_hanh
        year = int(date[:4]) if date and re.match(r"\d{4}", date) else year_from_text(text)
        out[name] = DocMeta(name, title or "", h.so_hieu, (h.loai.lower() if h.loai else type_from_text(text)),
                            h.co_quan_ban_hanh or None, date, year)
    return out
