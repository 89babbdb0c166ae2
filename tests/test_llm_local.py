"""Real generations from the local GGUF model (scripts/test-llm sets TRACUU_TEST_GGUF; CI does
not: compiling llama-cpp-python and installing the 1.1 GB model is kept out of its path)."""
from __future__ import annotations

import os

import pytest

from assistant.service import Assistant
from conftest import FLAGSHIP, TAY_NINH

GGUF = os.environ.get("TRACUU_TEST_GGUF")
pytestmark = pytest.mark.skipif(not GGUF, reason="set TRACUU_TEST_GGUF (scripts/test-llm does)")


@pytest.fixture(scope="module")
def generative(sample_index, embedder):
    return Assistant(sample_index, embedder, llm=f"llamacpp:{GGUF}")


def test_real_model_answers_the_flagship_with_checked_citations(generative):
    items = list(generative.stream(FLAGSHIP))
    final = items[-1]
    assert any(isinstance(t, str) and t for t in items[:-1])  # tokens streamed before the answer
    assert not final.refused and final.citations
    assert "Đài Phát thanh và Truyền hình Tây Ninh" in final.text or "Báo Tây Ninh" in final.text
    for c in final.citations:  # whatever the model wrote, quotes are exact spans
        assert generative.searcher.document_text(c.doc)[c.start:c.end] == c.quote
    assert any(c.doc == TAY_NINH and c.section == "II.7.a" for c in final.citations)


def test_real_model_does_not_invent_an_answer(generative):
    ans = generative.ask("Tổng kinh phí bằng đô la Mỹ mà Bộ Quốc phòng cấp cho kế hoạch này là bao nhiêu?")
    assert ans.refused or all(generative.searcher.document_text(c.doc)[c.start:c.end] == c.quote
                              for c in ans.citations) and "đô la" not in ans.text
