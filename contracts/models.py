"""Service contracts, expiry reminders (issue 17 §7) and customer care greetings (issue 17 §10)."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from servicedesk.lookups import BilingualName, english_name_field, unique_english_name
from servicedesk.models import TimeStampedModel
from servicedesk.params import validate_date_in_range


class ContractLevel(BilingualName, models.Model):
    """What a contract buys (basic / standard / premium): a lookup a manager edits in both languages."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("Chinese name"), max_length=100, unique=True)
    name_en = english_name_field(100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("contract level")
        verbose_name_plural = _("contract levels")
        constraints = [unique_english_name("contractlevel")]


class ServiceContract(TimeStampedModel):
    """A service contract: the customer, the assets it covers (theirs only), its term, level and price."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="service_contracts")
    assets = models.ManyToManyField("customers.Asset", verbose_name=_("assets covered"), blank=True,
                                    related_name="service_contracts")
    level = models.ForeignKey(ContractLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="contracts")
    start_date = models.DateField(_("starts on"), validators=[validate_date_in_range])
    end_date = models.DateField(_("ends on"), validators=[validate_date_in_range])
    price = models.DecimalField(_("price (CNY)"), max_digits=12, decimal_places=2, default=Decimal("0"),
                                validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("9999999999"))])
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    # The follow-on contract that renews this one (same customer, starts no later than the day after this one
    # ends, ends later, covers at least the same assets): set by contracts.services.contract_save whenever a
    # contract of the customer is saved. A renewed contract gets no further expiry reminders.
    renewed_by = models.ForeignKey("self", verbose_name=_("renewed by"), on_delete=models.SET_NULL, null=True,
                                   blank=True, editable=False, related_name="renews")

    class Meta:
        ordering = ["end_date", "pk"]
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        permissions = [
            ("manage_all_contracts", _("Can add and change the contracts of any customer")),
            ("view_renewals", _("Can see my renewals and care dates")),
            ("view_all_renewals", _("Can see every account manager's renewals")),
        ]
        indexes = [
            # The reminder sweep's range "ends between today and today + offset" and the list's order.
            models.Index(fields=["end_date", "id"], name="contract_end_idx"),
            models.Index(fields=["customer", "end_date"], name="contract_customer_end_idx"),
            # The reminder sweep's due query (contracts.services.due_targets_query): only contracts not renewed,
            # read index-only by end date with the anti-join on reminder_once_per_contract.
            models.Index(fields=["end_date", "id"], name="contract_due_idx", condition=Q(renewed_by__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="contract_end_after_start",
                                   violation_error_message=_("The contract cannot end before it starts.")),
            models.CheckConstraint(condition=Q(price__gte=0), name="contract_price_not_negative",
                                   violation_error_message=_("The price cannot be negative.")),
        ]

    def __str__(self):
        return _("Contract %(number)s") % {"number": self.number}

    @property
    def number(self) -> str:
        return self.number_of(self.pk)

    @staticmethod
    def number_of(pk: int | None) -> str:
        return f"SC-{pk or 0:06d}"

    @property
    def renewed_by_number(self) -> str:
        return self.number_of(self.renewed_by_id) if self.renewed_by_id else ""

    def status(self, today) -> str:
        """active / expiring (ends within EXPIRING_DAYS) / expired — the list's filter, as a pure method."""
        from .selectors import expiring_days

        if self.end_date < today:
            return "expired"
        if (self.end_date - today).days <= expiring_days():
            return "expiring"
        return "active"


def renewal_links(contracts: list[tuple], covered: dict[int, set]) -> dict[int, int | None]:
    """Which contract renews which, for one customer's contracts ``(pk, start_date, end_date)`` and the assets
    each covers: a contract is renewed by the earliest-starting other one that starts after it started and no
    later than the day after it ends, ends later, and covers at least the same assets. Pure (no queries): the
    service and the data migration share it. Returns {pk: renewing pk or None} for every contract given."""
    from datetime import timedelta

    out = {}
    ordered = sorted(contracts, key=lambda c: (c[1], c[0]))
    for pk, start, end in contracts:
        mine = covered.get(pk, set())
        out[pk] = next((n_pk for n_pk, n_start, n_end in ordered
                        if n_pk != pk and start < n_start <= end + timedelta(days=1) and n_end > end
                        and mine <= covered.get(n_pk, set())), None)
    return out


class ReminderRule(models.Model):
    """One reminder the department sends ahead of a contract's or a warranty's end (a manager edits these)."""

    class Target(models.TextChoices):
        CONTRACT = "contract", _("Contract end")
        WARRANTY = "warranty", _("Warranty end")

    class Action(models.TextChoices):
        TASK = "task", _("Task for the account manager")
        NOTICE = "notice", _("Notice to the account manager")
        SMS = "sms", _("SMS to the customer")

    target = models.CharField(_("applies to"), max_length=10, choices=Target.choices)
    days_before = models.PositiveSmallIntegerField(_("days before the end"),
                                                   validators=[MinValueValidator(0), MaxValueValidator(366)])
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["target", "-days_before", "pk"]
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        constraints = [
            models.UniqueConstraint(fields=["target", "days_before", "action"], name="reminderrule_once"),
            models.CheckConstraint(condition=Q(days_before__lte=366), name="reminderrule_days_range"),
        ]

    def __str__(self):
        return _("%(action)s %(days)s days before the %(target)s") % {
            "action": self.get_action_display(), "days": self.days_before,
            "target": self.get_target_display().lower()}


class Reminder(models.Model):
    """A reminder sent (or a task opened) for one contract or asset under one rule — exactly once per
    (rule, contract/asset, end date): the unique constraints decide, so racing sweeps cannot double it.
    A changed end date (a warranty extended) arms the rules again for the new date."""

    class Outcome(models.TextChoices):
        TASK = "task", _("Task opened")
        NOTIFIED = "notified", _("Notice sent")
        QUEUED = "queued", _("SMS queued")
        NO_MOBILE = "no_mobile", _("Not sent: no mobile")
        STOPPED = "stopped", _("Not sent: the customer stopped such messages")

    rule = models.ForeignKey(ReminderRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="reminders")
    action = models.CharField(_("action"), max_length=10, choices=ReminderRule.Action.choices)
    contract = models.ForeignKey(ServiceContract, verbose_name=_("contract"), on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="reminders")
    asset = models.ForeignKey("customers.Asset", verbose_name=_("asset"), on_delete=models.CASCADE, null=True,
                              blank=True, related_name="renewal_reminders")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="renewal_reminders")
    ends_on = models.DateField(_("ends on"))
    due_on = models.DateField(pgettext_lazy("reminder", "due on"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account manager"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="renewal_reminders")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["ends_on", "pk"]
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        constraints = [
            # Also the index of the sweep's NOT EXISTS (contracts.services.due_targets_query): ordered like the
            # due rows (end date, then id), so PostgreSQL can merge the window of contract_due_idx with this
            # rule's reminders index-only, without a sort and without reading a reminder row.
            models.UniqueConstraint(fields=["rule", "ends_on", "contract"], condition=Q(contract__isnull=False),
                                    name="reminder_once_per_contract"),
            models.UniqueConstraint(fields=["rule", "ends_on", "asset"], condition=Q(asset__isnull=False),
                                    name="reminder_once_per_asset"),
            models.CheckConstraint(condition=Q(contract__isnull=True, asset__isnull=False)
                                   | Q(contract__isnull=False, asset__isnull=True), name="reminder_one_target"),
        ]
        indexes = [
            # "My renewals": the open tasks of one account manager (or of nobody), soonest end first.
            models.Index(fields=["assignee", "ends_on"], condition=Q(action="task", done_at__isnull=True),
                         name="reminder_open_task_idx"),
        ]

    def __str__(self):
        return f"{self.rule} · {self.contract or self.asset}"

    @property
    def is_open_task(self) -> bool:
        return self.action == ReminderRule.Action.TASK and self.done_at is None


class CareGreeting(models.Model):
    """The care-day greeting to one customer in one year: once (unique), whatever happened to it."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("SMS queued")
        NO_MOBILE = "no_mobile", _("Not sent: no mobile")
        STOPPED = "stopped", _("Not sent: the customer stopped such messages")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="care_greetings_sent")
    year = models.PositiveSmallIntegerField(_("year"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("care greeting")
        verbose_name_plural = _("care greetings")
        constraints = [models.UniqueConstraint(fields=["customer", "year"], name="caregreeting_once_a_year")]


REMINDER_VARIABLES = ["service", "hotline", "name", "what", "ends"]
GREETING_VARIABLES = ["service", "hotline", "name"]


def _check_template(text: str, allowed: list[str]) -> None:
    from portal.messages import variables_used

    unknown = [v for v in variables_used(text) if v not in allowed]
    if unknown:
        raise ValidationError(_("Unknown variable(s): %(names)s. Use: %(allowed)s.") % {
            "names": ", ".join("{%s}" % v for v in unknown), "allowed": ", ".join("{%s}" % v for v in allowed)})


class ContractSettings(models.Model):
    """The wording of the two customer messages of this area, in both languages (one row; the manager edits it
    in the administration). Variables in braces; the customer's language picks the text."""

    reminder_sms_zh = models.TextField(
        _("expiry SMS (Chinese)"), max_length=500,
        default="【{service}】尊敬的{name}，您的{what}将于{ends}到期。续约请致电{hotline}。")
    reminder_sms_en = models.TextField(
        _("expiry SMS (English)"), max_length=500,
        default="{service}: dear {name}, your {what} ends on {ends}. To renew, call {hotline}.")
    greeting_zh = models.TextField(_("greeting SMS (Chinese)"), max_length=500,
                                   default="【{service}】{name}，值此特别的日子，我们衷心祝您万事如意！")
    greeting_en = models.TextField(_("greeting SMS (English)"), max_length=500,
                                   default="{service}: best wishes on your special day, {name}!")

    class Meta:
        verbose_name = _("contract and care settings")
        verbose_name_plural = _("contract and care settings")

    def __str__(self):
        return str(_("Contract and care settings"))

    def clean(self):
        errors = {}
        for field, allowed in (("reminder_sms_zh", REMINDER_VARIABLES), ("reminder_sms_en", REMINDER_VARIABLES),
                               ("greeting_zh", GREETING_VARIABLES), ("greeting_en", GREETING_VARIABLES)):
            try:
                _check_template(getattr(self, field), allowed)
            except ValidationError as exc:
                errors[field] = exc.messages
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> "ContractSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
