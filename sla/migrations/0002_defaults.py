"""Ship the Chinese business calendar (this year and next, from the `holidays` package) and the
default SLA policies of domain.md §4. Idempotent; managers edit both in the app afterwards.
Later years: `manage.py sla_install_defaults --years 2028` (make-up days the library does not know
yet, e.g. 2027's, are entered by a manager on the calendar page)."""
from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    from sla.defaults import install_china_calendar, install_policies

    year = timezone.localdate().year
    install_china_calendar(
        apps.get_model("sla", "BusinessCalendar"), apps.get_model("sla", "BusinessHours"),
        apps.get_model("sla", "CalendarDay"), years=[year, year + 1],
    )
    install_policies(apps.get_model("sla", "SLAPolicy"), apps.get_model("sla", "SLATarget"))


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
