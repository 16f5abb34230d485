"""Writes for service contracts, renewal reminders and care greetings (issue 17 §7 and §10).

Exactly once: a reminder is a row unique per (rule, contract or asset, end date) and a greeting a row
unique per (customer, year). A sweep inserts the rows it finds due (servicedesk.once.insert_new) and acts
— bell, outbox SMS — only on the rows IT inserted, in the same transaction: two sweeps racing, or a sweep
repeated after a crash, cannot remind twice.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DateField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from customers.models import Asset, Customer
from servicedesk.once import insert_new
from servicedesk.preferences import Message

from . import selectors
from .models import CareGreeting, ContractSettings, Reminder, ReminderRule, ServiceContract, renewal_links

SWEEP_BATCH = 500
SMS_KIND = "contracts.expiry_sms"
GREETING_KIND = "contracts.greeting_sms"


# --- contracts ------------------------------------------------------------------------------------------
def _check_may_edit(*, customer: Customer, by) -> None:
    if by.has_perm("contracts.manage_all_contracts"):
        return
    if customer.account_manager_id != by.pk:
        raise ValidationError(_("Only the customer's account manager, a supervisor or a manager may change its contracts."),
                              code="not_account_manager")


def _check_assets(*, customer: Customer, assets) -> list[Asset]:
    assets = list(assets)
    if any(a.customer_id != customer.pk for a in assets):
        raise ValidationError(_("A contract covers only the customer's own assets."), code="foreign_asset")
    return assets


def contract_save(*, by, customer: Customer, level, start_date: date, end_date: date, price, notes: str = "",
                  assets=(), contract: ServiceContract | None = None) -> ServiceContract:
    """Create (``contract`` None) or change a contract. Rules: an agent only for customers they manage;
    the assets covered are the customer's own; the end is not before the start (also a DB check)."""
    if customer.merged_into_id:
        raise ValidationError(_("This customer was merged into another: add the contract there."), code="merged")
    _check_may_edit(customer=customer, by=by)
    if contract is not None and contract.customer_id != customer.pk:
        _check_may_edit(customer=contract.customer, by=by)
    assets = _check_assets(customer=customer, assets=assets)
    obj = contract or ServiceContract(created_by=by)
    old_customer_id = obj.customer_id if obj.pk else None
    obj.customer, obj.level, obj.start_date, obj.end_date, obj.price, obj.notes = (
        customer, level, start_date, end_date, price, notes)
    obj.full_clean()
    with transaction.atomic():
        obj.save()
        obj.assets.set(assets)
        # the customer it left (if moved) loses a follow-on; the one it joined may gain one
        for customer_id in {customer.pk, old_customer_id} - {None}:
            contracts_link_renewals(customer_id=customer_id)
    obj.refresh_from_db(fields=["renewed_by"])
    return obj


def contracts_link_renewals(*, customer_id: int) -> int:
    """Set ``renewed_by`` on the customer's contracts from their dates and assets (models.renewal_links): a
    renewed contract gets no more expiry reminders, and one whose follow-on changed or went away is armed
    again. Re-derived for the whole customer on every save (a customer has a handful of contracts): two
    queries to read, one UPDATE per contract whose link changed. Returns how many changed.

    The customer's row is locked first (the lock order of customer_merge), so two saves for one customer
    take turns: each derives the links from the other's committed contracts, never from a stale snapshot."""
    list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))
    rows = list(ServiceContract.objects.filter(customer_id=customer_id)
                .values_list("pk", "start_date", "end_date", "renewed_by_id"))
    if not rows:
        return 0
    covered: dict[int, set] = {}
    for contract_id, asset_id in ServiceContract.assets.through.objects.filter(
            servicecontract__customer_id=customer_id).values_list("servicecontract_id", "asset_id"):
        covered.setdefault(contract_id, set()).add(asset_id)
    links = renewal_links([(pk, start, end) for pk, start, end, _r in rows], covered)
    changed = 0
    for pk, _start, _end, renewed_by in rows:
        if links[pk] != renewed_by:
            changed += ServiceContract.objects.filter(pk=pk).update(renewed_by_id=links[pk])
    return changed


