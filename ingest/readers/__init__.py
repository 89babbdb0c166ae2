"""Readers turn a file's bytes into plain text. One reader per format (one module each),
chosen by the file's extension; a new format is a module that calls ``register`` and is
listed in ``_FORMATS`` below, touching no other reader.

Every reader has the same interface: ``reader(path, data) -> str``; it raises IngestError
(naming the file and the reason) for input it cannot read.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Callable, Protocol

from ingest.types import IngestError

# a plan is tens of KB and a long PDF a few MB; anything this large is a wrong file
DEFAULT_MAX_MB = 20


class Reader(Protocol):
    def __call__(self, path: Path, data: bytes) -> str: ...


_READERS: dict[str, Reader] = {}
_FORMATS = ("plain", "docx", "pdf", "html")  # modules of this package that register readers


def register(*extensions: str) -> Callable[[Reader], Reader]:
    def wrap(reader: Reader) -> Reader:
        for ext in extensions:
            _READERS[ext.lower()] = reader
        return reader

    return wrap


def supported_extensions() -> list[str]:
    return sorted(_READERS)


def max_bytes() -> int:
    """The size limit: $TRACUU_MAX_FILE_MB, else DEFAULT_MAX_MB."""
    try:
        mb = float(os.environ.get("TRACUU_MAX_FILE_MB", DEFAULT_MAX_MB))
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1024 * 1024)


def read_text(path: Path, limit: int | None = None) -> tuple[str, bytes]:
    """Return (text, raw bytes) of a supported file or raise IngestError naming it."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(str(path), f"unsupported file type '{path.suffix}' "
                          f"(supported: {', '.join(supported_extensions())})")
    limit = max_bytes() if limit is None else limit
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror})") from exc
    if size > limit:
        raise IngestError(str(path), f"file is too large ({size / (1024 * 1024):.0f} MB, "
                          f"limit {limit / (1024 * 1024):.0f} MB; set TRACUU_MAX_FILE_MB to change it)")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(str(path), "file is empty")
    text = reader(path, data)
    if not text.strip():
        raise IngestError(str(path), "no text found in file")
    return text, data


for _name in _FORMATS:
    importlib.import_module(f"{__name__}.{_name}")
