from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Greatest, Least, Lower
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from customers.models import Channel
from servicedesk.lookups import BilingualName, english_name_field, unique_english_name
from servicedesk.models import TimeStampedModel
from servicedesk.shared_memo import changes_queryset


class Ticket(TimeStampedModel):
    """A customer's request: inquiry, repair, complaint, suggestion or installation (domain.md §3)."""

    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        REPAIR = "repair", _("Repair request")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")
        # Issue 17: an installation has its own SLA, a work order like a repair, and a satisfaction callback
        # after the customer signs the installation off.
        INSTALLATION = "installation", _("Installation")

    # Number prefixes per kind: SR-2026-000123, CP-2026-000045 (unique, sequential per kind+year).
    NUMBER_PREFIX = {
        Kind.INQUIRY: "IQ",
        Kind.REPAIR: "SR",
        Kind.COMPLAINT: "CP",
        Kind.SUGGESTION: "SG",
        Kind.INSTALLATION: "IN",
    }
    # Kinds that send a technician: they get work orders (dispatch) and a callback after the visit (followups).
    ON_SITE_KINDS = (Kind.REPAIR, Kind.INSTALLATION)

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
        CLOSED = "closed", pgettext_lazy("ticket status", "Closed")
        REOPENED = "reopened", pgettext_lazy("ticket status", "Reopened")
        CANCELLED = "cancelled", pgettext_lazy("ticket status", "Cancelled")

    OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.WAITING, Status.REOPENED)
    # "My first-inquiry tickets" (首问责任制, issue 17): the owner follows the request "until it closes", so a
    # resolved ticket (answered, not yet closed: the customer may still come back) stays in their tab.
    FIRST_INQUIRY_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)

    class Priority(models.IntegerChoices):
        # Integers so that "most urgent first" is a plain index-backed ORDER BY.
        URGENT = 0, _("Urgent")
        HIGH = 1, _("High")
        NORMAL = 2, _("Normal")
        LOW = 3, _("Low")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.PHONE)

    # customer, assignee and team: no index of their own; the composite indexes below lead with them (tickets 0028)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets",
        db_index=False,
    )
    asset = models.ForeignKey(
        "customers.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20000, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        db_index=False,
    )
    team = models.ForeignKey(
        "servicedesk.Team", verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)

    # Optimistic concurrency: every write bumps it; a form posted with an old value is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    # Resolution (domain.md §3: recurring faults are counted per product/model from these).
    fault_cause = models.ForeignKey(
        "tickets.FaultCause", verbose_name=_("fault cause"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="tickets",
    )
    solution = models.TextField(_("solution"), max_length=10000, blank=True)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    # The earliest deadline among the ticket's RUNNING SLA clocks (NULL: none running — paused while
    # waiting on the customer, or all stopped). Kept by sla.services (ticket_sla_due_refresh) whenever a
    # clock starts, pauses, resumes, stops or is re-based, so the queue and the list sort by "SLA due"
    # through an index instead of joining the clocks.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True, editable=False)
    # Issue 17, green channel: a copy of the customer's key-account flag, set at creation and kept in
    # step (in bulk, in the same transaction) when the customer's flag changes, so the work queue sorts
    # key accounts first through its own indexes instead of joining the customers table.
    is_key_account = models.BooleanField(_("key account"), default=False, editable=False)
    # Issue 17, first-inquiry ownership (首问责任制): the staff member who first took the request. The
    # creator for staff-created tickets; for portal / e-mail / API tickets (system accounts) the first
    # staff member who acts on it. Changed only by a supervisor's logged decision
    # (tickets.services.ticket_change_first_inquiry_owner).
    first_inquiry_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first-inquiry owner"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="first_inquiry_tickets", editable=False,
    )

    # Issue 19 item 4: labels agents put on tickets (a managed list; see Tag).
    tags = models.ManyToManyField("tickets.Tag", through="tickets.TicketTag", related_name="tickets", blank=True,
                                  verbose_name=_("tags"))
    # The same tags as ids, kept by tickets.services.ticket_set_tags in the same transaction as the
    # TicketTag rows: the ticket page and the list show them (names and colours from the per-thread tag
    # table) without a query of their own; TicketTag stays what filters and counts read.
    tag_ids = models.JSONField(_("tag ids"), default=list, blank=True, editable=False)
    # Issue 19 item 7: a duplicate merged into another ticket of the same customer is cancelled and points
    # here; its replies, events, files, SLA clocks and work orders are on the survivor (tickets.merge).
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="merged_from", editable=False)
    # True while the ticket has links to other tickets (TicketLink), kept by tickets.merge in the link's
    # transaction: the ticket page reads the links only then (no query for the many tickets without).
    has_links = models.BooleanField(_("has links"), default=False, db_default=False, editable=False)
    # Issue 19 item 12 (PIPL retention): when the personal details in this closed ticket's text and files were
    # removed by the retention job (customers.retention); the ticket and its figures stay.
    personal_data_removed_at = models.DateTimeField(_("personal details removed at"), null=True, blank=True,
                                                    editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        # The SLA sweep raises priorities in set-based UPDATEs (tickets_raise_priority_for_breach):
        # "never past urgent" is held by the database too, and so are the status and priority values.
        constraints = [
            models.CheckConstraint(condition=models.Q(priority__gte=0, priority__lte=3), name="ticket_priority_valid"),
            models.CheckConstraint(condition=models.Q(status__in=["new", "acknowledged", "in_progress", "waiting",
                                                                  "resolved", "closed", "reopened", "cancelled"]),
                                   name="ticket_status_valid"),
        ]
        permissions = [
            ("reply_ticket", _("Can reply to customers on a ticket")),
            ("work_ticket", _("Can work tickets (status, notes, priority, resolution)")),
            ("reassign_ticket", _("Can reassign any ticket")),
            ("approve_complaint", _("Can approve complaint handling decisions")),
            ("view_complaint_register", _("Can see the complaint register")),
            ("export_complaints", _("Can export the complaint register")),
            ("merge_ticket", _("Can merge duplicate tickets of a customer")),
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="ticket_created_idx"),
            models.Index(fields=["status", "-created_at"], name="ticket_status_idx"),
            models.Index(fields=["assignee", "status", "-created_at"], name="ticket_assignee_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            models.Index(fields=["kind", "status", "-created_at"], name="ticket_kind_status_idx"),
            models.Index(fields=["priority", "-created_at"], name="ticket_priority_idx"),
            # "Sort by SLA due": the ticket list, and each queue tab (open tickets only).
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due_idx"),
            # Key accounts first at an equal due time (issue 17): the flag is in the queue indexes.
            models.Index(fields=["assignee", "sla_due_at", "-is_key_account"], name="ticket_assignee_due_idx",
                         condition=models.Q(status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"])),
            models.Index(fields=["team", "sla_due_at", "-is_key_account"], name="ticket_team_due_idx",
                         condition=models.Q(status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"])),
            models.Index(
                fields=["sla_due_at", "-is_key_account"], name="ticket_unassigned_due_idx",
                condition=models.Q(assignee__isnull=True, status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"]),
            ),
            # The ticket list's default view (open tickets, newest first) and "open tickets of one
            # agent": PostgreSQL reads the page in order straight from these (the list reads a page of
            # ids from this table alone, then the rows by id; see tickets.selectors.slice_page).
            # SQLite's planner does not pick a partial index unasked: it sorts the open tickets' ids
            # from ticket_status_idx instead (index-only, ~4 ms at 100,000 tickets).
            models.Index(
                fields=["-created_at", "-id"], name="ticket_open_new_idx",
                condition=models.Q(status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"]),
            ),
            models.Index(
                fields=["assignee", "-created_at", "-id"], name="ticket_open_assignee_new_idx",
                condition=models.Q(status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"]),
            ),
            # "My first-inquiry tickets" (issue 17): the owner's tickets until they close (open and resolved,
            # Ticket.FIRST_INQUIRY_STATUSES), whoever works them now.
            models.Index(
                fields=["first_inquiry_owner", "sla_due_at", "-is_key_account"], name="ticket_first_inquiry_due_idx",
                condition=models.Q(status__in=["new", "acknowledged", "in_progress", "waiting", "reopened", "resolved"]),
            ),
            # The monthly report's closures per first-inquiry owner (reports.selectors).
            models.Index(fields=["closed_at", "first_inquiry_owner"], name="ticket_fio_closed_idx",
                         condition=models.Q(first_inquiry_owner__isnull=False)),
            # The "unassigned" queue tab: only open tickets with nobody on them.
            models.Index(
                fields=["-created_at"], name="ticket_unassigned_idx",
                condition=models.Q(assignee__isnull=True, status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"]),
            ),
            # The reports' period figures (reports/selectors.py): created by reports migrations 0002–0005
            # as raw SQL, declared here since tickets 0011 so that SQLite's table rebuilds (any
            # AlterField or constraint change) recreate them — a rebuild keeps only declared indexes.
            models.Index(fields=["first_response_at", "created_at"], name="reports_ticket_fr_created_idx"),
            # backlog at a moment: both branches index ranges, every condition inside the index
            models.Index(fields=["resolved_at", "created_at", "closed_at", "status"], name="reports_ticket_res_cover_idx"),
            models.Index(fields=["closed_at"], name="reports_ticket_closed_idx"),
            models.Index(fields=["created_at", "id"], condition=models.Q(kind="complaint"),
                         name="ticket_complaint_created_idx"),
            models.Index(fields=["resolved_at"], condition=models.Q(fault_cause__isnull=False),
                         name="ticket_fault_resolved_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_on_site(self) -> bool:
        """A repair or an installation: a technician goes out (work orders, a callback after the visit)."""
        return self.kind in self.ON_SITE_KINDS


class TicketCounter(models.Model):
    """The last number handed out per kind and year; locked row → gap-free under concurrency."""

    kind = models.CharField(max_length=12, choices=Ticket.Kind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="ticketcounter_kind_year_uniq")]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last}"


class TicketEvent(models.Model):
    """One change on a ticket's timeline: who, what, when, before → after. Nothing changes without one."""

    # No index of its own: ticketevent_ticket_idx (ticket, created_at) serves every lookup by ticket, and a
    # second one cost every event written another random index page (issue 14).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text=_("Empty for changes made by the system (SLA timers, automations)."),
    )
    kind = models.CharField(_("kind"), max_length=30)
    field = models.CharField(_("field"), max_length=50, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("at"), db_index=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_idx")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class FaultCause(BilingualName, models.Model):
    """A manageable list of fault causes (recurring faults are counted per product/model)."""

    name = models.CharField(_("Chinese name"), max_length=120, unique=True)
    name_en = english_name_field(120)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("fault cause")
        verbose_name_plural = _("fault causes")
        constraints = [unique_english_name("faultcause")]


class Department(BilingualName, models.Model):
    """A responsible department a complaint is handed to (domain.md §3: it must not pass the buck).

    Issue 17: its members (staff) see the complaints handed to it and accept them, or refuse with a
    reason that goes back to the supervisor; its head is told when a hand-off is not accepted in time.
    The two deadlines are working hours on the default business calendar, counted from the hand-off.
    """

    name = models.CharField(_("Chinese name"), max_length=120, unique=True)
    name_en = english_name_field(120)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True,
                                     related_name="departments",
                                     help_text=_("Staff who answer for the complaints handed to this department."))
    # The head counts as a member whether or not they are listed (Department.people, ComplaintHandoff.can_answer).
    head = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("head"), on_delete=models.PROTECT, null=True,
                             blank=True, related_name="headed_departments",
                             help_text=_("Told when a hand-off is not accepted or answered in time."))
    accept_hours = models.DecimalField(
        _("accept within (working hours)"), max_digits=6, decimal_places=2, default=Decimal("4"),
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("2000"))],
        help_text=_("From the hand-off, on the business calendar: one working day is 8 hours."),
    )
    findings_hours = models.DecimalField(
        _("report findings within (working hours)"), max_digits=6, decimal_places=2, default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("2000"))],
        help_text=_("From the hand-off, on the business calendar (domain.md: investigate the same working day)."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            unique_english_name("department"),
            models.CheckConstraint(condition=models.Q(accept_hours__gt=0, findings_hours__gt=0),
                                   name="department_deadlines_positive"),
        ]

    def people(self) -> list:
        """The active head and members (needs `members` prefetched to stay query-free)."""
        people = {u.pk: u for u in self.members.all() if u.is_active}
        if self.head_id and self.head.is_active:
            people.setdefault(self.head_id, self.head)
        return sorted(people.values(), key=lambda u: u.pk)


class ComplaintHandoff(models.Model):
    """One hand-off of a complaint to a responsible department (issue 17). Every hand-off is its own row:
    a refused or withdrawn one stays in the complaint's history, and handing it again makes a new row.

    pending → accepted → reported (findings); pending → refused (with a reason, back to the supervisor);
    pending / accepted → withdrawn (the supervisor named another department). At most one is open
    (pending or accepted) per complaint.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting acceptance")
        ACCEPTED = "accepted", pgettext_lazy("hand-off", "Accepted")
        REPORTED = "reported", _("Findings reported")
        REFUSED = "refused", pgettext_lazy("hand-off", "Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATES = (State.PENDING, State.ACCEPTED)

    ticket = models.ForeignKey(Ticket, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="handoffs")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="handoffs")
    handed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handed over by"), on_delete=models.PROTECT,
                                  related_name="+")
    handed_at = models.DateTimeField(_("handed over at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reason = models.TextField(_("reason for refusing"), max_length=2000, blank=True)
    findings = models.TextField(_("department's findings"), max_length=10000, blank=True)
    findings_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("findings by"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    findings_at = models.DateTimeField(_("findings at"), null=True, blank=True)
    # A refusal waits for the supervisor until the complaint is handed to a department again: what the
    # supervisors' "awaiting decision" page lists (partial index below).
    awaiting_supervisor = models.BooleanField(_("back with the supervisor"), default=False)

    class Meta:
        ordering = ["handed_at", "id"]
        verbose_name = _("complaint hand-off")
        verbose_name_plural = _("complaint hand-offs")
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(state__in=["pending", "accepted"]),
                                    name="handoff_one_open_per_complaint"),
            models.CheckConstraint(condition=models.Q(state__in=["pending", "accepted", "reported", "refused",
                                                                 "withdrawn"]), name="handoff_state_valid"),
            models.CheckConstraint(condition=~models.Q(state="refused") | ~models.Q(reason=""),
                                   name="handoff_refusal_has_reason"),
            models.CheckConstraint(condition=~models.Q(state="reported")
                                   | (~models.Q(findings="") & models.Q(findings_at__isnull=False)),
                                   name="handoff_report_has_findings"),
            # only a refusal waits for the supervisor
            models.CheckConstraint(condition=models.Q(awaiting_supervisor=False) | models.Q(state="refused"),
                                   name="handoff_waiting_only_refused"),
        ]
        indexes = [
            # "My department's complaints": a department's hand-offs, newest first (the selector puts the pending
            # ones first with a CASE, which sorts the department's rows: a department is handed few).
            models.Index(fields=["department", "-handed_at"], name="handoff_department_idx"),
            models.Index(fields=["ticket", "handed_at"], name="handoff_ticket_idx"),
            models.Index(fields=["handed_at"], condition=models.Q(awaiting_supervisor=True),
                         name="handoff_refused_waiting_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} → {self.department_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def can_answer(self, user) -> bool:
        """The head or a member of the department. No query for the head, or when the selector already
        looked the user up (tickets.selectors.complaint_handoffs sets known_members); else one."""
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        department = self.department
        if department.head_id == user.pk:
            return True
        known = getattr(self, "known_members", {})
        if user.pk in known:
            return bool(known[user.pk])
        return department.members.filter(pk=user.pk).exists()


class TicketSettings(models.Model):
    """The department's ticket defaults a manager edits in the admin (one row, created on first read).

    A model rather than a Django setting: domain.md says these numbers are defaults a manager can
    change without a deployment.
    """

    reopen_window_days = models.PositiveSmallIntegerField(
        _("reopen window (days)"), default=7,
        help_text=_("A resolved or closed ticket may be reopened within this many days."),
    )
    attachment_max_mb = models.PositiveSmallIntegerField(_("largest attachment (MB)"), default=10)
    # Issue 17: the result of every complaint is reported to the general manager as well as the customer.
    general_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("general manager"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
        help_text=_("Told the result of every complaint when it is sent to the customer. Empty: every active user "
                    "with the manager role."),
    )

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")

    def __str__(self):
        return str(_("Ticket settings"))

    def clean(self):
        from django.core.exceptions import ValidationError

        gm = self.general_manager
        if gm is not None and not (gm.is_active and gm.has_perm("tickets.view_ticket")):
            raise ValidationError({"general_manager": _("The general manager must be an active user who can open "
                                                        "tickets (the result links to the complaint).")})

    @classmethod
    def current(cls) -> "TicketSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class TicketReply(models.Model):
    """A public reply to the customer or an internal note. A reply is never lost: delivery is tracked."""

    class Delivery(models.TextChoices):
        INTERNAL = "internal", _("Internal note")
        NO_EMAIL = "no_email", _("Not possible: no e-mail or mobile")
        PENDING = "pending", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Failed")
        RECEIVED = "received", _("From the customer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("text"), max_length=20000)
    public = models.BooleanField(_("public"), default=True)
    # Written by the customer on their status page (issue 15): `author` is then the portal's system account.
    from_customer = models.BooleanField(_("from the customer"), default=False)
    # A double-click posts the same token twice: the unique constraint keeps one reply.
    client_token = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("at"))
    delivery_status = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices,
                                       default=Delivery.INTERNAL)
    # A copy of the outbox row's state (servicedesk.OutboxMessage, source = this reply), kept by its hook.
    delivery_channel = models.CharField(_("sent by"), max_length=5, blank=True)  # "email" / "sms"
    delivered_to = models.CharField(_("sent to"), max_length=254, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="ticketreply_ticket_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "client_token"], condition=~models.Q(client_token=""),
                                    name="ticketreply_token_uniq"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.created_at:%Y-%m-%d %H:%M}"


def attachment_path(instance, filename):
    return f"tickets/{instance.ticket_id}/{filename}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class Complaint(models.Model):
    """The complaint handling form (投诉处理单), one per complaint ticket; its number is the ticket's."""

    class Category(models.TextChoices):
        ATTITUDE = "attitude", _("Service attitude")
        QUALITY = "quality", _("Quality")
        TIMELINESS = "timeliness", _("Timeliness")
        PRICE = "price", _("Price or billing")
        OTHER = "other", _("Other")

    class Remedy(models.TextChoices):
        REPAIR = "repair", _("Repair")
        REPLACEMENT = "replacement", _("Replacement")
        REFUND = "refund", _("Refund")
        COMPENSATION = "compensation", _("Compensation")
        APOLOGY = "apology", _("Apology")

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        NOT_SATISFIED = "not_satisfied", _("Not satisfied")
        UNREACHABLE = "unreachable", _("Unreachable")

    class Stage(models.TextChoices):
        """Where the complaint stands (domain.md §3), one step per person who must act next."""

        CLASSIFIED = "classified", _("Classified")
        INVESTIGATING = "investigating", _("Investigating")
        AWAITING_DECISION = "awaiting_decision", _("Awaiting decision")
        SOLUTION = "solution", _("Solution to the customer")
        RETURN_VISIT = "return_visit", _("Return visit")
        CLOSED = "closed", _("Closed")

    STAGE_ORDER = [Stage.CLASSIFIED, Stage.INVESTIGATING, Stage.AWAITING_DECISION, Stage.SOLUTION,
                   Stage.RETURN_VISIT, Stage.CLOSED]

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="complaint", primary_key=True)
    # Stored (not only derived) because lists filter on it: the supervisors' "awaiting my decision" list.
    # Always set by tickets.services from stage_for(); never edited by hand.
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.CLASSIFIED)
    category = models.CharField(pgettext_lazy("complaint", "category"), max_length=12, choices=Category.choices, default=Category.OTHER)
    department = models.ForeignKey(Department, verbose_name=_("responsible department"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="complaints")
    staff_member = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member complained about"),
                                     on_delete=models.PROTECT, null=True, blank=True, related_name="complaints_against")
    staff_complaint_valid = models.BooleanField(_("complaint about the staff member is valid"), null=True, blank=True)

    findings = models.TextField(_("investigation findings"), max_length=10000, blank=True)
    investigated_at = models.DateTimeField(_("investigated at"), null=True, blank=True)
    investigated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("investigated by"),
                                        on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    decision = models.TextField(_("supervisor's decision"), max_length=10000, blank=True)
    remedy = models.CharField(_("remedy"), max_length=12, choices=Remedy.choices, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    solution_sent_at = models.DateTimeField(_("result replied to the customer at"), null=True, blank=True)

    return_visit_at = models.DateTimeField(_("return visit at"), null=True, blank=True)
    return_visit_outcome = models.CharField(_("return visit outcome"), max_length=14, choices=Outcome.choices,
                                            blank=True)
    return_visit_notes = models.TextField(_("return visit notes"), max_length=5000, blank=True)
    return_visit_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("return visit by"),
                                        on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["category"], name="complaint_category_idx"),
            # The supervisors' "awaiting my decision" list and the register's stage filter.
            models.Index(fields=["stage", "investigated_at"], name="complaint_stage_idx"),
        ]

    def __str__(self):
        return self.ticket.number if self.ticket_id else "—"

    def stage_for(self, *, status: str, reopened_at=None) -> str:
        """The stage that follows from the milestones (pure). After a reopen, only milestones reached
        since count: a reopened complaint is investigated and decided again."""
        S = Ticket.Status

        def reached(moment) -> bool:
            return moment is not None and (reopened_at is None or moment >= reopened_at)

        if status in (S.CLOSED, S.CANCELLED):
            return self.Stage.CLOSED
        if reached(self.solution_sent_at) or reached(self.return_visit_at):
            return self.Stage.RETURN_VISIT
        if reached(self.decided_at):
            return self.Stage.SOLUTION
        if reached(self.investigated_at):
            return self.Stage.AWAITING_DECISION
        if status in (S.ACKNOWLEDGED, S.IN_PROGRESS, S.WAITING, S.REOPENED, S.RESOLVED):
            return self.Stage.INVESTIGATING
        return self.Stage.CLASSIFIED

    @property
    def stage_steps(self) -> list[tuple[str, str, str]]:
        """(value, label, "done" | "current" | "todo") for the progress strip on the ticket page."""
        current = self.STAGE_ORDER.index(self.stage)
        return [(st.value, st.label, "done" if i < current else "current" if i == current else "todo")
                for i, st in enumerate(self.STAGE_ORDER)]


def _tags_memo():
    from .selectors import TAGS

    return TAGS


class Tag(models.Model):
    """A label on tickets (issue 19 item 4): "billing", "installation", "VIP follow-up"…

    The list is managed: staff who may tag (tickets.tag_ticket) choose from it; those who also hold
    tickets.add_tag may add a new one while tagging (free tagging), and managers edit or retire tags.
    A retired tag stays on the tickets that carry it (and in the filters and counts) but is offered no more.
    """

    class Colour(models.TextChoices):
        GREY = "secondary", _("grey")
        BLUE = "primary", _("blue")
        GREEN = "success", _("green")
        RED = "danger", _("red")
        YELLOW = "warning", _("yellow")
        CYAN = "info", _("cyan")

    objects = changes_queryset(_tags_memo).as_manager()  # bulk writes renew selectors.TAGS

    name = models.CharField(_("name"), max_length=40)
    colour = models.CharField(_("colour"), max_length=10, choices=Colour.choices, default=Colour.GREY)
    active = models.BooleanField(_("offered for tagging"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            # "Billing" and "billing" are one tag: the database refuses the second, on SQLite and PostgreSQL.
            models.UniqueConstraint(Lower("name"), name="tag_name_ci_uniq",
                                    violation_error_message=_("There is already a tag with this name.")),
        ]
        permissions = [("tag_ticket", _("Can put tags on tickets and take them off"))]

    def __str__(self):
        return self.name


class TicketTag(models.Model):
    """One tag on one ticket: who put it there and when (the timeline has the event too)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ticket_tags")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="ticket_tags")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("ticket tag")
        verbose_name_plural = _("ticket tags")
        constraints = [models.UniqueConstraint(fields=["ticket", "tag"], name="tickettag_ticket_tag_uniq")]
        # The list's tag filter is EXISTS (tag = t AND ticket = outer ticket); the tags page counts per tag.
        indexes = [models.Index(fields=["tag", "ticket"], name="tickettag_tag_ticket_idx")]

    def __str__(self):
        return f"{self.ticket_id} {self.tag_id}"


class TicketLink(models.Model):
    """Two related tickets (issue 19 item 7), shown on both: the same fault, or a parent and its child
    (e.g. an outage and each customer's report of it). One link per pair, whichever way it was made."""

    class Kind(models.TextChoices):
        RELATED = "related", _("Related")
        PARENT = "parent", _("Parent and child")

    # For PARENT, from_ticket is the parent.
    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RELATED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("linked at"))

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            # One link per pair, in either direction: the database holds it, not the form.
            models.UniqueConstraint(Least("from_ticket", "to_ticket"), Greatest("from_ticket", "to_ticket"),
                                    name="ticketlink_pair_uniq"),
            models.CheckConstraint(condition=~models.Q(from_ticket=models.F("to_ticket")), name="ticketlink_not_self"),
        ]

    # What the other ticket is to a given end of the link.
    ROLE_RELATED, ROLE_CHILD, ROLE_PARENT = "related", "child", "parent"

    def __str__(self):
        return f"{self.from_ticket_id} {self.kind} {self.to_ticket_id}"

    def role_for(self, ticket_id: int) -> str:
        """What the other ticket is to ``ticket_id``: related, its child, or its parent."""
        if self.kind == self.Kind.RELATED:
            return self.ROLE_RELATED
        return self.ROLE_CHILD if self.from_ticket_id == ticket_id else self.ROLE_PARENT

    def other(self, ticket_id: int):
        return self.to_ticket if self.from_ticket_id == ticket_id else self.from_ticket


class BulkAction(models.Model):
    """One bulk change to many tickets (issue 19 item 2): what was asked, the tickets, how far it got,
    what changed (with the value before, so it can be undone), and what was refused and why.

    Each ticket goes through the same service as the ticket page (state machine, permissions, events);
    the cursor ``position`` advances in the same transaction as the tickets it covers, so a crash or a
    second runner never applies a ticket twice. An undo is a bulk action of its own (``undo_of``).
    """

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("Assign")
        STATUS = "status", _("Change status")
        PRIORITY = "priority", _("Change priority")
        TAG = "tag", _("Add a tag")
        MACRO = "macro", _("Apply a macro")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("action"), max_length=10, choices=Kind.choices)
    params = models.JSONField(_("parameters"), default=dict)
    ticket_ids = models.JSONField(_("tickets"), default=list)
    total = models.PositiveIntegerField(_("tickets"), default=0)
    position = models.PositiveIntegerField(_("processed"), default=0)
    unchanged = models.PositiveIntegerField(_("already so"), default=0)
    changed = models.JSONField(_("changed"), default=list)   # [{"id", "before", "after"}]
    refused = models.JSONField(_("refused"), default=list)   # [{"id", "number", "reason"}]
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    undo_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="undone_by")
    created_at = models.DateTimeField(_("started at"))
    touched_at = models.DateTimeField(_("last progress"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")
        constraints = [models.CheckConstraint(condition=models.Q(position__lte=models.F("total")),
                                              name="bulkaction_position_le_total")]
        # The resume sweep reads unfinished rows only.
        indexes = [models.Index(fields=["touched_at"], name="bulkaction_unfinished_idx",
                                condition=~models.Q(state="done"))]

    def __str__(self):
        return f"#{self.pk} {self.kind}"


class SavedView(models.Model):
    """A ticket list's filters and sort saved under a name (issue 19 item 3): a person's own, or their
    team's (made by a supervisor). Shown as tabs above the list, each with a capped live count."""

    name = models.CharField(_("name"), max_length=60)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="saved_views")
    team = models.ForeignKey("servicedesk.Team", verbose_name=_("team"), on_delete=models.CASCADE, null=True,
                             blank=True, related_name="saved_views")
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(owner__isnull=True) ^ models.Q(team__isnull=True),
                                   name="savedview_owner_xor_team"),
        ]

    def __str__(self):
        return self.name


