"""Issue 17: customer tiers become data (customers.CustomerTier).

The table is created and filled with the department's tiers — the four it had (codes unchanged) and the
enterprise levels 1A–5A, 1B–5B for organisations — *before* the customer's tier field loses its fixed
choices. No customer row is rewritten: the column keeps the same codes. A code found on a customer that
is not one of these (data written around the old choices) gets a retired tier named by its code, so every
stored code has a tier and nothing shows blank. Reverse: the table goes, the codes stay on the customers.
"""

import django.core.validators
import servicedesk.lookups
from django.db import migrations, models

# (code, Chinese name, English name, applies to, position)
TIERS = [
    ("diamond", "钻石", "Diamond", "both", 10),
    ("gold", "金", "Gold", "both", 20),
    ("silver", "银", "Silver", "both", 30),
    ("basic", "基础", "Basic", "both", 40),
    *[(f"{n}{g}", f"企业{n}{g.upper()}级", f"Enterprise {n}{g.upper()}", "organisation", 100 + 10 * i)
      for i, (g, n) in enumerate((g, n) for g in "ab" for n in range(1, 6))],
]
DEFAULT = "basic"


def load(apps, schema_editor):
    """Install the default tiers (idempotent: only what is missing; tests call it after a flush)."""
    CustomerTier = apps.get_model("customers", "CustomerTier")
    Customer = apps.get_model("customers", "Customer")
    have = set(CustomerTier.objects.values_list("code", flat=True))
    has_default = CustomerTier.objects.filter(is_default=True).exists()
    for code, name, name_en, applies_to, position in TIERS:
        if code not in have:
            CustomerTier.objects.create(code=code, name=name, name_en=name_en, applies_to=applies_to,
                                        position=position, is_default=code == DEFAULT and not has_default)
            have.add(code)
    for code in sorted(set(Customer.objects.values_list("tier", flat=True).distinct()) - have - {""}):
        CustomerTier.objects.create(code=code, name=code, name_en="", position=900, is_active=False)


def unload(apps, schema_editor):
    pass  # the table is dropped by the reverse of CreateModel; customers keep their codes



class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0014_service_plan'),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerTier',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(help_text='Stored on customers, SLA policies and reports; it cannot be changed once saved.', max_length=10, unique=True, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_-]*$', 'Use lower-case letters, digits, - and _ only.')], verbose_name='code')),
                ('name', models.CharField(max_length=50, unique=True, verbose_name='Chinese name')),
                ('name_en', models.CharField(blank=True, help_text='Shown to staff who use English. Leave empty to show the Chinese name.', max_length=50, verbose_name='English name')),
                ('applies_to', models.CharField(choices=[('both', 'People and organisations'), ('person', 'People only'), ('organisation', 'Organisations only')], default='both', max_length=12, verbose_name='applies to')),
                ('position', models.PositiveSmallIntegerField(default=100, help_text='Lists, forms and reports show tiers in this order, lowest first.', verbose_name='position')),
                ('is_active', models.BooleanField(default=True, help_text='Untick to retire the tier: it is no longer offered, customers who have it keep it.', verbose_name='active')),
                ('is_default', models.BooleanField(default=False, help_text='New customers get this tier unless someone chooses another. One tier only.', verbose_name='default for new customers')),
            ],
            options={
                'verbose_name': 'customer tier',
                'verbose_name_plural': 'customer tiers',
                'ordering': ['position', 'code'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('name_en', ''), _negated=True), fields=('name_en',), name='customertier_name_en_uniq'), models.CheckConstraint(condition=models.Q(('applies_to__in', ['both', 'person', 'organisation'])), name='customertier_applies_to_valid'), models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='customertier_one_default', violation_error_message='Another tier is already the default: untick it there first.'), models.CheckConstraint(condition=models.Q(('is_default', False), ('is_active', True), _connector='OR'), name='customertier_default_active', violation_error_message='The default tier cannot be retired: make another tier the default first.')],
            },
            bases=(servicedesk.lookups.BilingualName, models.Model),
        ),
        migrations.RunPython(load, unload),
        migrations.AlterField(
            model_name='customer',
            name='tier',
            field=models.CharField(default='basic', max_length=10, verbose_name='service tier'),
        ),
    ]
