from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tickets.models import Tag, Ticket


class Macro(models.Model):
    """A canned reply, optionally with actions (a macro): issue 19 item 1.

    The text is a template with ``{variables}`` (macros.variables) written in both languages; the
    customer's preferred language picks which one is used. Actions run through the same ticket
    services as the buttons on the ticket page, so they leave the same events and obey the same rules.
    ``owner`` empty = shared with the department (curated by managers); else one person's own.
    """

    class Assign(models.TextChoices):
        LEAVE = "", _("leave the assignee as it is")
        ME = "me", _("assign to whoever applies it")
        PERSON = "person", _("assign to a named person")

    # A macro moves a ticket forward; resolving (fault cause, solution) and cancelling (a reason) ask
    # for more than a macro can know, and closing is the customer's or the timer's.
    STATUS_CHOICES = [(s, label) for s, label in Ticket.Status.choices
                      if s in (Ticket.Status.ACKNOWLEDGED, Ticket.Status.IN_PROGRESS, Ticket.Status.WAITING)]

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, null=True,
                              blank=True, related_name="macros", help_text=_("Empty: shared with the department."))
    text_zh = models.TextField(_("text (Chinese)"), max_length=5000, blank=True)
    text_en = models.TextField(_("text (English)"), max_length=5000, blank=True)
    public = models.BooleanField(_("send as a public reply"), default=True,
                                 help_text=_("Off: the text is added as an internal note."))
    set_status = models.CharField(_("set the status to"), max_length=20, blank=True, choices=STATUS_CHOICES)
    set_priority = models.PositiveSmallIntegerField(_("set the priority to"), null=True, blank=True,
                                                    choices=Ticket.Priority.choices)
    assign = models.CharField(_("assignee"), max_length=10, blank=True, choices=Assign.choices, default=Assign.LEAVE)
    assign_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assign to"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    add_tags = models.ManyToManyField(Tag, verbose_name=_("add tags"), blank=True, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    use_count = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canned reply or macro")
        verbose_name_plural = _("canned replies and macros")
        ordering = ["name"]
        permissions = [("manage_shared_macros", _("Can curate the department's shared canned replies and macros"))]
        constraints = [
            # One name means one thing: among the shared ones, and among each person's own.
            models.UniqueConstraint(Lower("name"), condition=Q(owner__isnull=True), name="macro_shared_name_uniq",
                                    violation_error_message=_("There is already one with this name.")),
            models.UniqueConstraint(Lower("name"), "owner", condition=Q(owner__isnull=False),
                                    name="macro_personal_name_uniq",
                                    violation_error_message=_("There is already one with this name.")),
            models.CheckConstraint(condition=~Q(assign="person") | Q(assign_to__isnull=False),
                                   name="macro_assign_person_named"),
        ]

    def __str__(self):
        return self.name

    @property
    def shared(self) -> bool:
        return self.owner_id is None

    @property
    def has_text(self) -> bool:
        return bool(self.text_zh.strip() or self.text_en.strip())

    def text_for(self, language: str) -> tuple[str, str]:
        """(text, its language): the customer's language, else the other one — a template written in one
        language still works, and its variables are then filled in that language, not mixed."""
        zh, en = self.text_zh.strip(), self.text_en.strip()
        if (language or "").startswith("en"):
            return (en, "en") if en else (zh, "zh-hans")
        return (zh, "zh-hans") if zh else (en, "en")
