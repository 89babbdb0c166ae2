"""Cited documents: "Kết luận số 57-KL/TW ngày 15/6/2023 của Bộ Chính trị về …" becomes a row
(kind, number, date, issuer, title, span). A reference needs a document number with a type
code ("57-KL/TW", "72/2015/NĐ-CP"); a bare "Nghị quyết Đại hội XIII" is not a citation."""
from __future__ import annotations

import re
from datetime import date

from ingest.lazyre import LazyPattern
from ingest.types import CitedDocument

KINDS = ("Kết luận", "Nghị quyết", "Nghị định", "Quyết định", "Chỉ thị", "Kế hoạch", "Hướng dẫn",
         "Thông tư", "Công văn", "Chương trình", "Luật", "Thông báo", "Đề án", "Báo cáo", "Tờ trình",
         "Quy định", "Quy chế")
_KIND = "|".join(f"(?i:{k[0]}){re.escape(k[1:])}" for k in KINDS)
_NUMBER = r"\d+(?:/\d{4})?\s?[-/]\s?[A-ZĐ][A-Za-zĐđ0-9]*(?:[-/][A-Za-zĐđ0-9]+)*"
_DATE = (r"(?:,\s*|\s+)(?:ngày\s+)?(?:(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"
         r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4}))")
_ISSUER = (r"\s+(?:của|giữa)\s+(?P<issuer>[^,;.“\"(\n]+?)"
           rf"(?=\s+(?:về|phê duyệt|hướng dẫn|ban hành|triển khai|thực hiện|và (?:{_KIND}))\b|[,;.“\"(\n]|$)")
_TITLE = r"\s+(?:về việc|về)\s+(?:“(?P<qtitle>[^”]+)”|(?P<title>[^;.(“\"\n]+))"
_REF = LazyPattern(rf"(?P<kind>{_KIND})\s+(?:số\s*:?\s*)?(?P<number>{_NUMBER})(?:{_DATE})?(?:{_ISSUER})?(?:{_TITLE})?")


def _iso(d: str | None, m: str | None, y: str | None) -> str | None:
    try:
        return date(int(y), int(m), int(d)).isoformat() if d and m and y else None
    except ValueError:
        return None


def normalise_number(number: str) -> str:
    return re.sub(r"\s+", "", number).upper().replace("Đ", "Đ")


def extract_citations(doc: str, text: str) -> list[CitedDocument]:
    out: list[CitedDocument] = []
    pos = 0
    while m := _REF.search(text, pos):
        # resume right after the number: a title may quote another reference
        # ("Kết luận số 90-KL/TU … về tiếp tục thực hiện Nghị quyết số 10-NQ/TU …")
        pos = m.end("number")
        kind = m.group("kind")
        kind = kind[0].upper() + kind[1:]
        title = (m.group("qtitle") or m.group("title") or "").strip(" ,") or None
        issuer = (m.group("issuer") or "").strip() or None
        out.append(CitedDocument(doc, kind, re.sub(r"\s+", "", m.group("number")),
                                 _iso(m.group("d") or m.group("d2"), m.group("m") or m.group("m2"),
                                      m.group("y") or m.group("y2")),
                                 issuer, title, m.start(), m.end()))
    return out


def same_number(a: str, b: str) -> bool:
    """'57-KL/TW' matches '57-kl/tw' and '57 - KL/TW'."""
    return normalise_number(a) == normalise_number(b)
