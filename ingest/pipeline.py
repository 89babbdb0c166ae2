"""read → decode → normalise → parse structure → chunk: one file in, one Document out."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunker import DEFAULT_MAX_TOKENS, chunk_document
from ingest.citations import extract_citations
from ingest.layout import footnotes, reflow
from ingest.metadata import document_title, extract_metadata
from ingest.normalize import nfc
from ingest.obligations import extract_obligations
from ingest.oserror import os_reason
from ingest.readers import file_kind, read_text, supported_extensions
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
    doc.units = build_units(doc.name, text, sections, doc.chunks, parsed, doc.obligations, doc.cited, doc.meta,
                            doc.footnotes)
    if not doc.chunks:
        raise IngestError(str(path), "không tìm thấy nội dung văn bản trong tệp")
    return doc


@dataclass
class Expanded:
    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, why), found in folders


def walk(paths: list[Path]) -> Expanded:
    """Files as given; folders walked for supported files (sorted, hidden entries skipped).
    Inside a folder only regular files are taken: a symbolic link is followed only to a
    regular file inside the same folder; FIFOs, devices, sockets, links leading out and
    folders named like files are skipped, each with the reason."""
    exts = set(supported_extensions())
    out = Expanded()
    for p in paths:
        if not p.is_dir():
            out.files.append(p)
            continue
        root = p.resolve()
        found: list[tuple[Path, str | None]] = []
        for dirpath, dirnames, filenames in os.walk(p, followlinks=False):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            base = Path(dirpath)
            for d in dirnames:
                if Path(d).suffix.lower() in exts or (base / d).is_symlink():
                    found.append((base / d, "là thư mục, không phải tệp" if not (base / d).is_symlink()
                                  else "liên kết tới một thư mục (không đi theo)"))
            for name in filenames:
                if name.startswith(".") or Path(name).suffix.lower() not in exts:
                    continue
                found.append((base / name, _not_regular(base / name, root)))
        for f, why in sorted(found, key=lambda x: str(x[0])):
            if why is None:
                out.files.append(f)
            else:
                out.skipped.append((f, why))
    return out


def _not_regular(path: Path, root: Path) -> str | None:
    """Why a folder entry is not read, or None for a regular file."""
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                return "liên kết hỏng (không trỏ tới tệp nào)"
            if not target.is_relative_to(root):
                return "liên kết tới một tệp nằm ngoài thư mục (không đi theo)"
            st = target.stat()
    except OSError as exc:
        return os_reason(exc)
    return None if stat.S_ISREG(st.st_mode) else f"không phải tệp thông thường ({file_kind(st.st_mode)})"


def expand_paths(paths: list[Path]) -> list[Path]:
    """The files ``walk`` takes."""
    return walk(paths).files
