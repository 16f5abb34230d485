# Lookup tables get an English name beside the Chinese one (issue 11 item 6).

from django.db import migrations, models

from servicedesk.lookups import copy_legacy_names


def forward(apps, schema_editor):
    """Existing names are kept: a Chinese name stays the Chinese name; an all-ASCII (English) name also
    becomes the English name and stays in the required Chinese column until a manager enters the Chinese."""
    copy_legacy_names(apps, "dispatch", ['Skill', 'Part'])


class Migration(migrations.Migration):

    dependencies = [
        ('dispatch', '0002_workorder_fault_cause_fk'),
    ]

    operations = [
        migrations.AddField(
            model_name='part',
            name='name_en',
            field=models.CharField(blank=True, help_text='Shown to staff who use English. Leave empty to show the Chinese name.', max_length=200, verbose_name='English name'),
        ),
        migrations.AddField(
            model_name='skill',
            name='name_en',
            field=models.CharField(blank=True, help_text='Shown to staff who use English. Leave empty to show the Chinese name.', max_length=100, verbose_name='English name'),
        ),
        migrations.AlterField(
            model_name='part',
            name='name',
            field=models.CharField(max_length=200, verbose_name='Chinese name'),
        ),
        migrations.AlterField(
            model_name='skill',
            name='name',
            field=models.CharField(max_length=100, unique=True, verbose_name='Chinese name'),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='skill',
            constraint=models.UniqueConstraint(condition=models.Q(('name_en', ''), _negated=True), fields=('name_en',), name='skill_name_en_uniq'),
        ),
    ]
