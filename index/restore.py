"""Put diacritics back on a query typed without them, using the indexed documents' own
vocabulary: "co quan nao chu tri" -> "cơ quan nào chủ trì".

The embedding model reads unmarked Vietnamese poorly, so the dense channel gets the
restored query. A query whose syllables are mostly unknown (English, say) is left as it is.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Iterable

from ingest.normalize import has_diacritics, strip

_SYLL = re.compile(r"\w+", re.UNICODE)

MIN_KNOWN = 0.6  # below this share of corpus syllables a query is another language (English)


# plans rarely ask questions: seed the question words users type, so "bao nhieu" is not
# read as "báo nhiều"
QUESTION_PHRASES = ("cơ quan nào, đơn vị nào, ai, bao nhiêu, mấy, khi nào, lúc nào, ngày nào, "
                    "ở đâu, đâu, là gì, cái gì, như thế nào, thế nào, vì sao, tại sao, những gì, "
                    "văn bản nào, kế hoạch nào, tỉnh nào, nước nào, những nước nào, nội dung gì. ") * 3


class Restorer:
    """A syllable bigram model of the corpus, decoded with Viterbi: each unmarked syllable
    may be any marked form seen with the same letters; the sequence with the most likely
    neighbours wins ("truyen bien gioi" -> "truyền biên giới", not "truyền biển giới")."""

    def __init__(self, texts: Iterable[str], smoothing: float = 0.5):
        self.forms: dict[str, Counter] = defaultdict(Counter)
        self.bigrams: Counter = Counter()
        for text in (QUESTION_PHRASES, *texts):
            sylls = [s.lower() for s in _SYLL.findall(text)]
            for s in sylls:
                self.forms[strip(s)][s] += 1
            self.bigrams.update(zip(sylls, sylls[1:]))
        self.unigrams = Counter()
        for c in self.forms.values():
            self.unigrams.update(c)
        self.total = sum(self.unigrams.values()) or 1
        self.smoothing = smoothing

    def _logp(self, prev: str | None, cur: str) -> float:
        uni = (self.unigrams[cur] + 0.1) / self.total
        if prev is None:
            return math.log(uni)
        lam = self.smoothing
        return math.log((self.bigrams[(prev, cur)] + lam * uni * 1000) / (self.unigrams[prev] + lam * 1000))

    def known_fraction(self, query: str) -> float:
        """Share of the query's syllables that occur in the corpus (low for English)."""
        words = [strip(w).lower() for w in _SYLL.findall(query) if not w.isdigit()]
        return sum(1 for w in words if w in self.forms) / len(words) if words else 0.0

    def restore(self, query: str, min_known: float = MIN_KNOWN) -> str:
        if has_diacritics(query):
            return query
        tokens = list(_SYLL.finditer(query))
        words = [strip(t.group()).lower() for t in tokens]
        if not words or self.known_fraction(query) < min_known:
            return query  # mostly unknown words: English or another language
        # Viterbi over candidate forms; an unknown syllable keeps its own spelling
        layers = [list(self.forms[w]) if w in self.forms else [w] for w in words]
        best = {f: (self._logp(None, f), [f]) for f in layers[0]}
        for cands in layers[1:]:
            best = {c: max(((score + self._logp(prev, c), path + [c]) for prev, (score, path) in best.items()),
                           key=lambda x: x[0]) for c in cands}
        path = max(best.values(), key=lambda x: x[0])[1]
        parts, pos = [], 0
        for tok, marked in zip(tokens, path):
            original = tok.group()
            parts.append(query[pos:tok.start()])
            # keep the user's capitals ("Tay Ninh" -> "Tây Ninh")
            parts.append("".join(m.upper() if o.isupper() else m for o, m in zip(original, marked))
                         if len(original) == len(marked) else original)
            pos = tok.end()
        parts.append(query[pos:])
        return "".join(parts)


_SEED = Restorer(())  # the question phrases alone: every stored restorer starts from them


def build_counts(texts: Iterable[str]) -> tuple[dict[tuple[str, str], list[int]], Counter, int]:
    """What a Restorer counts, for storing: (plain, form) -> [count, first position], the
    bigram counts and the number of syllables."""
    forms: dict[tuple[str, str], list[int]] = {}
    plain_of: dict[str, str] = {}
    bigrams: Counter = Counter()
    pos = 0
    for text in texts:
        sylls = [s.lower() for s in _SYLL.findall(text)]
        for s in sylls:
            p = plain_of.get(s)
            if p is None:
                p = plain_of[s] = strip(s)
            entry = forms.get((p, s))
            if entry is None:
                forms[(p, s)] = [1, pos]
            else:
                entry[0] += 1
            pos += 1
        bigrams.update(zip(sylls, sylls[1:]))
    return forms, bigrams, pos


class StoredRestorer:
    """A Restorer over counts kept in SQLite tables (``sylls``, ``bigrams``) of one or more
    stores: each query reads only the counts of its own syllables, so nothing is built at load."""

    def __init__(self, cons: list, total: int, smoothing: float = 0.5):
        self.cons = cons  # connections in corpus order (and a lock each, see ``_rows``)
        self.total = _SEED.total + total
        self.smoothing = smoothing
        self._memo = lru_cache(maxsize=256)(self._local)  # restore and known_fraction read the same counts

    def _rows(self, sql: str, args: list) -> list:
        out = []
        for con, lock in self.cons:
            with lock:
                out.extend(con.execute(sql, args).fetchall())
        return out

    def _local(self, query: str) -> Restorer:
        words = sorted({strip(w).lower() for w in _SYLL.findall(query)})
        r = Restorer.__new__(Restorer)
        r.smoothing, r.total = self.smoothing, self.total
        r.forms, r.bigrams, r.unigrams = defaultdict(Counter), Counter(), Counter()
        for w in words:
            if w in _SEED.forms:
                r.forms[w].update(_SEED.forms[w])
        if words:
            marks = ",".join("?" * len(words))
            # forms in corpus order: first seen first (ties in the decoder go the same way)
            for plain, form, n in self._rows(f"SELECT plain, form, n FROM sylls WHERE plain IN ({marks})"
                                             " ORDER BY first", words):
                r.forms[plain][form] += n
        cands = sorted({f for c in r.forms.values() for f in c})
        for c in r.forms.values():
            r.unigrams.update(c)
        if cands:
            marks = ",".join("?" * len(cands))
            for a, b, n in self._rows(f"SELECT a, b, n FROM bigrams WHERE a IN ({marks}) AND b IN ({marks})",
                                      cands + cands):
                r.bigrams[(a, b)] += n
            for pair, n in _SEED.bigrams.items():
                if pair[0] in r.unigrams and pair[1] in r.unigrams:
                    r.bigrams[pair] += n
        return r

    def known_fraction(self, query: str) -> float:
        return self._memo(query).known_fraction(query)

    def restore(self, query: str, min_known: float = MIN_KNOWN) -> str:
        if has_diacritics(query):
            return query
        return self._memo(query).restore(query, min_known)