# --- renewal reminders ----------------------------------------------------------------------------------
def _renewals_url(assignee_id: int | None) -> str:
    url = reverse("contracts:renewals")
    return url if assignee_id else f"{url}?manager={selectors.NO_MANAGER}"


def _sms_text(*, customer: Customer, what: str, ends_on: date, cfg: ContractSettings) -> str:
    from portal.messages import render
    from portal.models import PortalSettings

    portal = PortalSettings.current()
    language = customer.preferred_language or settings.LANGUAGE_CODE
    english = language.startswith("en")
    with translation.override(language):
        values = {"service": (portal.public_name_en if english else portal.public_name) or portal.public_name
                  or str(_("Customer service")),
                  "hotline": portal.hotline, "name": customer.name, "what": what,
                  "ends": formats.date_format(ends_on, "DATE_FORMAT")}
        return render(cfg.reminder_sms_en if english else cfg.reminder_sms_zh, values)


def _customer_sms_outcome(customer: Customer) -> tuple[str, str]:
    """(outcome, mobile) for a non-essential SMS: stopped by the customer, no mobile, or queued."""
    if customer.progress_messages_stopped:  # portal: "stop non-essential messages" covers these
        return "stopped", ""
    mobile = selectors.customer_mobile(customer)
    return ("queued", mobile) if mobile else ("no_mobile", "")


def _hold_for_quiet_hours(now: datetime) -> datetime | None:
    # The portal's quiet hours (PortalSettings): a catch-up sweep at night holds the SMS until morning.
    from portal.models import PortalSettings
    from portal.services import _in_quiet_hours

    return _in_quiet_hours(now, PortalSettings.current())


def due_targets_query(rule: ReminderRule, *, today: date, after: tuple | None = None, limit: int = SWEEP_BATCH):
    """(queryset of (end date, pk), end field) of the contracts (or assets) this rule is due for and has not
    reminded about: end date in [today, today + days_before] — a late sweep still reminds until the end date,
    never after it. Not due: a contract already renewed (``renewed_by``), and a warranty whose asset a contract
    in force the day after the warranty ends already covers.

    "Not reminded yet" is decided in SQL (NOT EXISTS against the reminder's unique key), and only the key
    columns are read, so PostgreSQL answers from indexes alone — contract_due_idx (partial: not renewed) or
    asset_warranty_end_idx for the range, reminder_once_per_contract / _per_asset (rule, ends_on, target) for
    the anti-join: a run with nothing new reads no contract, asset or reminder row. The rows to act on are read (and locked) by
    ``due_targets_lock``. Keyset ``after`` = (end date, pk) of the previous batch's last key."""
    horizon = today + timedelta(days=rule.days_before)
    # The window is repeated on the reminders' side (implied by ends_on = the target's end, but the planner
    # cannot know): the anti-join then reads this rule's reminders of the window only, from the unique index
    # (rule, ends_on, target), never the reminders of contracts that ended long ago.
    window = Q(rule=rule, ends_on__gte=today, ends_on__lte=horizon)
    if rule.target == ReminderRule.Target.CONTRACT:
        done = Reminder.objects.filter(window, contract=OuterRef("pk"), ends_on=OuterRef("end_date"))
        qs = ServiceContract.objects.filter(renewed_by__isnull=True, end_date__gte=today, end_date__lte=horizon)
        field = "end_date"
    else:
        done = Reminder.objects.filter(window, asset=OuterRef("pk"), ends_on=OuterRef("warranty_end"))
        day_after = ExpressionWrapper(OuterRef("warranty_end") + timedelta(days=1), output_field=DateField())
        qs = (Asset.objects.filter(warranty_end__gte=today, warranty_end__lte=horizon)
              .filter(~Exists(selectors.covering_contracts(day_after))))
        field = "warranty_end"
    # No join here: the customers are read by id afterwards (_with_customers), so the planner has only the
    # end-date index to start from (SQLite started from the customers table when this joined them).
    qs = qs.filter(~Exists(done))
    if after is not None:
        qs = qs.filter(Q(**{f"{field}__gt": after[0]}) | Q(**{field: after[0], "pk__gt": after[1]}))
    return qs.order_by(field, "pk").values_list(field, "pk")[:limit], field


