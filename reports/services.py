"""Writes for reports: exports (logged, run in Celery) and scheduled emails (exactly once per period)."""
import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _, pgettext
from django.utils.translation import gettext_lazy

from customers.models import Channel
from servicedesk import exports
from servicedesk.queue import enqueue_on_commit
from improvement.selectors import carry_over_pending
from tickets.models import Ticket

from . import selectors
from .models import Frequency, ReportDelivery, ReportExport, ReportExportDownload, ReportSubscription
from .periods import Period, last_complete_period, local_today

logger = logging.getLogger(__name__)

# Which section computes each exportable table; "tickets_detail" is the row-level (large) export.
TABLE_SECTION = {
    "contacts_by_channel": "contacts", "contacts_by_hour": "contacts",
    "tickets_by_kind_priority": "tickets", "sla_by_target": "sla",
    "complaints_by_category": "complaints", "complaints_by_department": "complaints",
    "callbacks_by_reason": "callbacks", "surveys_by_dimension": "surveys", "surveys_by_kind": "surveys",
    "technicians": "technicians", "parts_used": "technicians", "recurring_faults": "faults",
    "staff_bands": "staff", "tickets_detail": None,
    "first_inquiry_closures": "first_inquiry",
}
DETAIL_TITLE = gettext_lazy("Tickets opened in the period")
# The tables' names in words (the same words as the report page's table titles): sheet titles, file
# names and the export log.
TABLE_TITLES = {
    "staff_bands": gettext_lazy("People per score band"),
    "contacts_by_channel": gettext_lazy("Contacts by channel"),
    "contacts_by_hour": gettext_lazy("Contacts by hour of day"),
    "tickets_by_kind_priority": gettext_lazy("Tickets by kind and priority"),
    "sla_by_target": gettext_lazy("SLA compliance per target"),
    "complaints_by_category": gettext_lazy("Complaints by category"),
    "complaints_by_department": gettext_lazy("Complaints by responsible department"),
    "callbacks_by_reason": gettext_lazy("Callbacks by reason"),
    "surveys_by_dimension": gettext_lazy("Average score per dimension (1–5)"),
    "surveys_by_kind": gettext_lazy("Satisfaction by ticket kind"),
    "technicians": gettext_lazy("Technicians"),
    "parts_used": selectors.PARTS_TITLE,
    "recurring_faults": selectors.FAULTS_TITLE,
    "tickets_detail": DETAIL_TITLE,
    "first_inquiry_closures": gettext_lazy("Closures per first-inquiry owner"),
}
PROGRESS_EVERY = 500


def params_period(params: dict) -> Period:
    return Period(params["period"], date.fromisoformat(params["date"]), date.fromisoformat(params["end"]))


def export_request(*, user, table: str, fmt: str, params: dict, now=None) -> ReportExport:
    """Record who asked for which table (the audit log) and hand the work to Celery."""
    if table not in TABLE_SECTION:
        raise ValidationError(_("Unknown table."))
    if fmt not in ReportExport.Format.values:
        raise ValidationError(_("Unknown format."))
    if not user.has_perm("reports.export_reports"):
        raise ValidationError(_("You may not export reports."))
    with transaction.atomic():
        export = ReportExport(requested_by=user, table=table, fmt=fmt, params=params,
                              created_at=now or timezone.now())
        export.full_clean()
        export.save()
        from .tasks import report_export_run

        enqueue_on_commit(report_export_run, export.pk)
    return export


def _team_of(export: ReportExport):
    if export.params.get("team"):
        from servicedesk.models import Team

        return Team.objects.filter(pk=export.params["team"]).first()
    return None


