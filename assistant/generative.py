"""Optional generative answerer: any LangChain chat model writes the answer from numbered
passages, and nothing it says reaches the user unchecked.

Each output sentence must cite passages [n]; a sentence is kept only when a cited passage
supports it (its words found there, or a strong overlap of its content words), and its
citation is re-pointed at the passage sentence that supports it best, so quotes stay exact
spans of the stored text. Unsupported sentences are dropped and counted. If the model cannot
be reached, or nothing it says survives the check, the caller falls back to the extractive
answerer.

Models (``--llm SPEC`` or $TRACUU_LLM):
    openai:MODEL@http://127.0.0.1:8000/v1    any OpenAI-compatible server (vLLM, llama.cpp server)
    ollama:MODEL[@http://127.0.0.1:11434]     a local Ollama
    llamacpp:/path/to/model.gguf              in process, needs llama-cpp-python
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from assistant.types import Citation
from index.lexical import STOP_SYLLABLES
from index.types import Hit
from ingest.chunker import sentence_spans
from ingest.normalize import UPPER, fold, strip

REFUSE_MARK = "KHÔNG ĐỦ THÔNG TIN"
MIN_OVERLAP = 0.5  # share of a claim's content syllables that its passage sentence must contain
ROLES = ("chu tri", "phoi hop")  # diacritic-free: a claim naming a role must be backed by that role
SYSTEM = (
    "Bạn là trợ lý tra cứu văn bản hành chính Việt Nam. Chỉ trả lời dựa trên các đoạn trích được đánh "
    "số bên dưới. Trả lời ngắn gọn bằng tiếng Việt. Sau MỖI câu, ghi số đoạn làm căn cứ trong ngoặc "
    "vuông, ví dụ [1] hoặc [1][3]. Giữ nguyên tên cơ quan, số hiệu văn bản, ngày tháng như trong đoạn "
    f"trích. Nếu các đoạn trích không đủ để trả lời, chỉ viết: {REFUSE_MARK}.")


class LLMUnavailable(Exception):
    pass


@dataclass(frozen=True)
class LLMSpec:
    provider: str
    model: str
    base_url: str | None = None

    @classmethod
    def parse(cls, spec: str) -> "LLMSpec":
        provider, sep, rest = spec.partition(":")
        if not sep or provider not in ("openai", "ollama", "llamacpp") or not rest:
            raise ValueError(f"--llm {spec!r} không hợp lệ: dùng openai:MODEL@URL, ollama:MODEL[@URL] hoặc llamacpp:PATH.gguf")
        model, _, url = rest.partition("@") if provider != "llamacpp" else (rest, "", "")
        if provider == "openai" and not url:
            raise ValueError(f"--llm {spec!r} không hợp lệ: máy chủ tương thích OpenAI cần @URL")
        return cls(provider, model, url or None)


def make_chat_model(spec: LLMSpec, max_tokens: int = 400, timeout: float = 120.0):
    """The LangChain chat model for a spec; imports only the integration it needs."""
    try:
        if spec.provider == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(model=spec.model, base_url=spec.base_url, temperature=0, max_tokens=max_tokens,
                              timeout=timeout, max_retries=0,
                              api_key=os.environ.get("OPENAI_API_KEY", "not-needed-for-local-servers"))
        if spec.provider == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(model=spec.model, base_url=spec.base_url or "http://127.0.0.1:11434",
                              temperature=0, num_predict=max_tokens)
        from langchain_community.chat_models import ChatLlamaCpp

        return ChatLlamaCpp(model_path=spec.model, temperature=0, max_tokens=max_tokens, n_ctx=8192,
                            n_threads=max(1, min(2, os.cpu_count() or 1)), verbose=False)
    except ImportError as exc:
        raise LLMUnavailable(f"chưa cài phần tích hợp {spec.provider} ({exc.name}); "
                             "hãy cài tracuu[llm]") from exc


@dataclass
class Generated:
    text: str
    citations: list[Citation]
    refused: bool = False
    dropped: list[str] = field(default_factory=list)  # sentences no cited passage supports
    raw: str = ""


def _content_syllables(text: str) -> set[str]:
    return {s for s in re.findall(r"\w+", strip(text).lower()) if s not in STOP_SYLLABLES and not s.isdigit()}


class GenerativeAnswerer:
    def __init__(self, chat_model, doc_text: Callable[[str], str], max_passages: int = 6):
        self.model = chat_model
        self.doc_text = doc_text
        self.max_passages = max_passages

    def messages(self, question: str, hits: list[Hit]) -> list:
        from langchain_core.messages import HumanMessage, SystemMessage

        blocks = []
        for n, h in enumerate(hits[:self.max_passages], 1):
            where = f"{h.chunk.doc}, mục {h.chunk.section or 'mở đầu'}"
            crumb = " › ".join(h.chunk.breadcrumb)
            blocks.append(f"[{n}] ({where}{'; ' + crumb if crumb else ''})\n{h.chunk.text}")
        return [SystemMessage(SYSTEM),
                HumanMessage("Các đoạn trích:\n\n" + "\n\n".join(blocks) + f"\n\nCâu hỏi: {question}\nTrả lời:")]

    def stream(self, question: str, hits: list[Hit]) -> Iterator[str]:
        """Tokens as the model writes them (unchecked: show as a draft, then the checked answer)."""
        try:
            for chunk in self.model.stream(self.messages(question, hits)):
                if chunk.content:
                    yield chunk.content if isinstance(chunk.content, str) else str(chunk.content)
        except LLMUnavailable:
            raise
        except Exception as exc:  # connection refused, timeout, server error: the caller falls back
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc

    def generate(self, question: str, hits: list[Hit], on_token: Callable[[str], None] | None = None) -> Generated:
        parts = []
        for tok in self.stream(question, hits):
            parts.append(tok)
            if on_token:
                on_token(tok)
        return self.verify("".join(parts), hits)

    def verify(self, raw: str, hits: list[Hit], doc_text: Callable[[str], str] | None = None) -> Generated:
        """``doc_text``: reads the documents of the generation the hits came from (default: the
        one given at construction), so a write during a long generation never breaks the quote."""
        doc_text = doc_text or self.doc_text
        passages = hits[:self.max_passages]
        if REFUSE_MARK.lower() in raw.lower() and not re.search(r"\[\d+\]", raw):
            return Generated("", [], refused=True, raw=raw)
        citations: list[Citation] = []
        kept: list[str] = []
        dropped: list[str] = []
        for sentence in self._sentences(raw):
            cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
            claim = re.sub(r"\s+([.!?,;:])", r"\1", re.sub(r"\s*\[\d+\]", "", sentence)).strip()
            if not claim:
                continue
            support = [self._support(claim, passages[n - 1]) for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
            support = [s for s in support if s is not None]
            if not support:
                dropped.append(claim)
                continue
            refs = []
            for hit, (a, b) in support:
                existing = next((c for c in citations if c.doc == hit.chunk.doc and (c.start, c.end) == (a, b)), None)
                if existing is None:
                    text = doc_text(hit.chunk.doc)
                    existing = Citation(len(citations) + 1, hit.chunk.doc, hit.chunk.section, text[a:b], a, b,
                                        hit.chunk.breadcrumb)
                    citations.append(existing)
                refs.append(f"[{existing.n}]")
            kept.append(f"{claim} {''.join(refs)}")
        return Generated("\n".join(kept), citations, dropped=dropped, raw=raw)

    @staticmethod
    def _sentences(raw: str) -> list[str]:
        # a citation after the full stop belongs to the sentence before it: "…tỉnh. [2]"
        raw = re.sub(r"([.!?])\s*((?:\[\d+\]\s*)+)", r" \2\1 ", raw)
        return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", raw) if s.strip()]

    def _support(self, claim: str, hit: Hit) -> tuple[Hit, tuple[int, int]] | None:
        """The span of the passage sentence that supports the claim, or None.

        Word overlap alone would accept "Sở X chủ trì" against "Cơ quan phối hợp: Sở X", the
        worst error an official can be shown, so a claim that names a role (chủ trì, phối hợp)
        needs a sentence naming the same role, and its names and numbers must all be there."""
        c = hit.chunk
        words = _content_syllables(claim)
        roles = [r for r in ROLES if r in strip(claim).lower()]
        best, best_span = 0.0, None
        for a, b in sentence_spans(c.text, 0, len(c.text)):
            piece = c.text[a:b]
            if fold(claim.strip(" .")) in fold(piece):
                return hit, (c.start + a, c.start + b)
            if not words or not all(r in strip(piece).lower() for r in roles):
                continue
            overlap = len(words & _content_syllables(piece)) / len(words)
            if overlap > best and _specifics_in(claim, piece):
                best, best_span = overlap, (c.start + a, c.start + b)
        if best >= MIN_OVERLAP:
            return hit, best_span
        # a claim may combine several sentences of the passage: judge it against the whole
        whole = len(words & _content_syllables(c.text)) / len(words) if words else 0.0
        if not roles and whole >= 0.8 and best >= 0.3 and _specifics_in(claim, c.text):
            return hit, best_span
        return None


def _specifics_in(claim: str, text: str) -> bool:
    """Every number and every capitalised name (two or more syllables) of the claim occurs in
    the text: a paraphrase may change the wording, never the who or the how much."""
    folded = fold(text)
    numbers = re.findall(r"\d+(?:[/.,]\d+)*", claim)
    # skip the claim's first word: sentence case, not a name
    names = re.findall(rf"(?<!^)(?:[{UPPER}]\w*\s+)+[{UPPER}]\w*", claim.strip())
    return all(n in text for n in numbers) and all(fold(n) in folded for n in names)
