"""On-disk index: one directory per generation, switched atomically.

    INDEX_DIR/CURRENT          name of the live generation ("gen-000003")
    INDEX_DIR/gen-000003/      store.sqlite (documents, chunks, embeddings) + vectors.faiss
    INDEX_DIR/.lock            held by a writer

A writer copies the live SQLite file into a temporary directory (".tmp-gen-*"), applies its
changes there, rebuilds the FAISS file, fsyncs it, renames the directory to a generation
number no directory has used, then replaces CURRENT (an atomic rename) and fsyncs the folder.
A crash at any point leaves the previous generation live and intact; what it left behind (a
temporary directory, a renamed generation CURRENT never pointed to, CURRENT.tmp) is removed
by the next writer, under the lock, before it starts. Nothing else in INDEX_DIR (uploads/,
other files) is touched. Nothing is pickled: SQLite rows, float32 blobs and FAISS's own format.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SCHEMA_VERSION = 4  # 2: obligations and citations tables; 3: documents.meta (header metadata) and .footnotes;
# 4: units (answer units with their embeddings)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    sections TEXT NOT NULL,          -- JSON list of {path, heading, level, start, end, breadcrumb}
    meta TEXT NOT NULL DEFAULT '{}', -- JSON of ingest.types.DocumentMeta (số hiệu, loại, ngày ban hành …)
    footnotes TEXT NOT NULL DEFAULT '[]', -- JSON list of {number, start, end, marker: [start, end] | null}
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL REFERENCES documents(name) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    section TEXT NOT NULL,
    breadcrumb TEXT NOT NULL,        -- JSON list of headings
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    lex TEXT NOT NULL,               -- space-joined lexical tokens (index.lexical)
    embed_hash TEXT NOT NULL,        -- key into embeddings
    UNIQUE (doc, ord)
);
CREATE TABLE IF NOT EXISTS embeddings (hash TEXT PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS obligations (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL REFERENCES documents(name) ON DELETE CASCADE,
    section TEXT NOT NULL,
    task TEXT NOT NULL,
    lead TEXT NOT NULL,              -- JSON list of canonical agency names
    partners TEXT NOT NULL,          -- JSON list
    deadline TEXT,
    deadline_norm TEXT,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    source TEXT NOT NULL,
    spans TEXT NOT NULL              -- JSON {task, lead, partners, deadline: [start, end] | null}
);
CREATE TABLE IF NOT EXISTS citations (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL REFERENCES documents(name) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    number_key TEXT NOT NULL,        -- upper case, no spaces: what queries match on
    date TEXT,
    issuer TEXT,
    title TEXT,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS citations_number ON citations(number_key);
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    doc TEXT NOT NULL REFERENCES documents(name) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    chunk INTEGER NOT NULL,          -- ord of the chunk holding its start
    kind TEXT NOT NULL,              -- ingest.types.Unit.kind
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL,
    roles TEXT NOT NULL,             -- JSON list
    embed_hash TEXT NOT NULL         -- key into embeddings
);
"""


def default_index_dir() -> Path:
    return Path(os.environ.get("TRACUU_INDEX", "tracuu-index"))


class OutdatedIndexError(Exception):
    pass


def schema_version(con: sqlite3.Connection) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


_GEN = re.compile(r"gen-(\d{6,})")
TMP_PREFIX = ".tmp-gen-"


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    gen = index_dir / name
    return gen if gen.is_dir() else None


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        con = sqlite3.connect(path)
        con.executescript(SCHEMA)
        _migrate(con)
        con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    return con


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a copied older store up to the current tables; its documents are re-ingested
    (the indexer treats them as changed), which fills the new columns."""
    cols = {r[1] for r in con.execute("PRAGMA table_info(documents)")}
    if "meta" not in cols:
        con.execute("ALTER TABLE documents ADD COLUMN meta TEXT NOT NULL DEFAULT '{}'")
    if "footnotes" not in cols:
        con.execute("ALTER TABLE documents ADD COLUMN footnotes TEXT NOT NULL DEFAULT '[]'")


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time; it first removes what a killed writer left (``clean_stale``),
    so every write, even one that changes nothing, leaves only the live generation."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            clean_stale(index_dir)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _generation_numbers(index_dir: Path) -> list[int]:
    return [int(m.group(1)) for p in index_dir.iterdir() if (m := _GEN.fullmatch(p.name))]


def clean_stale(index_dir: Path) -> list[str]:
    """Remove what a killed writer left: temporary generations, generations CURRENT does not
    name, a half-written CURRENT.tmp. Call only under ``writer_lock``; returns the names removed.
    Never touches the live generation or anything that is not the store's own."""
    live = current_generation(index_dir)
    removed: list[str] = []
    for p in index_dir.iterdir():
        stale = (p.name.startswith(TMP_PREFIX) or p.name == "CURRENT.tmp"
                 or (_GEN.fullmatch(p.name) is not None and (live is None or p.name != live.name)))
        if not stale or p.is_symlink():
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p.name)
    return removed


class Generation:
    """A new generation being written; ``commit()`` makes it live, leaving it discards it.
    Create it only under ``writer_lock``."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self.tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=index_dir))
        self.db_path = self.tmp / "store.sqlite"
        live = current_generation(index_dir)
        if live is not None:
            src = sqlite3.connect(f"file:{live / 'store.sqlite'}?mode=ro", uri=True)
            dst = sqlite3.connect(self.db_path)
            src.backup(dst)  # a consistent copy, even while readers have it open
            src.close()
            dst.close()
        self.con = connect(self.db_path)

    def commit(self) -> Path:
        self.con.commit()
        free, pages = (self.con.execute(f"PRAGMA {p}").fetchone()[0] for p in ("freelist_count", "page_count"))
        if free * 10 > pages:  # removed documents left free pages: do not carry them on
            self.con.execute("VACUUM")
        self.con.close()
        for f in self.tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(self.tmp)
        # a number above every directory present: a generation a killed writer renamed into
        # place (and clean_stale could not remove) never blocks the rename
        number = max(_generation_numbers(self.index_dir), default=0) + 1
        final = self.index_dir / f"gen-{number:06d}"
        os.rename(self.tmp, final)
        _fsync_dir(self.index_dir)
        pointer = self.index_dir / "CURRENT.tmp"
        pointer.write_text(final.name + "\n")
        with open(pointer, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer, self.index_dir / "CURRENT")
        _fsync_dir(self.index_dir)
        for old in self.index_dir.iterdir():
            if _GEN.fullmatch(old.name) and old != final and not old.is_symlink():
                shutil.rmtree(old, ignore_errors=True)  # open readers keep their file handles
        return final

    def discard(self) -> None:
        try:
            self.con.close()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def sections_json(sections) -> str:
    return json.dumps([{"path": s.path, "heading": s.heading, "level": s.level, "start": s.start,
                        "end": s.end, "breadcrumb": list(s.breadcrumb)} for s in sections],
                      ensure_ascii=False)
