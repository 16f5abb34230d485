"""SMS parts: GSM-7 160/153, UCS-2 (Chinese, emoji) 70/67, emoji as two UTF-16 units."""
import pytest

from servicedesk.sms import sms_segments


@pytest.mark.parametrize(("text", "expected"), [
    ("", (0, 0)),
    ("Your repair is booked for Monday.", (1, 33)),
    ("a" * 160, (1, 160)),
    ("a" * 161, (2, 161)),
    ("a" * 306, (2, 306)),      # 2 × 153
    ("a" * 307, (3, 307)),
    ("您的报修已受理", (1, 7)),
    ("好" * 70, (1, 70)),
    ("好" * 71, (2, 71)),
    ("好" * 134, (2, 134)),     # 2 × 67
    ("好" * 135, (3, 135)),
])
def test_boundaries(text, expected):
    assert sms_segments(text) == expected


def test_one_chinese_character_makes_the_whole_text_ucs2():
    # given 100 Latin letters: one GSM part
    assert sms_segments("a" * 100) == (1, 100)
    # when one Chinese character joins them, the text is UCS-2: 101 units > 70
    assert sms_segments("a" * 100 + "好") == (2, 101)
    # a mixed survey message, as sent: Chinese sentence and an ASCII link
    text = "请为本次服务评分：https://sd.example.cn/s/Ab3dE9xZ 回复TD退订"
    assert sms_segments(text) == (1, len(text))


def test_emoji_counts_two_utf16_units_and_is_not_split():
    assert sms_segments("👍") == (1, 2)
    assert sms_segments("好" * 68 + "👍") == (1, 70)
    assert sms_segments("好" * 69 + "👍") == (2, 71)
    # 134 units would be two parts of 67, but the emoji after 66 characters does not fit whole
    # into the first part: it moves, and the last character needs a third part
    assert sms_segments("好" * 66 + "👍" + "好" * 66) == (3, 134)
    assert sms_segments("好" * 67 + "👍" + "好" * 65) == (2, 134)
    # a BMP symbol (★) is one unit but not GSM: UCS-2
    assert sms_segments("★" * 70) == (1, 70)


def test_gsm_extension_characters_take_two_septets():
    assert sms_segments("€" * 80) == (1, 160)
    assert sms_segments("€" * 80 + "a") == (2, 161)
    # 152 plain then an escaped character: it would straddle parts, so it moves to the next one
    assert sms_segments("a" * 152 + "{" + "a" * 10) == (2, 164)
    assert sms_segments("a" * 152 + "{" + "a" * 152) == (3, 306)
    # accented letters of the basic table are one septet; others (ê) force UCS-2
    assert sms_segments("é" * 160) == (1, 160)
    assert sms_segments("ê" * 71) == (2, 71)
