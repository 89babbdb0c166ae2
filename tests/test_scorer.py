"""The fitted scorer: the model fits, the shipped weights load and match the features,
and refusal is a calibrated threshold, not a hand-set one."""
from __future__ import annotations

import numpy as np

from assistant.scorer import FEATURES, WEIGHTS, Weights, fit_logistic, load_weights
from assistant.understand import understand


def test_logistic_fit_separates_and_standardises():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] - 2 * x[:, 2] > 0).astype(float)
    m = fit_logistic(x, y, l2=0.1)
    p = m.predict(x)
    assert ((p > 0.5) == (y > 0)).mean() > 0.95
    assert m.coef[0] > 0 > m.coef[2] and abs(m.coef[1]) < abs(m.coef[0])


def test_shipped_weights_are_fitted_for_these_features():
    w = load_weights()
    assert isinstance(w, Weights) and len(w.unit.coef) == len(FEATURES)
    assert 0.0 < w.threshold < 1.0
    assert w.info.get("sets"), "the weights file says what it was fitted on"
    again = Weights.from_json(w.to_json())
    assert np.allclose(again.unit.coef, w.unit.coef) and again.threshold == round(w.threshold, 6)
    assert WEIGHTS.name == "scorer.json"


def test_intent_is_a_soft_probability():
    q = understand("Cơ quan nào chủ trì và cơ quan nào phối hợp tập huấn?")
    assert abs(sum(q.intents.values()) - 1) < 1e-9
    assert q.intents["partner"] > q.intents["lead"] > 0
    assert understand("Kinh phí lấy từ nguồn nào?").intents == {"content": 1.0}


def test_english_question_with_vietnamese_place_names_is_english():
    assert understand("Who leads border communication in Tây Ninh?").english
    assert not understand("Ai chủ trì tuyên truyền ở Tây Ninh?").english
