"""The baseline a user would copy from a LangChain tutorial: RecursiveCharacterTextSplitter
(1000 characters, 200 overlap) + the same e5 model through HuggingFaceEmbeddings (no
"query:"/"passage:" prompts, as the tutorial has it) + LangChain's FAISS vector store.

Only one thing is added: vectors are cached on disk by text hash (eval.benchdata.VectorCache),
so a second run does not embed the corpus again; it does not change any ranking.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200


@dataclass(frozen=True)
class RankedPassage:
    doc_id: str  # benchmark passage id, or the document file name for the dev corpus
    text: str
    score: float
    start: int  # character span of the chunk in its source text
    end: int
    doc_name: str = ""
    title: str = ""


def _embeddings(model_dir: Path | None, cache: Path | None):
    from langchain_core.embeddings import Embeddings
    from langchain_huggingface import HuggingFaceEmbeddings

    from index.e5convert import ensure_model

    hf = HuggingFaceEmbeddings(model_name=str(ensure_model(model_dir)), model_kwargs={"device": "cpu"},
                               encode_kwargs={"normalize_embeddings": True})
    if cache is None:
        return hf

    from eval.benchdata import VectorCache

    store = VectorCache(cache)

    class Cached(Embeddings):
        def embed_documents(self, texts):
            return store.get(list(texts), hf.embed_documents).tolist()

        def embed_query(self, text):
            return hf.embed_query(text)

    return Cached()


class LangChainBaseline:
    """``docs``: (doc_id, text, title, doc_name) per source text."""

    def __init__(self, docs: list[tuple[str, str, str, str]], model_dir: Path | None = None,
                 cache: Path | None = None):
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                                  add_start_index=True)
        chunks = splitter.split_documents([Document(page_content=text, metadata={
            "doc_id": doc_id, "title": title, "doc_name": name}) for doc_id, text, title, name in docs])
        self.embeddings = _embeddings(model_dir, cache)
        self.store = FAISS.from_documents(chunks, self.embeddings)
        self.chunks = len(chunks)

    def search(self, query: str, k: int = 10) -> list[RankedPassage]:
        """The top ``k`` chunks (not deduplicated: a tutorial retriever returns chunks)."""
        out = []
        for d, score in self.store.similarity_search_with_score(query, k=k):
            start = int(d.metadata.get("start_index", 0))
            out.append(RankedPassage(d.metadata["doc_id"], d.page_content, -float(score), start,
                                     start + len(d.page_content), d.metadata.get("doc_name", ""),
                                     d.metadata.get("title", "")))
        return out
