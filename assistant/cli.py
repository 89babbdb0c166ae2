"""`tracuu` commands of the assistant stage: ingest, ask, docs, obligations, citations, remove,
serve, feedback.

``build_parser`` returns the parser so a later stage (eval) can add its own commands;
``run`` dispatches. Both the CLI and the Python API call the same classes. Help and messages
are in Vietnamese (option names and JSON keys stay as they are); a failure the user can act
on (busy port, unreadable index, missing model, Ctrl-C) is one line on stderr and a non-zero
exit, never a traceback; everything printed goes through ``safe`` (no control characters)."""
from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
from pathlib import Path

from index.store import default_index_dir
from ingest.oserror import os_reason

# ANSI/VT escape sequences (CSI, OSC, two-byte ESC forms), then every other C0/C1 control
# character but newline and tab: a document's text must not move the cursor or retitle the
# terminal of whoever prints it
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """``text`` without terminal control sequences or control characters (newline and tab kept;
    a carriage return only where it ends a line)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text).replace("\r\n", "\n")))


def say(*parts, file=None, flush: bool = False) -> None:
    print(safe(" ".join(str(p) for p in parts)), file=file or sys.stdout, flush=flush)


def fail(message: str, code: int = 2) -> int:
    say(f"tracuu: {message}", file=sys.stderr)
    return code


class CliError(Exception):
    """A problem the user can fix, said in one line."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def _index_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, default=None,
                   help="thư mục chỉ mục (mặc định: $TRACUU_INDEX hoặc ./tracuu-index)")
    p.add_argument("--store", default=None, metavar="URI",
                   help="kho chỉ mục: thư mục, tệp Milvus Lite (*.db) hoặc máy chủ Milvus http://host:19530 "
                        "(mặc định: $TRACUU_STORE, nếu không có thì --index)")


def _llm_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm", default=os.environ.get("TRACUU_LLM") or None,
                   help="mô hình sinh câu trả lời (tuỳ chọn): openai:MODEL@URL, ollama:MODEL[@URL] hoặc "
                        "llamacpp:PATH.gguf (mặc định: $TRACUU_LLM, nếu không có thì trích nguyên văn)")


def _vi_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """argparse's own words in Vietnamese."""
    parser._positionals.title = "đối số"
    parser._optionals.title = "tuỳ chọn"
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction):
            a.help = "in hướng dẫn này rồi thoát"
    return parser


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _vi_parser(self)

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "cách dùng:", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "cách dùng:", 1)

    def error(self, message: str):
        for en, vi in (("the following arguments are required", "thiếu đối số"),
                       ("unrecognized arguments", "đối số không nhận ra"), ("invalid choice", "lựa chọn không hợp lệ"),
                       ("choose from", "chọn một trong"), ("expected one argument", "cần một giá trị"),
                       ("invalid int value", "không phải số nguyên"), ("argument", "đối số")):
            message = message.replace(en, vi)
        self.print_usage(sys.stderr)
        self.exit(2, safe(f"{self.prog}: lỗi: {message}\n"))


