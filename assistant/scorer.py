"""One fitted scorer: features of (question, answer unit) and a logistic model over them.

Candidates are the units (ingest.units) of the top retrieved chunks, plus the header and
cited-document units of their documents. Each gets general features — dense similarity of
question and unit, coverage of the question's rarity-weighted words, the rarest word, the
chunk's retrieval score and rank, the question's intent probabilities times what the unit
states, whether the document names the places the question names, the unit's kind and
length — and a logistic model whose weights are fitted on data (eval.fit) and shipped in
``assistant/data/scorer.json`` scores it. A second logistic model over the best candidate's
score and margin gives P(answerable); the refusal threshold is chosen on cross-fitted data.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.terms import DOCNUM, QuestionTerms, named_terms, terms_of
from assistant.understand import INTENTS, Question
from index.types import Hit
from ingest.agencies import HEADS, canonical
from ingest.normalize import has_diacritics, strip
from ingest.obligations import DEADLINE
from ingest.structure import unmarked
from ingest.types import Unit

WEIGHTS = Path(__file__).parent / "data" / "scorer.json"
MAX_HITS = 6  # chunks whose units are candidates
KINDS = ("sentence", "item", "row", "field", "heading", "header", "mention", "recipient")
# (intent, what the unit must state) pairs whose product is a feature
_ROLE_PAIRS = (("lead", "lead"), ("partner", "partner"), ("deadline", "deadline"), ("duties", "lead"),
               ("header", "header"), ("cited_document", "mention"))
FEATURES = (["dense", "dense_gap", "cover", "cover_ctx", "context_cover", "rarest", "bm25", "chunk_score", "chunk_rank",
             "top_doc", "names", "loglen", "novel", "eng_dense", "eng_cover", "has_number", "q_numbers"]
            + [f"p_{i}*{r}" for i, r in _ROLE_PAIRS] + [f"p_{i}*not_{r}" for i, r in _ROLE_PAIRS[:3]]
            + ["p_cited_document*docnum", "p_quantity*number", "p_content*prose"]
            + [f"kind_{k}" for k in KINDS]
            + ["miss_doc", "miss_rarest_doc", "names_pair", "miss_pair", "miss_rarest_pair", "miss_index", "asked_missing",
               "english", "miss_agency_doc", "miss_agency_pair"])
ANSWERABLE_FEATURES = ("top", "margin", "top_dense", "best_cover", "best_rarest", "names_pair", "top_kind_asked",
                       "miss_pair", "miss_rarest_pair", "miss_index", "asked_missing", "asked_missing_top3", "english",
                       "miss_agency_pair")
_NAMES_PAIR = ANSWERABLE_FEATURES.index("names_pair")


@dataclass
class Candidate:
    unit: Unit
    hit: Hit
    rank: int
    features: np.ndarray
    score: float = 0.0  # the model's logit: higher answers better; differences are log-odds between units
    lacks: frozenset[str] = frozenset()  # terms of the names the question gives that the unit's document lacks
    about: bool = False  # the unit (or what it is read with) names the agency whose duties are asked


@dataclass
class Model:
    """Standardised logistic regression: p = sigmoid(((x - mean) / scale) @ coef + bias)."""

    coef: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    def logit(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(x), -30, 30)))

    def to_json(self, names) -> dict:
        return {"features": list(names), "coef": self.coef.round(6).tolist(), "bias": round(float(self.bias), 6),
                "mean": self.mean.round(6).tolist(), "scale": self.scale.round(6).tolist()}

    @classmethod
    def from_json(cls, d: dict, names) -> "Model":
        if list(d["features"]) != list(names):
            raise ValueError(f"{WEIGHTS}: fitted for other features; run `python -m eval.fit`")
        return cls(np.array(d["coef"]), float(d["bias"]), np.array(d["mean"]), np.array(d["scale"]))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, weight: np.ndarray | None = None,
                 iters: int = 50) -> Model:
    """L2-regularised logistic regression by Newton's method on standardised features."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.ones(len(x)) if weight is None else weight
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        grad = z.T @ (w * (p - y)) + reg * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-7:
            break
    return Model(beta[:-1], float(beta[-1]), mean, scale)


