"""Ingest stage: read files, normalise Vietnamese text, parse structure, chunk."""
from ingest.pipeline import expand_paths, load_document
from ingest.types import Chunk, Document, DocumentMeta, IngestError, Section

__all__ = ["Chunk", "Document", "DocumentMeta", "IngestError", "Section", "expand_paths", "load_document"]
