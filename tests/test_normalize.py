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
