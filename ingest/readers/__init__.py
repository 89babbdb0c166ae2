"""Readers turn a file's bytes into plain text. One reader per format (one module each),
chosen by the file's extension; a new format is a module that calls ``register`` and is
listed in ``_FORMATS`` below, touching no other reader.

Every reader has the same interface: ``reader(path, data) -> str``; it raises IngestError
(naming the file and the reason) for input it cannot read.
"""
from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path
from typing import Callable, Protocol

from ingest.oserror import os_reason
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


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, at most ``limit``: a FIFO, device or folder is refused
    without blocking on it, and every OS error is an IngestError naming the file."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise IngestError(str(path), os_reason(exc)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IngestError(str(path), f"không phải tệp thông thường ({file_kind(st.st_mode)})")
        if st.st_size > limit:
            raise IngestError(str(path), f"tệp quá lớn ({st.st_size / (1024 * 1024):.0f} MB, giới hạn "
                              f"{limit / (1024 * 1024):.0f} MB; đặt TRACUU_MAX_FILE_MB để thay đổi)")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise IngestError(str(path), os_reason(exc)) from exc
    finally:
        os.close(fd)
    if len(data) > limit:  # grew while being read
        raise IngestError(str(path), f"tệp quá lớn (giới hạn {limit / (1024 * 1024):.0f} MB)")
    return data


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "thư mục"), (stat.S_ISFIFO, "ống dẫn FIFO"), (stat.S_ISCHR, "thiết bị"),
                       (stat.S_ISBLK, "thiết bị"), (stat.S_ISSOCK, "socket"), (stat.S_ISLNK, "liên kết")):
        if test(mode):
            return name
    return "không phải tệp"


def read_text(path: Path, limit: int | None = None) -> tuple[str, bytes]:
    """Return (text, raw bytes) of a supported file or raise IngestError naming it. The reader
    runs in a worker process with memory and time caps (ingest.sandbox)."""
    from ingest import quality, sandbox

    ext = path.suffix.lower()
    if ext not in _READERS:
        raise IngestError(str(path), f"không hỗ trợ loại tệp '{path.suffix}' "
                          f"(chỉ đọc được: {', '.join(supported_extensions())})")
    data = read_bytes(path, max_bytes() if limit is None else limit)
    if not data.strip():
        raise IngestError(str(path), "tệp rỗng")
    text = sandbox.parse(path, data)
    if not text.strip():
        raise IngestError(str(path), "không tìm thấy nội dung văn bản trong tệp")
    why = quality.problem(text)
    if why:
        raise IngestError(str(path), why)
    return text, data


def run_reader(path: Path, data: bytes) -> str:
    """The registered reader for ``path``'s extension, in this process (the sandbox calls it)."""
    return _READERS[path.suffix.lower()](path, data)


for _name in _FORMATS:
    importlib.import_module(f"{__name__}.{_name}")
