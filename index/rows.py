"""Obligation and cited-document rows: loaded with each index generation, filtered here.

Agency filters match any spelling through the alias table ("Sở TT&TT" finds rows of
"Sở Thông tin và Truyền thông"); number filters ignore case and spaces ("57-kl/tw")."""
from __future__ import annotations

import json
import sqlite3

from ingest.agencies import matches
from ingest.citations import normalise_number
from ingest.normalize import fold, has_diacritics, strip
from ingest.types import CitedDocument, DocumentMeta, Obligation


def _span(v) -> tuple[int, int] | None:
    return (int(v[0]), int(v[1])) if v else None


def load_obligations(con: sqlite3.Connection) -> list[Obligation]:
    out = []
    for r in con.execute("SELECT * FROM obligations ORDER BY doc, start, id"):
        spans = json.loads(r["spans"])
        out.append(Obligation(r["doc"], r["section"], r["task"], tuple(json.loads(r["lead"])),
                              tuple(json.loads(r["partners"])), r["deadline"], r["deadline_norm"], r["start"],
                              r["end"], r["source"], _span(spans["task"]), _span(spans["lead"]),
                              _span(spans["partners"]), _span(spans["deadline"])))
    return out


def load_headers(con: sqlite3.Connection) -> dict[str, DocumentMeta]:
    """Each document's header metadata (DocumentMeta, with the spans that state each field)."""
    return {r["name"]: DocumentMeta.from_json(json.loads(r["meta"] or "{}"))
            for r in con.execute("SELECT name, meta FROM documents")}


def load_citations(con: sqlite3.Connection) -> list[CitedDocument]:
    return [CitedDocument(r["doc"], r["kind"], r["number"], r["date"], r["issuer"], r["title"], r["start"], r["end"])
            for r in con.execute("SELECT * FROM citations ORDER BY doc, start, id")]


def filter_obligations(rows: list[Obligation], agency: str | None = None, doc: str | None = None,
                       role: str = "any", text: str | None = None, deadline: str | None = None) -> list[Obligation]:
    """role: "lead", "partner" or "any" (the agency leads or coordinates); agency through the
    alias table (any spelling); text and deadline as substrings, typed with or without diacritics."""
    out = []
    dl, words = text_matcher(deadline or ""), text_matcher(text or "")
    for r in rows:
        if doc and r.doc != doc:
            continue
        if agency and agency.strip():
            lead = any(matches(agency, a) for a in r.lead)
            partner = any(matches(agency, a) for a in r.partners)
            if not {"lead": lead, "partner": partner, "any": lead or partner}[role]:
                continue
        if dl and not dl(" ".join((r.deadline or "", r.deadline_norm or ""))):
            continue
        if words and not words(" ".join((r.doc, r.section, r.task, r.deadline or "", *r.lead, *r.partners))):
            continue
        out.append(r)
    return out


def text_matcher(query: str):
    """Substring test in the folded form; a query typed without diacritics matches on the
    diacritic-free form, so "tuyen truyen" finds "tuyên truyền". None for an empty query."""
    q = query.strip()
    if not q:
        return None
    form = fold if has_diacritics(q) else strip
    key = form(q)
    return lambda t: key in form(t)


def filter_citations(rows: list[CitedDocument], cites: str | None = None, doc: str | None = None) -> list[CitedDocument]:
    key = normalise_number(cites) if cites else None
    return [c for c in rows if (not key or normalise_number(c.number) == key) and (not doc or c.doc == doc)]
