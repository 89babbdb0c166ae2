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

    @property
    def id(self) -> str:
        return f"{self.doc}#{self.ord}"


@dataclass
class Document:
    name: str  # file name, e.g. "002_f8cf6ccb46031413.txt"
    sha256: str  # of the file's bytes: unchanged files are skipped on re-ingest
    text: str  # stored text: decoded, NFC, newlines normalised
    title: str = ""
    sections: list[Section] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)


class IngestError(Exception):
    """A file that cannot be ingested; the message names the file and the reason."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
