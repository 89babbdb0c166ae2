"""Answers from cited-document rows, across documents.

"Những kế hoạch nào triển khai Kết luận 57-KL/TW?" lists every loaded document that cites it,
one line per document, quoting the mention: the one in the preamble ("Thực hiện Kết luận số
57-KL/TW …", what the plan implements) when there is one. "Kế hoạch của Tây Ninh được ban
hành để thực hiện những văn bản nào?" lists the documents the plan's preamble cites, each
quoted at its span. Both come from the rows ingest extracted (ingest.citations), so no
document is missed because it ranked low in the search.
"""
from __future__ import annotations

import re
from typing import Callable

from assistant.docref import by_number, fits, header_words, number_key
from assistant.terms import DOCNUM
from assistant.types import Citation
from assistant.understand import Question
from index.types import Hit
from index.lexical import STOP_SYLLABLES
from ingest.agencies import canonical
from ingest.citations import KINDS
from ingest.normalize import display, nfc, strip, strip_map
from ingest.types import CitedDocument, DocumentMeta, Section

# which documents cite X: "những kế hoạch nào triển khai …", "văn bản nào dẫn …", "which plans implement …"
_WHICH_CITE = re.compile(r"\b((nhung|cac) (ke hoach|van ban)|(ke hoach|van ban|tinh|don vi|co quan)) nao\b.*"
                         r"\b(trien khai|thuc hien|cu the hoa|can cu|dan|de cap|nhac)\b|"
                         r"\bwhich (plans?|documents?)\b.*\b(implement|cite|mention|refer)")
# what a plan implements: "(để) thực hiện những văn bản nào", "căn cứ (vào) văn bản nào", "thực hiện kế hoạch số mấy"
_IMPLEMENTS = re.compile(r"\b(thuc hien|trien khai|can cu|cu the hoa)( vao| theo)? (nhung |cac )?"
                         r"(?P<kind>van ban|ke hoach|ket luan|nghi quyet|chi thi|quyet dinh|huong dan|nghi dinh)"
                         r"( so)? (nao|gi|may)\b|"
                         r"\bwhich (documents?|directives?) does\b.*\b(implement|cite)")
_KIND_OF = {"ke hoach": "Kế hoạch", "ket luan": "Kết luận", "nghi quyet": "Nghị quyết", "chi thi": "Chỉ thị",
            "quyet dinh": "Quyết định", "huong dan": "Hướng dẫn", "nghi dinh": "Nghị định"}
_ACTS = re.compile(r"(thuc hien|trien khai|can cu|cu the hoa)\W*$")  # just before the mention


MAX_QUOTE = 500  # characters of a mention's clause quoted at most


# words of "Kế hoạch của … được ban hành để" that do not tell which plan
_NOT_DESCRIBING = frozenset("ke hoach van ban cua duoc ban hanh xay dung de nham ma da la plan the of".split()) \
    | STOP_SYLLABLES


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", strip(text).lower()))


