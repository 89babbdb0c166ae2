"""English questions over Vietnamese documents: add the Vietnamese terms of a small domain
glossary (index/data/en_vi_glossary.tsv) to the query, so the lexical channel can match and the
dense channel sees the document's own vocabulary."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ingest.normalize import strip

GLOSSARY_FILE = Path(__file__).with_name("data") / "en_vi_glossary.tsv"


@lru_cache(maxsize=4)
def load(path: Path = GLOSSARY_FILE) -> tuple[tuple[str, str], ...]:
    """(english phrase, vietnamese term) pairs, longest phrase first."""
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        english, sep, vietnamese = line.partition("\t")
        if not sep or not vietnamese.strip():
            raise ValueError(f"{path}:{n}: expected 'english|phrases<TAB>vietnamese'")
        pairs += [(e.strip().lower(), vietnamese.strip()) for e in english.split("|") if e.strip()]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def vietnamese_terms(query: str, path: Path = GLOSSARY_FILE) -> list[str]:
    """Vietnamese terms for the English phrases in the query; each query word is used once,
    by the longest phrase that covers it ("foreign information" before "information")."""
    text = f" {_words(query)} "
    terms: list[str] = []
    for english, vietnamese in load(path):
        pattern = f" {_words(english)} "
        if pattern.strip() and pattern in text:
            text = text.replace(pattern, " | ")
            if vietnamese not in terms:
                terms.append(vietnamese)
    return terms


def _words(text: str) -> str:
    """Lower-case words without possessives: "committee's" is "committee"."""
    return " ".join(re.sub(r"'s\b", "", strip(text).lower()).replace("'", " ").translate(_PUNCT).split())


_PUNCT = str.maketrans({c: " " for c in ",.;:!?()[]\"/-"})


def expand(query: str, path: Path = GLOSSARY_FILE) -> str:
    terms = vietnamese_terms(query, path)
    return f"{query} ({'; '.join(terms)})" if terms else query
