"""The models and tokenisers load with no network at all: each check runs in a child
process inside a network namespace with no interfaces (``unshare -n``), with an empty
HOME and fresh caches, so nothing can have been downloaded before."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_offline(code: str, tmp_path: Path, extra_env: dict | None = None) -> str:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs root and unshare)")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    env.update({"HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT), **(extra_env or {})})
    (tmp_path / "home").mkdir(exist_ok=True)
    proc = subprocess.run(["unshare", "-n", sys.executable, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_tiktoken_cl100k_works_offline_from_a_fresh_cache(tmp_path):
    out = _run_offline(
        "import os, tiktoken\n"
        "from ingest.tokens import install_offline_bpe, count_tokens\n"
        "cache = install_offline_bpe()\n"
        "print(cache)\n"
        "print(len(tiktoken.get_encoding('cl100k_base').encode('Cơ quan chủ trì')))\n"
        "print(count_tokens('Cơ quan chủ trì'))\n",
        tmp_path, {"TIKTOKEN_CACHE_DIR": str(tmp_path / "tk")})
    cache, n1, n2 = out.split()
    assert cache == str(tmp_path / "tk") and int(n1) == int(n2) > 0


def test_underthesea_word_and_sentence_tokenize_offline(tmp_path):
    out = _run_offline(
        "from underthesea import word_tokenize, sent_tokenize\n"
        "print('|'.join(word_tokenize('Cơ quan chủ trì: Sở Thông tin và Truyền thông.')))\n"
        "print(len(sent_tokenize('Tổ chức tập huấn. Thời gian thực hiện: Quý III.')))\n",
        tmp_path)
    words, n = out.strip().split("\n")
    assert "Cơ quan" in words.split("|") and "chủ trì" in words.split("|")
    assert n == "2"


def test_embedding_model_converts_and_loads_offline(tmp_path):
    out = _run_offline(
        "import os\n"
        "os.environ['HF_HUB_OFFLINE'] = '1'\n"
        "from index.embed import Embedder\n"
        "e = Embedder()\n"
        "v = e.embed_queries(['Cơ quan nào chủ trì?'])\n"
        "print(e.folder, v.shape[1], round(float((v * v).sum()), 4))\n",
        tmp_path, {"TRACUU_CACHE": str(tmp_path / "cache")})
    folder, dim, norm = out.strip().split("\n")[-1].split()
    assert folder.startswith(str(tmp_path / "cache")) and dim == "384" and norm == "1.0"
