"""On-disk index: immutable segments, and one small manifest per generation, switched atomically.

    INDEX_DIR/CURRENT                     name of the live generation ("gen-000003")
    INDEX_DIR/gen-000003/manifest.json    the live segments, in order, and per segment the
                                          documents replaced or removed since it was written
    INDEX_DIR/seg-000005/                 one segment (index.segment): its own SQLite store,
                                          vectors, BM25 postings, restorer counts, ANN index
    INDEX_DIR/.lock                       held by a writer

A write costs the size of its change: it writes one new segment holding the documents it
adds (vectors of unchanged passages are copied from the segments that have them, not embedded
again), marks the documents it replaces or removes as dead in the new manifest, and merges
segments only when a size tier fills up (``plan_merges``: each chunk is rewritten O(log n)
times over the index's life) or a small segment has dead documents. New segments and the
generation are written under temporary names (".tmp-seg-*", ".tmp-gen-*"), fsynced, renamed
to numbers no directory has used, then CURRENT is replaced (an atomic rename) and the folder
fsynced. A crash at any point leaves the previous generation live and intact; what it left
behind (temporary directories, segments or generations the live manifest does not name,
CURRENT.tmp) is removed by the next writer, under the lock, before it starts. Nothing else in
INDEX_DIR (uploads/, feedback.sqlite) is touched. Nothing is pickled: SQLite rows, .npy arrays
and FAISS's own format.

An index written before segments (a single gen-N/store.sqlite) reads as outdated; the next
write migrates its documents into a segment without embedding them again.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

SCHEMA_VERSION = 5  # 2: obligations and citations tables; 3: documents.meta (header metadata) and .footnotes;
# 4: units (answer units with their embeddings); 5: segments with stored postings, counts and vectors
MIGRATABLE = 4  # single-file stores from this schema on hold every row a segment does
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
_SEG = re.compile(r"seg-(\d{6,})")
TMP_PREFIX = ".tmp-gen-"
TMP_SEG = ".tmp-seg-"
MANIFEST = "manifest.json"


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


def _numbers(index_dir: Path, pattern: re.Pattern) -> list[int]:
    return [int(m.group(1)) for p in index_dir.iterdir() if (m := pattern.fullmatch(p.name))]


@dataclass(frozen=True)
class SegmentRef:
    name: str
    dead: frozenset[str] = frozenset()  # documents replaced or removed since it was written


def _manifest(gen: Path) -> dict | None:
    """The generation's manifest; None for an index written before segments (no manifest)."""
    try:
        return json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if (gen / "store.sqlite").exists():
            return None
        raise


def _refs(data: dict) -> list[SegmentRef]:
    return [SegmentRef(s["name"], frozenset(s["dead"])) for s in data["segments"]]


def read_manifest(gen: Path) -> list[SegmentRef] | None:
    """The generation's segments; None for an index written before segments (no manifest)."""
    data = _manifest(gen)
    return None if data is None else _refs(data)


def _live_segments(index_dir: Path) -> set[str]:
    live = current_generation(index_dir)
    if live is None:
        return set()
    try:
        return {s.name for s in read_manifest(live) or ()}
    except (FileNotFoundError, ValueError, KeyError):
        return set()


def live_stores(index_dir: Path) -> list[Path]:
    """The SQLite stores of the live generation's segments, in order (for tools and tests;
    documents listed dead in the manifest are still in them)."""
    live = current_generation(index_dir)
    refs = read_manifest(live) if live is not None else []
    return [live / "store.sqlite"] if refs is None else [index_dir / r.name / "store.sqlite" for r in refs]


def clean_stale(index_dir: Path) -> list[str]:
    """Remove what a killed writer left: temporary directories, generations CURRENT does not
    name, segments the live manifest does not list, a half-written CURRENT.tmp. Call only
    under ``writer_lock``; returns the names removed. Never touches the live generation, its
    segments or anything that is not the store's own."""
    live = current_generation(index_dir)
    segs = _live_segments(index_dir)
    removed: list[str] = []
    for p in index_dir.iterdir():
        stale = (p.name.startswith((TMP_PREFIX, TMP_SEG)) or p.name == "CURRENT.tmp"
                 or (_GEN.fullmatch(p.name) is not None and (live is None or p.name != live.name))
                 or (_SEG.fullmatch(p.name) is not None and p.name not in segs))
        if not stale or p.is_symlink():
            continue
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p.name)
    return removed


