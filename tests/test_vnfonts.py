"""Legacy Vietnamese font encodings (TCVN3/ABC and VNI-Windows): both directions of each code
table, capitals restored, detection that never mistakes UTF-8 or Windows-1258 for them."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest import vnfonts
from ingest.normalize import fold
from ingest.readers import read_text
from ingest.types import IngestError
from tests.test_readers import _cp1258_bytes

_BASES = "aăâeêioôơuưy"
_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
LOWER = sorted({unicodedata.normalize("NFC", b + m) for b in _BASES for m in _MARKS} | {"đ"})
UPPER = [c.upper() for c in LOWER]
# mixed case: TCVN3 cannot write "Ủy" (a toned capital), its documents wrote "Uỷ"
TEXT = ("Uỷ ban nhân dân tỉnh yêu cầu các sở, ngành và Uỷ ban nhân dân các xã, phường thực hiện "
        "nghiêm nhiệm vụ năm học; Sở Giáo dục và Đào tạo chủ trì, phối hợp với Sở Nội vụ báo cáo "
        "kết quả trước ngày 31/12/2025. Người đứng đầu chịu trách nhiệm trước Chủ tịch.\n")


def test_every_letter_is_in_both_tables() -> None:
    assert len(LOWER) == 12 * 6 + 1 == 73
    for letter in LOWER:
        assert letter.isascii() or letter in vnfonts.TCVN3.values(), letter
        assert letter in vnfonts.VNI and letter.upper() in vnfonts.VNI, letter
    assert len(set(vnfonts.TCVN3)) == len(set(vnfonts.TCVN3.values()))  # one byte per letter
    assert len(set(vnfonts.VNI.values())) == len(vnfonts.VNI)  # one code per letter


@pytest.mark.parametrize("letter", LOWER + UPPER)
def test_vni_round_trip(letter: str) -> None:
    word = f"x{letter}x"
    assert vnfonts.decode_vni(vnfonts.encode_vni(word)) == word


@pytest.mark.parametrize("letter", LOWER)
def test_tcvn3_round_trip_lower_case(letter: str) -> None:
    assert len(vnfonts.encode_tcvn3(letter)) == 1
    assert vnfonts.decode_tcvn3(vnfonts.encode_tcvn3(f"nh{letter}n")) == f"nh{letter}n"


@pytest.mark.parametrize("letter", UPPER)
def test_tcvn3_capitals_come_back_in_all_caps_words(letter: str) -> None:
    # TCVN3 has no toned capitals: .VnTimeH stores them with the lower-case codes
    word = f"NH{letter}N"
    data = vnfonts.encode_tcvn3(word)
    assert vnfonts.decode_tcvn3(data) == word


def test_tcvn3_known_bytes_from_the_chart() -> None:
    # bytes as the charts give them: Ö = ệ (0xD6), µ = à (0xB5), ¸ = á (0xB8), ¨ = ă (0xA8)
    assert vnfonts.decode_tcvn3("NghÖ An, ngµy 29 th¸ng 8 n¨m 2025".encode("cp1252")) \
        == "Nghệ An, ngày 29 tháng 8 năm 2025"
    assert vnfonts.decode_vni("Ngheä An, ngaøy 29 thaùng 8 naêm 2025".encode("cp1252")) \
        == "Nghệ An, ngày 29 tháng 8 năm 2025"


def test_all_caps_lines_and_words_restored_mixed_case_kept() -> None:
    text = "Uỷ BAN NHÂN DÂN\nCHỈ THỊ\nỞ CÁC XÃ, PHƯỜNG\nVề nhiệm vụ của Uỷ ban và HĐND TỈNH NGHỆ AN\nSố: 15/QĐ-UBND\n"
    assert vnfonts.decode_tcvn3(vnfonts.encode_tcvn3(text)) == (
        "UỶ BAN NHÂN DÂN\nCHỈ THỊ\nỞ CÁC XÃ, PHƯỜNG\nVề nhiệm vụ của Uỷ ban và HĐND TỈNH NGHỆ AN\nSố: 15/QĐ-UBND\n")


@pytest.mark.parametrize("encode,name", [(vnfonts.encode_tcvn3, "tcvn3"), (vnfonts.encode_vni, "vni")])
def test_legacy_files_are_detected_and_read(tmp_path: Path, encode, name: str) -> None:
    f = tmp_path / f"{name}.txt"
    f.write_bytes(encode(TEXT).replace(b"\n", b"\r\n"))
    assert vnfonts.detect(f.read_bytes())[0] == name
    text = read_text(f)[0]
    assert text.replace("\r\n", "\n") == TEXT and unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1258"])
def test_unicode_and_windows_1258_are_not_taken_for_legacy_fonts(tmp_path: Path, encoding: str) -> None:
    data = (TEXT.encode("utf-8") if encoding == "utf-8"
            else _cp1258_bytes(TEXT))
    assert vnfonts.detect(data) is None
    f = tmp_path / "a.txt"
    f.write_bytes(data)
    assert read_text(f)[0] == TEXT


def test_western_text_is_none_of_them(tmp_path: Path) -> None:
    f = tmp_path / "de.txt"
    f.write_bytes("Grüße aus München: Straße, Öffnungszeiten, Bücher, schön.\n".encode("cp1252") * 5)
    assert vnfonts.detect(f.read_bytes()) is None
    with pytest.raises(IngestError, match="de.txt.*cannot detect the text encoding"):
        read_text(f)


def test_repair_converts_legacy_runs_read_as_windows_characters() -> None:
    assert vnfonts.repair(vnfonts.encode_tcvn3(TEXT).decode("cp1252")) == TEXT
    assert vnfonts.repair(vnfonts.encode_vni(TEXT).decode("cp1252")) == TEXT
    assert vnfonts.repair(TEXT) == TEXT


@pytest.mark.parametrize("old,new", [("Uỷ ban", "Ủy ban"), ("uỷ quyền", "ủy quyền"), ("hoà bình", "hòa bình"),
                                     ("thuý", "thúy"), ("khoẻ", "khỏe"), ("quý", "qúy")])
def test_old_and_new_tone_placement_match_alike(old: str, new: str) -> None:
    assert fold(old) == fold(new)