def _table(export: ReportExport) -> tuple[exports.Table, int]:
    """The table to write and its row count — section tables are a few aggregated (already labelled)
    rows; the detail table streams tickets from the database in chunks, codes turned into labels."""
    period = params_period(export.params)
    team = _team_of(export)
    section = TABLE_SECTION[export.table]
    if section is None:
        qs = selectors.tickets_detail_rows(period=period, team=team)
        headers = [_("Number"), _("Kind"), _("Priority"), _("Status"), _("Channel"), _("Customer"), _("Team"),
                   pgettext("date", "Opened"), _("First response"), pgettext("date", "Resolved"), pgettext("date", "Closed")]
        labels = (dict(Ticket.Kind.choices), dict(Ticket.Priority.choices), dict(Ticket.Status.choices),
                  dict(Channel.choices))

        def rows():
            for number, kind, priority, status, channel, *rest in qs.iterator(chunk_size=2000):
                codes = (kind, priority, status, channel)
                yield [number, *(str(lab.get(code, code)) for lab, code in zip(labels, codes)), *rest]

        return exports.Table(title=str(DETAIL_TITLE), headers=headers, rows=rows()), qs.count()
    table = selectors.SECTION_FUNCS[section](period=period, team=team)["tables"][export.table]
    return exports.Table(title=export_title(export), headers=[str(h) for h in table["headers"]],
                         rows=table["rows"]), len(table["rows"])


def export_title(export: ReportExport) -> str:
    """The table's name in words, in the active language (sheet title and file name)."""
    return str(TABLE_TITLES.get(export.table, export.table))


def export_filename(export: ReportExport) -> exports.FileName:
    """The table, the period and the team in the file name, in the requester's language."""
    with translation.override(export.params.get("lang") or settings.LANGUAGE_CODE):
        period = params_period(export.params)
        parts = [exports.period_part(period.first, period.last)]
        team = _team_of(export)
        if team is not None:
            parts.append((f"team-{team.pk}", str(team)))
        return exports.FileName.build(title=export_title(export), slug=export.table.replace("_", "-"), parts=parts,
                                      ext=export.fmt)


