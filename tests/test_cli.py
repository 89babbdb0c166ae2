"""The `tracuu` console script, run as other tools will run it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FLAGSHIP, FLAGSHIP_PLAIN, SAMPLE, TAY_NINH

ROOT = Path(__file__).resolve().parent.parent


def tracuu(*args: str, stdin: str | None = None, cwd: Path | None = None, env: dict | None = None):
    exe = shutil.which("tracuu") or ""
    cmd = [exe, *args] if exe else [sys.executable, "-m", "eval.cli", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=cwd or ROOT,
                          env={**os.environ, **(env or {})}, timeout=900)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    bad = d / "incoming"
    bad.mkdir()
    for f in SAMPLE.glob("*.txt"):
        shutil.copy(f, bad / f.name)
    (bad / "broken.txt").write_bytes(b"\x00\xff" * 100)
    proc = tracuu("ingest", str(bad), "--index", str(d / "idx"))
    assert proc.returncode == 1, proc.stderr  # one bad file: reported, the rest ingested
    assert "broken.txt" in proc.stderr and "binary" in proc.stderr
    assert "Tổng: 5 thêm mới, 0 cập nhật, 0 không đổi, 1 lỗi" in proc.stdout
    return d / "idx"


def test_ingest_again_is_a_no_op(cli_index):
    proc = tracuu("ingest", str(SAMPLE), "--index", str(cli_index))
    assert proc.returncode == 0, proc.stderr
    assert "0 thêm mới, 0 cập nhật, 5 không đổi, 0 lỗi" in proc.stdout


def test_ask_json_reads_questions_from_stdin(cli_index):
    proc = tracuu("ask", "--index", str(cli_index), "--json", "-k", "5", stdin=f"{FLAGSHIP}\n\n{FLAGSHIP_PLAIN}\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().split("\n")
    assert len(lines) == 2
    for line in lines:
        d = json.loads(line)
        assert d["refused"] is False and len(d["hits"]) == 5
        assert "Đài Phát thanh và Truyền hình Tây Ninh" in d["answer"] and "Báo Tây Ninh" in d["answer"]
        c = d["citations"][0]
        assert c["n"] == 1 and c["doc"] == TAY_NINH and c["section"].startswith("II.7")
        text = (SAMPLE / TAY_NINH).read_text(encoding="utf-8")
        assert text[c["start"]:c["end"]] == c["quote"]  # the sample file is already NFC, LF


def test_ask_plain_text_and_default_index_from_env(cli_index, tmp_path):
    proc = tracuu("ask", FLAGSHIP, env={"TRACUU_INDEX": str(cli_index)}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[1]" in proc.stdout and "Nguồn:" in proc.stdout and "II.7.a" in proc.stdout


def test_ask_without_index_explains(tmp_path):
    proc = tracuu("ask", "x", "--index", str(tmp_path / "none"))
    assert proc.returncode == 2 and "tracuu ingest" in proc.stderr


def test_docs_json(cli_index):
    proc = tracuu("docs", "--index", str(cli_index), "--format", "json")
    docs = json.loads(proc.stdout)
    assert [d["name"] for d in docs] == sorted(p.name for p in SAMPLE.glob("*.txt"))
    assert all(d["chunks"] > 0 for d in docs)


def test_eval_prints_metrics_and_writes_items(cli_index, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "t1", "question": FLAGSHIP, "type": "lead_agency", "doc": TAY_NINH,
         "gold_quote": "Cơ quan chủ trì: Đài Phát thanh và Truyền hình Tây Ninh và Báo Tây Ninh.",
         "answer": "", "answer_keywords": ["Báo Tây Ninh"]},
        {"id": "t2", "question": "Giá vé máy bay đi Tokyo là bao nhiêu?", "type": "unanswerable",
         "doc": None, "gold_quote": "", "answer": "", "answer_keywords": []},
    ]), encoding="utf-8")
    out = tmp_path / "report.json"
    proc = tracuu("eval", str(gold), "--index", str(cli_index), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for metric in ("recall@1", "recall@5", "recall@10", "mrr@10", "answer_keyword_accuracy",
                   "citation_accuracy", "refusal_rate_unanswerable", "false_refusal_rate",
                   "latency_p50_ms", "latency_p95_ms"):
        assert metric in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["metrics"]["answer_keyword_accuracy"] == 1.0
    assert report["metrics"]["citation_accuracy"] == 1.0
    assert report["metrics"]["refusal_rate_unanswerable"] == 1.0
    assert report["items"][0]["rank"] is not None and report["items"][0]["rank"] <= 3
