"""Reads for the knowledge base: who may see what, search (PostgreSQL and SQLite), suggestions."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Case, Exists, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Ln
from django.utils import timezone

from .models import Article, ArticleVersion
from .text import is_prefix_token, query_tokens, required_matches, tsquery_any, tsquery_at_least

# Columns a list never shows: the search columns are several times the size of the body.
LIST_DEFER = ("body", "body_html", "search_title", "search_body", "search_vector")
# Search results show a snippet of the body, so only the derived columns are left out there.
SEARCH_DEFER = ("body_html", "search_title", "search_body", "search_vector")
RANK_CANDIDATES = 400
SUGGESTION_CANDIDATES = 150  # five suggestions are wanted, fast: rank fewer candidates


# --- Who sees what ----------------------------------------------------------------------------------
def can_edit(user) -> bool:
    return user.is_authenticated and user.has_perm("knowledge.change_article")


def review_owner_for(owner):
    """Who reviews an owner's articles (issue 11: work goes to people who can do it): the owner while
    they are active and their role can edit articles; else the first active supervisor who can, else
    the first such manager; None when nobody can."""
    from django.contrib.auth import get_user_model

    if owner is not None and owner.is_active and can_edit(owner):
        return owner
    User = get_user_model()
    for role in ("supervisor", "manager"):
        for user in User.objects.filter(groups__name=role, is_active=True).order_by("pk")[:5]:
            if can_edit(user):
                return user
    return None


def articles_visible_to(user) -> QuerySet[Article]:
    """Staff readers see published articles (internal and public); writers also drafts and archive.

    Anonymous visitors never come through here: the FAQ uses faq_articles().
    """
    qs = Article.objects.all()
    if not (user.is_authenticated and user.has_perm("knowledge.view_article")):
        return qs.none()
    if not can_edit(user):
        qs = qs.filter(status=Article.Status.PUBLISHED)
    return qs


def faq_articles() -> QuerySet[Article]:
    """The public FAQ: published AND public. Nothing else is ever reachable without a login."""
    return Article.objects.filter(status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC)


def faq_categories() -> QuerySet:
    """Categories that have at least one FAQ article (an index probe per category, not a join)."""
    from .models import Category

    return Category.objects.filter(Exists(faq_articles().filter(category=OuterRef("pk"))))


# --- Search -------------------------------------------------------------------------------------
@dataclass
class SearchFilters:
    category: int | None = None
    product: str = ""
    visibility: str = ""
    status: str = ""


def _filtered(qs: QuerySet[Article], filters: SearchFilters | None) -> QuerySet[Article]:
    if filters is None:
        return qs
    if filters.category:
        qs = qs.filter(category_id=filters.category)
    if filters.product:
        qs = qs.filter(Q(product__iexact=filters.product) | Q(model__iexact=filters.product))
    if filters.visibility:
        qs = qs.filter(visibility=filters.visibility)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


def _solved_boost():
    # log growth: the 50th solved ticket adds less than the 5th; never outweighs a title match.
    return Value(0.05) * Ln(Cast(F("solved_count"), FloatField()) + Value(1.0))


Groups = list[tuple[list[str], int]]  # (tokens, how many of them must match); any group may match


def _search_postgres(qs, *, query: str, groups: Groups, model: str = "",
                     rank_tokens: list[str] | None = None, cap: int = RANK_CANDIDATES) -> QuerySet[Article]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity

    groups = [(tokens, m) for tokens, m in groups if tokens]
    raw = " | ".join(f"({tsquery_at_least(tokens, m)})" for tokens, m in groups)
    must = SearchQuery(raw, search_type="raw", config="simple")
    all_tokens = list(dict.fromkeys(t for tokens, _m in groups for t in tokens))
    anyq = SearchQuery(tsquery_any(rank_tokens or all_tokens), search_type="raw", config="simple")
    rank = SearchRank(F("search_vector"), anyq, normalization=Value(0)) + Value(0.5) * TrigramSimilarity("title", query)
    rank = rank + _solved_boost()
    if model:
        rank = rank + Case(When(model__iexact=model, then=Value(0.3)), default=Value(0.0), output_field=FloatField())
    # Ranking reads every candidate's vector; a one-word query can match thousands. Rank at most
    # RANK_CANDIDATES of them (taken straight from the GIN bitmap) so the time stays bounded.
    candidates = qs.filter(search_vector=must).order_by().values("pk")[:cap]
    return qs.filter(pk__in=Subquery(candidates)).annotate(rank=rank).order_by("-rank", "-solved_count", "-pk")


def _needle(token: str) -> str:
    # Columns are ' tok tok ': a prefix token matches the start of a token, others a whole token
    # (the same rule as the tsquery on PostgreSQL, text.is_prefix_token).
    return f" {token}" if is_prefix_token(token) else f" {token} "


def _search_sqlite(qs, *, groups: Groups, model: str = "",
                   rank_tokens: list[str] | None = None) -> QuerySet[Article]:
    """Fallback: substring tests on the tokenised columns; a token in the title counts 3, in the body 1.

    Written as SQL text with parameters, not as Case/When expressions: with 16 rank tokens Django
    spent ~10 ms building and compiling the expression tree for a query SQLite answers in well under
    one (issue 14: the ticket page's suggestions panel). instr() on the lower-cased ' tok tok '
    columns is the same test as the LIKE Django writes for `contains` (tokens are [0-9a-z]+ or CJK,
    lower case, so neither case folding nor LIKE's wildcards come into it)."""
    table = connection.ops.quote_name(Article._meta.db_table)
    title, body = f"{table}.{connection.ops.quote_name('search_title')}", f"{table}.{connection.ops.quote_name('search_body')}"
    groups = [(tokens, m) for tokens, m in groups if tokens]
    wanted, wanted_params = [], []
    for tokens, m in groups:
        hits = " + ".join(f"(instr({title}, %s) > 0 OR instr({body}, %s) > 0)" for _t in tokens)
        wanted.append(f"({hits}) >= %s")
        wanted_params += [*(n for t in tokens for n in (_needle(t), _needle(t))), m]
    all_tokens = list(dict.fromkeys(t for tokens, _m in groups for t in tokens))
    score = " + ".join(f"3 * (instr({title}, %s) > 0) + (instr({body}, %s) > 0)" for _t in rank_tokens or all_tokens)
    score_params = [n for t in rank_tokens or all_tokens for n in (_needle(t), _needle(t))]
    rank = RawSQL(f"CAST(({score or '0'}) AS REAL)", score_params, output_field=FloatField()) \
        + Cast(F("solved_count"), FloatField()) * Value(0.01)
    if model:
        rank = rank + Case(When(model__iexact=model, then=Value(2.0)), default=Value(0.0), output_field=FloatField())
    if wanted:
        qs = qs.filter(RawSQL(" OR ".join(wanted), wanted_params, output_field=BooleanField()))
    return qs.annotate(rank=rank).order_by("-rank", "-solved_count", "-pk")


def article_search(qs: QuerySet[Article], *, query: str, filters: SearchFilters | None = None) -> tuple[QuerySet[Article], list[str]]:
    """Rank the articles of `qs` that match most of the query's tokens; returns (queryset, tokens).

    PostgreSQL: a GIN-indexed full-text match on the bigram/word vector (title weight A, body B),
    ranked by ts_rank + trigram similarity of the title + log(solved tickets). SQLite: LIKE scoring.
    """
    qs = _filtered(qs, filters).select_related("category").defer(*SEARCH_DEFER)
    tokens = query_tokens(query)
    if not tokens:
        return qs.order_by("-updated_at", "-pk"), []
    m = required_matches(tokens)
    if connection.vendor == "postgresql":
        return _search_postgres(qs, query=query.strip()[:200], groups=[(tokens, m)]), tokens
    return _search_sqlite(qs, groups=[(tokens, m)]), tokens


def _ranked(qs, *, query: str, groups: Groups, rank_tokens: list[str], model: str):
    if connection.vendor == "postgresql":
        return _search_postgres(qs, query=query, groups=groups, model=model, rank_tokens=rank_tokens,
                                cap=SUGGESTION_CANDIDATES)
    return _search_sqlite(qs, groups=groups, model=model, rank_tokens=rank_tokens)


def ticket_suggestions(ticket, *, limit: int = 5) -> tuple[list[Article], list[str]]:
    """Published articles for a ticket, best first: at most `limit`, at most two indexed queries.

    First query: articles with most of the subject's words (what the customer said the problem
    is) OR most of the description's words; every token of subject, description and asset counts
    towards the rank, an article for the ticket's asset model ranks higher, and so do articles that
    solved more tickets. If that leaves places free, a second query fills them with articles
    written for the asset's product and model.
    """
    asset = getattr(ticket, "asset", None)
    model = ((asset.model if asset else "") or "").strip()
    product = ((asset.product if asset else "") or "").strip()
    subject = query_tokens(ticket.subject or "")
    description = [t for t in query_tokens((ticket.description or "")[:1000]) if t not in subject]
    asset_tokens = query_tokens(f"{product} {model}")
    rank_tokens = list(dict.fromkeys([*subject, *description, *asset_tokens]))[:16]
    qs = Article.objects.filter(status=Article.Status.PUBLISHED).defer(*LIST_DEFER)
    found: list[Article] = []
    for groups in (
        [(subject, required_matches(subject)), (description, required_matches(description))],
        [(asset_tokens, len(asset_tokens))],
    ):
        if len(found) >= limit or not any(tokens for tokens, _m in groups):
            continue
        tier = _ranked(qs.exclude(pk__in=[a.pk for a in found]), query=(ticket.subject or "")[:200], groups=groups,
                       rank_tokens=rank_tokens, model=model)
        found.extend(tier[: limit - len(found)])
    return found, rank_tokens


# --- Lists ------------------------------------------------------------------------------------------
def review_due(*, owner, today=None) -> QuerySet[Article]:
    today = today or timezone.localdate()
    return (
        Article.objects.filter(owner=owner, status=Article.Status.PUBLISHED, review_by__lt=today)
        .select_related("category")
        .defer(*LIST_DEFER)
        .order_by("review_by", "pk")
    )


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("changed_by").defer("body").order_by("-number")


def product_choices() -> list[str]:
    return list(
        Article.objects.exclude(product="").order_by("product").values_list("product", flat=True).distinct()[:100]
    )
