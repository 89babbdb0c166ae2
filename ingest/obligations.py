"""Obligations as data: who leads, who coordinates, by when, with the span of each.

Plans state duties in a few recurring shapes; each has its extractor:
- labelled fields under a task ("- Cơ quan chủ trì: …", "- Cơ quan phối hợp: …",
  "- Thời gian thực hiện: …"); the task is the "*" bullet or the section heading above them;
- table rows with columns such as Nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian;
- the TỔ CHỨC THỰC HIỆN part, whose numbered headings name an agency and whose lines are
  its duties ("1. Ban Tuyên giáo …" → its bullets), or which start with the agency
  ("1. Ban Tuyên giáo Đảng ủy TTXVN tham mưu xây dựng …");
- prose: "Giao Sở Ngoại vụ chủ trì, phối hợp với … trước ngày 30/6/2025", "Đề nghị Ban …",
  "Sở Tài chính: Phối hợp với …";
- reporting duties with a due time ("báo cáo kết quả … trước ngày 30 tháng 11 hàng năm").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.lazyre import LazyPattern
from ingest.agencies import split_agencies, starts_agency
from ingest.normalize import UPPER, strip
from ingest.structure import RECIPIENTS, Line, clean
from ingest.types import Obligation, Section, Span

_PREFIX = LazyPattern(r"^[-–•+*\s]*")
_FIELD = LazyPattern(r"^(?:Cơ quan|Đơn vị)\s+(?P<role>chủ trì|thực hiện|phối hợp)\b[^:]{0,60}:\s*(?P<value>\S.*)$",
                     re.IGNORECASE)
_TIME = LazyPattern(r"^(?:Thời gian|Thời hạn)(?:\s+(?:thực hiện|hoàn thành))?\s*:\s*(?P<value>\S.*)$", re.IGNORECASE)
DEADLINE = LazyPattern(
    r"(?:(?:trước|chậm nhất|đến|trong|vào)\s+(?:ngày\s+)?\d{1,2}(?:/\d{1,2}(?:/\d{4})?|\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)"
    r"(?:\s+(?:hàng|hằng)\s+năm)?"
    r"|[Qq]uý\s+[IVX]+(?:\s*,\s*[IVX]+)*\s*/\s*\d{4}|[Qq]uý\s+[IVX]+\s+năm\s+\d{4}"
    r"|[Tt]rong\s+năm\s+\d{4}"
    r"|[Tt]hường xuyên|(?:hàng|hằng)\s+(?:năm|quý|tháng|tuần)|định kỳ)")
_VERBS = ("xây dựng", "tham mưu", "phối hợp", "chủ trì", "thực hiện", "triển khai", "quán triệt", "tổ chức",
          "căn cứ", "theo dõi", "hướng dẫn", "chỉ đạo", "bố trí", "đẩy mạnh", "tăng cường", "có trách nhiệm",
          "chịu trách nhiệm", "báo cáo", "tuyên truyền", "nghiên cứu", "rà soát", "kiểm tra", "phổ biến",
          "bám sát", "vận động", "cụ thể hóa", "nắm bắt", "nắm chắc", "tiếp tục", "đôn đốc", "tổng hợp",
          "chú trọng", "phát huy", "bảo đảm", "đảm bảo", "chủ động", "tích cực", "cung cấp", "gửi", "làm rõ",
          "quan tâm", "khẩn trương")
# a lower-case verb after the agency ends its name; "các tổ chức", "tổ chức đảng" are nouns
_VERB = LazyPattern(r"(?<!các )(?<!những )(?<!ban )(?<!cơ quan )\b(?:" + "|".join(_VERBS) + r")\b(?! (?:đảng|chính trị|đoàn thể|quốc tế|cơ sở))")
_PARTNER = LazyPattern(r"[Pp]hối hợp(?: chặt chẽ)?(?: với)?\s+(?P<p>.+?)(?=\s+(?:để|nhằm|trong|thường xuyên|hoàn thành|"
                       r"trước|chậm nhất|"
                       + "|".join(_VERBS) + r")\b|[;.:]|$)")
# "giao/đề nghị/yêu cầu" + a list of agencies (commas and ";" included) up to the verb
_ASSIGN = LazyPattern(r"(?:^|[.;]\s+|\b)(?:[Gg]iao|[Đđ]ề nghị|[Yy]êu cầu)\s+(?P<a>.+?)(?=\s+(?:" + "|".join(_VERBS)
                      + r")\b|\s*\(|[:.]|$)")
# the issuer's own act in the preamble: "Thực hiện …, Ban Thường vụ … ban hành kế hoạch …"
_ISSUER_ACT = LazyPattern(r"(?:^|,\s*)(?P<a>[" + UPPER + r"][^,;:]{3,90}?)\s+(?:ban hành|xây dựng)\s+(?:[Kk]ế hoạch|[Cc]hương trình)")
_FOOTNOTE = LazyPattern(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
_MAX_AGENCY_WORDS = 25


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split at . ! ? only: a ";" inside a duty often separates items of one agency list."""
    spans, s = [], start
    for m in re.finditer(r"(?<=[.!?])\s+(?=[" + UPPER + "])", text[start:end]):
        spans.append((s, start + m.start()))
        s = start + m.end()
    spans.append((s, end))
    return [(a, b) for a, b in spans if b > a]


