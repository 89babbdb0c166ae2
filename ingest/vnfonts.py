"""Legacy Vietnamese font encodings: TCVN3 (TCVN 5712:1993 VN3, the "ABC" .VnTime fonts) and
VNI-Windows (the VNI-Times fonts). Before Unicode, Vietnamese office files stored their
letters in these 8-bit codes; opened as Windows text they read as "NghÖ An" (TCVN3) or
"Ngheä An" (VNI). Both tables below are written from the published code charts, and each one
drives both directions (``decode`` and ``encode``), so the tests check one against the other.

TCVN3 has one byte per letter, but no codes for toned capitals (only Ă Â Ê Ô Ơ Ư Đ): an
all-caps heading typed in the .VnTimeH font is stored with the lower-case codes ("CHØ THÞ").
``decode`` restores the capitals of such words and lines. VNI writes a letter as its base
vowel followed by one mark byte ("eä" = ệ, "öô" + "ø" = ườ).

``detect`` tells which of the two a byte string is in, by whether the decoded words are
Vietnamese syllables; text that is neither gives None.
"""
from __future__ import annotations

import re
import unicodedata

# --- TCVN3 (VN3): byte -> letter, from the TCVN 5712:1993 chart ------------------------------
_TCVN3_CAPS = dict(zip(range(0xA1, 0xA8), "ĂÂÊÔƠƯĐ"))
_TCVN3_ROWS = {  # base letter: codes of (plain, grave, hook, tilde, acute, dot)
    "a": (None, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9), "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB), "e": (None, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6), "i": (None, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (None, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4), "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE), "u": (None, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9), "y": (None, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_MARKS = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # plain, grave, hook, tilde, acute, dot


def _tcvn3_table() -> dict[int, str]:
    table = dict(_TCVN3_CAPS)
    table[0xAE] = "đ"
    for base, codes in _TCVN3_ROWS.items():
        for code, mark in zip(codes, _MARKS):
            if code is not None:
                table[code] = unicodedata.normalize("NFC", base + mark)
    return table


TCVN3 = _tcvn3_table()
_TCVN3_ENCODE = {ch: bytes([b]) for b, ch in TCVN3.items()}

# --- VNI-Windows: letter -> base + mark bytes (as cp1252 characters), from the VNI chart ------
_VNI_TONES = "øûõùï"  # grave, hook, tilde, acute, dot (after a, e, o, u, y, ơ, ư)
_VNI_CIRC = "àåãáä"  # circumflex + the same tones (after a, e, o); plain circumflex "â"
_VNI_BREVE = "èúüéë"  # breve + tones (after a); plain breve "ê"
_VNI_I = "ìæóíò"  # i with a tone is one byte
_VNI_BASES = {"a": "a", "ă": "aê", "â": "aâ", "e": "e", "ê": "eâ", "o": "o", "ô": "oâ", "ơ": "ô",
              "u": "u", "ư": "ö", "y": "y"}


def _vni_table() -> dict[str, str]:
    lower: dict[str, str] = {"đ": "ñ", "i": "i"}
    for base, code in _VNI_BASES.items():
        lower[base] = code
        for k, mark in enumerate(_MARKS[1:]):
            letter = unicodedata.normalize("NFC", base + mark)
            if base in "âêô":
                lower[letter] = code[0] + _VNI_CIRC[k]
            elif base == "ă":
                lower[letter] = "a" + _VNI_BREVE[k]
            else:
                lower[letter] = code + _VNI_TONES[k]
    for k, mark in enumerate(_MARKS[1:]):
        lower[unicodedata.normalize("NFC", "i" + mark)] = _VNI_I[k]
    lower["ỵ"] = "î"  # y with a dot below is one byte
    table = dict(lower)
    for letter, code in lower.items():
        table[letter.upper()] = code.upper()
    return table


VNI = _vni_table()
# decoding: longest codes first; a capital base with a lower-case mark byte ("Aù") also occurs
_VNI_DECODE = {code: letter for letter, code in VNI.items() if not letter.isascii()}
_VNI_DECODE.update({code[0].upper() + code[1:]: letter.upper() for letter, code in VNI.items()
                    if len(code) == 2 and code[0].isascii()})
_VNI_PATTERN = re.compile("|".join(re.escape(c) for c in sorted(_VNI_DECODE, key=len, reverse=True)))


def _windows_char(b: int) -> str:
    try:
        return bytes([b]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves unassigned
        return chr(b)


# each byte as the Windows code page shows it: the form legacy-font text has without its font
_WINDOWS = [_windows_char(b) for b in range(256)]


# --- decoding ---------------------------------------------------------------------------------
_LETTERS = re.compile(r"[^\W\d_]+")


def decode_tcvn3(data: bytes) -> str:
    return restore_capitals("".join(TCVN3.get(b) or _WINDOWS[b] for b in data))


def decode_vni(data: bytes) -> str:
    return from_vni_chars("".join(_WINDOWS[b] for b in data))


def from_tcvn3_chars(text: str) -> str:
    """TCVN3 text that was read as Windows characters (a .VnTime run in a DOCX or web page)."""
    return decode_tcvn3(text.encode("cp1252", errors="replace"))


def from_vni_chars(text: str) -> str:
    return _VNI_PATTERN.sub(lambda m: _VNI_DECODE[m.group()], text)


# TCVN3 letters with no capital code: an all-caps word stores them in lower case
_NO_CAPITAL = set("".join(ch for code, ch in TCVN3.items() if code >= 0xB5 or ch == "đ"))
_VIET_VOWELS = set("ăâêôơưĂÂÊÔƠƯ") | {c for c in _NO_CAPITAL if c != "đ"}


def _caps_word(word: str) -> bool:
    """A word typed in capitals: two capitals or more and no lower-case letter that TCVN3
    could have written as a capital."""
    upper = sum(c.isupper() for c in word)
    lower = sum(c.islower() and c not in _NO_CAPITAL for c in word)
    return upper >= 2 and lower == 0


def restore_capitals(text: str) -> str:
    """Upper-case the lower-case-coded letters of all-caps words, and of whole lines set in
    capitals ("Ở CÁC XÃ" stored as "ë C¸C X·"); "Uû ban" (mixed case) stays as it is."""
    # the columns of a typed two-column line ("Nơi nhận:      TM. UỶ BAN NHÂN DÂN") are lines of their own
    return "".join(_restore_line(part) if k % 2 == 0 else part
                   for line in text.splitlines(keepends=True)
                   for k, part in enumerate(re.split(r"([ ]{3,}|\t+)", line)))


def _restore_line(line: str) -> str:
    words = _LETTERS.findall(line)
    caps_line = words and not any(c.islower() and c not in _NO_CAPITAL for w in words for c in w) \
        and any(_caps_word(w) and any(c in _VIET_VOWELS for c in w) for w in words)
    if caps_line:
        return line.upper()
    return _LETTERS.sub(lambda m: m.group().upper() if _caps_word(m.group())
                        and any(c in _NO_CAPITAL for c in m.group()) else m.group(), line)


# --- encoding (for tests and for writing fixtures) --------------------------------------------
def encode_tcvn3(text: str) -> bytes:
    """Unicode -> TCVN3 bytes; toned capitals get their lower-case codes, as .VnTimeH typing did."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch])
        elif ch.lower() in _TCVN3_ENCODE:
            out.append(_TCVN3_ENCODE[ch.lower()])
        else:
            out.append(ch.encode("cp1252"))
    return b"".join(out)


def encode_vni(text: str) -> bytes:
    return "".join(VNI.get(ch, ch) for ch in unicodedata.normalize("NFC", text)).encode("cp1252")


# --- detection --------------------------------------------------------------------------------
_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
_SYLLABLE = re.compile(_ONSET + r"[aăâeêioôơuưy]{1,3}(?:ch|ng|nh|[cmnpt])?")
_TONE_MARKS = set(_MARKS[1:])


def is_syllable(word: str) -> bool:
    """Does ``word`` spell one Vietnamese syllable (onset, one to three vowels, coda, one tone)?"""
    nfd = unicodedata.normalize("NFD", word.lower())
    if sum(c in _TONE_MARKS for c in nfd) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None


# punctuation Vietnamese text uses outside ASCII: not evidence either way
_NEUTRAL = set("“”‘’–—…•°«»·\u00a0\u00ad")


def _abbreviation(word: str) -> bool:
    return word.isupper() and not any(unicodedata.normalize("NFD", c)[0] in "aeiouy" for c in word.lower())


def vietnamese_score(text: str) -> float:
    """Share of the text's non-ASCII words (and stray non-ASCII symbols) that are Vietnamese
    syllables: about 1.0 for Vietnamese, low for mis-decoded bytes. Abbreviations without a
    vowel ("HĐND") are no evidence either way."""
    good = bad = 0
    for m in re.finditer(r"\S+", text):
        token = m.group()
        if token.isascii():
            continue
        for word in _LETTERS.findall(token):
            if not word.isascii() and not _abbreviation(word):
                if is_syllable(word):
                    good += 1
                else:
                    bad += 1
        bad += sum(not c.isascii() and not c.isalnum() and c not in _NEUTRAL and not unicodedata.combining(c)
                   for c in token)
    return good / (good + bad) if good + bad else 0.0


def detect(data: bytes, threshold: float = 0.9) -> tuple[str, str] | None:
    """("tcvn3" | "vni", decoded text) for bytes in one of the legacy encodings, else None."""
    best: tuple[float, str, str] | None = None
    for name, decode in (("tcvn3", decode_tcvn3), ("vni", decode_vni)):
        text = decode(data)
        score = vietnamese_score(text)
        if score >= threshold and (best is None or score > best[0]):
            best = (score, name, text)
    return (best[1], unicodedata.normalize("NFC", best[2])) if best else None


def repair(text: str, threshold: float = 0.9) -> str:
    """Text read as Windows characters that is really TCVN3 or VNI (a .VnTime run in a Word
    file, an old web page): converted when it reads far better so; otherwise unchanged."""
    if text.isascii() or vietnamese_score(text) >= threshold:
        return text
    for convert in (from_tcvn3_chars, from_vni_chars):
        fixed = unicodedata.normalize("NFC", convert(text))
        if vietnamese_score(fixed) >= threshold:
            return fixed
    return text
