import sqlite3
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE, TAY_NINH
from index.indexer import Indexer
from index.search import EmptyIndexError, Searcher
from index.store import current_generation, live_stores, read_manifest


def _state(index_dir: Path):
    """Generation, live documents (name, sha256) and their chunks, in index order."""
    gen = current_generation(index_dir)
    docs, chunks = [], []
    for ref, db in zip(read_manifest(gen), live_stores(index_dir)):
        con = sqlite3.connect(db)
        docs += [r for r in con.execute("SELECT name, sha256 FROM documents") if r[0] not in ref.dead]
        chunks += [r for r in con.execute("SELECT doc, ord, start, end, text FROM chunks ORDER BY id")
                   if r[0] not in ref.dead]
        con.close()
    return gen.name, sorted(docs), chunks


def test_reingest_same_files_changes_nothing(index_copy, embedder):
    before = _state(index_copy)
    report = Indexer(index_copy, embedder).ingest([SAMPLE])
    assert report.count("unchanged") == 5 and report.count("added") == 0
    assert _state(index_copy) == before  # same generation: nothing was rewritten


def test_stored_spans_match_stored_text(sample_index):
    [db] = live_stores(sample_index)
    con = sqlite3.connect(db)
    texts = dict(con.execute("SELECT name, text FROM documents"))
    rows = con.execute("SELECT doc, start, end, text FROM chunks").fetchall()
    assert len(rows) > 100
    for doc, start, end, text in rows:
        assert texts[doc][start:end] == text


def test_changed_file_replaces_its_chunks_and_reuses_other_vectors(index_copy, embedder, tmp_path):
    src = (SAMPLE / TAY_NINH).read_text(encoding="utf-8")
    changed = tmp_path / TAY_NINH
    changed.write_text(src.replace("Thời gian thực hiện: Quý III, IV/2024.",
                                   "Thời gian thực hiện: trước ngày 15/10/2024.", 1), encoding="utf-8")
    calls = []
    real = embedder.embed_passages
    embedder.embed_passages = lambda texts: (calls.append(len(texts)), real(texts))[1]
    try:
        report = Indexer(index_copy, embedder).ingest([changed])
    finally:
        del embedder.embed_passages
    assert [f.status for f in report.files] == ["replaced"]
    assert calls == [2]  # only the edited chunk and the edited answer unit (its field line) are embedded again
    _, docs, chunks = _state(index_copy)
    assert len(docs) == 5
    texts = [t for d, _, _, _, t in chunks if d == TAY_NINH]
    assert any("trước ngày 15/10/2024" in t for t in texts)
    assert not any("Quý III, IV/2024.\n\n3." in t for t in texts)
    hits = Searcher(index_copy, embedder).search("tập huấn nghiệp vụ trước ngày 15/10/2024", k=3)
    assert hits[0].chunk.doc == TAY_NINH and "15/10/2024" in hits[0].chunk.text


def test_remove_document(index_copy, embedder):
    assert Indexer(index_copy, embedder).remove([TAY_NINH, "nope.txt"]) == [TAY_NINH]
    s = Searcher(index_copy, embedder)
    assert TAY_NINH not in [d["name"] for d in s.documents()]
    assert all(h.chunk.doc != TAY_NINH for h in s.search("Tây Ninh biên giới", k=20))
    snap = s.snapshot()
    assert len(snap.chunks) == len(list(snap.chunks)) and all(c.doc != TAY_NINH for c in snap.chunks)


def test_bad_files_are_reported_and_index_is_untouched(index_copy, embedder, tmp_path):
    before = _state(index_copy)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    good = tmp_path / "new_plan.txt"
    good.write_text("KẾ HOẠCH\nThử nghiệm\n\nI. NHIỆM VỤ\n\n1. Tập huấn\n\n"
                    "- Cơ quan chủ trì: Sở Nội vụ.\n- Thời gian thực hiện: Quý IV/2025.\n", encoding="utf-8")
    report = Indexer(index_copy, embedder).ingest([tmp_path / "empty.txt", tmp_path / "binary.txt", good])
    errors = {Path(f.path).name: f.error for f in report.errors}
    assert set(errors) == {"empty.txt", "binary.txt"}
    assert "empty.txt: tệp rỗng" in errors["empty.txt"]
    assert "binary.txt" in errors["binary.txt"] and "dữ liệu nhị phân" in errors["binary.txt"]
    _, docs, chunks = _state(index_copy)
    assert [d for d, _ in docs] == [d for d, _ in before[1]] + ["new_plan.txt"]
    assert [c for c in chunks if c[0] != "new_plan.txt"] == before[2]  # old rows unchanged


