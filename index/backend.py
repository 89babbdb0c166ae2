"""Pick the store backend from a store URI.

    ./tracuu-index, /srv/index          the embedded store (a folder: index.store)
    index.db, milvus-lite:/srv/idx.db   Milvus Lite: an embedded Milvus (a local folder named *.db)
    http://milvus.example:19530         a Milvus standalone or cluster (https:// too)

``--store`` (or ``$TRACUU_STORE``) names it; ``--index`` (or ``$TRACUU_INDEX``) still names a
folder of the embedded store. A Milvus store keeps what is not index data (uploads, feedback)
in a local folder: beside a Milvus Lite file (``index.db.d``), else ``$TRACUU_INDEX`` or
./tracuu-index.
"""
from __future__ import annotations

import os
from pathlib import Path

from index.milvus_store import StoreURI
from index.store import default_index_dir

LITE_PREFIX = "milvus-lite:"


class StoreError(ValueError):
    pass


def resolve(store: str | Path | None = None, index: Path | None = None) -> str | Path:
    """The store a command uses: --store, else --index, else $TRACUU_STORE, else the default folder."""
    if store:
        return store
    if index is not None:
        return index
    return os.environ.get("TRACUU_STORE") or default_index_dir()


def milvus_spec(store: str | Path) -> StoreURI | None:
    """The Milvus store ``store`` names, or None for an embedded store's folder."""
    s = str(store)
    if s.startswith(("http://", "https://")):
        return StoreURI(s.rstrip("/"), default_index_dir())
    if s.startswith(("tcp://", "grpc://")):
        raise StoreError(f"{s}: địa chỉ Milvus phải bắt đầu bằng http:// hoặc https:// (ví dụ http://milvus:19530)")
    if s.startswith(LITE_PREFIX) or s.endswith(".db"):
        path = Path(s.removeprefix(LITE_PREFIX)).expanduser().resolve()
        if path.suffix != ".db":
            raise StoreError(f"{s}: tệp Milvus Lite phải có đuôi .db")
        path.parent.mkdir(parents=True, exist_ok=True)
        return StoreURI(str(path), path.with_name(path.name + ".d"))
    return None


def local_dir(store: str | Path) -> Path:
    """The folder for what is not index data (uploads, feedback) of ``store``."""
    spec = milvus_spec(store)
    return Path(store) if spec is None else spec.local_dir


def open_searcher(store: str | Path, embedder=None, **opts):
    """A Searcher (index.search's API) over ``store``; ``opts``: fusion, alpha, rescore, signals_for."""
    spec = milvus_spec(store)
    if spec is None:
        from index.search import Searcher

        return Searcher(Path(store), embedder, **opts)
    from index.milvus import MilvusSearcher

    return MilvusSearcher(spec, embedder, **opts)


def open_indexer(store: str | Path, embedder=None):
    spec = milvus_spec(store)
    if spec is None:
        from index.indexer import Indexer

        return Indexer(Path(store), embedder)
    from index.milvus import MilvusIndexer

    return MilvusIndexer(spec, embedder)


def store_of(searcher) -> str | Path:
    """The store URI ``searcher`` reads (its folder for the embedded store)."""
    spec = getattr(searcher, "spec", None)
    return spec.uri if spec is not None else searcher.index_dir


def indexer_for(searcher):
    """An Indexer writing to the store ``searcher`` reads, sharing its embedding model."""
    return open_indexer(store_of(searcher), searcher.embedder)
