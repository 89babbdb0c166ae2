"""The fitted scorer: the model fits, the shipped weights load and match the features,
and refusal is a calibrated threshold, not a hand-set one."""
from __future__ import annotations

import re
from dataclasses import replace

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


def _rows(seed: int = 0):
    """Synthetic questions: candidates whose first feature marks the gold unit; some unanswerable."""
    from eval.fit import QRow

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(40):
        x = rng.normal(size=(6, len(FEATURES)))
        y = np.zeros(6)
        answerable = i % 4 != 0
        if answerable:
            x[2, 0] += 3.0
            y[2] = 1.0
        rows.append(QRow(f"q{i:02d}", frozenset({f"d{i % 5}.txt"}), answerable, x, y))
    return rows


def test_two_fits_of_the_same_data_give_identical_weights():
    from eval.fit import fit

    rows = _rows()
    a = fit(rows).to_json()
    b = fit(list(reversed(rows))).to_json()  # the order rows arrive in does not matter
    assert a == b
    # nor does noise far below the features' precision (query vectors of a busy machine)
    noisy = [replace(r, x=r.x + 1e-10 * np.random.default_rng(1).normal(size=r.x.shape)) for r in rows]
    assert fit(noisy).to_json() == a
    assert a["unit"]["coef"][0] > 0  # and it learnt the marked feature


def test_the_refusal_threshold_holds_on_questions_the_fit_did_not_see():
    """The threshold is the 5% quantile of P(answerable) on held-out folds, so questions of a
    document left out of the fit are falsely refused about that often, not three times as
    often (in-sample P flatters the answerable questions and puts the threshold too high)."""
    from eval.fit import cross_fit_summary

    rates = [cross_fit_summary(_rows(seed))["all"]["false_refusals"] for seed in range(6)]
    assert np.mean(rates) <= 0.10, rates


def test_the_threshold_quantile_moves_less_with_the_sample_than_one_order_statistic():
    """The refusal threshold is a 5% quantile of about 150 held-out P(answerable), where a few
    answerable questions sit near 0 and the rest far above: the plain sample quantile is one
    order statistic and jumps across that gap with one question more or less in the tail; the
    Harrell-Davis estimate weighs all of them and moves less between samples."""
    from eval.fit import harrell_davis

    x = np.linspace(0.0, 1.0, 101)
    assert abs(harrell_davis(x, 0.5) - 0.5) < 1e-9  # symmetric: the median exactly
    assert 0.03 < harrell_davis(x, 0.05) < 0.07
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(300):
        low = rng.random(150) < 0.05
        samples.append(np.where(low, rng.uniform(0.0, 0.1, 150), rng.uniform(0.3, 1.0, 150)))
    hd = np.std([harrell_davis(s, 0.05) for s in samples])
    plain = np.std([np.quantile(s, 0.05) for s in samples])
    assert hd < 0.8 * plain, (hd, plain)