def _fsync_tree(folder: Path) -> None:
    for f in folder.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(folder)


class Generation:
    """A new generation being written: new segments (``new_segment``), the list of segments
    it keeps (``segments``); ``commit()`` makes it live, ``discard()`` drops it.
    Create it only under ``writer_lock``."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self.live = current_generation(index_dir)
        data = _manifest(self.live) if self.live is not None else {"segments": []}
        self.legacy = self.live / "store.sqlite" if data is None else None  # migrate on commit
        self.segments: list[SegmentRef] = _refs(data) if data is not None else []
        self.new: dict[str, Path] = {}  # temporary name -> its directory, not yet renamed
        # the highest segment number ever named: a number is never reused, even after the
        # segment holding it was merged away or emptied and removed, because readers keep
        # loaded segments by name and would take a new segment for the old one
        self.last_segment = int((data or {}).get("last_segment", 0))

    def path(self, ref: SegmentRef | str) -> Path:
        name = ref.name if isinstance(ref, SegmentRef) else ref
        return self.new.get(name) or self.index_dir / name

    def new_segment(self) -> Path:
        folder = Path(tempfile.mkdtemp(prefix=TMP_SEG, dir=self.index_dir))
        self.new[folder.name] = folder
        return folder

    def commit(self) -> Path:
        names: dict[str, str] = {}
        for tmp_name in [s.name for s in self.segments if s.name in self.new]:
            folder = self.new[tmp_name]
            _fsync_dir(folder)
            # a number above every directory present: a segment a killed writer renamed into
            # place (and clean_stale could not remove) never blocks the rename
            self.last_segment = max([self.last_segment, *_numbers(self.index_dir, _SEG)]) + 1
            final = self.index_dir / f"seg-{self.last_segment:06d}"
            os.rename(folder, final)
            names[tmp_name] = final.name
        for tmp_name, folder in self.new.items():  # written, then merged away or emptied in this write
            if tmp_name not in names:
                shutil.rmtree(folder, ignore_errors=True)
        _fsync_dir(self.index_dir)
        refs = [SegmentRef(names.get(s.name, s.name), s.dead) for s in self.segments]
        tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=self.index_dir))
        (tmp / MANIFEST).write_text(json.dumps(
            {"schema": SCHEMA_VERSION, "last_segment": self.last_segment,
             "segments": [{"name": s.name, "dead": sorted(s.dead)} for s in refs]},
            ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(tmp)
        final = self.index_dir / f"gen-{max(_numbers(self.index_dir, _GEN), default=0) + 1:06d}"
        os.rename(tmp, final)
        _fsync_dir(self.index_dir)
        pointer = self.index_dir / "CURRENT.tmp"
        pointer.write_text(final.name + "\n")
        with open(pointer, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(pointer, self.index_dir / "CURRENT")
        _fsync_dir(self.index_dir)
        keep = {s.name for s in refs}
        for old in self.index_dir.iterdir():  # open readers keep their file handles
            if old.is_symlink():
                continue
            if (_GEN.fullmatch(old.name) and old != final) or (_SEG.fullmatch(old.name) and old.name not in keep):
                shutil.rmtree(old, ignore_errors=True)
        self.new.clear()
        return final

    def discard(self) -> None:
        for folder in self.new.values():
            shutil.rmtree(folder, ignore_errors=True)
        self.new.clear()


def sections_json(sections) -> str:
    return json.dumps([{"path": s.path, "heading": s.heading, "level": s.level, "start": s.start,
                        "end": s.end, "breadcrumb": list(s.breadcrumb)} for s in sections],
                      ensure_ascii=False)
