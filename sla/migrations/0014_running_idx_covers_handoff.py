"""sla_clock_running_idx also holds handoff_id (and stopped_at, NULL in every row, so SQLite plans it as covering), so the ticket clocks' `handoff IS NULL` is answered from the
index alone (issue 14): since issue 17 added department clocks, every unswept running clock cost a table lookup."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0013_handoff_no_plain_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='slaclock',
            name='sla_clock_running_idx',
        ),
        migrations.AddIndex(
            model_name='slaclock',
            index=models.Index(condition=models.Q(('stopped_at__isnull', True)), fields=['deadline', 'met', 'paused_at', 'target', 'ticket', 'handoff', 'stopped_at'], name='sla_clock_running_idx'),
        ),
    ]
