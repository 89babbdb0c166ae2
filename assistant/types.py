"""Typed records that leave the assistant stage."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.types import Hit


@dataclass(frozen=True)
class Citation:
    n: int
    doc: str
    section: str
    quote: str  # exactly document text[start:end]
    start: int
    end: int
    breadcrumb: tuple[str, ...] = ()


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    intent: str = "content"
    seconds: float = 0.0
    answerer: str = "extractive"  # "extractive" | "generative" | "extractive (fallback: …)"
    dropped: list[str] = field(default_factory=list)  # generated sentences no passage supports
    generation: str = ""  # the index generation the answer was made from (index.search.Snapshot)

    def to_json(self) -> dict:
        """The shape `tracuu ask --json` prints, one object per question."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [{k: v for k, v in asdict(c).items() if k != "breadcrumb"} for c in self.citations],
            "hits": [{"doc": h.chunk.doc, "section": h.chunk.section, "text": h.chunk.text,
                      "start": h.chunk.start, "end": h.chunk.end, "score": round(h.score, 6)}
                     for h in self.hits],
        }
