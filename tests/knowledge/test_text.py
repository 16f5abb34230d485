"""Markdown sanitising, tokenising and highlighting (pure functions) plus the rendered article page."""
import pytest
from django.urls import reverse

from knowledge.text import highlight, index_tokens, query_tokens, render_markdown, snippet, tsquery_at_least

ATTACKS = {
    "script tag": "<script>alert(1)</script>Hello",
    "script in markdown": "Hello\n\n<script src='https://evil.example/x.js'></script>",
    "img onerror": '<img src="x.png" onerror="alert(1)">',
    "onclick": '<a href="https://ok.example" onclick="steal()">link</a>',
    "javascript link (html)": '<a href="javascript:alert(1)">click</a>',
    "javascript link (markdown)": "[click](javascript:alert(1))",
    "javascript link with case and spaces": "[click]( JaVaScRiPt:alert(1))",
    "data url image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "data url link": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "style attribute": '<p style="background:url(javascript:alert(1))">styled</p>',
    "style tag": "<style>body{display:none}</style>visible",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "svg onload": '<svg onload="alert(1)"></svg>',
    "form": '<form action="https://evil.example"><input name="pw"></form>',
    "vbscript": '<a href="vbscript:msgbox(1)">x</a>',
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_nothing_executable_gets_through(name):
    html = render_markdown(ATTACKS[name]).lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "data:", "vbscript:", "style=", "<style",
                "<iframe", "<svg", "<form", "<input", "alert(1)"):
        assert bad not in html, (name, bad, html)


def test_safe_markdown_is_kept_and_links_get_noopener():
    html = render_markdown("# Title\n\n**bold** and [docs](https://example.com/a)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<table>" in html
    assert 'href="https://example.com/a"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_script_content_is_removed_not_shown_as_text():
    assert "alert" not in render_markdown("<script>alert(1)</script>ok")


def test_chinese_is_split_into_bigrams_and_english_into_words():
    assert index_tokens("打印机卡纸 Printer-LJ2200") == ["打印", "印机", "机卡", "卡纸", "printer", "lj2200"]
    # full-width characters fold to ASCII
    assert index_tokens("ＬＪ－２２００") == ["lj", "2200"]


def test_query_drops_stop_words_and_the_bigrams_around_them():
    assert query_tokens("打印机卡纸怎么办") == ["打印", "印机", "机卡", "卡纸"]
    assert query_tokens("how to fix the printer") == ["fix", "printer"]


def test_required_matches():
    from knowledge.text import required_matches

    assert required_matches(["打印", "印机", "机卡", "卡纸"]) == 3
    assert required_matches(["电梯", "梯异", "异响"]) == 2
    assert required_matches(["air", "conditioner", "cooling"]) == 3
    assert required_matches(["elevator", "door", "won", "close"]) == 3


def test_tsquery_requires_m_of_n():
    assert tsquery_at_least(["打印", "卡纸", "printer"], 2) == "(打印 & 卡纸) | (打印 & printer:*) | (卡纸 & printer:*)"


def test_highlight_escapes_first_then_marks():
    assert highlight("<b>打印机</b>经常卡纸", ["打印", "印机", "卡纸"]) == (
        "&lt;b&gt;<mark>打印机</mark>&lt;/b&gt;经常<mark>卡纸</mark>"
    )
    assert highlight("Printer <script>", ["print"]) == "<mark>Print</mark>er &lt;script&gt;"


def test_snippet_windows_around_the_first_match():
    text = "x" * 300 + " the paper jam is here " + "y" * 300
    out = snippet(text, ["jam"], width=80)
    assert out.startswith("…") and "<mark>jam</mark>" in out and out.endswith("…")


@pytest.mark.django_db
def test_article_page_shows_sanitised_body(client_for, make_article):
    article = make_article(body="Hi <img src=x onerror=alert(1)> [x](javascript:alert(2))")
    html = client_for("agent").get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert "onerror" not in html and "javascript:alert" not in html
    html = client_for(None).get(reverse("knowledge:faq_detail", args=[article.pk])).content.decode()
    assert "onerror" not in html and "javascript:alert" not in html


@pytest.mark.django_db
def test_search_results_are_highlighted_and_escaped(client_for, make_article):
    make_article(title="打印机经常卡纸怎么办 <b>", body="先关闭电源再取出卡纸。")
    html = client_for("agent").get(reverse("knowledge:list"), {"q": "打印机卡纸"}).content.decode()
    assert "<mark>打印机</mark>经常<mark>卡纸</mark>怎么办 &lt;b&gt;" in html
    html = client_for(None).get(reverse("knowledge:faq"), {"q": "卡纸"}).content.decode()
    assert "<mark>卡纸</mark>" in html
