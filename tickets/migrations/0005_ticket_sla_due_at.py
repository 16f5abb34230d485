"""Ticket.sla_due_at: the earliest running SLA deadline, so the queue and list sort by "SLA due" through an
index. Backfilled from the clocks in one UPDATE (the same rule as sla.services.ticket_sla_due_refresh)."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    SLAClock = apps.get_model("sla", "SLAClock")
    running = (SLAClock.objects.filter(ticket_id=OuterRef("pk"), stopped_at__isnull=True, paused_at__isnull=True)
               .order_by("deadline").values("deadline")[:1])
    Ticket.objects.filter(status__in=["new", "acknowledged", "in_progress", "waiting", "reopened"]).update(
        sla_due_at=Subquery(running))


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_search_indexes_postgres'),
        ('servicedesk', '0002_notification_emailed_at'),
        ('tickets', '0004_faultcause_department_english_name'),
        ('sla', '0004_daily_rollup_backfill'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='sla_due_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='SLA due'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['sla_due_at', 'id'], name='ticket_sla_due_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ['new', 'acknowledged', 'in_progress', 'waiting', 'reopened'])), fields=['assignee', 'sla_due_at'], name='ticket_assignee_due_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ['new', 'acknowledged', 'in_progress', 'waiting', 'reopened'])), fields=['team', 'sla_due_at'], name='ticket_team_due_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('assignee__isnull', True), ('status__in', ['new', 'acknowledged', 'in_progress', 'waiting', 'reopened'])), fields=['sla_due_at'], name='ticket_unassigned_due_idx'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
