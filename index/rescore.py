"""Second stage: rescoring the fused top candidates with what tracuu knows about a passage."""
from __future__ import annotations


def rescore(query: str, snap, fused: dict[int, float]) -> dict[int, float]:
    return fused