def _agencies(phrase: str) -> list[str]:
    """Agencies named by a phrase, or none when it does not read as agency names."""
    if not starts_agency(phrase) or len(phrase.split()) > _MAX_AGENCY_WORDS:
        return []
    return split_agencies(phrase)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


@dataclass(frozen=True)
class _Content:
    start: int
    end: int
    text: str
    label: bool = False  # an item label ("b)", "2.") was cut from its front


_LABEL = LazyPattern(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[a-zđ]\))\s+(?=\S)")


def _unlabel(c: _Content) -> _Content:
    """The item without its number or letter ("b) Sở Nội vụ chủ trì …" -> "Sở Nội vụ chủ trì …")."""
    m = _LABEL.match(c.text)
    return _Content(c.start + m.end(), c.end, c.text[m.end():], True) if m else c


def _content(line: Line) -> _Content:
    """The line without its bullet marker and markdown emphasis, as an exact span."""
    lead = len(_PREFIX.match(line.text).group())
    body = line.text[lead:]
    trail = len(body) - len(body.rstrip(" *_"))
    body = body[:len(body) - trail] if trail else body
    return _Content(line.start + lead, line.start + lead + len(body), body)


def normalise_deadline(text: str | None) -> str | None:
    """'trước ngày 30/6/2025' -> '2025-06-30'; '… 30 tháng 11 hàng năm' -> '--11-30' (yearly);
    'Quý III, IV/2024' -> '2024-Q3/2024-Q4'; 'Trong năm 2024' -> '2024'; 'Thường xuyên' -> 'ongoing'."""
    if not text:
        return None
    s = strip(text).lower()
    if m := re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", s):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    if m := re.search(r"(\d{1,2}) thang (\d{1,2}) nam (\d{4})", s):
        return f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}"
    if (m := re.search(r"(\d{1,2}) thang (\d{1,2})", s)) and re.search(r"hang nam|hang nam", s):
        return f"--{int(m[2]):02d}-{int(m[1]):02d}"
    if m := re.search(r"quy ((?:[ivx]+\s*,\s*)*[ivx]+)\s*(?:/|nam)\s*(\d{4})", s):
        quarters = [_ROMAN.get(q.strip().upper()) for q in m[1].split(",")]
        if all(quarters):
            return "/".join(f"{m[2]}-Q{q}" for q in quarters)
    if m := re.fullmatch(r"(?:trong )?nam (\d{4})\.?", s.strip()):
        return m[1]
    if "thuong xuyen" in s:
        return "ongoing"
    if re.search(r"hang (nam|quy|thang|tuan)", s):
        return {"nam": "yearly", "quy": "quarterly", "thang": "monthly", "tuan": "weekly"}[
            re.search(r"hang (nam|quy|thang|tuan)", s)[1]]
    if "dinh ky" in s:
        return "periodic"
    return None


# column roles by header wording, tried in this order: a header names one role, and the first
# role whose words it contains wins ("Nội dung thực hiện" is a task, never a lead column)
_ROLES = (
    ("task", ("nhiem vu", "noi dung", "cong viec", "hoat dong", "giai phap", "de an", "chuong trinh")),
    ("partners", ("phoi hop",)),
    ("time", ("thoi gian", "thoi han", "tien do", "hoan thanh", "moc ", "han ")),
    ("lead", ("chu tri", "thuc hien", "trach nhiem", "phu trach", "giup do", "dau moi", "co quan", "don vi")),
    ("product", ("san pham", "ket qua")),
    ("note", ("ghi chu",)),
)
_ORDINAL = LazyPattern(r"^(?:stt|tt|so tt|so thu tu|#)$")


