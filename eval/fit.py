"""Fit the answer scorer (assistant.scorer) on data the project may ship, and measure it
cross-fitted by document.

    python -m eval.fit [--out assistant/data/scorer.json]

Training data: the gold sets in SETS (each over its own documents, indexed once per ingest
version into $TRACUU_CACHE/fit/<name>-<version>), questions templated from their obligation
rows ("Cơ quan nào chủ trì <task>?" with the row's field line as the gold), and every set's
questions asked of the other sets' documents as unanswerable ones. A unit is a positive when
its span overlaps a gold quote's span. Public research sets (../shared/bench) are never used
here.

Cross-fitting: a question is scored by weights fitted without any question about its
documents (templated ones included), so no number reported is measured on what it was fitted on.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from assistant.scorer import ANSWERABLE_FEATURES, FEATURES, WEIGHTS, Candidate, Featurizer, Weights, \
    answerable_features, candidate_units, fit_choice, fit_logistic, p_answerable
from assistant.service import Assistant
from eval.gold import GoldItem, load_gold, locate
from ingest.agencies import canonical, starts_agency
from ingest.normalize import strip
from ingest.structure import clean

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TRACUU_SHARED", ROOT.parent / "shared"))
# name -> (gold questions, documents): every set the shipped weights are fitted on
SETS = {
    "dev": (SHARED / "eval" / "dev.jsonl", ROOT / "data" / "sample"),
    "dev2": (SHARED / "eval" / "dev2" / "questions.jsonl", SHARED / "eval" / "dev2" / "docs"),
    "own": (ROOT / "eval" / "data" / "own.jsonl", ROOT / "eval" / "data" / "own"),
}
MAX_FALSE_REFUSALS = 0.05  # the refusal threshold lets at most this share of answerable questions be refused
L2 = 1.0
ROUND = 5  # decimals of the features a fit sees
CROSS_SET_WEIGHT = 0.5  # a question asked of another set's documents: unanswerable there, most likely
NEAR_MISS_WEIGHT = 0.5  # a templated near miss (near_misses) in the refusal model's fit


@dataclass
class QRow:
    """One question's candidates: features, labels, and what it is about."""

    id: str
    docs: frozenset[str]  # the documents it is about (held out together with them)
    answerable: bool
    x: np.ndarray  # candidates x FEATURES
    y: np.ndarray  # 1 where the unit overlaps a gold quote
    weight: float = 1.0
    templated: bool = False


def cache_dir() -> Path:
    return Path(os.environ.get("TRACUU_CACHE", Path.home() / ".cache" / "tracuu")) / "fit"


def set_index(name: str, docs: Path, embedder=None) -> Path:
    """The set's documents indexed once per version of the ingest code and tables and of the
    folder's files: another checkout's folder, or a file added or removed, is another index
    (an index only ever adds what a folder has, so one shared by two folders mixes them)."""
    from index.indexer import Indexer

    h = hashlib.sha1(f"{_INGEST_KEY}\n{Path(docs).resolve()}".encode())
    for f in sorted(Path(docs).rglob("*")):
        if f.is_file():
            h.update(f"\n{f.relative_to(docs).as_posix()}\n".encode())
            h.update(f.read_bytes())
    out = cache_dir() / f"{name}-{h.hexdigest()[:12]}"
    Indexer(out, embedder).ingest([docs])
    return out


def _ingest_key() -> str:
    h = hashlib.sha1()
    for f in sorted((ROOT / "ingest").rglob("*")):
        if f.is_file() and f.suffix in (".py", ".tsv", ".txt", ".json"):
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


# read when this module is imported, with the code it runs: a file edited while a fit runs
# must not key indexes or rows that the code loaded before it computed
_INGEST_KEY = _ingest_key()


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def rows_for(assistant: Assistant, items: list[GoldItem], answerable: bool | None = None,
             weight: float = 1.0, templated: bool = False) -> list[QRow]:
    """Candidates of each item on this assistant's index, labelled by the gold quotes' spans.
    ``answerable=False`` treats every item as unanswerable here (asked of other documents)."""
    out = []
    for it in items:
        gold = []
        ok = it.answerable if answerable is None else answerable
        if ok:
            for doc in it.docs:
                try:
                    text = assistant.searcher.document_text(doc)
                except KeyError:
                    continue
                gold += [(doc, s) for q in it.quotes if (s := locate(text, q)) is not None]
        _, _, cands = assistant.candidates(it.question)
        if not cands:
            continue
        y = np.array([float(any(c.unit.doc == d and _overlaps((c.unit.start, c.unit.end), s) for d, s in gold))
                      for c in cands])
        out.append(QRow(it.id, frozenset(it.docs), ok,
                        np.stack([c.features for c in cands]), y, weight, templated))
    return out


