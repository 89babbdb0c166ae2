"""Second stage: rescore the fused top candidates with what tracuu knows that general RAG does not.

No multilingual cross-encoder can be had offline (shared/models.md), so the second stage adds
to each candidate's (min-max normalised) fused score a few bonuses, each in [0, 1]:
  kind     the question's intent against what the chunk holds: a "who leads" question and a
           chunk holding an obligation row's lead field; partner -> partners field; deadline ->
           deadline field; cited_document -> a cited-document row (its number named in the
           question counts double);
  name     the agencies and places the question names (proper names, and acronyms expanded
           through the alias table: "TTXVN" -> "Thông tấn xã Việt Nam"), found in the chunk's
           document header (who wrote the plan) or in the chunk itself;
  number   a document number the question names ("144-KH/ĐUK") in the chunk or its header;
  heading  how much of the chunk's title and heading trail the question repeats.
The intent comes from the caller (assistant.understand); everything else from the query text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.citations import _NUMBER, normalise_number
from ingest.normalize import UPPER, strip

TOP = 30  # candidates rescored; the rest keep their order below them
HEADER_CHARS = 700  # a plan's header: number, issuer, place and date, title
WEIGHTS = {"kind": 0.25, "name": 0.3, "number": 0.3, "heading": 0.3}

_NAME = re.compile(rf"(?<![\w])((?:[{UPPER}][\w&-]*)(?:\s+[{UPPER}][\w&-]*)+)")
_ACRONYM = re.compile(rf"(?<![\w])([{UPPER}][{UPPER}&]{{2,}})(?![\w])")
_NUM = re.compile(_NUMBER)
_SYLL = re.compile(r"\w+")
_STOP = frozenset("nao gi ai dau sao bao nhieu khi the nhu la thi ma co cua va voi cho o tai nhung cac mot "
                  "duoc bi de ve theo trong tren duoi tu den hay hoac khong dung sai".split())
ROLE_OF_INTENT = {"lead": "lead", "duties": "lead", "partner": "partners", "deadline": "deadline"}


@dataclass(frozen=True)
class Signals:
    intent: str = "content"  # assistant.understand's intent, when the caller has it
    names: tuple[str, ...] = ()  # stripped names; found from the query when empty


def query_names(query: str) -> tuple[str, ...]:
    from ingest.agencies import aliases

    names = []
    for m in _NAME.finditer(query):
        words = m.group(1).split()
        if m.start() == 0:  # a sentence-initial capital is not a name signal
            words = words[1:]
        if len(words) >= 2:
            names.append(strip(" ".join(words)))
    for m in _ACRONYM.finditer(query):
        names.append(strip(m.group(1)))
        for pattern, expansion in aliases():
            if pattern.fullmatch(m.group(1)):
                names.append(strip(expansion))
    return tuple(dict.fromkeys(n for n in names if n))


def _grams(text: str) -> set[str]:
    s = [w for w in _SYLL.findall(strip(text)) if w not in _STOP]
    return {" ".join(s[i:i + 2]) for i in range(len(s) - 1)} | set(s)


def _spans(snap) -> dict:
    """Per document: the role-field spans of its obligation rows and its citation rows."""
    cache = getattr(snap, "_rescore_spans", None)
    if cache is None:
        cache = {}
        for o in snap.obligations:
            d = cache.setdefault(o.doc, {"lead": [], "partners": [], "deadline": [], "cited": []})
            for role, span in (("lead", o.lead_span), ("partners", o.partners_span),
                               ("deadline", o.deadline_span)):
                if span:
                    d[role].append(tuple(span))
        for c in snap.cited:
            d = cache.setdefault(c.doc, {"lead": [], "partners": [], "deadline": [], "cited": []})
            d["cited"].append((c.start, c.end, normalise_number(c.number)))
        snap._rescore_spans = cache
    return cache


def _memo(snap, key: tuple, make):
    """What a chunk's features read (its text without marks, its heading words), kept per
    snapshot: the same chunks come back question after question, and long ones cost to strip."""
    cache = getattr(snap, "_rescore_memo", None)
    if cache is None or len(cache) > 20_000:
        cache = snap._rescore_memo = {}
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _header(snap, doc: str) -> str:
    """A document's title and first chunks (who wrote the plan), read once per snapshot."""
    cache = getattr(snap, "_rescore_headers", None)
    if cache is None:
        cache = snap._rescore_headers = {}
    if doc not in cache:
        text = ""
        for c in snap.chunks_of(doc):  # in document order: the first ones make the header
            if len(text) >= HEADER_CHARS:
                break
            text += "\n" + c.text
        cache[doc] = strip(snap.titles.get(doc, "") + "\n" + text[:HEADER_CHARS])
    return cache[doc]


def features(query: str, snap, i: int, signals: Signals, names: tuple[str, ...],
             numbers: tuple[str, ...], qgrams: set[str]) -> dict[str, float]:
    c = snap.chunks[i]
    inside = lambda sp: c.start <= sp[0] < c.end  # noqa: E731
    rows = _spans(snap).get(c.doc, {})
    f = {"kind": 0.0, "name": 0.0, "number": 0.0, "heading": 0.0}
    role = ROLE_OF_INTENT.get(signals.intent)
    if role and any(inside(sp) for sp in rows.get(role, ())):
        f["kind"] = 1.0
    elif signals.intent == "cited_document":
        cited = [sp for sp in rows.get("cited", ()) if inside(sp)]
        if cited:
            f["kind"] = 1.0 if any(sp[2] in numbers for sp in cited) else 0.5
    text = _memo(snap, ("text", c.doc, c.ord), lambda: strip(c.text))
    if names:
        head = _header(snap, c.doc)
        f["name"] = sum(1.0 if n in head else 0.5 if n in text else 0.0 for n in names) / len(names)
    if numbers:
        keyed = _memo(snap, ("number", c.doc, c.ord), lambda: strip(normalise_number(c.text)))
        head_keyed = normalise_number(_header(snap, c.doc))
        f["number"] = sum(1.0 if strip(n) in keyed or strip(n) in head_keyed.lower() else 0.0
                          for n in numbers) / len(numbers)
    trail = _memo(snap, ("trail", c.doc, c.breadcrumb),
                  lambda: _grams(" ".join((snap.titles.get(c.doc, ""), *c.breadcrumb))))
    if trail and qgrams:
        f["heading"] = len(trail & qgrams) / len(trail)
    return f


def rescore(query: str, snap, fused: dict[int, float], signals: Signals | None = None,
            weights: dict[str, float] | None = None, top: int = TOP) -> dict[int, float]:
    signals = signals or Signals()
    weights = weights or WEIGHTS
    order = sorted(fused, key=lambda i: -fused[i])
    head, rest = order[:top], order[top:]
    if not head:
        return fused
    lo, hi = min(fused[i] for i in head), max(fused[i] for i in head)
    names = signals.names or query_names(query)
    numbers = tuple(dict.fromkeys(normalise_number(m.group()) for m in _NUM.finditer(query)))
    qgrams = _grams(query)
    out: dict[int, float] = {}
    for i in head:
        f = features(query, snap, i, signals, names, numbers, qgrams)
        base = (fused[i] - lo) / (hi - lo) if hi > lo else 1.0
        out[i] = 1.0 + base + sum(weights[k] * v for k, v in f.items())  # >= 1: above the rest
    lowest = min(fused[i] for i in rest) if rest else 0.0
    span = (max(fused[i] for i in rest) - lowest) if rest else 0.0
    for i in rest:  # below every rescored candidate, in their fused order
        out[i] = (fused[i] - lowest) / span if span > 0 else 0.0
    return out
