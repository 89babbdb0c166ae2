"""Header metadata of a Vietnamese administrative document, read from where the official
layout puts it: số hiệu and nơi/ngày ban hành in the header, the document type line
("KẾ HOẠCH") and trích yếu below it, the issuing body in the header (or, when the header
lacks it, the preamble's "… ban hành kế hoạch"), the distribution list (Nơi nhận) and the
signer's name at the end. A field the document does not state is None, never guessed."""
from __future__ import annotations

import re

from ingest.normalize import UPPER, strip
from ingest.obligations import _ISSUER_ACT
from ingest.structure import NAME, RECIPIENTS, Line, clean
from ingest.types import DocumentMeta, Section

# document types, diacritic-free prefix -> the name as written in running text
KINDS = {
    "ke hoach": "Kế hoạch", "chi thi": "Chỉ thị", "ket luan": "Kết luận", "nghi quyet": "Nghị quyết",
    "quyet dinh": "Quyết định", "huong dan": "Hướng dẫn", "thong bao": "Thông báo", "cong van": "Công văn",
    "bao cao": "Báo cáo", "chuong trinh": "Chương trình", "de an": "Đề án", "nghi dinh": "Nghị định",
    "thong tu": "Thông tư", "to trinh": "Tờ trình", "quy che": "Quy chế", "quy dinh": "Quy định",
    "cong dien": "Công điện",
}
_NUMBER = re.compile(r"^S[ốô]\s*:?\s*(?P<n>\S.*?)\s*$", re.IGNORECASE)
_PLACE_DATE = re.compile(r"^(?P<place>[" + UPPER + r"][^\d,]{1,40}?),\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+"
                         r"(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})\.?$")
_PLACE_DATE_NUM = re.compile(r"^(?P<place>[" + UPPER + r"][^\d,]{1,40}?),\s*ngày\s+(?P<d>\d{1,2})[/.-]"
                             r"(?P<m>\d{1,2})[/.-](?P<y>\d{4})\.?$")
_NATIONAL = ("cong hoa xa hoi chu nghia viet nam", "doc lap - tu do - hanh phuc", "dang cong san viet nam")
_CLOSING_ISSUER = re.compile(r"^Trên đây là [Kk]ế hoạch[^;.]*? của (?P<a>[" + UPPER + r"][^;.:]{3,90}?)"
                             r"(?=\s+(?:về|để|nhằm|trong)\b|[;.]|$)")


# a header line that starts a place ("TỈNH QUẢNG NGÃI" under "ỦY BAN NHÂN DÂN") continues the
# body named above it; any other line ("SỞ Y TẾ" under "UBND TỈNH ĐỒNG NAI") names the issuer
# itself, the line above being its superior body
_PLACE = re.compile(r"^(?:TỈNH|THÀNH PHỐ|TP\.?|QUẬN|THỊ XÃ|THỊ TRẤN|XÃ|PHƯỜNG|HUYỆN)\s(?!ỦY)")

def _issuing_lines(agency: list[Line]) -> list[Line]:
    start = 0
    for i, ln in enumerate(agency[1:], 1):
        if not _PLACE.match(clean(ln.text)):
            start = i
    return agency[start:]


def normalise_number(raw: str) -> str:
    """"144 -KH/ĐUK" -> "144-KH/ĐUK": no spaces around the separators of a số hiệu."""
    n = clean(raw).strip(" .,;")
    return re.sub(r"\s*([-/])\s*", r"\1", n)


def _kind_line(parsed: list[Line]) -> int | None:
    """Index of the document-type line ("KẾ HOẠCH", "## **CHỈ THỊ** ...") in the header."""
    for i, ln in enumerate(parsed[:15]):
        if ln.kind != "text":
            return None
        c = clean(ln.text)
        s = strip(c)
        for k in KINDS:
            if s.startswith(k) and c[:len(k)].isupper() and (len(s) == len(k) or not s[len(k)].isalnum()):
                return i
    return None


