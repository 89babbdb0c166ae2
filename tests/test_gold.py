"""Gold quotes located in the stored text: the span the eval and the fit label by."""
from __future__ import annotations

from eval.gold import locate

TABLE = ("3. Chỉ tiêu số ca mắc năm 2025:\n"
         "| STT | Huyện | Chỉ tiêu 2025 (ca) | Địa bàn giám sát |\n"
         "| 5 | Huyện Trảng Bom | 1.000 | Khu nhà trọ công nhân |\n"
         "| 6 | Huyện Thống Nhất | 385 | Vườn cao su |\n")


def test_a_quote_is_found_as_written_then_folded_then_without_marks():
    s = locate(TABLE, "Huyện Trảng Bom")
    assert TABLE[s[0]:s[1]] == "Huyện Trảng Bom"
    s = locate(TABLE, "huyen thong nhat")
    assert TABLE[s[0]:s[1]] == "Huyện Thống Nhất"
    assert locate(TABLE, "Huyện Long Thành") is None


def test_a_table_row_quoted_as_its_cells_text_spans_those_cells():
    s = locate(TABLE, "Huyện Trảng Bom 1.000 Khu nhà trọ công nhân")
    assert TABLE[s[0]:s[1]] == "Huyện Trảng Bom | 1.000 | Khu nhà trọ công nhân"
    # cells of two rows read on, across the line break and bars
    s = locate(TABLE, "Khu nhà trọ công nhân 6 Huyện Thống Nhất")
    assert TABLE[s[0]:s[1]] == "Khu nhà trọ công nhân |\n| 6 | Huyện Thống Nhất"
    assert locate(TABLE, "Huyện Trảng Bom 385") is None  # another row's cell


def test_a_folded_match_ends_after_its_last_letter_not_its_tone():
    # "Nhất" folds to "nhâts": the tone letter "s" comes last and maps back to "ấ"
    text = "Giao Huyện Thống Nhất."
    s = locate(text, "huyện thống nhất")  # another case: found folded
    assert text[s[0]:s[1]] == "Huyện Thống Nhất"
