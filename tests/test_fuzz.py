"""Fuzzing the ingest path with what an attacker or an unlucky user uploads: seeded mutations
of real files of every format, decompression bombs, deeply nested PDFs, garbage text,
symbolic links and FIFOs. Every file either reads or fails with one IngestError naming it
(never another exception, never a hang), and a failed file leaves the index as it was."""
from __future__ import annotations

import io
import os
import random
import shutil
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import SAMPLE
from docbuild import make_docx, make_pdf
from index.indexer import Indexer
from index.store import current_generation
from ingest import IngestError, load_document
from ingest.readers import read_text

SEED = 16
VI_LETTERS = "àáâãèéêìíòóôõùúýăđĩũơư"
MUTANTS = 120  # per format
PARAS = [p.strip() for p in (SAMPLE / "003_c1ee218e7dc2fd12.txt").read_text(encoding="utf-8").split("\n\n")
         if p.strip()][:12]


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("originals")
    text = "\n\n".join(PARAS) + "\n"
    (d / "kh.txt").write_text(text, encoding="utf-8")
    (d / "kh.md").write_text("# " + text, encoding="utf-8")
    (d / "kh.html").write_text("<html><head><meta charset='utf-8'><title>KH</title></head><body>"
                               + "".join(f"<p>{p}</p>" for p in PARAS)
                               + "<table><tr><th>Nhiệm vụ</th><th>Chủ trì</th></tr>"
                               "<tr><td>Tuyên truyền</td><td>Sở Tư pháp</td></tr></table></body></html>",
                               encoding="utf-8")
    make_docx(d / "kh.docx", [("p", p) for p in PARAS] + [("table", [["Nhiệm vụ", "Chủ trì"],
                                                                      ["Tuyên truyền", "Sở Tư pháp"]])])
    make_pdf(d / "kh.pdf", [PARAS[:6], PARAS[6:]])
    return {p.suffix: p for p in d.iterdir()}


@pytest.fixture(scope="module")
def index(tmp_path_factory, embedder, originals) -> Path:
    d = tmp_path_factory.mktemp("fuzz-index")
    assert Indexer(d, embedder).ingest([originals[".txt"]]).count("added") == 1
    return d