def extract_metadata(text: str, sections: list[Section], parsed: list[Line]) -> DocumentMeta:
    meta = DocumentMeta()
    spans: dict[str, list[int]] = {}
    kind_at = _kind_line(parsed)
    header = parsed[:kind_at] if kind_at is not None else parsed[:6]
    agency: list[Line] = []
    for ln in header:
        c = clean(ln.text)
        if (m := _NUMBER.match(c)) and meta.so_hieu is None:
            meta.so_hieu = normalise_number(m["n"])
            spans["so_hieu"] = [ln.start, ln.end]
        elif (m := _PLACE_DATE.match(c) or _PLACE_DATE_NUM.match(c)) and meta.ngay_ban_hanh is None:
            meta.noi_ban_hanh = m["place"].strip()
            meta.ngay_ban_hanh = f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}"
            spans["ngay_ban_hanh"] = spans["noi_ban_hanh"] = [ln.start, ln.end]
        elif c.isupper() and strip(c).lower().strip(" *") not in _NATIONAL and len(c) < 80 \
                and any(ch.isalpha() for ch in c):
            agency.append(ln)  # "ỦY BAN NHÂN DÂN" / "TỈNH TÂY NINH": the issuing body's lines
    if agency:
        agency = _issuing_lines(agency)
        meta.co_quan_ban_hanh = " ".join(clean(ln.text) for ln in agency)
        spans["co_quan_ban_hanh"] = [agency[0].start, agency[-1].end]
    if kind_at is not None:
        c = clean(parsed[kind_at].text)
        s = strip(c)
        k = next(k for k in KINDS if s.startswith(k))
        meta.loai = KINDS[k]
        spans["loai"] = [parsed[kind_at].start, parsed[kind_at].end]
        meta.trich_yeu = _subject(text, parsed, kind_at, c[len(k):])
    body = [ln for ln in parsed if not _in_recipients(sections, ln)]
    if meta.co_quan_ban_hanh is None and (found := _issuer(sections, body)):
        meta.co_quan_ban_hanh, spans["co_quan_ban_hanh"] = found
    meta.noi_nhan, signer = _end_block(sections, parsed)
    if signer:
        meta.nguoi_ky = clean(signer.text)
        spans["nguoi_ky"] = [signer.start, signer.end]
    meta.spans = spans or None
    return meta


def document_title(meta: DocumentMeta) -> str:
    """"KẾ HOẠCH Chuyển đổi số tỉnh Hà Tĩnh năm 2025": the type and the whole trích yếu, however
    many lines the subject took (a PDF or web page is never shown by its file name when it
    states one)."""
    if not (meta.loai and meta.trich_yeu):
        return ""
    return f"{meta.loai.upper()} {meta.trich_yeu}"


def _subject(text: str, parsed: list[Line], at: int, rest: str) -> str | None:
    """Trích yếu: the rest of the type line, else the paragraph right below it."""
    rest = clean(rest).strip(" *:-")
    if rest:
        return rest
    if at + 1 >= len(parsed):
        return None
    lines = [parsed[at + 1]]
    for ln in parsed[at + 2:]:  # the lines of one paragraph: no blank line between them
        if text[lines[-1].end:ln.start].count("\n") > 1 or ln.kind != "text" or not any(ch.isalnum() for ch in ln.text):
            break  # a blank line, a heading or the rule under the subject ("-----") ends it
        lines.append(ln)
    subject = " ".join(clean(ln.text) for ln in lines).strip(" *")
    if lines[0].kind != "text" or re.match(r"^(?:Thực hiện|Căn cứ|Kính gửi)\b", subject):
        return None  # the body starts at once: this document states no subject
    return subject or None


def _in_recipients(sections: list[Section], ln: Line) -> bool:
    return any(s.path == RECIPIENTS and s.start <= ln.start < s.end for s in sections)


def _issuer(sections: list[Section], body: list[Line]) -> tuple[str, list[int]] | None:
    """The issuing body named in the preamble ("…, Ban Thường vụ … ban hành kế hoạch") or in
    the closing sentence ("Trên đây là kế hoạch … của Sở …"), with the span of the line (the
    sentence that says so is what an answer about the issuer should quote)."""
    first = next((s.start for s in sections if s.level > 0), None)
    for ln in body:
        if first is not None and ln.start >= first:
            break
        if m := _ISSUER_ACT.search(clean(ln.text)):
            # a preamble lists the documents it implements, separated by ";": quote from
            # the last one on, the clause that says who issues this plan
            at = ln.text.find(m["a"])
            cut = ln.text.rfind(";", 0, at) + 1 if at > 0 else 0
            cut += len(ln.text[cut:]) - len(ln.text[cut:].lstrip())
            return _drop_abbreviation(m["a"]), [ln.start + cut, ln.end]
    for ln in body:
        if m := _CLOSING_ISSUER.match(clean(ln.text)):
            return _drop_abbreviation(m["a"]), [ln.start, ln.end]
    return None


def _drop_abbreviation(name: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", name.strip())


def _end_block(sections: list[Section], parsed: list[Line]) -> tuple[list[str] | None, Line | None]:
    """Nơi nhận (the distribution list) and the signer's name after it."""
    rec = next((s for s in sections if s.path == RECIPIENTS), None)
    tail = [ln for ln in parsed if rec is not None and ln.start > rec.start] if rec else parsed[-8:]
    recipients = [re.sub(r"^[-–•+]\s*", "", clean(ln.text)).rstrip(" ,;.") for ln in tail if ln.kind == "bullet"]
    signer = None
    for ln in reversed(tail):
        c = clean(ln.text)
        if NAME.match(c):
            signer = ln
            break
        if ln.kind == "bullet":
            break  # names come after the list, never inside it
    return (recipients or None) if rec else None, signer
