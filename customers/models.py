from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import ExtractDay, ExtractMonth, Reverse, Upper
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk.lookups import BilingualName, english_name_field, unique_english_name
from servicedesk.models import TimeStampedModel


class Channel(models.TextChoices):
    """How a contact reached us, or how we first met the customer (first-contact attribution)."""

    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    REFERRAL = "referral", _("Referral")
    MARKETING = "marketing", _("Marketing list")
    CALLBACK = "callback", _("Callback")


class Region(BilingualName, models.Model):
    """A district the department serves; technicians cover regions (dispatch)."""

    name = models.CharField(_("Chinese name"), max_length=100, unique=True)
    name_en = english_name_field(100)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    is_rural = models.BooleanField(_("rural"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [unique_english_name("region")]


class CustomerTier(BilingualName, models.Model):
    """A service tier (issue 17): data a manager edits, not a fixed list.

    domain.md §2 "customer pyramid": a tier is set from revenue or value, not from how often they call;
    it decides SLA targets (SLAPolicy.tier) and is a segment of the reports. Customers, SLA policies,
    survey answers and the SLA rollup store the tier's ``code`` (a stable slug that never changes once
    created), so renaming, reordering or retiring a tier rewrites no row. A retired tier is no longer
    offered for new assignments; customers who have it keep it and still show its name. Tiers are never
    deleted (the admin offers no delete): old rows keep their code, and the code its name.
    """

    class AppliesTo(models.TextChoices):
        BOTH = "both", _("People and organisations")
        PERSON = "person", _("People only")
        ORGANISATION = "organisation", _("Organisations only")

    code = models.SlugField(
        _("code"), max_length=10, unique=True,
        validators=[RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", _("Use lower-case letters, digits, - and _ only."))],
        help_text=_("Stored on customers, SLA policies and reports; it cannot be changed once saved."),
    )
    name = models.CharField(_("Chinese name"), max_length=50, unique=True)
    name_en = english_name_field(50)
    applies_to = models.CharField(_("applies to"), max_length=12, choices=AppliesTo.choices, default=AppliesTo.BOTH)
    position = models.PositiveSmallIntegerField(
        _("position"), default=100, help_text=_("Lists, forms and reports show tiers in this order, lowest first."))
    is_active = models.BooleanField(
        _("active"), default=True,
        help_text=_("Untick to retire the tier: it is no longer offered, customers who have it keep it."))
    is_default = models.BooleanField(
        _("default for new customers"), default=False,
        help_text=_("New customers get this tier unless someone chooses another. One tier only."))

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")
        constraints = [
            unique_english_name("customertier"),
            models.CheckConstraint(condition=models.Q(applies_to__in=["both", "person", "organisation"]),
                                   name="customertier_applies_to_valid"),
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="customertier_one_default",
                                    violation_error_message=_("Another tier is already the default: untick it there first.")),
            models.CheckConstraint(condition=models.Q(is_default=False) | models.Q(is_active=True),
                                   name="customertier_default_active",
                                   violation_error_message=_("The default tier cannot be retired: make another tier the default first.")),
        ]

    def applies_to_kind(self, kind: str) -> bool:
        return self.applies_to == self.AppliesTo.BOTH or self.applies_to == kind


class Customer(TimeStampedModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    class Tier:
        """The codes of the tiers the department started with (rows of CustomerTier, installed by migration
        customers 0015). Tiers are data: labels, order and the full list come from the table
        (customers.tiers), never from here."""

        DIAMOND = "diamond"
        GOLD = "gold"
        SILVER = "silver"
        BASIC = "basic"

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True, related_name="customers"
    )
    # A CustomerTier's code (not a foreign key: every query, index, policy match and rollup keeps reading the
    # code as before; customers.tiers validates it against the table and gives its name in one query a request).
    tier = models.CharField(_("service tier"), max_length=10, default=Tier.BASIC)
    is_key_account = models.BooleanField(_("key account"), default=False)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    class MessageChannel(models.TextChoices):
        # Most customers here have only a mobile: "automatic" texts them unless there is an e-mail.
        AUTO = "", _("Automatic: e-mail if known, else SMS")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS to the mobile")

    preferred_channel = models.CharField(
        _("messages by"), max_length=5, choices=MessageChannel.choices, blank=True, default=MessageChannel.AUTO,
        help_text=_("How replies and complaint results reach the customer. If that way is not possible, the other is used."),
    )

    # First-contact attribution (第一接触原则): who first recorded the customer, when, through
    # which channel. `owner` starts as that person and changes only by a supervisor (logged).
    first_contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first contact by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    first_contact_channel = models.CharField(
        _("first contact channel"), max_length=12, choices=Channel.choices, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    # Issue 17: the named account manager (客户经理) who answers for a key account's service plan,
    # renewals and care dates. Unlike `owner` (who first recorded the customer), a manager assigns it.
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_accounts",
    )
    # Customer care dates: a person's birthday, an organisation's founding or opening day (the year may
    # be unknown: it is then stored as 1904, a leap year, and shown without it).
    care_date = models.DateField(
        _("birthday or founding day"), null=True, blank=True,
        help_text=_("A person's birthday; an organisation's founding or opening day."),
    )
    care_greetings = models.BooleanField(
        _("greeting messages"), default=False,
        help_text=_("The customer agreed to receive a greeting message on this day."),
    )

    # Issue 15: a customer who registered themselves through the online request form is "unverified"
    # until the front desk confirms the record (or merges it into the one already on file).
    self_registered = models.BooleanField(_("self-registered online"), default=False)
    is_verified = models.BooleanField(_("verified by staff"), default=True)
    # "Stop non-essential messages" (the stop link, or a reply of TD): progress messages are not sent;
    # the acknowledgement and answers to the customer's own messages still are.
    progress_messages_stopped = models.BooleanField(_("progress messages stopped"), default=False)

    # A merged duplicate stays as a tombstone so old links still lead to the survivor.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Issue 19 (PIPL): set when the person's data was erased on their request (customers.subject); the row
    # stays, anonymised, so the tickets and figures that count it stay too.
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("merge_customer", _("Can merge duplicate customers")),
            ("change_ownership", _("Can change a customer's owner")),
            ("export_customer", _("Can export customer data")),
            # Issue 19 (PIPL, need to know): full mobile numbers and addresses in lists, reports and exports;
            # without it they are masked there (138****5678), one logged click from the full value.
            ("view_personal_data", _("Can see full phone numbers and addresses in lists, reports and exports")),
            ("handle_subject_request", _("Can export or erase a person's data on their request")),
            ("view_intake_stats", _("Can see front-desk intake tallies")),
            # domain.md §1: the front desk must not see other staff's performance.
            ("view_staff_intake", _("Can see each staff member's intake")),
        ]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["tier"], name="customer_tier_idx"),
            # The desk's "registered online, to confirm" list: only the few unverified rows.
            models.Index(fields=["-created_at"], condition=models.Q(is_verified=False), name="customer_unverified_idx"),
            # E-mail intake finds the sender's customer by `email__iexact` (UPPER(email) = UPPER(%s) on PostgreSQL).
            models.Index(Upper("email"), name="customer_email_upper_idx"),
            # "Whose care day is today": month and day of the care date.
            models.Index(ExtractMonth("care_date"), ExtractDay("care_date"), name="customer_care_day_idx",
                         condition=models.Q(care_date__isnull=False)),
        ]

    def __str__(self):
        return self.name

    def get_tier_display(self) -> str:
        """The tier's name in the reader's language (from the per-request table, no query per customer)."""
        from .tiers import tier_label

        return tier_label(self.tier)

    @property
    def service_plan_or_none(self):
        """The key account's service plan, or None (a reverse one-to-one raises when absent)."""
        try:
            return self.service_plan
        except models.ObjectDoesNotExist:
            return None

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class CustomerPhone(models.Model):
    """A normalised phone number. Unique across all customers: a number identifies one customer."""

    class Label(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")
        OFFICE = "office", _("Office")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number"), max_length=20, unique=True, help_text=_("E.164, e.g. +8613812345678"))
    # National significant number (no country code, no trunk 0): what staff type and search by.
    national = models.CharField(_("national number"), max_length=20)
    # The national number backwards, kept by the database itself: the front desk searches by the
    # last digits (尾号) as often as by the first, and "ends with 4817" is "reversed starts with 7184",
    # a b-tree range on customerphone_national_rev_idx like the prefix search on `national`.
    national_reversed = models.GeneratedField(
        expression=Reverse("national"), output_field=models.CharField(max_length=20), db_persist=True
    )
    label = models.CharField(_("label"), max_length=10, choices=Label.choices, default=Label.MOBILE)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        indexes = [
            models.Index(fields=["national"], name="customerphone_national_idx"),
            models.Index(fields=["national_reversed"], name="customerphone_national_rev_idx"),
        ]

    def __str__(self):
        return self.number


class Asset(TimeStampedModel):
    """A product the customer owns that we service; its warranty decides free or paid repair."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="assets")
    product = models.CharField(_("product"), max_length=120)
    model = models.CharField(_("model"), max_length=120, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=120, blank=True)
    install_date = models.DateField(_("install date"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)

    class Meta:
        ordering = ["product", "model"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
            models.Index(fields=["model"], name="asset_model_idx"),
            # contracts.services.reminders_sweep: "warranties ending between today and today + offset".
            models.Index(fields=["warranty_end", "id"], name="asset_warranty_end_idx",
                         condition=models.Q(warranty_end__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(warranty_end__isnull=True)
                | models.Q(install_date__isnull=True)
                | models.Q(warranty_end__gte=models.F("install_date")),
                name="asset_warranty_after_install",
                violation_error_message=_("The warranty cannot end before the install date."),
            )
        ]

    def __str__(self):
        label = f"{self.product} {self.model}".strip()
        return f"{label} ({self.serial_number})" if self.serial_number else label

    def in_warranty(self, on: date) -> bool:
        return self.warranty_end is not None and on <= self.warranty_end


class Contact(models.Model):
    """Every walk-in and call, even when no ticket results (front-desk tallies come from here)."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Purpose(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        REPAIR = "repair", _("Repair request")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")
        INSTALLATION = "installation", _("Installation")
        FOLLOW_UP = "follow_up", _("Follow-up on a ticket")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    # A caller who will not give details is still logged (name/phone as given).
    caller_name = models.CharField(_("caller name"), max_length=200, blank=True)
    caller_phone = models.CharField(_("caller phone"), max_length=40, blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.PHONE)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.INQUIRY)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handled by"), on_delete=models.PROTECT, related_name="contacts"
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["started_at"], name="contact_started_idx"),
            models.Index(fields=["customer", "-started_at"], name="contact_customer_idx"),
            models.Index(fields=["handled_by", "-started_at"], name="contact_handler_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="contact_ends_after_start",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.started_at:%Y-%m-%d %H:%M}"


class CustomerEvent(models.Model):
    """The customer's audit trail: who did what, when, before → after (实名制)."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("event", "Created")
        UPDATED = "updated", _("Updated")
        OWNER_CHANGED = "owner_changed", _("Owner changed")
        MERGED = "merged", _("Merged")
        ASSET_ADDED = "asset_added", _("Asset added")
        ASSET_UPDATED = "asset_updated", _("Asset updated")
        PHONE_ADDED = "phone_added", _("Phone added")
        EXPORTED = "exported", _("Exported")
        ACCOUNT_MANAGER_CHANGED = "account_manager", _("Account manager changed")
        SERVICE_PLAN_CHANGED = "service_plan", _("Service plan changed")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        indexes = [models.Index(fields=["customer", "-created_at"], name="customerevent_customer_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class CustomerExport(models.Model):
    """One row per export of customer data: who, when, what filter, how many rows (domain.md §2 保密)."""

    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("exported by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer export")
        verbose_name_plural = _("customer exports")

    def __str__(self):
        return f"{self.exported_by} {self.created_at:%Y-%m-%d %H:%M} ({self.row_count})"


class PersonalDataAccess(models.Model):
    """Who saw a customer's personal data, when and where (issue 19 item 10, PIPL): every view of the
    customer's record (its page, a ticket's page, a work order, a callback), every click that reveals a
    masked number or address, and every export row. A manager answers "who looked at this customer"
    from it for any date range (customers:access_log). Written by customers.privacy only."""

    class Action(models.TextChoices):
        VIEW = "view", _("viewed")
        REVEAL_PHONE = "reveal_phone", _("revealed a phone number")
        REVEAL_ADDRESS = "reveal_address", _("revealed the address")
        EXPORT = "export", _("exported")

    at = models.DateTimeField(_("at"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("personal data access", "by"),
                             on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("what"), max_length=16, choices=Action.choices)
    place = models.CharField(_("where"), max_length=20)
    ref = models.CharField(_("reference"), max_length=40, blank=True)  # a ticket or work order number, an export id

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        indexes = [
            models.Index(fields=["customer", "-at"], name="pda_customer_at_idx"),
            models.Index(fields=["user", "-at"], name="pda_user_at_idx"),
            models.Index(fields=["-at"], name="pda_at_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.action} {self.customer_id}"


class SubjectRequest(models.Model):
    """A person's request about their own data, as carried out (issue 19 item 11): a copy of everything
    held about them, or its erasure. The summary holds counts per table and column — never the data."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("copy of their data")
        ERASE = "erase", _("erasure")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("carried out by"), on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.customer_id} {self.kind} {self.at:%Y-%m-%d}"


