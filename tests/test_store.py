"""The segment store: loading what ingest wrote gives the search the old in-memory path gave,
a write adds one segment and touches nothing else, a reload reuses the loaded segments,
filters act inside both channels, merges and dead documents, ANN recall on real vectors."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from conftest import FLAGSHIP, FLAGSHIP_PLAIN, SAMPLE, SHARED_DEV, TAY_NINH
from index import lexical, merge, vectors
from index.filters import SearchFilter, doc_meta
from index.indexer import Indexer
from index.restore import Restorer
from index.rows import load_headers
from index.search import Searcher, Snapshot
from index.store import current_generation, live_stores, read_manifest
from ingest.types import Chunk

QUERIES = [FLAGSHIP, FLAGSHIP_PLAIN, "Uỷ ban nhân dân tỉnh giao Sở nào phối hợp", "thoi han hoan thanh bao cao",
           "Which agency coordinates border propaganda?", "kinh phí thực hiện kế hoạch"]


def _dev_questions(n: int = 20) -> list[str]:
    if not SHARED_DEV.exists():
        return []
    lines = [json.loads(x) for x in SHARED_DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [d["question"] for d in lines[:n]]


def _old_path(index: Path) -> Snapshot:
    """The snapshot the code before segments built at every load: Chunk objects, BM25 from the
    stored token strings, the restorer from every text, FAISS flat over every vector."""
    import faiss

    [db] = live_stores(index)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = con.execute("SELECT * FROM chunks ORDER BY id").fetchall()
    docs = con.execute("SELECT name, title, text FROM documents").fetchall()
    vecs = con.execute("SELECT e.vec FROM chunks c JOIN embeddings e ON e.hash = c.embed_hash ORDER BY c.id")
    flat = faiss.IndexFlatIP(384)
    flat.add(np.stack([np.frombuffer(r[0], np.float32) for r in vecs]))
    snap = Snapshot("old", [Chunk(r["doc"], r["ord"], r["section"], tuple(json.loads(r["breadcrumb"])), r["start"],
                                  r["end"], r["text"], r["tokens"]) for r in rows],
                    {r["name"]: r["title"] for r in docs}, flat, lexical.BM25([r["lex"].split() for r in rows]),
                    None, Restorer(r["text"] for r in docs), [], [],
                    meta=doc_meta([(r["name"], r["title"], r["text"]) for r in docs], load_headers(con)))
    con.close()
    return snap


def _fixed(snap, embedder):
    class Fixed(Searcher):
        def snapshot(self):
            return snap

    return Fixed(Path("."), embedder)


def test_stored_index_searches_as_the_old_in_memory_path(sample_index, embedder):
    new = Searcher(sample_index, embedder)
    snap = new.snapshot()
    old_snap = _old_path(sample_index)
    old = _fixed(old_snap, embedder)
    assert len(snap.chunks) == len(old_snap.chunks)
    filters = [None, SearchFilter(docs=(TAY_NINH,)), SearchFilter(type="kế hoạch"), SearchFilter(year=2024)]
    for q in QUERIES + _dev_questions():
        assert snap.restorer.restore(q) == old_snap.restorer.restore(q), q
        assert snap.restorer.known_fraction(q) == pytest.approx(old_snap.restorer.known_fraction(q))
        for tok in lexical.query_tokens(q):
            assert snap.bm25.idf(tok) == pytest.approx(old_snap.bm25.idf(tok))
        for f in filters:
            for rescore in (False, True):
                a = new.search(q, k=10, filters=f, rescore=rescore)
                b = old.search(q, k=10, filters=f, rescore=rescore)
                # FAISS and numpy sum in other orders: scores agree to float32 precision, not bit for bit
                assert [h.chunk for h in a] == [h.chunk for h in b], (q, f)
                assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-4), (q, f)


def test_a_documents_chunks_read_a_few_at_a_time_are_all_its_chunks_in_order(sample_index, embedder):
    snap = Searcher(sample_index, embedder).snapshot()
    old = _old_path(sample_index)
    for d in old.titles:
        assert list(snap.chunks_of(d)) == old.chunks_of(d) and len(old.chunks_of(d)) > 4, d
    assert list(snap.chunks_of("khong-co.txt")) == []


def _files(index: Path) -> dict[str, tuple[int, int, int]]:
    return {str(p.relative_to(index)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_ino)
            for p in index.rglob("*") if p.is_file()}


def test_a_write_adds_one_segment_and_touches_nothing_else(index_copy, embedder, tmp_path):
    before = _files(index_copy)
    f = tmp_path / "moi.md"
    f.write_text("# KẾ HOẠCH\nDiễn tập phòng cháy\n\nI. NHIỆM VỤ\n\n- Công an tỉnh chủ trì diễn tập phòng cháy.\n",
                 encoding="utf-8")
    Indexer(index_copy, embedder).ingest([f])
    after = _files(index_copy)
    old_seg = {k: v for k, v in before.items() if k.startswith("seg-")}
    assert all(after.get(k) == v for k, v in old_seg.items())  # the old segment: not one byte rewritten
    new = {k: v for k, v in after.items() if k not in before}
    assert {Path(k).parts[0] for k in new} == {current_generation(index_copy).name,
                                               read_manifest(current_generation(index_copy))[-1].name}
    [old_db, new_db] = live_stores(index_copy)
    con = sqlite3.connect(new_db)
    assert [r[0] for r in con.execute("SELECT name FROM documents")] == ["moi.md"]
    con.close()
    # what was written is the size of the change, not of the index
    assert sum(v[0] for v in new.values()) < sum(v[0] for v in old_seg.values()) / 3


def test_reload_reuses_loaded_segments_and_does_not_block(index_copy, embedder, tmp_path):
    s = Searcher(index_copy, embedder)
    first = s.snapshot()
    f = tmp_path / "extra.md"
    f.write_text("# KẾ HOẠCH\nChống lũ\n\nI. NHIỆM VỤ\n\n- Sở Nông nghiệp chủ trì diễn tập chống lũ.\n",
                 encoding="utf-8")
    Indexer(index_copy, embedder).ingest([f])
    # while another question loads the new generation, this one is answered from the loaded one
    with s._loading:
        assert s.snapshot() is first
    second = s.snapshot()
    assert second.generation != first.generation
    assert second.parts[0].segment is first.parts[0].segment  # loaded once, shared
    assert len(second.parts) == 2 and s.search("diễn tập chống lũ", k=1)[0].chunk.doc == "extra.md"


def test_filters_act_inside_both_channels(sample_index, embedder):
    snap = Searcher(sample_index, embedder).snapshot()
    allowed = {TAY_NINH}
    qv = embedder.embed_queries([FLAGSHIP])[0].astype(np.float32)
    n = len(snap.chunks)
    inside = snap.dense(qv, 10, allowed)
    after = [i for i in snap.dense(qv, n, None) if snap.chunks[i].doc in allowed][:10]
    assert list(inside) == after and all(snap.chunks[i].doc == TAY_NINH for i in inside)
    toks = lexical.query_tokens(FLAGSHIP_PLAIN)
    top, scores = snap.lexical(toks, 10, allowed, [])
    full, all_scores = snap.lexical(toks, n, None, [])
    assert top == [i for i in full if snap.chunks[i].doc in allowed][:10]
    assert all(scores[i] == pytest.approx(all_scores[i]) for i in top)


def test_check_says_what_a_question_would_without_loading(sample_index, embedder, tmp_path):
    from index.search import EmptyIndexError

    s = Searcher(sample_index, embedder)
    s.check()
    assert s._snap is None  # nothing loaded: `tracuu serve` starts, the index loads after
    with pytest.raises(EmptyIndexError, match="chưa có chỉ mục"):
        Searcher(tmp_path / "none", embedder).check()


def test_a_filter_whose_documents_lack_every_query_word(sample_index, embedder):
    """The allowed documents hold none of the query's words: BM25 has nothing, the dense
    channel still answers inside the filter (this raised IndexError before)."""
    s = Searcher(sample_index, embedder)
    cao_bang = "001_2acf101d37e4caff.txt"
    text = s.snapshot().document_text(cao_bang).lower()
    assert "phê duyệt" not in text and "phê duyệt" in s.snapshot().document_text(TAY_NINH).lower()
    hits = s.search("phê duyệt", k=5, filters=SearchFilter(docs=(cao_bang,)))
    assert hits and {h.chunk.doc for h in hits} == {cao_bang} and all(not h.lexical for h in hits)
    assert s.search("phê duyệt", k=5, filters=SearchFilter(year=1999)) == []


def test_removed_documents_are_dead_until_a_merge_drops_them(index_copy, embedder, monkeypatch):
    monkeypatch.setattr(merge, "SMALL", 1)  # the sample segment counts as large: no rewrite on delete
    Indexer(index_copy, embedder).remove([TAY_NINH])
    [ref] = read_manifest(current_generation(index_copy))
    assert ref.dead == {TAY_NINH}
    snap = Searcher(index_copy, embedder).snapshot()
    assert TAY_NINH not in snap.titles and all(o.doc != TAY_NINH for o in snap.obligations)
    assert all(c.doc != TAY_NINH for c in snap.chunks) and len(snap.chunks) == len(list(snap.chunks))
    hits = Searcher(index_copy, embedder).search("tuyên truyền biên giới Tây Ninh", k=20)
    assert hits and all(h.chunk.doc != TAY_NINH for h in hits)
    with pytest.raises(KeyError):
        snap.document_text(TAY_NINH)
    monkeypatch.setattr(merge, "SMALL", 2000)
    Indexer(index_copy, embedder).ingest([SAMPLE / TAY_NINH])  # the segment with a dead document is rewritten
    refs = read_manifest(current_generation(index_copy))
    assert all(not r.dead for r in refs)
    assert Searcher(index_copy, embedder).search("tuyên truyền biên giới Tây Ninh", k=1)[0].chunk.doc == TAY_NINH


def test_a_full_tier_is_merged_without_embedding_again(index_copy, embedder, tmp_path, monkeypatch):
    monkeypatch.setattr(merge, "MERGE_AT", 3)
    calls = []
    real = embedder.embed_passages
    embedder.embed_passages = lambda texts: (calls.append(len(texts)), real(texts))[1]
    try:
        for i, what in enumerate(("diễn tập chống lũ", "kiểm tra an toàn thực phẩm")):
            f = tmp_path / f"moi{i}.md"
            f.write_text(f"# KẾ HOẠCH\nSố {i}\n\nI. NHIỆM VỤ\n\n- Sở Y tế chủ trì {what}.\n", encoding="utf-8")
            Indexer(index_copy, embedder).ingest([f])
    finally:
        del embedder.embed_passages
    refs = read_manifest(current_generation(index_copy))
    assert len(refs) == 1  # three segments of one tier became one
    assert sorted(p.name for p in index_copy.iterdir() if p.name.startswith("seg-")) == [refs[0].name]
    assert len(calls) == 2 and sum(calls) < 20  # the two new files only: the merge copied the sample's vectors
    s = Searcher(index_copy, embedder)
    assert s.search("kiểm tra an toàn thực phẩm", k=1)[0].chunk.doc == "moi1.md"
    assert s.search(FLAGSHIP, k=1)[0].chunk.doc == TAY_NINH


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_ann_recall_on_real_vectors(sample_index, embedder, kind, monkeypatch):
    """recall@10 of the ANN index against exact search, on the sample's real e5 vectors (its
    chunks and answer units) and real questions, with and without a filter."""
    snap = Searcher(sample_index, embedder).snapshot()
    [part] = snap.parts
    base = np.concatenate([np.asarray(part.segment.vectors), np.asarray(part.segment.unit_vectors)])
    questions = QUERIES + _dev_questions(47)
    qs = embedder.embed_queries(questions).astype(np.float32)
    ann = vectors.build_ann(base, kind)
    rng = np.random.default_rng(1)
    mask = rng.random(len(base)) < 0.5
    monkeypatch.setattr(vectors, "EXACT_MAX", 0)  # the filter goes through FAISS's ID selector
    hit = hit_f = 0
    for q in qs:
        exact = set(np.argsort(-(base @ q))[:10])
        got, _ = vectors.search(base, ann, q, 10, None)
        hit += len(exact & set(got.tolist()))
        exact_f = set(np.flatnonzero(mask)[np.argsort(-(base[mask] @ q))[:10]])
        got_f, _ = vectors.search(base, ann, q, 10, mask)
        assert mask[got_f].all()
        hit_f += len(exact_f & set(got_f.tolist()))
    assert hit / (10 * len(qs)) >= 0.95 and hit_f / (10 * len(qs)) >= 0.95


def test_plan_merges_by_tier():
    small = [(100, 0)] * 7
    assert merge.plan_merges(small) == []
    assert merge.plan_merges(small + [(50, 0)]) == [list(range(8))]
    # a small segment with a dead document is rewritten alone; a large one only when mostly dead
    assert merge.plan_merges([(100, 10), (50_000, 10_000), (50_000, 30_000)]) == [[0], [2]]
    # no merge grows a segment over the cap
    big = [(200_000, 0)] * 8
    assert all(sum(big[i][0] for i in g) <= merge.MAX_SEGMENT for g in merge.plan_merges(big))


def test_a_segment_name_is_never_reused_so_a_running_searcher_sees_the_new_document(tmp_path, embedder):
    # a searcher keeps loaded segments by name: an upload after a delete that emptied the last
    # segment must not get that segment's name back (the app showed the deleted document instead)
    base, upload, other = (tmp_path / n for n in ("ke-hoach-a.txt", "ke-hoach-b.txt", "ke-hoach-c.txt"))
    base.write_text("KẾ HOẠCH\nTuyên truyền biên giới\n\n1. Sở Ngoại vụ chủ trì tuyên truyền biên giới.\n",
                    encoding="utf-8")
    upload.write_text("KẾ HOẠCH\nPhòng chống bão lũ\n\n1. Bộ Chỉ huy Quân sự tỉnh chủ trì diễn tập cứu hộ.\n",
                      encoding="utf-8")
    other.write_text("KẾ HOẠCH\nỨng phó lũ quét\n\n1. Sở Nông nghiệp và Môi trường chủ trì sơ tán dân.\n",
                     encoding="utf-8")
    index = tmp_path / "index"
    indexer, searcher = Indexer(index, embedder), Searcher(index, embedder)
    indexer.ingest([base])
    indexer.ingest([upload])
    assert {d["name"] for d in searcher.documents()} == {base.name, upload.name}
    indexer.remove([upload.name])
    assert {d["name"] for d in searcher.documents()} == {base.name}
    indexer.ingest([other])
    assert {d["name"] for d in searcher.documents()} == {base.name, other.name}
    assert searcher.search("sơ tán dân", k=1)[0].chunk.doc == other.name
    names = [r.name for r in read_manifest(current_generation(index))]
    assert len(names) == len(set(names))



def test_a_question_reads_its_documents_alone_and_they_match_the_full_table(sample_index, index_copy, embedder,
                                                                            monkeypatch):
    """Opening a segment reads no per-document table; the rows a question looks up one by one
    (title, chunk range, part) equal the full table's, dead documents included, and so do the
    titles mapping, its length and a filter's chunk mask."""
    snap = Searcher(sample_index, embedder).snapshot()
    n = len(snap.titles)  # counted, no document being dead
    assert "docs" not in snap.parts[0].segment.__dict__ and "_doc_part" not in snap.__dict__
    assert n == len(snap.parts[0].segment.docs) == len(snap._doc_part)

    monkeypatch.setattr(merge, "SMALL", 1)  # the sample segment counts as large: no rewrite on delete
    Indexer(index_copy, embedder).remove([TAY_NINH])
    fresh = Searcher(index_copy, embedder).snapshot()
    seg = fresh.parts[0].segment
    names = [r[0] for r in seg.rows("SELECT name FROM documents")]
    alone = {d: (seg.doc(d), fresh.part_of(d) is not None, fresh.titles.get(d)) for d in names}
    few = names[:2]
    mask = seg.mask(few)
    assert "docs" not in seg.__dict__ and "_doc_part" not in fresh.__dict__
    for d in names:  # against the full table, read afterwards
        assert alone[d] == (seg.docs[d], d in fresh._doc_part, seg.docs[d][0] if d != TAY_NINH else None)
    assert np.array_equal(mask, seg.mask(few)) and mask.sum() == sum(seg.docs[d][2] - seg.docs[d][1] + 1 for d in few)
    assert seg.doc("khong-co.txt") is None and fresh.part_of("khong-co.txt") is None
    assert dict(fresh.titles) == {d: seg.docs[d][0] for d in names if d != TAY_NINH}
    assert TAY_NINH not in fresh.titles and len(fresh.titles) == len(names) - 1 == n - 1
