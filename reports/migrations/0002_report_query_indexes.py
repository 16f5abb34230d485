"""Indexes the report queries need on other areas' tables (period filters on their timestamps).

They live here because the reports are what needs them; each is a plain B-tree that both SQLite
and PostgreSQL build with IF NOT EXISTS, and the reverse drops it. Moving them into the owning
apps' Meta.indexes later is a no-op rename (same columns).
"""
from django.db import migrations

INDEXES = [
    ("reports_ticket_firstresp_idx", "tickets_ticket", "first_response_at"),
    ("reports_ticket_resolved_idx", "tickets_ticket", "resolved_at"),
    ("reports_ticket_closed_idx", "tickets_ticket", "closed_at"),
    ("reports_slaclock_stopped_idx", "sla_slaclock", "stopped_at"),
    ("reports_wo_signed_idx", "dispatch_workorder", "signed_at"),
    ("reports_wo_asset_created_idx", "dispatch_workorder", "asset_id, created_at"),
    ("reports_callback_due_idx", "followups_callback", "due_at"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("tickets", "0002_complaints_replies_attachments"),
        ("sla", "0001_initial"),
        ("dispatch", "0001_initial"),
        ("followups", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({cols});",
            f"DROP INDEX IF EXISTS {name};",
        )
        for name, table, cols in INDEXES
    ]