_HEADER_ASKS = {"nguoi_ky": "Ai ký {}?", "ngay_ban_hanh": "{} ban hành ngày nào?",
                "co_quan_ban_hanh": "Cơ quan nào ban hành {}?", "so_hieu": "{} có số hiệu là gì?"}


def templated(assistant: Assistant, per_doc: int = 12) -> list[GoldItem]:
    """"Cơ quan nào chủ trì <task>?", "… phối hợp …", "Thời hạn …" over obligation rows whose
    field is stated on a line of its own or a table cell; the gold is that line. "Ai ký <title>?",
    "<title> ban hành ngày nào?" … over each document's header fields; the gold is the field."""
    snap = assistant.searcher.snapshot()
    out: list[GoldItem] = []
    for doc, h in snap.headers.items():
        title = " ".join(clean(snap.titles.get(doc, "")).split()[:12])
        text = assistant.searcher.document_text(doc)
        for field, pattern in _HEADER_ASKS.items():
            span = (h.spans or {}).get(field)
            if title and span:
                out.append(GoldItem(f"t-{field}-{doc}", pattern.format(title), "templated", (doc,),
                                    (text[span[0]:span[1]],), ()))
    asks = (("lead_span", "Cơ quan nào chủ trì {}?"), ("partners_span", "Cơ quan nào phối hợp {}?"),
            ("deadline_span", "Thời hạn {} là khi nào?"))
    count: dict[str, int] = {}
    for r in snap.obligations:
        if r.source not in ("fields", "table") or count.get(r.doc, 0) >= per_doc:
            continue
        task = " ".join(clean(r.task).split()[:10]).rstrip(",;:.")
        if len(task) < 12:
            continue
        text = assistant.searcher.document_text(r.doc)
        for field, pattern in asks:
            span = getattr(r, field)
            if span is None:
                continue
            h = hashlib.sha1(f"{r.doc}{r.start}{field}".encode()).hexdigest()[:8]
            task_q = task[0].lower() + task[1:] if not task[:2].isupper() else task
            out.append(GoldItem(f"t-{h}", pattern.format(task_q), "templated", (r.doc,),
                                (text[span[0]:span[1]],), ()))
            count[r.doc] = count.get(r.doc, 0) + 1
    return out


def _lower_first(text: str) -> str:
    """"KẾ HOẠCH Chuyển đổi số" -> "kế hoạch Chuyển đổi số", "Xây dựng …" -> "xây dựng …"; an
    abbreviation ("UBND …") stays."""
    words = text.split()
    if not words or (len(words[0]) > 1 and words[0].isupper() and len(words) > 1 and not words[1].isupper()):
        return text
    n = 1
    while n < len(words) and words[0].isupper() and words[n].isupper():
        n += 1
    head = [w.lower() for w in words[:n]] if words[0].isupper() and n > 1 else [words[0][0].lower() + words[0][1:]]
    return " ".join(head + words[len(head):])


# an amount of money as plans write it: "4,5 tỷ đồng", "500.000 đồng", "12 triệu đồng"
_MONEY = re.compile(r"\d[\d.,]*\s*(?:tỷ|triệu|nghìn|ngàn)?\s*đồng")


def _absent_share(task: str, text: str) -> float:
    """The share of a task's adjacent word pairs that ``text`` (a document's diacritic-free
    lowercase text) lacks."""
    words = strip(canonical(task)).lower().split()
    pairs = [" ".join(words[i:i + 2]) for i in range(len(words) - 1)]
    return sum(p not in text for p in pairs) / len(pairs) if pairs else 0.0


