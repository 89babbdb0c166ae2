"""Gold items (format of shared/eval/dev.jsonl) and their passages located as spans."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.normalize import fold_map, strip_map


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    type: str
    docs: tuple[str, ...]
    quotes: tuple[str, ...]
    keywords: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def _tuple(value) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def load_gold(path: Path) -> list[GoldItem]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            items.append(GoldItem(d["id"], d["question"], d["type"], _tuple(d.get("doc")),
                                  _tuple(d.get("gold_quote")), _tuple(d.get("answer_keywords"))))
        except (json.JSONDecodeError, KeyError) as exc:
            raise ValueError(f"{path}:{n}: không phải một câu hỏi mẫu hợp lệ ({exc})") from exc
    return items


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Span of ``quote`` in ``text``: exact, else ignoring case/tone placement, else diacritics;
    then each of those with a table's cell bars and line breaks read as spaces (a row quoted as
    its cells' text: "Huyện Trảng Bom 1.120 1.000 …" of "| 5 | Huyện Trảng Bom | 1.120 | …")."""
    i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    forms = [(form(text), form(quote)[0]) for form in (fold_map, strip_map)]
    for squeeze in (False, True):
        for (t, tmap), q in forms:
            if squeeze:
                t, tmap = _squeeze(t, tmap)
                q = _squeeze(q, list(range(len(q))))[0]
            q = q.strip()
            j = t.find(q)
            if j >= 0 and q:  # a folded syllable's tone letter comes last and maps to its vowel
                return min(tmap[j:j + len(q)]), max(tmap[j:j + len(q)]) + 1
    return None


def _squeeze(text: str, where: list[int]) -> tuple[str, list[int]]:
    """Every run of spaces, line breaks and table bars as one space, with the map kept."""
    out, at = [], []
    for m in re.finditer(r"[\s|]+|[^\s|]+", text):
        if m.group(0)[0].isspace() or m.group(0)[0] == "|":
            out.append(" ")
            at.append(where[m.start()])
        else:
            out.append(m.group(0))
            at.extend(where[m.start():m.end()])
    return "".join(out), at


def keyword_found(answer: str, keyword: str) -> bool:
    a, k = fold_map(answer)[0], fold_map(keyword)[0]
    return " ".join(k.split()) in " ".join(a.split())
