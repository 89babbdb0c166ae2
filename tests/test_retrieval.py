"""Fusion choices, metadata filters, the second stage and the LangChain retriever, on the real
sample index; and a deterministic ALQAC slice as a benchmark smoke test (skipped without
../shared/bench)."""
from __future__ import annotations

import pytest

from conftest import FLAGSHIP, TAY_NINH
from index.filters import SearchFilter, type_from_text, year_from_text
from index.search import Searcher

CAO_BANG = "001_2acf101d37e4caff.txt"


def test_weighted_alpha_zero_is_bm25_order(sample_index, embedder):
    s = Searcher(sample_index, embedder)
    q = "tập huấn nghiệp vụ thông tin đối ngoại"
    hits = s.search(q, k=5, fusion="weighted", alpha=0.0)
    lex = sorted(hits, key=lambda h: -(h.lexical or 0.0))
    assert [h.chunk for h in hits] == [h.chunk for h in lex]
    assert all(h.dense is None for h in hits)  # the dense channel was not run


def test_both_fusions_find_the_flagship_passage(sample_index, embedder):
    s = Searcher(sample_index, embedder)
    for fusion in ("rrf", "weighted"):
        hits = s.search(FLAGSHIP, k=5, fusion=fusion)
        assert any(h.chunk.doc == TAY_NINH and "Cơ quan chủ trì" in h.chunk.text for h in hits), fusion


def test_bad_fusion_is_a_clear_error(sample_index, embedder):
    with pytest.raises(ValueError, match="unknown fusion"):
        Searcher(sample_index, embedder).search("x", fusion="max")
    with pytest.raises(ValueError, match="alpha"):
        Searcher(sample_index, embedder, alpha=1.5)


def test_metadata_read_from_header_text():
    assert type_from_text("\n\nSố: /KH-SVHTTDL\n\nCao Bằng, ngày 09 tháng 4 năm 2021\n\n## **KẾ HOẠCH** **Tuyên"
                          " truyền**") == "kế hoạch"
    assert year_from_text("Cao Bằng, ngày 09 tháng 4 năm 2021\nKẾ HOẠCH") == 2021
    # a date inside a long sentence (a cited document) is not the document's own date
    assert year_from_text("Thực hiện Hướng dẫn số 14/HD-BTGTU, ngày 30 tháng 3 năm 2021 của Ban Tuyên giáo"
                          " Tỉnh ủy về việc hướng dẫn tuyên truyền công tác thông tin đối ngoại") is None


def test_filters_by_document_type_and_year(sample_index, embedder):
    s = Searcher(sample_index, embedder)
    q = "tuyên truyền thông tin đối ngoại"
    assert {h.chunk.doc for h in s.search(q, k=10, filters=SearchFilter(year=2021))} == {CAO_BANG}
    assert s.search(q, k=3, filters=SearchFilter(type="ke hoach"))  # accents optional
    assert s.search(q, k=3, filters=SearchFilter(type="quyết định")) == []
    assert s.search(q, k=3, filters=SearchFilter(issuer="Bộ Tài chính")) == []  # no such issuer: no match
    # the issuer read from the header or preamble at ingest, in any spelling
    for issuer in ("Sở Văn hóa, Thể thao và Du lịch", "Sở VHTTDL", "so van hoa the thao"):
        assert {h.chunk.doc for h in s.search(q, k=10, filters=SearchFilter(issuer=issuer))} == {CAO_BANG}
    assert {h.chunk.doc for h in s.search(q, k=10, filters=SearchFilter(issuer="UBND tỉnh"))} == {TAY_NINH}
    only = s.search(q, k=5, docs=[TAY_NINH])  # the older keyword still works
    assert only and {h.chunk.doc for h in only} == {TAY_NINH}


def test_second_stage_puts_the_lead_field_first(sample_index, embedder):
    from assistant.understand import understand
    from index.rescore import Signals

    s = Searcher(sample_index, embedder, fusion="weighted", alpha=0.2)
    q = "Ai chủ trì đẩy mạnh tuyên truyền thông tin đối ngoại khu vực biên giới ở Tây Ninh?"
    top = s.search(q, k=3, rescore=True, signals=Signals(understand(q).intent))[0]
    assert top.chunk.doc == TAY_NINH and "chủ trì" in top.chunk.text.lower()


