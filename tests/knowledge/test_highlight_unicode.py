"""Highlighting works on the original string's indices, whatever case folding does to lengths (issue 13)."""
import pytest

from knowledge.text import _marked_spans, highlight, query_tokens, snippet

CASES = [
    # text, query, the exact original characters that must be marked
    ("İstanbul printer jam", "printer", ["printer"]),  # İ lower-cases to two characters
    ("İİİİ printer", "printer", ["printer"]),
    ("Straße printer", "printer", ["printer"]),
    ("ﬁx the printer", "fix printer", ["ﬁx", "printer"]),  # one ligature, two folded letters
    ("😀 printer 😀", "printer", ["printer"]),
    ("cafe\u0301 printer", "printer", ["printer"]),  # a combining mark composes under NFKC
    ("jam\u0301 printer jam", "jam", ["jam"]),  # m + U+0301 is ḿ after NFKC: not the word jam
    ("ＬＪ－２２００ 卡纸", "lj 2200 卡纸", ["ＬＪ", "２２００", "卡纸"]),  # full-width forms
    ("打印机经常卡纸怎么办", "打印机卡纸", ["打印机", "卡纸"]),
]


@pytest.mark.parametrize("text, query, marked", CASES)
def test_highlight_marks_the_original_characters(text, query, marked):
    # when
    spans = _marked_spans(text, query_tokens(query))
    # then
    assert [text[a:b] for a, b in spans] == marked
    assert highlight(text, query_tokens(query)).count("<mark>") == len(marked)


def test_highlight_and_snippet_never_fail_on_mixed_text():
    # given every troublesome kind of character, around and inside matches
    text = "İ" * 50 + " printer ß ﬁ 😀 e\u0301 Ａ " * 40 + "İ"
    tokens = query_tokens("printer fi a e i")
    # when
    html = highlight(text, tokens)
    window = snippet(text, tokens, width=40)
    # then: text outside the marks is intact and escaped; the window starts at a match
    assert html.replace("<mark>", "").replace("</mark>", "") == text
    assert "<mark>" in window


def test_highlight_escapes_html():
    assert highlight("<b>printer</b>", ["printer"]) == "&lt;b&gt;<mark>printer</mark>&lt;/b&gt;"
