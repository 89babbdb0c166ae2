"""Typed records that leave the index stage."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.types import Chunk


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused score (higher is better)
    dense: float | None = None  # cosine similarity, when the dense channel ranked it
    lexical: float | None = None  # BM25 score, when the lexical channel ranked it
    doc_title: str = ""


@dataclass
class FileResult:
    path: str
    status: str  # "added" | "replaced" | "unchanged" | "error"
    doc: str = ""
    chunks: int = 0
    error: str = ""


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    generation: str = ""

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]