def test_langchain_retriever_returns_cited_spans(sample_index, embedder):
    from langchain_core.documents import Document

    from index.langchain import TracuuRetriever

    s = Searcher(sample_index, embedder)
    docs = TracuuRetriever(searcher=s, k=3).invoke(FLAGSHIP)
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    for d in docs:
        m = d.metadata
        assert s.document_text(m["doc"])[m["start"]:m["end"]] == d.page_content
        assert m["doc_title"] and isinstance(m["breadcrumb"], list)
    narrowed = TracuuRetriever(searcher=s, k=3, filters=SearchFilter(docs=(CAO_BANG,))).invoke(FLAGSHIP)
    assert {d.metadata["doc"] for d in narrowed} == {CAO_BANG}


# --- benchmark smoke test: 50 ALQAC questions over their gold articles + fixed distractors -----
def test_alqac_slice_smoke(embedder):
    from eval.bench import TimedQueries, bench_tasks, run_systems, searcher_systems
    from eval.benchdata import MemorySearcher, load_bench, memory_snapshot, shared_dir

    if not (shared_dir() / "bench" / "alqac25" / "corpus.jsonl").exists():
        pytest.skip("no ../shared/bench/alqac25 (set TRACUU_SHARED)")
    passages, tasks = bench_tasks("alqac25", None, 50)
    gold = {g for q in load_bench("alqac25")[1][:50] for g in q.gold}
    # every 25th article as distractors: deterministic, from all 28 laws
    keep = [p for i, p in enumerate(passages) if p.id in gold or i % 25 == 0]
    emb = TimedQueries(embedder)
    searcher = MemorySearcher(memory_snapshot("alqac25", keep, embedder), emb)
    runs = {r.system: r.metrics() for r in run_systems(tasks, {
        k: v for k, v in searcher_systems(searcher, "weighted", 0.2).items() if k != "dense"}, emb)}
    for name, m in runs.items():
        assert 0.0 <= m["R@1"] <= m["R@5"] <= m["R@10"] <= 1.0 and m["n"] == 50, name
        assert m["MRR@10"] <= m["R@10"]
    # floors with margin under what this slice measured (176 articles): BM25 R@10 1.00 MRR .99,
    # weighted R@10 1.00 MRR .98, + second stage MRR .98, dense MRR .905, RRF MRR .95
    assert runs["BM25"]["R@10"] >= 0.90
    assert runs["hybrid weighted"]["R@10"] >= 0.90
    assert runs["hybrid weighted"]["MRR@10"] >= 0.85
    assert runs["hybrid + 2nd stage"]["MRR@10"] >= 0.85


def test_an_english_question_leans_on_the_dense_channel(tmp_path, embedder, monkeypatch):
    """Its few Vietnamese words (the place name) should not outvote the multilingual dense model:
    BM25 gets index.search.FOREIGN_LEX_WEIGHT (fitted by eval.english), not a Vietnamese query's trust."""
    from pathlib import Path

    from index import glossary
    from index import search as search_mod
    from index.indexer import Indexer
    from index.restore import MIN_KNOWN

    own = Path(__file__).resolve().parent.parent / "eval" / "data" / "own"
    Indexer(tmp_path, embedder).ingest([own / "kh_nuoc_sach.md", own / "kh_chuyendoi_xanh.txt"])
    s = Searcher(tmp_path, embedder, rescore=True)
    q = "By when must the rainwater tanks for Nam Sơn be installed?"
    assert s.snapshot().restorer.known_fraction(q) < MIN_KNOWN

    def first():
        top = s.search(glossary.expand(q), k=3)[0].chunk
        return top.doc == "kh_nuoc_sach.md" and "Lắp đặt bồn chứa nước mưa" in top.text

    assert first()
    monkeypatch.setattr(search_mod, "FOREIGN_LEX_WEIGHT", 0.5)  # trusted as a Vietnamese question's BM25
    assert not first()
