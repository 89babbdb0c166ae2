"""Question understanding without an LLM: what kind of answer is wanted, and which names
the passage must be about. Works on the diacritic-free form, so "chu tri" = "chủ trì"."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.agencies import canonical, starts_agency
from ingest.normalize import UPPER, has_diacritics, strip, strip_map
from index.lexical import STOP_SYLLABLES

# intent -> cue patterns on the stripped, lower-cased question (Vietnamese and English)
INTENT_CUES: dict[str, tuple[str, ...]] = {
    # what one agency must do, across all documents
    "duties": (r"phai lam (gi|nhung gi)", r"(?<!\bde )\blam (gi|nhung gi)\b", r"(co )?nhiem vu (gi|nao)", r"nhiem vu cua", r"trach nhiem (gi|cua)",
               r"lam nhung viec gi", r"giao (nhiem vu )?gi", r"what (must|should|does) .* do", r"duties",
               r"responsibilit", r"tasks? (of|for|assigned)"),
    # which documents say X: the answer lists one passage per document
    "documents": (r"(nhung|cac) (ke hoach|van ban) nao", r"^ke hoach nao", r"^(tinh|van ban) nao",
                  r"which (of these )?(plans|documents)", r"lan luot"),
    "partner": (r"phoi hop", r"coordinat", r"partner", r"cooperat", r"in coordination"),
    "deadline": (r"khi nao", r"thoi gian", r"thoi han", r"han (chot|cuoi)", r"truoc ngay", r"ngay nao", r"bao gio",
                 r"tan suat", r"dinh ky", r"\bwhen\b", r"deadline", r"by what date", r"how often"),
    "cited_document": (r"van ban nao", r"nghi quyet nao", r"ke hoach so may", r"so may",
                       r"ban hanh ngay", r"ban hanh de", r"de thuc hien", r"can cu",
                       r"\d+[-/][a-z].*\bban hanh\b", r"\bban hanh\b.*\d+[-/][a-z]",
                       r"which document", r"what document", r"issued"),
    "quantity": (r"bao nhieu", r"how many", r"how much", r"may (nuoc|tinh|lan|bao)", r"\btong (so|kinh phi|cong)\b",
                 r"\btotal\b", r"\bnumber of\b", r"\bpercent", r"\bamount\b"),
    # about the document itself: who issued or signed it, when, its number
    "header": (r"\b(ai|co quan nao|don vi nao|cap nao) (da )?(ban hanh|ky)\b", r"\bnguoi ky\b", r"\bky boi\b",
               r"\bban hanh (ngay|nam|khi|luc)", r"\bso hieu\b", r"\bdo (ai|co quan nao|ubnd|uy ban)",
               r"who (issued|signed)", r"(issued|signed) (by|on|in)", r"when was .* (issued|signed)"),
    "lead": (r"chu tri", r"\bai\b", r"co quan nao", r"don vi nao", r"to chuc nao", r"ban nao",
             r"chiu trach nhiem", r"tham muu", r"\bwho\b", r"which agenc", r"which unit",
             r"which bod", r"responsible", r"\blead"),
}
# checked in this order: "phối hợp" questions also say "cơ quan nào", and questions about
# a cited document ask "ban hành ngày nào" without wanting a deadline
INTENT_ORDER = ("duties", "documents", "partner", "cited_document", "deadline", "quantity", "header", "lead")
INTENTS = INTENT_ORDER + ("content",)

_ENGLISH = re.compile(r"\b(what|which|who|when|where|how|the|of|is|are|does|do|in|for)\b")
_NAME = re.compile(rf"(?<![\w])((?:[{UPPER}]\w*)(?:\s+[{UPPER}]\w*)+)")
# a Vietnamese syllable without its marks: onset, vowels, coda ("quang", "nghe", "khe"); "Prime
# Minister" or "Politburo" in an English question is not the name of a place or body
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")


@dataclass(frozen=True)
class Question:
    text: str
    intent: str  # duties | documents | partner | cited_document | deadline | quantity | lead | content
    english: bool
    names: tuple[str, ...]  # stripped proper names ("quang tri") the answer must be about
    numbers: tuple[str, ...]  # numbers already in the question (not an answer to it)
    # a soft intent: each intent whose cues the question has shares the mass, the first in
    # INTENT_ORDER twice as much; no cue at all is "content". Features, not a router.
    intents: dict[str, float] = field(default_factory=dict)
    measure: str = ""  # the stripped word a quantity is asked in ("ty" of "bao nhiêu tỷ đồng")
    subject: str = ""  # whose duties are asked ("so tai chinh tay ninh" of "Sở Tài chính Tây Ninh có nhiệm vụ gì?")
    bodies: tuple[str, ...] = ()  # the names that name an agency ("so y" of "Sở Y tế"), not a place

    @property
    def asks_agency(self) -> float:
        """Probability that an agency is the answer: who leads, who partners, whose duties."""
        return sum(self.intents.get(i, 0.0) for i in ("lead", "partner", "duties"))


def understand(question: str) -> Question:
    s = strip(question)
    found = _cues(s)
    intent = found[0] if found else "content"
    mass = {name: (2.0 if i == 0 else 1.0) for i, name in enumerate(found)} or {"content": 1.0}
    total = sum(mass.values())
    intents = {name: m / total for name, m in mass.items()}
    # "… in Tây Ninh?" is English: place names keep their marks in any language
    unnamed = re.sub(rf"(?<![\w])[{UPPER}]\w*", " ", question)
    english = not has_diacritics(unnamed) and len(_ENGLISH.findall(s)) >= 2
    names, bodies = [], []
    for m in _NAME.finditer(canonical(question)):  # "Sở TT&TT" is "Sở Thông tin và Truyền thông"
        words = m.group(1).split()
        if m.start() == 0:  # sentence-initial capital is not a name signal
            words = words[1:]
        if not all(w.isupper() or _SYLLABLE.fullmatch(strip(w).lower()) for w in words):
            continue
        # an abbreviation the alias table does not know ("NN&MT", "BCH PCTT") is written many
        # ways: the name is the capitalised syllables around it ("SXH Đồng Nai": "Đồng Nai")
        runs = re.split(r"\s*\b\w*[A-ZĐ]\w*[A-ZĐ&]\S*\s*", " ".join(words))
        for run in runs:
            name = strip(run)
            if len(run.split()) >= 2 and not all(w in STOP_SYLLABLES for w in name.split()):
                names.append(name)
                if starts_agency(run):
                    bodies.append(name)
    low = s.lower()
    measure = re.search(r"\b(?:bao nhieu|may)\s+(\w+)", low) if "quantity" in intents else None
    # the agency is what precedes the duties cue; its first words name it ("Sở Tài chính [Tây Ninh]")
    subject = re.match(r"(.+?)\s+(?:co |duoc giao |phai )?(?:nhung )?(?:nhiem vu|trach nhiem|lam gi|lam nhung)",
                       strip(canonical(question)).lower()) if intent == "duties" and not english else None
    return Question(question, intent, english, tuple(names), tuple(re.findall(r"\d+", question)), intents,
                    measure.group(1) if measure and not english and measure.group(1) not in STOP_SYLLABLES else "",
                    " ".join(re.findall(r"\w+", subject.group(1))[:6]) if subject else "", tuple(bodies))


# what joins the parts of a question about two documents: "… của A và …", "… A so với …", "… A, and …"
_JOIN = re.compile(r"\s*(?:,\s*)?\b(?:va|voi|so voi|lan|con|and|or|versus|vs)\b\s*|\s*[,;]\s*")


def split_by_names(question: str, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(the name as typed, its part) per name of a question about several documents, each
    named by its place or body: "Vai trò của UBND xã trong kế hoạch của Cẩm Khê so với trong
    chỉ thị của Nghệ An?" -> "… UBND xã trong kế hoạch của Cẩm Khê", "… UBND xã trong chỉ thị
    của Nghệ An?". A part runs from the word it starts with (the word after the join, found
    last before the first name: "trong … Cẩm Khê" | "trong … Nghệ An") to the next join; what
    precedes the first part is shared. Without that parallel form: the question without the
    other names."""
    bare, where = strip_map(question)
    low = bare.lower()
    found = [re.search(rf"(?<!\w){re.escape(n)}(?!\w)", low) for n in names]
    typed = [question[where[m.start()]:where[m.end() - 1] + 1] if m else n for n, m in zip(names, found)]
    parts = _parallel(question, low, where, [m.span() for m in found]) if all(found) and len(names) > 1 else None
    if parts is None:
        parts = [without_names(question, [o for o in names if o != n]) for n in names]
    return list(zip(typed, parts))