def due_targets_lock(rule: ReminderRule, *, pks: list[int], today: date) -> list:
    """The due targets among ``pks`` (found by due_targets_query), read whole. On PostgreSQL locked with SKIP
    LOCKED, so a parallel sweep skips the rows this one holds instead of waiting; the unique constraint still
    decides if both read the same row before either locked it. The range and "not renewed" / "not covered by
    a contract" are checked again (a row changed since the keys were read is left for the next run)."""
    horizon = today + timedelta(days=rule.days_before)
    if rule.target == ReminderRule.Target.CONTRACT:
        qs = ServiceContract.objects.filter(pk__in=pks, renewed_by__isnull=True, end_date__gte=today,
                                            end_date__lte=horizon)
        field = "end_date"
    else:
        day_after = ExpressionWrapper(OuterRef("warranty_end") + timedelta(days=1), output_field=DateField())
        qs = (Asset.objects.filter(pk__in=pks, warranty_end__gte=today, warranty_end__lte=horizon)
              .filter(~Exists(selectors.covering_contracts(day_after))))
        field = "warranty_end"
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.order_by(field, "pk"))


def reminders_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> dict:
    """Create the reminders that are due today (the daily beat job; safe to run any number of times).

    For each active rule: targets whose end is within ``days_before`` days and not past. A sweep after
    downtime therefore catches up ONCE per rule: a 60-day task missed for ten days is opened at 50 days,
    and if the 7-day notice is due too, it is sent as well; nothing is sent for an end already passed.
    Tasks and notices go to the customer's account manager when they are active and may open "My
    renewals"; otherwise the task is left unassigned (shown to supervisors and managers on the renewals
    page under "No account manager") and the bell rings for every active supervisor.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    staff_ids = selectors.renewal_staff_ids()
    fallback = None
    cfg = None
    counts = {"task": 0, "notice": 0, "sms": 0, "not_sent": 0}
    for rule in ReminderRule.objects.filter(active=True).order_by("pk"):
        after = None
        while True:
            with transaction.atomic():
                keys_qs, field = due_targets_query(rule, today=today, after=after, limit=batch)
                keys = list(keys_qs)
                if not keys:
                    break
                after = keys[-1]
                found = due_targets_lock(rule, pks=[pk for _end, pk in keys], today=today)
                # A merged customer's tombstone gets no reminders (its contracts are the survivor's business).
                targets = _with_customers(found, phones=rule.action == ReminderRule.Action.SMS)
                rows = []
                for target in targets:
                    customer = target.customer
                    am = customer.account_manager_id if customer.account_manager_id in staff_ids else None
                    if rule.action == ReminderRule.Action.SMS:
                        outcome, _mobile = _customer_sms_outcome(customer)
                        am = None
                    else:
                        outcome = "task" if rule.action == ReminderRule.Action.TASK else "notified"
                    ends_on = getattr(target, field)
                    row = Reminder(rule=rule, action=rule.action, customer=customer, ends_on=ends_on,
                                   due_on=ends_on - timedelta(days=rule.days_before), assignee_id=am,
                                   outcome=outcome, created_at=now,
                                   contract=target if field == "end_date" else None,
                                   asset=target if field == "warranty_end" else None)
                    row._target = target
                    rows.append(row)
                inserted = insert_new(Reminder, rows)
                if rule.action == ReminderRule.Action.SMS:
                    cfg = cfg or ContractSettings.current()
                    counts["sms"] += _send_sms(inserted, cfg=cfg, now=now)
                    counts["not_sent"] += sum(1 for r in inserted if r.outcome != "queued")
                else:
                    if fallback is None and any(r.assignee_id is None for r in inserted):
                        fallback = selectors.fallback_recipients()
                    _ring(inserted, fallback=fallback or [])
                    counts[rule.action] += len(inserted)
            if len(keys) < batch:
                break
    return counts


def _with_customers(targets: list, *, phones: bool) -> list:
    """The targets with their customer attached (one query, plus one for phones), merged ones left out."""
    qs = Customer.objects.filter(pk__in={t.customer_id for t in targets}, merged_into__isnull=True)
    if phones:
        qs = qs.prefetch_related("phones")
    customers = qs.in_bulk()
    out = []
    for target in targets:
        customer = customers.get(target.customer_id)
        if customer is not None:
            target.customer = customer
            out.append(target)
    return out


TEXTS = {
    (ReminderRule.Action.TASK, "contract"): _("Renewal task: contract %(what)s of %(customer)s ends on %(ends)s"),
    (ReminderRule.Action.TASK, "asset"): _("Renewal task: the warranty of %(what)s (%(customer)s) ends on %(ends)s"),
    (ReminderRule.Action.NOTICE, "contract"): _("Ending soon: contract %(what)s of %(customer)s ends on %(ends)s"),
    (ReminderRule.Action.NOTICE, "asset"): _("Ending soon: the warranty of %(what)s (%(customer)s) ends on %(ends)s"),
}


def _ring(reminders: list[Reminder], *, fallback: list) -> None:
    """The bell (and e-mail, if the person chose it) for new tasks and notices: to the account manager,
    else to every active supervisor. A notice about a contract links to it; the rest to the renewals page."""
    from django.contrib.auth import get_user_model

    from servicedesk.services import notify_many

    users = get_user_model().objects.in_bulk({r.assignee_id for r in reminders if r.assignee_id})
    items = {ReminderRule.Action.TASK: [], ReminderRule.Action.NOTICE: []}
    for r in reminders:
        target = "contract" if r.contract_id else "asset"
        message = Message(TEXTS[(r.action, target)], {
            "what": r.contract.number if r.contract_id else str(r.asset), "customer": r.customer.name,
            "ends": r.ends_on.isoformat()})
        url = _renewals_url(r.assignee_id)
        if r.action == ReminderRule.Action.NOTICE and r.contract_id:
            url = reverse("contracts:detail", args=[r.contract_id])
        people = [users[r.assignee_id]] if r.assignee_id else fallback
        items[r.action].extend((person, message, url) for person in people)
    if items[ReminderRule.Action.TASK]:
        notify_many(items[ReminderRule.Action.TASK], email=True, kind="renewal_task")
    if items[ReminderRule.Action.NOTICE]:
        notify_many(items[ReminderRule.Action.NOTICE], email=True, kind="renewal_notice")


def _what_for_customer(r: Reminder) -> str:
    """What ends, in the customer's words (rendered under their language)."""
    if r.contract_id:
        return str(_("service contract %(number)s") % {"number": r.contract.number})
    return str(_("warranty of %(asset)s") % {"asset": str(r.asset)})