def near_misses(assistant: Assistant, per_doc: int = 4) -> list[GoldItem]:
    """Unanswerable questions close to a document: the duties of an agency another document of
    the index names and this one never does ("<agency> có nhiệm vụ gì trong <title>?"), who
    leads one of its tasks in a place named by another document and not by this one ("Cơ quan
    nào chủ trì <task> ở <place>?"), the deadline of one of its tasks whose row gives none, and
    the budget of a plan that states no amount of money, a task of another document asked of this
    one; some of them in English too. They teach the refusal what a near miss looks like: the
    document is the right one, what is asked is not in it."""
    snap = assistant.searcher.snapshot()
    agencies = sorted({a for r in snap.obligations for a in (*r.lead, *r.partners)
                       if starts_agency(a) and 3 <= len(a.split()) <= 8 and "," not in a})
    places = sorted({h.noi_ban_hanh for h in snap.headers.values() if h.noi_ban_hanh})
    tasks: dict[str, list[str]] = {}
    undated: dict[str, list[str]] = {}
    for r in snap.obligations:
        task = " ".join(clean(r.task).split()[:10]).rstrip(",;:.")
        if len(task) >= 12 and r.source in ("fields", "table") and "|" not in task:
            tasks.setdefault(r.doc, []).append(_lower_first(task))
            if r.deadline is None:
                undated.setdefault(r.doc, []).append(_lower_first(task))
    out: list[GoldItem] = []

    def pick(options: list[str], doc: str, salt: str) -> list[str]:
        return sorted(options, key=lambda o: hashlib.sha1(f"{doc}{salt}{o}".encode()).hexdigest())[:per_doc]

    for doc in snap.titles:
        raw = assistant.searcher.document_text(doc)
        text = strip(canonical(raw)).lower()
        title = _lower_first(" ".join(clean(snap.titles.get(doc, "")).split()[:12]))
        absent = [a for a in agencies if strip(" ".join(a.split()[:4])).lower() not in text]
        for a in pick(absent, doc, "a") if title else ():
            out.append(GoldItem(f"n-{hashlib.sha1((doc + a).encode()).hexdigest()[:8]}",
                                f"{a} có nhiệm vụ gì trong {title}?", "unanswerable",
                                (doc,), (), ()))
        elsewhere = [pl for pl in places if strip(pl).lower() not in text]
        for task, pl in zip(pick(tasks.get(doc, []), doc, "t"), pick(elsewhere, doc, "p") * per_doc):
            out.append(GoldItem(f"n-{hashlib.sha1((doc + task + pl).encode()).hexdigest()[:8]}",
                                f"Cơ quan nào chủ trì {task} ở {pl}?", "unanswerable", (doc,), (), ()))
        for task in pick(undated.get(doc, []), doc, "d")[:2]:
            out.append(GoldItem(f"n-{hashlib.sha1((doc + task + 'd').encode()).hexdigest()[:8]}",
                                f"Thời hạn {task} là khi nào?", "unanswerable", (doc,), (), ()))
        # a task another document sets, asked of this one by its title: the title's place and
        # body are here, the task is not ("Theo <title>, thời hạn <a task of another plan> …")
        foreign = [t for d, ts in tasks.items() if d != doc for t in ts if _absent_share(t, text) > 0.5]
        for i, task in enumerate(pick(foreign, doc, "f")[:2] if title else ()):
            ask = f"Theo {title}, thời hạn {task} là khi nào?" if i % 2 else f"Theo {title}, cơ quan nào chủ trì {task}?"
            out.append(GoldItem(f"n-{hashlib.sha1((doc + task + 'f').encode()).hexdigest()[:8]}", ask,
                                "unanswerable", (doc,), (), ()))
        if title and not _MONEY.search(raw):
            out.append(GoldItem(f"n-{hashlib.sha1((doc + 'money').encode()).hexdigest()[:8]}",
                                f"Tổng kinh phí thực hiện {title} là bao nhiêu tỷ đồng?", "unanswerable",
                                (doc,), (), ()))
        # the same near misses asked in English, the plan named by its place as users type it
        # ("the Ngoc Lac plan"): without them English questions are answerable in every fit
        header = snap.headers.get(doc)
        plan = f"the {strip(header.noi_ban_hanh).title()} plan" if header and header.noi_ban_hanh else ""
        english = [f"What is {a} tasked with in {plan}?" for a in pick(absent, doc, "a")[:1]]
        english += [f"When is the deadline for {task} in {plan}?" for task in pick(undated.get(doc, []), doc, "d")[:1]]
        english += [f"What is the total budget of {plan}, in VND?"] if not _MONEY.search(raw) else []
        for ask in english if plan else ():
            out.append(GoldItem(f"n-{hashlib.sha1((doc + ask).encode()).hexdigest()[:8]}", ask, "unanswerable",
                                (doc,), (), ()))
    return out


