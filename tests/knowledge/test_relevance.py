"""Search relevance and ticket suggestions on the fixed bilingual set: the expected article is in the top 3."""
import pytest

from knowledge.models import Article
from knowledge.selectors import article_search, articles_visible_to, faq_articles, ticket_suggestions

pytestmark = pytest.mark.django_db


def _titles(qs):
    return [a.title for a in qs[:3]]


def test_at_least_fifteen_pairs(search_cases, suggestion_cases):
    assert len(search_cases) >= 15 and len(suggestion_cases) >= 5


def test_every_query_finds_its_article_in_the_top_three(kb_fixture, personas, search_cases):
    # given the fixed set, all published; a staff reader
    qs = articles_visible_to(personas.agent)
    failures = []
    for query, key in search_cases:
        # when
        results, tokens = article_search(qs, query=query)
        top = _titles(results)
        # then
        if kb_fixture[key].title not in top:
            failures.append((query, kb_fixture[key].title, top, tokens))
    assert not failures, failures


def test_chinese_without_spaces_is_found(kb_fixture, personas):
    results, _tokens = article_search(articles_visible_to(personas.agent), query="打印机卡纸")
    assert results[0].title == "打印机经常卡纸怎么办"


def test_unrelated_query_finds_nothing(kb_fixture, personas):
    results, _tokens = article_search(articles_visible_to(personas.agent), query="量子计算机 blockchain")
    assert list(results) == []


def test_faq_search_never_returns_internal_articles(kb_fixture):
    results, _tokens = article_search(faq_articles(), query="电梯困人")
    assert all(a.visibility == Article.Visibility.PUBLIC for a in results)
    assert kb_fixture["elevator_trapped_zh"].pk not in [a.pk for a in results]


def test_solved_count_ranks_an_article_up(kb_fixture, personas):
    # given several articles that match the model code about equally
    qs = articles_visible_to(personas.agent)
    results, _ = article_search(qs, query="LJ-2200")
    before = [a.pk for a in results]
    target = Article.objects.get(pk=before[-1])  # the lowest-ranked of the LJ-2200 articles
    Article.objects.filter(pk=target.pk).update(solved_count=40)
    # when
    results, _ = article_search(qs, query="LJ-2200")
    after = [a.pk for a in results]
    # then it moved up
    assert after.index(target.pk) < before.index(target.pk)


def test_suggestions_on_the_fixture(kb_fixture, customer_factory, personas, suggestion_cases):
    from customers.models import Asset
    from tickets.services import ticket_create

    customer = customer_factory()
    failures = []
    for (subject, description, product, model), key in suggestion_cases:
        asset = Asset.objects.create(customer=customer, product=product, model=model)
        ticket = ticket_create(customer=customer, kind="repair", subject=subject, description=description,
                               asset=asset, created_by=personas.frontdesk)
        suggestions, _tokens = ticket_suggestions(ticket)
        top = [a.title for a in suggestions[:3]]
        if kb_fixture[key].title not in top:
            failures.append((subject, kb_fixture[key].title, top))
        assert len(suggestions) <= 5
    assert not failures, failures


def test_single_chinese_character_and_model_number(kb_fixture, personas):
    qs = articles_visible_to(personas.agent)
    results, _ = article_search(qs, query="梯")  # one character: the start of a bigram (梯困…)
    assert kb_fixture["elevator_trapped_zh"].pk in [a.pk for a in results]
    results, _ = article_search(qs, query="BCD-450")
    assert results[0].pk == kb_fixture["fridge_en"].pk
