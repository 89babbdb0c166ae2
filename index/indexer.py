"""Add, replace and remove documents in the index, one atomic generation per run."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from index import lexical, segment
from index.embed import passage_hash
from index.merge import kill, merge, migrate, stored_vectors
from index.store import MIGRATABLE, Generation, SegmentRef, connect, current_generation, read_manifest, \
    schema_version, sections_json, writer_lock
from ingest.citations import normalise_number
from index.types import FileResult, IngestReport
from ingest import Document, IngestError, load_document
from ingest.pipeline import walk

Progress = Callable[[int, int, str], None]


def passage_text(doc_title: str, breadcrumb: Iterable[str], text: str, context: str = "") -> str:
    """What the embedding and BM25 see: title and heading trail give a chunk its context, and
    a chunk that continues a table gets that table's column headers."""
    head = " > ".join(breadcrumb)
    return "\n".join(p for p in (doc_title, head, context, text) if p)


class Indexer:
    def __init__(self, index_dir: Path, embedder=None):
        self.index_dir = Path(index_dir)
        self._embedder = embedder

    @property
    def embedder(self):
        if self._embedder is None:
            from index.embed import Embedder

            self._embedder = Embedder()
        return self._embedder

    def _known(self) -> dict[str, str]:
        live = current_generation(self.index_dir)
        if live is None:
            return {}
        refs = read_manifest(live)
        if refs is None:  # written before segments: its documents are migrated by the next write
            con = connect(live / "store.sqlite", readonly=True)
            try:
                old = schema_version(con) < MIGRATABLE
                return {r["name"]: "" if old else r["sha256"] for r in con.execute("SELECT name, sha256 FROM documents")}
            finally:
                con.close()
        known: dict[str, str] = {}
        for ref in refs:
            con = connect(self.index_dir / ref.name / "store.sqlite", readonly=True)
            try:
                known.update((r[0], r[1]) for r in con.execute("SELECT name, sha256 FROM documents")
                             if r[0] not in ref.dead)
            finally:
                con.close()
        return known

    def ingest(self, paths: list[Path], progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        found = walk([Path(p) for p in paths])
        report.files.extend(FileResult(str(p), "skipped", error=f"{p}: {why}") for p, why in found.skipped)
        files = found.files
        with writer_lock(self.index_dir):
            known = self._known()
            docs: list[tuple[Document, str]] = []
            for i, path in enumerate(files):
                if progress:
                    progress(i, len(files), path.name)
                if not path.exists():
                    report.files.append(FileResult(str(path), "error", error=f"{path}: không tìm thấy tệp"))
                    continue
                try:
                    doc = load_document(path)
                except IngestError as exc:
                    report.files.append(FileResult(str(path), "error", error=str(exc)))
                    continue
                except Exception as exc:  # one file's failure is its own, never the batch's
                    report.files.append(FileResult(str(path), "error", error=f"{path}: không nạp được "
                                                   f"({type(exc).__name__}: {str(exc)[:200]})"))
                    continue
                if known.get(doc.name) == doc.sha256:
                    report.files.append(FileResult(str(path), "unchanged", doc.name, len(doc.chunks)))
                    continue
                status = "replaced" if doc.name in known else "added"
                docs.append((doc, status))
                known[doc.name] = doc.sha256  # a second file of the same name in one run replaces it
            if progress:
                progress(len(files), len(files), "")
            live = current_generation(self.index_dir)
            # an index from before segments is migrated by any ingest, even one with nothing new:
            # its error message tells the user to run one
            if docs or (live is not None and read_manifest(live) is None):
                report.generation = self._write(docs, remove=[])
            report.files.extend(FileResult(d.name, s, d.name, len(d.chunks)) for d, s in docs)
        return report

    def remove(self, names: list[str]) -> list[str]:
        """Delete documents by file name; returns the names that were present."""
        with writer_lock(self.index_dir):
            present = [n for n in names if n in self._known()]
            if present:
                self._write([], remove=present)
            return present

    def _write(self, docs: list[tuple[Document, str]], remove: list[str]) -> str:
        gen = Generation(self.index_dir)
        try:
            if gen.legacy is not None:
                migrate(gen)
            # the last file of a name wins; replaced and removed documents die in their segments
            latest = {d.name: d for d, _ in docs}
            sources = list(gen.segments)  # vectors to reuse, from before any document died
            kill(gen, set(remove) | set(latest))
            if latest:
                folder = gen.new_segment()
                con = segment.create(folder / "store.sqlite")
                self._insert(con, list(latest.values()), gen, sources)
                segment.finish(folder, con)
                gen.segments.append(SegmentRef(folder.name))
            merge(gen)
            return gen.commit().name
        except BaseException:
            gen.discard()
            raise

    def _insert(self, con, docs: list[Document], gen: Generation, sources: list[SegmentRef]) -> None:
        pending: dict[str, str] = {}
        cid = uid = 0
        for doc in docs:
            con.execute("INSERT INTO documents (name, sha256, title, text, sections, meta, footnotes)"
                        " VALUES (?,?,?,?,?,?,?)",
                        (doc.name, doc.sha256, doc.title, doc.text, sections_json(doc.sections),
                         json.dumps(doc.meta.to_json(), ensure_ascii=False),
                         json.dumps([{"number": n.number, "start": n.start, "end": n.end, "marker": n.marker}
                                     for n in doc.footnotes])))
            for c in doc.chunks:
                ptext = passage_text(doc.title, c.breadcrumb, c.text, c.context)
                h = passage_hash(self.embedder, ptext)
                pending[h] = ptext
                con.execute(
                    "INSERT INTO chunks (id, doc, ord, section, breadcrumb, start, end, text, tokens, lex,"
                    " embed_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (cid, c.doc, c.ord, c.section, json.dumps(list(c.breadcrumb), ensure_ascii=False),
                     c.start, c.end, c.text, c.tokens, " ".join(lexical.doc_tokens(ptext)), h))
                cid += 1
            for u in doc.units:  # embedded as what they are read with: their context and text
                utext = "\n".join(p for p in (u.context, u.text) if p)
                h = passage_hash(self.embedder, utext)
                pending[h] = utext
                con.execute("INSERT INTO units (id, doc, ord, chunk, kind, start, end, text, context, roles,"
                            " embed_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            (uid, u.doc, u.ord, u.chunk, u.kind, u.start, u.end, u.text, u.context,
                             json.dumps(u.roles), h))
                uid += 1
            con.executemany(
                "INSERT INTO obligations (doc, section, task, lead, partners, deadline, deadline_norm, start,"
                " end, source, spans) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [(o.doc, o.section, o.task, json.dumps(o.lead, ensure_ascii=False),
                  json.dumps(o.partners, ensure_ascii=False), o.deadline, o.deadline_norm, o.start, o.end,
                  o.source, json.dumps({"task": o.task_span, "lead": o.lead_span,
                                        "partners": o.partners_span, "deadline": o.deadline_span}))
                 for o in doc.obligations])
            con.executemany(
                "INSERT INTO citations (doc, kind, number, number_key, date, issuer, title, start, end)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                [(c.doc, c.kind, c.number, normalise_number(c.number), c.date, c.issuer, c.title, c.start,
                  c.end) for c in doc.cited])
        # unchanged text is never embedded twice: its vector is copied from the segment holding it
        found = stored_vectors(gen, sources, list(pending))
        con.executemany("INSERT INTO embeddings VALUES (?, ?)", found.items())
        todo = [h for h in pending if h not in found]
        if todo:
            vecs = self.embedder.embed_passages([pending[h] for h in todo]).astype(np.float32)
            con.executemany("INSERT INTO embeddings VALUES (?, ?)", [(h, v.tobytes()) for h, v in zip(todo, vecs)])
        con.commit()
