"""The `tracuu` console script: the assistant's commands plus `eval`, which sits on top."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.cli import _index_arg, _llm_arg, build_parser, index_dir, run


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from eval.run import evaluate, evaluate_cross_fit, format_report, write_report

    assistant = Assistant(index_dir(args), llm=args.llm)
    report = (evaluate_cross_fit if args.cross_fit else evaluate)(args.gold, assistant, k=args.k)
    print(format_report(report))
    if args.vs_langchain:
        from eval.compare import format_side_by_side, langchain_answers

        print(format_side_by_side(report, langchain_answers(args.gold, assistant)))
    if args.out:
        write_report(report, args.out)
        print(f"\nper-item results -> {args.out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_bench, write_reports

    try:
        out = run_bench(args.bench, args.limit, args.shared, args.cache, langchain=not args.no_langchain,
                        fusion=args.fusion, alpha=args.alpha)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        for path in write_reports(out, args.out):
            print(f"-> {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    p, sub = build_parser()
    e = sub.add_parser("eval", help="evaluate on a gold set (JSONL)")
    e.add_argument("gold", type=Path)
    _index_arg(e)
    e.add_argument("--out", type=Path, default=None, help="write per-item results as JSON")
    e.add_argument("-k", type=int, default=10)
    e.add_argument("--vs-langchain", action="store_true",
                   help="also answer with the plain LangChain RAG (its top passage) and print both")
    e.add_argument("--cross-fit", action="store_true",
                   help="answer each document's questions with scorer weights fitted without that document")
    _llm_arg(e)
    e.set_defaults(func=cmd_eval)
    f = sub.add_parser("fit", help="fit the answer scorer's weights (python -m eval.fit)")
    f.add_argument("--out", type=Path, default=None)
    f.set_defaults(func=lambda a: __import__("eval.fit").fit.main(["--out", str(a.out)] if a.out else []))

    b = sub.add_parser("bench", help="benchmarks: `bench retrieval` compares retrieval systems")
    bsub = b.add_subparsers(dest="what", required=True)
    r = bsub.add_parser("retrieval", help="Recall@1/5/10, MRR@10, nDCG@10, latency on dev and public benchmarks")
    r.add_argument("--bench", choices=("alqac25", "viquad1", "dev", "all"), default="all")
    r.add_argument("--limit", type=int, default=None, help="first N queries of each set")
    r.add_argument("--shared", type=Path, default=None,
                   help="folder with bench/ and eval/ (default $TRACUU_SHARED or ../shared)")
    r.add_argument("--cache", type=Path, default=None,
                   help="where benchmark vectors and indexes are kept (default $TRACUU_CACHE or ~/.cache/tracuu/bench)")
    r.add_argument("--fusion", choices=("rrf", "weighted"), default=None, help="tracuu's default fusion")
    r.add_argument("--alpha", type=float, default=None, help="dense weight in weighted fusion")
    r.add_argument("--no-langchain", action="store_true", help="skip the LangChain baseline")
    r.add_argument("--out", type=Path, default=Path("eval/reports"),
                   help="folder for retrieval.md/.json/.png (default eval/reports)")
    r.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
