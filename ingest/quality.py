"""Is a reader's output text a person wrote, or what a wrong encoding or a binary file
decodes to? Cheap checks over the whole text, run after every reader."""
from __future__ import annotations

import re

# control characters (C0 other than line/tab breaks, DEL, C1), invisible format characters
# (zero-width, bidi controls, BOM, tags), private-use and surrogate code points, and U+FFFD
# (what an undecodable byte becomes)
_BAD = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
                  "\ufeff\ufff9-\ufffd\ue000-\uf8ff\ud800-\udfff\U000e0000-\U000e007f\U000f0000-\U0010ffff]")
_SPACE = re.compile(r"[ \t\n\r\f\v]+")
_LONG = re.compile(r"[^ \t\n\r\f\v]{60,}")  # a "word" this long is no word (URLs are rare and short)

MAX_BAD = 0.2  # share of bad characters in the non-blank text
MAX_LONG = 0.5  # share of the non-blank text in space-free runs of 60+ characters


def problem(text: str) -> str | None:
    """Why ``text`` is not readable text, or None."""
    blank = sum(len(m) for m in _SPACE.findall(text))
    n = len(text) - blank
    if n <= 0:
        return "không tìm thấy nội dung văn bản trong tệp"
    bad = len(_BAD.findall(text))
    if bad / n > MAX_BAD:
        return (f"không phải văn bản đọc được: {100 * bad / n:.0f}% ký tự là ký tự điều khiển, ký tự ẩn "
                "(độ rộng bằng 0, đổi chiều viết) hoặc không giải mã được (tệp nhị phân, hay sai bảng mã?)")
    long = sum(len(m) for m in _LONG.findall(text))
    if long / n > MAX_LONG:
        return (f"không phải văn bản đọc được: {100 * long / n:.0f}% nội dung là các chuỗi từ 60 ký tự trở lên "
                "không có dấu cách (tệp nhị phân, hay sai bảng mã?)")
    return None
