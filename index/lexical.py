"""Lexical channel: BM25 over underthesea word tokens in three forms.

A document token stream holds, for each word ("chủ trì"):
  ``w:chur_trif``  the folded word (tone-mark convention unified, lower case),
  ``s:chu_tri``    the same word without diacritics,
  ``y:chu``, ``y:tri`` its diacritic-free syllables.
A query typed with marks uses all three; one typed without marks ("co quan nao chu tri")
cannot be word-segmented reliably, so it uses its syllables (``y:``) and syllable n-grams
as candidate words (``s:co_quan``): n-grams that are not words simply match nothing.
"""
from __future__ import annotations

import math
import re
import sys
import threading
from collections import Counter
from functools import lru_cache

from ingest.normalize import fold, has_diacritics, strip

# question words and function words that say nothing about which passage answers
STOP_SYLLABLES = frozenset(
    "nao gi ai dau sao bao nhieu khi the nhu la thi ma co cua va voi cho o tai "
    "nhung cac mot duoc bi de ve theo trong tren duoi tu den hay hoac khong "
    "what which who whom when where why how is are was were the a an of in on for to "
    "and or by with do does did".split())
_WORD = re.compile(r"\w", re.UNICODE)


_LOAD = threading.Lock()
_OPTIONAL = tuple(f"underthesea.{m}" for m in ("pipeline.translate", "pipeline.classification", "pipeline.sentiment",
                                                "pipeline.lang_detect", "pipeline.dependency_parse", "agent", "address"))


@lru_cache(maxsize=1)
def _word_tokenize():
    # underthesea loads its model on the first call into a global: two threads making that
    # first call at once saw it half loaded ('NoneType' object has no attribute 'process')
    with _LOAD:
        # underthesea's __init__ tries its optional pipelines (the translator pulls in torch and
        # transformers: seconds of a cold start; the classifier, requests): tokenizing uses none
        # of them, so they are hidden for this import
        hidden = [m for m in _OPTIONAL if m not in sys.modules] if "underthesea" not in sys.modules else []
        for m in hidden:
            sys.modules[m] = None  # type: ignore[assignment]
        try:
            from underthesea import word_tokenize  # offline: its CRF model ships in the wheel
        finally:
            for m in hidden:
                sys.modules.pop(m, None)
        word_tokenize("khởi động")
    return word_tokenize


def words(text: str) -> list[str]:
    return [w for w in _word_tokenize()(text) if _WORD.search(w)]


def _syllables(word: str) -> list[str]:
    return [s for s in strip(word).split() if s]


def doc_tokens(text: str) -> list[str]:
    out: list[str] = []
    for w in words(text):
        sylls = _syllables(w)
        out.append("w:" + fold(w).replace(" ", "_"))
        out.append("s:" + "_".join(sylls))
        out.extend("y:" + s for s in sylls)
    return out


def query_tokens(text: str) -> list[str]:
    if has_diacritics(text):
        out = []
        for w in words(text):
            sylls = _syllables(w)
            if len(sylls) == 1 and sylls[0] in STOP_SYLLABLES:
                continue
            out += ["w:" + fold(w).replace(" ", "_"), "s:" + "_".join(sylls)]
            out += ["y:" + s for s in sylls if s not in STOP_SYLLABLES]
        return out
    sylls = [s for s in re.findall(r"\w+", strip(text))]
    out = ["y:" + s for s in sylls if s not in STOP_SYLLABLES]
    for n in (2, 3, 4):
        out += ["s:" + "_".join(sylls[i:i + n]) for i in range(len(sylls) - n + 1)]
    return out


class BM25:
    """Okapi BM25 (k1=1.2, b=0.75) over pre-tokenised documents, held in memory.

    Built from the token strings stored in SQLite, so nothing but text is persisted."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avgdl = (sum(self.lengths) / self.n) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, d in enumerate(docs):
            for tok, tf in Counter(d).items():
                self.postings.setdefault(tok, []).append((i, tf))

    def idf(self, tok: str) -> float:
        df = len(self.postings.get(tok, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5)) if df else 0.0

    def scores(self, query: list[str]) -> dict[int, float]:
        out: dict[int, float] = {}
        k1, b, avgdl = self.k1, self.b, self.avgdl or 1.0
        for tok in set(query):
            plist = self.postings.get(tok)
            if not plist:
                continue
            idf = self.idf(tok)
            for i, tf in plist:
                norm = tf + k1 * (1 - b + b * self.lengths[i] / avgdl)
                out[i] = out.get(i, 0.0) + idf * tf * (k1 + 1) / norm
        return out
