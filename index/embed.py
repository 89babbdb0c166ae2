"""Sentence embeddings with multilingual-e5-small through sentence-transformers, offline."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# the model is a local folder: never let a library reach for the hub
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index.e5convert import ensure_model  # noqa: E402


class Embedder:
    """e5 wants "query: " before questions and "passage: " before indexed text."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 16):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        self.folder = ensure_model(model_dir)
        self.model = SentenceTransformer(str(self.folder), device="cpu")
        self.batch_size = batch_size

    @property
    def dim(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(list(texts), prompt_name=prompt, batch_size=self.batch_size,
                                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")
