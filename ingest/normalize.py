"""Vietnamese text forms.

- ``nfc``: what we store, show and quote.
- ``fold``: the match form: lower case, and the tone mark moved out of the vowel to a
  Telex-style letter at the end of the syllable, so "hoà"/"hòa" and "thuý"/"thúy" (two
  tone-placement conventions) fold to the same string ("hoaf", "thuys").
- ``strip``: the diacritic-free form ("co quan chu tri"), for queries typed without marks.

``fold_map``/``strip_map`` also return, for each output character, the index of the input
character it came from, so a match in the folded text maps back to an exact span.
"""
from __future__ import annotations

import re
import unicodedata

# combining tone marks -> Telex letter; vowel-quality marks (circumflex, breve, horn) stay
_TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_QUALITY = {"\u0302", "\u0306", "\u031b"}
# footnote markers glued to a word ("quốc phòng⁴") separate words in the match forms
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
# footnote numbers as every reader writes them ("4" -> "⁴"), so one parser reads them all
TO_SUPERSCRIPT = str.maketrans("1234567890", SUPERSCRIPTS)


# capital letters of Vietnamese (NFC): for "starts with a capital" in regular expressions
UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold_chars(text: str, keep_quality: bool) -> tuple[str, list[int]]:
    out: list[str] = []
    src: list[int] = []
    tone: str | None = None
    tone_at = 0
    for i, ch in enumerate(text):
        decomposed = unicodedata.normalize("NFD", ch.lower())
        base = decomposed[0]
        if (base.isalnum() and base not in SUPERSCRIPTS) or base in _TONES or base in _QUALITY:
            if base == "đ" and not keep_quality:
                base = "d"
            out.append(base)
            src.append(i)
            for mark in decomposed[1:]:
                if mark in _TONES:
                    if tone is None:
                        tone, tone_at = _TONES[mark], i
                elif keep_quality:
                    out.append(mark)
                    src.append(i)
            continue
        if tone is not None and keep_quality:  # end of a syllable: emit its tone letter
            out.append(tone)
            src.append(tone_at)
        tone = None
        out.append(" " if ch in SUPERSCRIPTS else ch.lower())
        src.append(i)
    if tone is not None and keep_quality:
        out.append(tone)
        src.append(tone_at)
    # recompose vowel-quality marks with their bases; keep the map aligned to the output
    return _compose(out, src)


def _compose(chars: list[str], src: list[int]) -> tuple[str, list[int]]:
    text: list[str] = []
    mapping: list[int] = []
    for ch, i in zip(chars, src):
        if ch in _QUALITY and text:  # NFD puts the base first: merge the mark into it
            text[-1] = unicodedata.normalize("NFC", text[-1] + ch)
            continue
        text.append(ch)
        mapping.append(i)
    return "".join(text), mapping


def fold_map(text: str) -> tuple[str, list[int]]:
    """Folded form of NFC ``text`` (stored text is NFC) with its map back into ``text``."""
    return _fold_chars(text, keep_quality=True)


def strip_map(text: str) -> tuple[str, list[int]]:
    return _fold_chars(text, keep_quality=False)


def fold(text: str) -> str:
    return fold_map(nfc(text))[0]


class _StripTable(dict):
    """``strip``'s output per character, filled in at a character's first sight. Without tone
    letters no output depends on the characters around it, so ``str.translate`` gives
    ``strip_map``'s text at C speed (a question's candidate chunks are stripped on the spot)."""

    def __missing__(self, code: int) -> str:
        out = self[code] = _fold_chars(chr(code), keep_quality=False)[0]
        return out


_STRIP = _StripTable()


def strip(text: str) -> str:
    text = nfc(text)
    out = text.translate(_STRIP)
    # the one context rule left: a lone vowel-quality mark (one NFC could not compose) is
    # merged into the letter before it, which only the character loop does
    return out if _QUALITY.isdisjoint(out) else strip_map(text)[0]


def has_diacritics(text: str) -> bool:
    """True when any letter carries a Vietnamese mark (or is đ)."""
    return any(ord(c) > 127 and c.isalpha() for c in nfc(text))


# markdown emphasis left by document converters: "## **KẾ HOẠCH**", "***Nơi nhận:***"
_EMPHASIS = re.compile(r"\*{1,3}|_{2,3}|^#{1,6}\s+", re.MULTILINE)
_EDGE_LEFT = re.compile(r"^(?:#{1,6}\s+|[*_]+|\s+)+")


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without markdown markers or spaces at its edges: a citation span that still
    points exactly into ``text`` and starts and ends on a real character."""
    piece = text[start:end]
    left = _EDGE_LEFT.match(piece)
    a = start + (left.end() if left else 0)
    # a scan from the end, not a regex search: "(?:[*_]+|\s+)+$" searched a long span in
    # exponential time (every split of every inner run of spaces was tried before failing)
    b = end
    while b > a and (text[b - 1] in "*_" or text[b - 1].isspace()):
        b -= 1
    return (a, b) if a < b else (start, end)


def display(quote: str) -> str:
    """What a user sees for a quote: the same words without markdown emphasis markers
    ("**", "*", "__", leading "#"). Bullets ("* ", "- ") at a line start are kept."""
    lines = []
    for line in quote.split("\n"):
        bullet = re.match(r"^\s*[*+-]\s+(?=\S)", line)
        head, rest = (line[:bullet.end()], line[bullet.end():]) if bullet else ("", line)
        lines.append(head + _EMPHASIS.sub("", rest))
    return re.sub(r"[ \t]{2,}", " ", "\n".join(lines)).strip()
