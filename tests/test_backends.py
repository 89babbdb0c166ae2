"""The two store backends, embedded and Milvus, behind one factory: the same ingest, search
(with and without filters), removal and cited answers; the answer tests of test_answer.py run
again here on milvus-lite; a killed Milvus writer leaves readers on the last good generation
and the next write works. Milvus is reached both ways: milvus-lite in this process (a .db
file) and a Milvus server over the network (http://): milvus-lite's own gRPC server in a
process of its own, speaking Milvus's protocol, as a standalone or cluster does."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys

import pytest

import test_answer
from conftest import FLAGSHIP, SAMPLE, TAY_NINH
from eval.milvus import milvus_server
from index.backend import StoreError, milvus_spec, open_indexer, open_searcher, resolve
from index.filters import SearchFilter

CAO_BANG = "001_2acf101d37e4caff.txt"
QUERIES = [FLAGSHIP, "co quan nao chu tri tuyen truyen bien gioi o Tay Ninh", "tập huấn nghiệp vụ thông tin đối ngoại",
           "Kết luận 57-KL/TW của Bộ Chính trị", "Thông tấn xã Việt Nam báo chí đối ngoại", "kinh phí thực hiện"]


@pytest.fixture(scope="session")
def vectors(embedder, sample_index):
    """The real model's vectors: the sample corpus's passages as the embedded index holds them
    (same text, same hash), so both backends search identical vectors and the session embeds once."""
    from eval.milvus import ReusedVectors

    return ReusedVectors(embedder, [sample_index])


@pytest.fixture(scope="session")
def milvus_index(tmp_path_factory, vectors) -> str:
    store = str(tmp_path_factory.mktemp("milvus") / "index.db")
    report = open_indexer(store, vectors).ingest([SAMPLE])
    assert report.count("added") == 5 and not report.errors
    return store


@pytest.fixture(scope="session")
def server_index(tmp_path_factory, vectors, monkeypatch_session) -> str:
    """The sample corpus in a Milvus server reached over http://."""
    local = tmp_path_factory.mktemp("server-local")
    monkeypatch_session.setenv("TRACUU_INDEX", str(local))  # uploads, feedback: not index data
    with milvus_server(tmp_path_factory.mktemp("server-data")) as uri:
        report = open_indexer(uri, vectors).ingest([SAMPLE])
        assert report.count("added") == 5 and not report.errors
        yield uri


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="session", params=["embedded", "milvus-lite", "milvus-server"])
def store(request, sample_index):
    if request.param == "embedded":
        return sample_index
    return request.getfixturevalue("milvus_index" if request.param == "milvus-lite" else "server_index")


@pytest.fixture(scope="module")
def assistant(milvus_index, embedder):
    """test_answer's tests below run on this one: the Assistant over milvus-lite."""
    from assistant.service import Assistant

    return Assistant(milvus_index, embedder)


# every test of test_answer.py that asks the assistant, again on milvus-lite
for _name in dir(test_answer):
    if _name.startswith("test_") and "assistant" in getattr(test_answer, _name).__code__.co_varnames:
        globals()[f"{_name}_milvus"] = getattr(test_answer, _name)


def test_store_uris_pick_the_backend(tmp_path, monkeypatch):
    assert milvus_spec(tmp_path / "idx") is None
    lite = milvus_spec(f"milvus-lite:{tmp_path}/a.db")
    assert lite.lite and lite.uri == str(tmp_path / "a.db") and lite.local_dir == tmp_path / "a.db.d"
    assert milvus_spec(tmp_path / "b.db").lite
    server = milvus_spec("http://milvus.example:19530/")
    assert not server.lite and server.uri == "http://milvus.example:19530"
    with pytest.raises(StoreError, match=r"\.db"):
        milvus_spec(f"milvus-lite:{tmp_path}/c")
    with pytest.raises(StoreError, match="http://"):
        milvus_spec("tcp://milvus:19530")
    monkeypatch.setenv("TRACUU_STORE", "http://m:19530")
    assert resolve(None, None) == "http://m:19530"
    assert resolve(None, tmp_path) == tmp_path  # --index still names the embedded folder
    assert resolve("x.db", tmp_path) == "x.db"


def test_both_backends_hold_the_same_index(store, embedder):
    s = open_searcher(store, embedder)
    docs = s.documents()
    assert [d["name"] for d in docs] == sorted(p.name for p in SAMPLE.iterdir())
    assert {d["chunks"] for d in docs} and all(d["sha256"] and d["ingested_at"] for d in docs)
    assert {d["so_hieu"] for d in docs} >= {"144-KH/ĐUK"}  # header fields beside the name
    snap = s.snapshot()
    assert len(snap.units) > 100 and snap.unit_vectors.shape == (len(snap.units), 384)
    assert snap.sections(TAY_NINH) and any(sec.path == "II.7.a" for sec in snap.sections(TAY_NINH))
    assert any(o.doc == TAY_NINH and o.lead for o in s.obligations())
    assert any(c.number == "57-KL/TW" for c in s.citations())
    assert snap.bm25.idf("y:tuyen") > 0 and snap.bm25.idf("y:khongcotu") == 0.0
    with pytest.raises(KeyError):
        s.document_text("no-such-file.txt")


