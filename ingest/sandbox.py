"""Bounded parsing: every reader runs in a short-lived worker process with an address-space
cap (RLIMIT_AS) and a wall-time cap, after cheap checks on what the file declares (a DOCX
zip's inflated part sizes, a PDF's compressed streams, nesting depth and page count). A
decompression bomb, a parser stuck on a crafted file or one that recurses without end costs
one worker and becomes one IngestError naming the file; the caller's process never holds
its memory.

Workers are forked from a forkserver started once (single-threaded, readers preloaded), so
a file costs a fork, not an interpreter start, and never inherits the app's threads.
Limits: $TRACUU_PARSE_MB (memory, default 512), $TRACUU_PARSE_SECONDS (default 30).
"""
from __future__ import annotations

import io
import multiprocessing
import os
import re
import resource
import zipfile
import zlib
from pathlib import Path

from ingest.types import IngestError

DEFAULT_MB = 512
DEFAULT_SECONDS = 30.0
MAX_TEXT_CHARS = 8_000_000  # a long plan is ~100k characters
# DOCX: a plan's document.xml is a few MB
MAX_PART_MB = 64
MAX_ZIP_TOTAL_MB = 256
MAX_ZIP_ENTRIES = 5000
MAX_RATIO = 200  # inflated / compressed, for parts over 1 MB
# PDF
MAX_STREAM_MB = 32  # one content stream, every filter of its chain inflated
MAX_PDF_INFLATED_MB = 256  # all non-image streams together
MAX_DEPTH = 64  # nested arrays/dictionaries (pypdf recurses on them)
MAX_PAGES = 2000

_PRELOAD = ["ingest.readers", "ingest.sandbox", "pypdf", "docx", "lxml.etree"]
_ctx = None


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def limits() -> tuple[int, float]:
    """(memory bytes, seconds) for one file."""
    return int(_env("TRACUU_PARSE_MB", DEFAULT_MB) * 1024 * 1024), _env("TRACUU_PARSE_SECONDS", DEFAULT_SECONDS)


def _context():
    global _ctx
    if _ctx is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        _ctx = ctx
    return _ctx


def parse(path: Path, data: bytes) -> str:
    """The text of ``data`` read by ``path``'s reader, in a capped worker process."""
    memory, seconds = limits()
    ctx = _context()
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_work, args=(send, str(path), data, memory), daemon=True)
    proc.start()
    send.close()
    try:
        if not recv.poll(seconds):
            raise IngestError(str(path), f"đọc tệp quá {seconds:.0f} giây (giới hạn; đặt "
                              "TRACUU_PARSE_SECONDS để thay đổi): tệp bị hỏng hoặc bị cố ý làm sai?")
        try:
            kind, value = recv.recv()
        except (EOFError, OSError):
            proc.join(5)
            raise IngestError(str(path), f"bộ đọc bị dừng đột ngột khi đọc tệp này (mã thoát {proc.exitcode}): "
                              "tệp bị hỏng hoặc bị cố ý làm sai") from None
    finally:
        recv.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if kind == "error":
        raise IngestError(str(path), value)
    return value


def _work(conn, path_str: str, data: bytes, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    path = Path(path_str)
    try:
        result = ("ok", read_bounded(path, data))
    except IngestError as exc:
        result = ("error", exc.reason)
    except RecursionError:
        result = ("error", "cấu trúc của tệp lồng nhau quá sâu, không đọc được (tệp bị hỏng hoặc bị cố ý làm sai)")
    except MemoryError:
        result = ("error", f"đọc tệp cần hơn {memory // (1024 * 1024)} MB bộ nhớ "
                           "(giới hạn; đặt TRACUU_PARSE_MB để thay đổi): có thể là tệp nén độc hại (bom giải nén)")
    except Exception as exc:  # any reader failure is this file's error, never the batch's
        result = ("error", f"không đọc được tệp ({type(exc).__name__}: {str(exc)[:200]})")
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("error", "văn bản đọc được từ tệp quá lớn, không chuyển về được"))
    conn.close()