def test_crash_while_writing_leaves_the_last_good_index(index_copy, embedder, tmp_path):
    before = _state(index_copy)
    f = tmp_path / "plan.txt"
    f.write_text("KẾ HOẠCH\nMới\n\nI. NHIỆM VỤ\n\n- Sở Y tế chủ trì.\n", encoding="utf-8")

    class Boom(RuntimeError):
        pass

    class Failing:
        def embed_passages(self, texts):
            raise Boom("embedding crashed")

    with pytest.raises(Boom):
        Indexer(index_copy, Failing()).ingest([f])
    assert _state(index_copy) == before
    assert not list(index_copy.glob(".tmp-*"))  # the half-written segment and generation are gone
    assert Searcher(index_copy, embedder).search("biên giới", k=1)


def test_index_files_hold_no_pickle(sample_index):
    gen = current_generation(sample_index)
    assert sorted(p.name for p in gen.iterdir()) == ["manifest.json"]
    [db] = live_stores(sample_index)
    names = sorted(p.name for p in db.parent.iterdir())
    assert names == ["lengths.npy", "post_doc.npy", "post_ptr.npy", "post_tf.npy", "store.sqlite", "units.npy",
                     "vectors.npy"]  # no ANN file: a small segment is searched exactly
    for p in db.parent.iterdir():
        assert b"\x80\x04\x95" not in p.read_bytes()[:4096]  # pickle protocol 4 header
        if p.suffix == ".npy":
            np.load(p, allow_pickle=False)


def test_vectors_are_normalised_and_aligned_with_chunks(sample_index, embedder):
    snap = Searcher(sample_index, embedder).snapshot()
    [part] = snap.parts
    v = np.asarray(part.segment.vectors)
    assert len(v) == len(snap.chunks) and len(part.segment.unit_vectors) == len(snap.units)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)


def test_searching_an_empty_dir_says_what_to_do(tmp_path, embedder):
    with pytest.raises(EmptyIndexError, match="tracuu ingest"):
        Searcher(tmp_path / "none", embedder).search("x")


def test_searcher_reloads_after_a_write(index_copy, embedder, tmp_path):
    s = Searcher(index_copy, embedder)
    first = s.snapshot().generation
    f = tmp_path / "extra.md"
    f.write_text("# KẾ HOẠCH\nPhòng chống thiên tai\n\nI. NHIỆM VỤ\n\n- Sở Nông nghiệp chủ trì diễn tập chống lũ.\n",
                 encoding="utf-8")
    Indexer(index_copy, embedder).ingest([f])
    hits = s.search("diễn tập chống lũ", k=1)
    assert s.snapshot().generation != first and hits[0].chunk.doc == "extra.md"


def test_a_snapshot_keeps_its_generation_after_a_delete(index_copy, embedder):
    """One question = one generation: search and document text come from the snapshot taken
    at its start, even after a writer has switched CURRENT and deleted that generation."""
    from conftest import TAY_NINH

    s = Searcher(index_copy, embedder)
    snap = s.snapshot()
    old_gen = current_generation(index_copy)
    text = snap.document_text(TAY_NINH)
    assert Indexer(index_copy, embedder).remove([TAY_NINH]) == [TAY_NINH]
    assert not old_gen.exists()  # the old generation's directory is gone
    hits = s.search("tuyên truyền biên giới Tây Ninh", k=3, snapshot=snap)
    assert hits and hits[0].chunk.doc == TAY_NINH  # the pinned generation still has it
    assert snap.document_text(TAY_NINH) == text and snap.sections(TAY_NINH)
    assert TAY_NINH in {d["name"] for d in snap.documents()}  # its store is still open
    assert s.document_text(TAY_NINH, snap.generation) == text  # by name, while among the recent
    with pytest.raises(KeyError):
        s.document_text(TAY_NINH)  # the live generation no longer has it
    assert all(h.chunk.doc != TAY_NINH for h in s.search("tuyên truyền biên giới Tây Ninh", k=3))
