import pytest
from django.core.cache import cache

from knowledge.models import Article, Category
from knowledge.services import ArticleInput, article_create, article_publish

from kb_fixture_articles import ARTICLES


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Personas are created per test; the production hasher would spend most of the suite hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Vote rate limits live in the cache (a file cache in development): start every test empty.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_article(personas):
    """make_article(title=..., status='published', visibility='public', ...) through the services."""

    def _make(*, title="How to reset the printer", body="Hold the **power** button for 10 seconds.",
              status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC, author=None, category=None,
              tags=None, product="", model="", review_by=None, owner=None, now=None):
        author = author or personas.agent
        article = article_create(
            data=ArticleInput(title=title, body=body, category=category, tags=tags, product=product, model=model,
                              visibility=visibility, review_by=review_by, owner=owner),
            author=author, now=now,
        )
        if status in (Article.Status.PUBLISHED, Article.Status.ARCHIVED):
            article = article_publish(article=article, actor=author, now=now)
        if status == Article.Status.ARCHIVED:
            from knowledge.services import article_archive

            article = article_archive(article=article, actor=author, now=now)
        return article

    return _make


@pytest.fixture
def kb_fixture(make_article):
    """The fixed bilingual set (tests/knowledge/fixture_articles.py), every article published."""
    categories = {}
    out = {}
    for key, spec in ARTICLES.items():
        spec = dict(spec)
        name = spec.pop("category")
        if name not in categories:
            categories[name] = Category.objects.create(name=name)
        out[key] = make_article(category=categories[name], **spec)
    return out