# the code and tables the features are computed with (the alias table changes what a name is)
_SOURCES = ("assistant/scorer.py", "assistant/understand.py", "assistant/terms.py", "assistant/service.py",
            "ingest/units.py", "index/search.py", "index/fusion.py", "index/rescore.py", "index/glossary.py",
            "ingest/data/agency_aliases.tsv", "index/data/en_vi_glossary.tsv")


_CODE_KEY = hashlib.sha1("\n".join([inspect.getsource(x) for x in (Featurizer, candidate_units, rows_for)] + list(FEATURES)
                                    + [(ROOT / f).read_text(encoding="utf-8") for f in _SOURCES]).encode()).hexdigest()


def _rows_cached(key_parts: list[str], make) -> list[QRow]:
    """Candidate features are slow to compute (a search per question) and change only with
    the index and the code that computes them: kept in the cache under a key of both."""
    h = hashlib.sha1()
    for part in key_parts + [_CODE_KEY]:
        h.update(part.encode())
    path = cache_dir() / f"rows-{h.hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as npz:
            z = {k: npz[k] for k in npz.files}
        meta = json.loads(str(z["meta"]))
        cuts = np.cumsum([0] + [m["n"] for m in meta])
        return [QRow(m["id"], frozenset(m["docs"]), m["answerable"], z["x"][a:b], z["y"][a:b], m["weight"],
                     m["templated"]) for m, a, b in zip(meta, cuts[:-1], cuts[1:])]
    rows = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = [{"id": r.id, "docs": sorted(r.docs), "answerable": r.answerable, "weight": r.weight,
             "templated": r.templated, "n": len(r.y)} for r in rows]
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, x=np.vstack([r.x for r in rows]) if rows else np.zeros((0, 0)),
             y=np.concatenate([r.y for r in rows]) if rows else np.zeros(0), meta=json.dumps(meta))
    os.replace(tmp, path)
    return rows


def collect(sets: dict[str, tuple[Path, Path]] = SETS, indexes: dict[str, Path | str] | None = None,
            embedder=None, log=print) -> dict[str, list[QRow]]:
    """Rows of every set: its gold questions, its templated questions, and the other sets'
    questions as unanswerable ones."""
    indexes = dict(indexes or {})
    golds = {n: load_gold(g) for n, (g, d) in sets.items() if g.exists() and (n in indexes or d.exists())}
    assistants = {}
    for n in golds:
        if n not in indexes:
            indexes[n] = set_index(n, sets[n][1], embedder)
        assistants[n] = Assistant(indexes[n], embedder)
        embedder = assistants[n].embedder.inner
    out: dict[str, list[QRow]] = {}
    for n, a in assistants.items():
        where = indexes[n]  # a folder, or a Milvus URI
        docs_key = [str(where.resolve() if isinstance(where, Path) else where),
                    *(d["sha256"] for d in a.searcher.documents())]
        gold_text = sets[n][0].read_text(encoding="utf-8")
        rows = _rows_cached(docs_key + ["gold", gold_text], lambda: rows_for(a, golds[n]))
        rows += _rows_cached(docs_key + ["templated", inspect.getsource(templated)],
                             lambda: rows_for(a, templated(a), templated=True))
        rows += _rows_cached(docs_key + ["near", inspect.getsource(near_misses)],
                             lambda: rows_for(a, near_misses(a), templated=True))
        for other, items in golds.items():  # other sets' questions: unanswerable here
            if other != n:
                rows += [replace(r, weight=CROSS_SET_WEIGHT) for r in  # the weight set here, not cached
                         _rows_cached(docs_key + ["cross", sets[other][0].read_text(encoding="utf-8")],
                                      lambda: rows_for(a, [it for it in items if it.answerable], answerable=False))]
        log(f"{n}: {len(rows)} questions, {sum(len(r.y) for r in rows)} candidate units")
        out[n] = rows
    return out