@pytest.mark.parametrize("which", ["milvus_index", "server_index"])
def test_milvus_ranks_as_the_embedded_store(sample_index, which, embedder, request):
    """Same vectors, same tokens, the same BM25 (k1, b) and fusion: the same hits with the same
    scores (equal scores in either order)."""
    emb, mil = open_searcher(sample_index, embedder), open_searcher(request.getfixturevalue(which), embedder)
    for q in QUERIES:
        for opts in ({"fusion": "weighted"}, {"fusion": "rrf"}, {"rescore": True}):
            _same_ranking(emb.search(q, k=5, **opts), mil.search(q, k=5, **opts))
        dense = mil.search(q, k=5, alpha=1.0)
        assert [h.chunk.ord for h in dense] == [h.chunk.ord for h in emb.search(q, k=5, alpha=1.0)]
        assert all(h.lexical is None for h in dense)


def test_filters_inside_the_search(store, embedder):
    s = open_searcher(store, embedder)
    q = "tuyên truyền thông tin đối ngoại"
    assert {h.chunk.doc for h in s.search(q, k=10, filters=SearchFilter(year=2021))} == {CAO_BANG}
    assert s.search(q, k=3, filters=SearchFilter(type="ke hoach"))
    assert s.search(q, k=3, filters=SearchFilter(type="quyết định")) == []
    assert s.search(q, k=3, filters=SearchFilter(issuer="Bộ Tài chính")) == []
    for issuer in ("Sở Văn hóa, Thể thao và Du lịch", "Sở VHTTDL", "so van hoa the thao"):
        assert {h.chunk.doc for h in s.search(q, k=10, filters=SearchFilter(issuer=issuer))} == {CAO_BANG}
    assert {h.chunk.doc for h in s.search(q, k=10, filters=SearchFilter(issuer="UBND tỉnh"))} == {TAY_NINH}
    only = s.search(q, k=5, docs=[TAY_NINH, CAO_BANG])
    assert only and {h.chunk.doc for h in only} <= {TAY_NINH, CAO_BANG}
    assert s.search(q, k=5, filters=SearchFilter(docs=(CAO_BANG,), year=2024)) == []


def _same_ranking(a, b) -> None:
    """The same scores in order (float32 in Milvus), the same chunks but where a tie meets the cut."""
    assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-4)
    last = a[-1].score
    key = lambda hits: {h.chunk for h in hits if h.score > last + 1e-4}  # noqa: E731
    assert key(a) == key(b)


def _small_store(tmp_path, backend: str):
    return str(tmp_path / "i.db") if backend == "milvus-lite" else tmp_path / "i"


@pytest.mark.parametrize("backend", ["embedded", "milvus-lite", "milvus-server"])
def test_remove_and_replace(tmp_path, vectors, backend):
    with contextlib.ExitStack() as stack:
        store = (stack.enter_context(milvus_server(tmp_path / "server")) if backend == "milvus-server"
                 else _small_store(tmp_path, backend))
        _remove_and_replace(tmp_path, vectors, store)


def _remove_and_replace(tmp_path, vectors, store):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in (TAY_NINH, CAO_BANG):
        (docs / name).write_bytes((SAMPLE / name).read_bytes())
    ix = open_indexer(store, vectors)
    assert ix.ingest([docs]).count("added") == 2
    s = open_searcher(store, vectors)
    before = s.snapshot()
    assert s.search(FLAGSHIP, k=3)[0].chunk.doc == TAY_NINH
    assert ix.remove([TAY_NINH, "absent.txt"]) == [TAY_NINH]
    assert [d["name"] for d in s.documents()] == [CAO_BANG]
    assert {h.chunk.doc for h in s.search(FLAGSHIP, k=10)} == {CAO_BANG}
    assert not any(o.doc == TAY_NINH for o in s.obligations())
    # a question that took the earlier generation still reads what it cited
    assert s.document_text(TAY_NINH, before.generation).startswith(before.document_text(TAY_NINH)[:50])
    # an edited file replaces its rows; an unchanged one is left alone
    (docs / CAO_BANG).write_text((SAMPLE / CAO_BANG).read_text() + "\n\nPhụ lục bổ sung: tổ chức hội nghị tổng kết.\n")
    rep = ix.ingest([docs])
    assert rep.count("replaced") == 1 and rep.count("added") == 1
    assert ix.ingest([docs]).count("unchanged") == 2
    assert sorted(d["name"] for d in s.documents()) == sorted((TAY_NINH, CAO_BANG))
    assert "hội nghị tổng kết" in s.document_text(CAO_BANG)
    assert len(s.search("hội nghị tổng kết phụ lục bổ sung", k=50, docs=[CAO_BANG])) == \
        s.snapshot().documents()[0]["chunks"]  # every chunk once: no row of the old version left