def build_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = _Parser(prog="tracuu", description="Tra cứu kế hoạch, chỉ thị có trích dẫn nguồn.")
    sub = parser.add_subparsers(dest="command", required=True, title="lệnh", metavar="LỆNH",
                                parser_class=_Parser)

    p = sub.add_parser("ingest", help="nạp tệp hoặc thư mục vào chỉ mục",
                       description="Nạp tệp hoặc thư mục (.txt .md .docx .pdf .html) vào chỉ mục.")
    p.add_argument("paths", nargs="+", type=Path, metavar="ĐƯỜNG_DẪN", help="tệp hoặc thư mục")
    _index_arg(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="trả lời một câu hỏi (hoặc mỗi dòng một câu từ stdin)",
                       description="Trả lời câu hỏi, kèm trích dẫn nguyên văn.")
    p.add_argument("question", nargs="?", metavar="CÂU_HỎI", help="câu hỏi; bỏ trống để đọc từ stdin, mỗi dòng một câu")
    _index_arg(p)
    p.add_argument("--json", action="store_true", help="mỗi câu hỏi một đối tượng JSON")
    p.add_argument("-k", type=int, default=10, help="số đoạn tìm kiếm (mặc định 10)")
    _llm_arg(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("docs", help="liệt kê các văn bản đã nạp")
    _index_arg(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="bảng hoặc JSON")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("obligations", help="liệt kê nhiệm vụ: cơ quan chủ trì, phối hợp, thời hạn")
    p.add_argument("--agency", help="cơ quan, mọi cách viết: 'Sở TT&TT', 'sở thông tin và truyền thông'")
    p.add_argument("--role", choices=("any", "lead", "partner"), default="any",
                   help="any: chủ trì hoặc phối hợp; lead: chủ trì; partner: phối hợp")
    p.add_argument("--doc", help="tên tệp của văn bản")
    _index_arg(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="bảng, CSV hoặc JSON")
    p.set_defaults(func=cmd_obligations)

    p = sub.add_parser("citations", help="liệt kê các văn bản được các văn bản đã nạp dẫn chiếu")
    p.add_argument("--cites", help="số hiệu, ví dụ '57-KL/TW': văn bản nào dẫn chiếu nó")
    p.add_argument("--doc", help="tên tệp của văn bản dẫn chiếu")
    _index_arg(p)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="bảng, CSV hoặc JSON")
    p.set_defaults(func=cmd_citations)

    p = sub.add_parser("remove", help="xoá văn bản khỏi chỉ mục theo tên tệp")
    p.add_argument("names", nargs="+", metavar="TÊN_TỆP")
    _index_arg(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("serve", help="chạy ứng dụng web")
    _index_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="địa chỉ lắng nghe (mặc định 127.0.0.1)")
    p.add_argument("--port", type=int, default=7860, help="cổng (mặc định 7860)")
    _llm_arg(p)
    p.add_argument("--auth", metavar="USER:PASS", help="bắt buộc đăng nhập bằng tài khoản này")
    p.add_argument("--auth-file", type=Path, metavar="FILE", help="tệp tài khoản, mỗi dòng 'user:password'")
    p.add_argument("--no-auth", action="store_true",
                   help="cho phép --host không phải localhost mà không cần đăng nhập")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("feedback", help="đánh giá 👍/👎 của người dùng trong ứng dụng",
                       description="Xuất các đánh giá thành dòng JSONL theo định dạng bộ câu hỏi chuẩn để rà soát.")
    fsub = p.add_subparsers(dest="what", required=True, title="lệnh", metavar="LỆNH", parser_class=_Parser)
    e = fsub.add_parser("export", help="xuất đánh giá thành JSONL (question, type, doc, gold_quote, answer, "
                                       "answer_keywords, rating, comment)")
    _index_arg(e)
    e.add_argument("--rating", choices=("all", "up", "down"), default="all", help="all: tất cả; up: 👍; down: 👎")
    e.add_argument("--out", type=Path, default=None, help="ghi vào tệp này (mặc định: stdout)")
    e.set_defaults(func=cmd_feedback_export)
    return parser, sub


def index_dir(args: argparse.Namespace) -> Path | str:
    """The store (index.backend): --store, --index, $TRACUU_STORE, then $TRACUU_INDEX or ./tracuu-index."""
    from index.backend import resolve

    return resolve(getattr(args, "store", None), args.index)