def _unit_model(rows: list[QRow]):
    """A choice among each answerable question's candidates (its gold units share the mass)."""
    groups = [(r.x, r.y) for r in rows if r.answerable and r.y.sum() > 0]
    return fit_choice(groups, np.array([r.weight for r in rows if r.answerable and r.y.sum() > 0]), L2)


def _groups(rows: list[QRow], k: int = 5) -> list[int]:
    """Inner folds by document: rows about the same documents stay together."""
    out = []
    for r in rows:
        key = min(r.docs) if r.docs else r.id
        out.append(int(hashlib.sha1(key.encode()).hexdigest(), 16) % k)
    return out


def _answerable_x(rows: list[QRow], weights_unit) -> np.ndarray:
    out = []
    for r in rows:
        p = weights_unit.logit(r.x)
        cands = [Candidate(None, None, 0, f, float(s)) for f, s in zip(r.x, p)]
        out.append(answerable_features(sorted(cands, key=lambda c: -c.score)))
    return np.stack(out)


def fit(rows: list[QRow], info: dict | None = None) -> Weights:
    """Unit model on all rows; P(answerable) on out-of-fold unit scores; its threshold on
    out-of-fold P(answerable)."""
    # one order whatever order the rows came in, and features rounded below the noise of query
    # vectors computed on a busy machine: the same data always gives the same weights
    rows = [replace(r, x=np.round(r.x, ROUND)) for r in rows]
    rows = sorted(rows, key=lambda r: (r.id, sorted(r.docs), r.weight, hashlib.sha1(r.x.tobytes()).hexdigest()))
    unit = _unit_model(rows)
    groups = _groups(rows)
    ax = np.zeros((len(rows), len(ANSWERABLE_FEATURES)))
    for g in sorted(set(groups)):
        train = [r for r, gg in zip(rows, groups) if gg != g]
        held = [i for i, gg in enumerate(groups) if gg == g]
        m = _unit_model(train)
        ax[held] = _answerable_x([rows[i] for i in held], m)
    ay = np.array([float(r.answerable) for r in rows])
    # calibrated on real questions and templated near misses: templated answerable ones are
    # easier than any a user asks
    aw = np.array([0.0 if r.templated and r.answerable else r.weight * (NEAR_MISS_WEIGHT if r.templated else 1.0)
                   for r in rows])
    answerable = fit_logistic(ax, ay, L2, aw)
    # the threshold is read off P(answerable) of held-out folds too: in-sample P flatters
    p = np.zeros(len(rows))
    for g in sorted(set(groups)):
        tr = np.array([gg != g for gg in groups])
        p[~tr] = fit_logistic(ax[tr], ay[tr], L2, aw[tr]).predict(ax[~tr])
    real = np.array([r.answerable and not r.templated and r.weight == 1.0 for r in rows])
    threshold = harrell_davis(p[real], MAX_FALSE_REFUSALS) if real.any() else 0.5
    return Weights(unit, answerable, threshold, info or {})


def harrell_davis(x: np.ndarray, q: float) -> float:
    """The q-quantile as a Beta-weighted mean of all order statistics (Harrell & Davis 1982):
    the plain sample quantile is one order statistic, so one question more or less near the
    tail moves the refusal threshold by the gap to the next."""
    from scipy.stats import beta

    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    a, b = q * (n + 1), (1 - q) * (n + 1)
    w = np.diff(beta.cdf(np.arange(n + 1) / n, a, b))
    return float(w @ x)


def fit_without(rows: list[QRow], docs: frozenset[str], held_ids: set[str] = frozenset()) -> Weights:
    """Weights fitted with no question about any of ``docs`` (nor the ids held out)."""
    return fit([r for r in rows if not (r.docs & docs) and r.id not in held_ids])


