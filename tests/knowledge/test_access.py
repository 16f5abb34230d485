"""Who reaches which route: every knowledge route per role and anonymous, every kind of article on the FAQ."""
import pytest
from django.urls import reverse

from knowledge.models import Article

pytestmark = pytest.mark.django_db

STAFF_READERS = ["frontdesk", "technician", "agent", "supervisor", "manager"]
WRITERS = ["agent", "supervisor", "manager"]
ROLES = [None, "outsider", *STAFF_READERS]


@pytest.fixture
def articles(make_article):
    return {
        "public": make_article(title="Public published", visibility="public"),
        "internal": make_article(title="Internal published", visibility="internal"),
        "public_draft": make_article(title="Public draft", visibility="public", status="draft"),
        "internal_draft": make_article(title="Internal draft", visibility="internal", status="draft"),
        "public_archived": make_article(title="Public archived", visibility="public", status="archived"),
    }


def _expect(role, *, allowed: bool):
    if role is None:
        return 302  # → login
    return 200 if allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_read_routes(role, client_for, articles):
    client = client_for(role)
    pk = articles["internal"].pk
    allowed = role in STAFF_READERS
    for url in [reverse("knowledge:list"), reverse("knowledge:detail", args=[pk]),
                reverse("knowledge:history", args=[pk]), reverse("knowledge:version", args=[pk, 1])]:
        response = client.get(url)
        assert response.status_code == _expect(role, allowed=allowed), (role, url)
        if role is None:
            assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_write_routes(role, client_for, articles):
    client = client_for(role)
    pk = articles["internal"].pk
    allowed = role in WRITERS
    for url in [reverse("knowledge:create"), reverse("knowledge:edit", args=[pk]), reverse("knowledge:review")]:
        assert client.get(url).status_code == _expect(role, allowed=allowed), (role, url)
    # POST-only actions: readers are refused, writers redirect back to the article
    for url in [reverse("knowledge:status", args=[pk]), reverse("knowledge:restore", args=[pk, 1])]:
        response = client.post(url, {"to": "archived"})
        assert response.status_code == (302 if role is None or allowed else 403), (role, url)


@pytest.mark.parametrize("role", ["frontdesk", "technician"])
def test_readers_cannot_see_drafts_or_archive(role, client_for, articles):
    client = client_for(role)
    for key in ("public_draft", "internal_draft", "public_archived"):
        assert client.get(reverse("knowledge:detail", args=[articles[key].pk])).status_code == 404
    body = client.get(reverse("knowledge:list")).content.decode()
    assert "Internal published" in body and "Public draft" not in body and "Public archived" not in body


@pytest.mark.parametrize("role", WRITERS)
def test_writers_see_drafts(role, client_for, articles):
    client = client_for(role)
    assert client.get(reverse("knowledge:detail", args=[articles["internal_draft"].pk])).status_code == 200


@pytest.mark.parametrize("role", [None, "outsider", "technician", "agent"])
def test_faq_routes_show_only_public_published(role, client_for, articles):
    client = client_for(role)
    listing = client.get(reverse("knowledge:faq")).content.decode()
    for kind, article in articles.items():
        reachable = kind == "public"
        # detail
        assert client.get(reverse("knowledge:faq_detail", args=[article.pk])).status_code == (200 if reachable else 404)
        # vote
        response = client.post(reverse("knowledge:faq_vote", args=[article.pk]), {"helpful": "1"})
        assert response.status_code == (302 if reachable else 404), kind
        # list and search
        searched = client.get(reverse("knowledge:faq"), {"q": article.title}).content.decode()
        link = reverse("knowledge:faq_detail", args=[article.pk])
        assert (f'href="{link}"' in listing) is reachable, kind
        assert (f'href="{link}"' in searched) is reachable, kind


def test_faq_needs_no_login_and_switches_language(client, articles):
    # given an anonymous visitor
    response = client.get(reverse("knowledge:faq"))
    assert response.status_code == 200 and b"Frequently asked questions" in response.content
    # when they switch to Chinese
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("knowledge:faq")})
    response = client.get(reverse("knowledge:faq"))
    # then the page is in Chinese
    assert "常见问题" in response.content.decode()


@pytest.fixture
def ticket(customer_factory, personas):
    from tickets.services import ticket_create

    return ticket_create(customer=customer_factory(), kind="repair", subject="Public published",
                         created_by=personas.frontdesk)


@pytest.mark.parametrize("role,status", [
    (None, 302), ("outsider", 403), ("technician", 403), ("frontdesk", 200), ("agent", 200), ("supervisor", 200),
    ("manager", 200),
])
def test_ticket_panel(role, status, client_for, ticket, articles):
    response = client_for(role).get(reverse("knowledge:ticket_suggestions", args=[ticket.pk]))
    assert response.status_code == status
    if status == 200:
        assert reverse("knowledge:detail", args=[articles["public"].pk]) in response.content.decode()


@pytest.mark.parametrize("role,allowed", [
    (None, False), ("outsider", False), ("technician", False), ("frontdesk", False), ("agent", True),
    ("supervisor", True), ("manager", True),
])
def test_ticket_link_and_reply_permissions(role, allowed, client_for, ticket, articles):
    client = client_for(role)
    for name in ("ticket_link", "ticket_unlink", "ticket_reply"):
        response = client.post(reverse(f"knowledge:{name}", args=[ticket.pk]), {"article": articles["public"].pk},
                               HTTP_HX_REQUEST="true")
        if role is None:
            assert response.status_code == 302
        else:
            assert response.status_code == (200 if allowed else 403), (role, name)


def test_ticket_panel_include_lazy_loads(ticket, personas, rf):
    from django.template.loader import render_to_string
    from django.contrib.auth.context_processors import PermWrapper

    html = render_to_string("knowledge/_ticket_suggestions.html",
                            {"ticket": ticket, "user": personas.agent, "perms": PermWrapper(personas.agent)})
    assert 'hx-trigger="load"' in html
    assert reverse("knowledge:ticket_suggestions", args=[ticket.pk]) in html
    # a role without the knowledge base gets no panel at all
    assert "hx-get" not in render_to_string(
        "knowledge/_ticket_suggestions.html",
        {"ticket": ticket, "user": personas.outsider, "perms": PermWrapper(personas.outsider)},
    )


def test_status_change_is_refused_when_illegal(client_for, articles):
    client = client_for("agent")
    response = client.post(reverse("knowledge:status", args=[articles["internal_draft"].pk]), {"to": "archived"}, follow=True)
    assert "cannot go from" in response.content.decode()
    assert Article.objects.get(pk=articles["internal_draft"].pk).status == "draft"


def test_bad_input_gives_404_or_form_errors_never_500(client_for, ticket, articles):
    client = client_for("agent")
    for name in ("ticket_link", "ticket_unlink", "ticket_reply"):
        for value in ("abc", "", "-1", "99999999"):
            response = client.post(reverse(f"knowledge:{name}", args=[ticket.pk]), {"article": value})
            assert response.status_code == 404, (name, value)
    assert client.get(reverse("knowledge:list"), {"category": "x", "q": "a" * 500, "page": "zz"}).status_code == 200
    response = client.post(reverse("knowledge:status", args=[articles["public"].pk]), {"to": "bogus"}, follow=True)
    assert response.status_code == 200 and "Unknown status." in response.content.decode()
    assert client_for(None).get(reverse("knowledge:faq"), {"category": "x", "page": "-3"}).status_code == 200
