"""Operating-system errors as a reason an official understands, in Vietnamese (the OS gives
"Permission denied" in English, whatever the user's language)."""
from __future__ import annotations

import errno

_REASONS = {
    errno.EACCES: "không có quyền đọc tệp",
    errno.EPERM: "không có quyền đọc tệp",
    errno.ENOENT: "không tìm thấy tệp",
    errno.EISDIR: "đây là thư mục, không phải tệp",
    errno.ENOTDIR: "đường dẫn không đúng (một phần của nó không phải thư mục)",
    errno.ELOOP: "liên kết vòng quanh (trỏ về chính nó)",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EIO: "lỗi đọc ổ đĩa",
    errno.ENXIO: "thiết bị không sẵn sàng",
    errno.EMFILE: "máy chủ đang mở quá nhiều tệp; hãy thử lại",
}


def os_reason(exc: OSError) -> str:
    """Why ``exc`` stopped reading a file, in Vietnamese; an unlisted error keeps the OS text."""
    known = _REASONS.get(exc.errno or 0)
    return known or f"không đọc được tệp ({exc.strerror or exc})"
