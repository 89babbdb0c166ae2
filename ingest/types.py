"""Typed records that leave the ingest stage. Every span is a pair of character
offsets into ``Document.text`` (the stored NFC text), so citations can be checked."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    path: str  # "II.7.a"; "" for the preamble before the first numbered part
    heading: str  # the heading line as written (may be empty for the preamble)
    level: int  # 0 preamble, 1 "I.", 2 "1.", 3 "1.1"/"a)" ...
    start: int
    end: int
    breadcrumb: tuple[str, ...] = ()  # headings from the top-level part down to this one


@dataclass(frozen=True)
class Chunk:
    doc: str  # source file name (the document key)
    ord: int  # position of the chunk in its document
    section: str
    breadcrumb: tuple[str, ...]
    start: int
    end: int
    text: str  # == document text[start:end]
    tokens: int  # tiktoken count of ``text``
    # indexed with the text, never shown as it: the column headers of a table the chunk
    # continues ("Nhiệm vụ | Cơ quan chủ trì | Thời gian"), so each row keeps its headers
    context: str = ""

    @property
    def id(self) -> str:
        return f"{self.doc}#{self.ord}"


@dataclass(frozen=True)
class Footnote:
    """A footnote ("⁴ Chính sách quốc phòng …") and the marker that cites it ("quốc phòng⁴")."""

    number: int
    start: int  # the footnote line in the stored text
    end: int
    marker: tuple[int, int] | None  # span of the citing marker, if the text cites it


@dataclass
class DocumentMeta:
    """Header metadata; a field the document does not state is None (never guessed)."""

    so_hieu: str | None = None  # "144-KH/ĐUK"
    loai: str | None = None  # "Kế hoạch", "Chỉ thị", …
    co_quan_ban_hanh: str | None = None
    noi_ban_hanh: str | None = None  # "Cao Bằng"
    ngay_ban_hanh: str | None = None  # ISO date "2021-04-09"
    trich_yeu: str | None = None  # the subject line below the type line
    nguoi_ky: str | None = None
    noi_nhan: list[str] | None = None  # the distribution list, one entry per line
    # field -> [start, end] in the document text of the words that state it, so an answer
    # about the document itself ("who issued it, when") cites the exact header or preamble text
    spans: dict[str, list[int]] | None = None

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict) -> "DocumentMeta":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Document:
    name: str  # file name, e.g. "002_f8cf6ccb46031413.txt"
    sha256: str  # of the file's bytes: unchanged files are skipped on re-ingest
    text: str  # stored text: decoded, NFC, newlines normalised
    title: str = ""
    sections: list[Section] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    obligations: list["Obligation"] = field(default_factory=list)
    cited: list["CitedDocument"] = field(default_factory=list)
    meta: DocumentMeta = field(default_factory=DocumentMeta)
    footnotes: list[Footnote] = field(default_factory=list)
    units: list["Unit"] = field(default_factory=list)  # answer units (ingest.units)


class IngestError(Exception):
    """A file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


Span = tuple[int, int]


@dataclass(frozen=True)
class Obligation:
    """A duty found in a document: who leads, who coordinates, by when — each with the span
    where the document says it, so an answer can cite exactly that line."""

    doc: str
    section: str
    task: str  # the task as written (heading, bullet or sentence)
    lead: tuple[str, ...]  # canonical agency names (ingest.agencies)
    partners: tuple[str, ...]
    deadline: str | None  # as written ("Quý III, IV/2024", "trước ngày 30 tháng 11 hàng năm")
    deadline_norm: str | None  # "2024-Q3/2024-Q4", "--11-30" (yearly), "2025-06-30", "ongoing"
    start: int  # the whole obligation: task and its fields
    end: int
    source: str  # "fields" | "table" | "prose" | "assignment" | "report" | "issuer" (the plan's own author)
    task_span: Span | None = None
    lead_span: Span | None = None
    partners_span: Span | None = None
    deadline_span: Span | None = None


@dataclass(frozen=True)
class CitedDocument:
    """A reference to another document: "Kết luận số 57-KL/TW ngày 15/6/2023 của Bộ Chính trị"."""

    doc: str  # the citing document
    kind: str  # "Kết luận", "Nghị định", …
    number: str  # normalised: "57-KL/TW", "72/2015/NĐ-CP"
    date: str | None  # ISO
    issuer: str | None
    title: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Unit:
    """What an answer quotes whole (ingest.units): ``text == document text[start:end]``."""

    doc: str
    ord: int
    kind: str  # "sentence" | "item" | "row" | "field" | "heading" | "header" | "mention" | "recipient"
    start: int
    end: int
    text: str
    context: str = ""  # read with it, never quoted: lead-in, column names, task heading, field name
    roles: tuple[str, ...] = ()  # "lead" | "partner" | "deadline" | "header" | "mention"
    chunk: int = -1  # ord of the chunk holding its start
