"""Solution links (solved N tickets), helpful votes with rate limits, weekly review reminders."""
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from knowledge.models import Article, ArticleTicketLink, ArticleVote, ReviewReminder
from knowledge.services import (
    article_link_ticket,
    article_send_as_reply,
    article_unlink_ticket,
    article_vote,
    review_reminders_send,
)
from servicedesk.models import Notification

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ticket(customer_factory, personas):
    from tickets.services import ticket_create

    return ticket_create(customer=customer_factory(), kind="repair", subject="Printer jams", created_by=personas.frontdesk)


@pytest.mark.django_db
def test_link_counts_once_per_ticket(make_article, ticket, personas):
    article = make_article()
    article_link_ticket(article=article, ticket=ticket, actor=personas.agent)
    with pytest.raises(ValidationError):
        article_link_ticket(article=article, ticket=ticket, actor=personas.agent2)
    article.refresh_from_db()
    assert article.solved_count == 1 and ArticleTicketLink.objects.count() == 1
    assert ticket.events.filter(kind="kb_linked").count() == 1
    # unlinking takes it back
    article_unlink_ticket(article=article, ticket=ticket, actor=personas.agent)
    article.refresh_from_db()
    assert article.solved_count == 0


@pytest.mark.django_db
def test_only_published_articles_can_be_linked(make_article, ticket, personas):
    with pytest.raises(ValidationError):
        article_link_ticket(article=make_article(status="draft"), ticket=ticket, actor=personas.agent)


@pytest.mark.django_db
def test_panel_link_then_article_shows_solved(client_for, make_article, ticket):
    article = make_article(title="Printer jams fix", body="Open the cover.")
    client = client_for("agent")
    html = client.post(reverse("knowledge:ticket_link", args=[ticket.pk]), {"article": article.pk},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "linked by" in html
    page = client.get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert "solved 1 ticket" in page


@pytest.mark.django_db
def test_send_public_version_as_reply(make_article, ticket, personas):
    from tickets.models import TicketReply

    article = make_article(title="Clear a paper jam", body="Open the **front** cover.")
    article_send_as_reply(article=article, ticket=ticket, actor=personas.agent)
    reply = TicketReply.objects.get(ticket=ticket)
    assert reply.public and "Clear a paper jam" in reply.body
    with pytest.raises(ValidationError):
        article_send_as_reply(article=make_article(visibility="internal"), ticket=ticket, actor=personas.agent)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_links_count_exactly(make_article, customer_factory, personas):
    from tickets.services import ticket_create

    # given one article and 8 tickets linked at the same moment by 8 threads
    article = make_article()
    customer = customer_factory()
    tickets = [ticket_create(customer=customer, kind="repair", subject=f"T{i}", created_by=personas.frontdesk)
               for i in range(8)]
    agent = personas.agent
    barrier = threading.Barrier(len(tickets) * 2)
    errors = []

    def work(t):
        try:
            barrier.wait()
            article_link_ticket(article=article, ticket=t, actor=agent)
        except ValidationError:
            pass  # the duplicate of the same pair
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(t,)) for t in tickets for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # then every ticket counted once, the counter agrees with the rows
    assert not errors
    article.refresh_from_db()
    assert article.solved_count == ArticleTicketLink.objects.filter(article=article).count() == 8


@pytest.mark.django_db
def test_staff_vote_is_one_per_user_and_can_change(make_article, personas):
    article = make_article()
    article_vote(article=article, helpful=True, user=personas.agent)
    assert article_vote(article=article, helpful=True, user=personas.agent) is None  # same again: nothing
    article_vote(article=article, helpful=False, user=personas.agent)  # changed their mind
    article_vote(article=article, helpful=True, user=personas.frontdesk)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)
    assert ArticleVote.objects.filter(article=article).count() == 2


@pytest.mark.django_db
def test_public_votes_are_rate_limited_per_ip_per_day(make_article):
    article = make_article()
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=TZ), tick=False):
        article_vote(article=article, helpful=True, ip="10.0.0.1")
        with pytest.raises(ValidationError):
            article_vote(article=article, helpful=False, ip="10.0.0.1")
        article_vote(article=article, helpful=True, ip="10.0.0.2")  # another reader
    with time_machine.travel(datetime(2026, 11, 24, 10, tzinfo=TZ), tick=False):
        article_vote(article=article, helpful=True, ip="10.0.0.1")  # the next day counts again
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (3, 0)


