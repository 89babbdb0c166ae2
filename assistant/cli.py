"""`tracuu` commands of the assistant stage: ingest, ask, docs, serve.

``build_parser`` returns the parser so a later stage (eval) can add its own commands;
``run`` dispatches. Both the CLI and the Python API call the same classes."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from index.store import default_index_dir


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None,
                   help="index directory (default: $TRACUU_INDEX or ./tracuu-index)")


def _llm_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", default=os.environ.get("TRACUU_LLM") or None,
                   help="optional generative answerer: openai:MODEL@URL, ollama:MODEL[@URL] or "
                        "llamacpp:PATH.gguf (default: $TRACUU_LLM, else extractive, no model)")


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = argparse.ArgumentParser(prog="tracuu", description="Tra cứu kế hoạch, chỉ thị có trích dẫn nguồn.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest files or folders into the index")
    p.add_argument("paths", nargs="+", type=Path)
    _index_arg(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question (or one per line from stdin)")
    p.add_argument("question", nargs="?")
    _index_arg(p)
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("-k", type=int, default=10, help="passages to retrieve (default 10)")
    _llm_arg(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("docs", help="list ingested documents")
    _index_arg(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("obligations", help="list duties: who leads, who coordinates, by when")
    p.add_argument("--agency", help="any spelling: 'Sở TT&TT', 'sở thông tin và truyền thông'")
    p.add_argument("--role", choices=("any", "lead", "partner"), default="any")
    p.add_argument("--doc", help="document file name")
    _index_arg(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_obligations)

    p = sub.add_parser("citations", help="list documents cited by the ingested ones")
    p.add_argument("--cites", help="a document number, e.g. '57-KL/TW': which documents cite it")
    p.add_argument("--doc", help="citing document file name")
    _index_arg(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=cmd_citations)

    p = sub.add_parser("remove", help="remove documents by file name")
    p.add_argument("names", nargs="+")
    _index_arg(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("serve", help="start the web app")
    _index_arg(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    _llm_arg(p)
    p.add_argument("--auth", metavar="USER:PASS", help="require this login")
    p.add_argument("--auth-file", type=Path, metavar="FILE", help="logins, one 'user:password' per line")
    p.add_argument("--no-auth", action="store_true",
                   help="serve a non-local --host without login (login is required there otherwise)")
    p.set_defaults(func=cmd_serve)
    return parser, sub


def index_dir(args: argparse.Namespace) -> Path:
    return args.index if args.index is not None else default_index_dir()


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.indexer import Indexer

    bar = tqdm(total=None, unit="file", file=sys.stderr)

    def progress(done: int, total: int, name: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_description(name[:40])
        bar.refresh()

    report = Indexer(index_dir(args)).ingest(args.paths, progress)
    bar.close()
    for f in report.files:
        if f.status in ("error", "skipped"):
            print(f"{'LỖI' if f.status == 'error' else 'BỎ QUA':6} {f.error}", file=sys.stderr)
        else:
            print(f"{f.status:9} {f.doc} ({f.chunks} đoạn)")
    print(f"Tổng: {report.count('added')} thêm mới, {report.count('replaced')} cập nhật, "
          f"{report.count('unchanged')} không đổi, {len(report.errors)} lỗi -> {index_dir(args)}")
    return min(len(report.errors), 100)  # the exit code is the number of files that failed


def _print_answer(ans) -> None:
    from ingest.normalize import display

    print(ans.text)
    if ans.citations:
        print("\nNguồn:")
        for c in ans.citations:
            # the span is exact; what is shown drops markdown emphasis markers ("**", "#")
            print(f"[{c.n}] {c.doc}, mục {c.section or 'mở đầu'} ({c.start}-{c.end}): «{display(c.quote)}»")


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from index.search import EmptyIndexError

    assistant = Assistant(index_dir(args), llm=args.llm)
    questions = [args.question] if args.question else (line.strip() for line in sys.stdin)
    try:
        for q in questions:
            if not q:
                continue
            ans = assistant.ask(q, k=args.k)
            if args.json:
                print(json.dumps(ans.to_json(), ensure_ascii=False), flush=True)
            else:
                _print_answer(ans)
                print(flush=True)
    except EmptyIndexError as exc:
        print(f"tracuu: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from index.search import EmptyIndexError, Searcher

    try:
        docs = Searcher(index_dir(args)).documents()
    except EmptyIndexError as exc:
        print(f"tracuu: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(docs, ensure_ascii=False, indent=1))
    else:
        _print_table(docs, DOC_COLUMNS)
    return 0


# (key, header, width) of `tracuu docs`; the JSON form has every key of Searcher.documents()
DOC_COLUMNS = (("name", "Tệp", 26), ("so_hieu", "Số hiệu", 14), ("loai", "Loại", 10),
               ("co_quan_ban_hanh", "Cơ quan ban hành", 30), ("ngay_ban_hanh", "Ngày ban hành", 13),
               ("trich_yeu", "Trích yếu", 44), ("nguoi_ky", "Người ký", 18), ("chunks", "Số đoạn", 7))


def _print_table(records: list[dict], columns: tuple[tuple[str, str, int], ...]) -> None:
    def cell(value, width: int) -> str:
        text = "-" if value is None or value == "" else str(value)
        return (text if len(text) <= width else text[:width - 1] + "…").ljust(width)

    print("  ".join(cell(h, w) for _, h, w in columns).rstrip())
    for r in records:
        print("  ".join(cell(r.get(k), w) for k, _, w in columns).rstrip())
    print(f"({len(records)} văn bản)")


OBLIGATION_FIELDS = ("doc", "section", "task", "lead", "partners", "deadline", "deadline_norm", "source", "start", "end")
CITATION_FIELDS = ("doc", "kind", "number", "date", "issuer", "title", "start", "end")


def _emit(records: list[dict], fields: tuple[str, ...], fmt: str, table_cols: tuple[str, ...]) -> None:
    import csv

    if fmt == "json":
        print(json.dumps(records, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=fields)
        w.writeheader()
        for r in records:
            w.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in r.items()})
    else:
        for r in records:
            cells = ["; ".join(r[c]) if isinstance(r[c], list) else str(r[c] or "-") for c in table_cols]
            print(" | ".join(c[:70] for c in cells))
        print(f"({len(records)} dòng)")


def _rows_searcher(args: argparse.Namespace):
    from index.search import Searcher

    return Searcher(index_dir(args))


def cmd_obligations(args: argparse.Namespace) -> int:
    from index.search import EmptyIndexError

    try:
        rows = _rows_searcher(args).obligations(args.agency, args.doc, args.role)
    except EmptyIndexError as exc:
        print(f"tracuu: {exc}", file=sys.stderr)
        return 2
    records = [{"doc": o.doc, "section": o.section, "task": o.task, "lead": list(o.lead),
                "partners": list(o.partners), "deadline": o.deadline, "deadline_norm": o.deadline_norm,
                "source": o.source, "start": o.start, "end": o.end} for o in rows]
    _emit(records, OBLIGATION_FIELDS, args.format, ("doc", "section", "lead", "partners", "deadline", "task"))
    return 0


def cmd_citations(args: argparse.Namespace) -> int:
    from index.search import EmptyIndexError

    try:
        rows = _rows_searcher(args).citations(args.cites, args.doc)
    except EmptyIndexError as exc:
        print(f"tracuu: {exc}", file=sys.stderr)
        return 2
    records = [{"doc": c.doc, "kind": c.kind, "number": c.number, "date": c.date, "issuer": c.issuer,
                "title": c.title, "start": c.start, "end": c.end} for c in rows]
    _emit(records, CITATION_FIELDS, args.format, ("doc", "kind", "number", "date", "issuer", "title"))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from index.indexer import Indexer

    removed = Indexer(index_dir(args)).remove(args.names)
    for n in args.names:
        print(("đã xoá  " if n in removed else "không có ") + n)
    return 0 if len(removed) == len(args.names) else 1


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.access import AccessError, resolve

    try:  # before loading anything: a refused configuration fails at once
        auth = resolve(args.host, args.auth, args.auth_file, args.no_auth)
    except AccessError as exc:
        print(f"tracuu serve: {exc}", file=sys.stderr)
        return 2
    from assistant.app import serve
    from index.search import EmptyIndexError

    try:
        serve(index_dir(args), host=args.host, port=args.port, llm=args.llm, auth=auth)
    except EmptyIndexError as exc:
        print(f"tracuu: {exc}", file=sys.stderr)
        return 2
    return 0


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `tracuu obligations | head` ends quietly
    args = parser.parse_args(argv)
    return args.func(args)


def main(argv: list[str] | None = None) -> int:
    return run(build_parser()[0], argv)
