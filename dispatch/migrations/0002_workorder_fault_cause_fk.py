# The fault cause becomes the tickets area's managed list (tickets.FaultCause) instead of free text.
# Remove + add rather than alter: a text column cannot be cast to a foreign key.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0001_initial'),
        ('tickets', '0002_complaints_replies_attachments'),
    ]

    operations = [
        migrations.RemoveField(model_name='workorder', name='fault_cause'),
        migrations.AddField(
            model_name='workorder',
            name='fault_cause',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='work_orders', to='tickets.faultcause', verbose_name='fault cause'),
        ),
    ]
