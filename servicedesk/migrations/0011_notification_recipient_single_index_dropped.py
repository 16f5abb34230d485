# The single-column index Django made for Notification.recipient duplicates the lead of notif_recipient_idx
# (recipient, created_at): every bell entry written (the SLA sweep writes one per warning and breach) paid
# another index entry (issue 14). Dropped by name, as tickets 0026 does.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "servicedesk_notification_recipient_id_f79dea9a"


class Migration(migrations.Migration):

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("servicedesk", "0010_staffprofile_extension"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification", name="recipient",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="notifications", to=settings.AUTH_USER_MODEL,
                                            verbose_name="recipient"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{INDEX}"',
                                  reverse_sql=f'CREATE INDEX "{INDEX}" ON "servicedesk_notification" ("recipient_id")'),
            ],
        ),
    ]
