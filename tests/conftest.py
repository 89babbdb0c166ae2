"""Shared fixtures: the real embedding model and a real index of the sample corpus."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
FLAGSHIP = "Cơ quan nào chủ trì tuyên truyền biên giới ở Tây Ninh?"
FLAGSHIP_PLAIN = "co quan nao chu tri tuyen truyen bien gioi o Tay Ninh"
TAY_NINH = "002_f8cf6ccb46031413.txt"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def embedder():
    from index.embed import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory, embedder) -> Path:
    """The sample corpus ingested once; tests that change an index copy it first."""
    from index.indexer import Indexer

    d = tmp_path_factory.mktemp("index")
    report = Indexer(d, embedder).ingest([SAMPLE])
    assert report.count("added") == 5 and not report.errors
    return d


@pytest.fixture()
def index_copy(sample_index, tmp_path) -> Path:
    dst = tmp_path / "index"
    shutil.copytree(sample_index, dst)
    return dst


@pytest.fixture(scope="session")
def assistant(sample_index, embedder):
    from assistant.service import Assistant

    return Assistant(sample_index, embedder)
