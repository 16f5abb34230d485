"""Knowledge base (domain.md §7): articles with versions, links to the tickets they solved, votes, reminders."""
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Func
from django.utils.translation import gettext_lazy as _

from servicedesk.models import TimeStampedModel


class SearchDocument(Func):
    """The weighted search vector of an article, computed by the database from its tokenised columns.

    PostgreSQL: setweight(to_tsvector('simple', search_title), 'A') || setweight(..., search_body, 'B').
    The 'simple' configuration does no stemming, which is what both languages need here: the
    columns already hold lower-cased English words and overlapping Chinese character bigrams
    (knowledge.text.index_tokens), so Chinese without spaces becomes searchable words.
    SQLite has no tsvector: the column is an empty string there and search falls back to LIKE.
    """

    arity = 2
    output_field = SearchVectorField()

    def as_sql(self, compiler, connection, **extra):
        return "''", []

    def as_postgresql(self, compiler, connection, **extra):
        title_sql, title_params = compiler.compile(self.source_expressions[0])
        body_sql, body_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"(setweight(to_tsvector('simple'::regconfig, COALESCE({title_sql}, '')), 'A') || "
            f"setweight(to_tsvector('simple'::regconfig, COALESCE({body_sql}, '')), 'B'))"
        )
        return sql, [*title_params, *body_params]


class Category(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Article(TimeStampedModel):
    """An answer or procedure. Writes go through knowledge.services (versions, events, search columns)."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), max_length=50000, help_text=_("Markdown: **bold**, lists, links, tables."))
    body_html = models.TextField(_("rendered body"), editable=False, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    product = models.CharField(_("product"), max_length=120, blank=True)
    model = models.CharField(_("model"), max_length=120, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_by = models.DateField(_("review by"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="kb_authored"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="kb_owned"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    # Denormalised counters, changed only with F() inside the transaction that writes the row behind them.
    solved_count = models.PositiveIntegerField(_("solved tickets"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful votes"), default=0)

    # Search: tokenised text maintained by the services, and the vector the database derives from it.
    search_title = models.TextField(editable=False, blank=True)
    search_body = models.TextField(editable=False, blank=True)
    search_vector = models.GeneratedField(
        expression=SearchDocument("search_title", "search_body"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("publish_article", _("Can publish and archive articles")),
            ("link_article", _("Can link articles to tickets and send them as replies")),
        ]
        indexes = [
            models.Index(fields=["status", "visibility", "-updated_at"], name="kb_article_status_idx"),
            models.Index(fields=["category", "status"], name="kb_article_category_idx"),
            models.Index(fields=["model"], name="kb_article_model_idx"),
            # The review list and the weekly reminder read only published rows that are due.
            models.Index(
                fields=["owner", "review_by"],
                condition=models.Q(status="published", review_by__isnull=False),
                name="kb_article_review_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(visibility__in=["internal", "public"]), name="kb_article_visibility_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "archived"]), name="kb_article_status_valid"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_public_faq(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility == self.Visibility.PUBLIC


class ArticleVersion(models.Model):
    """A snapshot taken on every save: who, when, what the title and body were, and why."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article"))
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    change_note = models.CharField(_("change note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        ordering = ["-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_article_number_uniq")]

    def __str__(self):
        return f"{self.article_id} v{self.number}"


class ArticleEvent(models.Model):
    """Status changes and other actions on an article: who, what, when, before → after."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=30)
    before = models.CharField(_("before"), max_length=50, blank=True)
    after = models.CharField(_("after"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["article", "created_at"], name="kb_event_article_idx")]

    def __str__(self):
        return f"{self.article_id} {self.kind}"


class ArticleTicketLink(models.Model):
    """This article solved this ticket (counted once per pair; the article shows "solved N tickets")."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="kb_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("linked at"))

    class Meta:
        verbose_name = _("solution link")
        verbose_name_plural = _("solution links")
        constraints = [models.UniqueConstraint(fields=["article", "ticket"], name="kb_link_article_ticket_uniq")]
        indexes = [models.Index(fields=["ticket"], name="kb_link_ticket_idx")]

    def __str__(self):
        return f"{self.article_id} → {self.ticket_id}"


class ArticleVote(models.Model):
    """Helpful / not helpful. One vote per staff member per article; public votes are rate-limited by IP."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="kb_votes"
    )
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("voted at"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=models.Q(user__isnull=False), name="kb_vote_staff_uniq"
            )
        ]

    def __str__(self):
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class ReviewReminder(models.Model):
    """One row per article and ISO week: the unique constraint makes the weekly reminder exactly-once."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="review_reminders")
    week = models.DateField(_("week starting"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        constraints = [models.UniqueConstraint(fields=["article", "week"], name="kb_reminder_article_week_uniq")]

    def __str__(self):
        return f"{self.article_id} {self.week}"
