"""Writes for the knowledge base (domain.md §7). Every save keeps a version; transitions are services."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext
from django.utils.translation import ngettext_lazy

from .selectors import review_owner_for
from .models import Article, ArticleEvent, ArticleTicketLink, ArticleVersion, ArticleVote, Category, ReviewReminder, Tag
from .text import index_text, plain_text, render_markdown

TRANSITIONS = {
    Article.Status.DRAFT: {Article.Status.PUBLISHED},
    Article.Status.PUBLISHED: {Article.Status.ARCHIVED},
    # An archived article goes back to draft to be revised before it is published again.
    Article.Status.ARCHIVED: {Article.Status.DRAFT},
}

VOTE_WINDOW_SECONDS = 24 * 3600


@dataclass
class ArticleInput:
    title: str
    body: str
    category: Category | None = None
    tags: list[str] | None = None
    product: str = ""
    model: str = ""
    visibility: str = Article.Visibility.INTERNAL
    review_by: date | None = None
    owner: object | None = None


def _tag_names(raw: list[str] | None) -> list[str]:
    names: dict[str, None] = {}
    for name in raw or []:
        name = name.strip()[:50]
        if name:
            names.setdefault(name, None)
    return list(names)


def _apply(article: Article, data: ArticleInput, tag_names: list[str]) -> None:
    article.title = data.title.strip()
    article.body = data.body
    article.category = data.category
    article.product = data.product.strip()
    article.model = data.model.strip()
    article.visibility = data.visibility
    article.review_by = data.review_by
    if data.owner is not None:
        article.owner = data.owner
    article.body_html = render_markdown(article.body)
    # Title, product, model and tags rank as the title (weight A); the body as B.
    article.search_title = index_text(article.title, article.product, article.model, " ".join(tag_names))
    article.search_body = index_text(plain_text(article.body))


def _snapshot(*, article: Article, actor, note: str, now: datetime) -> ArticleVersion:
    article.version = F("version") + 1
    article.save(update_fields=["version"])
    article.refresh_from_db(fields=["version"])
    return ArticleVersion.objects.create(
        article=article, number=article.version, title=article.title, body=article.body,
        changed_by=actor, change_note=note[:300], created_at=now,
    )


def _event(*, article: Article, actor, kind: str, now: datetime, before: str = "", after: str = "") -> None:
    ArticleEvent.objects.create(article=article, actor=actor, kind=kind, before=before, after=after, created_at=now)


def article_create(*, data: ArticleInput, author, now: datetime | None = None, note: str = "") -> Article:
    """A new article starts as a draft owned by its author unless another owner is named; version 1 is kept."""
    now = now or timezone.now()
    tag_names = _tag_names(data.tags)
    with transaction.atomic():
        article = Article(author=author, owner=data.owner or author, status=Article.Status.DRAFT)
        _apply(article, data, tag_names)
        article.full_clean(exclude=["search_vector"])
        article.save()
        _set_tags(article, tag_names)
        _snapshot(article=article, actor=author, note=note or pgettext("version note", "Created"), now=now)
        _event(article=article, actor=author, kind="created", now=now, after=article.status)
    return article


def _set_tags(article: Article, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    article.tags.set([existing[n] for n in names])


def article_update(*, article: Article, data: ArticleInput, actor, note: str = "", now: datetime | None = None) -> Article:
    """Save changes and keep a new version (who, when, title/body, change note)."""
    now = now or timezone.now()
    tag_names = _tag_names(data.tags)
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        _apply(article, data, tag_names)
        article.full_clean(exclude=["search_vector"])
        article.save()
        _set_tags(article, tag_names)
        _snapshot(article=article, actor=actor, note=note, now=now)
    return article


def article_restore_version(*, article: Article, version: ArticleVersion, actor, now: datetime | None = None) -> Article:
    """Bring back an old title and body. Restoring is itself a change, so it makes a new version."""
    if version.article_id != article.pk:
        raise ValidationError(_("That version belongs to another article."), code="version_article")
    data = ArticleInput(
        title=version.title,
        body=version.body,
        category=article.category,
        tags=list(article.tags.values_list("name", flat=True)),
        product=article.product,
        model=article.model,
        visibility=article.visibility,
        review_by=article.review_by,
    )
    note = _("Restored version %(number)s") % {"number": version.number}
    return article_update(article=article, data=data, actor=actor, note=note, now=now)


def article_transition(*, article: Article, to_status: str, actor, now: datetime | None = None) -> Article:
    """draft → published → archived (→ draft to revise). An illegal move is refused with a message."""
    now = now or timezone.now()
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        before = article.status
        if to_status not in TRANSITIONS.get(before, set()):
            raise ValidationError(
                _("An article cannot go from %(before)s to %(after)s.")
                % {"before": Article.Status(before).label, "after": Article.Status(to_status).label},
                code="illegal_transition",
            )
        article.status = to_status
        fields = ["status", "updated_at"]
        if to_status == Article.Status.PUBLISHED:
            article.published_at = now
            fields.append("published_at")
        article.save(update_fields=fields)
        _event(article=article, actor=actor, kind="status", now=now, before=before, after=to_status)
    return article


def article_publish(*, article: Article, actor, now: datetime | None = None) -> Article:
    return article_transition(article=article, to_status=Article.Status.PUBLISHED, actor=actor, now=now)


def article_archive(*, article: Article, actor, now: datetime | None = None) -> Article:
    return article_transition(article=article, to_status=Article.Status.ARCHIVED, actor=actor, now=now)


def article_link_ticket(*, article: Article, ticket, actor, now: datetime | None = None) -> ArticleTicketLink:
    """Record that the article solved the ticket; "solved N tickets" goes up by one, once per pair."""
    now = now or timezone.now()
    if article.status != Article.Status.PUBLISHED:
        raise ValidationError(_("Only published articles can be linked as a solution."), code="not_published")
    try:
        with transaction.atomic():
            link = ArticleTicketLink.objects.create(article=article, ticket=ticket, linked_by=actor, created_at=now)
            Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
            _ticket_event(ticket=ticket, actor=actor, kind="kb_linked", now=now, article=article)
    except IntegrityError:
        raise ValidationError(_("This article is already linked to this ticket."), code="already_linked") from None
    return link


def article_unlink_ticket(*, article: Article, ticket, actor, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        deleted, _rows = ArticleTicketLink.objects.filter(article=article, ticket=ticket).delete()
        if deleted:
            Article.objects.filter(pk=article.pk, solved_count__gt=0).update(solved_count=F("solved_count") - 1)
            _ticket_event(ticket=ticket, actor=actor, kind="kb_unlinked", now=now, article=article)


def _ticket_event(*, ticket, actor, kind: str, now: datetime, article: Article) -> None:
    from tickets.services import event_record

    event_record(ticket=ticket, actor=actor, kind=kind, now=now, after={"article": article.pk, "title": article.title},
                 message=article.title)


def article_send_as_reply(*, article: Article, ticket, actor, now: datetime | None = None, client_token: str | None = None):
    """Send the public version of an article to the customer as a public reply on the ticket."""
    if not article.is_public_faq:
        raise ValidationError(_("Only published public articles can be sent to a customer."), code="not_public")
    from tickets import services as ticket_services

    if not hasattr(ticket_services, "ticket_reply"):
        raise ValidationError(_("Replies are not available yet."), code="no_replies")
    body = f"{article.title}\n\n{article.body}"
    return ticket_services.ticket_reply(
        ticket=ticket, author=actor, body=body, public=True, now=now, client_token=client_token
    )


def _vote_rate_key(*, article_id: int, ip: str, day: date) -> str:
    digest = hashlib.sha256(f"{ip}".encode()).hexdigest()[:16]
    return f"kb:vote:{article_id}:{digest}:{day.isoformat()}"


def article_vote(*, article: Article, helpful: bool, user=None, ip: str = "", now: datetime | None = None) -> ArticleVote | None:
    """Helpful / not helpful. Staff: one vote each (a second vote changes it). Public: one per IP per day.

    Returns None when the vote did not count (same vote again). Raises ValidationError when
    rate-limited.
    """
    now = now or timezone.now()
    if user is not None and user.is_authenticated:
        with transaction.atomic():
            existing = ArticleVote.objects.select_for_update().filter(article=article, user=user).first()
            if existing is not None:
                if existing.helpful == helpful:
                    return None
                existing.helpful = helpful
                existing.created_at = now
                existing.save(update_fields=["helpful", "created_at"])
                delta = {"helpful_count": F("helpful_count") + (1 if helpful else -1),
                         "not_helpful_count": F("not_helpful_count") + (-1 if helpful else 1)}
                Article.objects.filter(pk=article.pk).update(**delta)
                return existing
            try:
                with transaction.atomic():
                    vote = ArticleVote.objects.create(article=article, user=user, helpful=helpful, created_at=now)
            except IntegrityError:  # a double-click raced us: the first vote stands
                return None
            _count_vote(article, helpful)
            return vote
    key = _vote_rate_key(article_id=article.pk, ip=ip or "unknown", day=timezone.localdate(now))
    if not cache.add(key, 1, VOTE_WINDOW_SECONDS):
        raise ValidationError(_("Thank you, your vote for this article was already counted today."), code="rate_limited")
    with transaction.atomic():
        vote = ArticleVote.objects.create(article=article, user=None, helpful=helpful, created_at=now)
        _count_vote(article, helpful)
    return vote


def _count_vote(article: Article, helpful: bool) -> None:
    field = "helpful_count" if helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def review_reminders_send(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Tell each owner which of their published articles are past their review-by date.

    Exactly once per article per week: a ReviewReminder row per (article, week) under a unique
    constraint, written in the same transaction as the owner's notification. Returns how many
    articles were included in reminders.
    """
    from servicedesk.once import insert_new
    from servicedesk.services import notify

    now = now or timezone.now()
    today = timezone.localdate(now)
    week = week_start(today)
    due = (
        Article.objects.filter(status=Article.Status.PUBLISHED, review_by__lt=today)
        .exclude(review_reminders__week=week)
        .order_by("owner_id", "review_by", "pk")
        .values_list("pk", "owner_id")
    )
    by_owner: dict[int, list[int]] = {}
    for pk, owner_id in due[:batch_size]:
        by_owner.setdefault(owner_id, []).append(pk)
    sent = 0
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk(list(by_owner))
    for owner_id, article_ids in by_owner.items():
        reviewer = review_owner_for(users[owner_id])
        if reviewer is None:  # nobody in the department can edit articles: nothing to remind
            continue
        with transaction.atomic():
            if reviewer.pk != owner_id:
                # The owner left the desk (deactivated, or a role that cannot edit): the articles pass to
                # the reviewer, so the review page the reminder links to lists them.
                Article.objects.filter(pk__in=article_ids, owner_id=owner_id).update(owner=reviewer)
                ArticleEvent.objects.bulk_create(
                    ArticleEvent(article_id=pk, actor=None, kind="owner", before=users[owner_id].get_username()[:50],
                                 after=reviewer.get_username()[:50], created_at=now) for pk in article_ids)
            # One INSERT; the unique (article, week) constraint decides, row by row only after a race.
            mine = len(insert_new(ReviewReminder, [
                ReviewReminder(article_id=pk, week=week, owner_id=reviewer.pk, created_at=now) for pk in article_ids]))
            if not mine:
                continue
            # Lazy: rendered in the owner's language (servicedesk.preferences), not the sweep's.
            message = ngettext_lazy(
                "%(count)d knowledge article is past its review date.",
                "%(count)d knowledge articles are past their review date.",
                "count",
            )
            notify(recipient=reviewer, message=message, params={"count": mine}, url=reverse("knowledge:review"),
                   email=True, kind="knowledge_review", group="knowledge:review")
            sent += mine
    return sent