def export_run(*, export_id: int, now=None) -> ReportExport | None:
    """Build the file. Idempotent: only a pending (or failed) export is claimed, compare-and-set."""
    claimed = ReportExport.objects.filter(pk=export_id, status__in=[ReportExport.Status.PENDING,
                                                                    ReportExport.Status.FAILED])
    if not claimed.update(status=ReportExport.Status.RUNNING, progress=0, error=""):
        return None
    export = ReportExport.objects.select_related("requested_by").get(pk=export_id)
    try:
        with translation.override(export.params.get("lang") or settings.LANGUAGE_CODE):
            table, total = _table(export)
            counted = [0]

            def on_row(done):
                counted[0] = done
                if total and done % PROGRESS_EVERY == 0:
                    ReportExport.objects.filter(pk=export.pk).update(progress=min(99, done * 100 // total))

            table.on_row = on_row
            content = exports.table_bytes(table, export.fmt)
        count = counted[0]
        export.file.save(export_filename(export).ascii, ContentFile(content), save=False)
        export.row_count = count
        export.status = ReportExport.Status.DONE
        export.progress = 100
        export.finished_at = now or timezone.now()
        export.save(update_fields=["file", "row_count", "status", "progress", "finished_at"])
    except Exception as exc:  # noqa: BLE001 — recorded on the row, shown to the requester
        logger.exception("Export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id).update(status=ReportExport.Status.FAILED, error=str(exc)[:500])
    return export


def export_can_download(*, export: ReportExport, user) -> bool:
    return export.requested_by_id == user.pk or user.has_perm("reports.download_any_export")


def export_download_record(*, export: ReportExport, user, now=None) -> ReportExportDownload:
    if not export_can_download(export=export, user=user):
        raise ValidationError(_("Only the person who asked for this export, or a manager, may download it."))
    if export.status != ReportExport.Status.DONE:
        raise ValidationError(_("This export is not ready yet."))
    return ReportExportDownload.objects.create(export=export, user=user, at=now or timezone.now())


# --- subscriptions --------------------------------------------------------------------------------
def subscription_create(*, user, frequency: str, sections: list[str], team=None, created_by, now=None):
    sub = ReportSubscription(user=user, frequency=frequency, sections=list(sections), team=team,
                             created_by=created_by, created_at=now or timezone.now())
    bad = [s for s in sections if s not in selectors.SECTIONS]
    if bad or not sections:
        raise ValidationError(_("Choose at least one known section."))
    if not user.email:
        raise ValidationError(_("%(user)s has no email address.") % {"user": user})
    sub.full_clean(validate_constraints=False)  # the unique row is checked by the database below
    try:
        with transaction.atomic():
            sub.save()
    except IntegrityError:
        raise ValidationError(_("This person already receives a report at that frequency.")) from None
    return sub


REPORT_MESSAGE = "report.email"


def deliveries_send_due(*, now=None) -> int:
    """Queue each active subscription the report of its most recent COMPLETE period, exactly once.

    The (subscription, period_start) row and the rendered e-mail (an outbox message,
    servicedesk/outbox.py) are written in one transaction: a second run, a parallel worker or a late
    catch-up hits the unique constraint and writes nothing; the outbox sends it once and retries a
    failed send with back-off. After downtime only the latest missed period is sent (a summary of
    last week is useful, five old ones are noise). Returns the number of reports queued.
    """
    from servicedesk.preferences import user_languages

    now = now or timezone.now()
    queued = 0
    subs = list(ReportSubscription.objects.filter(is_active=True).select_related("user", "team"))
    periods = {frequency: last_complete_period(frequency, now) for frequency in {sub.frequency for sub in subs}}
    # "Problems and measures" lists the actions carried over at month end: a report with that section waits
    # (the next hourly tick) until the carry-over job has run, however late it runs (improvement.selectors).
    carry_pending = any("improvement" in sub.sections for sub in subs) and carry_over_pending(
        month=local_today(now).replace(day=1))
    # One query for the deliveries already made and one for the subscribers' languages, however many
    # subscriptions there are (the beat runs this every hour; most hours everything is already sent).
    done = set(ReportDelivery.objects.filter(
        subscription__in=subs, period_start__in={p.start for p in periods.values()},
    ).values_list("subscription_id", "period_start"))
    languages = user_languages(sub.user_id for sub in subs)
    for sub in subs:
        period = periods[sub.frequency]
        if sub.created_at >= period.end + _grace(sub.frequency):
            continue  # subscribed after that period: its first email is the next one
        if (sub.pk, period.start) in done:
            continue
        if carry_pending and "improvement" in sub.sections:
            continue  # queued at a later tick, once the carry-over has run
        try:
            with transaction.atomic():
                delivery = ReportDelivery.objects.create(subscription=sub, period_start=period.start,
                                                         period_end=period.end, claimed_at=now, attempts=0)
                _queue(delivery, sub, period, now, language=languages[sub.user_id])
        except IntegrityError:
            continue  # another run queued it
        except Exception:  # noqa: BLE001 — rendering failed: nothing written, the next tick tries again
            logger.exception("Report for subscription %s could not be prepared", sub.pk)
            continue
        queued += 1
    return queued


def _grace(frequency):

    # A subscription made shortly after a period ended still gets that period's report.
    return {Frequency.DAY: timedelta(hours=12), Frequency.WEEK: timedelta(days=2)}.get(frequency, timedelta(days=5))


def _queue(delivery, sub, period, now, *, language: str) -> None:
    from servicedesk.outbox import outbox_add

    # In the subscriber's own language (their profile's), not the site default (issue 11 item 6).
    with translation.override(language):
        data = selectors.report(period=period, team=sub.team, sections=sub.sections)
        ctx = {"period": period, "data": data, "sections": selectors.SECTIONS, "subscription": sub,
               "site_url": getattr(settings, "SITE_URL", "")}
        html = render_to_string("reports/email/report.html", ctx)
        text = render_to_string("reports/email/report.txt", ctx)
        subject = _("Service report: %(period)s") % {"period": period.label}
    outbox_add(kind=REPORT_MESSAGE, channel="email", to=sub.user.email, subject=subject, body=text, html=html,
               source=delivery, now=now)


def report_delivery_marked(message) -> None:
    """Outbox hook: the delivery row follows its outbox message (sent, or failed with the reason)."""
    from servicedesk.models import OutboxMessage

    S = OutboxMessage.Status
    fields = {"attempts": message.attempts, "error": message.last_error[:500]}
    if message.status == S.SENT:
        fields.update(status=ReportDelivery.Status.SENT, sent_at=message.sent_at, error="")
    elif message.status == S.FAILED or (message.status == S.PENDING and message.attempts):
        fields["status"] = ReportDelivery.Status.FAILED
    else:
        fields["status"] = ReportDelivery.Status.SENDING
    ReportDelivery.objects.filter(pk=message.source_id).update(**fields)
