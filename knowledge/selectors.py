"""Reads for the knowledge base: who may see what, search (PostgreSQL and SQLite), suggestions."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Ln
from django.utils import timezone

from .models import Article, ArticleVersion
from .text import query_tokens, required_matches, tsquery_any, tsquery_at_least

# Columns a list never shows: the search columns are several times the size of the body.
LIST_DEFER = ("body", "body_html", "search_title", "search_body", "search_vector")


# --- Who sees what ----------------------------------------------------------------------------------
def can_edit(user) -> bool:
    return user.is_authenticated and user.has_perm("knowledge.change_article")


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


def _search_postgres(qs, *, query: str, tokens: list[str], m: int, model: str = "") -> QuerySet[Article]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity

    must = SearchQuery(tsquery_at_least(tokens, m), search_type="raw", config="simple")
    anyq = SearchQuery(tsquery_any(tokens), search_type="raw", config="simple")
    rank = SearchRank(F("search_vector"), anyq, normalization=Value(0)) + Value(0.5) * TrigramSimilarity("title", query)
    rank = rank + _solved_boost()
    if model:
        rank = rank + Case(When(model__iexact=model, then=Value(0.3)), default=Value(0.0), output_field=FloatField())
    return qs.filter(search_vector=must).annotate(rank=rank).order_by("-rank", "-solved_count", "-pk")


def _search_sqlite(qs, *, tokens: list[str], m: int, model: str = "") -> QuerySet[Article]:
    """Fallback: LIKE on the tokenised columns; a token in the title counts 3, in the body 1."""
    matched, score = Value(0), Value(0)
    for token in tokens:
        needle = f" {token}" if token.isascii() else f" {token} "
        in_title, in_body = Q(search_title__contains=needle), Q(search_body__contains=needle)
        matched = matched + Case(When(in_title | in_body, then=Value(1)), default=Value(0), output_field=IntegerField())
        score = score + Case(When(in_title, then=Value(3)), default=Value(0), output_field=IntegerField())
        score = score + Case(When(in_body, then=Value(1)), default=Value(0), output_field=IntegerField())
    rank = Cast(score, FloatField()) + Cast(F("solved_count"), FloatField()) * Value(0.01)
    if model:
        rank = rank + Case(When(model__iexact=model, then=Value(2.0)), default=Value(0.0), output_field=FloatField())
    return qs.alias(matched=matched).filter(matched__gte=m).annotate(rank=rank).order_by("-rank", "-solved_count", "-pk")


def article_search(qs: QuerySet[Article], *, query: str, filters: SearchFilters | None = None) -> tuple[QuerySet[Article], list[str]]:
    """Rank the articles of `qs` that match most of the query's tokens; returns (queryset, tokens).

    PostgreSQL: a GIN-indexed full-text match on the bigram/word vector (title weight A, body B),
    ranked by ts_rank + trigram similarity of the title + log(solved tickets). SQLite: LIKE scoring.
    """
    qs = _filtered(qs, filters).select_related("category").defer(*LIST_DEFER)
    tokens = query_tokens(query)
    if not tokens:
        return qs.order_by("-updated_at", "-pk"), []
    m = required_matches(len(tokens))
    if connection.vendor == "postgresql":
        return _search_postgres(qs, query=query.strip()[:200], tokens=tokens, m=m), tokens
    return _search_sqlite(qs, tokens=tokens, m=m), tokens


def ticket_suggestions(ticket, *, limit: int = 5) -> tuple[list[Article], list[str]]:
    """Published articles that match the ticket's subject, description and asset model (top `limit`).

    The subject's tokens come first (they are what the customer said the problem is); an article
    needs two of them (one if the ticket has a single meaningful token), and one written for the
    ticket's asset model ranks higher.
    """
    asset = getattr(ticket, "asset", None)
    model = (asset.model if asset else "") or ""
    product = (asset.product if asset else "") or ""
    text = " ".join([ticket.subject or "", model, product, (ticket.description or "")[:500]])
    tokens = query_tokens(text, limit=12)
    qs = Article.objects.filter(status=Article.Status.PUBLISHED).defer(*LIST_DEFER)
    if not tokens:
        return [], []
    m = min(2, len(tokens))
    if connection.vendor == "postgresql":
        qs = _search_postgres(qs, query=(ticket.subject or "")[:200], tokens=tokens, m=m, model=model)
    else:
        qs = _search_sqlite(qs, tokens=tokens, m=m, model=model)
    return list(qs[:limit]), tokens


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