def cross_fit_summary(rows: list[QRow], names: list[str] | None = None,
                      train: list[QRow] | None = None) -> dict[str, dict[str, float]]:
    """Per set, cross-fitted by document: share of answerable questions whose best unit is a
    gold one (top1) or among the quoted ones (top3), false refusals, unanswerable refused.
    ``train``: the rows the weights are fitted on (default ``rows``)."""
    train = rows if train is None else train
    out: dict[str, dict[str, float]] = {}
    fitted: dict[frozenset, Weights] = {}
    by_set: dict[str, list[tuple[bool, bool, bool, bool]]] = {}
    for r, name in zip(rows, names or ["all"] * len(rows)):
        if r.templated or r.weight != 1.0:
            continue
        key = r.docs or frozenset({"#" + r.id})
        if key not in fitted:
            fitted[key] = fit_without(train, r.docs, {r.id})
        w = fitted[key]
        p = w.unit.logit(r.x)
        order = np.argsort(-p)
        cands = [Candidate(None, None, 0, r.x[i], float(p[i])) for i in order]
        pa = p_answerable(cands, w)
        by_set.setdefault(name, []).append((r.answerable, bool(r.y[order[0]] > 0), bool(r.y[order[:3]].max() > 0),
                                            pa < w.threshold))
    for name, res in by_set.items():
        ans = [x for x in res if x[0]]
        una = [x for x in res if not x[0]]
        out[name] = {"answerable": len(ans), "top1": float(np.mean([x[1] for x in ans])) if ans else 0.0,
                     "top3": float(np.mean([x[2] for x in ans])) if ans else 0.0,
                     "false_refusals": float(np.mean([x[3] for x in ans])) if ans else 0.0,
                     "unanswerable_refused": float(np.mean([x[3] for x in una])) if una else float("nan")}
    return out


def stability(rows: list[QRow], names: list[str], runs: int = 10, drop: float = 0.1,
              seed: int = 0) -> dict[str, dict[str, tuple[float, float, float]]]:
    """How far the cross-fitted metrics move when the training questions change a little: each
    run fits without a random share ``drop`` of the training rows (any kind) and scores every
    set's questions cross-fitted as usual. Per set and metric: (mean, min, max) over the runs.
    A change to the answerer whose effect lies inside that range is not evidence of a gain."""
    rng = np.random.default_rng(seed)
    results: list[dict[str, dict[str, float]]] = []
    for _ in range(runs):
        keep = rng.random(len(rows)) >= drop
        results.append(cross_fit_summary(rows, names, [r for r, k in zip(rows, keep) if k]))
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for name in results[0]:
        for metric in results[0][name]:
            vals = [float(res[name][metric]) for res in results]
            out.setdefault(name, {})[metric] = (round(float(np.mean(vals)), 9), min(vals), max(vals))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.fit", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=WEIGHTS, help=f"weights file (default {WEIGHTS})")
    p.add_argument("--index", action="append", default=[], metavar="SET=DIR",
                   help="use this index for a set instead of indexing its documents into the cache")
    p.add_argument("--stability", type=int, default=0, metavar="RUNS",
                   help="also refit RUNS times, each without a random tenth of the training rows, and print "
                        "the spread of the cross-fitted metrics (the noise a change must beat)")
    args = p.parse_args(argv)
    data = collect(SETS, dict((n, Path(d)) for n, d in (x.split("=", 1) for x in args.index)))
    rows = [r for rs in data.values() for r in rs]
    info = {"sets": {n: sum(not r.templated and r.weight == 1.0 for r in rs) for n, rs in data.items()},
            "templated": sum(r.templated for r in rows), "cross_set": sum(r.weight != 1.0 for r in rows),
            "l2": L2, "max_false_refusals": MAX_FALSE_REFUSALS}
    w = fit(rows, info)
    w.save(args.out)
    print(f"-> {args.out} (threshold {w.threshold:.3f})")
    names = [n for n, rs in data.items() for _ in rs]
    for name, m in cross_fit_summary(rows, names).items():
        print(f"cross-fitted by document, {name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                               for k, v in m.items()))
    if args.stability:
        for name, m in stability(rows, names, args.stability).items():
            print(f"spread over {args.stability} refits, {name}: " + ", ".join(
                f"{k} {a:.3f} [{lo:.3f}, {hi:.3f}]" for k, (a, lo, hi) in m.items() if k != "answerable"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