def column_roles(header: list[str], rows: list[list[str]]) -> dict[str, int]:
    """Role -> column index from a table's header cells. A table without a task column but
    with a lead column takes its widest other text column as the task ("Tiêu chí còn thiếu"),
    from the first of the free columns just before it ("task_from": "Xã")."""
    cols: dict[str, int] = {}
    for j, h in enumerate(header):
        f = strip(h).lower().strip(" *:")
        for role, words in _ROLES:
            if any(w in f + " " for w in words):
                cols.setdefault(role, j)
                break
    if "task" not in cols and "lead" in cols:
        free = [j for j, h in enumerate(header) if j not in cols.values() and not _ORDINAL.match(strip(h).lower().strip())]
        width = {j: sum(len(r[j]) for r in rows if j < len(r)) for j in free}
        if width and max(width.values()) > 0:
            cols["task"] = max(width, key=width.get)
            # the columns before it that name what the task is about ("Xã | Tiêu chí còn thiếu")
            first = next(j for j in range(cols["task"] + 1) if j in free and all(k in free for k in range(j, cols["task"] + 1)))
            if first < cols["task"]:
                cols["task_from"] = first
    return cols


def _heading_text(sec: Section) -> str:
    return re.sub(r"^(?:[IVX]{1,5}|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]\s*", "", clean(sec.heading))


