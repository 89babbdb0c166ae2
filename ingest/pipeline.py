"""read → decode → normalise → parse structure → chunk: one file in, one Document out."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ingest.chunker import DEFAULT_MAX_TOKENS, chunk_document
from ingest.citations import extract_citations
from ingest.layout import footnotes, reflow
from ingest.metadata import document_title, extract_metadata
from ingest.normalize import nfc
from ingest.obligations import extract_obligations
from ingest.readers import read_text, supported_extensions
from ingest.structure import lines, parse_sections, title_of
from ingest.types import Document, IngestError
from ingest.units import build_units


def normalise_text(text: str) -> str:
    """The stored form: NFC, Unix newlines, no trailing spaces on lines, paragraphs cut by the
    page layout joined and footnotes moved after the paragraph citing them (ingest.layout)."""
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return reflow("\n".join(line.rstrip() for line in text.split("\n")))


def load_document(path: Path, max_tokens: int = DEFAULT_MAX_TOKENS) -> Document:
    raw_text, data = read_text(path)
    text = normalise_text(raw_text)
    parsed = lines(text)
    sections = parse_sections(text, parsed)
    doc = Document(name=path.name, sha256=hashlib.sha256(data).hexdigest(), text=text,
                   title=title_of(text, parsed), sections=sections)
    doc.chunks = chunk_document(doc.name, text, sections, parsed, max_tokens)
    doc.obligations = extract_obligations(doc.name, text, sections, parsed)
    doc.cited = extract_citations(doc.name, text)
    doc.meta = extract_metadata(text, sections, parsed)
    doc.title = document_title(doc.meta) or doc.title  # the whole subject, not its first line
    doc.footnotes = footnotes(text)
    doc.units = build_units(doc.name, text, sections, doc.chunks, parsed, doc.obligations, doc.cited, doc.meta)
    if not doc.chunks:
        raise IngestError(str(path), "no text found in file")
    return doc


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders walked for supported files (sorted, hidden files skipped)."""
    exts = set(supported_extensions())
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in exts
                              and not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out