class CitedAnswerer:
    def __init__(self, cited: list[CitedDocument], headers: dict[str, DocumentMeta], titles: dict[str, str],
                 doc_text: Callable[[str], str], sections: Callable[[str], list[Section]],
                 names_in: Callable[[str, str], bool]):
        self.cited, self.headers, self.titles = cited, headers, titles
        self.doc_text, self.sections, self.names_in = doc_text, sections, names_in

    def answer(self, q: Question, hits: list[Hit]) -> tuple[str, list[Citation]]:
        """(answer, citations); ("", []) when the question is not of these kinds; (reason, [])
        when it asks which documents cite a number none of them cites."""
        s = strip(q.text).lower()
        found = list(DOCNUM.finditer(s))
        numbers = [number_key(m.group()) for m in found]
        if numbers and _WHICH_CITE.search(s):
            # the kind said before each number, to name it when no document cites it
            kinds = [next((k for k in KINDS if re.search(rf"{strip(k).lower()}\W+(so\W+)?$", s[:m.start()])),
                          "văn bản") for m in found]
            return self._citing(list(zip(numbers, kinds)))
        if m := _IMPLEMENTS.search(s):
            text = nfc(q.text)
            src = strip_map(text)[1]  # positions in the stripped question -> in the question
            subject = text[:src[m.start()]] if m.start() < len(src) else text
            return self._implemented(q, subject, numbers, _KIND_OF.get(m.group("kind") or ""), hits)
        return "", []

    def _preamble_end(self, doc: str) -> int:
        return next((sec.start for sec in self.sections(doc) if sec.level > 0), len(self.doc_text(doc)))

    def _implements(self, c: CitedDocument) -> bool:
        """The mention says the document implements it: in the preamble, or right after
        "thực hiện / triển khai / căn cứ"."""
        text = self.doc_text(c.doc)
        return c.start < self._preamble_end(c.doc) or bool(_ACTS.search(strip(text[max(0, c.start - 30):c.start]).lower()))

    def _citing(self, numbers: list[tuple[str, str]]) -> tuple[str, list[Citation]]:
        lines: list[str] = []
        citations: list[Citation] = []
        missing: list[str] = []
        for key, kind in numbers:
            rows = [c for c in self.cited if number_key(c.number) == key]
            own = by_number(self.headers, key)
            by_doc: dict[str, list[CitedDocument]] = {}
            for c in rows:
                if c.doc != own:  # a plan's own number in its header is not a citation of it
                    by_doc.setdefault(c.doc, []).append(c)
            if not by_doc:
                missing.append(f"{kind} {key.upper()}")
                continue
            first = rows[0]
            lines.append(f"Các văn bản đã nạp dẫn {first.kind} số {first.number} ({len(by_doc)} văn bản):")
            for doc, mentions in by_doc.items():
                best = next((c for c in mentions if self._implements(c)), mentions[0])
                how = "thực hiện" if self._implements(best) else "có nhắc đến"
                n = self._cite(best, citations)
                title = self.titles.get(doc) or doc
                lines.append(f"- {title} ({doc}) — {how}: «{display(citations[-1].quote)}» [{n}]")
        if missing and not citations:  # say so rather than quote a different document
            return f"Không văn bản nào đã nạp dẫn {', '.join(missing)}.", []
        return "\n".join(lines), citations

    def _implemented(self, q: Question, subject: str, numbers: list[str], kind: str | None,
                     hits: list[Hit]) -> tuple[str, list[Citation]]:
        doc = self._target(q, subject, numbers, hits)
        if doc is None:
            return "", []
        end = self._preamble_end(doc)
        seen: set[str] = set()
        rows = []
        for c in self.cited:
            if c.doc == doc and c.start < end and (kind is None or c.kind == kind) \
                    and number_key(c.number) not in seen and number_key(c.number) not in numbers:
                seen.add(number_key(c.number))
                rows.append(c)
        if not rows:
            return "", []
        citations: list[Citation] = []
        lines = [f"{self.titles.get(doc) or doc} ({doc}) được ban hành để thực hiện (theo phần mở đầu):"]
        for c in rows:
            n = self._cite(c, citations)
            lines.append(f"- {display(citations[-1].quote)} [{n}]")
        return "\n".join(lines), citations

    def _target(self, q: Question, subject: str, numbers: list[str], hits: list[Hit]) -> str | None:
        """The plan asked about: by its number, else the best-ranked document that names every
        place and body the question gives; without either, the question does not say which."""
        for key in numbers:
            if doc := by_number(self.headers, key):
                return doc
        if q.names:
            return next((h.chunk.doc for h in hits if all(self.names_in(h.chunk.doc, n) for n in q.names)), None)
        # "Kế hoạch của TTXVN thực hiện …": the words before the verb describe the plan; its
        # header (title, issuer, place, number) must have most of them
        # abbreviations typed in lower case ("ttxvn") are found in upper case
        words = (_words(canonical(subject)) | _words(canonical(subject.upper()))) - _NOT_DESCRIBING
        return next((d for d in dict.fromkeys(h.chunk.doc for h in hits)
                     if fits(words, header_words(self.headers.get(d), self.titles.get(d)))), None)

    def _cite(self, c: CitedDocument, citations: list[Citation]) -> int:
        """Quote the mention with the rest of its clause ("Kế hoạch số: 76/KH-LĐLĐ Bình Phước,
        ngày 25 tháng 7 năm 2024 về …"): the row's span can stop before the date or the subject;
        the clause ends at ";", at the line's end, or where the next cited document starts."""
        text = self.doc_text(c.doc)
        stops = [text.find(x, c.end) for x in (";", "\n")]
        stops += [o.start for o in self.cited if o.doc == c.doc and o.start >= c.end]
        end = min([x for x in stops if x >= 0] + [len(text), c.start + MAX_QUOTE])
        end = c.start + len(re.sub(r"(\s|,|;|\bvà\b)+$", "", text[c.start:max(end, c.end)]))
        n = len(citations) + 1
        citations.append(Citation(n, c.doc, "", text[c.start:end], c.start, end, ()))
        return n