def _state(index: Path) -> tuple[str, list]:
    from index.search import Searcher

    return current_generation(index).name, sorted(Searcher(index).snapshot().titles)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        i = rng.randrange(len(b))
        n = rng.randint(1, max(1, len(b) // 20))
        if op == 0:  # flip bits
            for j in range(i, min(len(b), i + n)):
                b[j] ^= 1 << rng.randrange(8)
        elif op == 1:  # truncate
            del b[max(1, i):]
        elif op == 2:  # random bytes inserted
            b[i:i] = bytes(rng.randrange(256) for _ in range(n))
        elif op == 3:  # a range duplicated
            b[i:i] = b[i:i + n]
        elif op == 4:  # a range zeroed
            b[i:i + n] = bytes(len(b[i:i + n]))
        else:  # a range deleted
            del b[i:i + n]
        if not b:
            b = bytearray(b"x")
    return bytes(b)


def _mutate_zip_parts(data: bytes, rng: random.Random) -> bytes:
    """A DOCX whose zip is intact but whose XML parts are damaged."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename.endswith(".xml") and rng.random() < 0.5:
                part = _mutate(part, rng)
            dst.writestr(info.filename, part)
    return out.getvalue()


def _read_or_ingest_error(path: Path) -> bool:
    """True when the file reads; False when it fails with an IngestError naming it. Any other
    exception fails the test."""
    try:
        load_document(path)
        return True
    except IngestError as exc:
        assert str(exc).startswith(str(path)), exc
        return False


def test_mutated_files_of_every_format_read_or_fail_cleanly(originals, index, embedder, tmp_path):
    rng = random.Random(SEED)
    failed: list[Path] = []
    for ext, original in sorted(originals.items()):
        assert _read_or_ingest_error(original), f"the original {ext} must read"
        data = original.read_bytes()
        for i in range(MUTANTS):
            mutant = _mutate_zip_parts(data, rng) if ext == ".docx" and i % 2 else _mutate(data, rng)
            path = tmp_path / f"m{i:02d}{ext}"
            path.write_bytes(mutant)
            if not _read_or_ingest_error(path):
                failed.append(path)
    assert len(failed) >= 20  # the mutations do break files
    before = _state(index)
    report = Indexer(index, embedder).ingest(failed)
    assert [f.status for f in report.files] == ["error"] * len(failed)
    assert all(f.error.startswith(f.path) for f in report.files)
    assert _state(index) == before  # nothing written


def _docx_bomb(path: Path, mb: int) -> Path:
    """A real DOCX whose document.xml inflates to ``mb`` MB of paragraphs (~1 MB on disk)."""
    make_docx(path, [("p", "x")])
    src = zipfile.ZipFile(path)
    parts = {i.filename: src.read(i) for i in src.infolist()}
    src.close()
    para = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 30000
    head, tail = parts["word/document.xml"].split(b"<w:body>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            if name != "word/document.xml":
                z.writestr(name, data)
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head + b"<w:body>")
            for _ in range(mb * 1024 * 1024 // len(para)):
                fh.write(para)
            fh.write(tail)  # the original paragraph, section properties and </w:body>
    return path


def _pdf(objects: list[bytes], page_extra: bytes = b"") -> bytes:
    """A minimal PDF: catalog, one page whose content is object 4, then ``objects`` from 4 on."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + page_extra + b">>"] + objects
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    out.writelines(b"%010d 00000 n \n" % o for o in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, filters: str) -> bytes:
    return b"<< /Length %d /Filter [%s] >>\nstream\n" % (len(data), filters.encode()) + data + b"\nendstream"


BOMBS = {
    # name -> (builder, what the error says; None: the file reads)
    "docx_bomb.docx": (lambda p: _docx_bomb(p, 200), "bom giải nén"),
    "pdf_flate_bomb.pdf": (lambda p: p.write_bytes(_pdf([_stream(
        zlib.compress(zlib.compress(bytes(96 << 20), 9), 9), "/FlateDecode /FlateDecode")])),
        "bom giải nén"),
    "pdf_stream_bomb.pdf": (lambda p: p.write_bytes(_pdf([_stream(zlib.compress(bytes(48 << 20), 9),
                                                                  "/FlateDecode")])), "bom giải nén"),
    "pdf_nested.pdf": (lambda p: p.write_bytes(_pdf([b"<< /Length 0 /X " + b"[" * 50000 + b"]" * 50000
                                                     + b" >>\nstream\n\nendstream"])), "lồng mảng hoặc từ điển sâu hơn 64 tầng"),
    "pdf_nested_page.pdf": (lambda p: p.write_bytes(_pdf([_stream(zlib.compress(b"BT (x) Tj ET"), "/FlateDecode")],
                                                          b"/X " + b"[" * 50000 + b"]" * 50000 + b" ")), "lồng mảng hoặc từ điển sâu hơn 64 tầng"),
    # the same nesting inside the compressed page content, where only pypdf sees it
    "pdf_nested_content.pdf": (lambda p: p.write_bytes(_pdf([_stream(zlib.compress(
        b"BT " + b"[" * 50000 + b"(x)" + b"]" * 50000 + b" TJ ET"), "/FlateDecode")])), ""),
    # the HTML reader walks the page's element tree: a crafted depth is one clear error
    "deep.html": (lambda p: p.write_text("<div>" * 100000 + "Kế hoạch" + "</div>" * 100000), "lồng nhau quá sâu"),
    "utf32.txt": (lambda p: p.write_bytes("Kế hoạch tuyên truyền\n".encode("utf-32")), "không phải văn bản đọc được"),
    "zero_width.txt": (lambda p: p.write_text("\u200b\u200c\u200d\u2060\u202e\ufeff" * 500, encoding="utf-8"),
                       "không phải văn bản đọc được"),
    "ansi.txt": (lambda p: p.write_text("\x1b[2J\x1b[31m\x1b]0;x\x07" * 300 + "xin chào", encoding="utf-8"),
                 "không phải văn bản đọc được"),
    "random.txt": (lambda p: p.write_bytes(bytes(random.Random(SEED).randrange(128, 256) for _ in range(20000))),
                   ""),
    # bytes that decode as Windows-1258 Vietnamese letters, but no words
    "mojibake.txt": (lambda p: p.write_bytes(bytes(random.Random(SEED).choices(
        bytes(range(97, 123)) + bytes(b for b in range(192, 256) if bytes([b]).decode("cp1258") in VI_LETTERS),
        k=20000))), "không phải văn bản đọc được"),
    "huge_text.txt": (lambda p: p.write_text(("Kế hoạch số 1. " * 10 + "\n") * 60000, encoding="utf-8"),
                      "ký tự văn bản"),
}


def test_bombs_and_garbage_fail_with_a_clear_error_and_leave_the_index(index, embedder, tmp_path):
    paths = []
    for name, (build, says) in BOMBS.items():
        path = tmp_path / name
        build(path)
        if says is None:
            assert _read_or_ingest_error(path)
            continue
        with pytest.raises(IngestError) as err:
            load_document(path)
        assert str(err.value).startswith(str(path)) and says in str(err.value), str(err.value)
        paths.append(path)
    before = _state(index)
    report = Indexer(index, embedder).ingest(paths)
    assert [f.status for f in report.files] == ["error"] * len(paths)
    assert _state(index) == before


def test_parse_limits_are_enforced_by_the_worker(originals, monkeypatch):
    pdf = originals[".pdf"]
    monkeypatch.setenv("TRACUU_PARSE_SECONDS", "0")
    with pytest.raises(IngestError, match="đọc tệp quá 0 giây"):
        read_text(pdf)
    monkeypatch.setenv("TRACUU_PARSE_SECONDS", "30")
    monkeypatch.setenv("TRACUU_PARSE_MB", "1")  # the worker cannot even start its reader
    with pytest.raises(IngestError, match=str(pdf)):
        read_text(pdf)
    monkeypatch.delenv("TRACUU_PARSE_MB")
    assert read_text(pdf)[0].strip()


def test_folder_ingest_reads_only_regular_files_inside_it(originals, index, embedder, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("mật khẩu bí mật của máy chủ\n", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copyfile(originals[".txt"], folder / "kh.txt")  # already indexed: unchanged
    (folder / "ngoai.txt").symlink_to(outside)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "zero.txt").symlink_to("/dev/zero")
    (folder / "hong.txt").symlink_to(tmp_path / "missing.txt")
    (folder / "trong.txt").symlink_to(folder / "kh.txt")  # a link inside the folder is read
    os.mkfifo(folder / "fifo.txt")
    (folder / "thu_muc.txt").mkdir()
    (tmp_path / "linked_dir").mkdir()
    (tmp_path / "linked_dir" / "x.txt").write_text("không được đọc\n", encoding="utf-8")
    (folder / "lien_ket").symlink_to(tmp_path / "linked_dir")
    before = _state(index)
    report = Indexer(index, embedder).ingest([folder])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["kh.txt"].status == "unchanged"
    skipped = {n: f.error for n, f in by_name.items() if f.status == "skipped"}
    assert set(skipped) == {"ngoai.txt", "passwd.txt", "zero.txt", "hong.txt", "fifo.txt", "thu_muc.txt",
                            "lien_ket"}
    assert "liên kết tới một tệp nằm ngoài thư mục" in skipped["passwd.txt"] and "ống dẫn FIFO" in skipped["fifo.txt"]
    assert "là thư mục" in skipped["thu_muc.txt"] and "liên kết hỏng" in skipped["hong.txt"]
    assert by_name["trong.txt"].status in ("added", "unchanged", "replaced")
    assert not report.errors
    names = _state(index)[1]
    assert "ngoai.txt" not in names and "passwd.txt" not in names
    # a FIFO or device named on the command line is refused without blocking on it
    with pytest.raises(IngestError, match="không phải tệp thông thường"):
        read_text(folder / "fifo.txt")
    with pytest.raises(IngestError, match="không phải tệp thông thường"):
        read_text(folder / "zero.txt")
    assert before[1] <= names


def test_cli_ingest_goes_on_past_bad_files_and_exits_with_their_count(originals, index, tmp_path, capsys):
    from assistant.cli import main

    folder = tmp_path / "lo"
    folder.mkdir()
    shutil.copyfile(originals[".txt"], folder / "kh.txt")  # already indexed: unchanged
    (folder / "a_hong.pdf").write_bytes(b"%PDF-1.7\n" + bytes(100))
    BOMBS["zero_width.txt"][0](folder / "b_vo_hinh.txt")
    os.mkfifo(folder / "c_fifo.txt")
    before = _state(index)
    assert main(["ingest", "--index", str(index), str(folder)]) == 2
    out, err = capsys.readouterr()
    assert "không đổi kh.txt" in out and "1 không đổi, 2 lỗi" in out
    assert f"LỖI    {folder / 'a_hong.pdf'}: " in err and f"LỖI    {folder / 'b_vo_hinh.txt'}: " in err
    assert f"BỎ QUA {folder / 'c_fifo.txt'}: không phải tệp thông thường (ống dẫn FIFO)" in err
    assert _state(index) == before
