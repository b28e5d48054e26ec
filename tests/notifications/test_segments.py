import pytest

from safetyops.notifications.segments import GSM7_BASIC, GSM7_EXTENSION, SegmentInfo, count, is_gsm7, non_gsm7_chars


def test_gsm7_table_sizes():
    # 128 positions minus ESC; 10 extension characters (incl. form feed)
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("n", "segments", "per_segment"),
    [(1, 1, 160), (160, 1, 160), (161, 2, 153), (306, 2, 153), (307, 3, 153), (459, 3, 153), (460, 4, 153)],
)
def test_ascii_lengths(n, segments, per_segment):
    assert count("a" * n) == SegmentInfo("GSM-7", n, segments, per_segment)


@pytest.mark.parametrize(
    ("n", "segments", "per_segment"),
    [(1, 1, 70), (70, 1, 70), (71, 2, 67), (134, 2, 67), (135, 3, 67), (201, 3, 67), (202, 4, 67)],
)
def test_cyrillic_lengths(n, segments, per_segment):
    info = count("ж" * n)
    assert info == SegmentInfo("UCS-2", n, segments, per_segment)


def test_empty_text():
    assert count("") == SegmentInfo("GSM-7", 0, 0, 160)
    assert is_gsm7("")


@pytest.mark.parametrize("ch", ["€", "{", "}", "[", "]", "~", "\\", "|", "^", "\f"])
def test_extension_chars_cost_two_septets(ch):
    assert is_gsm7(ch)
    assert count(ch).units == 2
    assert count("a" * 158 + ch) == SegmentInfo("GSM-7", 160, 1, 160)
    assert count("a" * 159 + ch).segments == 2


def test_escape_pair_is_not_split_between_parts():
    # 152 plain septets + "€" (2) = 154 > 153: the € moves to part two
    text = "a" * 152 + "€" + "a" * 152
    info = count(text)
    assert info.units == 306
    assert info.segments == 3  # naive ceil(306/153) would say 2
    assert count("a" * 151 + "€" + "a" * 153).segments == 2  # 153 + 153


@pytest.mark.parametrize("text", ["Привет", "Саламатсызбы", "ө", "ү", "ң", "Өрт! Мектептен чыккыла", "қ ғ ұ ә і һ"])
def test_cyrillic_and_kyrgyz_kazakh_letters_force_ucs2(text):
    assert not is_gsm7(text)
    assert count(text).encoding == "UCS-2"


def test_one_kyrgyz_letter_turns_the_whole_message_ucs2():
    text = "a" * 69 + "ө"
    assert count(text) == SegmentInfo("UCS-2", 70, 1, 70)
    assert count("a" * 70 + "ң").segments == 2
    assert non_gsm7_chars("Drill at 10:00, өрт ң ө") == ["ө", "р", "т", "ң"]


def test_gsm_specials_and_latin_accents_stay_gsm7():
    text = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\r\n"
    assert is_gsm7(text)
    assert count(text).units == len(text)


@pytest.mark.parametrize("ch", ["ç", "á", "í", "ó", "ú", "`", "\t", "\x1b", "—", "«", "’"])
def test_lookalikes_outside_gsm7(ch):
    assert not is_gsm7(ch)


def test_emoji_count_two_utf16_units():
    assert count("🚒").units == 2
    assert count("🚒" * 35) == SegmentInfo("UCS-2", 70, 1, 70)
    assert count("a" + "🚒" * 35).segments == 2


def test_surrogate_pair_is_not_split_between_parts():
    text = "ж" * 66 + "🚒" + "ж" * 66  # 134 units, but the emoji cannot straddle units 67/68
    info = count(text)
    assert info.units == 134
    assert info.segments == 3
