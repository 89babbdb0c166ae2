"""Guard: the same plan as .txt, .md, .docx, .pdf, portal .html and TCVN3 (the guard fixture of
tests/docbuild) gives the same answer to a question about one row of its task table, and the
citation quotes the whole row — the task and the asked cell together, never one cell alone."""
from __future__ import annotations

import re

import pytest

from tests.docbuild import make_plan_files

QUESTION = "Cơ quan nào chủ trì xây dựng cơ sở dữ liệu giá đất?"


@pytest.fixture(scope="module")
def answers(tmp_path_factory, embedder):
    from assistant.service import Assistant
    from index.indexer import Indexer

    files = make_plan_files(tmp_path_factory.mktemp("plan"))
    index = tmp_path_factory.mktemp("index")
    report = Indexer(index, embedder).ingest(list(files.values()))
    assert not report.errors, report.errors
    service = Assistant(index, embedder)
    return service, {form: (path.name, service.ask(QUESTION, docs=[path.name])) for form, path in files.items()}


@pytest.mark.parametrize("form", ["txt", "md", "docx", "pdf", "html", "tcvn3"])
def test_the_row_is_quoted_whole_in_every_form(answers, form):
    service, by_form = answers
    name, ans = by_form[form]
    assert not ans.refused, ans.text
    first = ans.citations[0]
    assert first.doc == name and service.searcher.document_text(name)[first.start:first.end] == first.quote
    assert "Xây dựng cơ sở dữ liệu giá đất" in first.quote and "Sở Tài chính" in first.quote, first.quote


def test_every_form_quotes_the_same_row(answers):
    _, by_form = answers
    rows = {form: " ".join(re.sub(r"[|*#]", " ", ans.citations[0].quote).split()) for form, (_, ans) in by_form.items()}
    assert len(set(rows.values())) == 1, rows