def test_question_terms_do_not_depend_on_hash_order():
    import subprocess
    import sys

    code = ("from assistant.terms import QuestionTerms;"
            "t = QuestionTerms('Ai chủ trì nấu phở bò ở Tây Ninh', "
            "['y:ai', 'y:chu', 'y:tri', 's:chu_tri', 'y:nau', 'y:pho', 'y:bo', 'y:tay', 'y:ninh', 's:tay_ninh'], "
            "lambda t: {'y:nau': 0.0, 'y:pho': 0.0}.get(t, len(t) / 3));"
            "print(list(t.weights), repr(t.total), sorted(t.unseen))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in (1, 2, 3)}
    assert len(outs) == 1
    assert "y:nau" in outs.pop()  # a word no document has is kept, and known as unseen


def test_what_a_question_asks_for_and_a_unit_lacks():
    from assistant.scorer import asked_missing, states_number
    from ingest.types import Unit

    def unit(text, roles=(), kind="sentence", context=""):
        return Unit("d.txt", 0, kind, 0, len(text), text, context, roles, 0)

    from ingest.normalize import strip

    def miss(question, text, roles=(), kind="sentence", context=""):
        u, q = unit(text, roles, kind, context), understand(question)
        return asked_missing(q, u, strip(text).lower(), states_number(text, q.numbers))

    money = "Tổng kinh phí là bao nhiêu tỷ đồng?"
    assert understand(money).measure == "ty"
    assert miss(money, "Sở Tài chính bố trí 12 tỷ đồng từ ngân sách tỉnh.") == 0
    assert miss(money, "Tổ chức 12 lớp tập huấn cho cán bộ.") > 0.9  # a number, not of the asked measure
    share = "Tỷ lệ hộ dùng nước sạch năm 2026 là bao nhiêu phần trăm?"  # a measure written as a symbol
    assert miss(share, "Tỷ lệ hộ dùng nước sạch tăng từ 62% lên 70%.") == 0
    assert miss(share, "Lắp đặt bồn chứa nước mưa cho 500 hộ nghèo.") > 0.9
    who = "Cơ quan nào chủ trì kiểm tra chất lượng nước?"
    assert miss(who, "Sở Y tế chủ trì kiểm tra chất lượng nước.") == 0
    assert miss(who, "Kiểm tra chất lượng nước tại các công trình.") > 0.5
    when = "Khi nào phải hoàn thành kiểm tra?"
    assert miss(when, "Hoàn thành kiểm tra trước ngày 30/6/2026.") == 0
    assert miss(when, "Kiểm tra chất lượng nước tại các công trình.") > 0.5
    # a time the question states itself is no answer to it
    year = "Các xã nộp báo cáo kết quả năm 2026 trước ngày nào?"
    assert miss(year, "Các xã xây dựng kế hoạch năm 2026.") > 0.5
    assert miss(year, "Các xã gửi báo cáo kết quả năm 2026 trước ngày 15/12/2026.") == 0
    assert miss(year, "Các xã gửi báo cáo trong Quý IV.") == 0
    # the date a cited document was issued is no deadline
    assert miss(when, "Thực hiện Kế hoạch số 25-KH/BCĐ, ngày 23/02/2024 của Ban Chỉ đạo tỉnh.") > 0.5
    assert miss(when, "Căn cứ Luật số 36/2018/QH14 ngày 20/11/2018 của Quốc hội.") > 0.5
    # a section's number, a date and a number the question gave are no answer to "bao nhiêu"
    many = "Trong năm 2024 TTXVN mở thêm bao nhiêu cơ quan thường trú ở nước ngoài?"
    assert miss(many, "3. Thực hiện tốt vai trò của cơ quan thường trú ở nước ngoài năm 2024.") > 0.9
    assert miss(many, "- Trước ngày 30/6/2024, các cơ quan thường trú báo cáo.") > 0.9
    assert miss(many, "3. Mở thêm 2 cơ quan thường trú ở nước ngoài.") == 0
    # nor the number of a cited document, the day of a date, a note's label
    money_vi = "Tổng kinh phí thực hiện kế hoạch là bao nhiêu?"
    assert miss(money_vi, "- Căn cứ Luật Phòng, chống tham nhũng số 36/2018/QH14 ngày 20/11/2018;") > 0.9
    assert miss(money_vi, "Ngọc Lặc, ngày 18 tháng 4 năm 2024") > 0.9
    assert miss(money_vi, "(1) Ban Chỉ đạo thực hiện Nghị quyết số 35-NQ/TW của huyện.") > 0.9
    assert miss(money_vi, "(1) Bố trí 350 triệu đồng từ ngân sách huyện.") == 0
    # in a table row the asked measure is its column's name
    cases = "Huyện Trảng Bom được phép tối đa bao nhiêu ca?"
    assert miss(cases, "| Huyện Trảng Bom | 1.000 |", kind="row", context="Huyện | Chỉ tiêu 2025 (ca)") == 0
    assert miss(cases, "| Huyện Trảng Bom | 1.000 |", kind="row", context="Huyện | Kinh phí (triệu đồng)") > 0.9
    assert understand("What is the total budget of the plan?").intents == {"quantity": 1.0}


def test_names_are_places_and_bodies_not_english_words_or_abbreviations_cut():
    assert understand("Which Prime Minister decision governs new-rural communes in Cam Khe?").names == ("cam khe",)
    assert set(understand("Which agency leads under the Quang Ngai directive and the Dong Nai plan?").names) == \
        {"quang ngai", "dong nai"}
    # an agency's abbreviation is read as its full name ("Sở TT&TT": "Sở Thông tin …"), not cut at "&"
    assert "so tt" not in understand("nhiem vu cua So TT&TT truoc day do co quan nao dam nhan?").names


def test_near_miss_questions_name_what_the_document_lacks(tmp_path, embedder):
    from pathlib import Path

    from assistant.service import Assistant
    from eval.fit import _absent_share, near_misses
    from index.indexer import Indexer
    from ingest.agencies import canonical
    from ingest.normalize import strip

    own = Path(__file__).resolve().parent.parent / "eval" / "data" / "own"
    Indexer(tmp_path, embedder).ingest([own])
    a = Assistant(tmp_path, embedder)
    items = near_misses(a)
    assert items and all(not it.answerable and len(it.docs) == 1 for it in items)
    obligations = a.searcher.snapshot().obligations
    undated = {r.doc for r in obligations if r.deadline is None}
    kinds = set()
    for it in items:  # the agency, place or task asked about is never in the document asked
        raw = a.searcher.document_text(it.docs[0])
        text = strip(raw).lower()
        q = it.question
        if q.startswith(("Tổng kinh phí", "What is the total budget")):  # the plan states no amount
            kinds.add("budget")
            assert "tỷ đồng" not in raw and "triệu đồng" not in raw, q
        elif q.startswith(("Thời hạn", "When is the deadline")):  # a task whose row gives no deadline
            kinds.add("deadline")
            assert it.docs[0] in undated, q
        elif q.startswith("Theo "):  # a task of another document, asked by this one's title
            kinds.add("foreign task")
            task = re.split(r", (?:cơ quan nào chủ trì|thời hạn) ", q, maxsplit=1)[1]
            task = task.removesuffix(" là khi nào?").rstrip("?")
            assert any(strip(task).lower() in strip(r.task).lower() for r in obligations if r.doc != it.docs[0]), q
            assert _absent_share(task, strip(canonical(raw)).lower()) > 0.5, q
        else:
            kinds.add("agency or place")
            asked = q.split(" có nhiệm vụ gì")[0] if " có nhiệm vụ gì" in q else \
                q.removeprefix("What is ").split(" tasked with")[0] if q.startswith("What is ") else \
                q.rsplit(" ở ", 1)[1].rstrip("?")
            assert strip(asked).lower() not in text, q
    assert {"foreign task", "agency or place"} <= kinds
    assert any(it.question.startswith("What is") for it in items)  # English ones too


def test_a_question_about_two_named_documents_splits_into_one_question_per_name():
    from assistant.understand import split_by_names, understand

    q = understand("Vai trò của UBND cấp xã trong kế hoạch nông thôn mới của Hòa Phong so với trong chỉ thị "
                   "năm học của Lâm Giang?")
    assert q.names == ("hoa phong", "lam giang")
    assert split_by_names(q.text, q.names) == [
        ("Hòa Phong", "Vai trò của UBND cấp xã trong kế hoạch nông thôn mới của Hòa Phong?"),
        ("Lâm Giang", "Vai trò của UBND cấp xã trong chỉ thị năm học của Lâm Giang?")]
    # typed without marks, joined by "va": the same parts, the names as typed
    q = understand("han bao cao quy o Hoa Phong va bao cao hoc ky I o Lam Giang")
    assert split_by_names(q.text, q.names) == [("Hoa Phong", "han bao cao quy o Hoa Phong"),
                                               ("Lam Giang", "han bao cao hoc ky I o Lam Giang")]
    # what follows the last name is asked of each part that asks nothing itself
    q = understand("Kế hoạch của Hòa Phong và kế hoạch của Lâm Giang lần lượt do cơ quan nào ban hành?")
    assert split_by_names(q.text, q.names) == [
        ("Hòa Phong", "Kế hoạch của Hòa Phong lần lượt do cơ quan nào ban hành?"),
        ("Lâm Giang", "kế hoạch của Lâm Giang lần lượt do cơ quan nào ban hành?")]
    # a part that kept none of the asking words is the question without the other names
    q = understand("Which agency compiles reports under the Hoa Phong plan, and which one under the Lam Giang directive?")
    assert split_by_names(q.text, q.names) == [
        ("Hoa Phong", "Which agency compiles reports under the Hoa Phong plan"),
        ("Lam Giang", "Which agency compiles reports under the plan, and which one under the Lam Giang directive?")]
    # no parallel form (nothing joins the names): each part is the question without the other name
    q = understand("Sở Y tế Lâm Giang gửi báo cáo cho Hòa Phong khi nào?")
    parts = dict(split_by_names(q.text, q.names))
    assert "Hòa Phong" not in parts["Lâm Giang"] and "Lâm Giang" in parts["Lâm Giang"]
    assert "Lâm Giang" not in parts["Hòa Phong"] and "Hòa Phong" in parts["Hòa Phong"]
    # one name or none: the question is its own only part
    q = understand("Cơ quan nào chủ trì kiểm tra nước ở Lâm Giang?")
    assert split_by_names(q.text, q.names) == [("Lâm Giang", q.text)]
    assert split_by_names("Ai ký?", ()) == []


def test_stability_reports_the_spread_of_refits():
    """No training row dropped: every refit is the cross-fitted summary itself. Rows dropped:
    the same seed gives the same spread, and each mean lies within its range."""
    from eval.fit import cross_fit_summary, stability

    rows = _rows()
    names = ["a" if i % 2 else "b" for i in range(len(rows))]
    exact = cross_fit_summary(rows, names)
    same = stability(rows, names, runs=2, drop=0.0)
    assert set(same) == set(exact) == {"a", "b"}
    for name, m in exact.items():
        for metric, v in m.items():
            if v == v:  # nan when a set has no unanswerable question
                assert same[name][metric] == (v, v, v)
    spread = stability(rows, names, runs=3, drop=0.3, seed=4)
    assert repr(spread) == repr(stability(rows, names, runs=3, drop=0.3, seed=4))  # nan != nan
    for m in spread.values():
        for mean, lo, hi in m.values():
            assert lo <= mean <= hi or mean != mean


def test_an_agency_the_question_names_and_the_plan_never_does_is_a_feature(tmp_path, embedder):
    """"Hội Nông dân" is named by no plan of ours: every candidate misses it. "Phòng Văn hóa
    và Thông tin" is named by the tourism plan: its candidates do not. Lower-case words after a
    head ("Huyện ủy phải …") and abbreviations the alias table does not know are not names."""
    from pathlib import Path

    from assistant.scorer import FEATURES, _agencies_named
    from assistant.service import Assistant
    from index.indexer import Indexer

    assert _agencies_named("Hội Nông dân huyện Lạc Sơn có nhiệm vụ gì?") == [" hoi nong "]
    assert _agencies_named("Ngân hàng Chính sách xã hội huyện làm gì?") == [" ngan hang chinh "]
    assert _agencies_named("Huyện ủy phải giám sát mấy đảng ủy?") == []
    assert _agencies_named("Đài PT-TH phải làm chuyên mục gì?") == []
    assert _agencies_named("Sở Y tế chủ trì, Sở Y tế báo cáo") == [" so y "]

    own = Path(__file__).resolve().parent.parent / "eval" / "data" / "own"
    Indexer(tmp_path, embedder).ingest([own])
    a = Assistant(tmp_path, embedder)
    at = FEATURES.index("miss_agency_doc")
    _, _, cands = a.candidates("Hội Nông dân huyện Lạc Sơn có nhiệm vụ gì trong kế hoạch du lịch cộng đồng?")
    assert cands and all(c.features[at] == 1.0 and c.features[at + 1] == 1.0 for c in cands)
    _, _, cands = a.candidates("Phòng Văn hóa và Thông tin huyện chủ trì việc gì trong kế hoạch du lịch "
                               "cộng đồng?")
    tourism = [c for c in cands if c.unit.doc == "kh_chuyendoi_xanh.txt"]
    assert tourism and all(c.features[at] == 0.0 for c in tourism)
    assert all(c.features[at + 1] == 0.0 for c in cands)  # the best pair of documents names it
    # typed without marks or capitals, the agency whose duties are asked is still a name
    _, _, cands = a.candidates("hoi nong dan huyen lac son co nhiem vu gi trong ke hoach du lich cong dong?")
    assert cands and all(c.features[at] == 1.0 for c in cands)


def test_an_unmarked_duties_question_names_the_agency_a_marked_one_does():
    from assistant.scorer import agencies_asked

    for marked, bare in (("Sở Tài chính có nhiệm vụ gì?", "so tai chinh co nhiem vu gi?"),
                         ("Hội Nông dân huyện phải làm gì?", "hoi nong dan huyen phai lam gi?")):
        assert agencies_asked(understand(marked)) == agencies_asked(understand(bare)) != []
    assert agencies_asked(understand("cac so nganh co nhiem vu gi?")) == []


def test_a_set_index_is_keyed_by_its_folder_and_files(tmp_path, monkeypatch, embedder):
    """Two checkouts' folders of one set, or a folder that gained a file, never share a cached
    index (an index only adds what a folder has: shared, it would mix them)."""
    from eval.fit import set_index

    monkeypatch.setenv("TRACUU_CACHE", str(tmp_path / "cache"))
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "kh.txt").write_text("KẾ HOẠCH\n1. Sở Y tế chủ trì kiểm tra.\n", encoding="utf-8")
    first = set_index("own", a, embedder)
    assert set_index("own", a, embedder) == first
    assert set_index("own", b, embedder) != first
    (a / "kl.txt").write_text("KẾT LUẬN\n1. Sở Tài chính bố trí kinh phí.\n", encoding="utf-8")
    assert set_index("own", a, embedder) != first