def fit_choice(groups: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray, l2: float = 1.0,
               iters: int = 50) -> Model:
    """Conditional logit: for each question, P(unit i answers) = softmax over its candidates of
    x_i @ coef; fitted by Newton's method to put each question's mass on its gold units. The
    scores are then comparable within a question, and their level says how sure it is."""
    allx = np.vstack([x for x, _ in groups])
    mean = allx.mean(axis=0)
    scale = allx.std(axis=0)
    scale[scale < 1e-9] = 1.0
    zs = [((x - mean) / scale, y / y.sum()) for x, y in groups]

    def loss(b: np.ndarray) -> float:
        out = 0.5 * l2 * b @ b
        for (z, t), w in zip(zs, weights):
            s = z @ b
            m = s.max()
            out -= w * (t @ s - m - np.log(np.exp(s - m).sum()))
        return float(out)

    beta = np.zeros(allx.shape[1])
    current = loss(beta)
    for _ in range(iters):
        grad = l2 * beta
        hess = np.diag(np.full(len(beta), l2))
        for (z, t), w in zip(zs, weights):
            s = z @ beta
            p = np.exp(s - s.max())
            p /= p.sum()
            grad = grad + w * z.T @ (p - t)
            zp = z.T @ p
            hess = hess + w * ((z * p[:, None]).T @ z - np.outer(zp, zp))
        step = np.linalg.solve(hess, grad)
        shrink = 1.0
        while shrink > 1e-4 and loss(beta - shrink * step) > current:  # damped: never uphill
            shrink /= 2
        beta = beta - shrink * step
        previous, current = current, loss(beta)
        if previous - current < 1e-9:
            break
    return Model(beta, 0.0, mean, scale)


