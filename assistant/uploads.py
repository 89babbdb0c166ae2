"""Documents officials upload through the app: checked, stored under the index dir with a
safe name, then handed to the Indexer, which reports each file's result.

INDEX_DIR/uploads/<safe name> keeps the file so "re-index" can read it again; the document
is known in the index by that safe name, so deleting it removes both."""
from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ingest import readers
from ingest.readers import supported_extensions

if TYPE_CHECKING:  # the indexer (and the ingest pipeline) loads with the first write, not with the app
    from index.indexer import Indexer

UPLOAD_DIR = "uploads"
ALLOWED = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")  # what the app offers; a reader must exist too
MAX_NAME = 120

STATUS_VI = {"added": "đã thêm", "replaced": "đã cập nhật", "unchanged": "không đổi", "error": "lỗi",
             "rejected": "bị từ chối"}


@dataclass
class UploadResult:
    name: str  # as the user gave it
    stored: str  # safe name under uploads/, = the document's name in the index ("" when rejected)
    status: str  # "added" | "replaced" | "unchanged" | "error" | "rejected"
    chunks: int = 0
    message: str = ""


def safe_name(name: str) -> str:
    """A file name that stays inside the upload folder: no directories, no leading dot, only
    letters (Vietnamese included), digits and ``._- ``, NFC, bounded length."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = re.sub(r"[^\w.\- ]", "_", base).strip(" .")
    base = re.sub(r"\.{2,}", ".", base)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.strip(" ._") or "van_ban"
    ext = ext[:10]
    keep = MAX_NAME - len(ext) - 1
    return f"{stem[:keep]}.{ext}" if ext else stem[:MAX_NAME]


def upload_dir(index_dir: Path) -> Path:
    d = Path(index_dir) / UPLOAD_DIR
    d.mkdir(parents=True, exist_ok=True)
    return d


def stored_path(index_dir: Path, name: str) -> Path:
    """Where ``name`` (already a document name) lives; refuses anything outside uploads/."""
    root = upload_dir(index_dir).resolve()
    p = (root / safe_name(name)).resolve()
    if p.parent != root:
        raise ValueError(f"{name}: không phải tên tệp trong thư mục tải lên")
    return p


def max_upload_bytes() -> int:
    """The readers' own size limit, so an upload they would refuse is refused before it is stored."""
    if hasattr(readers, "max_bytes"):  # configurable limit ($TRACUU_MAX_FILE_MB)
        return int(readers.max_bytes())
    return int(getattr(readers, "MAX_BYTES", 20 * 1024 * 1024))


def check(path: Path, name: str) -> str | None:
    """Why this upload is refused, in Vietnamese, or None."""
    ext = Path(name).suffix.lower()
    readable = set(supported_extensions())
    if ext not in ALLOWED:
        return f"{name}: loại tệp '{ext or '(không có đuôi)'}' không được nhận (chỉ nhận {', '.join(ALLOWED)})"
    if ext not in readable:
        return f"{name}: chưa có bộ đọc cho tệp {ext} trên máy chủ này (đọc được: {', '.join(sorted(readable))})"
    size, limit = path.stat().st_size, max_upload_bytes()
    if size > limit:
        return f"{name}: tệp quá lớn ({size / 1024 / 1024:.1f} MB, giới hạn {limit / 1024 / 1024:.0f} MB)"
    if size == 0:
        return f"{name}: tệp rỗng"
    return None


def ingest_uploads(index_dir: Path, files: list[tuple[Path, str]], indexer: Indexer,
                   progress: Callable[[int, int, str], None] | None = None) -> list[UploadResult]:
    """``files``: (temporary path, name the user gave). Refused files never reach the index;
    the rest are copied under uploads/ and ingested in one generation."""
    results: list[UploadResult] = []
    accepted: dict[str, UploadResult] = {}
    for tmp, name in files:
        why = check(Path(tmp), name)
        if why:
            results.append(UploadResult(name, "", "rejected", message=why))
            continue
        dst = stored_path(index_dir, name)
        r = UploadResult(name, dst.name, "error")
        # written beside, renamed into place: a half-copied file is never read
        part = dst.with_name("." + dst.name + ".part")
        shutil.copyfile(tmp, part)
        part.replace(dst)
        accepted[dst.name] = r
        results.append(r)
    if accepted:
        paths = [stored_path(index_dir, n) for n in accepted]
        report = indexer.ingest(paths, progress)
        for f in report.files:
            key = Path(f.doc or f.path).name
            r = accepted.get(key)
            if r is None:
                continue
            r.status, r.chunks = f.status, f.chunks
            r.message = _short(f.error, index_dir)
        for name, r in accepted.items():
            if r.status == "error":
                stored_path(index_dir, name).unlink(missing_ok=True)  # not indexed: do not keep it
    return results


def delete_document(index_dir: Path, name: str, indexer: Indexer) -> bool:
    """Remove a document from the index and its stored upload, if it came from one."""
    removed = bool(indexer.remove([name]))
    try:
        p = stored_path(index_dir, name)
    except ValueError:
        return removed
    if p.name == name and p.exists():
        p.unlink()
    return removed


def reindex(index_dir: Path, indexer: Indexer,
            progress: Callable[[int, int, str], None] | None = None) -> list[UploadResult]:
    """Read every stored upload again: changed files replace their documents, unchanged ones
    are skipped, an index built by an older tracuu is filled in."""
    paths = sorted(p for p in upload_dir(index_dir).iterdir() if p.is_file() and not p.name.startswith("."))
    if not paths:
        return []
    report = indexer.ingest(paths, progress)
    return [UploadResult(Path(f.doc or f.path).name, Path(f.doc or f.path).name, f.status, f.chunks,
                         _short(f.error, index_dir)) for f in report.files]


def _short(error: str, index_dir: Path) -> str:
    """Errors name the stored file; the user knows it by its name, not the server's path."""
    for d in {str(upload_dir(index_dir).resolve()), str(upload_dir(index_dir))}:
        error = error.replace(d + "/", "")
    return error


def results_markdown(results: list[UploadResult]) -> str:
    if not results:
        return "_Không có tệp nào._"
    rows = ["| Tệp | Kết quả | Số đoạn | Ghi chú |", "|---|---|---|---|"]
    for r in results:
        note = r.message or (f"lưu là {r.stored}" if r.stored and r.stored != r.name else "")
        rows.append(f"| {r.name.replace('|', '_')} | {STATUS_VI.get(r.status, r.status)} | {r.chunks or ''} | {note} |")
    ok = sum(r.status in ("added", "replaced", "unchanged") for r in results)
    return f"**{ok}/{len(results)} tệp nạp được.**\n\n" + "\n".join(rows)
