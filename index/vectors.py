"""Dense vectors of a segment: a float32 matrix file (memory-mapped, rows = local chunk ids)
and, for a large segment, an ANN index over it in FAISS's own format.

Flat (exact: FAISS's brute-force search over the matrix) below ``ANN_MIN`` chunks, HNSW
(inner product over L2-normalised vectors, so scores are cosines) above, at every size. IVF
is built only when asked for (`tracuu bench scale` compares it): on 10^4 real e5 passage
vectors it reached recall@10 0.92 probing 12% of its lists and needed 20–30% for 0.95, where
HNSW gave 0.995 (eval/reports/scale.md). A filter is applied inside the search: a small
allowed set is scored exactly on its own rows, a larger one is passed to FAISS as an ID selector."""
from __future__ import annotations

from pathlib import Path

import numpy as np

ANN_MIN = 20_000
HNSW_M, HNSW_EF_BUILD, HNSW_EF_SEARCH = 32, 80, 160
IVF_PROBE = 48
EXACT_MAX = 20_000  # allowed chunks scored exactly instead of through the ANN index


def write_faiss(path: Path, vectors: np.ndarray | None, dim: int = 384) -> None:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1] if vectors is not None else dim)
    if vectors is not None and len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


def read_faiss(path: Path):
    import faiss

    return faiss.read_index(str(path))


def build_ann(vectors: np.ndarray, kind: str | None = None):
    """An ANN index for ``vectors`` (None when flat is the better choice for its size)."""
    import faiss

    n, dim = vectors.shape
    kind = kind or ("flat" if n < ANN_MIN else "hnsw")
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if kind == "flat":
        return None
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_BUILD
        index.add(x)
        return index
    nlist = max(16, int(4 * np.sqrt(n)))
    quant = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quant, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    index.train(x[rng.choice(n, min(n, 64 * nlist), replace=False)])
    index.add(x)
    return index


def _params(index, sel):
    import faiss

    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=sel, efSearch=HNSW_EF_SEARCH)
    return faiss.SearchParametersIVF(sel=sel, nprobe=IVF_PROBE)


def search(vectors: np.ndarray, ann, q: np.ndarray, depth: int,
           allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Top ``depth`` (local ids, cosines) for one query vector ``q`` among the rows
    ``allowed`` marks (a bool mask; None: all)."""
    import faiss

    if allowed is not None:
        ids = np.flatnonzero(allowed)
        if ann is None or len(ids) <= EXACT_MAX:
            return _flat(vectors, ids, q, depth)
    if ann is None:
        return _flat(vectors, None, q, depth)
    sel = None
    if allowed is not None:
        bits = np.packbits(allowed, bitorder="little")
        sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
    depth = min(depth, ann.ntotal)
    sims, ids = ann.search(q[None, :].astype(np.float32), depth, params=_params(ann, sel))
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), sims[0][keep]


def _flat(vectors: np.ndarray, ids: np.ndarray | None, q: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``depth`` of the rows ``ids`` (None: every row), by FAISS's brute-force inner
    product straight over the (memory-mapped) matrix: no index to build for a small segment."""
    import faiss

    x = np.ascontiguousarray(vectors if ids is None else vectors[ids], dtype=np.float32)
    if not len(x) or depth <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    sims, local = faiss.knn(np.ascontiguousarray(q[None, :], dtype=np.float32), x, min(depth, len(x)),
                            metric=faiss.METRIC_INNER_PRODUCT)
    keep = local[0] >= 0
    found = local[0][keep]
    return _top(found if ids is None else ids[found], sims[0][keep], depth)  # ties by id, as elsewhere


def _top(ids: np.ndarray, sims: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    if len(sims) > depth:
        part = np.argpartition(-sims, depth - 1)[:depth]
        ids, sims = ids[part], sims[part]
    order = np.lexsort((ids, -sims))  # best first, ties by id (as FAISS orders them)
    return ids[order], sims[order]
