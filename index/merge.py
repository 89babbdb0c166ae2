"""What a write does to the segments it keeps: mark replaced and removed documents dead,
find stored vectors to reuse, merge segments (tiered), migrate a store written before segments.

Merge policy: a segment's tier is the order of magnitude (base ``FACTOR``) of its live chunks
over ``SMALL``; when ``MERGE_AT`` segments share a tier they become one segment of the next
tier, so a chunk is rewritten once per tier (O(log n) over the index's life) and a write's cost
stays the size of its change, amortized. A small segment with dead documents, or any segment
mostly dead, is rewritten without them (BM25's statistics then count live chunks only).
No merge makes a segment over ``MAX_SEGMENT`` chunks."""
from __future__ import annotations

import math
import sqlite3
from pathlib import Path

from index import segment
from index.store import Generation, SegmentRef, connect

SMALL = 2_000
FACTOR = 8
MERGE_AT = 8
MAX_SEGMENT = 250_000


def _con(path: Path) -> sqlite3.Connection:
    return connect(path / "store.sqlite", readonly=True)


def _in(names: list[str]) -> str:
    return ",".join("?" * len(names))


def kill(gen: Generation, names: set[str]) -> None:
    """Mark ``names`` dead in the segments holding them; drop segments left with no document."""
    if not names:
        return
    keep = []
    for ref in gen.segments:
        con = _con(gen.path(ref))
        try:
            held = {r[0] for r in con.execute(f"SELECT name FROM documents WHERE name IN ({_in(list(names))})",
                                              list(names))}
            total = con.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            con.close()
        dead = ref.dead | held
        if len(dead) < total:
            keep.append(SegmentRef(ref.name, dead))
    gen.segments = keep


def stored_vectors(gen: Generation, refs: list[SegmentRef], hashes: list[str]) -> dict[str, bytes]:
    """Vectors already stored for these text hashes, from the segments ``refs``."""
    found: dict[str, bytes] = {}
    for ref in refs:
        todo = [h for h in hashes if h not in found]
        if not todo:
            break
        con = _con(gen.path(ref))
        try:
            for i in range(0, len(todo), 500):
                part = todo[i:i + 500]
                found.update(con.execute(f"SELECT hash, vec FROM embeddings WHERE hash IN ({_in(part)})", part))
        finally:
            con.close()
    return found


def _sizes(gen: Generation, ref: SegmentRef) -> tuple[int, int]:
    """(chunks, dead chunks) of a segment."""
    con = _con(gen.path(ref))
    try:
        n = int(con.execute("SELECT value FROM seginfo WHERE key = 'chunks'").fetchone()[0])
        dead = list(ref.dead)
        d = con.execute(f"SELECT COUNT(*) FROM chunks WHERE doc IN ({_in(dead)})", dead).fetchone()[0] if dead else 0
    finally:
        con.close()
    return n, d


def _tier(live: int) -> int:
    return 0 if live < SMALL else 1 + int(math.log(live / SMALL, FACTOR))


def plan_merges(sizes: list[tuple[int, int]]) -> list[list[int]]:
    """Groups of segment positions to rewrite as one segment each, from (chunks, dead chunks)."""
    tiers: dict[int, list[int]] = {}
    for i, (n, d) in enumerate(sizes):
        if n - d < MAX_SEGMENT:
            tiers.setdefault(_tier(n - d), []).append(i)
    groups = []
    for members in tiers.values():
        dirty = [i for i in members if sizes[i][1] and (sizes[i][0] - sizes[i][1] < SMALL or 2 * sizes[i][1] > sizes[i][0])]
        group = members if len(members) >= MERGE_AT else dirty
        # a whole tier merges in slices that stay under the size cap
        part: list[int] = []
        for i in group:
            if part and sum(sizes[j][0] - sizes[j][1] for j in part + [i]) > MAX_SEGMENT:
                groups.append(part)
                part = []
            part.append(i)
        if part:
            groups.append(part)
    # a lone segment is rewritten only to drop its dead documents
    return [g for g in groups if len(g) > 1 or sizes[g[0]][1]]


def rewrite(gen: Generation, refs: list[SegmentRef]) -> SegmentRef:
    """One new segment holding the live documents of ``refs``, in their order."""
    folder = gen.new_segment()
    con = segment.create(folder / "store.sqlite")
    for ref in refs:
        segment.copy_from(con, gen.path(ref) / "store.sqlite", set(ref.dead))
    segment.finish(folder, con)
    return SegmentRef(folder.name)


def merge(gen: Generation) -> None:
    groups = plan_merges([_sizes(gen, r) for r in gen.segments])
    if not groups:
        return
    out: list[SegmentRef | None] = list(gen.segments)
    for group in groups:
        merged = rewrite(gen, [gen.segments[i] for i in group])
        for i in group:
            out[i] = None
        out[group[0]] = merged  # where its first member was: documents keep their order
    gen.segments = [r for r in out if r is not None]


def migrate(gen: Generation) -> None:
    """Copy a store written before segments into one segment (no passage is embedded again;
    a column an older version did not write takes its default until the file is ingested again)."""
    folder = gen.new_segment()
    seg = segment.create(folder / "store.sqlite")
    segment.copy_from(seg, gen.legacy, set())
    segment.finish(folder, seg)
    gen.segments = [SegmentRef(folder.name)]
    gen.legacy = None
