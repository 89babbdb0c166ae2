"""The question's words against a passage's: diacritic-free matching weighted by rarity in the
corpus, with the syllables a user typed with marks matched as written ("phở bò" is not "phố bộ").
Features of the answer scorer (assistant.scorer)."""
from __future__ import annotations

import re
from typing import Callable

from assistant.understand import Question
from ingest.normalize import fold, has_diacritics, nfc, strip

# a document number as the diacritic-free lowercase text has it: "144-kh/đuk", "72/2015/nđ-cp"
DOCNUM = re.compile(r"\d+(?:/\d{4})?\s?[-/]\s?[a-zđ][a-zđ0-9]*(?:[-/][a-zđ0-9]+)*")


def terms_of(text: str) -> set[str]:
    """A text's diacritic-free syllables (y:) and syllable n-grams (s:), and its syllables as
    written (f:, folded: one tone-mark convention), for accent-aware matching."""
    sylls = re.findall(r"\w+", strip(text).lower())
    out = {"y:" + s for s in sylls}
    for n in (1, 2, 3, 4):
        out.update("s:" + "_".join(sylls[i:i + n]) for i in range(len(sylls) - n + 1))
    out.update("f:" + f for f in re.findall(r"\w+", fold(text)))
    return out


# words that frame a question rather than say what it is about ("gồm những hoạt động nào",
# "lấy từ nguồn nào"): a document need not use them, so their absence from it says nothing
_FRAME = frozenset("gom bao hoat dong noi dung lay tu dau nguon cach viec the nhu ra sao ly do muc dich "
                   "cu the chi tiet quy dinh neu de cap".split())


def named_terms(q: Question) -> set[str]:
    """The terms of the places and bodies the question names, as typed. Answerers check that a
    document names them; every passage of that document is then about them, even a sentence
    that does not repeat them."""
    named = set().union(*(terms_of(n) for n in q.names)) if q.names else set()
    sylls = {x for n in q.names for x in n.split()}
    return named | {"f:" + fold(w) for w in re.findall(r"\w+", q.text) if strip(w).lower() in sylls}


class QuestionTerms:
    """The question's diacritic-free words and syllables, weighted by rarity in the corpus
    (single syllables the corpus never uses included).

    Matching is diacritic-free, so "chu tri" finds "chủ trì"; but a syllable the user typed
    with marks must also match as written: "phở bò" is not "phố … bộ"."""

    def __init__(self, question: str, query_tokens: list[str], idf: Callable[[str], float]):
        seen = {t: idf(t) for t in sorted(set(query_tokens)) if t[:2] in ("y:", "s:")}  # sorted: sums and ties never depend on hash order
        rarest = max(seen.values(), default=0.0)
        # a syllable the corpus never uses ("nấu" in "nấu phở bò") is the most specific word
        # of the question, and no passage can answer without it: weigh it as the rarest
        # so is a word ("an toàn giao thông") the corpus never has, when the question is typed
        # with marks: its words then come from word segmentation, not from every n-gram
        marked = has_diacritics(question)
        self.weights = {t: w or rarest for t, w in seen.items()
                        if w > 0 or (("_" not in t or marked) and not set(t[2:].split("_")) <= _FRAME)}
        self.total = sum(self.weights.values()) or 1.0
        # words of the question no document of the index has ("nấu phở"): nothing can answer them
        self.unseen = frozenset(t for t in self.weights if not seen[t])
        self.marked: dict[str, set[str]] = {}  # "pho" -> {"f:phơr"}
        if has_diacritics(question):
            for syl in re.findall(r"\w+", nfc(question)):
                f, bare = fold(syl), strip(syl).lower()
                if f != bare:
                    self.marked.setdefault(bare, set()).add("f:" + f)

    def matched(self, t: str, own: set[str]) -> bool:
        if t not in own:
            return False
        return all(not (need := self.marked.get(syl)) or need & own for syl in t[2:].split("_"))

    def missing(self, have: set[str]) -> float:
        """Rarity-weighted share of the question's words that ``have`` lacks."""
        return sum(w for t, w in self.weights.items() if not self.matched(t, have)) / self.total

    def cover(self, own: set[str], context: set[str] = frozenset()) -> float:
        return sum(w for t, w in self.weights.items() if self.matched(t, own) or self.matched(t, context)) / self.total
