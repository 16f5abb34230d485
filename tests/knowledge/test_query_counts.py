"""Fixed query counts: the same bound with 1 and with many articles, links and tags."""
import pytest
from django.urls import reverse

from knowledge.models import Category
from knowledge.services import article_link_ticket, article_vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer_factory, personas):
    from customers.models import Asset
    from tickets.services import ticket_create

    customer = customer_factory()
    asset = Asset.objects.create(customer=customer, product="Printer", model="LJ-2200")
    return ticket_create(customer=customer, kind="repair", subject="Printer paper jam", description="jams daily",
                         asset=asset, created_by=personas.frontdesk)


def _fill(make_article, n, ticket=None, personas=None):
    cat = Category.objects.create(name=f"Printers {n}")
    for i in range(n):
        a = make_article(title=f"Printer paper jam fix {i}", body="Open the cover and pull the paper jam out.",
                         category=cat, tags=["printer", f"t{i}"], product="Printer", model="LJ-2200")
        if ticket is not None:
            article_link_ticket(article=a, ticket=ticket, actor=personas.agent)
            article_vote(article=a, helpful=True, user=personas.agent)


@pytest.mark.parametrize("n", [1, 12])
@pytest.mark.parametrize("url_name,params,role,bound", [
    ("knowledge:list", {}, "agent", 10),
    ("knowledge:list", {"q": "printer jam", "category": "", "visibility": "public"}, "agent", 10),
    # the public FAQ: +1 for the public-pages settings row (name, hotline) when it is not cached yet
    ("knowledge:faq", {}, None, 6 + 1),
    ("knowledge:faq", {"q": "打印机 paper jam"}, None, 6 + 1),
    ("knowledge:review", {}, "agent", 8),
])
def test_list_pages(n, url_name, params, role, bound, client_for, make_article, django_assert_max_num_queries):
    _fill(make_article, n)
    client = client_for(role)
    with django_assert_max_num_queries(bound):
        response = client.get(reverse(url_name), params)
    assert response.status_code == 200


@pytest.mark.parametrize("n", [1, 12])
def test_suggestions_panel(n, client_for, make_article, ticket, personas, django_assert_max_num_queries):
    _fill(make_article, n, ticket=ticket, personas=personas)
    client = client_for("agent")
    # session, user, permissions, ticket, links + at most two suggestion queries (selectors.ticket_suggestions)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("knowledge:ticket_suggestions", args=[ticket.pk]))
    assert response.status_code == 200 and "Printer paper jam fix" in response.content.decode()


@pytest.mark.parametrize("n", [1, 12])
def test_detail_and_history(n, client_for, make_article, ticket, personas, django_assert_max_num_queries):
    _fill(make_article, n, ticket=ticket, personas=personas)
    from knowledge.models import Article

    article = Article.objects.order_by("pk").first()
    client = client_for("agent")
    for url in (reverse("knowledge:detail", args=[article.pk]), reverse("knowledge:history", args=[article.pk]),
                reverse("knowledge:faq_detail", args=[article.pk])):
        with django_assert_max_num_queries(10):  # 6 are the layout's (session, user, perms, bell)
            assert client.get(url).status_code == 200