def _parallel(question: str, low: str, where: list[int], at: list[tuple[int, int]]) -> list[str] | None:
    order = sorted(range(len(at)), key=lambda i: at[i])
    spans = [at[i] for i in order]
    starts, ends = [], []
    for (_, prev_end), (start, _) in zip(spans, spans[1:]):  # a later part starts after the last join before its name
        join = None
        for join in _JOIN.finditer(low, prev_end, start):
            pass
        if join is None:
            return None
        ends.append(join.start())
        starts.append(join.end())
    first = re.match(r"\w+", low[starts[0]:])
    lead = [m.start() for m in re.finditer(rf"(?<!\w){first.group(0)}(?!\w)", low[:spans[0][0]])] if first else []
    if not lead:
        return None
    starts.insert(0, lead[-1])
    ends.append(len(low))
    head = question[:where[starts[0]]]
    # what follows the last name is asked of every part that asks nothing itself ("A và B lần
    # lượt do cơ quan nào ban hành?")
    tail = question[where[spans[-1][1] - 1] + 1:]
    parts = [(head + question[where[a]:where[b - 1] + 1]).strip(" ,;") for a, b in zip(starts, ends)]
    parts = [p if i == len(parts) - 1 or _asks(p) else p + tail for i, p in enumerate(parts)]
    # a part that kept none of the question's asking words ("…, and which one under B?") says
    # what it asks only through another part: it is the question without the other names
    if _cued(question):
        names = [low[a:b] for a, b in at]
        parts = [p if _cued(p) else without_names(question, names[:i] + names[i + 1:])
                 for p, i in zip(parts, order)]
    return [parts[order.index(i)] for i in range(len(at))]


def _cues(stripped: str) -> list[str]:
    """The intents whose cues a diacritic-free question has, in INTENT_ORDER."""
    return [name for name in INTENT_ORDER if any(re.search(p, stripped) for p in INTENT_CUES[name])]


def _cued(text: str) -> bool:
    return bool(_cues(strip(text).lower()))


def _asks(text: str) -> bool:
    s = strip(text).lower()
    return bool(re.search(r"\b(nao|gi|ai|sao|bao nhieu|what|which|who|when|how)\b", s)) or _cued(text)


def without_names(question: str, names: list[str]) -> str:
    """The question with every occurrence of these stripped names cut out, as typed."""
    bare, where = strip_map(question)
    low = bare.lower()
    cuts = sorted((where[m.start()], where[m.end() - 1] + 1) for n in names
                  for m in re.finditer(rf"(?<!\w){re.escape(n)}(?!\w)", low))
    out, at = [], 0
    for a, b in cuts:
        if a >= at:
            out.append(question[at:a])
            at = b
    return re.sub(r"\s{2,}", " ", "".join(out) + question[at:]).strip()