@dataclass
class Weights:
    unit: Model
    answerable: Model
    threshold: float  # refuse when P(answerable) is below this
    info: dict = field(default_factory=dict)  # how and on what it was fitted

    def to_json(self) -> dict:
        return {"version": 1, "unit": self.unit.to_json(FEATURES),
                "answerable": self.answerable.to_json(ANSWERABLE_FEATURES),
                "threshold": round(self.threshold, 6), "info": self.info}

    @classmethod
    def from_json(cls, d: dict) -> "Weights":
        return cls(Model.from_json(d["unit"], FEATURES), Model.from_json(d["answerable"], ANSWERABLE_FEATURES),
                   float(d["threshold"]), d.get("info", {}))

    def save(self, path: Path = WEIGHTS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def load_weights(path: Path = WEIGHTS) -> Weights:
    return Weights.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


_AT = {n: k for k, n in enumerate(FEATURES)}
# the best unit has the kind of content the question asks for (a lead, a date, a number …)
_ASKED = [n for n in FEATURES if n.startswith("p_") and "*not_" not in n]


def answerable_features(cands: list[Candidate]) -> np.ndarray:
    """The best candidate's score, its margin over the next, its dense similarity and whether
    its document names the question's places and agencies; the best coverage and rarest-word
    match of all candidates. ``cands``: scored, best first."""
    if not cands:
        return np.array([-10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    best = cands[0].features
    allx = np.stack([c.features for c in cands])
    margin = cands[0].score - cands[1].score if len(cands) > 1 else 5.0
    return np.array([cands[0].score, min(margin, 5.0), best[_AT["dense"]], allx[:, _AT["cover_ctx"]].max(),
                     allx[:, _AT["rarest"]].max(), best[_AT["names_pair"]],
                     sum(best[_AT[n]] for n in _ASKED),
                     *(best[_AT[n]] for n in ("miss_pair", "miss_rarest_pair", "miss_index", "asked_missing")),
                     allx[:3, _AT["asked_missing"]].min(), best[_AT["english"]], best[_AT["miss_agency_pair"]]])


_DOCNUM_ANYCASE = re.compile(DOCNUM.pattern, re.I)
_NUMBER = re.compile(r"(?<![\d/.-])\d+(?:[.,]\d+)*(?![\d/-])")
# a unit names an agency / states a time: what a who- or when-question asks for
_AGENCY = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(h) for h in sorted(HEADS, key=len, reverse=True)) + r")(?!\w)")
_TIME = re.compile(DEADLINE.pattern + r"|\d{1,2}/\d{1,2}(?:/\d{4})?|\d{1,2}/\d{4}|[Nn]gày\s+\d{1,2}(?![\d/.-])|[Tt]háng\s+\d+|[Nn]ăm\s+\d{4}|[Qq]uý\s")
# "(1) Ban Chỉ đạo …": a note's label, not a number it states
_LABEL = re.compile(r"^\(\d{1,2}\)")


@lru_cache(maxsize=50_000)
def _numbers(text: str) -> frozenset[str]:
    """The numbers a unit states past its marker and outside its dates, times and the numbers of
    documents it cites ("Luật … số 36/2018/QH14" states no quantity)."""
    text = _TIME.sub(" ", _DOCNUM_ANYCASE.sub(" ", _LABEL.sub(" ", unmarked(text))))
    return frozenset(n.lstrip("0") for n in _NUMBER.findall(strip(text).lower()))


def states_number(text: str, given: tuple[str, ...]) -> bool:
    """The unit states a number the question did not give: "3. Thực hiện …" or "kinh phí … năm
    2024" answers no "bao nhiêu"."""
    return bool(_numbers(text) - {n.lstrip("0") for n in given})


_DATE = r"ngày\s+\d{1,2}(?:[/.-]\d{1,2}[/.-]\d{2,4}|\s+tháng\s+\d{1,2}\s+năm\s+\d{4})"
_ISSUED = re.compile(rf"\d+[-/][^\W\d_][\w/.-]*\s*,?\s*{_DATE}|{_DATE}\s+của\b")


@lru_cache(maxsize=50_000)
def _times(text: str) -> tuple[frozenset[str], ...]:
    """The numbers of each time a unit states, past the dates cited documents were issued on
    (asked for every candidate of every question: a unit's are computed once)."""
    return tuple(frozenset(re.findall(r"\d+", m.group(0))) for m in _TIME.finditer(_ISSUED.sub(" ", text)))


# measures written as a symbol: "bao nhiêu phần trăm" is answered by "80%"
_MEASURE = {"phan": r"\d[\d.,]*\s*(?:%|phan tram\b)"}
_IN_HEADER = {"phan": r"%|\bphan tram\b"}


def asked_missing(q: Question, unit: Unit, stripped: str, has_num: bool) -> float:
    """Probability mass of what the question asks for — an agency, a time, a number of the
    asked measure ("bao nhiêu tỷ đồng") — that the unit does not state."""
    p = q.intents
    agency = bool({"lead", "partner"} & set(unit.roles)) or bool(_AGENCY.search(unit.text))
    # a time the question states itself ("… năm 2024 trước ngày nào?") does not answer it, nor
    # the date a cited document was issued ("Kế hoạch số 25-KH/BCĐ, ngày 23/02/2024 của …")
    times = _times(unit.text)
    time = any(not t or not t <= set(q.numbers) for t in times) or ("deadline" in unit.roles and not times)
    # a number of the asked measure: "12 tỷ đồng", "3 nghìn tỷ" answer "bao nhiêu tỷ", "tỷ lệ 80%" does not
    # in a table row the measure is its column's name ("Chỉ tiêu 2025 (ca)")
    number = has_num and (not q.measure or bool(re.search(_MEASURE.get(q.measure, rf"\d[\d.,]*\s+(?:\w+\s+)?{q.measure}\b"),
                                                          stripped))
                          or unit.kind == "row" and bool(re.search(_IN_HEADER.get(q.measure, rf"\b{q.measure}\b"),
                                                                   strip(unit.context).lower())))
    return (q.asks_agency * (not agency)
            + p.get("deadline", 0.0) * (not time) + p.get("quantity", 0.0) * (not number))


def name_reach(named: frozenset[str] | set[str], bodies: tuple[str, ...]) -> tuple[int, int]:
    """How far a plan naming ``named`` of a question's names reaches it: how many it names, then
    how many of those are places (a place names a plan; a body is named by many plans)."""
    return len(named), len(set(named) - set(bodies))


def _phrase(text: str) -> str:
    """The diacritic-free syllables, space-separated and space-enclosed, for phrase search."""
    return " " + " ".join(re.findall(r"\w+", strip(text).lower())) + " "


def _agencies_named(question: str) -> list[str]:
    """The agencies a question names, as folded phrases of their head and the capitalised word
    after it: "Hội Nông dân huyện Lạc Sơn có nhiệm vụ gì" -> " hoi nong ". An abbreviation the
    alias table does not expand ("Đài PT-TH") is written many ways and is left out."""
    out = []
    text = canonical(question)
    for m in _AGENCY.finditer(text):
        after = text[m.end():].split(maxsplit=1)
        word = after[0] if after else ""
        if not word[:1].isupper() or sum(c.isupper() for c in word) > 1:
            continue
        out.append(_phrase(m.group(0) + " " + word))
    return list(dict.fromkeys(out))  # each once: the share missing counts agencies, not mentions


_FOLDED_HEADS = sorted({strip(h).lower() for h in HEADS}, key=len, reverse=True)


def agencies_asked(q: Question) -> list[str]:
    """The agencies a question names (``_agencies_named``); in a question typed without marks
    or capitals, whose duties it asks: "bo chi huy quan su tinh duoc giao nhiem vu gi" ->
    " bo chi " (its head and the word after it, as a marked question gives it)."""
    named = _agencies_named(q.text)
    if named or not q.subject or has_diacritics(q.text):
        return named
    words = q.subject.split()
    for head in _FOLDED_HEADS:
        n = len(head.split())
        if words[:n] == head.split() and len(words) > n:
            # "các sở, ngành", "cấp xã" name no one agency
            return [f" {head} {words[n]} "] if words[n] not in ("cac", "nhung", "cap") else []
    return []


def _heads(name: str) -> list[str]:
    """"so tai chinh tay ninh" -> " so tai chinh tay ninh ", …, " so tai ": longest first."""
    words = name.split()
    return [" " + " ".join(words[:n]) + " " for n in range(len(words), 1, -1)]


class Featurizer:
    """Features of the candidate units of one question (see FEATURES)."""

    def __init__(self, idf: Callable[[str], float], doc_text: Callable[[str], str], issuers: dict[str, str]):
        self.idf = idf
        self._issuers = issuers
        self._doc_terms = lru_cache(maxsize=64)(lambda name: terms_of(doc_text(name)))
        self._phrases = lru_cache(maxsize=64)(lambda name: _phrase(canonical(doc_text(name))))
        self._phrases_of = lru_cache(maxsize=50_000)(lambda text: _phrase(canonical(text)))  # "Sở KH&CN" as spelled out
        # a unit's terms and its context's never change within one index generation
        self._terms = lru_cache(maxsize=50_000)(terms_of)

    def names_in(self, doc: str, name: str) -> bool:
        """A name counts as present when two of its adjacent syllables occur together as a
        phrase: "LĐLĐ Phú Riềng" matches "LĐLĐ huyện Phú Riềng", "Quảng Trị" does not match
        "quảng bá … chủ trì"."""
        sylls = name.split()
        pairs = [" ".join(sylls[i:i + 2]) for i in range(len(sylls) - 1)] or sylls
        return any(f" {p} " in self._phrases(doc) for p in pairs)

    def candidates(self, q: Question, query_tokens: list[str], hits: list[Hit], qvec: np.ndarray | None,
                   units: list[tuple[Unit, np.ndarray | None, int]]) -> list[Candidate]:
        """``units``: (unit, its e5 vector, rank of the hit it came through)."""
        terms = QuestionTerms(q.text, query_tokens, self.idf)
        # the rarest word some document has: a word no document has (terms.unseen) is miss_index's
        seen = {t: w for t, w in terms.weights.items() if t not in terms.unseen}
        rarest = max(seen, key=seen.get) if seen else None
        named = named_terms(q)
        probs = q.intents
        about_document = probs.get("header", 0.0) > 0  # who issued or signed it, when, its number
        top_score = max((h.score for h in hits), default=1.0) or 1.0
        top_doc = hits[0].chunk.doc if hits else ""
        dense = [float(v @ qvec) if v is not None and qvec is not None else 0.0 for _, v, _ in units]
        best_dense = max(dense, default=0.0)
        names_ok: dict[str, float] = {}
        miss_doc: dict[str, tuple[float, float]] = {}
        lacks: dict[str, frozenset[str]] = {}
        agency: dict[str, str] = {}  # per document: the longest head of the asked agency's name it has
        miss_index = sum(terms.weights[t] for t in terms.unseen) / terms.total
        found: dict[str, frozenset[str]] = {}  # per document: the question's terms it has
        for u, _, _ in units:
            if u.doc not in found:
                have = self._doc_terms(u.doc)
                found[u.doc] = frozenset(t for t in terms.weights if terms.matched(t, have))

        def miss(has: frozenset[str]) -> tuple[float, float]:
            return (sum(w for t, w in seen.items() if t not in has) / terms.total,
                    float(bool(rarest) and rarest not in has))

        named_in = {d: frozenset(n for n in q.names if self.names_in(d, n)) for d in found}
        # what the question asks that a pair of candidate documents lacks together: a question
        # comparing two plans names in each plan the other's places and bodies. A document that
        # names all the question names is the one asked about: it is judged alone.
        alone = {d: bool(q.names) and len(n) == len(q.names) for d, n in named_in.items()}
        miss_pair = {d: miss(f) if alone[d] else min((miss(f | g) for g in found.values()), default=(1.0, 1.0))
                     for d, f in found.items()}
        names_pair = {d: max(len(f | g) for g in named_in.values()) / len(q.names) if q.names else 1.0
                      for d, f in named_in.items()}
        q_sylls = {t for t in self._terms(q.text) if t.startswith("y:")}
        # agencies the question names that a document (or the best pair of documents) never names
        agencies = frozenset(agencies_asked(q))
        has_agency = {d: frozenset(a for a in agencies if a in self._phrases(d)) for d in found}
        n_agencies = len(agencies) or 1
        own_miss = {d: len(agencies - f) / n_agencies for d, f in has_agency.items()}
        miss_agency = {d: (own_miss[d], own_miss[d] if alone[d] else
                           min(len(agencies - (f | g)) for g in has_agency.values()) / n_agencies)
                       for d, f in has_agency.items()}
        # a question naming a plan's place or body is answered from the plans that name most of
        # its names ("theo chỉ thị của tỉnh Quảng Ngãi, …" never from the Đồng Nai plan), and of
        # those the ones naming most places: a place names a plan, a body is named by many plans
        reach = {d: name_reach(n, q.bodies) for d, n in named_in.items()}
        most = max(reach.values(), default=(0, 0))
        out: list[Candidate] = []
        for (u, _, rank), d in zip(units, dense):
            if reach[u.doc] < most:
                continue
            hit = hits[rank]
            if u.doc not in names_ok:
                names_ok[u.doc] = len(named_in[u.doc]) / len(q.names) if q.names else 1.0
                miss_doc[u.doc] = miss(found[u.doc])  # what the question asks that its whole document lacks
                lacks[u.doc] = frozenset(t for t in terms.weights if t in named and t not in found[u.doc])
                agency[u.doc] = next((p for p in _heads(q.subject) if p in self._phrases(u.doc)), "")
            own = self._terms(u.text)
            # a header field's label ("Loại văn bản", "Người ký") says what the field is: it
            # matches a question about the document itself, not one that merely says "văn bản"
            label = u.context if u.kind != "header" or about_document else ""
            ctx = self._terms(" ".join((label, hit.doc_title, self._issuers.get(u.doc, ""),
                                        *(hit.chunk.breadcrumb if u.chunk == hit.chunk.ord else ())))) | named
            cover, cover_ctx = terms.cover(own), terms.cover(own, ctx)
            sylls = {t for t in own if t.startswith("y:")}
            n_sylls = max(1, len(sylls))
            novel = len(sylls - q_sylls) / n_sylls  # what the unit says beyond restating the question
            bm25 = sum(w * 2.2 / (1 + 1.2 * (0.25 + 0.75 * n_sylls / 25)) for t, w in terms.weights.items()
                       if terms.matched(t, own)) / terms.total
            stripped = strip(u.text).lower()
            has_num = states_number(u.text, q.numbers)
            roles = set(u.roles) | ({"header"} if u.kind == "header" else set()) | \
                ({"deadline"} if DEADLINE.search(u.text) else set()) | \
                ({"mention"} if u.kind == "mention" else set())
            eng = 1.0 if q.english else 0.0
            x = [d, d - best_dense, cover, cover_ctx, terms.cover(ctx), float(bool(rarest and terms.matched(rarest, own | ctx))), bm25,
                 hit.score / top_score, 1.0 / (1 + rank), float(u.doc == top_doc), names_ok[u.doc],
                 math.log1p(len(u.text)) / 6, novel, eng * d, eng * cover_ctx, float(has_num), float(bool(q.numbers))]
            x += [probs.get(i, 0.0) * (r in roles) for i, r in _ROLE_PAIRS]
            x += [probs.get(i, 0.0) * (r not in roles) for i, r in _ROLE_PAIRS[:3]]
            x += [probs.get("cited_document", 0.0) * bool(DOCNUM.search(stripped)),
                  probs.get("quantity", 0.0) * has_num,
                  probs.get("content", 0.0) * (u.kind in ("sentence", "item"))]
            x += [float(u.kind == k) for k in KINDS]
            x += [*miss_doc[u.doc], names_pair[u.doc], *miss_pair[u.doc], miss_index, asked_missing(q, u, stripped, has_num), eng,
                  *miss_agency[u.doc]]
            about = bool(agency[u.doc]) and agency[u.doc] in self._phrases_of(u.context + " | " + u.text)
            out.append(Candidate(u, hit, rank, np.array(x, dtype=np.float64), lacks=lacks[u.doc], about=about))
        return out


def candidate_units(snap, hits: list[Hit]) -> list[tuple[Unit, np.ndarray | None, int]]:
    """The units of the top hits' chunks, then the header and cited-document units of their
    documents (a question about a plan's issuer or what it implements is answered there)."""
    out: list[tuple[Unit, np.ndarray | None, int]] = []
    seen: set[int] = set()
    vecs = snap.unit_vectors

    def add(i: int, rank: int) -> None:
        if i not in seen:
            seen.add(i)
            out.append((snap.units[i], None if vecs is None else vecs[i], rank))

    for rank, h in enumerate(hits[:MAX_HITS]):
        for i in snap.units_by_chunk.get((h.chunk.doc, h.chunk.ord), ()):
            add(i, rank)
    docs: dict[str, int] = {}
    for rank, h in enumerate(hits[:MAX_HITS]):
        docs.setdefault(h.chunk.doc, rank)
    for doc, rank in docs.items():
        for i in snap.units_by_chunk.get((doc, -1), ()):
            add(i, rank)
    return out


def score(cands: list[Candidate], weights: Weights) -> list[Candidate]:
    """Model scores, best first."""
    if cands:
        p = weights.unit.logit(np.stack([c.features for c in cands]))
        for c, s in zip(cands, p):
            c.score = float(s)
    return sorted(cands, key=lambda c: (-c.score, c.rank, c.unit.start))


def p_answerable(cands: list[Candidate], weights: Weights) -> float:
    """The refusal model's P, and 0 when the question names places or bodies and no candidate
    plan (nor pair of plans) names any of them: it asks about what the index does not hold
    (none of the 154 answerable questions of the training sets is so; eval/reports/stability.md)."""
    x = answerable_features(cands)
    if x[_NAMES_PAIR] == 0.0:
        return 0.0
    return float(weights.answerable.predict(x[None, :])[0])


__all__ = ["Candidate", "Featurizer", "Model", "Weights", "FEATURES", "INTENTS", "candidate_units", "name_reach",
           "fit_choice", "fit_logistic", "load_weights", "p_answerable", "score"]