def _send_sms(reminders: list[Reminder], *, cfg: ContractSettings, now: datetime) -> int:
    from servicedesk.outbox import Outgoing, outbox_add_many

    out = []
    hold = None
    for r in reminders:
        if r.outcome != "queued":
            continue
        customer = r._target.customer
        language = customer.preferred_language or settings.LANGUAGE_CODE
        with translation.override(language):
            what = _what_for_customer(r)
        hold = hold if hold is not None else (_hold_for_quiet_hours(now) or False)
        out.append(Outgoing(kind=SMS_KIND, channel="sms", to=selectors.customer_mobile(customer),
                            body=_sms_text(customer=customer, what=what, ends_on=r.ends_on, cfg=cfg),
                            source=r, send_after=hold or None))
    outbox_add_many(out, now=now)
    return len(out)


def reminder_done(*, reminder: Reminder, by, now: datetime | None = None) -> Reminder:
    """Mark a renewal task done (its account manager, or someone who sees every manager's renewals).
    Compare-and-set: a double click or two people at once close it once; the second is told."""
    now = now or timezone.now()
    if reminder.action != ReminderRule.Action.TASK:
        raise ValidationError(_("Only a task can be marked done."), code="not_task")
    if reminder.assignee_id != by.pk and not by.has_perm("contracts.view_all_renewals"):
        raise ValidationError(_("This task is someone else's."), code="not_yours")
    changed = Reminder.objects.filter(pk=reminder.pk, done_at__isnull=True).update(done_at=now, done_by=by)
    if not changed:
        raise ValidationError(_("This task was already marked done."), code="already_done")
    reminder.done_at, reminder.done_by = now, by
    return reminder