@pytest.mark.django_db
def test_vote_counts_shown_to_author_not_to_readers(client_for, make_article, personas):
    article = make_article(author=personas.agent)
    client = client_for(None)
    client.post(reverse("knowledge:faq_vote", args=[article.pk]), {"helpful": "1"})
    again = client.post(reverse("knowledge:faq_vote", args=[article.pk]), {"helpful": "1"}, follow=True)
    assert "already counted" in again.content.decode()
    article.refresh_from_db()
    assert article.helpful_count == 1
    assert 'id="kb-votes"' in client_for("agent").get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert 'id="kb-votes"' not in client_for("frontdesk").get(reverse("knowledge:detail", args=[article.pk])).content.decode()
    assert 'kb-votes' not in client_for(None).get(reverse("knowledge:faq_detail", args=[article.pk])).content.decode()


@pytest.mark.django_db
def test_review_list_shows_my_overdue_articles(client_for, make_article, personas):
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=TZ), tick=False):
        mine = make_article(title="Mine overdue", review_by=date(2026, 11, 1), owner=personas.agent)
        make_article(title="Mine later", review_by=date(2026, 12, 1), owner=personas.agent)
        make_article(title="Someone else", review_by=date(2026, 11, 1), owner=personas.supervisor)
        html = client_for("agent").get(reverse("knowledge:review")).content.decode()
    assert mine.title in html and "Mine later" not in html and "Someone else" not in html


@pytest.mark.django_db
def test_weekly_reminder_is_sent_once_per_article_per_week(make_article, personas):
    # given two overdue articles of one owner and one of another
    make_article(title="A", review_by=date(2026, 11, 1), owner=personas.agent)
    make_article(title="B", review_by=date(2026, 11, 10), owner=personas.agent)
    make_article(title="C", review_by=date(2026, 11, 10), owner=personas.supervisor)
    make_article(title="Not yet", review_by=date(2026, 12, 10), owner=personas.supervisor)
    monday = datetime(2026, 11, 23, 9, tzinfo=TZ)
    # when the sweep runs on Monday, again on Wednesday (same week), then the next Monday
    with time_machine.travel(monday, tick=False):
        from knowledge.tasks import review_reminders_send as task

        assert task.delay().get() == 3
    assert review_reminders_send(now=datetime(2026, 11, 25, 9, tzinfo=TZ)) == 0
    assert review_reminders_send(now=datetime(2026, 11, 30, 9, tzinfo=TZ)) == 3
    # then one notification per owner per week, one reminder row per article per week
    assert Notification.objects.filter(recipient=personas.agent).count() == 2
    assert Notification.objects.filter(recipient=personas.supervisor).count() == 2
    assert "2 knowledge articles" in Notification.objects.filter(recipient=personas.agent).first().message
    assert ReviewReminder.objects.count() == 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_sweeps_remind_once(make_article, personas):
    for i in range(6):
        make_article(title=f"Old {i}", review_by=date(2026, 11, 1), owner=personas.agent)
    now = datetime(2026, 11, 23, 9, tzinfo=TZ)
    results, barrier = [], threading.Barrier(3)

    def work():
        try:
            barrier.wait()
            results.append(review_reminders_send(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(results) == 6
    assert ReviewReminder.objects.count() == 6
    total = sum(int(m.split()[0]) for m in Notification.objects.values_list("message", flat=True))
    assert total == 6


@pytest.mark.parametrize("leaves", ["deactivated", "front desk"])
def test_review_reminder_for_an_owner_who_left_goes_to_a_supervisor_who_then_sees_the_articles(leaves, personas,
                                                                                              client_for, make_article):
    """Work goes to people who can do it (issue 11): an owner who can no longer edit articles is not
    reminded; the first supervisor gets the articles, the reminder, and a review page that lists them."""
    from django.contrib.auth.models import Group

    from knowledge.models import ArticleEvent

    owner, supervisor = personas.agent, personas.supervisor  # (personas are made when first used)
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=TZ), tick=False):
        article = make_article(title="Reset the dryer", review_by=date(2026, 11, 1), owner=owner)
    if leaves == "deactivated":
        owner.is_active = False
        owner.save(update_fields=["is_active"])
    else:
        owner.groups.set([Group.objects.get(name="frontdesk")])
    assert review_reminders_send(now=datetime(2026, 11, 23, 9, tzinfo=TZ)) == 1
    article.refresh_from_db()
    assert article.owner == personas.supervisor
    assert ArticleEvent.objects.filter(article=article, kind="owner", before=owner.username,
                                       after=personas.supervisor.username).exists()
    assert not Notification.objects.filter(recipient=owner).exists()
    note = Notification.objects.get(recipient=personas.supervisor, kind="knowledge_review")
    response = client_for("supervisor").get(note.url)
    assert response.status_code == 200 and "Reset the dryer" in response.content.decode()
