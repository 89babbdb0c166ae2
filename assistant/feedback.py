"""Feedback on answers: 👍/👎 and an optional comment, kept with the question, the answer, its
citations and the index generation that answered, so a reported failure can become an eval item.

The SQLite file is ``INDEX_DIR/feedback.sqlite``, beside the ``gen-N/`` directories and not
inside one: a new index generation never drops it."""
from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

FILE = "feedback.sqlite"
SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    user TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,   -- JSON list of {n, doc, section, quote, start, end}
    generation TEXT,
    rating INTEGER NOT NULL,   -- 1 👍, -1 👎
    comment TEXT,
    refused INTEGER NOT NULL DEFAULT 0,
    intent TEXT
)"""


@dataclass(frozen=True)
class Feedback:
    id: int
    time: str
    user: str | None
    question: str
    answer: str
    citations: list[dict]
    generation: str | None
    rating: int
    comment: str | None
    refused: bool
    intent: str | None

    def to_gold(self) -> dict:
        """A gold-format line (eval/gold.py's keys) to review: the cited passage as the quote to
        check, answer keywords left for the reviewer, and the rating and comment that came with it."""
        first = self.citations[0] if self.citations else {}
        return {"id": f"feedback-{self.id}", "question": self.question,
                "type": "unanswerable" if self.refused else (self.intent or "feedback"),
                "doc": first.get("doc"), "gold_quote": first.get("quote", ""), "answer": self.answer,
                "answer_keywords": [], "rating": "up" if self.rating > 0 else "down", "comment": self.comment or "",
                "user": self.user, "time": self.time, "generation": self.generation, "citations": self.citations}


class FeedbackStore:
    def __init__(self, index_dir: Path):
        self.path = Path(index_dir) / FILE
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute(SCHEMA)
        return con

    def record(self, question: str, answer: str, citations: list[dict], rating: int, *, user: str | None = None,
               generation: str | None = None, comment: str | None = None, refused: bool = False,
               intent: str | None = None) -> int:
        keep = ("n", "doc", "section", "quote", "start", "end")
        cites = [{k: c.get(k) for k in keep} for c in citations]
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._lock, self._connect() as con:
            cur = con.execute(
                "INSERT INTO feedback (time, user, question, answer, citations, generation, rating, comment, refused,"
                " intent) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (now, user, question, answer, json.dumps(cites, ensure_ascii=False), generation,
                 1 if rating > 0 else -1, comment or None, int(refused), intent))
            return int(cur.lastrowid)

    def comment(self, feedback_id: int, text: str) -> bool:
        with self._lock, self._connect() as con:
            return con.execute("UPDATE feedback SET comment = ? WHERE id = ?",
                               (text.strip() or None, feedback_id)).rowcount == 1

    def rows(self, rating: str = "all") -> list[Feedback]:
        if not self.path.exists():
            return []
        where = {"up": " WHERE rating > 0", "down": " WHERE rating < 0"}.get(rating, "")
        with self._lock, self._connect() as con:
            cur = con.execute("SELECT id, time, user, question, answer, citations, generation, rating, comment, refused,"
                              f" intent FROM feedback{where} ORDER BY id")
            return [Feedback(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8], bool(r[9]), r[10])
                    for r in cur.fetchall()]

    def gold_lines(self, rating: str = "all") -> Iterator[str]:
        for f in self.rows(rating):
            yield json.dumps(f.to_gold(), ensure_ascii=False)
