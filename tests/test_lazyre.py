import re

from ingest import obligations, structure
from ingest.lazyre import LazyPattern


def test_lazy_pattern_compiles_at_first_use_and_matches_as_compiled():
    p = LazyPattern(r"^n[oơ]i nh[aậ]n\s*:?\s*$", re.IGNORECASE)
    assert p.pattern.startswith("^n") and "compiled" not in vars(p)  # .pattern reads no compile
    same = re.compile(p.pattern, re.IGNORECASE)
    for text in ("Nơi nhận:", "NOI NHAN", "nơi nhận các đơn vị"):
        assert bool(p.match(text)) == bool(same.match(text))
    assert p.compiled is p.compiled and p.flags == same.flags


def test_module_patterns_read_text_as_before():
    m = obligations.DEADLINE.search("hoàn thành trước ngày 30/6/2025 và báo cáo")
    assert m and m.group() == "trước ngày 30/6/2025"
    assert structure.NAME.match("Trần Minh Khang") and not structure.NAME.match("Trần minh khang")
