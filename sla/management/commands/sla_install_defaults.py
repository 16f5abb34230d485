from django.core.management.base import BaseCommand
from django.utils import timezone

from sla.defaults import install_china_calendar, install_policies
from sla.models import BusinessCalendar, BusinessHours, CalendarDay, SLAPolicy, SLATarget


class Command(BaseCommand):
    help = "Install the Chinese business calendar for the given years and the default SLA policies (idempotent)."

    def add_arguments(self, parser):
        year = timezone.localdate().year
        parser.add_argument("--years", type=int, nargs="+", default=[year, year + 1])

    def handle(self, *args, years, **options):
        calendar, added = install_china_calendar(BusinessCalendar, BusinessHours, CalendarDay, years=years)
        policies = install_policies(SLAPolicy, SLATarget)
        self.stdout.write(f"{calendar}: {added} days added for {years}; {policies} default policies created.")