def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from index.backend import open_indexer
    from ingest.pipeline import expand_paths

    if not expand_paths(list(args.paths)):
        return fail("không tìm thấy tệp nào để nạp trong " + ", ".join(map(str, args.paths))
                    + " (nhận .txt .md .docx .pdf .html)", 1)
    bar = tqdm(total=None, unit="tệp", file=sys.stderr)

    def progress(done: int, total: int, name: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_description(safe(name[:40]))
        bar.refresh()

    try:
        report = open_indexer(index_dir(args)).ingest(args.paths, progress)
    finally:
        bar.close()  # an error is then said on a line of its own
    status = {"added": "thêm mới", "replaced": "cập nhật", "unchanged": "không đổi"}
    for f in report.files:
        if f.status in ("error", "skipped"):
            say(f"{'LỖI' if f.status == 'error' else 'BỎ QUA':6} {f.error}", file=sys.stderr)
        else:
            say(f"{status.get(f.status, f.status):9} {f.doc} ({f.chunks} đoạn)")
    say(f"Tổng: {report.count('added')} thêm mới, {report.count('replaced')} cập nhật, "
        f"{report.count('unchanged')} không đổi, {len(report.errors)} lỗi -> {index_dir(args)}")
    return min(len(report.errors), 100)  # the exit code is the number of files that failed


def _print_answer(ans, labels: dict[str, str]) -> None:
    from assistant.views import name_documents
    from ingest.normalize import display

    say(name_documents(ans.text, labels))
    if ans.citations:
        say("\nNguồn:")
        for c in ans.citations:
            # the span is exact; what is shown drops markdown emphasis markers ("**", "#")
            doc = labels.get(c.doc, c.doc)
            doc = doc if doc == c.doc else f"{doc} ({c.doc})"
            say(f"[{c.n}] {doc}, mục {c.section or 'mở đầu'} ({c.start}-{c.end}): «{display(c.quote)}»")


def _questions(args: argparse.Namespace) -> list[str]:
    if args.question is not None:
        q = args.question.strip()
        if not q:
            raise CliError("câu hỏi trống: hãy viết câu hỏi, ví dụ tracuu ask \"Cơ quan nào chủ trì …?\"")
        return [q]
    if sys.stdin.isatty():
        raise CliError("chưa có câu hỏi: tracuu ask \"CÂU HỎI\", hoặc mỗi dòng một câu hỏi qua stdin")
    qs = [line.strip() for line in sys.stdin if line.strip()]
    if not qs:
        raise CliError("stdin không có câu hỏi nào (mỗi dòng một câu hỏi)")
    return qs


def cmd_ask(args: argparse.Namespace) -> int:
    import atexit
    import gc

    questions = _questions(args)
    # A cold start is imports and model loads, all Python holding the GIL: loading the models in
    # a thread beside the index only interleaved the two (slower than one after the other), and
    # the cyclic collector's passes over what they allocate find next to nothing: it is off
    # until the first answer is out. Then what the start allocated is frozen (left out of the
    # collections) while the questions last: turned back on, the collector's first pass went
    # over all of it (20 ms at 10^5 chunks), and each later full pass again.
    gc.disable()
    frozen = False
    try:
        from assistant.service import Assistant

        assistant = Assistant(index_dir(args), llm=args.llm)
        labels: dict[str, str] | None = None
        for q in questions:
            ans = assistant.ask(q, k=args.k)
            if args.json:
                say(json.dumps(ans.to_json(), ensure_ascii=False), flush=True)
            else:
                if labels is None:
                    from assistant.views import doc_labels

                    labels = doc_labels(assistant.searcher.documents())
                _print_answer(ans, labels)
                say("", flush=True)
            if not frozen:
                gc.freeze()
                frozen = True
                gc.enable()
    finally:
        if frozen:  # a caller that goes on gets that memory back to collect
            gc.unfreeze()
        gc.enable()
    # Python's exit collects over every object still alive, the models and the index included:
    # 0.1-0.2 s after the answer is out, for memory the process gives back anyway. Frozen at
    # exit, they are left out (atexit handlers and module cleanup still run). Once per process.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from index.backend import open_searcher

    docs = open_searcher(index_dir(args)).documents()
    if args.format == "json":
        say(json.dumps(docs, ensure_ascii=False, indent=1))
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

    say("  ".join(cell(h, w) for _, h, w in columns).rstrip())
    for r in records:
        say("  ".join(cell(safe(r.get(k) if r.get(k) is not None else ""), w) for k, _, w in columns).rstrip())
    say(f"({len(records)} văn bản)")


OBLIGATION_FIELDS = ("doc", "section", "task", "lead", "partners", "deadline", "deadline_norm", "source", "start", "end")
CITATION_FIELDS = ("doc", "kind", "number", "date", "issuer", "title", "start", "end")


def _emit(records: list[dict], fields: tuple[str, ...], fmt: str, table_cols: tuple[str, ...]) -> None:
    import csv

    if fmt == "json":
        say(json.dumps(records, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=fields)
        w.writeheader()
        for r in records:
            w.writerow({k: safe("; ".join(v) if isinstance(v, list) else v) if v is not None else v
                        for k, v in r.items()})
    else:
        for r in records:
            cells = [safe("; ".join(r[c]) if isinstance(r[c], list) else str(r[c] or "-")) for c in table_cols]
            say(" | ".join(c[:70] for c in cells))
        say(f"({len(records)} dòng)")


def _rows_searcher(args: argparse.Namespace):
    from index.backend import open_searcher

    return open_searcher(index_dir(args))


def cmd_obligations(args: argparse.Namespace) -> int:
    rows = _rows_searcher(args).obligations(args.agency, args.doc, args.role)
    records = [{"doc": o.doc, "section": o.section, "task": o.task, "lead": list(o.lead),
                "partners": list(o.partners), "deadline": o.deadline, "deadline_norm": o.deadline_norm,
                "source": o.source, "start": o.start, "end": o.end} for o in rows]
    _emit(records, OBLIGATION_FIELDS, args.format, ("doc", "section", "lead", "partners", "deadline", "task"))
    return 0


def cmd_citations(args: argparse.Namespace) -> int:
    rows = _rows_searcher(args).citations(args.cites, args.doc)
    records = [{"doc": c.doc, "kind": c.kind, "number": c.number, "date": c.date, "issuer": c.issuer,
                "title": c.title, "start": c.start, "end": c.end} for c in rows]
    _emit(records, CITATION_FIELDS, args.format, ("doc", "kind", "number", "date", "issuer", "title"))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from index.backend import open_indexer

    removed = open_indexer(index_dir(args)).remove(args.names)
    for n in args.names:
        say(("đã xoá  " if n in removed else "không có ") + n)
    return 0 if len(removed) == len(args.names) else 1


def cmd_serve(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.access import AccessError, resolve

    try:  # before loading anything: a refused configuration fails at once
        auth = resolve(args.host, args.auth, args.auth_file, args.no_auth)
    except AccessError as exc:
        return fail(f"serve: {exc}")
    if _port_busy(args.host, args.port):
        return fail(f"cổng {args.port} trên {args.host} đang được dùng; chọn cổng khác: tracuu serve --port "
                    f"{args.port + 1}")
    import gc

    gc.disable()  # until the page is up (assistant.app.serve enables it again)
    from assistant.app import serve

    try:
        serve(index_dir(args), host=args.host, port=args.port, llm=args.llm, auth=auth)
    except OSError as exc:
        if "port" in str(exc).lower() or getattr(exc, "errno", None) in (98, 48):
            raise CliError(f"cổng {args.port} trên {args.host} đang được dùng; chọn cổng khác bằng --port") from exc
        raise
    return 0


def _port_busy(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.feedback import FeedbackStore
    from index.backend import local_dir

    lines = list(FeedbackStore(local_dir(index_dir(args))).gold_lines(args.rating))
    if args.out:
        args.out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        say(f"{len(lines)} đánh giá -> {args.out}", file=sys.stderr)
    else:
        for line in lines:
            say(line)
    return 0


def run(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    import signal

    from index.backend import StoreError
    from index.embed import ModelUnavailable
    from index.milvus_store import StoreUnavailable
    from index.search import EmptyIndexError
    from index.store import OutdatedIndexError

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `tracuu obligations | head` ends quietly
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return fail("đã dừng (Ctrl-C)", 130)
    except CliError as exc:
        return fail(str(exc), exc.code)
    except EmptyIndexError:
        where = index_dir(args) if hasattr(args, "index") else default_index_dir()
        return fail(f"chưa có chỉ mục ở {where}: chạy 'tracuu ingest ĐƯỜNG_DẪN' trước")
    except (OutdatedIndexError, StoreError, StoreUnavailable) as exc:
        return fail(str(exc))
    except ModelUnavailable as exc:
        return fail(f"{exc} (chạy lại scripts/setup, hoặc python -m index.e5convert)")
    except sqlite3.Error as exc:
        return fail(f"không đọc được chỉ mục {index_dir(args) if hasattr(args, 'index') else ''}: {exc}")
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return fail(f"lỗi tệp{where}: {os_reason(exc)}")
    except Exception as exc:  # noqa: BLE001 - one line for the user; TRACUU_DEBUG=1 shows the traceback
        if os.environ.get("TRACUU_DEBUG"):
            raise
        return fail(f"lỗi không mong đợi: {type(exc).__name__}: {exc} (TRACUU_DEBUG=1 để xem chi tiết)", 1)


def main(argv: list[str] | None = None) -> int:
    return run(build_parser()[0], argv)
