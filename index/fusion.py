"""Fusing the dense and lexical rankings of one query.

Two fusions, both kept selectable because they win on different data (eval/reports/):
  rrf       reciprocal-rank fusion, sum of w / (60 + rank); ignores score gaps.
  weighted  alpha * minmax(dense) + (1 - alpha) * w * minmax(BM25) over the candidates;
            keeps how far ahead a passage is in each channel.
``w`` is the lexical channel's trust for this query (lower for English questions, see Searcher).
"""
from __future__ import annotations

FUSIONS = ("rrf", "weighted")
RRF_K = 60
DEFAULT_FUSION = "weighted"
DEFAULT_ALPHA = 0.2


def rrf(dense: list[int], lexical: list[int], lex_weight: float = 1.0, k: int = RRF_K) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking, weight in ((dense, 1.0), (lexical, lex_weight)):
        for rank, i in enumerate(ranking):
            fused[i] = fused.get(i, 0.0) + weight / (k + rank + 1)
    return fused


def _minmax(scores: dict[int, float], keys) -> dict[int, float]:
    vals = [scores[i] for i in keys if i in scores]
    if not vals:
        return {}
    lo, hi = min(vals), max(vals)
    span = hi - lo
    # one candidate, or all tied: the channel does not separate them
    return {i: ((scores[i] - lo) / span if span > 0 else 1.0) for i in keys if i in scores}


def weighted(dense: dict[int, float], lexical: dict[int, float], candidates: list[int],
             alpha: float = DEFAULT_ALPHA, lex_weight: float = 1.0) -> dict[int, float]:
    """Scores over ``candidates``; a candidate a channel did not score gets that channel's 0."""
    d, b = _minmax(dense, candidates), _minmax(lexical, candidates)
    return {i: alpha * d.get(i, 0.0) + (1 - alpha) * lex_weight * b.get(i, 0.0) for i in candidates}


def check(fusion: str, alpha: float) -> None:
    if fusion not in FUSIONS:
        raise ValueError(f"unknown fusion {fusion!r}: choose one of {', '.join(FUSIONS)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"fusion alpha must be between 0 and 1, got {alpha}")