def renewal_tasks_follow_account_manager(*, customer: Customer) -> int:
    """A new account manager takes over the customer's open renewal tasks (or, when they may not open "My
    renewals", the tasks wait unassigned under "No account manager" for the supervisors). One UPDATE."""
    manager_id = customer.account_manager_id
    if manager_id is not None and manager_id not in selectors.renewal_staff_ids():
        manager_id = None
    return (Reminder.objects.filter(customer_id=customer.pk, action=ReminderRule.Action.TASK, done_at__isnull=True)
            .update(assignee_id=manager_id))


# --- care greetings -------------------------------------------------------------------------------------
def care_greetings_send(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> dict:
    """Today's greeting SMS to customers who agreed to one (``care_greetings``), once per customer and year
    (CareGreeting is unique per customer and year). Only on the day itself: a day the job never ran is not
    caught up later (a belated birthday message is worse than none). A customer who stopped non-essential
    messages, or has no mobile, gets a row saying so and no SMS."""
    from servicedesk.outbox import Outgoing, outbox_add_many

    now = now or timezone.now()
    today = timezone.localdate(now)
    cfg = ContractSettings.current()
    counts = {"queued": 0, "not_sent": 0}
    last_pk = 0
    while True:
        with transaction.atomic():
            sent = CareGreeting.objects.filter(customer=OuterRef("pk"), year=today.year)
            customers = list(selectors.greeting_candidates(today=today).filter(pk__gt=last_pk)
                             .filter(~Exists(sent))[:batch])
            if not customers:
                break
            last_pk = customers[-1].pk
            rows = []
            for c in customers:
                outcome, _mobile = _customer_sms_outcome(c)
                row = CareGreeting(customer=c, year=today.year, outcome=outcome, created_at=now)
                rows.append(row)
            inserted = insert_new(CareGreeting, rows)
            hold = _hold_for_quiet_hours(now)
            out = []
            for row in inserted:
                if row.outcome != "queued":
                    counts["not_sent"] += 1
                    continue
                customer = row.customer
                english = (customer.preferred_language or settings.LANGUAGE_CODE).startswith("en")
                out.append(Outgoing(kind=GREETING_KIND, channel="sms", to=selectors.customer_mobile(customer),
                                    body=_greeting_text(customer=customer, cfg=cfg, english=english),
                                    source=row, send_after=hold))
            outbox_add_many(out, now=now)
            counts["queued"] += len(out)
        if len(customers) < batch:
            break
    return counts


def _greeting_text(*, customer: Customer, cfg: ContractSettings, english: bool) -> str:
    from portal.messages import render
    from portal.models import PortalSettings

    portal = PortalSettings.current()
    service = (portal.public_name_en if english else portal.public_name) or portal.public_name or (
        "Customer service" if english else "客户服务中心")
    return render(cfg.greeting_en if english else cfg.greeting_zh,
                  {"service": service, "hotline": portal.hotline, "name": customer.name})
