"""Regular expressions compiled at their first use."""
from __future__ import annotations

import re
from functools import cached_property


class LazyPattern:
    """``re.compile(pattern, flags)``, compiled when first used. The ingest modules a question
    imports too (structure, obligations, citations, agencies) hold some twenty patterns a
    question never runs: compiled at import they cost every cold `tracuu ask` ~15 ms."""

    def __init__(self, pattern: str, flags: int = 0):
        self.pattern = pattern  # read without compiling: other patterns are built from it
        self._flags = flags

    @cached_property
    def compiled(self) -> re.Pattern:
        return re.compile(self.pattern, self._flags)

    def __getattr__(self, name: str):  # match, search, finditer, sub, groupindex …
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.compiled, name)