class TicketFlowDelta(models.Model):
    """The tickets opened, resolved and closed per UTC hour, team, kind and priority — the monthly report's ticket flow
    (issue 14), summed from these rows instead of counted from the tickets.

    Written by the database, not by Python: triggers on the tickets table (migration 0023, tickets/flow_sql.py) add
    a row per contribution when a ticket is inserted (+1 opened at the hour of created_at, +1 resolved at resolved_at,
    +1 closed at closed_at, under its team, kind and priority) and, when any of those six columns changes, −1 rows
    for the old values and +1 rows for the new ones — in the same statement as the change, so every way a ticket
    is written (services, the sweep's set-based priority raises, bulk jobs, the admin, raw SQL) keeps the sums
    equal to the direct count. Rows are only ever appended (no shared counter row to lock: two writers never wait
    on each other); sums by hour make the figures. An hour is 'YYYY-MM-DD HH' in UTC, so any period that starts
    and ends on a whole hour of UTC — every local day in a zone a whole number of hours from UTC — is a range of
    hours. `team_key` is the team's id, 0 for none (a NULL would not group with itself in every database)."""

    hour = models.CharField(max_length=13)
    team_key = models.BigIntegerField(default=0)
    kind = models.CharField(max_length=12)
    priority = models.SmallIntegerField()
    opened = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    # The backlog at a whole hour (tickets.selectors.backlog_at, tickets 0030): a ticket not cancelled enters at the
    # hour of created_at and leaves at the hour it was first resolved or closed (not before its opening's).
    backlog_in = models.IntegerField(default=0)
    backlog_out = models.IntegerField(default=0)

    class Meta:
        # Covering: the report's sums over a range of hours (per team, or all) are read from the index alone —
        # a lookup per row cost more than the rest of the query (two months at 100,000 tickets, 24,804 rows:
        # 24.8 → 15.0 ms on SQLite). Led by the hour, as the nightly fold's ranges need.
        # The backlog's sums from the hour of the period's end on read the two backlog columns from it too.
        indexes = [models.Index(fields=["hour", "team_key", "kind", "priority", "opened", "resolved", "closed",
                                        "backlog_in", "backlog_out"], name="tickets_flow_cover")]


