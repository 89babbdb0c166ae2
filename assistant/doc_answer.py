"""Answers about a document itself: who issued it, when and where, who signed it, its number.

"Ai xây dựng kế hoạch triển khai Kết luận 57-KL/TW ở huyện Phú Riềng?" asks for the plan's
issuer, not for a duty inside it; "Kế hoạch số 144-KH/ĐUK và Kế hoạch số 129-KH/ĐUK lần lượt do
cơ quan nào ban hành?" names one loaded plan and one plan that another cites; "Which of these
plans was issued in 2021, and on what date?" asks the header dates of all of them. The answer
comes from the header metadata read at ingest (ingest.metadata, with the span of the line that
states each field) and from cited-document rows, and cites those lines.

The question's subject is the first document kind it names ("kế hoạch" above); a number right
after a different kind ("Kết luận 57-KL/TW") only describes the subject, it is not asked about.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from assistant.docref import by_number, fits, header_words, number_key
from assistant.terms import DOCNUM
from assistant.types import Citation
from assistant.understand import Question
from index.types import Hit
from index.lexical import STOP_SYLLABLES
from ingest.normalize import display, strip
from ingest.types import CitedDocument, DocumentMeta

# the field asked, said with the issuing verb: "ai/cơ quan nào (đã) ban hành|xây dựng", "do ai ban
# hành", "ban hành ngày nào", "ai ký"; a wh-word apart from the verb asks something else
# ("Ai tham mưu xây dựng kế hoạch…" asks for a duty inside the plan)
_WHO = r"(?:ai|co quan nao|don vi nao|cap nao|to chuc nao|ban nao)"
_VERB = r"(?:ban hanh|xay dung|soan thao)"
_FIELDS = {
    "nguoi_ky": re.compile(r"\b(ai|nguoi nao) (da )?ky\b|\bnguoi ky\b|\bky boi\b|who signed|signed by|signator"),
    "ngay_ban_hanh": re.compile(rf"\b({_VERB}|ky)\b[^?]{{0,30}}?\b(ngay nao|khi nao|nam nao|bao gio|thoi gian nao)|"
                                r"\b(issued|signed|dated)\b.*\b(what date|which day|what day)\b|"
                                r"\bwhen was\b.*\b(issued|signed)\b"),
    "so_hieu": re.compile(r"\bso hieu\b|what number|which number"),
    "co_quan_ban_hanh": re.compile(rf"\b(do )?{_WHO} (da )?{_VERB}\b|\b{_VERB} boi\b|"
                                   r"\bwho (issued|wrote|drafted|authored)\b|\bissued by\b|"
                                   r"\bwhich (body|agency|organi[sz]ation|authority) (issued|wrote)\b"),
}
# a duty to write a plan, or the document a plan implements, is not the plan's own header
_NOT_HEADER = re.compile(r"\b(phai|can|co trach nhiem|duoc giao|chiu trach nhiem|nhiem vu|tham muu)\b|"
                         r"\b(de|nham) (thuc hien|trien khai)\b|\bcan cu\b|\b(must|should|implement\w*)\b")
_KINDS = {"ke hoach": "ke hoach", "chi thi": "chi thi", "ket luan": "ket luan", "nghi quyet": "nghi quyet",
          "quyet dinh": "quyet dinh", "huong dan": "huong dan", "thong bao": "thong bao", "cong van": "cong van",
          "chuong trinh": "chuong trinh", "nghi dinh": "nghi dinh", "thong tu": "thong tu", "de an": "de an",
          "plan": "ke hoach", "plans": "ke hoach", "directive": "chi thi", "directives": "chi thi",
          "conclusion": "ket luan", "resolution": "nghi quyet", "decision": "quyet dinh"}
_MENTION = re.compile(rf"\b(?P<kind>{'|'.join(sorted(_KINDS, key=len, reverse=True))})\b"
                      rf"(?:\s+(?:so|number|no\.?)\s*:?)?\s*(?P<num>{DOCNUM.pattern})?")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_PLURAL = re.compile(r"\b(nhung|cac) (ke hoach|van ban)\b|\b(ke hoach|van ban) nao\b|\bwhich\b.*\b(plans|documents)\b|"
                     r"\bwhich of\b")
# "văn bản nào … được nêu trong kế hoạch": asks about a document a loaded one mentions
_MENTIONED = re.compile(r"\b(duoc (neu|de cap|dan|nhac)|dan chieu|trong (ke hoach|van ban))\b|\bmentioned\b|\bcited\b")
# the question's words that only say what is asked, not which document
_ASKING = set("ai ban hanh xay dung soan thao ky nao ngay nam khi bao gio co quan don vi cap to chuc "
              "who issued issue wrote written drafted signed when what which date year plan plans".split())
_LABEL = {"co_quan_ban_hanh": "Cơ quan ban hành", "ngay_ban_hanh": "Ngày ban hành", "nguoi_ky": "Người ký",
          "so_hieu": "Số hiệu"}


NOT_LOADED = "Văn bản được hỏi không có trong các văn bản đã nạp (cũng không được văn bản nào trong đó dẫn chiếu)."


@dataclass(frozen=True)
class _Target:
    doc: str | None  # a loaded document, or
    cited: CitedDocument | None  # a document that a loaded one cites


def _fields(s: str) -> list[str]:
    """The header fields asked for; none when the question asks something else about the
    document ("ban hành để thực hiện văn bản nào?")."""
    found = [f for f, p in _FIELDS.items() if p.search(s)]
    if "nguoi_ky" in found:  # "ai ký" is also "ai": the signer, not the issuing body
        found = [f for f in found if f != "co_quan_ban_hanh"]
    return found


class DocumentAnswerer:
    def __init__(self, headers: dict[str, DocumentMeta], titles: dict[str, str], cited: list[CitedDocument],
                 doc_text: Callable[[str], str], names_in: Callable[[str, str], bool]):
        self.headers, self.titles, self.cited = headers, titles, cited
        self.doc_text, self.names_in = doc_text, names_in

    def _targets(self, q: Question, s: str, hits: list[Hit]) -> list[_Target] | None:
        """The documents asked about; None when the question names or describes a document that
        is neither loaded nor cited by a loaded one (the answer is then: no such document)."""
        mentions = list(_MENTION.finditer(s))
        loaded_kinds = {strip(h.loai or "").lower() for h in self.headers.values()} - {""}
        subject = _KINDS[mentions[0]["kind"]] if mentions else None
        numbers = [m["num"] for m in mentions if m["num"] and _KINDS[m["kind"]] == subject]
        if numbers:
            out = []
            for n in numbers:
                k = number_key(n)
                doc = by_number(self.headers, k)
                cited = None if doc else next((c for c in self.cited if number_key(c.number) == k), None)
                if doc or cited:
                    out.append(_Target(doc, cited))
            return out or None
        if subject is not None and subject not in loaded_kinds:
            return []  # "Ai ban hành Kết luận 57?" is about a cited document: the citation rows answer it
        docs = [d for d in self.headers if all(self.names_in(d, n) for n in q.names)]
        years = _YEAR.findall(s)
        if _PLURAL.search(s) and years:
            return [_Target(d, None) for d in docs
                    if (self.headers[d].ngay_ban_hanh or "")[:4] in years]
        if subject is None:
            return []
        # one plan, described by its title: the best retrieved document whose header the
        # question's describing words fit
        for h in hits[:5]:
            d = h.chunk.doc
            if d in docs and self._describes(s, d, q.names):
                return [_Target(d, None)]
        if not _MENTIONED.search(s) and q.intent not in ("documents", "cited_document") \
                and self._describing_words(s, q.names) and not any(self._describes(s, d, q.names) for d in docs):
            return None  # "Kế hoạch tuyển sinh đại học năm 2025 do ai ban hành?": not among these
        return []

    def _describes(self, s: str, doc: str, names: tuple[str, ...]) -> bool:
        words = self._describing_words(s, names)
        if not words:  # "Who issued the plan of Cao Bang?": the named place alone picks the document
            return bool(names)
        return fits(words, header_words(self.headers[doc], self.titles.get(doc)))

    @staticmethod
    def _describing_words(s: str, names: tuple[str, ...]) -> list[str]:
        # a place or body the question names was checked against the whole document already
        named = {w for n in names for w in n.split()}
        return [w for w in re.findall(r"\w+", s)
                if w not in _ASKING and w not in STOP_SYLLABLES and w not in named and len(w) > 1]

    def answer(self, q: Question, hits: list[Hit]) -> tuple[str, list[Citation]]:
        """(answer, citations); ("", []) when the question is not about a document's header;
        (reason, []) when it is, but about a document that is not here: refuse, saying why."""
        s = strip(q.text).lower()
        if _NOT_HEADER.search(s):
            return "", []
        fields = _fields(s)
        if not fields:
            return "", []
        lines: list[str] = []
        citations: list[Citation] = []
        targets = self._targets(q, s, hits)
        if targets is None:
            return NOT_LOADED, []
        for t in targets:
            if t.doc is not None:
                lines += self._loaded(t.doc, fields, citations)
            elif t.cited is not None:
                lines += self._cited(t.cited, citations)
        return ("\n".join(lines), citations) if citations else ("", [])

    def _cite(self, doc: str, span: tuple[int, int], citations: list[Citation]) -> int:
        text = self.doc_text(doc)
        a, b = span
        n = len(citations) + 1
        citations.append(Citation(n, doc, "", text[a:b], a, b, ()))
        return n

    def _loaded(self, doc: str, fields: list[str], citations: list[Citation]) -> list[str]:
        h = self.headers[doc]
        spans = h.spans or {}
        name = f"{h.loai} số {h.so_hieu}" if h.loai and h.so_hieu and h.so_hieu[0].isdigit() \
            else (self.titles.get(doc) or doc)
        out = [f"{name} ({doc}):"]
        for f in fields:
            value = getattr(h, f)
            if not value or f not in spans:
                if f in _LABEL and "loai" in spans:  # say so, and show the header to check it
                    n = self._cite(doc, tuple(spans["loai"]), citations)
                    out.append(f"- {_LABEL[f]}: văn bản không ghi ở phần đầu — «{display(citations[-1].quote)}» [{n}]")
                continue
            shown = value
            if f == "ngay_ban_hanh":  # the place is on the same line as the date
                shown = _vn_date(value) + (f", tại {h.noi_ban_hanh}" if h.noi_ban_hanh else "")
            n = self._cite(doc, tuple(spans[f]), citations)
            out.append(f"- {_LABEL[f]}: {shown} — «{display(citations[-1].quote)}» [{n}]")
        return out

    def _cited(self, c: CitedDocument, citations: list[Citation]) -> list[str]:
        n = self._cite(c.doc, (c.start, c.end), citations)
        what = f"{c.kind} số {c.number}" + (f" ngày {_vn_date(c.date)}" if c.date else "")
        who = f" do {c.issuer} ban hành" if c.issuer else " (văn bản dẫn không nêu cơ quan ban hành)"
        return [f"{what} (được dẫn trong {c.doc}):", f"- {who.strip()} — «{display(citations[-1].quote)}» [{n}]"]


def _vn_date(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(d):02d}/{int(m)}/{y}"
