"""Plain text and markdown: UTF-8 (with or without BOM), UTF-16 LE/BE with BOM,
Windows-1258 (the Vietnamese code page of older office files) and the legacy font encodings
TCVN3 (ABC, .VnTime) and VNI-Windows (ingest.vnfonts)."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest import vnfonts
from ingest.layout import unfold_columns
from ingest.normalize import TO_SUPERSCRIPT
from ingest.readers import register
from ingest.types import IngestError

_MD_FOOTNOTE = re.compile(r"\[\^(\d{1,2})\]:?")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# letters and punctuation a Windows-1258 Vietnamese text decodes to outside ASCII; text decoded
# from another legacy code page (TCVN3/ABC, VNI) is mostly other symbols ("¸", "µ", "Ø", ...)
_VIETNAMESE = set("àáâãèéêìíòóôõùúýăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ"
                  "“”‘’–—…•°«»")
_VIETNAMESE |= {c.upper() for c in _VIETNAMESE}


@register(".txt", ".md")
def read_plain(path: Path, data: bytes) -> str:
    # a typed two-column header or signature block reads as its left column, then its right
    text = unfold_columns(_decode(path, data))
    if path.suffix.lower() == ".md":  # Markdown footnotes "[^1]" / "[^1]: …" as the "¹" every reader gives
        text = _MD_FOOTNOTE.sub(lambda m: m[1].translate(TO_SUPERSCRIPT), text)
    return text


def _decode(path: Path, data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise IngestError(str(path), f"not valid {codec.replace('-sig', '').upper()} text "
                                  f"(byte {exc.start + len(bom)}) despite its byte-order mark") from exc
    if b"\x00" in data[:4096]:
        raise IngestError(str(path), "binary content (NUL bytes) in a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    text = _cp1258(data)
    if text is None and (legacy := vnfonts.detect(data)):
        text = legacy[1]
    if text is None:
        raise IngestError(str(path), f"cannot detect the text encoding (not UTF-8 at byte {utf8_error}, "
                          "no UTF-16 byte-order mark, not Windows-1258, TCVN3 or VNI Vietnamese); "
                          "save the file as UTF-8")
    return text


def _cp1258(data: bytes) -> str | None:
    """Windows-1258 text, or None when the bytes do not read as Vietnamese in it."""
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    # cp1258 writes tones as combining marks: compose them before judging (and for storage)
    text = unicodedata.normalize("NFC", text)
    other = [c for c in text if ord(c) > 127]
    if not other:
        return text
    good = sum(c in _VIETNAMESE or unicodedata.combining(c) > 0 for c in other)
    return text if good / len(other) >= 0.9 else None
