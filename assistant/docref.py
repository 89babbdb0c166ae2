"""How a question points at a loaded document: by its number ("Kế hoạch 144-KH/ĐUK") or by
words its header has (title, subject line, issuing body, place, number). Shared by the answerers
about documents (assistant.doc_answer, assistant.cited_answer)."""
from __future__ import annotations

import re
from typing import Iterable

from ingest.agencies import canonical
from ingest.citations import normalise_number
from ingest.normalize import strip
from ingest.types import DocumentMeta

MIN_SUBJECT_COVER = 0.6  # share of the question's describing words the document's header must have


def number_key(number: str) -> str:
    """Match form of a document number: "144-KH/ĐUK", "144 - kh/đuk" and "144-kh/duk" are equal."""
    return strip(normalise_number(number)).lower()


def by_number(headers: dict[str, DocumentMeta], key: str) -> str | None:
    """The loaded document whose own number has this key."""
    return next((d for d, h in headers.items() if h.so_hieu and number_key(h.so_hieu) == key), None)


def header_words(meta: DocumentMeta | None, title: str | None) -> set[str]:
    """The diacritic-free words of a document's header, abbreviations expanded (alias table)."""
    h = meta or DocumentMeta()
    text = " ".join(x for x in (title, h.trich_yeu, h.co_quan_ban_hanh, h.noi_ban_hanh, h.so_hieu) if x)
    return set(re.findall(r"\w+", strip(f"{text} {canonical(text)}").lower()))


def fits(words: Iterable[str], have: set[str]) -> bool:
    """Most of the describing words are in the header."""
    words = list(words)
    return bool(words) and sum(w in have for w in words) >= MIN_SUBJECT_COVER * len(words)
