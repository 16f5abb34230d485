"""Pure text functions: Markdown rendering + sanitising, tokenising for search, highlighting.

Tokens are what both search backends match on. English (and any Latin text, digits, model codes)
becomes lower-case words; Chinese has no spaces, so each run of CJK characters becomes its
overlapping character bigrams (打印机卡纸 → 打印 印机 机卡 卡纸). A query matches an article when most
of its tokens occur in it, so 打印机卡纸 finds 打印机经常卡纸怎么办 (打印, 印机, 卡纸 all occur) without
a dictionary-based word segmenter.
"""
import html
import re
import unicodedata
from functools import lru_cache
from itertools import combinations

import markdown as markdown_lib
import nh3

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[0-9a-z]+|[{_CJK}]+")
_CJK_RE = re.compile(rf"[{_CJK}]")

# Words that say nothing about the problem; dropped from queries only (articles keep them).
QUERY_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i in is it its my no not of on or our so the "
    "this to was what when where which why will with you your since yesterday today again still customer "
    "customers says said please help keeps every also just very".split()
) | frozenset(
    "怎么 么办 什么 如何 为什 么会 请问 一下 可以 是否 我的 没有 不能 一直 总是 有点 时候 还是 已经 出现 发现 "
    "我们 你们 客户 谢谢 麻烦 帮忙 一个 这个 那个 现在 今天 昨天".split()
)

MAX_QUERY_TOKENS = 8


def _is_cjk(word: str) -> bool:
    return bool(_CJK_RE.match(word))


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (ＬＪ－２２００) into ASCII before lower-casing.
    return unicodedata.normalize("NFKC", text or "").lower()


def index_tokens(text: str) -> list[str]:
    """Every token of a text, in order (duplicates kept: they raise the rank of a repeated word)."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(_normalise(text)):
        word = match.group()
        if _is_cjk(word):
            if len(word) == 1:
                out.append(word)
            else:
                out.extend(word[i : i + 2] for i in range(len(word) - 1))
        else:
            out.append(word)
    return out


def index_text(*parts: str) -> str:
    """The tokenised form stored in Article.search_title/search_body: ' tok tok tok ' (padded)."""
    tokens = [t for part in parts for t in index_tokens(part)]
    return f" {' '.join(tokens)} " if tokens else ""


def _query_words(query: str) -> list[str]:
    """Query tokens before de-duplication. A Chinese stop word (怎么, 没有…) marks a word boundary: the
    bigrams that straddle it (纸怎 in 卡纸怎么办, 器没 in 热水器没有热水) are noise and are dropped too."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(_normalise(query)):
        word = match.group()
        if not _is_cjk(word):
            if word not in QUERY_STOPWORDS and len(word) > 1:
                out.append(word)
            continue
        if len(word) == 1:
            out.append(word)
            continue
        grams = [word[i : i + 2] for i in range(len(word) - 1)]
        stop = [g in QUERY_STOPWORDS for g in grams]
        for i, gram in enumerate(grams):
            if stop[i] or (i > 0 and stop[i - 1]) or (i + 1 < len(grams) and stop[i + 1]):
                continue
            out.append(gram)
    return out


def query_tokens(query: str, *, limit: int = MAX_QUERY_TOKENS) -> list[str]:
    """Distinct meaningful tokens of a query, in order, at most `limit`."""
    seen: dict[str, None] = {}
    for token in _query_words(query):
        seen.setdefault(token, None)
        if len(seen) >= limit:
            break
    return list(seen)


