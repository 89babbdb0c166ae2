"""The app in a real browser: Debian's chromium driven by Playwright against `tracuu serve`
(a subprocess on a free localhost port, over a copy of the sample index).

Screenshots of the three tabs are written to eval/reports/ui/ (linked from the README)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import FLAGSHIP, ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]
SHOTS = ROOT / "eval" / "reports" / "ui"
WAIT = 180_000  # ms: the first question loads the embedding model; 2 shared cores

if not CHROMIUM.exists() and os.environ.get("TRACUU_REQUIRE_BROWSER"):  # CI: a missing browser is a failure
    raise RuntimeError("TRACUU_REQUIRE_BROWSER is set but /usr/bin/chromium is missing (apt-get install chromium)")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (scripts/test installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sample_index, tmp_path_factory):
    d = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(sample_index, d)
    port = _free_port()
    log = open(d.parent / "serve.log", "w")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, "-m", "eval.cli", "serve", "--index", str(d), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError("tracuu serve did not start:\n" + (d.parent / "serve.log").read_text())
            time.sleep(1)
    yield url, d
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        pg.set_default_timeout(WAIT)
        pg.goto(server[0])
        yield pg
        browser.close()


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _ask(page, question: str) -> None:
    _tab(page, "Hỏi đáp")
    before = page.locator("#chat .bot").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(f"document.querySelectorAll('#chat .bot').length > {before}")
    # the final yield fills the citation list after the streamed text
    page.wait_for_function("""q => { const u = [...document.querySelectorAll('#chat .user')].pop();
        return u && u.innerText.includes(q) && !document.querySelector('#chat .pending')
            && document.querySelector('#sources')?.innerText.trim().length > 0; }""", arg=question)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_flagship_question_answered_with_highlighted_citation(page, assistant):
    expected = assistant.ask(FLAGSHIP)
    assert expected.citations
    example = page.get_by_text(FLAGSHIP, exact=True).first
    example.wait_for()  # offered on first open
    example.click()  # an example fills the question box
    page.wait_for_function("q => document.querySelector('#question textarea').value === q", arg=FLAGSHIP)
    page.click("#ask")
    page.wait_for_selector("#context mark")
    answer = page.locator("#chat .bot").last.inner_text()
    c = expected.citations[0]
    assert expected.text.splitlines()[-1].split("[")[0].strip()[-40:] in answer
    assert page.locator("#context mark").inner_text().strip() == c.quote.strip()
    crumb = page.locator("#context .tracuu-breadcrumb").inner_text()
    assert c.breadcrumb and c.breadcrumb[-1][:30] in crumb
    assert c.doc in page.locator("#sources").inner_text()
    _shot(page, "hoi-dap.png")


def test_clicking_a_citation_number_opens_that_passage(page, assistant):
    q = "Sở Thông tin và Truyền thông phải làm gì?"  # its duties: one citation per row
    expected = assistant.ask(q)
    if len(expected.citations) < 2:
        pytest.skip("this question has one citation on the sample corpus")
    _ask(page, q)
    last = expected.citations[-1]
    page.locator("#chat .bot").last.locator(f'a[href="#cite-{last.n}"]').click()
    page.wait_for_function("n => document.querySelector('#context .tracuu-crumb')?.innerText.startsWith('[' + n + ']')",
                           arg=last.n)
    assert page.locator("#context mark").inner_text().strip() == last.quote.strip()


def test_obligations_filtered_by_agency_open_their_passage(page, server, assistant):
    agency = "Sở Thông tin và Truyền thông"
    rows = assistant.searcher.obligations(agency=agency)
    assert rows
    _tab(page, "Nghĩa vụ")
    page.fill("#o-agency textarea", agency)
    page.click("#o-filter")
    page.wait_for_function("n => document.querySelector('#o-count')?.innerText.includes(n + ' / ')", arg=len(rows))
    for i in range(min(3, len(rows))):
        lead = page.locator(f'#obligations [data-testid="cell-{i}-3"]').inner_text()
        partners = page.locator(f'#obligations [data-testid="cell-{i}-4"]').inner_text()
        assert agency in lead or agency in partners
    page.locator('#obligations [data-testid="cell-0-2"]').click()
    page.wait_for_selector("#o-context mark")
    r = rows[0]
    text = assistant.searcher.document_text(r.doc)
    assert page.locator("#o-context mark").inner_text().split() == text[r.start:r.end].split()
    _shot(page, "nghia-vu.png")


def _upload_ask_delete(page, path: Path, question: str, expect: str, shot: str | None = None) -> None:
    from assistant.uploads import safe_name

    name = safe_name(path.name)
    _tab(page, "Văn bản")
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload-btn")
    page.wait_for_function("() => document.querySelector('#upload-result')?.innerText.includes('tệp nạp được')")
    result = page.locator("#upload-result").inner_text()
    assert "1/1" in result and "đã thêm" in result, result
    page.wait_for_function("n => document.querySelector('#documents')?.innerText.includes(n)", arg=name)
    if shot:
        page.wait_for_timeout(1000)  # let the refreshed table settle before the picture
        _shot(page, shot)

    _ask(page, question)  # the running app sees the new generation: no restart
    assert expect in page.locator("#chat .bot").last.inner_text()
    assert name in page.locator("#sources").inner_text()

    _tab(page, "Văn bản")
    box = page.locator("#delete-pick input")
    box.click()
    box.fill(name)
    page.get_by_role("option", name=name).click()
    page.click("#delete-btn")
    page.wait_for_function("() => document.querySelector('#delete-result')?.innerText.includes('Đã xoá')")
    page.wait_for_function("n => !document.querySelector('#documents')?.innerText.includes(n)", arg=name)


def test_upload_markdown_ask_about_it_and_delete(page, tmp_path):
    f = tmp_path / "Kế hoạch phòng chống bão.md"
    f.write_text("# KẾ HOẠCH\nPhòng chống bão lũ năm 2025\n\nI. NHIỆM VỤ\n\n1. Diễn tập cứu hộ ven sông\n\n"
                 "- Cơ quan chủ trì: Bộ Chỉ huy Quân sự tỉnh.\n- Thời gian thực hiện: Quý II/2025.\n",
                 encoding="utf-8")
    _upload_ask_delete(page, f, "Cơ quan nào chủ trì diễn tập cứu hộ ven sông?", "Bộ Chỉ huy Quân sự tỉnh",
                       shot="van-ban.png")


def test_upload_docx_ask_about_it_and_delete(page, tmp_path):
    from ingest.readers import supported_extensions

    if ".docx" not in supported_extensions():
        pytest.skip("no .docx reader registered in ingest.readers on this branch (the DOCX reader is issue #3's)")
    import docx

    d = docx.Document()
    d.add_paragraph("KẾ HOẠCH")
    d.add_paragraph("Phòng chống dịch bệnh gia súc năm 2025")
    d.add_paragraph("I. NHIỆM VỤ")
    d.add_paragraph("1. Tiêm phòng vắc-xin cho đàn gia súc")
    d.add_paragraph("- Cơ quan chủ trì: Sở Nông nghiệp và Phát triển nông thôn.")
    d.add_paragraph("- Thời gian thực hiện: Quý III/2025.")
    f = tmp_path / "ke-hoach-gia-suc.docx"
    d.save(f)
    _upload_ask_delete(page, f, "Cơ quan nào chủ trì tiêm phòng vắc-xin cho đàn gia súc?",
                       "Sở Nông nghiệp và Phát triển nông thôn")


def test_screenshots_of_the_three_tabs_exist():
    for name in ("hoi-dap.png", "nghia-vu.png", "van-ban.png"):
        p = SHOTS / name
        assert p.is_file() and p.stat().st_size > 10_000 and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
