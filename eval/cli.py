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
        print(f"\nkết quả từng câu -> {args.out}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_bench, write_reports

    try:
        out = run_bench(args.bench, args.limit, args.shared, args.cache, langchain=not args.no_langchain,
                        fusion=args.fusion, alpha=args.alpha)
    except (FileNotFoundError, ValueError) as exc:
        print(f"tracuu: lỗi: {exc}", file=sys.stderr)
        return 2
    if args.out:
        for path in write_reports(out, args.out):
            print(f"-> {path}")
    return 0


def cmd_scale(args: argparse.Namespace) -> int:
    from eval.benchdata import cache_dir
    from eval.scale import merge_runs, run, write_report

    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    results = run(sizes, cache_dir(args.cache), args.out, real=args.real)
    if args.add:
        results = merge_runs(args.out / "scale.json", results)
    for path in write_report(results, args.out):
        print(f"-> {path}")
    return 0


def parser() -> argparse.ArgumentParser:
    p, sub = build_parser()
    e = sub.add_parser("eval", help="đánh giá trên bộ câu hỏi chuẩn (JSONL)")
    e.add_argument("gold", type=Path, metavar="GOLD.jsonl", help="bộ câu hỏi chuẩn")
    _index_arg(e)
    e.add_argument("--out", type=Path, default=None, help="ghi kết quả từng câu ra tệp JSON")
    e.add_argument("-k", type=int, default=10, help="số đoạn tìm kiếm (mặc định 10)")
    e.add_argument("--vs-langchain", action="store_true",
                   help="trả lời thêm bằng RAG LangChain thuần (đoạn đầu tiên) và in cả hai")
    e.add_argument("--cross-fit", action="store_true",
                   help="trả lời câu hỏi của mỗi văn bản bằng trọng số bộ chấm điểm được khớp không dùng văn bản đó")
    _llm_arg(e)
    e.set_defaults(func=cmd_eval)
    f = sub.add_parser("fit", help="khớp lại trọng số bộ chấm điểm câu trả lời (python -m eval.fit)")
    f.add_argument("--out", type=Path, default=None, help="tệp trọng số JSON (mặc định assistant/data/scorer.json)")
    f.add_argument("--stability", type=int, default=0, metavar="N",
                   help="khớp lại thêm N lần, mỗi lần bỏ ngẫu nhiên 1/10 dữ liệu huấn luyện, "
                        "và in độ dao động của các số đo")
    f.set_defaults(func=lambda a: __import__("eval.fit").fit.main(
        (["--out", str(a.out)] if a.out else []) + (["--stability", str(a.stability)] if a.stability else [])))

    b = sub.add_parser("bench", help="đo chuẩn: `bench retrieval` so sánh các hệ tìm kiếm")
    bsub = b.add_subparsers(dest="what", required=True, title="lệnh", metavar="LỆNH")
    r = bsub.add_parser("retrieval", help="Recall@1/5/10, MRR@10, nDCG@10, độ trễ trên tập dev và các bộ chuẩn công khai")
    r.add_argument("--bench", choices=("alqac25", "viquad1", "dev", "all"), default="all", help="bộ đo chuẩn")
    r.add_argument("--limit", type=int, default=None, help="N câu đầu của mỗi bộ")
    r.add_argument("--shared", type=Path, default=None,
                   help="thư mục chứa bench/ và eval/ (mặc định $TRACUU_SHARED hoặc ../shared)")
    r.add_argument("--cache", type=Path, default=None,
                   help="nơi giữ vector và chỉ mục đo chuẩn (mặc định $TRACUU_CACHE hoặc ~/.cache/tracuu/bench)")
    r.add_argument("--fusion", choices=("rrf", "weighted"), default=None, help="cách hợp nhất mặc định của tracuu")
    r.add_argument("--alpha", type=float, default=None, help="trọng số kênh vector khi hợp nhất có trọng số")
    r.add_argument("--no-langchain", action="store_true", help="bỏ qua mốc so sánh LangChain")
    r.add_argument("--out", type=Path, default=Path("eval/reports"),
                   help="thư mục cho retrieval.md/.json/.png (mặc định eval/reports)")
    r.set_defaults(func=cmd_bench)
    sc = bsub.add_parser("scale", help="chỉ mục ở 10^4–10^6 đoạn: thời gian nạp, truy vấn, ghi, RAM, độ phủ ANN, BM25")
    sc.add_argument("--sizes", default="10000,100000", help="số đoạn, cách nhau bằng dấu phẩy (mặc định 10000,100000;"
                    " thêm 1000000 nếu máy đủ thời gian)")
    sc.add_argument("--add", action="store_true",
                    help="giữ các cỡ đã đo trong scale.json của --out, chỉ đo thêm/đo lại các cỡ được nêu")
    sc.add_argument("--real", type=int, default=10_000,
                    help="số đoạn tối thiểu của chỉ mục thật (điều luật ALQAC, vectơ e5 thật; 0 để bỏ qua)")
    sc.add_argument("--cache", type=Path, default=None,
                    help="nơi dựng các chỉ mục tổng hợp (mặc định $TRACUU_CACHE hoặc ~/.cache/tracuu/bench)")
    sc.add_argument("--out", type=Path, default=Path("eval/reports"), help="thư mục cho scale.md/.json/.png")
    sc.set_defaults(func=cmd_scale)
    return p


def main(argv: list[str] | None = None) -> int:
    return run(parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
