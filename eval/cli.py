"""The `tracuu` console script: the assistant's commands plus `eval`, which sits on top."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.cli import _index_arg, _llm_arg, build_parser, index_dir, run


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.service import Assistant
    from eval.run import evaluate, format_report, write_report

    report = evaluate(args.gold, Assistant(index_dir(args), llm=args.llm), k=args.k)
    print(format_report(report))
    if args.out:
        write_report(report, args.out)
        print(f"\nper-item results -> {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    p, sub = build_parser()
    e = sub.add_parser("eval", help="evaluate on a gold set (JSONL)")
    e.add_argument("gold", type=Path)
    _index_arg(e)
    e.add_argument("--out", type=Path, default=None, help="write per-item results as JSON")
    e.add_argument("-k", type=int, default=10)
    _llm_arg(e)
    e.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
