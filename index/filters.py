"""Metadata filters on search: document, issuing body, document type, year.

Filters read document metadata through one accessor, ``doc_meta``, which takes whatever the
documents table holds: the header fields (so_hieu, loai, co_quan_ban_hanh, ngay_ban_hanh as
ISO date) when the index was built by a tracuu that extracts them, else what can be read
safely from the stored text: the type from the document's own type line ("KẾ HOẠCH") and the
year from a dated header line ("Cao Bằng, ngày 09 tháng 4 năm 2021"). An issuer is never
guessed from the body. A document whose field is unknown does not pass a filter on that field.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

from ingest.agencies import canonical
from ingest.normalize import fold, strip

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


def doc_meta(con: sqlite3.Connection) -> dict[str, DocMeta]:
    cols = {r[1] for r in con.execute("PRAGMA table_info(documents)")}
    out = {}
    for r in con.execute("SELECT * FROM documents"):
        row = dict(zip(r.keys(), tuple(r))) if hasattr(r, "keys") else dict(zip(cols, r))
        text = row.get("text") or ""
        # header fields extracted at ingest (documents.meta), else what the header text says
        header = json.loads(row.get("meta") or "{}") if "meta" in cols else {}
        date = header.get("ngay_ban_hanh")
        year = int(date[:4]) if date and re.match(r"\d{4}", date) else year_from_text(text)
        dtype = header.get("loai")
        out[row["name"]] = DocMeta(row["name"], row.get("title") or "", header.get("so_hieu"),
                                   (dtype.lower() if dtype else type_from_text(text)),
                                   header.get("co_quan_ban_hanh") or None, date, year)
    return out
