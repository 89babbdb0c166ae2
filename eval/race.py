"""Questions racing writes: many clients ask the served app (HTTP on 127.0.0.1, gradio_client)
while a writer uploads and deletes a document through the same app. Every answer must be
the one `tracuu ask` gives on a frozen copy of one of the two states the index passes
through (without / with the document): an answer mixing two generations, or an error,
counts against it. Latency per question is reported (p50/p95), never asserted.

    python -m eval.race --index INDEX_WITH_EXTRA --extra FILE --questions dev.jsonl
"""
from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class RaceReport:
    questions: int
    clients: int
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)  # answers equal to neither state's
    matched: dict[str, int] = field(default_factory=dict)  # state -> answers equal to it
    write_cycles: int = 0  # upload + delete pairs completed while questions ran
    write_errors: list[str] = field(default_factory=list)
    p50: float = 0.0
    p95: float = 0.0
    seconds: float = 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_answer(assistant, question: str) -> tuple[str, tuple[str, str] | None]:
    """What the app keeps of ``question``'s answer: its text and its first citation (document,
    quote)."""
    from assistant.views import nearest_citations

    ans = assistant.ask(question)
    cites = ans.citations or nearest_citations(ans)
    return ans.text, (cites[0].doc, cites[0].quote) if cites else None


def run(index_with_extra: Path, extra: Path, questions: list[str], clients: int = 20, total: int = 200,
        embedder=None, work: Path | None = None) -> RaceReport:
    """``index_with_extra`` holds ``extra`` (a file, ingested under its own name); the index
    the app serves starts from that state and the writer deletes and re-uploads it."""
    from gradio_client import Client, handle_file

    from assistant.app import build_app, launch
    from assistant.service import Assistant
    from assistant.uploads import safe_name
    from index.indexer import Indexer

    assert safe_name(extra.name) == extra.name, "the extra file's name must be stored as is"
    work = Path(work or tempfile.mkdtemp(prefix="tracuu-race-"))
    states = {"with": work / "with", "without": work / "without"}
    shutil.copytree(index_with_extra, states["with"])
    shutil.copytree(index_with_extra, states["without"])
    Indexer(states["without"], embedder).remove([extra.name])
    expected = {}
    for name, d in states.items():
        frozen = Assistant(d, embedder)
        expected[name] = {q: expected_answer(frozen, q) for q in dict.fromkeys(questions)}

    live = work / "live"
    shutil.copytree(index_with_extra, live)
    assistant = Assistant(live, embedder)
    assistant.searcher.warm_up()
    app = build_app(assistant)
    port = _free_port()
    launch(app, "127.0.0.1", port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    report = RaceReport(total, clients)
    stop = threading.Event()

    def writer() -> None:
        c = Client(url, verbose=False)
        while not stop.is_set():
            try:
                if "Đã xoá" not in c.predict(extra.name, api_name="/delete"):
                    report.write_errors.append("delete did not delete")
                if stop.is_set():
                    c.predict([handle_file(str(extra))], api_name="/upload")
                    break
                result = c.predict([handle_file(str(extra))], api_name="/upload")
                if "1/1" not in result:
                    report.write_errors.append(f"upload: {result[:200]}")
                report.write_cycles += 1
            except Exception as exc:  # reported, not raised: the run goes on
                report.write_errors.append(f"{type(exc).__name__}: {exc}")

    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def ask(i: int) -> None:
        q = questions[i % len(questions)]
        if not hasattr(local, "client"):
            local.client = Client(url, verbose=False)
        t0 = time.perf_counter()
        try:
            _history, _sources, _context, store = local.client.predict(q, None, 10, api_name="/ask")
        except Exception as exc:
            with lock:
                report.errors.append(f"{q}: {type(exc).__name__}: {exc}")
            return
        seconds = time.perf_counter() - t0
        (record,) = store["answers"].values()
        first = record["citations"][0] if record["citations"] else None
        got = (record["text"], (first["doc"], first["quote"]) if first else None)
        with lock:
            latencies.append(seconds)
            states_matched = [s for s in expected if expected[s][q] == got]
            if states_matched:
                for s in states_matched:
                    report.matched[s] = report.matched.get(s, 0) + 1
            else:
                report.mismatches.append(f"{q}: {got[0][:200]!r} / {got[1]!r}")

    t0 = time.perf_counter()
    w = threading.Thread(target=writer, daemon=True)
    w.start()
    try:
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(ask, range(total)))
    finally:
        stop.set()
        w.join(300)
        app.close()
    report.seconds = time.perf_counter() - t0
    if latencies:
        latencies.sort()
        report.p50 = statistics.median(latencies)
        report.p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    return report


def markdown(r: RaceReport, extra: str) -> str:
    lines = [f"# Questions racing uploads and deletes ({r.questions} questions, {r.clients} clients)", "",
             f"The app served on 127.0.0.1; a writer deleted and re-uploaded `{extra}` through the app "
             f"({r.write_cycles} full cycles) while the questions ran. Each answer was compared with "
             "the answer on a frozen copy of each state (without / with the document).", "",
             "| | |", "|---|---:|",
             f"| errors | {len(r.errors)} |",
             f"| answers equal to neither state | {len(r.mismatches)} |"]
    lines += [f"| answers equal to the state {s} the document | {n} |" for s, n in sorted(r.matched.items())]
    lines += [f"| writer errors | {len(r.write_errors)} |",
              f"| latency p50 | {r.p50:.2f} s |", f"| latency p95 | {r.p95:.2f} s |",
              f"| wall time | {r.seconds:.0f} s |", "",
              "(An answer the same in both states counts for both.) Latency is as measured on a "
              "2-core machine shared with other jobs, the writer re-embedding the document each upload."]
    for title, items in (("Errors", r.errors), ("Mismatches", r.mismatches), ("Writer errors", r.write_errors)):
        if items:
            lines += ["", f"## {title}", ""] + [f"- {x}" for x in items[:20]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.race", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True, help="an index holding --extra")
    p.add_argument("--extra", type=Path, required=True, help="the document the writer deletes and uploads")
    p.add_argument("--questions", type=Path, required=True, help="JSONL with a 'question' field")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--total", type=int, default=200)
    p.add_argument("--out", type=Path, default=Path("eval/reports/concurrency"))
    args = p.parse_args(argv)
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    r = run(args.index, args.extra, questions, args.clients, args.total)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "race.json").write_text(json.dumps(asdict(r), ensure_ascii=False, indent=1), encoding="utf-8")
    (args.out / "race.md").write_text(markdown(r, args.extra.name), encoding="utf-8")
    print(markdown(r, args.extra.name))
    return 0 if not (r.errors or r.mismatches or r.write_errors) else 1


if __name__ == "__main__":
    raise SystemExit(main())