def read_bounded(path: Path, data: bytes) -> str:
    """Pre-checks, then the reader; run inside the worker."""
    from ingest.readers import run_reader

    ext = path.suffix.lower()
    if ext == ".docx":
        check_zip(data)
    elif ext == ".pdf":
        check_pdf(data)
    text = run_reader(path, data)
    if len(text) > MAX_TEXT_CHARS:
        raise IngestError(str(path), f"tệp chứa {len(text):,} ký tự văn bản (giới hạn "
                          f"{MAX_TEXT_CHARS:,}): không phải một kế hoạch hay chỉ thị")
    return text


def check_zip(data: bytes) -> None:
    """A DOCX is a zip: refuse parts that would inflate past the limits (zipfile stops at the
    declared size, so the declared sizes bound what is read)."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # the reader says what is wrong with it
    if len(infos) > MAX_ZIP_ENTRIES:
        raise IngestError("", f"tệp DOCX có {len(infos)} thành phần (giới hạn {MAX_ZIP_ENTRIES}): tệp bị cố ý làm sai?")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART_MB << 20 or (
                info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(1, info.compress_size)):
            raise IngestError("", f"thành phần {info.filename} của tệp DOCX giải nén ra {info.file_size >> 20} MB từ "
                              f"{info.compress_size >> 10} KB (giới hạn {MAX_PART_MB} MB, tỉ lệ {MAX_RATIO}): "
                              "có thể là tệp nén độc hại (bom giải nén)")
    if total > MAX_ZIP_TOTAL_MB << 20:
        raise IngestError("", f"tệp DOCX giải nén ra {total >> 20} MB (giới hạn {MAX_ZIP_TOTAL_MB} MB): "
                          "có thể là tệp nén độc hại (bom giải nén)")


_STREAM = re.compile(rb"stream\r?\n")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
_NEST = re.compile(rb"\[|\]|<<|>>|\((?:[^()\\]|\\.)*\)", re.DOTALL)


def check_pdf(data: bytes) -> None:
    """Refuse a PDF whose compressed streams inflate past the limits (chained filters included),
    whose objects nest deeper than MAX_DEPTH, or that has more than MAX_PAGES pages."""
    outside: list[bytes] = []  # the object syntax between streams
    pos, inflated = 0, 0
    for m in _STREAM.finditer(data):
        if m.start() < pos:
            continue
        end = data.find(b"endstream", m.end())
        end = len(data) if end < 0 else end
        head = data[max(pos, m.start() - 2048):m.start()]
        head = head[head.rfind(b"obj") + 3:] if b"obj" in head else head
        outside.append(data[pos:m.start()])
        flates = len(_FLATE.findall(head))
        if flates and not _IMAGE.search(head):  # image streams are never decoded for text
            inflated += _inflated_size(data[m.end():end], flates)
            if inflated > MAX_PDF_INFLATED_MB << 20:
                raise IngestError("", f"các luồng dữ liệu của tệp PDF giải nén ra hơn {MAX_PDF_INFLATED_MB} MB: "
                                  "có thể là tệp nén độc hại (bom giải nén)")
        pos = end + len(b"endstream")
    outside.append(data[pos:])
    syntax = b"".join(outside)
    pages = len(_PAGE.findall(syntax))
    if pages > MAX_PAGES:
        raise IngestError("", f"tệp PDF có {pages} trang (giới hạn {MAX_PAGES})")
    depth = 0
    for tok in _NEST.finditer(syntax):
        t = tok.group()
        if t in (b"[", b"<<"):
            depth += 1
            if depth > MAX_DEPTH:
                raise IngestError("", f"tệp PDF lồng mảng hoặc từ điển sâu hơn {MAX_DEPTH} tầng: "
                                  "tệp bị hỏng hoặc bị cố ý làm sai?")
        elif t in (b"]", b">>"):
            depth = max(0, depth - 1)


def _inflated_size(raw: bytes, flates: int) -> int:
    """Size of ``raw`` through ``flates`` Flate filters, stopping past MAX_STREAM_MB."""
    cap = MAX_STREAM_MB << 20
    for _ in range(flates):
        d = zlib.decompressobj()
        try:
            out = d.decompress(raw, cap + 1)
        except zlib.error:
            return len(raw)  # not valid Flate data: pypdf reports it, if it matters
        if len(out) > cap:
            raise IngestError("", f"một luồng dữ liệu PDF giải nén ra hơn {MAX_STREAM_MB} MB: có thể là tệp nén độc hại (bom giải nén)")
        raw = out
    return len(raw)
