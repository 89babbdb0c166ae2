"""Ingest stage: read files, normalise Vietnamese text, parse structure, chunk."""
from ingest.types import Chunk, Document, DocumentMeta, IngestError, Section

__all__ = ["Chunk", "Document", "DocumentMeta", "IngestError", "Section", "expand_paths", "load_document"]


def __getattr__(name: str):
    # the readers (PDF, DOCX, HTML …) load only when a file is read: asking a question needs none
    if name in ("expand_paths", "load_document"):
        from ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'ingest' has no attribute {name!r}")
