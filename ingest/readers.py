"""Readers turn a file's bytes into plain text. One reader per format, chosen by the
file's extension; a new format registers itself with ``register`` and touches nothing else."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Protocol

from ingest.types import IngestError

MAX_BYTES = 20 * 1024 * 1024  # a plan is tens of KB; anything this large is a wrong file


class Reader(Protocol):
    def __call__(self, path: Path, data: bytes) -> str: ...


_READERS: dict[str, Reader] = {}


def register(*extensions: str) -> Callable[[Reader], Reader]:
    def wrap(reader: Reader) -> Reader:
        for ext in extensions:
            _READERS[ext.lower()] = reader
        return reader

    return wrap


def supported_extensions() -> list[str]:
    return sorted(_READERS)


def read_text(path: Path) -> tuple[str, bytes]:
    """Return (text, raw bytes) of a supported file or raise IngestError naming it."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise IngestError(str(path), f"unsupported file type '{path.suffix}' "
                          f"(supported: {', '.join(supported_extensions())})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(str(path), f"cannot read file ({exc.strerror})") from exc
    if size > MAX_BYTES:
        raise IngestError(str(path), f"file is too large ({size // (1024 * 1024)} MB, "
                          f"limit {MAX_BYTES // (1024 * 1024)} MB)")
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(str(path), "file is empty")
    text = reader(path, data)
    if not text.strip():
        raise IngestError(str(path), "no text found in file")
    return text, data


@register(".txt", ".md")
def read_plain(path: Path, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise IngestError(str(path), "binary content (NUL bytes) in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(str(path), f"not valid UTF-8 text (byte {exc.start}); "
                          "save the file as UTF-8") from exc