def required_matches(tokens: list[str]) -> int:
    """How many of a query's tokens an article must contain.

    About two thirds (4→3, 6→4): Chinese bigrams that straddle two words (机卡 in 打印机卡纸) rarely
    occur in the answer, so not all can be required. Short English queries are words the reader
    chose on purpose: up to three, all must match.
    """
    n = len(tokens)
    if n <= 3 and all(not _is_cjk(t) for t in tokens):
        return n
    return max(1, -(-2 * n // 3))


def is_prefix_token(token: str) -> bool:
    """English words match as prefixes (print → printer, jam → jams); Chinese bigrams match exactly,
    a single Chinese character as the start of a bigram (卡 → 卡纸)."""
    if _is_cjk(token):
        return len(token) == 1
    return len(token) >= 3 and not token.isdigit()


def tsquery_term(token: str) -> str:
    # Tokens are [0-9a-z]+ or CJK characters only, so they are safe inside a raw tsquery.
    return f"{token}:*" if is_prefix_token(token) else token


def tsquery_at_least(tokens: list[str], m: int) -> str:
    """A raw tsquery true when at least m of the tokens occur: OR of the AND of every m-combination."""
    terms = [tsquery_term(t) for t in tokens]
    if m <= 1:
        return " | ".join(terms)
    return " | ".join("(" + " & ".join(combo) + ")" for combo in combinations(terms, m))


def tsquery_any(tokens: list[str]) -> str:
    return " | ".join(tsquery_term(t) for t in tokens)


# --- Markdown --------------------------------------------------------------------------------------
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
# No javascript:, data:, vbscript: … only these (relative URLs stay allowed).
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(source: str) -> str:
    """Markdown → HTML that is safe to show to anyone: nh3 (ammonia) keeps only an allow-list.

    Scripts and styles are removed with their content; event handlers and style attributes are not
    on the allow-list; URLs other than http(s)/mailto/tel/relative are dropped; every link gets
    rel="noopener noreferrer nofollow" so a linked page cannot reach back into ours.
    """
    raw = markdown_lib.markdown(source or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_MD_NOISE = re.compile(r"[`*_#>|~\[\]]+|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)")


def plain_text(markdown_source: str) -> str:
    """Markdown without its markup, for snippets and plain-text replies."""
    text = _MD_NOISE.sub(" ", markdown_source or "")
    return re.sub(r"\s+", " ", text).strip()


# --- Highlighting ----------------------------------------------------------------------------------
def _fold_with_origins(text: str) -> tuple[str, list[int], list[int]]:
    """The folded text (as _normalise makes it) and, for each folded character, the span of the
    original text it came from.

    Folding changes lengths both ways (İ → i + U+0307, ﬁ → fi, e + U+0301 → é, Ａ → a), so a match
    found in the folded text is mapped back through these spans rather than assumed to sit at the
    same indices. A base character is folded together with the combining marks that follow it, as
    NFKC composes them.
    """
    pieces, starts, ends = [], [], []
    i, n = 0, len(text)
    while i < n:
        # Fast path: a run of ASCII or CJK folds character for character (unless a combining mark
        # follows its last character: that one goes to the slow path with its mark).
        run = _ONE_TO_ONE.match(text, i)
        if run:
            j = run.end()
            if j < n and _is_combining(text[j]):
                j -= 1
            if j > i:
                pieces.append(text[i:j].lower())
                starts.extend(range(i, j))
                ends.extend(range(i + 1, j + 1))
                i = j
                continue
        j = i + 1
        while j < n and _is_combining(text[j]):
            j += 1
        piece = _fold_piece(text[i:j])
        pieces.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return "".join(pieces), starts, ends


_ONE_TO_ONE = re.compile(rf"[\x00-\x7f{_CJK}]+")
_fold_piece = lru_cache(maxsize=8192)(_normalise)
_is_combining = lru_cache(maxsize=8192)(unicodedata.combining)


def _marked_spans(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """(start, end) spans of the ORIGINAL text that match a token in its folded form."""
    folded, starts, ends = _fold_with_origins(text)
    found = []
    for token in tokens:
        if not token:
            continue
        start = folded.find(token)
        while start != -1:
            found.append((starts[start], ends[start + len(token) - 1]))
            start = folded.find(token, start + 1)
    spans: list[tuple[int, int]] = []
    for start, end in sorted(found):  # overlapping or touching matches merge into one span
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def highlight(text: str, tokens: list[str]) -> str:
    """HTML-escape the text, then wrap every matched token in <mark> (overlapping bigrams merge)."""
    text = text or ""
    out, pos = [], 0
    for start, end in _marked_spans(text, tokens):
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(text: str, tokens: list[str], *, width: int = 160) -> str:
    """A highlighted window of the text around its first match (escaped HTML)."""
    text = text or ""
    spans = _marked_spans(text, tokens)
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(text), start + width)
    piece = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return html.escape(prefix) + highlight(piece, tokens) + html.escape(suffix)


# --- Diffs --------------------------------------------------------------------------------------
def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A unified line diff as (kind, line) pairs, kind in {'add', 'del', 'hunk', 'same'} (escaped by the template)."""
    import difflib

    out: list[tuple[str, str]] = []
    lines = difflib.unified_diff((old or "").splitlines(), (new or "").splitlines(), lineterm="", n=2)
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            out.append(("hunk", line))
        elif line.startswith("+"):
            out.append(("add", line[1:]))
        elif line.startswith("-"):
            out.append(("del", line[1:]))
        else:
            out.append(("same", line[1:]))
    return out