class TicketDurationCount(models.Model):
    """How many tickets took how long, per UTC day, team, measure and time bucket — the monthly report's
    first-response and resolution percentiles (median, p90) read from these counts instead of sorting a month of
    tickets. PostgreSQL only (SQLite reads a period's times out and picks the ranks, reports.selectors.percentiles):
    its statement triggers (migration 0029, tickets/duration_sql.py) count every ticket written, however it is
    written, in the same statement.

    Exact, not estimated: the buckets are ordered like the times, so the counts say which bucket holds the
    nearest-rank value and how many smaller times come before it; that bucket's tickets in the period are then
    read in order through an index (tickets.selectors.response_time_percentiles). `day` is the UTC day of
    first_response_at or resolved_at; a period's partial days at its ends are counted from the tickets.
    `team_key` is the team's id, 0 for none."""

    day = models.DateField()
    team_key = models.BigIntegerField(default=0)
    measure = models.SmallIntegerField()  # 0: first response, 1: resolution (duration_sql.MEASURES)
    bucket = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "team_key", "measure", "bucket"],
                                               name="tickets_duration_key")]


class TicketComplaintCount(models.Model):
    """Complaints per UTC day of their ticket's opening, team, category and responsible department, with how many
    were investigated and answered and the total time from opening to each (in microseconds) — the monthly report's
    complaints section, summed from these rows instead of joining a period's complaints to their tickets.
    PostgreSQL only (elsewhere the section counts the complaints): statement triggers on the tickets and the
    complaints (migration 0031, tickets/complaint_sql.py) keep it in the same statement as every write. Only
    complaints on complaint tickets count, as the report counts them; a period's partial days at its ends are counted
    from the complaints. `team_key` and `department_key` are the ids, 0 for none."""

    day = models.DateField()
    team_key = models.BigIntegerField(default=0)
    category = models.CharField(max_length=12)
    department_key = models.BigIntegerField(default=0)
    n = models.IntegerField(default=0)
    inv_n = models.IntegerField(default=0)
    inv_us = models.BigIntegerField(default=0)
    sol_n = models.IntegerField(default=0)
    sol_us = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "team_key", "category", "department_key"],
                                               name="tickets_complaint_count_key")]
