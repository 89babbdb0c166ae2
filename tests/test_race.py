"""Questions racing a writer through the served app (eval.race, small): 40 questions from
8 clients while a document is deleted and uploaded again; every answer is the answer of
one whole generation, none fails."""
from __future__ import annotations

import json

from conftest import SAMPLE, SHARED_DEV


def test_questions_during_uploads_and_deletes_each_use_one_generation(sample_index, embedder, tmp_path):
    from eval.race import run

    extra = SAMPLE / "004_35685223f3c2ca9d.txt"
    rows = [json.loads(line) for line in SHARED_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    # questions on the document that comes and goes, and on the others
    on_extra = [r["question"] for r in rows if r.get("doc") == extra.name][:5]
    others = [r["question"] for r in rows if r.get("doc") != extra.name][:5]
    report = run(sample_index, extra, on_extra + others, clients=8, total=40, embedder=embedder,
                 work=tmp_path / "race")
    assert not report.errors, report.errors
    assert not report.mismatches, report.mismatches
    assert not report.write_errors, report.write_errors
    assert report.write_cycles >= 1  # the writes really ran during the questions
    assert sum(report.matched.values()) >= 40
