import re
import unicodedata

from ingest.normalize import fold, fold_map, has_diacritics, nfc, strip


def test_tone_mark_conventions_fold_to_one_form():
    assert fold("hoà") == fold("hòa")
    assert fold("thuý") == fold("thúy")
    assert fold("Hoà Bình") == fold("hòa bình")
    assert fold("hòa") != fold("hoa")  # the tone still counts in the folded form


def test_strip_removes_all_marks_and_d_bar():
    assert strip("Cơ quan nào chủ trì") == "co quan nao chu tri"
    assert strip("Đài Phát thanh") == "dai phat thanh"


def test_strip_by_table_equals_the_character_loop():
    """strip translates through a per-character table: the same text as the loop it replaced
    (strip_map), on the sample corpus, every Latin and combining-mark code point, and mixes of
    them with lone marks (which the loop merges into the letter before)."""
    import random
    from pathlib import Path

    from ingest.normalize import strip_map

    old = lambda s: strip_map(nfc(s))[0]  # noqa: E731
    sample = "".join(p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent.parent / "data" /
                                                                       "sample").glob("*.txt")))
    assert strip(sample) == old(sample)
    chars = sorted(set(sample)) + [chr(c) for lo, hi in ((0, 0x370), (0x1E00, 0x1F00), (0x2070, 0x20A0),
                                                         (0x2C60, 0x2C80), (0xA720, 0xA800), (0xFB00, 0xFB07),
                                                         (0xFF00, 0xFF5F)) for c in range(lo, hi)]
    for ch in chars:
        assert strip(ch) == old(ch), hex(ord(ch))
    rng = random.Random(15)
    marks = [chr(c) for c in range(0x300, 0x370)]
    for _ in range(2000):
        s = "".join(rng.choice(chars + marks) for _ in range(rng.randint(1, 12)))
        assert strip(s) == old(s), s.encode("unicode_escape")


def test_nfd_input_folds_like_nfc():
    s = "Thông tin đối ngoại"
    nfd = unicodedata.normalize("NFD", s)
    assert nfd != s and nfc(nfd) == s
    assert fold(nfd) == fold(s) and strip(nfd) == strip(s)


def test_fold_map_points_back_into_the_original():
    text = "Cơ quan chủ trì: Sở Ngoại vụ"
    folded, mapping = fold_map(text)
    i = folded.index(fold("Sở Ngoại vụ"))
    j = i + len(fold("Sở Ngoại vụ")) - 1
    assert text[mapping[i]:mapping[j] + 1] == "Sở Ngoại vụ"


def test_has_diacritics():
    assert has_diacritics("chủ trì") and has_diacritics("đi")
    assert not has_diacritics("co quan nao chu tri") and not has_diacritics("Which agency")


def test_nfd_input_is_stored_nfc(tmp_path):
    import unicodedata

    from ingest import load_document

    raw = "KẾ HOẠCH\nThử nghiệm\n\nI. NHIỆM VỤ\n\n- Sở Thông tin và Truyền thông chủ trì, thuý hoà.\n"
    f = tmp_path / "nfd.txt"
    f.write_text(unicodedata.normalize("NFD", raw), encoding="utf-8")
    doc = load_document(f)
    assert doc.text == raw and unicodedata.is_normalized("NFC", doc.text)
    assert all(doc.text[c.start:c.end] == c.text for c in doc.chunks)


def test_markdown_markers_hidden_from_quotes_while_spans_stay_exact():
    from conftest import SAMPLE
    from ingest import load_document
    from ingest.normalize import display, trim_span

    doc = load_document(SAMPLE / "001_2acf101d37e4caff.txt")  # converted with "## **…**" markers
    marked = [c for c in doc.chunks if "**" in c.text]
    assert marked
    for c in marked:
        a, b = trim_span(doc.text, c.start, c.end)
        assert c.start <= a < b <= c.end
        quote = doc.text[a:b]
        assert not quote.startswith(("#", "*")) and not quote.endswith("*")
        shown = display(quote)
        assert "**" not in shown and not shown.startswith("#")
        # the same words in the same order, only the markers gone
        assert re.sub(r"[\s*#_]", "", shown) == re.sub(r"[\s*#_]", "", quote)
    assert display("## **KẾ HOẠCH** **Tuyên truyền**") == "KẾ HOẠCH Tuyên truyền"
    assert display("***Nơi nhận:***\n- Lãnh đạo Sở;") == "Nơi nhận:\n- Lãnh đạo Sở;"


def test_trim_span_on_long_spans_with_inner_space_runs():
    from ingest.normalize import trim_span

    # inner runs of spaces once sent the edge search into exponential backtracking
    text = "## **" + ("việc" + " " * 40) * 50 + "xong** \n  "
    a, b = trim_span(text, 0, len(text))
    assert text[a:b] == ("việc" + " " * 40) * 50 + "xong"
    assert trim_span("  **  ", 0, 6) == (0, 6)  # nothing but markers: the span is kept as it was