class CustomerImport(models.Model):
    """A customer file being imported (issue 19 item 8): uploaded, columns mapped, checked row by row (dry
    run), then imported in the background in batches of IMPORT_BATCH rows, each all-or-nothing. The cursor
    (``position``) moves in the same transaction as the batch it covers, so a crash or a second worker
    never imports a row twice; the issues of every row are ImportIssue rows, downloadable as the log."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("columns to map")
        CHECKING = "checking", _("checking the rows")
        CHECKED = "checked", _("checked: ready to import")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("done")

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    headers = models.JSONField(_("columns"), default=list)
    mapping = models.JSONField(_("column mapping"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UPLOADED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"))
    total = models.PositiveIntegerField(_("rows"), default=0)
    checked = models.PositiveIntegerField(_("rows checked"), default=0)
    valid = models.PositiveIntegerField(_("rows to import"), default=0)
    duplicates = models.PositiveIntegerField(_("already on file"), default=0)
    invalid = models.PositiveIntegerField(_("rows with errors"), default=0)
    position = models.PositiveIntegerField(_("rows processed"), default=0)
    created_customers = models.PositiveIntegerField(_("customers created"), default=0)
    created_assets = models.PositiveIntegerField(_("assets created"), default=0)
    failed = models.PositiveIntegerField(_("rows in failed batches"), default=0)
    touched_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        ordering = ["-created_at"]
        permissions = [("import_customers", _("Can import customers from a file"))]
        indexes = [models.Index(fields=["touched_at"], name="customerimport_active_idx",
                                condition=models.Q(state__in=["checking", "importing"]))]

    def __str__(self):
        return self.original_name


class ImportIssue(models.Model):
    """One row of an import that was not imported as it stood, and why (issue 19 item 8)."""

    class Kind(models.TextChoices):
        ERROR = "error", _("error")
        DUPLICATE = "duplicate", _("already on file")
        FAILED = "failed", _("batch not imported")

    customer_import = models.ForeignKey(CustomerImport, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    column = models.CharField(_("column"), max_length=100, blank=True)
    message = models.CharField(_("reason"), max_length=300)
    existing = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("import issue")
        verbose_name_plural = _("import issues")
        ordering = ["customer_import", "row", "id"]
        indexes = [models.Index(fields=["customer_import", "row"], name="importissue_import_row_idx")]


class RetentionPolicy(models.Model):
    """How long personal data is kept (issue 19 item 12, PIPL §19): one row, set by a manager. Empty = kept."""

    ticket_years = models.PositiveSmallIntegerField(
        _("personal details in closed tickets, years"), null=True, blank=True, default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Names, numbers, e-mail and addresses in a ticket's text, replies and files are removed this "
                    "long after it closed (or was cancelled). The ticket and its figures stay."))
    file_months = models.PositiveSmallIntegerField(
        _("photos, attachments and call recordings, months"), null=True, blank=True, default=24,
        validators=[MinValueValidator(1), MaxValueValidator(360)],
        help_text=_("Ticket attachments and work-order photos are deleted, and call recording links removed, this "
                    "long after they were made."))
    access_log_months = models.PositiveSmallIntegerField(
        _("access log, months"), null=True, blank=True, default=36,
        validators=[MinValueValidator(6), MaxValueValidator(360)],
        help_text=_("Entries of the personal data access log older than this are deleted."))
    updated_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policy")
        permissions = [("manage_retention", _("Can set how long personal data is kept"))]

    @classmethod
    def current(cls) -> "RetentionPolicy":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class RetentionRun(models.Model):
    """One month's retention run (issue 19 item 12): unique per month, so two beats — or a beat and a
    retry — run it once. Its counters move in the same transaction as each batch they count; a run that
    stopped part-way (time budget, crash) is continued by the next daily tick from where it is."""

    month = models.DateField(_("month"), unique=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    tickets = models.PositiveIntegerField(_("tickets cleared"), default=0)
    files = models.PositiveIntegerField(_("files deleted"), default=0)
    recordings = models.PositiveIntegerField(_("recording links removed"), default=0)
    access_logs = models.PositiveIntegerField(_("access log entries deleted"), default=0)
    policy = models.JSONField(_("policy applied"), default=dict)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-month"]

    def __str__(self):
        return f"{self.month:%Y-%m}"


class ServicePlan(TimeStampedModel):
    """A key account's service plan (issue 17, green channel): what was agreed with this customer, in
    words, plus structured items. One per customer; edited by its account manager, supervisors and
    managers (customers.services.service_plan_save)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="service_plan",
                                    verbose_name=_("customer"))
    summary = models.TextField(_("plan"), max_length=10000, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")

    def __str__(self):
        return str(self.customer)


class ServicePlanItem(models.Model):
    """One structured line of a service plan: a contact, a site, the inspection schedule, a special term."""

    class Kind(models.TextChoices):
        CONTACT = "contact", pgettext_lazy("service plan", "Contact")
        SITE = "site", _("Site")
        INSPECTION = "inspection", _("Inspection schedule")
        TERM = "term", _("Special term")

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    details = models.TextField(_("details"), max_length=2000, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=100)

    class Meta:
        ordering = ["kind", "sort_order", "id"]
        verbose_name = _("service plan item")
        verbose_name_plural = _("service plan items")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["contact", "site", "inspection", "term"]),
                                   name="serviceplanitem_kind_valid"),
        ]

    def __str__(self):
        return self.title


class ContactHourCount(models.Model):
    """Contacts per UTC hour of started_at, staff member who handled them, channel and direction — the monthly
    report's front-desk load (totals, by channel, by hour of day), summed from these rows instead of counted from a
    month of contacts. PostgreSQL only (elsewhere the report counts the contacts): statement triggers on the
    contacts (migration 0020, customers/contact_sql.py) keep it in the same statement as every write. A period
    that does not start and end on whole UTC hours is counted from the contacts. `handled_by_key` is the user's id
    (no foreign key: a row whose count is back to 0 must not keep a user from being deleted)."""

    hour = models.DateTimeField()
    handled_by_key = models.BigIntegerField()
    channel = models.CharField(max_length=12)
    direction = models.CharField(max_length=3)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "handled_by_key", "channel", "direction"],
                                               name="contact_hour_count_key")]
