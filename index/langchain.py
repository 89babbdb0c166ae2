"""tracuu's Searcher as a LangChain retriever: a `BaseRetriever` whose Documents carry our
metadata (document, title, section, breadcrumb, exact character span, channel scores), so a
LangChain chain can cite the passage as tracuu does."""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from index.filters import SearchFilter
from index.types import Hit


def hit_document(hit: Hit) -> Document:
    c = hit.chunk
    return Document(page_content=c.text, metadata={
        "doc": c.doc, "doc_title": hit.doc_title, "section": c.section, "breadcrumb": list(c.breadcrumb),
        "start": c.start, "end": c.end, "score": hit.score, "dense": hit.dense, "lexical": hit.lexical})


class TracuuRetriever(BaseRetriever):
    """``searcher``: an index.search.Searcher. ``search_kwargs`` go to Searcher.search
    (fusion, alpha, rescore, signals); ``filters`` restricts documents by metadata."""

    searcher: Any
    k: int = 5
    filters: SearchFilter | None = None
    search_kwargs: dict = {}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.searcher.search(query, k=self.k, filters=self.filters, **self.search_kwargs)
        return [hit_document(h) for h in hits]
