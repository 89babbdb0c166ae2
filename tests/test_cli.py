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
    assert "broken.txt" in proc.stderr and "dữ liệu nhị phân" in proc.stderr
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


# --- manners: one clear line and a non-zero exit, never a traceback ------------------------
def _one_line_error(proc, code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("tracuu")]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w in lines[0], proc.stderr


def test_empty_question_and_empty_input_are_errors(cli_index):
    _one_line_error(tracuu("ask", "  ", "--index", str(cli_index)), 2, "câu hỏi trống")
    _one_line_error(tracuu("ask", "--index", str(cli_index), stdin=""), 2, "không có câu hỏi")
    _one_line_error(tracuu("ask", "--index", str(cli_index), stdin="\n  \n"), 2, "không có câu hỏi")


def test_ingest_of_an_empty_folder_says_no_file_found(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.xyz").write_text("x", encoding="utf-8")
    proc = tracuu("ingest", str(tmp_path / "empty"), "--index", str(tmp_path / "idx"))
    _one_line_error(proc, 1, "không tìm thấy tệp nào")
    assert not (tmp_path / "idx").exists()


def test_serve_on_a_busy_port_says_so(cli_index):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        proc = tracuu("serve", "--index", str(cli_index), "--port", str(port))
    _one_line_error(proc, 2, f"cổng {port}", "--port")


def test_unreadable_index_and_missing_index_say_so(tmp_path):
    bad = tmp_path / "bad"
    (bad / "gen-000001").mkdir(parents=True)
    (bad / "CURRENT").write_text("gen-000001", encoding="utf-8")
    (bad / "gen-000001" / "store.sqlite").write_bytes(b"not a database at all" * 10)
    _one_line_error(tracuu("docs", "--index", str(bad)), 2, "không đọc được chỉ mục")
    _one_line_error(tracuu("obligations", "--index", str(tmp_path / "none")), 2, "tracuu ingest")


def test_unwritable_model_cache_is_one_line(tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(next(SAMPLE.glob("*.txt")), one)
    proc = tracuu("ingest", str(one), "--index", str(tmp_path / "idx"), env={"TRACUU_CACHE": str(tmp_path / "a-file")})
    _one_line_error(proc, 2, str(tmp_path / "a-file"))


def test_ctrl_c_and_unexpected_errors_are_one_line(capsys, monkeypatch):
    from assistant.cli import build_parser, run

    parser, _ = build_parser()
    for exc, code, words in ((KeyboardInterrupt(), 130, "Ctrl-C"), (RuntimeError("hỏng"), 1, "hỏng")):
        def boom(args, exc=exc):
            raise exc

        monkeypatch.setattr("assistant.cli.cmd_docs", boom)
        parser, _ = build_parser()
        assert run(parser, ["docs"]) == code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_help_and_errors_are_in_vietnamese():
    top = tracuu("--help")
    assert top.returncode == 0 and "cách dùng: tracuu" in top.stdout and "nạp tệp hoặc thư mục" in top.stdout
    assert "usage" not in top.stdout and "show this help" not in top.stdout
    for cmd in ("ingest", "ask", "docs", "obligations", "citations", "remove", "serve", "eval"):
        out = tracuu(cmd, "--help").stdout
        assert "tuỳ chọn" in out and "help message" not in out and "default:" not in out, (cmd, out)
    bad = tracuu("ask", "--format", "x")
    assert bad.returncode == 2 and "lỗi" in bad.stderr and "unrecognized" not in bad.stderr


def test_printed_text_has_no_control_sequences():
    from assistant.cli import safe

    evil = "Sở A\x1b[2J\x1b[31mđỏ\x1b[0m\x1b]0;tiêu đề giả\x07 xong\r\nDòng 2\tcột\x00\x08\x9b1m"
    assert safe(evil) == "Sở Ađỏ xong\nDòng 2\tcột"
    assert safe("Cơ quan chủ trì: Sở Thông tin và Truyền thông.") == "Cơ quan chủ trì: Sở Thông tin và Truyền thông."


def test_feedback_export_writes_gold_lines(cli_index, tmp_path):
    from assistant.feedback import FeedbackStore

    store = FeedbackStore(cli_index)
    store.record(FLAGSHIP, "Báo Tây Ninh [1]", [{"n": 1, "doc": TAY_NINH, "section": "II.7.a",
                                                 "quote": "Cơ quan chủ trì: Báo Tây Ninh.", "start": 1, "end": 9}],
                 -1, comment="thiếu Đài Phát thanh", generation="gen-000001", intent="lead")
    out = tmp_path / "fb.jsonl"
    proc = tracuu("feedback", "export", "--index", str(cli_index), "--rating", "down", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    (line,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    for key in ("question", "type", "doc", "gold_quote", "answer", "answer_keywords", "rating", "comment"):
        assert key in line
    assert line["question"] == FLAGSHIP and line["doc"] == TAY_NINH and line["rating"] == "down"
    assert line["comment"] == "thiếu Đài Phát thanh"
    assert (cli_index / "feedback.sqlite").is_file() and not list(cli_index.glob("gen-*/feedback.sqlite"))


def test_ctrl_c_stops_serve_with_one_line(cli_index):
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "eval.cli", "serve", "--index", str(cli_index), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # the page answers a moment before serve says where it runs: wait for the line, then the page
    said = []
    while not any(f"http://127.0.0.1:{port}" in line for line in said):
        line = proc.stderr.readline()
        assert line, (said, proc.communicate())  # the process ended without saying it
        said.append(line)
    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = "".join(said) + err
    assert proc.returncode == 130 and "Traceback" not in err and out.strip() == ""
    assert err.strip().splitlines()[-1] == "tracuu: đã dừng (Ctrl-C)"


def test_ask_loads_only_what_a_question_needs(cli_index):
    """A cold `tracuu ask` was almost all model loading: the question path must not import
    torch, transformers or sentence-transformers (those are for embedding passages)."""
    code = ("import sys\nfrom eval.cli import main\n"
            f"rc = main(['ask', {FLAGSHIP!r}, '--index', {str(cli_index)!r}])\n"
            "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
            "print('HEAVY:', ','.join(heavy), 'RC:', rc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Báo Tây Ninh" in proc.stdout and proc.stdout.strip().endswith("HEAVY:  RC: 0"), proc.stdout[-300:]
    assert "Loading" not in proc.stderr and "%|" not in proc.stderr  # no progress bars