class _Extractor:
    def __init__(self, doc: str, text: str, sections: list[Section], lines: list[Line]):
        self.doc, self.text, self.sections, self.lines = doc, text, sections, lines
        self.rows: list[Obligation] = []

    def section_at(self, pos: int) -> Section:
        inside = [s for s in self.sections if s.start <= pos < s.end]
        return max(inside, key=lambda s: (s.level, s.start)) if inside else self.sections[0]

    def covered(self, start: int, end: int) -> bool:
        return any(r.start <= start and end <= r.end for r in self.rows)

    def add(self, sec: Section, task: _Content, lead: list[str], partners: list[str], deadline: _Content | None,
            start: int, end: int, source: str, lead_span: Span | None = None,
            partners_span: Span | None = None, deadline_span: Span | None = None) -> None:
        dl = deadline.text.strip(" .;") if deadline else None
        if deadline and deadline_span is None:
            deadline_span = (deadline.start, deadline.end)
        self.rows.append(Obligation(
            self.doc, sec.path, task.text.strip(), tuple(lead), tuple(partners), dl, normalise_deadline(dl),
            start, end, source, (task.start, task.end), lead_span, partners_span, deadline_span))

    # --- labelled fields ------------------------------------------------------------------
    def fields(self) -> None:
        i = 0
        last_end = 0
        while i < len(self.lines):
            block: list[tuple[Line, _Content, re.Match, str]] = []
            while i < len(self.lines):
                c = _content(self.lines[i])
                if m := _FIELD.match(c.text):
                    block.append((self.lines[i], c, m, m["role"].lower()))
                elif m := _TIME.match(c.text):
                    block.append((self.lines[i], c, m, "time"))
                else:
                    break
                i += 1
            if not block:
                i += 1
                continue
            first = block[0][0]
            sec = self.section_at(first.start)
            # the task: a "*" bullet after the section heading and any earlier block, else the heading
            star = None
            for ln in self.lines:
                if max(sec.start, last_end) <= ln.start < first.start and ln.text.startswith("*") \
                        and not ln.text.startswith("**"):
                    star = ln
            if star is not None:
                task = _content(star)
            else:
                head = next(ln for ln in self.lines if ln.start == sec.start) if sec.level else None
                task = _content(head) if head else _Content(first.start, first.end, "")
                if head:  # without "7." / "a)"
                    label = len(task.text) - len(_heading_text(sec))
                    task = _Content(task.start + max(0, label), task.end, _heading_text(sec))
            lead: list[str] = []
            partners: list[str] = []
            deadline = None
            lead_span = partners_span = deadline_line = None
            for ln, c, m, role in block:
                value = _Content(c.start + m.start("value"), c.end, m["value"])
                if role in ("chủ trì", "thực hiện"):
                    lead += split_agencies(value.text)
                    lead_span = (c.start, c.end)
                elif role == "phối hợp":
                    partners += split_agencies(value.text)
                    partners_span = (c.start, c.end)
                else:
                    deadline = value
                    deadline_line = (c.start, c.end)
            self.add(sec, task, lead, partners, deadline, task.start, block[-1][1].end, "fields",
                     lead_span, partners_span, deadline_line if deadline else None)
            last_end = block[-1][1].end

    # --- markdown tables --------------------------------------------------------------------
    def tables(self) -> None:
        rows = [ln for ln in self.lines if ln.text.startswith("|")]
        groups: list[list[Line]] = []
        for ln in rows:
            if groups and self.text[groups[-1][-1].end:ln.start].strip() == "":
                groups[-1].append(ln)
            else:
                groups.append([ln])
        for group in groups:
            if len(group) < 3:
                continue
            header = self._cells(group[0])
            cols = column_roles([h for _, _, h in header], [[c[2] for c in self._cells(ln)] for ln in group[2:]])
            if "task" not in cols or not ({"lead", "partners", "time"} & set(cols)):
                continue
            for ln in group[1:]:
                cells = self._cells(ln)
                if all(set(c[2]) <= set("-: ") for c in cells) or len(cells) < len(header):
                    continue  # the |---| separator, or a broken row
                get = lambda k: cells[cols[k]] if k in cols else None  # noqa: E731
                task, lead, partners, time = get("task"), get("lead"), get("partners"), get("time")
                if "task_from" in cols:  # the row's subject and its task: one span over both cells
                    a = cells[cols["task_from"]][0]
                    task = (a, task[1], self.text[a:task[1]])
                sec = self.section_at(ln.start)
                self.add(sec, _Content(*task), split_agencies(lead[2]) if lead else [],
                         split_agencies(partners[2]) if partners else [],
                         _Content(*time) if time and time[2] else None, ln.start, ln.end, "table",
                         (lead[0], lead[1]) if lead else None, (partners[0], partners[1]) if partners else None)

    def _cells(self, ln: Line) -> list[tuple[int, int, str]]:
        out = []
        pos = ln.start
        parts = ln.text.strip().strip("|").split("|")
        pos = self.text.index("|", ln.start) + 1
        for part in parts:
            lead = len(part) - len(part.lstrip())
            body = part.strip()
            out.append((pos + lead, pos + lead + len(body), body))
            pos += len(part) + 1
        return out

    # --- TỔ CHỨC THỰC HIỆN -------------------------------------------------------------------
    def _assignment_sections(self) -> list[Section]:
        """The items of TỔ CHỨC THỰC HIỆN, and anywhere an item whose heading is an agency
        with a colon ("1. Sở Nông nghiệp và Môi trường (Cơ quan thường trực …):", "11. UBND
        cấp huyện:") over the duties lettered below it."""
        out: list[Section] = []
        for part in self.sections:
            if part.level == 1 and "to chuc thuc hien" in strip(part.heading).lower():
                out += [s for s in self.sections if s.level > 1 and part.start <= s.start < part.end
                        and s.path.count(".") == 1]
        for sec in self.sections:
            head = _heading_text(sec).rstrip(" *")
            if sec.level > 1 and sec not in out and head.endswith(":") and _agencies(head[:-1]):
                out.append(sec)
        return sorted(out, key=lambda s: s.start)

    def assignments(self) -> None:
        for sec in self._assignment_sections():
            head_line = next(ln for ln in self.lines if ln.start == sec.start)
            hc = _content(head_line)
            htext = _heading_text(sec)
            offset = hc.end - len(htext) if hc.text.endswith(htext) else hc.start
            agency_text, task_from_head = htext, None
            if m := re.match(r"(?:Đề nghị|Giao)\s+", agency_text):
                agency_text = agency_text[m.end():]
            if v := _VERB.search(agency_text):
                task_from_head = _Content(offset + len(htext) - len(agency_text) + v.start(),
                                          offset + len(htext), agency_text[v.start():])
                role_partner = v.group() == "phối hợp"
                agency_text = agency_text[:v.start()]
            else:
                role_partner = False
            agencies = _agencies(agency_text.rstrip(" :"))  # "Sở … (cơ quan thường trực):"
            if not agencies:
                continue
            units = [_unlabel(_content(ln)) for ln in self.lines
                     if sec.start < ln.start < sec.end and ln.kind in ("text", "bullet", "letter")
                     and not _FOOTNOTE.match(ln.text) and not ln.text.startswith("|")]
            # a lettered duty that names its own agency is that agency's (prose reads it)
            units = [u for u in units if not (u.label and starts_agency(u.text))]
            # a line that starts in lower case continues the one before (a page break split it)
            merged: list[_Content] = []
            for u in units:
                if merged and u.text[:1].islower():
                    merged[-1] = _Content(merged[-1].start, u.end, self.text[merged[-1].start:u.end])
                else:
                    merged.append(u)
            units = merged
            if task_from_head is not None:
                units.insert(0, task_from_head)
            for u in units:
                if strip(u.text).lower().startswith("tren day la"):
                    continue
                partners = []
                pspan = None
                if (pm := _PARTNER.search(u.text)) and (partners := _agencies(pm["p"])):
                    pspan = (u.start + pm.start(), u.start + pm.end())
                dm = DEADLINE.search(u.text)
                deadline = _Content(u.start + dm.start(), u.start + dm.end(), dm.group()) if dm else None
                lead = [] if role_partner and u is task_from_head else agencies
                if role_partner and u is task_from_head:
                    partners = agencies + partners
                self.add(sec, u, lead, partners, deadline, min(u.start, sec.start), u.end, "assignment",
                         (hc.start, hc.end), pspan)

    # --- prose and reporting duties ---------------------------------------------------------
    def prose(self) -> None:
        for ln in self.lines:
            if ln.kind not in ("text", "bullet", "num", "letter") or self.covered(ln.start, ln.end) \
                    or _FOOTNOTE.match(ln.text) or ln.text.startswith("|"):
                continue
            if self.section_at(ln.start).path == RECIPIENTS:
                continue  # the distribution list names agencies but gives them no duty
            c = _unlabel(_content(ln))
            if ln.kind in ("num", "letter") and len(c.text.split()) < 8:
                continue  # a heading, not a duty
            for a, b in _sentences(self.text, c.start, c.end):
                s = _Content(a, b, self.text[a:b])
                if self.covered(a, b):
                    continue
                lead: list[str] = []
                lspan = None
                source = "prose"
                if self.section_at(a).level == 0 and (m := _ISSUER_ACT.search(s.text)) \
                        and (lead := _agencies(m["a"])):
                    lspan, source = (a + m.start("a"), a + m.end("a")), "issuer"
                elif (m := _ASSIGN.search(s.text)) and (lead := _agencies(m["a"])):
                    lspan = (a + m.start("a"), a + m.end("a"))
                elif (m := re.match(r"(?P<a>[^:]{3,80}):\s+(?=[" + UPPER + "])", s.text)) and (lead := _agencies(m["a"])):
                    lspan = (a + m.start("a"), a + m.end("a"))
                elif starts_agency(s.text) and (v := _VERB.search(s.text)) and (lead := _agencies(s.text[:v.start()])):
                    lspan = (a, a + v.start())
                # a time in a later ";" clause belongs to that clause's subject (an event, a
                # document), not to this duty: "…; ý kiến … tại Hội nghị … trong năm 2021"
                clause = s.text.find(";", lspan[1] - a if lspan else 0)
                dm = DEADLINE.search(s.text, 0, clause if lead and clause > 0 else len(s.text))
                is_report = "báo cáo" in s.text and dm is not None \
                    and re.search(r"trước|chậm nhất|hàng|hằng|định kỳ", dm.group()) is not None
                if not lead and not is_report:
                    continue
                partners, pspan = [], None
                if (pm := _PARTNER.search(s.text)) and (partners := _agencies(pm["p"])):
                    pspan = (a + pm.start(), a + pm.end())
                deadline = _Content(a + dm.start(), a + dm.end(), dm.group()) if dm else None
                self.add(self.section_at(a), s, lead, partners, deadline, a, b, source if lead else "report",
                         lspan, pspan)


def extract_obligations(doc: str, text: str, sections: list[Section], lines: list[Line]) -> list[Obligation]:
    x = _Extractor(doc, text, sections, lines)
    x.fields()
    x.tables()
    x.assignments()
    x.prose()
    return sorted(x.rows, key=lambda r: (r.start, r.end))
