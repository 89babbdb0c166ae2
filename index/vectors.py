"""FAISS inner-product index over L2-normalised vectors (so scores are cosines)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def write_faiss(path: Path, vectors: np.ndarray | None, dim: int = 384) -> None:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1] if vectors is not None else dim)
    if vectors is not None and len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


def read_faiss(path: Path):
    import faiss

    return faiss.read_index(str(path))
