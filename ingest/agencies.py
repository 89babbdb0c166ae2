"""Agency names: find them, split lists of them, and map spellings to one canonical name.

The alias table is data (ingest/data/agency_aliases.tsv), not code. Lists split on ";" and
on "," or "và" only where the next part starts a new agency, so "Sở Văn hóa, Thể thao và Du
lịch" and "Đài Phát thanh và Truyền hình Tây Ninh" stay whole.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ingest.lazyre import LazyPattern
from ingest.normalize import fold, nfc

ALIASES_FILE = Path(__file__).with_name("data") / "agency_aliases.tsv"

# words that begin an agency name (capitalised), or "các" + a plural agency noun
HEADS = ("Sở", "Ban", "Ủy ban", "Uỷ ban", "UBND", "Đài", "Báo", "Hội", "Bộ", "Cục", "Chi cục", "Phòng",
         "Trung tâm", "Liên đoàn", "LĐLĐ", "Công đoàn", "Đảng ủy", "Đảng uỷ", "Chi ủy", "Huyện ủy",
         "Tỉnh ủy", "Thành ủy", "Văn phòng", "Cổng", "Đoàn", "Mặt trận", "Thường trực", "Tổ công tác",
         "Viện", "Thông tấn xã", "TTXVN", "Công an", "Quân", "Hội đồng", "Thanh tra", "Kho bạc",
         "Cơ quan", "Bưu điện", "Tòa án", "Viện kiểm sát", "Ngân hàng", "Trường", "STTTT", "UBMTTQ")
PLURAL = ("sở", "ban", "cơ quan", "đơn vị", "phòng", "cấp ủy", "tổ chức", "đảng ủy", "chi ủy",
          "công đoàn", "địa phương", "ngành", "huyện", "xã", "doanh nghiệp", "hội", "đoàn thể",
          "ban tham mưu", "cơ quan báo chí", "đơn vị thông tin")
_HEAD_RE = LazyPattern(r"^(?:(?:" + "|".join(re.escape(h) for h in sorted(HEADS, key=len, reverse=True))
                       + r")\b|(?:[Cc]ác|[Nn]hững)\s+(?:" + "|".join(re.escape(p) for p in PLURAL) + r")\b)")


@lru_cache(maxsize=1)
def aliases() -> list[tuple[re.Pattern, str]]:
    out = []
    for line in ALIASES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        alias, expansion = line.split("\t")
        out.append((re.compile(rf"(?<![\w&]){re.escape(nfc(alias))}(?![\w&])"), nfc(expansion)))
    return out


def starts_agency(text: str) -> bool:
    return bool(_HEAD_RE.match(text.strip(" -–+*\"“(")))


def canonical(name: str) -> str:
    """'Sở TT&TT' -> 'Sở Thông tin và Truyền thông'; spaces and end punctuation tidied."""
    s = nfc(name)
    s = re.sub(r"\(\*?[^)]*\)", " ", s)  # "(Thường trực Ban Chỉ đạo …)", "(*tùy theo …*)"
    s = s.replace("*", " ")
    for pattern, expansion in aliases():
        s = pattern.sub(expansion, s)
    s = re.sub(r"\s+", " ", s).strip(" .,;:-–")
    return s[:1].upper() + s[1:] if s else s


def key(name: str) -> str:
    """Match form of a canonical name: folded, so spelling variants compare equal."""
    return fold(canonical(name))


def split_agencies(text: str) -> list[str]:
    """'Sở Ngoại vụ; Sở Văn hóa, Thể thao và Du lịch, Đài PT-TH và Báo Tây Ninh' -> 4 names."""
    text = re.sub(r"\(\*?[^)]*\)", " ", nfc(text)).strip(" .:;")
    out: list[str] = []
    for part in re.split(r"\s*;\s*", text):
        pieces = [part]
        for sep in (r",\s*", r"\s+và\s+"):
            nxt: list[str] = []
            for p in pieces:
                bits = re.split(f"({sep})", p)
                cur = bits[0]
                for i in range(1, len(bits), 2):
                    following = bits[i + 1]
                    if starts_agency(following):
                        nxt.append(cur)
                        cur = following
                    else:
                        cur += bits[i] + following
                nxt.append(cur)
            pieces = nxt
        out.extend(canonical(p) for p in pieces if p.strip(" .,;"))
    return [o for o in out if o]


def matches(query: str, name: str) -> bool:
    """Does the agency the user named (any spelling, any prefix of the full name) match?"""
    q, n = key(query), key(name)
    return bool(q) and (q == n or q in n)