def test_killed_milvus_writer_leaves_the_last_good_state(tmp_path, vectors):
    """A writer killed after writing its rows and retiring the old ones, before the commit:
    readers keep the last committed generation, and the next write cleans up and works."""
    from index.milvus_store import LIVE, visible

    store = _small_store(tmp_path, "milvus-lite")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / CAO_BANG).write_bytes((SAMPLE / CAO_BANG).read_bytes())
    ix = open_indexer(store, vectors)
    ix.ingest([docs])
    s = open_searcher(store, vectors)
    good = [h.chunk for h in s.search(FLAGSHIP, k=5)]
    st = ix.store
    g = st.current()
    commit = st.commit
    st.commit = lambda gen: (_ for _ in ()).throw(KeyboardInterrupt())  # killed before the flip
    (docs / TAY_NINH).write_bytes((SAMPLE / TAY_NINH).read_bytes())  # added ...
    (docs / CAO_BANG).write_text((SAMPLE / CAO_BANG).read_text() + "\n\nPhụ lục bổ sung.\n")  # ... and replaced
    with pytest.raises(KeyboardInterrupt):
        ix.ingest([docs])
    st.commit = commit
    assert st.current() == g
    assert st.count("chunks", f"gen_from > {g}") > 0 and st.count("chunks", f"gen_to == {g + 1}") > 0
    fresh = open_searcher(store, vectors)
    assert [h.chunk for h in fresh.search(FLAGSHIP, k=5)] == good
    assert [d["name"] for d in fresh.documents()] == [CAO_BANG]
    (docs / CAO_BANG).write_bytes((SAMPLE / CAO_BANG).read_bytes())
    rep = ix.ingest([docs])  # recovers first
    assert rep.count("added") == 1 and rep.count("unchanged") == 1
    assert st.count("chunks", f"gen_to < {LIVE}") == 0
    assert st.count("chunks", visible(st.current())) == sum(d["chunks"] for d in fresh.documents())
    assert fresh.search(FLAGSHIP, k=3)[0].chunk.doc == TAY_NINH


def test_an_empty_milvus_store_says_so_before_serving(tmp_path):
    from index.search import EmptyIndexError

    with pytest.raises(EmptyIndexError, match="tracuu ingest"):
        open_searcher(str(tmp_path / "empty.db")).check()


def test_a_busy_milvus_lite_file_is_a_clear_error(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "busy.db"
    open_searcher(str(db)).store.ensure()  # this process holds it open
    code = ("import sys\nfrom index.backend import open_searcher\ntry:\n"
            f"    open_searcher({str(db)!r}).snapshot()\nexcept RuntimeError as e:\n    print(e); sys.exit(3)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=SAMPLE.parent.parent)
    assert r.returncode == 3 and "không mở được kho Milvus" in r.stdout


def test_a_milvus_server_is_shared_by_processes(tmp_path, vectors, sample_index):
    """What a server gives over a milvus-lite file: another process writes while this one
    searches, and this one's running searcher sees the write."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / CAO_BANG).write_bytes((SAMPLE / CAO_BANG).read_bytes())
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / TAY_NINH).write_bytes((SAMPLE / TAY_NINH).read_bytes())
    with milvus_server(tmp_path / "server") as uri:
        open_indexer(uri, vectors).ingest([docs])
        s = open_searcher(uri, vectors)
        assert {h.chunk.doc for h in s.search(FLAGSHIP, k=10)} == {CAO_BANG}
        code = ("from eval.milvus import ReusedVectors\nfrom index.backend import open_indexer\n"
                "from index.embed import Embedder\n"
                f"r = open_indexer({uri!r}, ReusedVectors(Embedder(), [{str(sample_index)!r}]))"
                f".ingest([{str(tmp_path / 'more')!r}])\nassert r.count('added') == 1, r\n")
        subprocess.run([sys.executable, "-c", code], check=True, timeout=300, cwd=SAMPLE.parent.parent)
        assert s.search(FLAGSHIP, k=3)[0].chunk.doc == TAY_NINH
        assert sorted(d["name"] for d in s.documents()) == sorted((CAO_BANG, TAY_NINH))


def test_an_unreachable_milvus_server_is_a_clear_error():
    from index.milvus_store import StoreUnavailable

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
        open_searcher(f"http://127.0.0.1:{port}").snapshot()
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port}"):
        open_searcher(f"http://127.0.0.1:{port}").check()  # what `tracuu serve` asks first
