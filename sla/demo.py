"""Demo: the Chinese calendar and default policies (idempotent), clocks for demo tickets that were
loaded without them (e.g. bulk-loaded), then one sweep so the dashboard shows warnings and breaches.
Re-running adds nothing: clocks are created only where missing and the sweep fires each level once."""
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .calendars import default_calendar
from .defaults import install_policies
from .models import SLAClock, SLAPolicy, SLATarget, Target
from . import services


def load(*, stdout, options):
    from tickets.models import Ticket

    default_calendar()
    install_policies(SLAPolicy, SLATarget)
    missing = (
        Ticket.objects.filter(~Exists(SLAClock.objects.filter(ticket=OuterRef("pk"))))
        .select_related("customer").order_by("pk")
    )
    backfilled = 0
    for ticket in missing:
        services.clocks_start(ticket=ticket, now=ticket.created_at)
        if ticket.first_response_at:
            services.clocks_stop(ticket=ticket, now=ticket.first_response_at, targets=[Target.FIRST_RESPONSE])
        if ticket.status in ("resolved", "closed"):
            services.clocks_stop(ticket=ticket, now=ticket.resolved_at or ticket.closed_at or ticket.updated_at)
        elif ticket.status == "cancelled":
            services.clocks_stop(ticket=ticket, now=ticket.updated_at, decide=False)
        elif ticket.status == "waiting":
            services.clocks_pause(ticket=ticket, now=ticket.updated_at)
        backfilled += 1
    result = services.sla_sweep(now=timezone.now())
    stdout.write(f"SLA: clocks for {backfilled} tickets; sweep fired {result.fired}.")
    from . import rollup

    rollup.rebuild(stdout=stdout)  # idempotent; also counts clocks other areas' demo data wrote in bulk
